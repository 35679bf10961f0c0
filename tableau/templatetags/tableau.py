from django import template

from tableau.donnees import euros_court as _euros_court
from tableau.donnees import nombre_texte, part_texte

register = template.Library()


@register.filter
def nombre(valeur):
    return nombre_texte(valeur)


@register.filter
def part(valeur):
    return part_texte(valeur)


@register.filter
def euros_court(centimes):
    return _euros_court(centimes)
