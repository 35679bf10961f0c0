from django import template

from pvd import formats
from tableau.donnees import part_texte
from tableau.indicateurs import euros

register = template.Library()


@register.filter
def part(valeur):
    return part_texte(valeur)


@register.filter
def euros_court(centimes):
    """Un montant des chiffres (en centimes) pour une tuile : « 632,5 M€ » (pvd.formats.euros_court)."""
    return formats.euros_court(None if centimes is None else euros(centimes))
