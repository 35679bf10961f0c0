"""Lien de désinscription des e-mails : jeton signé (django.core.signing), sans date d'expiration pour que
le lien d'un ancien e-mail marche encore ; il ne sert qu'à couper les rappels du compte."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from comptes.models import User
from rappels.constants import SEL_DESINSCRIPTION


def jeton_desinscription(user):
    return signing.dumps(user.pk, salt=SEL_DESINSCRIPTION)


def lien_desinscription(user):
    return settings.SITE_URL + reverse("rappels:desinscription", args=[jeton_desinscription(user)])


def utilisateur_du_jeton(jeton):
    """Compte à qui appartient un jeton valide, sinon None."""
    try:
        pk = signing.loads(jeton, salt=SEL_DESINSCRIPTION)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return User.objects.filter(pk=pk).first()
