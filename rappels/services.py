"""Rappels par e-mail, envoyés chaque jour par Celery beat (voir CELERY_BEAT_SCHEDULE) :

- campagne : RAPPEL_CAMPAGNE_JOURS jours avant l'échéance d'une campagne, aux agents départementaux dont la
  section n'est pas soumise, et aux agents régionaux dont la note n'est pas transmise ;
- convention-cadre : quand l'échéance des 18 mois après l'adhésion tombe dans RAPPEL_CONVENTION_CADRE_JOURS
  jours sans convention-cadre signée, aux agents du département (un e-mail par agent, qui liste les communes) ;
- club : quand la fin du semestre est à moins de RAPPEL_CLUB_JOURS jours et qu'aucune réunion du club PVD
  n'est prévue d'ici là (date d'aujourd'hui ou après), aux agents du département.

Les destinataires sont calculés par quelques requêtes, quel que soit le nombre de communes. Chaque rappel
est enregistré (Rappel) avant l'envoi, dans la même transaction : la contrainte d'unicité (type,
destinataire, objet) décide seule s'il part, sans lecture préalable qui laisserait passer deux tâches
concurrentes ; si l'envoi échoue, la transaction est annulée et le rappel repartira à la tâche suivante.
"""

import logging
from collections import defaultdict
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from clubs.models import ReunionClub
from communes.constants import DELAI_CONVENTION_CADRE_MOIS, TypeConvention
from communes.models import Convention
from communes.querysets import mois_apres
from comptes.constants import Role
from comptes.models import User
from echanges.services import notification_echeance_enregistrer
from pvd.formats import date_longue
from rappels.constants import TypeRappel
from rappels.jetons import lien_desinscription
from rappels.models import Rappel
from syntheses.constants import ETATS_SECTION_MODIFIABLES, EtatSynthese
from syntheses.models import SectionDepartementale, Synthese
from territoires.models import Commune, Departement

logger = logging.getLogger(__name__)

# Comptes qui reçoivent les rappels : actifs, avec une adresse, sans désinscription.
A_PREVENIR = Q(is_active=True, rappels_actifs=True) & ~Q(email="")


def date_fr(jour):
    """« 1er juin 2023 », « 25 juin 2023 »."""
    return date_longue(jour)


def url_produit(nom, *args):
    return settings.SITE_URL + reverse(nom, args=args)


# --- Envoi ------------------------------------------------------------------------------------------


def _reserver(*, type, user, cle):
    """Enregistre le rappel ; False s'il l'est déjà (contrainte d'unicité, y compris en concurrence)."""
    try:
        with transaction.atomic():
            Rappel.objects.create(type=type, user=user, cle=cle)
    except IntegrityError:
        return False
    return True


def _message(*, user, sujet, gabarit, contexte):
    desinscription = lien_desinscription(user)
    contexte = {
        **contexte,
        "user": user,
        "site_url": settings.SITE_URL,
        "compte_url": url_produit("compte"),
        "desinscription_url": desinscription,
    }
    with translation.override(settings.LANGUAGE_CODE):
        texte = render_to_string(f"rappels/emails/{gabarit}.txt", contexte)
        html = render_to_string(f"rappels/emails/{gabarit}.html", {**contexte, "sujet": sujet})
    message = EmailMultiAlternatives(
        subject=sujet,
        body=texte,
        to=[user.email],
        headers={
            # Désinscription en un clic depuis le logiciel de messagerie (RFC 8058).
            "List-Unsubscribe": f"<{desinscription}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _envoyer(*, type, user, objets, construire):
    """Envoie à `user` un e-mail pour ceux des `objets` ({clé: objet}) qu'il n'a pas déjà reçus.

    construire(objets retenus) → (sujet, gabarit, contexte). Renvoie True si un e-mail est parti."""
    try:
        with transaction.atomic():
            cles = [cle for cle in objets if _reserver(type=type, user=user, cle=cle)]
            retenus = [objets[cle] for cle in cles]
            if not retenus:
                return False
            sujet, gabarit, contexte = construire(retenus)
            _message(user=user, sujet=sujet, gabarit=gabarit, contexte=contexte).send()
            _notifier(user=user, type=type, cles=cles, sujet=sujet, contexte=contexte)
    except OSError:  # serveur SMTP injoignable, refus… : rien n'est enregistré, nouvel essai demain
        logger.exception("Rappel %s non envoyé à %s", type, user.username)
        return False
    logger.info("Rappel %s envoyé à %s (%s objet(s))", type, user.username, len(retenus))
    return True


def _notifier(*, user, type, cles, sujet, contexte):
    """Le rappel rejoint aussi le centre de notifications (app echanges), sans second e-mail."""

    lien = next((v for k, v in contexte.items() if k.endswith("_url") and v), settings.SITE_URL + "/")
    notification_echeance_enregistrer(
        user=user,
        cle=f"rappel:{type}:{'+'.join(cles)}"[:120],
        titre=sujet.removeprefix("[PVD Suivi] "),
        url=lien.removeprefix(settings.SITE_URL),
    )


def _deja_envoyes(*, type, users):
    """{(user_id, clé)} déjà envoyés : une requête, pour ne pas tenter d'enregistrer ce qui l'est déjà.
    Ce n'est qu'un raccourci : la contrainte d'unicité reste seule juge (voir _reserver)."""
    return set(Rappel.objects.filter(type=type, user__in=users).values_list("user_id", "cle"))


def _envoyer_lots(*, type, lots, construire):
    """lots : [(user, {clé: objet})]. Renvoie le nombre d'e-mails envoyés."""
    deja = _deja_envoyes(type=type, users=[user for user, _ in lots])
    envoyes = 0
    for user, objets in lots:
        objets = {cle: objet for cle, objet in objets.items() if (user.pk, cle) not in deja}
        if objets and _envoyer(type=type, user=user, objets=objets, construire=construire):
            envoyes += 1
    return envoyes


def _agents_departementaux(departement_ids):
    """Agents départementaux à prévenir de ces départements, regroupés par département (une requête)."""
    par_departement = defaultdict(list)
    users = User.objects.filter(A_PREVENIR, role=Role.DEPARTEMENTAL, departement_id__in=set(departement_ids))
    for user in users.select_related("departement").order_by("pk"):
        par_departement[user.departement_id].append(user)
    return par_departement


# --- Campagne : section à remettre, note à transmettre ------------------------------------------------


def campagne_destinataires(*, aujourd_hui):
    """Sections non soumises et notes non transmises dont la campagne échoit d'ici RAPPEL_CAMPAGNE_JOURS
    jours (échéance comprise, pas encore passée), avec leurs destinataires.

    Renvoie (lots des sections, lots des notes) : [(user, {"section:<id>": section})],
    [(user, {"synthese:<id>": note})] ; chaque note porte `sections_a_remettre` (départements en retard)."""
    fenetre = (aujourd_hui, aujourd_hui + timedelta(days=settings.RAPPEL_CAMPAGNE_JOURS))
    sections = list(
        SectionDepartementale.objects.filter(
            synthese__campagne__date_echeance__range=fenetre,
            synthese__etat=EtatSynthese.EN_REDACTION,
            etat__in=ETATS_SECTION_MODIFIABLES,
            dispensee=False,
        )
        .select_related("synthese__campagne", "synthese__region", "departement")
        .order_by("synthese__campagne__date_echeance", "departement_id")
    )
    agents = _agents_departementaux(s.departement_id for s in sections)
    lots_sections = [
        (user, {f"section:{section.pk}": section})
        for section in sections
        for user in agents[section.departement_id]
    ]

    notes = list(
        Synthese.objects.filter(campagne__date_echeance__range=fenetre)
        .exclude(etat=EtatSynthese.TRANSMISE)
        .select_related("campagne", "region")
        .order_by("campagne__date_echeance", "region_id")
    )
    en_retard = defaultdict(list)
    for section in sections:
        en_retard[section.synthese_id].append(section)
    regionaux = defaultdict(list)
    users = User.objects.filter(A_PREVENIR, role=Role.REGIONAL, region_id__in={n.region_id for n in notes})
    for user in users.order_by("pk"):
        regionaux[user.region_id].append(user)
    lots_notes = []
    for note in notes:
        note.sections_a_remettre = en_retard[note.pk]
        lots_notes.extend((user, {f"synthese:{note.pk}": note}) for user in regionaux[note.region_id])
    return lots_sections, lots_notes


def _construire_section(sections):
    (section,) = sections  # une clé par lot
    campagne = section.synthese.campagne
    echeance = date_fr(campagne.date_echeance)
    sujet = (
        f"[PVD Suivi] Note de synthèse « {campagne.nom} » : section {section.departement.nom} "
        f"à remettre avant le {echeance}"
    )
    contexte = {
        "section": section,
        "campagne": campagne,
        "echeance": echeance,
        "section_url": url_produit("syntheses:section", section.pk),
    }
    return sujet, "campagne_section", contexte


def _construire_note(notes):
    (note,) = notes
    campagne = note.campagne
    echeance = date_fr(campagne.date_echeance)
    sujet = (
        f"[PVD Suivi] Note de synthèse « {campagne.nom} » : note {note.region.nom} "
        f"à transmettre avant le {echeance}"
    )
    contexte = {
        "note": note,
        "campagne": campagne,
        "echeance": echeance,
        "sections": note.sections_a_remettre,
        "note_url": url_produit("syntheses:synthese", note.pk),
    }
    return sujet, "campagne_note", contexte


def rappels_campagne_envoyer(*, aujourd_hui=None):
    """Rappels de l'échéance des campagnes ; renvoie le nombre d'e-mails envoyés."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    lots_sections, lots_notes = campagne_destinataires(aujourd_hui=aujourd_hui)
    return _envoyer_lots(
        type=TypeRappel.CAMPAGNE_SECTION, lots=lots_sections, construire=_construire_section
    ) + _envoyer_lots(type=TypeRappel.CAMPAGNE_NOTE, lots=lots_notes, construire=_construire_note)


# --- Échéance des 18 mois de la convention-cadre --------------------------------------------------------


def convention_cadre_communes(*, aujourd_hui):
    """Communes PVD (territoire non retiré) sans convention-cadre signée dont l'échéance des 18 mois après
    l'adhésion tombe entre aujourd'hui et dans RAPPEL_CONVENTION_CADRE_JOURS jours. Une requête.

    Même borne que l'alerte « échéance des 18 mois dépassée » (is_retard_cadre) : l'échéance est dépassée
    quand l'adhésion est antérieure à aujourd'hui moins 18 mois."""
    debut = mois_apres(aujourd_hui, -DELAI_CONVENTION_CADRE_MOIS)
    fin = mois_apres(
        aujourd_hui + timedelta(days=settings.RAPPEL_CONVENTION_CADRE_JOURS), -DELAI_CONVENTION_CADRE_MOIS
    )
    conventions = Convention.objects.filter(territoire=OuterRef("territoire"), date_signature__isnull=False)
    adhesion = conventions.filter(type=TypeConvention.ADHESION).order_by("date_signature")
    return (
        Commune.objects.pvd()
        .filter(territoire__isnull=False, territoire__date_retrait__isnull=True)
        .annotate(date_adhesion=Subquery(adhesion.values("date_signature")[:1]))
        .filter(date_adhesion__range=(debut, fin))
        .exclude(Exists(conventions.filter(type=TypeConvention.CADRE)))
        .select_related("territoire", "departement")
        .order_by("departement_id", "date_adhesion", "nom")
    )


def convention_cadre_destinataires(*, aujourd_hui):
    """[(user, {"territoire:<id>": [communes du territoire]})] : un lot par agent départemental."""
    territoires = defaultdict(list)
    for commune in convention_cadre_communes(aujourd_hui=aujourd_hui):
        commune.echeance = mois_apres(commune.date_adhesion, DELAI_CONVENTION_CADRE_MOIS)
        commune.jours_restants = (commune.echeance - aujourd_hui).days
        commune.url = url_produit("communes:detail", commune.code_insee)
        territoires[commune.territoire_id].append(commune)
    par_departement = defaultdict(dict)
    for territoire_id, communes in territoires.items():
        par_departement[communes[0].departement_id][f"territoire:{territoire_id}"] = communes
    agents = _agents_departementaux(par_departement)
    return [(user, par_departement[code]) for code in sorted(par_departement) for user in agents[code]]


def _construire_convention_cadre(territoires):
    communes = sorted((c for communes in territoires for c in communes), key=lambda c: (c.echeance, c.nom))
    departement = communes[0].departement
    quoi = communes[0].nom if len(communes) == 1 else f"{len(communes)} communes"
    sujet = (
        f"[PVD Suivi] {departement.nom} : convention-cadre à signer avant l’échéance des 18 mois pour {quoi}"
    )
    contexte = {
        "departement": departement,
        "communes": [
            {"commune": c, "echeance": date_fr(c.echeance), "adhesion": date_fr(c.date_adhesion)}
            for c in communes
        ],
        "liste_url": url_produit("communes:liste"),
    }
    return sujet, "convention_cadre", contexte


def rappels_convention_cadre_envoyer(*, aujourd_hui=None):
    """Rappels de l'échéance des 18 mois ; renvoie le nombre d'e-mails envoyés."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    return _envoyer_lots(
        type=TypeRappel.CONVENTION_CADRE,
        lots=convention_cadre_destinataires(aujourd_hui=aujourd_hui),
        construire=_construire_convention_cadre,
    )


# --- Club départemental PVD ---------------------------------------------------------------------------


def semestre(jour):
    """(numéro, premier jour, dernier jour) du semestre civil de `jour`."""
    if jour.month <= 6:
        return 1, date(jour.year, 1, 1), date(jour.year, 6, 30)
    return 2, date(jour.year, 7, 1), date(jour.year, 12, 31)


def club_departements(*, aujourd_hui):
    """Départements ayant des communes PVD sans réunion du club prévue (datée d'aujourd'hui ou après) d'ici
    la fin du semestre, quand cette fin est à moins de RAPPEL_CLUB_JOURS jours. Une requête ; chaque
    département porte `reunions_semestre_count` (réunions déjà tenues ce semestre)."""
    _, debut, fin = semestre(aujourd_hui)
    if (fin - aujourd_hui).days > settings.RAPPEL_CLUB_JOURS:
        return Departement.objects.none()
    reunions = ReunionClub.objects.filter(departement=OuterRef("pk"))
    return (
        Departement.objects.filter(Exists(Commune.objects.pvd().filter(departement=OuterRef("pk"))))
        .exclude(Exists(reunions.filter(date__range=(aujourd_hui, fin))))
        .annotate(
            reunions_semestre_count=Count(
                "reunions_club", filter=Q(reunions_club__date__range=(debut, aujourd_hui))
            )
        )
        .order_by("code")
    )


def club_destinataires(*, aujourd_hui):
    """[(user, {"club:<département>:<année>-S<n>": département})]."""
    numero = semestre(aujourd_hui)[0]
    departements = list(club_departements(aujourd_hui=aujourd_hui))
    agents = _agents_departementaux(d.code for d in departements)
    return [
        (user, {f"club:{d.code}:{aujourd_hui.year}-S{numero}": d})
        for d in departements
        for user in agents[d.code]
    ]


def _construire_club(departements, *, aujourd_hui):
    (departement,) = departements
    numero, _, fin = semestre(aujourd_hui)
    sujet = f"[PVD Suivi] {departement.nom} : aucune réunion du club PVD prévue d’ici le {date_fr(fin)}"
    contexte = {
        "departement": departement,
        "fin": date_fr(fin),
        "semestre": "premier semestre" if numero == 1 else "second semestre",
        "reunion_url": url_produit("clubs:reunion_creer"),
        "rythme_url": url_produit("clubs:rythme"),
    }
    return sujet, "club", contexte


def rappels_club_envoyer(*, aujourd_hui=None):
    """Rappels des réunions de club à prévoir ; renvoie le nombre d'e-mails envoyés."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    return _envoyer_lots(
        type=TypeRappel.CLUB,
        lots=club_destinataires(aujourd_hui=aujourd_hui),
        construire=partial(_construire_club, aujourd_hui=aujourd_hui),
    )
