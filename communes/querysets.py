"""Annotations du suivi : phase, drapeaux, chef de projet, actions et financements, calculés en base.

Les mêmes expressions servent au QuerySet des territoires (prefix="") et à celui des communes
(prefix="territoire__"), pour que listes, filtres, tris et chiffres comptent la même chose."""

import calendar
import datetime

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from communes.constants import (
    DELAI_CONVENTION_CADRE_MOIS,
    STATUTS_ENGAGES,
    DecisionRisque,
    Phase,
    StatutChefDeProjet,
    TypeConvention,
)
from territoires.models import count_subquery


def mois_apres(date, mois):
    """La même date `mois` mois plus tard (le 31 devient le dernier jour du mois si besoin)."""
    annee, mois_index = divmod(date.year * 12 + date.month - 1 + mois, 12)
    jour = min(date.day, calendar.monthrange(annee, mois_index + 1)[1])
    return datetime.date(annee, mois_index + 1, jour)


def suivi_annotations(*, prefix, today=None):
    """Dictionnaire d'annotations à passer à .annotate(**…), dans l'ordre (les suivantes utilisent les
    premières). prefix : chemin du territoire PVD depuis le modèle annoté ("" ou "territoire__")."""
    from communes.models import Action, Convention, Financement

    today = today or timezone.localdate()
    ref = OuterRef(prefix.rstrip("_") if prefix else "pk")
    conventions = Convention.objects.filter(territoire=ref)
    adhesion = conventions.filter(type=TypeConvention.ADHESION, date_signature__isnull=False)
    # Une convention-cadre proposée par la liste ORT et pas encore confirmée n'est pas un fait saisi.
    cadre = conventions.filter(type=TypeConvention.CADRE, a_confirmer=False)
    cadre_signee = cadre.filter(date_signature__isnull=False)
    actions = Action.objects.filter(territoire=ref)
    engagees = actions.filter(statut__in=STATUTS_ENGAGES)
    accorde = (
        Financement.objects.filter(action__territoire=ref)
        .order_by()
        .annotate(total=Func(F("montant_accorde"), function="SUM"))
        .values("total")
    )
    inscrit_crte = Q(**{f"{prefix}crte__isnull": False, f"{prefix}date_inscription_crte__isnull": False})
    chef_en_poste = Q(**{f"{prefix}chef_de_projet__statut": StatutChefDeProjet.EN_POSTE})
    limite_cadre = mois_apres(today, -DELAI_CONVENTION_CADRE_MOIS)
    return {
        "has_adhesion": Exists(adhesion),
        "date_adhesion": Subquery(adhesion.values("date_signature")[:1]),
        "has_cadre": Exists(cadre),
        "has_cadre_signee": Exists(cadre_signee),
        "has_cadre_ort": Exists(cadre_signee.filter(vaut_ort=True)),
        "date_cadre": Subquery(cadre_signee.values("date_signature")[:1]),
        "is_inscrit_crte": ExpressionWrapper(inscrit_crte, output_field=BooleanField()),
        "actions_count": count_subquery(actions),
        "actions_engagees_count": count_subquery(engagees),
        "financement_accorde": Coalesce(
            Subquery(accorde, output_field=DecimalField(max_digits=16, decimal_places=2)),
            Value(0, output_field=DecimalField(max_digits=16, decimal_places=2)),
        ),
        "chef_de_projet_statut": F(f"{prefix}chef_de_projet__statut"),
        "phase": Case(
            When(**{f"{prefix}date_retrait__isnull": False}, then=Value(Phase.RETIREE)),
            When(
                Q(has_cadre_ort=True, actions_engagees_count__gt=0) & inscrit_crte,
                then=Value(Phase.OPERATIONNELLE),
            ),
            When(has_cadre_signee=True, then=Value(Phase.CADRE_SIGNEE)),
            When(has_cadre=True, then=Value(Phase.CADRE_EN_ELABORATION)),
            When(has_adhesion=True, then=Value(Phase.ADHESION_SIGNEE)),
            default=Value(Phase.LAUREATE),
        ),
        # Échéance de 18 mois après l'adhésion dépassée sans convention-cadre signée.
        "is_retard_cadre": Case(
            When(Q(date_adhesion__lt=limite_cadre, has_cadre_signee=False), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        # Suggestion : pas encore opérationnelle et il manque une pièce qui prend du temps.
        "is_risque_suggere": Case(
            When(phase__in=[Phase.OPERATIONNELLE, Phase.RETIREE], then=Value(False)),
            When(Q(has_cadre_ort=False) | Q(actions_engagees_count=0) | ~chef_en_poste, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        "is_risque": Case(
            When(**{f"{prefix}risque_decision": DecisionRisque.A_RISQUE}, then=Value(True)),
            When(**{f"{prefix}risque_decision": DecisionRisque.PAS_DE_RISQUE}, then=Value(False)),
            default=F("is_risque_suggere"),
            output_field=BooleanField(),
        ),
    }


# Annotations publiques (API, open data), dans l'ordre de suivi_annotations : ni chef de projet ni risque.
INDICATEURS_PUBLICS = [
    "has_adhesion",
    "date_adhesion",
    "has_cadre",
    "has_cadre_signee",
    "has_cadre_ort",
    "date_cadre",
    "is_inscrit_crte",
    "actions_count",
    "actions_engagees_count",
    "financement_accorde",
    "phase",
]

# Comptes agrégés par département ou par région : annotation du suivi de chaque commune et valeur comptée
# (None : toutes les communes PVD).
COMPTES_AGREGES = {
    "communes_pvd_count": (None, None),
    "adhesion_signee_count": ("has_adhesion", True),
    "cadre_signee_count": ("has_cadre_signee", True),
    "cadre_ort_count": ("has_cadre_ort", True),
    "inscrites_crte_count": ("is_inscrit_crte", True),
    "operationnelles_count": ("phase", Phase.OPERATIONNELLE),
}


def indicateurs_agreges(queryset, *, chemin):
    """Annote un QuerySet de départements ou de régions : nombre de ses communes PVD, puis de celles dont
    l'annotation du suivi vaut la valeur de COMPTES_AGREGES. Une seule requête : jointure vers les seules
    communes PVD (FilteredRelation), GROUP BY et COUNT … FILTER, avec les expressions de with_suivi()
    (suivi_annotations) ; aucune boucle par commune, un territoire sans commune PVD compte 0.
    chemin : relation du modèle vers ses communes ("communes", "departements__communes")."""
    annotations = suivi_annotations(prefix="communes_pvd__territoire__")
    comptes = {
        nom: Count("communes_pvd", filter=Q(**{annotation: valeur}) if annotation else None)
        for nom, (annotation, valeur) in COMPTES_AGREGES.items()
    }
    return (
        queryset.alias(
            communes_pvd=FilteredRelation(
                chemin,
                condition=Q(**{f"{chemin}__id_pvd__isnull": False, f"{chemin}__sortie_liste__isnull": True}),
            )
        )
        .alias(**{nom: annotations[nom] for nom in INDICATEURS_PUBLICS})
        .annotate(**comptes)
    )
