from django import template

from comptes.constants import Role
from echanges import services
from echanges.forms import PreferencesNotificationForm
from echanges.quoi_de_neuf import resume
from echanges.views import fil_contexte, pieces_contexte
from syntheses.models import SectionDepartementale

register = template.Library()


@register.inclusion_tag("echanges/_preferences.html", takes_context=True)
def preferences_notification(context):
    """Formulaire des préférences de notification, pour la page « Mon compte »."""
    user = context["request"].user
    form = PreferencesNotificationForm(initial_frequences=services.preferences_de(user))
    return {"form_notifications": form, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("echanges/_fil.html", takes_context=True)
def fil_commentaires(context, objet):
    """Fil de commentaires d'une section de note ou d'une fiche commune, pour la page de l'objet."""

    user = context["request"].user
    if isinstance(objet, SectionDepartementale):
        contexte = fil_contexte(user, section=objet)
    else:
        contexte = fil_contexte(user, commune=objet)
    return {**contexte, "request": context["request"], "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("echanges/_pieces.html", takes_context=True)
def pieces_jointes(context, commune):
    """Bloc « Pièces jointes » de la fiche commune : documents, versions, dépôt (agents du département)."""

    contexte = pieces_contexte(context["request"].user, commune)
    return {**contexte, "request": context["request"], "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("echanges/_quoi_de_neuf.html", takes_context=True)
def quoi_de_neuf_bloc(context):
    """Bloc de la page d'arrivée des comptes régionaux et nationaux : ce qui a changé depuis leur visite
    précédente, par département (echanges.quoi_de_neuf.resume, en cache quelques minutes), et « À faire »."""

    user = context["request"].user
    if user.role not in (Role.REGIONAL, Role.NATIONAL, Role.ADMINISTRATEUR):
        return {"quoi_de_neuf": False}
    return {"quoi_de_neuf": True, "resume": resume(user)}
