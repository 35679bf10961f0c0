import datetime
import secrets

from django.db import transaction
from django.utils import timezone

from api.models import JetonApi, jeton_hacher

PREFIXE_JETON = "pvd_"
# Le dernier usage n'est réécrit qu'une fois par intervalle : pas une écriture en base par requête.
INTERVALLE_DERNIER_USAGE = datetime.timedelta(minutes=1)


@transaction.atomic
def jeton_api_creer(*, partenaire):
    """Crée un jeton pour un partenaire. Renvoie (jeton, valeur en clair) : la valeur en clair n'est
    affichée qu'une fois, seule son empreinte SHA-256 est enregistrée."""
    clair = PREFIXE_JETON + secrets.token_urlsafe(32)
    jeton = JetonApi.objects.create(
        partenaire=partenaire.strip(), jeton_hash=jeton_hacher(clair), prefixe=clair[:10]
    )
    return jeton, clair


def jeton_api_noter_usage(*, jeton, maintenant=None):
    """Date le dernier usage du jeton (au plus une écriture par minute et par jeton) ; renvoie vrai si elle
    a été écrite."""
    maintenant = maintenant or timezone.now()
    if jeton.last_used_at and maintenant - jeton.last_used_at < INTERVALLE_DERNIER_USAGE:
        return False
    JetonApi.objects.filter(pk=jeton.pk).update(last_used_at=maintenant)
    jeton.last_used_at = maintenant
    return True
