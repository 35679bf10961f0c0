"""Écritures des notes de synthèse : ouverture de campagne, travail des départements et de la région
(chaque transition est tracée), demande et exécution de la génération du PDF (job Celery)."""

import hashlib
import logging
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

from celery import group
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from kombu.exceptions import KombuError
from weasyprint.urls import FatalURLFetchingError

from communes.services import ConflitEdition
from pvd.formats import compte, trier_alphabetique
from syntheses.constants import (
    ETATS_GENERATION_ACTIFS,
    ETATS_SECTION_MODIFIABLES,
    MOTIF_SANS_COMMUNE_PVD,
    ActionTransition,
    EtatGeneration,
    EtatSection,
    EtatSynthese,
    LectureSection,
)
from syntheses.models import (
    Campagne,
    CommuneRisque,
    Generation,
    Lot,
    SectionDepartementale,
    Synthese,
    Transition,
    VersionPdf,
)
from territoires.models import Commune, Departement, Region, alphabetique

logger = logging.getLogger(__name__)

# Marge au-delà de CELERY_TASK_TIME_LIMIT avant de considérer un job actif comme perdu.
DELAI_ABANDON_S = 300
# Marge au-delà de CELERY_TASK_TIME_LIMIT avant qu'un job « en cours » soit repris par une autre tâche.
MARGE_BAIL_S = 30
# Fichier PDF en cours d'écriture (caché) ; jamais servi, supprimé s'il reste après un arrêt brutal.
PREFIXE_TEMPORAIRE = ".ecriture-"
# Reprises d'un job dont le worker s'est arrêté en cours de route, avant de le déclarer en échec.
TENTATIVES_MAX = 3
MESSAGE_WORKER_PERDU = (
    "Le worker s’est arrêté pendant la production du PDF à plusieurs reprises. Réessayez ; si l’échec se "
    "répète, signalez-le à l’équipe PVD Suivi."
)


class TransitionInterdite(ValidationError):
    """L'action n'est pas possible dans l'état actuel de la note ou de la section (message en français)."""


def _tracer(*, synthese, user, action, section=None, avant="", apres="", commentaire=""):
    return Transition.objects.create(
        synthese=synthese,
        section=section,
        action=action,
        etat_avant=avant,
        etat_apres=apres,
        commentaire=commentaire,
        user=user,
    )


def _enregistrer(objet, *, user, action, avant, apres=None, commentaire=""):
    """Enregistre la note ou la section modifiée (nouvelle version) et trace l'action dans l'historique."""
    objet.version += 1
    objet.save()
    section = objet if isinstance(objet, SectionDepartementale) else None
    _tracer(
        synthese=section.synthese if section else objet,
        section=section,
        user=user,
        action=action,
        avant=avant,
        apres=objet.etat if apres is None else apres,
        commentaire=commentaire,
    )
    return objet


def _notifier(type, objet, *, user, commentaire=""):
    """L'événement part vers les notifications (app echanges) après la validation de la transaction."""
    from echanges.services import notifier_apres_commit

    notifier_apres_commit(type=type, objet=objet, acteur=user, commentaire=commentaire)


def _etat_section(section):
    return "dispensee" if section.dispensee else section.etat


# --- Campagne --------------------------------------------------------------------------------------


@transaction.atomic
def campagne_creer(
    *,
    nom,
    date_echeance,
    date_limite_phase_operationnelle,
    questions,
    user=None,
    destinataire="",
    reference_instruction="",
):
    """Ouvre une campagne : une note par région, une section par département. Un département sans commune
    PVD reçoit une section dispensée d'office (rien à y écrire)."""
    if user is not None and not user.sees_everything:
        raise PermissionDenied("Seul le niveau national ouvre une campagne.")
    campagne = Campagne(
        nom=nom,
        date_echeance=date_echeance,
        date_limite_phase_operationnelle=date_limite_phase_operationnelle,
        questions=questions,
        destinataire=destinataire,
        reference_instruction=reference_instruction,
        created_by=user,
    )
    campagne.full_clean()
    campagne.save()
    syntheses = Synthese.objects.bulk_create(
        [Synthese(campagne=campagne, region=region) for region in Region.objects.order_by("code")]
    )
    par_region = {s.region_id: s for s in syntheses}
    avec_pvd = set(Commune.objects.pvd().values_list("departement_id", flat=True).distinct())
    SectionDepartementale.objects.bulk_create(
        [
            SectionDepartementale(
                synthese=par_region[d.region_id],
                departement=d,
                dispensee=d.code not in avec_pvd,
                dispense_motif="" if d.code in avec_pvd else MOTIF_SANS_COMMUNE_PVD,
            )
            for d in Departement.objects.order_by("code")
        ]
    )
    Transition.objects.bulk_create(
        [
            Transition(synthese=s, action=ActionTransition.CREATION, etat_apres=s.etat, user=user)
            for s in syntheses
        ]
    )
    return campagne


# --- Travail du département ------------------------------------------------------------------------


def _section_verrouillee(section_id):
    return (
        SectionDepartementale.objects.select_for_update()
        .select_related("synthese", "departement")
        .get(pk=section_id)
    )


def _verifier_redaction(section, user):
    if not (user.role == "departemental" and user.departement_id == section.departement_id):
        raise PermissionDenied("Seuls les agents du département rédigent sa section.")
    if not section.synthese.is_modifiable:
        raise TransitionInterdite(
            f"La note est « {section.synthese.get_etat_display().lower()} » : elle ne se modifie plus."
        )
    if section.dispensee:
        raise TransitionInterdite("La région a dispensé cette section : elle ne se rédige pas.")
    if section.etat not in ETATS_SECTION_MODIFIABLES:
        raise TransitionInterdite("La section a été soumise à la région : elle ne se modifie plus.")


@transaction.atomic
def section_enregistrer(*, section, user, dynamique, leviers, difficultes, texte_libre, version):
    """Enregistre le texte d'une section ; refuse si quelqu'un l'a enregistrée depuis son ouverture."""
    actuelle = _section_verrouillee(section.pk)
    _verifier_redaction(actuelle, user)
    if version is None or actuelle.version != version:
        raise ConflitEdition(actuelle)
    avant = actuelle.etat
    actuelle.dynamique, actuelle.leviers = dynamique, leviers
    actuelle.difficultes, actuelle.texte_libre = difficultes, texte_libre
    if actuelle.etat == EtatSection.A_REDIGER:
        actuelle.etat = EtatSection.EN_REDACTION
    return _enregistrer(actuelle, user=user, action=ActionTransition.ENREGISTREMENT, avant=avant)


@transaction.atomic
def section_risques_confirmer(*, section, user, communes):
    """Confirme la liste des communes en difficulté de la section.

    communes : liste de dicts {"commune": Commune PVD du département, "justification": str,
    "is_suggere": bool} ; une liste vide est une confirmation valable (aucune commune en difficulté)."""
    actuelle = _section_verrouillee(section.pk)
    _verifier_redaction(actuelle, user)
    erreurs = []
    for ligne in communes:
        commune = ligne["commune"]
        if commune.departement_id != actuelle.departement_id or not commune.is_pvd:
            erreurs.append(f"{commune.nom} n’est pas une commune PVD du département.")
        if not (ligne.get("justification") or "").strip():
            erreurs.append(f"Justifiez la difficulté de {commune.nom}.")
    if erreurs:
        raise ValidationError(erreurs)
    actuelle.communes_risque.all().delete()
    CommuneRisque.objects.bulk_create(
        [
            CommuneRisque(
                section=actuelle,
                commune=ligne["commune"],
                justification=ligne["justification"].strip(),
                is_suggere=bool(ligne.get("is_suggere")),
            )
            for ligne in communes
        ]
    )
    avant = actuelle.etat
    if actuelle.etat == EtatSection.A_REDIGER:
        actuelle.etat = EtatSection.EN_REDACTION
    actuelle.risques_confirmes_par, actuelle.risques_confirmes_le = user, timezone.now()
    noms = ", ".join(trier_alphabetique((ligne["commune"].nom for ligne in communes), cle=str)) or "aucune"
    return _enregistrer(
        actuelle,
        user=user,
        action=ActionTransition.RISQUES,
        avant=avant,
        commentaire=f"{compte(len(communes), 'commune retenue', 'communes retenues')} : {noms}.",
    )


@transaction.atomic
def section_soumettre(*, section, user):
    actuelle = _section_verrouillee(section.pk)
    _verifier_redaction(actuelle, user)
    manquants = [
        libelle
        for champ, libelle in (
            ("dynamique", "la dynamique observée"),
            ("leviers", "les leviers"),
            ("difficultes", "les difficultés"),
        )
        if not getattr(actuelle, champ).strip()
    ]
    if manquants:
        raise TransitionInterdite(f"Avant de soumettre, rédigez {', '.join(manquants)}.")
    if actuelle.risques_confirmes_le is None:
        raise TransitionInterdite("Avant de soumettre, confirmez la liste des communes en difficulté.")
    avant = actuelle.etat
    actuelle.etat = EtatSection.SOUMISE
    actuelle.soumise_par, actuelle.soumise_le = user, timezone.now()
    _lecture_effacer(actuelle)
    _enregistrer(actuelle, user=user, action=ActionTransition.SOUMISSION, avant=avant)
    _notifier("section_soumise", actuelle, user=user)
    return actuelle


# --- Travail de la région --------------------------------------------------------------------------


def _verifier_consolidation(synthese, user):
    if not synthese.can_consolidate(user):
        raise PermissionDenied("Seuls les agents de la région consolident sa note.")


def _verifier_en_redaction(synthese):
    if not synthese.is_modifiable:
        raise TransitionInterdite(
            f"La note est « {synthese.get_etat_display().lower()} » : rouvrez-la avant de la modifier."
            if synthese.etat == EtatSynthese.VALIDEE
            else "La note a été transmise au ministère : elle ne se modifie plus."
        )


def _lecture_effacer(section):
    """Une section soumise à nouveau ou renvoyée se relit : sa marque « lue / acceptée » s'efface."""
    section.lecture, section.lecture_par, section.lecture_le = LectureSection.NON_LUE, None, None


@transaction.atomic
def section_lecture_marquer(*, section, user, lecture, commentaire=""):
    """La région marque une section soumise comme lue ou acceptée pour la note (vue de lecture), avec un
    commentaire facultatif : publié dans le fil de la section (département et région, qui en sont prévenus) et
    gardé dans l'historique."""
    actuelle = _section_verrouillee(section.pk)
    _verifier_consolidation(actuelle.synthese, user)
    _verifier_en_redaction(actuelle.synthese)
    if actuelle.dispensee or actuelle.etat != EtatSection.SOUMISE:
        raise TransitionInterdite(
            "Seule une section soumise par le département se marque comme lue ou acceptée."
        )
    if lecture not in (LectureSection.LUE, LectureSection.ACCEPTEE):
        raise TransitionInterdite("Choisissez « lue » ou « acceptée ».")
    avant = actuelle.lecture
    actuelle.lecture, actuelle.lecture_par, actuelle.lecture_le = lecture, user, timezone.now()
    commentaire = commentaire.strip()
    _enregistrer(
        actuelle,
        user=user,
        action=ActionTransition.LECTURE,
        avant=avant or "non_lue",
        apres=lecture,
        commentaire=commentaire,
    )
    if commentaire:
        from echanges.constants import Visibilite
        from echanges.services import commentaire_publier

        commentaire_publier(auteur=user, texte=commentaire, visibilite=Visibilite.REGION, section=actuelle)
    return actuelle


@transaction.atomic
def section_renvoyer(*, section, user, commentaire):
    actuelle = _section_verrouillee(section.pk)
    _verifier_consolidation(actuelle.synthese, user)
    _verifier_en_redaction(actuelle.synthese)
    if actuelle.etat != EtatSection.SOUMISE:
        raise TransitionInterdite("Seule une section soumise peut être renvoyée au département.")
    if not commentaire.strip():
        raise TransitionInterdite("Expliquez au département ce qu’il doit reprendre.")
    avant = actuelle.etat
    actuelle.etat = EtatSection.RENVOYEE
    actuelle.commentaire_renvoi = commentaire.strip()
    _lecture_effacer(actuelle)
    _enregistrer(
        actuelle,
        user=user,
        action=ActionTransition.RENVOI,
        avant=avant,
        commentaire=actuelle.commentaire_renvoi,
    )
    _notifier("section_renvoyee", actuelle, user=user, commentaire=actuelle.commentaire_renvoi)
    return actuelle


@transaction.atomic
def section_dispenser(*, section, user, motif):
    """La région renonce explicitement à la section d'un département (elle ne bloque plus la validation)."""
    actuelle = _section_verrouillee(section.pk)
    _verifier_consolidation(actuelle.synthese, user)
    _verifier_en_redaction(actuelle.synthese)
    if actuelle.dispensee:
        raise TransitionInterdite("La section est déjà dispensée.")
    if actuelle.etat == EtatSection.SOUMISE:
        raise TransitionInterdite("La section a été soumise : renvoyez-la plutôt que de la dispenser.")
    if not motif.strip():
        raise TransitionInterdite("Indiquez le motif de la dispense.")
    avant = _etat_section(actuelle)
    actuelle.dispensee, actuelle.dispense_motif = True, motif.strip()
    return _enregistrer(
        actuelle,
        user=user,
        action=ActionTransition.DISPENSE,
        avant=avant,
        apres="dispensee",
        commentaire=actuelle.dispense_motif,
    )


@transaction.atomic
def section_dispense_lever(*, section, user):
    actuelle = _section_verrouillee(section.pk)
    _verifier_consolidation(actuelle.synthese, user)
    _verifier_en_redaction(actuelle.synthese)
    if not actuelle.dispensee:
        raise TransitionInterdite("La section n’est pas dispensée.")
    actuelle.dispensee, actuelle.dispense_motif = False, ""
    return _enregistrer(actuelle, user=user, action=ActionTransition.LEVEE_DISPENSE, avant="dispensee")


def _synthese_verrouillee(synthese_id):
    return Synthese.objects.select_for_update().select_related("campagne", "region").get(pk=synthese_id)


@transaction.atomic
def synthese_vue_ensemble_enregistrer(*, synthese, user, vue_ensemble, version, **signature):
    """La vue d'ensemble de la région et, facultatifs, le lieu et le signataire de la lettre (lieu,
    signataire_titre, signataire_nom)."""
    actuelle = _synthese_verrouillee(synthese.pk)
    _verifier_consolidation(actuelle, user)
    _verifier_en_redaction(actuelle)
    if version is None or actuelle.version != version:
        raise ConflitEdition(actuelle)
    actuelle.vue_ensemble = vue_ensemble
    for champ in ("lieu", "signataire_titre", "signataire_nom"):
        if champ in signature:
            setattr(actuelle, champ, signature[champ])
    return _enregistrer(actuelle, user=user, action=ActionTransition.VUE_ENSEMBLE, avant=actuelle.etat)


@transaction.atomic
def synthese_valider(*, synthese, user):
    """La région valide la note : toutes les sections doivent être soumises ou explicitement dispensées."""
    actuelle = _synthese_verrouillee(synthese.pk)
    _verifier_consolidation(actuelle, user)
    if actuelle.etat != EtatSynthese.EN_REDACTION:
        raise TransitionInterdite("Seule une note en rédaction peut être validée.")
    attente = [
        s.departement.nom
        for s in actuelle.sections.select_related("departement").order_by("departement__code")
        if not s.is_prete
    ]
    if attente:
        raise TransitionInterdite(
            "Chaque section doit être soumise ou dispensée avant la validation. En attente : "
            + ", ".join(attente)
            + "."
        )
    if not actuelle.vue_ensemble.strip():
        raise TransitionInterdite("Rédigez la vue d’ensemble régionale avant de valider la note.")
    actuelle.etat = EtatSynthese.VALIDEE
    actuelle.validee_par, actuelle.validee_le = user, timezone.now()
    _enregistrer(actuelle, user=user, action=ActionTransition.VALIDATION, avant=EtatSynthese.EN_REDACTION)
    _notifier("note_validee", actuelle, user=user)
    return actuelle


@transaction.atomic
def synthese_rouvrir(*, synthese, user, commentaire=""):
    actuelle = _synthese_verrouillee(synthese.pk)
    _verifier_consolidation(actuelle, user)
    if actuelle.etat != EtatSynthese.VALIDEE:
        raise TransitionInterdite("Seule une note validée, pas encore transmise, peut être rouverte.")
    actuelle.etat = EtatSynthese.EN_REDACTION
    actuelle.validee_par, actuelle.validee_le = None, None
    return _enregistrer(
        actuelle,
        user=user,
        action=ActionTransition.REOUVERTURE,
        avant=EtatSynthese.VALIDEE,
        commentaire=commentaire,
    )


@transaction.atomic
def synthese_transmettre(*, synthese, user):
    actuelle = _synthese_verrouillee(synthese.pk)
    _verifier_consolidation(actuelle, user)
    if actuelle.etat != EtatSynthese.VALIDEE:
        raise TransitionInterdite("Validez la note avant de la transmettre au ministère.")
    actuelle.etat = EtatSynthese.TRANSMISE
    actuelle.transmise_par, actuelle.transmise_le = user, timezone.now()
    _figer(actuelle)
    resultat = _enregistrer(
        actuelle, user=user, action=ActionTransition.TRANSMISSION, avant=EtatSynthese.VALIDEE
    )
    _notifier("note_transmise", actuelle, user=user)
    # Le PDF définitif, produit par le worker depuis le document figé.
    generation_demander(synthese=actuelle, user=user)
    return resultat


def instantane_calculer(synthese):
    """Les chiffres de la note à cet instant, en données simples : la région et chacun de ses départements."""
    from syntheses.chiffres import instantane
    from tableau.indicateurs import chiffres_calculer

    codes = list(synthese.sections.values_list("departement_id", flat=True))
    return instantane(chiffres_calculer(codes), calcule_le=timezone.localdate())


def _figer(synthese):
    """Fige la note transmise : ses chiffres (instantane) et son document (le HTML d'impression rendu à cet
    instant, état « transmise » : sans la mention « document de travail »)."""
    from syntheses.pdf import note_html

    synthese.instantane = instantane_calculer(synthese)
    synthese.html_transmis = note_html(synthese=synthese)


# --- Génération du PDF -----------------------------------------------------------------------------


def _envoyer(generations):
    """Remet les tâches au broker après validation de la transaction (jamais avant : le worker ne verrait
    pas la ligne du job).

    Broker injoignable : l'envoi échoue vite (CELERY_TASK_PUBLISH_RETRY_POLICY, délai de connexion court),
    rien n'est perdu : le job passe « en attente d'envoi » et generations_reprendre l'enverra dès que le
    broker répondra. Les objets reçus portent l'état final, que la vue lit pour prévenir l'utilisateur."""
    transaction.on_commit(lambda: _remettre(generations))


def _remettre(generations):
    from syntheses.tasks import synthese_generer_task

    ids = [g.pk for g in generations]
    try:
        if len(ids) == 1:
            synthese_generer_task.apply_async(kwargs={"generation_id": ids[0]})
        else:
            group(synthese_generer_task.si(generation_id=pk) for pk in ids).apply_async()
    except (KombuError, OSError) as exc:
        logger.warning("Broker injoignable : %s job(s) en attente d'envoi (%s)", len(ids), exc)
        # Seul un job pas encore pris par un worker change d'état.
        Generation.objects.filter(pk__in=ids, etat=EtatGeneration.QUEUED).update(etat=EtatGeneration.UNSENT)
        etat = EtatGeneration.UNSENT
    else:
        Generation.objects.filter(pk__in=ids, etat=EtatGeneration.UNSENT).update(etat=EtatGeneration.QUEUED)
        Generation.objects.filter(pk__in=ids).update(sent_at=timezone.now())
        etat = EtatGeneration.QUEUED
    for generation in generations:
        if generation.etat in (EtatGeneration.UNSENT, EtatGeneration.QUEUED):
            generation.etat = etat
    return etat == EtatGeneration.QUEUED


def _generation_abandonnee(generation):
    """Un job actif bien au-delà de la durée maximale d'une tâche : son message s'est perdu (broker vidé,
    worker arrêté). Il passe en échec pour ne pas bloquer la note. Un job en attente d'envoi ne l'est
    jamais : il attend le retour du broker."""
    if generation.etat == EtatGeneration.UNSENT:
        return False
    limite = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + DELAI_ABANDON_S)
    return (generation.started_at or generation.sent_at or generation.created_at) < limite


def _generation_creer(*, synthese, user, lot=None):
    """Crée le job, ou renvoie celui qui attend ou tourne déjà pour cette note (pas de doublon)."""
    existante = Generation.objects.filter(synthese=synthese, etat__in=ETATS_GENERATION_ACTIFS).first()
    if existante is not None and _generation_abandonnee(existante):
        Generation.objects.filter(pk=existante.pk, etat__in=ETATS_GENERATION_ACTIFS).update(
            etat=EtatGeneration.FAILED,
            erreur="La génération n’a pas abouti dans le délai prévu (worker arrêté ?) ; elle a été abandonnée.",
            finished_at=timezone.now(),
        )
        existante = None
    if existante is not None:
        return existante, False
    try:
        with transaction.atomic():
            return Generation.objects.create(synthese=synthese, requested_by=user, lot=lot), True
    except IntegrityError:  # demande simultanée : l'autre l'a créée
        return Generation.objects.get(synthese=synthese, etat__in=ETATS_GENERATION_ACTIFS), False


@transaction.atomic
def generation_demander(*, synthese, user):
    """« Générer le PDF » : crée le job et envoie la tâche à la validation de la transaction."""
    if not synthese.can_generate(user):
        raise PermissionDenied("Seuls la région et le niveau national produisent le PDF de la note.")
    generation, creee = _generation_creer(synthese=synthese, user=user)
    if creee or generation.etat == EtatGeneration.UNSENT:  # nouvelle demande ou nouvel essai d'envoi
        _envoyer([generation])
    return generation


@transaction.atomic
def generation_relancer(*, generation, user):
    """Relance un job en échec : même ligne, nouvelle tentative."""
    actuelle = Generation.objects.select_for_update().select_related("synthese").get(pk=generation.pk)
    if not actuelle.synthese.can_generate(user):
        raise PermissionDenied("Seuls la région et le niveau national produisent le PDF de la note.")
    if actuelle.etat != EtatGeneration.FAILED:
        raise TransitionInterdite("Seule une génération en échec peut être relancée.")
    if Generation.objects.filter(synthese=actuelle.synthese, etat__in=ETATS_GENERATION_ACTIFS).exists():
        raise TransitionInterdite("Une autre génération de cette note est déjà en cours.")
    actuelle.etat, actuelle.erreur, actuelle.progression, actuelle.etape = EtatGeneration.QUEUED, "", 0, ""
    actuelle.started_at = actuelle.finished_at = None
    actuelle.requested_by = user
    actuelle.save()
    _envoyer([actuelle])
    return actuelle


@transaction.atomic
def lot_demander(*, campagne, user):
    """Toutes les régions d'une campagne en une fois : un job par note, envoyés en groupe Celery."""
    if not user.sees_everything:
        raise PermissionDenied("Seul le niveau national produit les notes de toutes les régions.")
    lot = Lot.objects.create(campagne=campagne, created_by=user)
    a_envoyer = []
    # Les plus grandes régions d'abord : les processus du worker finissent à peu près ensemble.
    communes_pvd = Count(
        "region__departements__communes",
        filter=Q(
            region__departements__communes__id_pvd__isnull=False,
            region__departements__communes__sortie_liste__isnull=True,
        ),
    )
    for synthese in campagne.syntheses.annotate(n=communes_pvd).order_by("-n", "region__nom"):
        generation, creee = _generation_creer(synthese=synthese, user=user, lot=lot)
        if not creee:  # déjà en file : le lot suit ce job-là
            Generation.objects.filter(pk=generation.pk).update(lot=lot)
        if creee or generation.etat == EtatGeneration.UNSENT:
            a_envoyer.append(generation)
    if a_envoyer:
        _envoyer(a_envoyer)
    return lot


def _avancer(generation, **valeurs):
    """Écrit l'avancement tout de suite (hors transaction) : la page le lit pendant le calcul."""
    Generation.objects.filter(pk=generation.pk).update(**valeurs)
    for nom, valeur in valeurs.items():
        if not hasattr(valeur, "resolve_expression"):
            setattr(generation, nom, valeur)


def _message_erreur(exc):
    if isinstance(exc, SoftTimeLimitExceeded):
        return "La production du PDF a dépassé le temps autorisé. Réessayez plus tard."
    if isinstance(exc, FatalURLFetchingError) and exc.__cause__ is not None:
        exc = exc.__cause__  # message du fetcher, en français
    detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return (
        "La production du PDF a échoué"
        + (f" : {detail}" if detail else f" ({type(exc).__name__})")
        + ". Réessayez ; si l’échec se répète, signalez-le à l’équipe PVD Suivi."
    )


def _bail_expire():
    """Au-delà de CELERY_TASK_TIME_LIMIT, le pool a tué la tâche : un job « en cours » depuis plus longtemps
    n'a plus personne pour le finir."""
    return timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + MARGE_BAIL_S)


def synthese_generer(*, generation_id, task_id="", worker=""):
    """Exécute un job (appelé par le worker) : chiffres → HTML → PDF → version.

    Idempotent : un job terminé n'est pas refait ; un PDF identique à une version existante (même
    SHA-256) ne crée pas de nouvelle version. Pas de transaction englobante : l'avancement doit être
    lisible pendant le calcul ; seule l'écriture finale (version + fin du job) est atomique.

    Prise du job (une seule requête UPDATE, donc une seule exécution à la fois) : un job en attente, ou un
    job « en cours » que reprend la redistribution du même message (task_id identique : le worker qui le
    tenait est mort, acks_late) ou dont le bail a expiré. Sinon (terminé, en échec, ou en cours ailleurs) :
    rien à faire, le message est acquitté sans effet."""
    from syntheses.pdf import note_html, pdf_rendre, source_signature

    maintenant = timezone.now()
    abandonnee = Q(etat=EtatGeneration.RUNNING, started_at__lt=_bail_expire())
    if task_id:
        abandonnee |= Q(etat=EtatGeneration.RUNNING, task_id=task_id)
    # Un job qui a déjà fait tomber le worker TENTATIVES_MAX fois ne le fera pas une fois de plus.
    Generation.objects.filter(abandonnee, pk=generation_id, tentatives__gte=TENTATIVES_MAX).update(
        etat=EtatGeneration.FAILED, erreur=MESSAGE_WORKER_PERDU, finished_at=maintenant
    )
    reprenable = Q(etat__in=(EtatGeneration.UNSENT, EtatGeneration.QUEUED)) | abandonnee
    prise = Generation.objects.filter(reprenable, pk=generation_id).update(
        etat=EtatGeneration.RUNNING,
        started_at=maintenant,
        finished_at=None,
        erreur="",
        progression=5,
        etape="Calcul des chiffres",
        tentatives=F("tentatives") + 1,
        task_id=task_id,
        worker=worker,
    )
    generation = (
        Generation.objects.select_related("synthese__campagne", "synthese__region")
        .filter(pk=generation_id)
        .first()
    )
    if generation is None:
        logger.warning("Génération %s introuvable : tâche ignorée", generation_id)
        return None
    if not prise:
        logger.info("Génération %s %s : tâche ignorée", generation_id, generation.get_etat_display().lower())
        return generation
    try:
        synthese = generation.synthese
        # Une note transmise est figée : son PDF vient du document enregistré à la transmission.
        html = synthese.html_transmis or note_html(synthese=synthese)
        source = source_signature(html)
        # Même source (HTML + feuille de style, polices, images, version de WeasyPrint) qu'une version
        # existante : le rendu, déterministe, redonnerait les mêmes octets ; on reprend cette version.
        version = VersionPdf.objects.filter(synthese=synthese, source_sha256=source).first()
        nouvelle = False
        if version is None:
            _avancer(generation, progression=30, etape="Mise en page")

            def progression(fraction, etape):
                _avancer(generation, progression=30 + int(60 * fraction), etape=etape)

            contenu, pages_count = pdf_rendre(html, progression=progression)
            _avancer(generation, progression=95, etape="Enregistrement")
            version, nouvelle = _version_enregistrer(
                synthese=synthese,
                contenu=contenu,
                pages_count=pages_count,
                user=generation.requested_by,
                source=source,
            )
        _avancer(
            generation,
            etat=EtatGeneration.DONE,
            progression=100,
            etape="Terminé",
            version=version,
            is_nouvelle_version=nouvelle,
            finished_at=timezone.now(),
        )
    except (Exception, FatalURLFetchingError) as exc:  # FatalURLFetchingError hérite de BaseException
        logger.exception("Échec de la génération %s", generation_id)
        _avancer(
            generation,
            etat=EtatGeneration.FAILED,
            erreur=_message_erreur(exc),
            finished_at=timezone.now(),
        )
    generation.refresh_from_db()
    return generation


def generations_reprendre(*, worker="", demarre=None):
    """Reprise sur panne (tâche périodique de beat, et à chaque démarrage d'un worker) : renvoie au broker

    - les jobs « en attente d'envoi » (broker injoignable lors de la demande) ;
    - les jobs « en cours » dont le worker est mort : le nœud `worker` qui vient de (re)démarrer à
      `demarre` ne fait plus tourner ceux qu'il avait pris avant ; et tout job dont le bail a expiré ;
    - les jobs « en file d'attente » remis au broker depuis plus que la durée d'un bail : leur message a pu
      se perdre (broker filesystem:// : un message pris par un worker tué disparaît avec lui).

    Renvoyer un message en trop est sans effet : la tâche ne prend que les jobs encore à faire. Renvoie le
    nombre de jobs renvoyés."""
    limite = _bail_expire()
    orphelins = Q(etat=EtatGeneration.RUNNING, started_at__lt=limite)
    if worker and demarre is not None:
        orphelins |= Q(etat=EtatGeneration.RUNNING, worker=worker, started_at__lt=demarre)
    with transaction.atomic():
        Generation.objects.filter(orphelins, tentatives__gte=TENTATIVES_MAX).update(
            etat=EtatGeneration.FAILED, erreur=MESSAGE_WORKER_PERDU, finished_at=timezone.now()
        )
        repris = Generation.objects.filter(orphelins).update(
            etat=EtatGeneration.QUEUED,
            task_id="",
            worker="",
            started_at=None,
            sent_at=None,
            progression=0,
            etape="",
        )
        if repris:
            logger.warning("%s génération(s) interrompue(s) par l'arrêt d'un worker : reprises", repris)
        a_envoyer = list(
            Generation.objects.filter(
                Q(etat=EtatGeneration.UNSENT)
                | Q(etat=EtatGeneration.QUEUED, sent_at__isnull=True)
                | Q(etat=EtatGeneration.QUEUED, sent_at__lt=limite)
            ).order_by("created_at", "pk")
        )
        if a_envoyer:
            _envoyer(a_envoyer)
    return len(a_envoyer)


@transaction.atomic
def _version_enregistrer(*, synthese, contenu, pages_count, user, source=""):
    """Nouvelle version seulement si le contenu est nouveau ; renvoie (version, nouvelle)."""
    sha256 = hashlib.sha256(contenu).hexdigest()
    Synthese.objects.select_for_update().filter(pk=synthese.pk).first()  # sérialise les versions d'une note
    existante = VersionPdf.objects.filter(synthese=synthese, sha256=sha256).first()
    if existante is not None:
        if source and not existante.source_sha256:
            VersionPdf.objects.filter(pk=existante.pk).update(source_sha256=source)
        return existante, False
    numero = (VersionPdf.objects.filter(synthese=synthese).aggregate(n=Max("numero"))["n"] or 0) + 1
    version = VersionPdf(
        synthese=synthese,
        numero=numero,
        sha256=sha256,
        taille=len(contenu),
        pages_count=pages_count,
        etat_synthese=synthese.etat,
        created_by=user,
        source_sha256=source,
    )
    version.fichier.name = _pdf_ecrire(version, f"note-{synthese.region_id}-{sha256[:16]}.pdf", contenu)
    version.save()
    return version, True


def _pdf_ecrire(version, nom, contenu):
    """Écrit le PDF sous son nom définitif, tout ou rien, et renvoie ce nom (relatif au stockage).

    Le nom vient de la somme du contenu : deux écritures du même nom ont les mêmes octets. Sur disque :
    fichier temporaire caché dans le même dossier, fsync, puis os.replace (atomique) ; un worker tué en
    cours d'écriture ne laisse jamais un PDF tronqué sous un nom valide, et le fichier temporaire qu'il
    a pu laisser est supprimé par l'écriture suivante dans ce dossier (appelée sous le verrou de la note,
    voir _version_enregistrer). Stockage sans chemin local (objet) : un seul envoi, le contenu complet."""
    champ = version.fichier.field
    nom = champ.generate_filename(version, nom)
    stockage = champ.storage
    try:
        chemin = Path(stockage.path(nom))
    except NotImplementedError:
        if stockage.exists(nom):
            stockage.delete(nom)
        return stockage.save(nom, ContentFile(contenu))
    chemin.parent.mkdir(parents=True, exist_ok=True)
    for reste in chemin.parent.glob(f"{PREFIXE_TEMPORAIRE}*"):
        reste.unlink(missing_ok=True)
    descripteur, temporaire = tempfile.mkstemp(dir=chemin.parent, prefix=PREFIXE_TEMPORAIRE, suffix=".pdf")
    try:
        with os.fdopen(descripteur, "wb") as fichier:
            fichier.write(contenu)
            fichier.flush()
            os.fsync(fichier.fileno())
        os.chmod(temporaire, 0o644)
        os.replace(temporaire, chemin)
    except BaseException:
        Path(temporaire).unlink(missing_ok=True)
        raise
    return nom


# --- Démonstration ---------------------------------------------------------------------------------

CAMPAGNE_DEMO = {
    "nom": "Campagne 2023",
    "date_echeance": date(2023, 6, 25),
    "date_limite_phase_operationnelle": date(2024, 1, 1),
    "destinataire": "Madame la ministre déléguée chargée des collectivités territoriales et de la ruralité",
    "reference_instruction": "Instruction du 6 juin 2023 relative au passage en phase opérationnelle des communes du "
    "programme Petites villes de demain",
    "questions": "\n".join(
        [
            "Quelle dynamique observez-vous dans le département pour le passage des communes PVD en phase "
            "opérationnelle ?",
            "Quels leviers produisent des effets (ingénierie, financements, animation du réseau, articulation "
            "avec le CRTE et le fonds vert) ?",
            "Quelles difficultés rencontrez-vous ?",
            "Quelles communes risquent de ne pas atteindre la phase opérationnelle avant le 1er janvier 2024, "
            "et pourquoi ?",
        ]
    ),
}

TEXTES_DEMO = {
    "dynamique": "Données de démonstration. Les conventions-cadres se signent à un rythme régulier depuis "
    "l’automne ; la plupart valent ORT. Les communes littorales avancent plus vite que celles du centre "
    "du département.",
    "leviers": "Données de démonstration. Le club départemental réunit élus et chefs de projet chaque "
    "trimestre ; l’appui en ingénierie de la Banque des Territoires et du Cerema accélère les études "
    "préalables ; le fonds vert finance la rénovation des bâtiments publics.",
    "difficultes": "Données de démonstration. Deux postes de chef de projet sont vacants ; l’inscription "
    "des conventions-cadres au CRTE prend du retard faute d’avenant au contrat.",
}


@transaction.atomic
def campagne_demo_creer(*, sections=True):
    """Campagne 2023 de démonstration (idempotent) : ouverte si absente ; en Bretagne (sauf sections=False,
    données officielles seulement), les sections des Côtes-d'Armor et du Finistère sont rédigées et soumises,
    pour montrer le travail de la région. Ne modifie jamais une section déjà travaillée."""
    from comptes.models import User
    from syntheses.chiffres import raisons_suggestion

    national = User.objects.filter(username="demo-national").first()
    campagne = Campagne.objects.filter(nom=CAMPAGNE_DEMO["nom"]).first()
    creee = campagne is None
    if creee:
        campagne = campagne_creer(user=national, **CAMPAGNE_DEMO)
    if not sections:
        return campagne, creee
    sections = SectionDepartementale.objects.filter(
        synthese__campagne=campagne, departement_id__in=["22", "29"], etat=EtatSection.A_REDIGER, dynamique=""
    ).select_related("synthese")
    for section in sections:
        candidates = (
            Commune.objects.pvd()
            .filter(departement_id=section.departement_id)
            .with_suivi()
            .filter(is_risque=True)
            .order_by(alphabetique())[:3]
        )
        CommuneRisque.objects.bulk_create(
            [
                CommuneRisque(
                    section=section,
                    commune=commune,
                    justification="Données de démonstration : "
                    + (" ; ".join(raisons_suggestion(commune)) or "commune jugée en difficulté sur sa fiche")
                    + ".",
                    is_suggere=commune.is_risque_suggere,
                )
                for commune in candidates
            ]
        )
        maintenant = timezone.now()
        for champ, texte in TEXTES_DEMO.items():
            setattr(section, champ, texte)
        section.etat = EtatSection.SOUMISE
        section.risques_confirmes_le = section.soumise_le = maintenant
        section.save()
        _tracer(
            synthese=section.synthese,
            section=section,
            user=None,
            action=ActionTransition.SOUMISSION,
            avant=EtatSection.A_REDIGER,
            apres=EtatSection.SOUMISE,
            commentaire="Données de démonstration.",
        )
    return campagne, creee
