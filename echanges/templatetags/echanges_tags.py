from django import template

from echanges import services
from echanges.forms import PreferencesNotificationForm

register = template.Library()


@register.inclusion_tag("echanges/_preferences.html", takes_context=True)
def preferences_notification(context):
    """Formulaire des préférences de notification, pour la page « Mon compte »."""
    user = context["request"].user
    form = PreferencesNotificationForm(initial_frequences=services.preferences_de(user))
    return {"form_notifications": form, "csrf_token": context.get("csrf_token")}
