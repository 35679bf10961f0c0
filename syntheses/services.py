"""Écritures des notes de synthèse : ouverture de campagne, travail des départements et de la région (chaque
transition est tracée), transmission qui fige la note. La génération du PDF (jobs Celery) est dans
syntheses.generation, la campagne de démonstration dans syntheses.demo."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from comptes.models import agent_du_departement
from echanges.constants import Visibilite
from echanges.services import commentaire_publier, notifier_apres_commit
from pvd.formats import compte, trier_alphabetique
from pvd.verrous import version_verifier
from syntheses.chiffres import indicateurs_note, instantane
from syntheses.constants import (
    ETATS_SECTION_MODIFIABLES,
    MOTIF_SANS_COMMUNE_PVD,
    ActionTransition,
    EtatSection,
    EtatSynthese,
    LectureSection,
)
from syntheses.generation import generation_demander
from syntheses.models import (
    Campagne,
    CommuneRisque,
    SectionDepartementale,
    Synthese,
    Transition,
    TransitionInterdite,
)
from syntheses.pdf import note_html
from territoires.models import Commune, Departement, Region

logger = logging.getLogger(__name__)


def transition_tracer(*, synthese, user, action, section=None, avant="", apres="", commentaire=""):
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
    transition_tracer(
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


def _sections():
    return SectionDepartementale.objects.select_related("synthese", "departement")


def _section_verrouillee(section_id):
    return _sections().select_for_update().get(pk=section_id)


def _verifier_redaction(section, user):
    if not agent_du_departement(user, section.departement_id):
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
    actuelle = version_verifier(_sections(), pk=section.pk, version=version)
    _verifier_redaction(actuelle, user)
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


def _syntheses():
    return Synthese.objects.select_related("campagne", "region")


def _synthese_verrouillee(synthese_id):
    return _syntheses().select_for_update().get(pk=synthese_id)


@transaction.atomic
def synthese_vue_ensemble_enregistrer(*, synthese, user, vue_ensemble, version, **signature):
    """La vue d'ensemble de la région et, facultatifs, le lieu et le signataire de la lettre (lieu,
    signataire_titre, signataire_nom)."""
    actuelle = version_verifier(_syntheses(), pk=synthese.pk, version=version)
    _verifier_consolidation(actuelle, user)
    _verifier_en_redaction(actuelle)
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
    if manquants := actuelle.signature_manquante:
        raise TransitionInterdite(
            f"Avant de transmettre, indiquez {', '.join(manquants)} (vue d’ensemble régionale ; rouvrez la "
            "note pour les saisir)."
        )
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

    return instantane(indicateurs_note(synthese), calcule_le=timezone.localdate())


def _figer(synthese):
    """Fige la note transmise : ses chiffres (instantane) et son document (le HTML d'impression rendu à cet
    instant, état « transmise » : sans la mention « document de travail »)."""

    synthese.instantane = instantane_calculer(synthese)
    synthese.html_transmis = note_html(synthese=synthese)
