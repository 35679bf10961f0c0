from django.urls import reverse

from territoires.models import Departement, Region


def breadcrumb_for(user, parent=None):
    """Liens du fil d'Ariane jusqu'au territoire parent de la page (Region ou Departement)."""
    liens = [("Régions", reverse("territoires:regions"))] if user.sees_everything else []
    region = parent.region if isinstance(parent, Departement) else parent
    if isinstance(region, Region):
        liens.append((region.nom, reverse("territoires:region", args=[region.code])))
    if isinstance(parent, Departement):
        liens.append((parent.nom, reverse("territoires:departement", args=[parent.code])))
    return liens
