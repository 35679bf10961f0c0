"""Chiffres d'une note de synthèse, calculés en base au moment de la génération.

Un nombre de requêtes fixe quelle que soit la taille de la région : chaque requête est agrégée par
département (GROUP BY), la région est la somme de ses départements."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Sum
from django.utils import timezone

from communes.constants import Dispositif, Phase, StatutAction, StatutChefDeProjet
from communes.models import Action, Financement, Ort
from syntheses.models import CommuneRisque, SectionDepartementale
from territoires.models import Commune

NON_DISPONIBLE = "non disponible"

PHASES = [p for p in Phase]
STATUTS_ACTION = [s for s in StatutAction]

# Indicateurs comptés par commune : (attribut, libellé) dans l'ordre des tableaux.
INDICATEURS_COMMUNES = [
    ("communes_count", "Communes PVD"),
    ("operationnelles_count", "Communes en phase opérationnelle"),
    ("cadres_signees_count", "Conventions-cadres signées"),
    ("cadres_ort_count", "Conventions-cadres valant ORT"),
    ("ort_count", "ORT signées"),
    ("crte_count", "Inscriptions au CRTE"),
    ("chefs_en_poste_count", "Chefs de projet en poste"),
    ("retard_cadre_count", "Échéance des 18 mois dépassée"),
    ("risques_calcules_count", "Communes en difficulté (suivi)"),
]


@dataclass
class Financements:
    lignes_count: int = 0
    demande: Decimal = Decimal(0)
    accorde: Decimal = Decimal(0)

    def ajouter(self, autre):
        self.lignes_count += autre.lignes_count
        self.demande += autre.demande
        self.accorde += autre.accorde


@dataclass
class Chiffres:
    """Chiffres d'un département ou de la région (somme de ses départements)."""

    code: str
    nom: str
    communes_count: int = 0
    operationnelles_count: int = 0
    cadres_signees_count: int = 0
    cadres_ort_count: int = 0
    ort_count: int = 0
    crte_count: int = 0
    chefs_en_poste_count: int = 0
    retard_cadre_count: int = 0
    risques_calcules_count: int = 0
    phases: dict = field(default_factory=lambda: {p.value: 0 for p in PHASES})
    actions: dict = field(default_factory=lambda: {s.value: 0 for s in STATUTS_ACTION})
    actions_cout: Decimal = Decimal(0)
    # dispositif (hors fonds vert) → Financements ; fonds vert par axe → Financements
    financements: dict = field(default_factory=dict)
    fonds_vert: dict = field(default_factory=dict)
    clubs: dict | None = None

    @property
    def actions_count(self):
        return sum(self.actions.values())

    @property
    def actions_engagees_count(self):
        return self.actions[StatutAction.ENGAGEE] + self.actions[StatutAction.LIVREE]

    @property
    def financements_total(self):
        total = Financements()
        for ligne in self.financements.values():
            total.ajouter(ligne)
        return total

    @property
    def fonds_vert_total(self):
        total = Financements()
        for ligne in self.fonds_vert.values():
            total.ajouter(ligne)
        return total

    def phases_list(self):
        return [(Phase(code).label, code, n) for code, n in self.phases.items()]

    def actions_list(self):
        return [(StatutAction(code).label, n) for code, n in self.actions.items()]

    def financements_list(self):
        return [
            (Dispositif(code).label, self.financements[code])
            for code in Dispositif.values
            if code in self.financements
        ]

    def fonds_vert_list(self):
        from communes.constants import AxeFondsVert

        return [(AxeFondsVert(axe).label, self.fonds_vert[axe]) for axe in sorted(self.fonds_vert)]

    def ajouter(self, autre):
        for attribut, _ in INDICATEURS_COMMUNES:
            setattr(self, attribut, getattr(self, attribut) + getattr(autre, attribut))
        for code, n in autre.phases.items():
            self.phases[code] += n
        for code, n in autre.actions.items():
            self.actions[code] += n
        self.actions_cout += autre.actions_cout
        for cible, source in ((self.financements, autre.financements), (self.fonds_vert, autre.fonds_vert)):
            for code, ligne in source.items():
                cible.setdefault(code, Financements()).ajouter(ligne)


@dataclass
class ChiffresSynthese:
    region: Chiffres
    departements: list  # de Chiffres, dans l'ordre des codes
    sections: list  # de SectionDepartementale (avec communes_risque préchargées)
    risques_calcules: dict  # code département → liste de communes (annotées) signalées par le suivi
    clubs_disponibles: bool
    clubs_region: dict | None
    calcule_le: object

    def matrice_financements(self):
        """Montants accordés par dispositif (lignes) et par département (colonnes), puis la région ; le fonds
        vert à part, par axe. Lignes : (libellé, [montant par département], montant région, est_fonds_vert)."""
        from communes.constants import AxeFondsVert

        lignes = []
        for code in Dispositif.values:
            if code in self.region.financements:
                lignes.append(
                    (
                        Dispositif(code).label,
                        [
                            d.financements[code].accorde if code in d.financements else None
                            for d in self.departements
                        ],
                        self.region.financements[code].accorde,
                        False,
                    )
                )
        lignes.append(
            (
                "Total hors fonds vert",
                [d.financements_total.accorde for d in self.departements],
                self.region.financements_total.accorde,
                False,
            )
        )
        for axe in AxeFondsVert.values:
            if axe in self.region.fonds_vert:
                lignes.append(
                    (
                        f"Fonds vert, axe {axe}",
                        [
                            d.fonds_vert[axe].accorde if axe in d.fonds_vert else None
                            for d in self.departements
                        ],
                        self.region.fonds_vert[axe].accorde,
                        True,
                    )
                )
        lignes.append(
            (
                "Total fonds vert",
                [d.fonds_vert_total.accorde for d in self.departements],
                self.region.fonds_vert_total.accorde,
                True,
            )
        )
        return lignes


def raisons_suggestion(commune):
    """Motifs de la suggestion du suivi, en toutes lettres (sans requête : annotations with_suivi)."""
    raisons = []
    if not commune.has_cadre_ort:
        raisons.append("pas de convention-cadre valant ORT signée")
    if not commune.actions_engagees_count:
        raisons.append("aucune action engagée")
    if commune.chef_de_projet_statut != StatutChefDeProjet.EN_POSTE:
        raisons.append("pas de chef de projet en poste")
    return raisons


def _communes(departement_ids):
    """Indicateurs par commune, agrégés par département en une requête."""
    ort = Ort.objects.filter(territoire=OuterRef("territoire"))
    qs = (
        Commune.objects.pvd()
        .filter(departement_id__in=departement_ids)
        .with_suivi()
        .annotate(has_ort=Exists(ort))
        .order_by()
        .values("departement_id")
    )
    en_cours = ~Q(phase=Phase.RETIREE)
    agregats = {
        "communes_count": Count("pk"),
        "operationnelles_count": Count("pk", filter=Q(phase=Phase.OPERATIONNELLE)),
        "cadres_signees_count": Count("pk", filter=Q(has_cadre_signee=True) & en_cours),
        "cadres_ort_count": Count("pk", filter=Q(has_cadre_ort=True) & en_cours),
        "ort_count": Count("pk", filter=Q(has_ort=True) & en_cours),
        "crte_count": Count("pk", filter=Q(is_inscrit_crte=True) & en_cours),
        "chefs_en_poste_count": Count(
            "pk", filter=Q(chef_de_projet_statut=StatutChefDeProjet.EN_POSTE) & en_cours
        ),
        "retard_cadre_count": Count("pk", filter=Q(is_retard_cadre=True) & en_cours),
        "risques_calcules_count": Count("pk", filter=Q(is_risque=True)),
    }
    for phase in PHASES:
        agregats[f"phase_{phase.value}"] = Count("pk", filter=Q(phase=phase.value))
    return {ligne["departement_id"]: ligne for ligne in qs.annotate(**agregats)}


def _actions(departement_ids):
    qs = (
        Action.objects.filter(territoire__departement_id__in=departement_ids)
        .order_by()
        .values("territoire__departement_id", "statut")
        .annotate(n=Count("pk"), cout=Sum("cout"))
    )
    return list(qs)


def _financements(departement_ids):
    qs = (
        Financement.objects.filter(action__territoire__departement_id__in=departement_ids)
        .order_by()
        .values("action__territoire__departement_id", "dispositif", "axe_fonds_vert")
        .annotate(n=Count("pk"), demande=Sum("montant_demande"), accorde=Sum("montant_accorde"))
    )
    return list(qs)


def _risques_calcules(departement_ids):
    """Communes signalées en difficulté par le suivi (décision du département ou suggestion)."""
    qs = (
        Commune.objects.pvd()
        .filter(departement_id__in=departement_ids)
        .with_suivi()
        .filter(is_risque=True)
        .select_related("territoire")
        .order_by("departement_id", "nom")
    )
    par_departement = {}
    for commune in qs:
        commune.phase_label = Phase(commune.phase).label
        par_departement.setdefault(commune.departement_id, []).append(commune)
    return par_departement


def chiffres_clubs(departements, annee):
    """Rythme des clubs départementaux PVD pour l'année de la campagne.

    Renvoie None (« non disponible ») tant que l'application clubs n'expose pas son service de rythme ou
    n'a aucune réunion enregistrée ; sinon {code département: {"reunions_count", "reunions_s1_count",
    "statut", "statut_label"}} calculé en une requête par clubs.services.rythme_clubs()."""
    try:
        from clubs.constants import StatutRythme
        from clubs.models import ReunionClub
        from clubs.services import rythme_clubs
    except ImportError:
        return None
    if not ReunionClub.objects.exists():
        return None
    resultat = {}
    for departement in rythme_clubs(departements, annee):
        resultat[departement.code] = {
            "reunions_count": departement.reunions_count,
            "reunions_s1_count": departement.reunions_s1_count,
            "statut": departement.statut,
            "statut_label": StatutRythme(departement.statut).label,
        }
    return resultat


def _clubs_region(clubs):
    if clubs is None:
        return None
    return {
        "reunions_count": sum(c["reunions_count"] for c in clubs.values()),
        "reunions_s1_count": sum(c["reunions_s1_count"] for c in clubs.values()),
        "conformes_count": sum(1 for c in clubs.values() if c["statut"] == "conforme"),
        "departements_count": len(clubs),
    }


def synthese_chiffres(synthese, *, today=None):
    """Tous les chiffres d'une note : par département et pour la région (nombre de requêtes fixe)."""
    from territoires.models import Departement

    sections = list(
        SectionDepartementale.objects.filter(synthese=synthese)
        .select_related("departement", "soumise_par")
        .prefetch_related(
            Prefetch(
                "communes_risque",
                queryset=CommuneRisque.objects.select_related("commune").order_by("commune__nom"),
            )
        )
        .order_by("departement__code")
    )
    departements = [s.departement for s in sections]
    ids = [d.code for d in departements]
    communes = _communes(ids)
    region = Chiffres(code=synthese.region_id, nom=synthese.region.nom)
    par_code = {}
    for departement in departements:
        chiffres = Chiffres(code=departement.code, nom=departement.nom)
        ligne = communes.get(departement.code)
        if ligne:
            for attribut, _ in INDICATEURS_COMMUNES:
                setattr(chiffres, attribut, ligne[attribut])
            for phase in PHASES:
                chiffres.phases[phase.value] = ligne[f"phase_{phase.value}"]
        par_code[departement.code] = chiffres
    for ligne in _actions(ids):
        chiffres = par_code[ligne["territoire__departement_id"]]
        chiffres.actions[ligne["statut"]] += ligne["n"]
        chiffres.actions_cout += ligne["cout"] or Decimal(0)
    for ligne in _financements(ids):
        chiffres = par_code[ligne["action__territoire__departement_id"]]
        valeurs = Financements(ligne["n"], ligne["demande"] or Decimal(0), ligne["accorde"] or Decimal(0))
        if ligne["dispositif"] == Dispositif.FONDS_VERT:
            chiffres.fonds_vert.setdefault(ligne["axe_fonds_vert"], Financements()).ajouter(valeurs)
        else:
            chiffres.financements.setdefault(ligne["dispositif"], Financements()).ajouter(valeurs)
    clubs = chiffres_clubs(Departement.objects.filter(code__in=ids).order_by("code"), synthese.campagne.annee)
    for code, chiffres in par_code.items():
        chiffres.clubs = clubs.get(code) if clubs is not None else None
        region.ajouter(chiffres)
    return ChiffresSynthese(
        region=region,
        departements=[par_code[code] for code in ids],
        sections=sections,
        risques_calcules=_risques_calcules(ids),
        clubs_disponibles=clubs is not None,
        clubs_region=_clubs_region(clubs),
        calcule_le=today or timezone.localdate(),
    )
