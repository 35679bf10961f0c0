"""Génération du PDF d'une note : le job (file d'attente → en cours → terminé / échec), son envoi au broker,
son exécution par le worker (chiffres → HTML → PDF → version), la reprise sur panne et les lots de toutes les
régions d'une campagne."""

import hashlib
import logging
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from celery import group
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from kombu.exceptions import KombuError
from weasyprint.urls import FatalURLFetchingError

from syntheses.constants import ETATS_GENERATION_ACTIFS, EtatGeneration
from syntheses.models import Generation, Lot, Synthese, TransitionInterdite, VersionPdf
from syntheses.pdf import note_html, pdf_rendre, source_signature

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
