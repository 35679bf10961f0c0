import re

from django import template

from communes.constants import Phase

register = template.Library()


@register.filter
def paragraphes(texte):
    """Paragraphes d'un texte saisi (lignes vides comme séparateurs), chaque suite de plus de 30 caractères sans
    blanc (adresse collée, identifiant) coupable tous les 30 caractères (voir coupable)."""
    blocs = [b.strip() for b in (texte or "").replace("\r\n", "\n").split("\n\n")]
    return [coupable(b) for b in blocs if b]


ESPACE_SANS_CHASSE = "\u200b"
SANS_BLANC = re.compile(r"\S{31,}")


@register.filter
def coupable(texte):
    """Une espace sans chasse (invisible, non copiée comme une espace) tous les 30 caractères des suites sans
    blanc : le PDF les coupe en fin de ligne au lieu de les laisser déborder de la page, où WeasyPrint ne les
    dessine pas. Moins coûteux à mettre en page que « overflow-wrap: anywhere » sur tout le texte."""

    def couper(m):
        suite = m.group(0)
        return ESPACE_SANS_CHASSE.join(suite[i : i + 30] for i in range(0, len(suite), 30))

    return SANS_BLANC.sub(couper, texte)


@register.filter
def cle(dictionnaire, cle):
    return (dictionnaire or {}).get(cle, "")


@register.filter
def libelle_phase(code):

    return Phase(code).label if code in Phase.values else code
