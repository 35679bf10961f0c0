"""Flux iCalendar (RFC 5545) des réunions de club d'un département, et jetons d'abonnement.

Un client de calendrier (Thunderbird, Outlook, agenda du téléphone) ne transmet pas la session : l'URL
d'abonnement porte un jeton signé propre à l'utilisateur et au département. Le jeton est refusé dès que
l'utilisateur est désactivé, change de mot de passe ou perd l'accès au département.
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from icalendar import Calendar, Event

from comptes.models import User
from territoires.models import Departement

SEL_JETON = "clubs.calendrier"
DOMAINE_UID = "pvd-suivi"


def _empreinte(user):
    return salted_hmac(SEL_JETON, f"{user.pk}:{user.password}:{user.is_active}").hexdigest()[:20]


def jeton_calendrier(user, departement):
    return signing.dumps([user.pk, departement.code, _empreinte(user)], salt=SEL_JETON, compress=True)


def lien_abonnement(request, departement):
    """URL absolue d'abonnement au flux .ics du département, avec le jeton personnel de l'utilisateur."""
    url = reverse("clubs:ics", args=[departement.code])
    return request.build_absolute_uri(f"{url}?jeton={jeton_calendrier(request.user, departement)}")


def utilisateur_du_jeton(jeton, departement_code):
    """Utilisateur actif à qui appartient un jeton valable pour ce département, sinon None."""
    try:
        pk, code, empreinte = signing.loads(jeton, salt=SEL_JETON)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if code != departement_code:
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not constant_time_compare(empreinte, _empreinte(user)):
        return None
    if not Departement.objects.for_user(user).filter(code=departement_code).exists():
        return None
    return user


def calendrier_ics(departement, reunions, *, url=None):
    """Contenu .ics : un événement « journée entière » par réunion, identifiant stable (UID)."""
    cal = Calendar()
    cal.add("prodid", "-//PVD Suivi//Clubs departementaux PVD//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Club PVD – {departement.nom} ({departement.code})")
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    cal.add("x-published-ttl", "PT6H")
    for reunion in reunions:
        evenement = Event()
        evenement.add("uid", f"reunion-club-{reunion.pk}@{DOMAINE_UID}")
        evenement.add("dtstamp", reunion.updated_at.astimezone(UTC))
        evenement.add("last-modified", reunion.updated_at.astimezone(UTC))
        evenement.add("created", reunion.created_at.astimezone(UTC))
        evenement.add("dtstart", reunion.date)
        evenement.add("dtend", reunion.date + timedelta(days=1))
        evenement.add("transp", "TRANSPARENT")
        public, format_ = reunion.get_public_display(), reunion.get_format_display().lower()
        evenement.add("summary", f"Club PVD {departement.nom} – {public} ({format_})")
        lignes = [f"Statut : {reunion.get_statut_display().lower()}"]
        if reunion.participants_count:
            lignes.append(f"Participants : {reunion.participants_count}")
        if reunion.themes:
            lignes.append("Thèmes : " + ", ".join(reunion.themes))
            evenement.add("categories", list(reunion.themes))
        if reunion.compte_rendu:
            lignes += ["", reunion.compte_rendu]
        evenement.add("description", "\n".join(lignes))
        evenement.add("status", "CONFIRMED")
        if url:
            evenement.add("url", url(reunion))
        cal.add_component(evenement)
    return cal.to_ical()
