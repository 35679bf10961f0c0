from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()

ESPACE = "\u202f"  # espace fine insécable, séparateur des milliers en français


@register.filter
def nombre(valeur):
    """1234567 → « 1 234 567 »."""
    if valeur is None or valeur == "":
        return "—"
    return f"{int(valeur):,}".replace(",", ESPACE)


@register.filter
def euros(valeur):
    """Montant arrondi à l'euro : « 1 234 567 € »."""
    if valeur is None:
        return "—"
    arrondi = Decimal(valeur).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{nombre(arrondi)}{ESPACE}€"


@register.filter
def pourcentage(partie, total):
    if not total:
        return "—"
    return f"{round(100 * partie / total)}{ESPACE}%"


@register.filter
def paragraphes(texte):
    """Paragraphes d'un texte saisi (lignes vides comme séparateurs)."""
    blocs = [b.strip() for b in (texte or "").replace("\r\n", "\n").split("\n\n")]
    return [b for b in blocs if b]


@register.filter
def cle(dictionnaire, cle):
    return (dictionnaire or {}).get(cle, "")


@register.filter
def libelle_phase(code):
    from communes.constants import Phase

    return Phase(code).label if code in Phase.values else code
