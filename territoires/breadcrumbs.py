from django.urls import reverse

from comptes.constants import Role
from territoires.models import Departement, Region


def breadcrumb_for(user, parent=None):
    """Liens du fil d'Ariane jusqu'au territoire parent de la page (Region ou Departement) : France
    entière → région → département, à partir du niveau de l'utilisateur (un agent départemental commence
    à son département)."""
    liens = [("France entière", reverse("tableau:regions"))] if user.sees_everything else []
    region = parent.region if isinstance(parent, Departement) else parent
    if isinstance(region, Region) and user.role != Role.DEPARTEMENTAL:
        liens.append((region.nom, reverse("tableau:region", args=[region.code])))
    if isinstance(parent, Departement):
        liens.append((parent.nom, reverse("tableau:departement", args=[parent.code])))
    return liens
