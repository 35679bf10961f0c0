"""Écritures des réunions de club et calcul du rythme des clubs départementaux.

Le rythme est lu par d'autres applications (note de synthèse régionale) : voir rythme_clubs().
"""

import logging
from datetime import date, timedelta
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clubs.constants import (
    FIN_PREMIER_SEMESTRE,
    REUNIONS_ANNEE_MIN,
    REUNIONS_SEMESTRE_MIN,
    StatutRythme,
)
from clubs.models import ReunionClub, annee_bornes, peut_gerer_reunions
from pvd.formats import compte
from territoires.models import Commune, alphabetique

logger = logging.getLogger(__name__)


# --- Écritures -------------------------------------------------------------------------------------


def _nom_affiche(nom):
    """Nom d'origine du fichier, sans chemin, borné à 255 caractères."""
    nom = PurePath(nom.replace("\\", "/")).name or "piece-jointe.pdf"
    return nom[-255:]


def _supprimer_fichier(storage, nom):
    try:
        storage.delete(nom)
    except OSError:  # pragma: no cover - un fichier déjà absent ne doit pas bloquer
        logger.warning("Pièce jointe %s introuvable à la suppression", nom)


@transaction.atomic
def reunion_club_enregistrer(*, reunion, user, communes, piece_jointe=None, supprimer_piece_jointe=False):
    """Crée (reunion.pk vide) ou modifie une réunion de club, avec ses communes et sa pièce jointe.

    reunion : instance déjà remplie par le formulaire (département, date, format, public, participants,
    thèmes, compte rendu) ; communes : communes PVD du département ; piece_jointe : fichier déposé (ou None) ;
    supprimer_piece_jointe : retirer la pièce jointe actuelle. L'ancien fichier n'est effacé du disque
    qu'après validation de la transaction.
    """
    if not peut_gerer_reunions(user, reunion.departement_id):
        raise PermissionDenied("Seuls les comptes départementaux du département gèrent ses réunions de club.")
    communes = list(communes)
    hors_departement = [c for c in communes if c.departement_id != reunion.departement_id or not c.is_pvd]
    if hors_departement:
        raise ValidationError({"communes": "Choisissez uniquement des communes PVD du département."})

    ancien_fichier = reunion.piece_jointe.name if reunion.pk else ""
    if piece_jointe:
        reunion.piece_jointe = piece_jointe
        reunion.piece_jointe_nom = _nom_affiche(piece_jointe.name)
    elif supprimer_piece_jointe:
        reunion.piece_jointe = ""
        reunion.piece_jointe_nom = ""
    if reunion.pk is None:
        reunion.created_by = user
    reunion.updated_by = user
    reunion.full_clean()

    storage = reunion.piece_jointe.storage
    try:
        reunion.save()
    except Exception:
        # Le fichier est écrit avant la ligne : ne pas laisser d'orphelin si l'écriture échoue.
        if piece_jointe and reunion.piece_jointe.name and reunion.piece_jointe.name != ancien_fichier:
            _supprimer_fichier(storage, reunion.piece_jointe.name)
        raise
    reunion.communes.set(communes)
    if ancien_fichier and ancien_fichier != reunion.piece_jointe.name:
        transaction.on_commit(lambda: _supprimer_fichier(storage, ancien_fichier))
    return reunion


@transaction.atomic
def reunion_club_supprimer(*, reunion, user):
    """Supprime une réunion et, après validation, sa pièce jointe."""
    if not peut_gerer_reunions(user, reunion.departement_id):
        raise PermissionDenied("Seuls les comptes départementaux du département gèrent ses réunions de club.")
    fichier, storage = reunion.piece_jointe.name, reunion.piece_jointe.storage
    reunion.delete()
    if fichier:
        transaction.on_commit(lambda: _supprimer_fichier(storage, fichier))


# --- Rythme des clubs -------------------------------------------------------------------------------


def _compte(queryset):
    """Sous-requête COUNT corrélée : un nombre par ligne, sans jointure qui multiplie les lignes."""
    sous_requete = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(sous_requete, output_field=IntegerField()), 0)


def fin_premier_semestre(annee):
    return date(annee, *FIN_PREMIER_SEMESTRE)


def rythme_clubs(departements, annee, *, aujourd_hui=None):
    """Rythme des clubs PVD de chaque département pour une année, calculé en base en une seule requête.

    Signature : rythme_clubs(departements, annee, *, aujourd_hui=None)
      - departements : QuerySet de territoires.Departement, déjà restreint au territoire de l'utilisateur
        (par ex. Departement.objects.for_user(user).filter(region=region)) ; il est renvoyé annoté, filtrable
        et triable (par ex. .filter(statut=StatutRythme.EN_DEFAUT)).
      - annee : année civile (int).
      - aujourd_hui : date de référence (défaut : date du jour, heure de Paris). Seules les réunions
        tenues (datées de ce jour ou avant) comptent ; les réunions prévues sont comptées à part.

    Annotations ajoutées à chaque département :
      - reunions_count : réunions tenues dans l'année ;
      - reunions_s1_count : réunions tenues du 1er janvier au 30 juin ;
      - reunions_prevues_count : réunions de l'année datées après aujourd'hui ;
      - has_reunion_s1 : au moins une réunion tenue au premier semestre ;
      - has_deux_reunions : au moins deux réunions tenues dans l'année ;
      - communes_pvd_count : communes PVD du département ;
      - communes_representees_count : communes PVD représentées à au moins une réunion tenue de l'année ;
      - communes_jamais_representees_count : communes PVD représentées à aucune réunion tenue jusqu'à la fin
        de l'année (ou jusqu'à aujourd'hui pour l'année en cours) ;
      - statut (StatutRythme) : « sans_objet » si le département n'a aucune commune PVD ; « conforme » si les deux conditions sont remplies ; « en_defaut » si une
        échéance est passée sans être tenue (30 juin pour le premier semestre, 31 décembre pour les deux
        réunions) ; « en_cours » sinon (échéances pas encore atteintes).
    """
    aujourd_hui = aujourd_hui or timezone.localdate()
    debut, fin = annee_bornes(annee)
    fin_s1 = fin_premier_semestre(annee)
    limite = min(fin, aujourd_hui)

    reunions = ReunionClub.objects.filter(departement=OuterRef("pk"))
    tenues_annee = reunions.filter(date__range=(debut, limite))
    tenues_s1 = reunions.filter(date__range=(debut, min(fin_s1, limite)))
    prevues = reunions.filter(date__range=(max(debut, aujourd_hui + timedelta(days=1)), fin))
    liens = ReunionClub.communes.through.objects.filter(commune=OuterRef("pk"))
    communes_pvd = Commune.objects.pvd().filter(departement=OuterRef("pk"))
    representees_annee = communes_pvd.filter(Exists(liens.filter(reunionclub__date__range=(debut, limite))))
    jamais_representees = communes_pvd.exclude(Exists(liens.filter(reunionclub__date__lte=limite)))

    departements = departements.annotate(
        reunions_count=_compte(tenues_annee),
        reunions_s1_count=_compte(tenues_s1),
        reunions_prevues_count=_compte(prevues),
        communes_pvd_count=_compte(communes_pvd),
        communes_representees_count=_compte(representees_annee),
        communes_jamais_representees_count=_compte(jamais_representees),
    )
    s1_tenu = Q(reunions_s1_count__gte=REUNIONS_SEMESTRE_MIN)
    deux_tenues = Q(reunions_count__gte=REUNIONS_ANNEE_MIN)
    defaut = Q(pk__in=[])
    if aujourd_hui > fin_s1:
        defaut |= ~s1_tenu
    if aujourd_hui > fin:
        defaut |= ~deux_tenues
    return departements.annotate(
        has_reunion_s1=ExpressionWrapper(s1_tenu, output_field=BooleanField()),
        has_deux_reunions=ExpressionWrapper(deux_tenues, output_field=BooleanField()),
        statut=Case(
            When(communes_pvd_count=0, then=Value(StatutRythme.SANS_OBJET.value)),
            When(s1_tenu & deux_tenues, then=Value(StatutRythme.CONFORME.value)),
            When(defaut, then=Value(StatutRythme.EN_DEFAUT.value)),
            default=Value(StatutRythme.EN_COURS.value),
        ),
    )


def rythme_par_region(departements_rythme):
    """Synthèse par région d'un QuerySet renvoyé par rythme_clubs() : une ligne (dict) par région, en une
    requête : region_id, region__nom, departements_count, conformes_count, en_cours_count, en_defaut_count,
    sans_objet_count (départements sans commune PVD)."""
    return (
        departements_rythme.order_by()
        .values("region_id", "region__nom")
        .annotate(
            departements_count=Count("pk"),
            conformes_count=Count("pk", filter=Q(statut=StatutRythme.CONFORME.value)),
            en_cours_count=Count("pk", filter=Q(statut=StatutRythme.EN_COURS.value)),
            en_defaut_count=Count("pk", filter=Q(statut=StatutRythme.EN_DEFAUT.value)),
            sans_objet_count=Count("pk", filter=Q(statut=StatutRythme.SANS_OBJET.value)),
        )
        .order_by("region__nom")
    )


def rythme_motifs(departement, annee, *, aujourd_hui=None):
    """Ce qui manque à un département annoté par rythme_clubs(), en toutes lettres (sans requête)."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    if departement.statut == StatutRythme.SANS_OBJET:
        return ["aucune commune PVD dans le département"]
    motifs = []
    if not departement.has_reunion_s1:
        if aujourd_hui > fin_premier_semestre(annee):
            motifs.append("aucune réunion tenue au premier semestre")
        else:
            motifs.append("réunion du premier semestre à tenir avant le 30 juin")
    if not departement.has_deux_reunions:
        manque = REUNIONS_ANNEE_MIN - departement.reunions_count
        if aujourd_hui > date(annee, 12, 31):
            motifs.append(
                f"{compte(departement.reunions_count, 'réunion tenue', 'réunions tenues')} dans l’année "
                f"sur {REUNIONS_ANNEE_MIN}"
            )
        else:
            motifs.append(f"{compte(manque, 'réunion')} à tenir d’ici le 31 décembre")
    return motifs


def communes_jamais_representees(departement, annee, *, aujourd_hui=None):
    """Communes PVD du département représentées à aucune réunion tenue jusqu'à la fin de l'année."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    limite = min(date(annee, 12, 31), aujourd_hui)
    liens = ReunionClub.communes.through.objects.filter(commune=OuterRef("pk"), reunionclub__date__lte=limite)
    return (
        Commune.objects.pvd().filter(departement=departement).exclude(Exists(liens)).order_by(alphabetique())
    )
