"""Journal de sécurité : un événement par fait (connexion, échec, blocage, changement de rôle ou de territoire,
import, jeton d'API créé ou utilisé), en base (page de l'administration, filtres) et dans les journaux."""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from comptes.models import EvenementSecurite, TypeEvenement

logger = logging.getLogger("pvd.securite")


def adresse_ip(request):
    """L'adresse du client : REMOTE_ADDR (derrière le frontal, réécrite par lui ; voir BEHIND_PROXY)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def evenement_securite_enregistrer(*, type, request=None, user=None, username="", detail="", adresse=None):
    """Enregistre l'événement et l'écrit dans les journaux ; renvoie la ligne. adresse : celle du client quand
    l'événement est enregistré hors de sa requête (job du worker, lue au dépôt)."""
    if user is not None and not getattr(user, "pk", None):
        user = None
    username = username or (user.get_username() if user is not None else "")
    evenement = EvenementSecurite.objects.create(
        type=type,
        user=user,
        username=username[:150],
        adresse_ip=adresse_ip(request) or adresse,
        detail=detail[:500],
    )
    logger.info(
        "Sécurité : %s — %s",
        TypeEvenement(type).label,
        username or "inconnu",
        extra={"evenement": type, "compte": username, "adresse_ip": evenement.adresse_ip, "detail": detail},
    )
    return evenement


def evenements_securite_purger(*, maintenant=None):
    """Supprime les événements plus vieux que SECURITE_CONSERVATION_JOURS ; renvoie le nombre supprimé."""
    limite = (maintenant or timezone.now()) - timedelta(days=settings.SECURITE_CONSERVATION_JOURS)
    supprimes, _ = EvenementSecurite.objects.filter(created_at__lt=limite).delete()
    return supprimes


def limite_depassee(*, quoi, cle, limite, duree_s):
    """Compte une demande de plus pour (quoi, cle) dans la fenêtre de duree_s secondes ; True au-delà de
    `limite`. Compteur du cache (Redis en production : partagé entre les processus web). La clé est hachée :
    ni adresse IP ni adresse électronique en clair dans le cache."""
    empreinte = hashlib.sha256(f"{quoi}:{cle}".encode()).hexdigest()[:32]
    nom = f"limite:{quoi}:{empreinte}"
    cache.add(nom, 0, timeout=duree_s)
    try:
        nombre = cache.incr(nom)
    except ValueError:  # clé expirée entre add et incr
        cache.set(nom, 1, timeout=duree_s)
        nombre = 1
    return nombre > limite


def connexion_noter(sender, request, user, **kwargs):
    evenement_securite_enregistrer(type=TypeEvenement.CONNEXION, request=request, user=user)


def echec_connexion_noter(sender, credentials, request=None, **kwargs):
    evenement_securite_enregistrer(
        type=TypeEvenement.ECHEC_CONNEXION, request=request, username=str(credentials.get("username", ""))
    )


def blocage_noter(sender, request, username=None, ip_address=None, **kwargs):
    evenement_securite_enregistrer(type=TypeEvenement.BLOCAGE, request=request, username=username or "")
