"""Filtres de mise en forme française, déclarés « builtins » (settings.TEMPLATES) : disponibles dans tous
les gabarits, pages comme PDF, sans {% load %}. Voir pvd/formats.py."""

from decimal import Decimal

from django import template

from pvd import formats

register = template.Library()


@register.filter
def date_fr(valeur, option=""):
    """{{ d|date_fr }} → « 1er janvier 2024 » (à la place de date:"j F Y") ; {{ d|date_fr:"jour" }} →
    « lundi 1er janvier 2024 »."""
    return formats.date_longue(valeur, jour_semaine=option == "jour")


@register.filter
def date_heure_fr(valeur):
    """{{ dt|date_heure_fr }} → « 1er janvier 2024 à 09:05 » (à la place de date:"j F Y à H:i")."""
    return formats.date_heure_longue(valeur)


@register.filter
def nombres(valeur):
    """Comme nombre pour un entier ou un décimal ; toute autre valeur (texte, HTML, date) passe telle quelle.
    Pour les cellules numériques des tableaux (components/table.html)."""
    if isinstance(valeur, bool) or not isinstance(valeur, int | float | Decimal):
        return valeur
    return formats.nombre(valeur)


@register.filter
def nombre(valeur):
    """{{ n|nombre }} → « 1 645 » (espace fine insécable), « 12,5 »."""
    return formats.nombre(valeur)


def _formes(argument, defaut_singulier):
    if "," in argument:
        singulier, pluriel = argument.split(",", 1)
        return singulier, pluriel
    return defaut_singulier, argument


@register.filter
def pluriel(n, noms):
    """{{ n|pluriel:"réunion" }} → « 0 réunion », « 2 réunions » ; {{ n|pluriel:"chef,chefs" }} pour un pluriel
    irrégulier. Le nombre est écrit avec ses séparateurs de milliers."""
    singulier, pluriel_ = noms.split(",", 1) if "," in noms else (noms, None)
    return formats.compte(_entier(n), singulier, pluriel_)


@register.filter
def accord(n, suffixes="s"):
    """Comme pluralize, mais à la française : 0 et 1 au singulier. {{ n|accord }} → « » ou « s » ;
    {{ n|accord:"al,aux" }} → « al » ou « aux »."""
    singulier, pluriel_ = _formes(suffixes, "")
    return pluriel_ if formats.pluriel(_entier(n), "x") != "x" else singulier


def _entier(n):
    if hasattr(n, "__len__") and not isinstance(n, str):
        return len(n)
    try:
        return int(n)
    except (TypeError, ValueError):
        return 0


@register.filter
def euros(valeur):
    """{{ m|euros }} → « 1 234 567 € » : arrondi à l'euro."""
    return formats.euros(valeur)


@register.filter
def montant(valeur):
    """{{ m|montant }} → « 480 000 € », « 480 000,50 € » (espaces insécables)."""
    return formats.montant(valeur)
