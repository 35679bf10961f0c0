"""Résumé des erreurs d'un formulaire, en tête de page : chaque erreur est un lien vers son champ, et le
résumé reçoit le focus à l'affichage (components/resume_erreurs.html, static/js/formulaires.js). Déclaré
« builtins » (settings.TEMPLATES), comme les filtres de formats.py."""

from django import template
from django.forms import CheckboxSelectMultiple, RadioSelect

register = template.Library()


def ancre(champ):
    """L'id de l'élément qui reçoit le focus pour un champ : le champ, ou son premier bouton radio / sa première
    case quand il en a plusieurs (leur groupe n'a pas d'id focalisable)."""
    if isinstance(champ.field.widget, RadioSelect | CheckboxSelectMultiple):
        return f"{champ.auto_id}_0"
    return champ.id_for_label or champ.auto_id


@register.inclusion_tag("components/resume_erreurs.html")
def resume_erreurs(form):
    erreurs = [(None, None, e) for e in form.non_field_errors()]
    for champ in form:
        if champ.is_hidden:
            erreurs.extend((None, None, e) for e in champ.errors)
            continue
        erreurs.extend((champ.label, ancre(champ), e) for e in champ.errors)
    n = len(erreurs)
    return {
        "erreurs": erreurs,
        "titre": "Le formulaire contient " + ("une erreur" if n == 1 else f"{n} erreurs"),
    }
