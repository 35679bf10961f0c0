"""Annotations du suivi : phase, drapeaux, chef de projet, actions et financements, calculés en base.

Les mêmes expressions servent au QuerySet des territoires (prefix="") et à celui des communes
(prefix="territoire__"), pour que listes, filtres, tris et chiffres comptent la même chose."""

import calendar
import datetime

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
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
from pvd.formats import compte
from territoires.models import CommuneQuerySet, count_subquery


def mois_apres(date, mois):
    """La même date `mois` mois plus tard (le 31 devient le dernier jour du mois si besoin)."""
    annee, mois_index = divmod(date.year * 12 + date.month - 1 + mois, 12)
    jour = min(date.day, calendar.monthrange(annee, mois_index + 1)[1])
    return datetime.date(annee, mois_index + 1, jour)


# Conditions de la phase opérationnelle (instruction du 6 juin 2023), chacune une annotation de
# suivi_annotations : la phase (ci-dessous) et « ce qui manque » sur la fiche (manques_operationnelle) les
# lisent toutes deux ici. (annotation, section de la fiche, libellé)
CONDITIONS_OPERATIONNELLE = (
    ("has_cadre_ort", "conventions", "Convention-cadre signée valant ORT"),
    ("is_inscrit_crte", "crte", "Convention-cadre inscrite au CRTE"),
    ("actions_engagees_count", "actions", "Au moins une action engagée ou livrée"),
)


def _condition_q(annotation):
    return Q(**{f"{annotation}__gt": 0}) if annotation.endswith("_count") else Q(**{annotation: True})


def conditions_operationnelle_q():
    """Toutes les conditions de la phase opérationnelle remplies (sur les annotations de suivi_annotations)."""
    q = Q()
    for annotation, _, _ in CONDITIONS_OPERATIONNELLE:
        q &= _condition_q(annotation)
    return q


def suivi_annotations(*, prefix, today=None):
    """Dictionnaire d'annotations à passer à .annotate(**…), dans l'ordre (les suivantes utilisent les
    premières). prefix : chemin du territoire PVD depuis le modèle annoté ("" ou "territoire__")."""
    from communes.models import Action, Convention, Financement, Ort

    today = today or timezone.localdate()
    ref = OuterRef(prefix.rstrip("_") if prefix else "pk")
    conventions = Convention.objects.filter(territoire=ref)
    adhesion = conventions.filter(type=TypeConvention.ADHESION, date_signature__isnull=False)
    # Une convention-cadre proposée par la liste ORT et pas encore confirmée n'est pas un fait saisi.
    cadre = conventions.filter(type=TypeConvention.CADRE, a_confirmer=False)
    cadre_signee = cadre.filter(date_signature__isnull=False)
    ort = Ort.objects.filter(territoire=ref)
    actions = Action.objects.filter(territoire=ref)
    engagees = actions.filter(statut__in=STATUTS_ENGAGES)
    accorde = (
        Financement.objects.filter(action__territoire=ref)
        .order_by()
        .annotate(total=Func(F("montant_accorde"), function="SUM"))
        .values("total")
    )
    inscrit_crte = Q(**{f"{prefix}crte__isnull": False, f"{prefix}date_inscription_crte__isnull": False})
    chef_manquant = Q(
        **{f"{prefix}chef_de_projet__statut__in": [StatutChefDeProjet.VACANT, StatutChefDeProjet.A_RECRUTER]}
    )
    chef_connu = Q(**{f"{prefix}chef_de_projet__statut__isnull": False})
    sans_decision = Q(**{f"{prefix}risque_decision": ""})
    limite_cadre = mois_apres(today, -DELAI_CONVENTION_CADRE_MOIS)
    return {
        "has_adhesion": Exists(adhesion),
        "date_adhesion": Subquery(adhesion.values("date_signature")[:1]),
        "has_cadre": Exists(cadre),
        "has_cadre_signee": Exists(cadre_signee),
        "has_cadre_ort": Exists(cadre_signee.filter(vaut_ort=True)),
        "date_cadre": Subquery(cadre_signee.values("date_signature")[:1]),
        # ORT signée (date connue ou non) ou convention-cadre signée valant ORT.
        "has_ort": Exists(ort),
        "has_ort_signee": Case(
            When(Q(has_ort=True) | Q(has_cadre_ort=True), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
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
            When(conditions_operationnelle_q(), then=Value(Phase.OPERATIONNELLE)),
            When(has_cadre_signee=True, then=Value(Phase.CADRE_SIGNEE)),
            When(has_cadre=True, then=Value(Phase.CADRE_EN_ELABORATION)),
            When(has_adhesion=True, then=Value(Phase.ADHESION_SIGNEE)),
            default=Value(Phase.LAUREATE),
        ),
        # Échéance de 18 mois après l'adhésion dépassée, la convention-cadre étant connue et non signée
        # (en élaboration). Sans rien de renseigné sur la convention-cadre : is_retard_inconnu, compté à part.
        "is_retard_cadre": Case(
            When(**{f"{prefix}date_retrait__isnull": False}, then=Value(False)),
            When(Q(date_adhesion__lt=limite_cadre, has_cadre=True, has_cadre_signee=False), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        "is_retard_inconnu": Case(
            When(**{f"{prefix}date_retrait__isnull": False}, then=Value(False)),
            When(Q(date_adhesion__lt=limite_cadre, has_cadre=False), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        # Suggestion : pas encore opérationnelle et il manque, de façon connue, une pièce qui prend du temps
        # (convention-cadre en élaboration ou signée sans valoir ORT ; des actions mais aucune engagée ;
        # poste de chef de projet vacant ou à recruter). Ce qui n'est pas renseigné ne déclenche rien.
        "is_risque_suggere": Case(
            When(phase__in=[Phase.OPERATIONNELLE, Phase.RETIREE], then=Value(False)),
            When(
                Q(has_cadre=True, has_cadre_ort=False)
                | Q(actions_count__gt=0, actions_engagees_count=0)
                | chef_manquant,
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
        # Rien de connu sur la convention-cadre, le chef de projet et les actions, ni décision sur le risque :
        # la commune est « à renseigner », ni en difficulté ni hors de difficulté.
        "is_a_renseigner": Case(
            When(phase__in=[Phase.OPERATIONNELLE, Phase.RETIREE], then=Value(False)),
            When(
                Q(has_cadre=False, actions_count=0) & ~chef_connu & sans_decision,
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
        "is_risque": Case(
            When(phase=Phase.RETIREE, then=Value(False)),
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
    "has_ort",
    "has_ort_signee",
    "is_inscrit_crte",
    "actions_count",
    "actions_engagees_count",
    "financement_accorde",
    "phase",
]


def couverte_crte():
    """Pour une commune : son EPCI est signataire d'au moins un CRTE (périmètres officiels des CRTE)."""
    from communes.models import Crte

    return Exists(Crte.epcis.through.objects.filter(epci_id=OuterRef("epci_id")))


def raisons_suggestion(commune):
    """Motifs de la suggestion du suivi, en toutes lettres (sans requête : annotations with_suivi). Comme la
    suggestion (communes.querysets, is_risque_suggere), seulement ce qui est connu."""
    raisons = []
    if commune.has_cadre and not commune.has_cadre_ort:
        raisons.append(
            "convention-cadre signée sans valoir ORT"
            if commune.has_cadre_signee
            else "convention-cadre en élaboration"
        )
    if commune.actions_count and not commune.actions_engagees_count:
        raisons.append("aucune action engagée")
    if commune.chef_de_projet_statut in (StatutChefDeProjet.VACANT, StatutChefDeProjet.A_RECRUTER):
        raisons.append(f"chef de projet : {StatutChefDeProjet(commune.chef_de_projet_statut).label.lower()}")
    return raisons


def manques_operationnelle(commune):
    """Ce qui manque à la commune pour la phase opérationnelle (sans requête : annotations with_suivi), dans
    l'ordre de CONDITIONS_OPERATIONNELLE : [{libelle, etat, ancre, inconnu}] ; inconnu quand rien n'est
    renseigné (« non renseigné » n'est pas « non »). Vide si la commune est opérationnelle ou retirée."""
    if commune.phase in (Phase.OPERATIONNELLE, Phase.RETIREE):
        return []
    etats = {
        "has_cadre_ort": (
            ("Non renseignée : rien n’est encore saisi sur la convention-cadre", True)
            if not commune.has_cadre
            else ("En élaboration (pas encore signée)", False)
            if not commune.has_cadre_signee
            else ("Signée, mais ne vaut pas ORT", False)
        ),
        "is_inscrit_crte": (
            ("CRTE du territoire enregistré ; date d’inscription non renseignée", True)
            if commune.territoire.crte_id
            else ("Non renseignée", True)
        ),
        "actions_engagees_count": (
            ("Aucune action enregistrée", True)
            if not commune.actions_count
            else (
                f"{compte(commune.actions_count, 'action enregistrée', 'actions enregistrées')}, "
                "aucune engagée ni livrée",
                False,
            )
        ),
    }
    return [
        {"libelle": libelle, "etat": etats[annotation][0], "inconnu": etats[annotation][1], "ancre": ancre}
        for annotation, ancre, libelle in CONDITIONS_OPERATIONNELLE
        if not getattr(commune, annotation)
    ]


class CommunePvdQuerySet(CommuneQuerySet):
    """Les communes du référentiel (territoires) avec, en plus, les annotations de leur suivi PVD."""

    def with_suivi(self):
        """Phase, drapeaux et chiffres du suivi PVD de chaque commune."""
        return self.annotate(**suivi_annotations(prefix="territoire__"), is_couverte_crte=couverte_crte())

    def with_suivi_public(self):
        """Les seules annotations publiques du suivi (phase, conventions, CRTE, actions, financements) : ni
        chef de projet ni risque, pour l'API des partenaires et l'open data."""
        annotations = suivi_annotations(prefix="territoire__")
        return self.annotate(
            **{nom: annotations[nom] for nom in INDICATEURS_PUBLICS}, is_couverte_crte=couverte_crte()
        )
