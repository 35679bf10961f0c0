"""Chiffres du tableau de bord, calculés par des requêtes d'agrégat en base (aucune boucle sur les communes).

- chiffres_calculer(codes) : sept requêtes GROUP BY qui donnent, pour chaque département demandé, tous les
  chiffres (communes, territoires et chefs de projet, actions, financements) et la série mensuelle.
  La phase, les alertes et le risque sont ceux de communes.querysets.suivi_annotations : la liste des
  communes, ses filtres et le tableau de bord comptent exactement la même chose.
- chiffres_departements(codes) : les mêmes chiffres, mis en cache par département sous la version de ses
  données (communes.versions) et la date du jour ; seuls les départements modifiés depuis sont recalculés.
- Une région ou la France entière = la somme de ses départements (sommes exactes de comptes).
"""

import datetime
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear, Greatest, TruncMonth
from django.utils import timezone

from communes.constants import STATUTS_ENGAGES, Dispositif, Phase, TypeConvention
from communes.models import Action, Convention, Financement, Ort, Territoire, VersionDepartement
from communes.querysets import couverte_crte, suivi_annotations
from pvd.formats import compte
from pvd.formats import nombre as nombre_fr
from territoires.models import Commune, Departement

DEBUT_PROGRAMME = datetime.date(2020, 10, 1)
CACHE_PREFIXE = "tableau:chiffres:v2"
CACHE_DUREE = 24 * 3600
# Un département en cours de calcul par un autre processus : on attend ses chiffres au plus ce temps.
ATTENTE_CALCUL_S = 10

# Drapeaux comptés par commune : (clé de Chiffres, colonne de la requête par commune). Ils ne comptent que
# les communes en cours (ni retirées ni sorties de la liste) : voir chiffres_calculer.
DRAPEAUX_COMMUNES = [
    ("adhesion", "has_adhesion"),
    ("adhesion_a_confirmer", "is_adhesion_a_confirmer"),
    ("cadre_connu", "has_cadre"),
    ("cadre_signee", "has_cadre_signee"),
    ("cadre_ort", "has_cadre_ort"),
    ("ort_signee", "has_ort_signee"),
    ("ort_sans_date", "is_ort_sans_date"),
    ("ort_a_confirmer", "is_ort_a_confirmer"),
    ("ort_en_vigueur", "is_ort_en_vigueur"),
    ("crte", "is_inscrit_crte"),
    ("crte_couvertes", "is_couverte_crte"),
    ("risque", "is_risque"),
    ("a_renseigner", "is_a_renseigner"),
    ("retard_cadre", "is_retard_cadre"),
    ("retard_inconnu", "is_retard_inconnu"),
]


COMPTES = ("communes", "retirees", "sorties", "operationnelle", "territoires", "cadre_propose",
           *(cle for cle, _ in DRAPEAUX_COMMUNES))  # fmt: skip


@dataclass(slots=True)
class Chiffres:
    """Les chiffres d'un département ; additionnés, ceux d'une région ou de la France entière.
    Chaque compte est défini une fois, dans DEFINITIONS (plus bas) : c'est ce que lisent le tableau de bord,
    la note de synthèse, l'API et les exports."""

    communes: int = 0  # communes de la liste PVD en vigueur, retirées comprises
    retirees: int = 0
    sorties: int = 0  # sorties de la liste PVD : comptées à part, dans aucun autre chiffre
    operationnelle: int = 0
    adhesion: int = 0
    adhesion_a_confirmer: int = 0
    cadre_connu: int = 0  # convention-cadre renseignée (en élaboration ou signée)
    cadre_signee: int = 0
    cadre_ort: int = 0
    cadre_propose: int = 0  # convention-cadre valant ORT proposée d'après la liste ORT, à confirmer
    ort_signee: int = 0
    ort_sans_date: int = 0
    ort_a_confirmer: int = 0
    ort_en_vigueur: int = 0
    crte: int = 0
    crte_couvertes: int = 0
    risque: int = 0
    a_renseigner: int = 0
    retard_cadre: int = 0
    retard_inconnu: int = 0
    territoires: int = 0
    # CRTE distincts qui couvrent au moins une commune en cours (un ensemble : l'union est exacte)
    crtes: frozenset = frozenset()
    # phase → nombre de communes (retirées comprises, phase « retirée »)
    phases: dict = field(default_factory=dict)
    # statut du chef de projet ("" : non renseigné) → nombre de territoires
    chefs: dict = field(default_factory=dict)
    # statut → nombre d'actions, et → coût total en centimes
    actions: dict = field(default_factory=dict)
    actions_cout: dict = field(default_factory=dict)
    # (dispositif, axe du fonds vert ou "", mesure du fonds vert ou "") → [lignes, demandé, accordé]
    # (montants en centimes : des entiers, exacts et rapides à additionner et à mettre en cache)
    financements: dict = field(default_factory=dict)
    # "AAAA-MM" → communes entrées en phase opérationnelle ce mois-là (et toujours opérationnelles)
    mois: dict = field(default_factory=dict)

    def ajouter(self, autre):
        """Ajoute (sur place) les chiffres d'un autre département."""
        for nom in COMPTES:
            setattr(self, nom, getattr(self, nom) + getattr(autre, nom))
        self.crtes = self.crtes | autre.crtes
        for nom in ("phases", "chefs", "actions", "actions_cout", "mois"):
            mien = getattr(self, nom)
            for cle, valeur in getattr(autre, nom).items():
                mien[cle] = mien.get(cle, 0) + valeur
        for cle, (lignes, demande, accorde) in autre.financements.items():
            mien = self.financements.get(cle)
            if mien is None:
                self.financements[cle] = [lignes, demande, accorde]
            else:
                mien[0] += lignes
                mien[1] += demande
                mien[2] += accorde
        return self

    @classmethod
    def somme(cls, chiffres):
        total = cls()
        for c in chiffres:
            total.ajouter(c)
        return total

    # Chiffres dérivés -------------------------------------------------------------------------------
    @property
    def en_cours(self):
        """Communes de la liste en vigueur qui n'ont pas quitté le programme : l'assiette des chiffres du
        suivi (une commune retirée ne compte ni au numérateur ni au dénominateur)."""
        return self.communes - self.retirees

    def taux(self, nombre, denominateur=None):
        denominateur = self.en_cours if denominateur is None else denominateur
        return nombre / denominateur if denominateur else None

    @property
    def crtes_count(self):
        return len(self.crtes)

    @property
    def chefs_en_poste(self):
        return self.chefs.get("en_poste", 0)

    @property
    def chefs_vacants(self):
        return self.chefs.get("vacant", 0)

    @property
    def chefs_a_recruter(self):
        return self.chefs.get("a_recruter", 0)

    @property
    def chefs_non_renseignes(self):
        return self.chefs.get("", 0)

    @property
    def actions_total(self):
        return sum(self.actions.values())

    @property
    def actions_engagees(self):
        return sum(self.actions.get(statut, 0) for statut in STATUTS_ENGAGES)

    def _financements_par(self, rang, *, fonds_vert_seulement=False):
        """{clé: [lignes, demandé, accordé]} : les financements regroupés par l'élément `rang` de leur clé
        (0 dispositif, 1 axe, 2 mesure du fonds vert), éventuellement ceux du fonds vert seulement."""
        resultat = {}
        for cle, valeurs in self.financements.items():
            if fonds_vert_seulement and cle[0] != Dispositif.FONDS_VERT:
                continue
            anciennes = resultat.get(cle[rang], [0, 0, 0])
            resultat[cle[rang]] = [a + b for a, b in zip(anciennes, valeurs, strict=True)]
        return resultat

    def par_dispositif(self):
        """{dispositif: [lignes, demandé, accordé]}, mesures du fonds vert regroupées."""
        return self._financements_par(0)

    def fonds_vert_par_axe(self):
        return self._financements_par(1, fonds_vert_seulement=True)

    def fonds_vert_par_mesure(self):
        return self._financements_par(2, fonds_vert_seulement=True)

    @property
    def financements_accordes(self):
        """En centimes."""
        return sum(v[2] for v in self.financements.values())

    @property
    def fonds_vert_accorde(self):
        """En centimes."""
        return sum(v[2] for v in self.fonds_vert_par_mesure().values())

    def serie_mensuelle(self, today=None):
        """[(date du 1er du mois, communes en phase opérationnelle à la fin du mois, part)] depuis octobre
        2020 : cumul des mois d'entrée en phase opérationnelle, rapporté aux communes PVD en cours."""
        today = today or timezone.localdate()
        serie, cumul, mois = [], 0, DEBUT_PROGRAMME
        cumul = sum(n for cle, n in self.mois.items() if cle < f"{mois:%Y-%m}")
        while mois <= today:
            cumul += self.mois.get(f"{mois:%Y-%m}", 0)
            serie.append((mois, cumul, self.taux(cumul)))
            mois = (mois + datetime.timedelta(days=32)).replace(day=1)
        return serie


# Requêtes ---------------------------------------------------------------------------------------------
def _ort_en_vigueur(today):
    """ORT signée dont la durée (si connue) n'est pas écoulée — une ORT signée sans date connue compte en
    vigueur —, ou convention-cadre valant ORT signée."""
    fin = ExtractYear("date_signature") + F("duree_annees")
    orts = (
        Ort.objects.filter(
            Q(date_signature__lte=today) | Q(date_signature__isnull=True), territoire=OuterRef("territoire")
        )
        .annotate(fin_annee=fin, mois=ExtractMonth("date_signature"), jour=ExtractDay("date_signature"))
        .filter(
            Q(duree_annees__isnull=True)
            | Q(date_signature__isnull=True)
            | Q(fin_annee__gt=today.year)
            | Q(fin_annee=today.year, mois__gt=today.month)
            | Q(fin_annee=today.year, mois=today.month, jour__gt=today.day)
        )
    )
    return Case(
        When(Exists(orts), then=Value(True)),
        When(has_cadre_ort=True, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _provenance():
    """Valeurs reprises d'un fichier officiel et pas encore confirmées, et ORT sans date connue."""
    conventions = Convention.objects.filter(territoire=OuterRef("territoire"))
    ort = Ort.objects.filter(territoire=OuterRef("territoire"))
    return {
        "is_adhesion_a_confirmer": Exists(
            conventions.filter(type=TypeConvention.ADHESION, date_signature__isnull=False, a_confirmer=True)
        ),
        "is_ort_a_confirmer": Exists(ort.filter(a_confirmer=True)),
        "is_ort_sans_date": Exists(ort.filter(date_signature__isnull=True)),
    }


def _date_operationnelle():
    """Date d'entrée en phase opérationnelle : la dernière des trois conditions remplie (convention-cadre
    valant ORT signée, inscription au CRTE, première action engagée) ; vide si la commune n'y est pas."""
    premier_engagement = Subquery(
        Action.objects.filter(territoire=OuterRef("territoire"), statut__in=STATUTS_ENGAGES)
        .order_by()
        .values("territoire")
        .annotate(premier=Min("date_engagement"))
        .values("premier"),
        output_field=DateField(),
    )
    return Case(
        When(
            phase=Phase.OPERATIONNELLE,
            then=Greatest("date_cadre", "territoire__date_inscription_crte", premier_engagement),
        ),
        output_field=DateField(),
    )


def _territoires_pvd():
    """Territoires qui comptent au moins une commune lauréate."""
    return Exists(Commune.objects.pvd().filter(territoire=OuterRef("pk")))


def requetes_agregats(codes, *, today):
    """Les sept requêtes d’agrégat (nom, QuerySet) pour les départements `codes`.

    La requête des communes groupe par département, phase, mois d'entrée en phase opérationnelle et
    drapeaux : chaque expression est calculée une fois par commune (GROUP BY sur les colonnes du SELECT)
    et la base ne renvoie que quelques milliers de groupes, même pour 35 000 communes."""
    communes = (
        Commune.objects.pvd()
        .filter(departement_id__in=codes)
        .annotate(**suivi_annotations(prefix="territoire__", today=today))
        .annotate(
            is_ort_en_vigueur=_ort_en_vigueur(today),
            date_operationnelle=_date_operationnelle(),
            is_couverte_crte=couverte_crte(),
            **_provenance(),
        )
        .annotate(mois_operationnel=TruncMonth("date_operationnelle", output_field=DateField()))
        .order_by()
        .values(
            "departement_id", "phase", "mois_operationnel", *(colonne for _, colonne in DRAPEAUX_COMMUNES)
        )
        .annotate(n=Count("pk"))
        .values_list("departement_id", "phase", "mois_operationnel", "n", *(c for _, c in DRAPEAUX_COMMUNES))
    )
    territoires = (
        Territoire.objects.filter(_territoires_pvd(), departement_id__in=codes)
        .order_by()
        .values("departement_id", "chef_de_projet__statut")
        .annotate(n=Count("pk"))
        .values_list("departement_id", "chef_de_projet__statut", "n")
    )
    en_cours = Commune.objects.pvd().filter(departement_id__in=codes, territoire__date_retrait__isnull=True)
    sorties = (
        Commune.objects.sorties()
        .filter(departement_id__in=codes)
        .order_by()
        .values("departement_id")
        .annotate(n=Count("pk"))
        .values_list("departement_id", "n")
    )
    cadres_proposes = (
        en_cours.filter(territoire__in=Territoire.objects.cadre_ort_propose().values("pk"))
        .order_by()
        .values("departement_id")
        .annotate(n=Count("pk"))
        .values_list("departement_id", "n")
    )
    crtes = (
        en_cours.filter(epci__crtes__isnull=False)
        .order_by()
        .values_list("departement_id", "epci__crtes")
        .distinct()
    )
    pvd_territoire = Exists(Commune.objects.pvd().filter(territoire=OuterRef("territoire")))
    actions = (
        Action.objects.filter(pvd_territoire, territoire__departement_id__in=codes)
        .order_by()
        .values("territoire__departement_id", "statut")
        .annotate(n=Count("pk"), total=Sum("cout"))
        .values_list("territoire__departement_id", "statut", "n", "total")
    )
    financements = (
        Financement.objects.filter(
            Exists(Commune.objects.pvd().filter(territoire=OuterRef("action__territoire"))),
            action__territoire__departement_id__in=codes,
        )
        .order_by()
        .values("action__territoire__departement_id", "dispositif", "axe_fonds_vert", "mesure_fonds_vert")
        .annotate(n=Count("pk"), demande=Sum("montant_demande"), accorde=Sum("montant_accorde"))
        .values_list(
            "action__territoire__departement_id",
            "dispositif",
            "axe_fonds_vert",
            "mesure_fonds_vert",
            "n",
            "demande",
            "accorde",
        )
    )
    return {
        "communes": communes,
        "sorties": sorties,
        "cadres_proposes": cadres_proposes,
        "crtes": crtes,
        "territoires": territoires,
        "actions": actions,
        "financements": financements,
    }


def _centimes(valeur):
    return int(round(Decimal(str(valeur)) * 100)) if valeur is not None else 0


def euros(centimes):
    return Decimal(centimes) / 100


def chiffres_calculer(codes, *, today=None):
    """{code département: Chiffres} pour les départements demandés : sept requêtes GROUP BY, quel que
    soit le nombre de départements et de communes ; Python n'additionne que les groupes renvoyés."""
    today = today or timezone.localdate()
    codes = list(codes)
    resultat = {code: Chiffres() for code in codes}
    if not codes:
        return resultat
    lignes = {
        nom: list(requete)
        for nom, requete in requetes_agregats(list(dict.fromkeys(codes)), today=today).items()
    }

    for dep, phase, mois, nombre, *drapeaux in lignes["communes"]:
        c = resultat[dep]
        c.communes += nombre
        c.phases[phase] = c.phases.get(phase, 0) + nombre
        if phase == Phase.RETIREE:
            c.retirees += nombre
            continue
        if phase == Phase.OPERATIONNELLE:
            c.operationnelle += nombre
            if mois is not None:
                cle = f"{mois:%Y-%m}"
                c.mois[cle] = c.mois.get(cle, 0) + nombre
        for (cle, _), drapeau in zip(DRAPEAUX_COMMUNES, drapeaux, strict=True):
            if drapeau:
                setattr(c, cle, getattr(c, cle) + nombre)
    for dep, nombre in lignes["sorties"]:
        resultat[dep].sorties = nombre
    for dep, nombre in lignes["cadres_proposes"]:
        resultat[dep].cadre_propose = nombre
    crtes = {}
    for dep, crte in lignes["crtes"]:
        crtes.setdefault(dep, set()).add(crte)
    for dep, codes_crte in crtes.items():
        resultat[dep].crtes = frozenset(codes_crte)
    for dep, statut, nombre in lignes["territoires"]:
        c = resultat[dep]
        c.territoires += nombre
        c.chefs[statut or ""] = c.chefs.get(statut or "", 0) + nombre
    for dep, statut, nombre, cout in lignes["actions"]:
        resultat[dep].actions[statut] = nombre
        resultat[dep].actions_cout[statut] = _centimes(cout)
    for dep, dispositif, axe, mesure, nombre, demande, accorde in lignes["financements"]:
        resultat[dep].financements[(dispositif, axe or "", mesure or "")] = [
            nombre,
            _centimes(demande),
            _centimes(accorde),
        ]
    return resultat


def chiffres_departements(codes, *, today=None):
    """Comme chiffres_calculer, avec le cache : une requête pour lire les versions, et les requêtes
    d'agrégat seulement pour les départements dont les données ont changé (ou jamais calculés)."""
    return _chiffres_en_cache(codes, today=today or timezone.localdate())[0]


def _chiffres_en_cache(codes, *, today):
    """(chiffres par département, nombre de départements calculés ici). Un département absent du cache est
    calculé par un seul processus à la fois : les autres visiteurs attendent ses chiffres (verrou dans le
    cache partagé) au lieu de refaire les mêmes requêtes."""
    codes = list(codes)
    # La version est lue AVANT le calcul : les chiffres calculés sont au moins aussi récents qu'elle.
    versions = VersionDepartement.objects.jetons(codes)
    cles = {code: f"{CACHE_PREFIXE}:{today:%Y%m%d}:{code}:{versions.get(code, 0)}" for code in codes}
    trouves = cache.get_many(list(cles.values()))
    resultat = {code: trouves[cle] for code, cle in cles.items() if cle in trouves}
    calcules_count = 0
    manquants = [code for code in codes if code not in resultat]
    fin = time.monotonic() + ATTENTE_CALCUL_S
    while manquants:
        miens = [code for code in manquants if cache.add(f"{cles[code]}:calcul", 1, ATTENTE_CALCUL_S)]
        if not miens and time.monotonic() >= fin:
            miens = manquants  # l'autre calcul n'a pas abouti à temps : on le fait
        if miens:
            try:
                calcules = chiffres_calculer(miens, today=today)
                cache.set_many({cles[code]: chiffres for code, chiffres in calcules.items()}, CACHE_DUREE)
            finally:
                cache.delete_many([f"{cles[code]}:calcul" for code in miens])
            resultat.update(calcules)
            calcules_count += len(miens)
        autres = [code for code in manquants if code not in resultat]
        if autres:
            time.sleep(0.05)
            trouves = cache.get_many([cles[code] for code in autres])
            resultat.update({code: trouves[cles[code]] for code in autres if cles[code] in trouves})
        manquants = [code for code in manquants if code not in resultat]
    return resultat, calcules_count


def chiffres_prechauffer(*, today=None):
    """Calcule d'avance (worker) les chiffres des départements qui ont changé ou pas encore été calculés
    aujourd'hui : après minuit, après un chargement du référentiel ou un import, aucun visiteur ne les calcule.
    Renvoie le nombre de départements calculés."""
    codes = Departement.objects.values_list("code", flat=True)
    return _chiffres_en_cache(codes, today=today or timezone.localdate())[1]


# Présentation -----------------------------------------------------------------------------------------
MOIS_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


@dataclass(frozen=True)
class Perimetre:
    """Ce que montre une page : la France entière, une région ou un département, limité à ce que
    l'utilisateur voit. `departements` : codes des départements comptés."""

    niveau: str  # "national", "region" ou "departement"
    nom: str
    departements: tuple
    region: object = None
    departement: object = None


@dataclass(frozen=True)
class Definition:
    """Un chiffre, défini une fois : ce que lisent le tableau de bord, la note de synthèse, l'API et les
    exports (valeur, dénominateur, non renseignés, à confirmer), et la page « Définitions des indicateurs »."""

    code: str
    libelle: str
    definition: str
    compte: str  # ce qui est compté : "communes", "territoires", "actions" ou "euros"
    retraits: str  # comment comptent les communes retirées du programme ou sorties de la liste
    source: str
    valeur: object  # Chiffres → nombre
    total: object = None  # Chiffres → dénominateur de la part (None : pas de part)
    non_renseignes: object = None  # Chiffres → nombre de « non renseigné » (None : sans objet)
    a_confirmer: object = None  # Chiffres → valeurs reprises d'un fichier officiel, pas encore confirmées
    detail: object = None  # Chiffres → texte
    libelle_non_renseignes: tuple = ("non renseignée", "non renseignées")  # singulier, pluriel

    @property
    def format(self):
        return "euros" if self.compte == "euros" else "nombre"


SUIVI_EN_COURS = (
    "Parmi les communes de la liste PVD en vigueur qui n’ont pas quitté le programme : une commune retirée "
    "n’est comptée ni dans le chiffre ni dans le total ; une commune sortie de la liste n’est comptée nulle part "
    "(elle l’est à part, avec les communes PVD)."
)
SAISIE = "Suivi saisi par la préfecture de département dans PVD Suivi."


def _detail_communes(c):
    morceaux = []
    if c.retirees:
        morceaux.append(f"dont {compte(c.retirees, 'retirée')} du programme")
    if c.sorties:
        morceaux.append(
            f"{compte(c.sorties, 'commune sortie', 'communes sorties')} de la liste, comptées à part"
        )
    return " · ".join(morceaux)


def _detail_cadre(c):
    morceaux = [
        f"dont {nombre_fr(c.cadre_ort)} valant ORT",
        f"{nombre_fr(c.cadre_connu - c.cadre_signee)} en élaboration",
    ]
    if c.cadre_propose:
        morceaux.append(
            f"{compte(c.cadre_propose, 'proposée', 'proposées')} d’après la liste ORT, à confirmer (non comptées)"
        )
    return " · ".join(morceaux)


def _detail_ort(c):
    morceaux = [f"{nombre_fr(c.ort_en_vigueur)} en vigueur"]
    if c.ort_sans_date:
        morceaux.append(f"{compte(c.ort_sans_date, 'signée', 'signées')} sans date connue")
    return "dont " + " · ".join(morceaux)


DEFINITIONS = {
    d.code: d
    for d in [
        Definition(
            "communes",
            "Communes PVD",
            "Communes de la liste Petites villes de demain en vigueur (le dernier millésime chargé).",
            "communes",
            "Les communes retirées du programme sont comptées (et dénombrées dans le détail) ; les communes "
            "sorties de la liste ne le sont pas : elles sont dénombrées à part.",
            "Liste des communes PVD de l’ANCT (data.gouv.fr), millésime chargé.",
            lambda c: c.communes,
            detail=_detail_communes,
        ),
        Definition(
            "adhesion",
            "Convention d’adhésion signée",
            "Communes dont le territoire a une convention d’adhésion avec une date de signature.",
            "communes",
            SUIVI_EN_COURS,
            "Date de signature de la liste PVD de l’ANCT (à confirmer), puis "
            + SAISIE[0].lower()
            + SAISIE[1:],
            lambda c: c.adhesion,
            total=lambda c: c.en_cours,
            non_renseignes=lambda c: c.en_cours - c.adhesion,
            a_confirmer=lambda c: c.adhesion_a_confirmer,
        ),
        Definition(
            "cadre_signee",
            "Convention-cadre signée",
            "Communes dont le territoire a une convention-cadre avec une date de signature. « Non renseignée » : "
            "aucune convention-cadre saisie (ni en élaboration ni signée). Une convention-cadre proposée d’après "
            "la liste ORT n’est comptée qu’une fois confirmée par la préfecture.",
            "communes",
            SUIVI_EN_COURS,
            SAISIE,
            lambda c: c.cadre_signee,
            total=lambda c: c.en_cours,
            non_renseignes=lambda c: c.en_cours - c.cadre_connu,
            detail=_detail_cadre,
        ),
        Definition(
            "ort_signee",
            "ORT signée",
            "Communes dont le territoire a une ORT signée (avec ou sans date connue) ou une convention-cadre "
            "signée valant ORT. « En vigueur » : signée à la date du jour et dont la durée, si elle est connue, "
            "n’est pas écoulée (une ORT sans date connue est comptée en vigueur).",
            "communes",
            SUIVI_EN_COURS,
            "Liste des ORT de la DGALN et de l’ANCT (à confirmer), puis " + SAISIE[0].lower() + SAISIE[1:],
            lambda c: c.ort_signee,
            total=lambda c: c.en_cours,
            non_renseignes=lambda c: c.en_cours - c.ort_signee,
            a_confirmer=lambda c: c.ort_a_confirmer,
            detail=_detail_ort,
        ),
        Definition(
            "crte_couverture",
            "Couvertes par un CRTE",
            "Communes dont l’EPCI est signataire d’au moins un CRTE (contrat pour la réussite de la transition "
            "écologique), et nombre de CRTE distincts qui les couvrent. C’est un fait du périmètre des contrats, "
            "distinct de l’inscription de la convention-cadre au CRTE.",
            "communes",
            SUIVI_EN_COURS,
            "Périmètres officiels des CRTE (ANCT, groupements d’EPCI), par l’EPCI de la commune.",
            lambda c: c.crte_couvertes,
            total=lambda c: c.en_cours,
            detail=lambda c: compte(c.crtes_count, "CRTE distinct", "CRTE distincts"),
        ),
        Definition(
            "crte",
            "Convention-cadre inscrite au CRTE",
            "Communes dont le territoire a enregistré le CRTE et la date d’inscription de sa convention-cadre.",
            "communes",
            SUIVI_EN_COURS,
            SAISIE,
            lambda c: c.crte,
            total=lambda c: c.en_cours,
            non_renseignes=lambda c: c.en_cours - c.crte,
        ),
        Definition(
            "operationnelle",
            "En phase opérationnelle",
            "Communes dont le territoire a une convention-cadre signée valant ORT, inscrite au CRTE, et au moins "
            "une action engagée ou livrée.",
            "communes",
            SUIVI_EN_COURS,
            SAISIE,
            lambda c: c.operationnelle,
            total=lambda c: c.en_cours,
        ),
        Definition(
            "risque",
            "En difficulté",
            "Communes que la préfecture a jugées à risque de ne pas atteindre la phase opérationnelle, ou, sans "
            "décision, que le suivi signale parce qu’il y manque, de façon connue, une pièce : convention-cadre "
            "en élaboration ou sans valeur d’ORT, des actions mais aucune engagée, poste de chef de projet vacant "
            "ou à recruter. Ce qui n’est pas renseigné ne signale rien : une commune dont on ne connaît ni la "
            "convention-cadre, ni le chef de projet, ni les actions est « à renseigner », comptée à part.",
            "communes",
            SUIVI_EN_COURS + " Les communes en phase opérationnelle ne sont jamais en difficulté.",
            SAISIE,
            lambda c: c.risque,
            total=lambda c: c.en_cours,
            non_renseignes=lambda c: c.a_renseigner,
            libelle_non_renseignes=("à renseigner", "à renseigner"),
        ),
        Definition(
            "retard_cadre",
            "Échéance des 18 mois dépassée",
            "Communes dont l’adhésion a plus de 18 mois et dont la convention-cadre, saisie, n’est pas signée. "
            "« Non renseignée » : adhésion de plus de 18 mois sans rien de saisi sur la convention-cadre.",
            "communes",
            SUIVI_EN_COURS,
            SAISIE,
            lambda c: c.retard_cadre,
            total=lambda c: c.en_cours,
            non_renseignes=lambda c: c.retard_inconnu,
        ),
        Definition(
            "chefs",
            "Chefs de projet en poste",
            "Territoires PVD (binômes commune(s)–EPCI, qui recrutent le chef de projet) dont le chef de projet est "
            "en poste. « Non renseigné » : aucun statut saisi.",
            "territoires",
            "Territoires qui comptent au moins une commune de la liste en vigueur, retirés compris.",
            SAISIE,
            lambda c: c.chefs_en_poste,
            total=lambda c: c.territoires,
            non_renseignes=lambda c: c.chefs_non_renseignes,
            detail=lambda c: (
                f"{compte(c.chefs_vacants, 'poste vacant', 'postes vacants')} · "
                f"{nombre_fr(c.chefs_a_recruter)} à recruter"
            ),
            libelle_non_renseignes=("non renseigné", "non renseignés"),
        ),
        Definition(
            "actions",
            "Actions engagées ou livrées",
            "Actions (fiches actions) au statut « engagée » ou « livrée », parmi toutes les actions saisies.",
            "actions",
            "Actions des territoires qui comptent au moins une commune de la liste en vigueur.",
            SAISIE,
            lambda c: c.actions_engagees,
            total=lambda c: c.actions_total,
        ),
        Definition(
            "financements",
            "Financements accordés",
            "Somme des montants accordés des lignes de financement des actions, tous dispositifs (fonds vert, "
            "DETR, DSIL…).",
            "euros",
            "Actions des territoires qui comptent au moins une commune de la liste en vigueur.",
            SAISIE,
            lambda c: c.financements_accordes,
        ),
        Definition(
            "fonds_vert",
            "dont fonds vert",
            "Montants accordés des lignes de financement du fonds vert.",
            "euros",
            "Actions des territoires qui comptent au moins une commune de la liste en vigueur.",
            SAISIE,
            lambda c: c.fonds_vert_accorde,
        ),
    ]
}


@dataclass(frozen=True)
class ChiffreCle:
    """Un chiffre d'un périmètre, lu dans sa Definition."""

    definition: Definition
    valeur: int
    total: int | None = None
    non_renseignes: int | None = None
    a_confirmer: int | None = None
    detail: str = ""

    @property
    def code(self):
        return self.definition.code

    @property
    def libelle(self):
        return self.definition.libelle

    @property
    def format(self):
        return self.definition.format

    @property
    def part(self):
        return self.valeur / self.total if self.total else None

    @property
    def completude(self):
        """« 1 547 non renseignées » ; « 98 à confirmer » : ce qu'on sait du chiffre."""
        morceaux = []
        if self.non_renseignes is not None:
            morceaux.append(compte(self.non_renseignes, *self.definition.libelle_non_renseignes))
        if self.a_confirmer:
            morceaux.append(f"dont {nombre_fr(self.a_confirmer)} à confirmer")
        return " · ".join(morceaux)


def chiffre(code, c):
    """Le ChiffreCle `code` des Chiffres c."""
    d = DEFINITIONS[code]

    def lire(fonction):
        return fonction(c) if fonction else None

    return ChiffreCle(
        d,
        d.valeur(c),
        total=lire(d.total),
        non_renseignes=lire(d.non_renseignes),
        a_confirmer=lire(d.a_confirmer),
        detail=lire(d.detail) or "",
    )


def chiffres_cles(c):
    """Les chiffres clés d'un périmètre, dans l'ordre des DEFINITIONS (tuiles, tableau « Chiffres clés »,
    exports, note de synthèse)."""
    return [chiffre(code, c) for code in DEFINITIONS]


@dataclass(frozen=True)
class Indicateur:
    """Indicateur proposé pour la carte : sa valeur se lit dans les Chiffres d'une zone."""

    code: str
    libelle: str
    format: str  # "part" (0..1), "nombre" ou "euros" (centimes)
    valeur: object  # Chiffres → nombre ou None

    @property
    def est_part(self):
        return self.format == "part"


def _part(code):
    d = DEFINITIONS[code]
    return lambda c: c.taux(d.valeur(c), d.total(c))


INDICATEURS = {
    i.code: i
    for i in [
        Indicateur("operationnelle", "Communes en phase opérationnelle", "part", _part("operationnelle")),
        Indicateur("cadre", "Convention-cadre signée", "part", _part("cadre_signee")),
        Indicateur("ort", "ORT signée", "part", _part("ort_signee")),
        Indicateur("crte_couverture", "Couvertes par un CRTE", "part", _part("crte_couverture")),
        Indicateur("crte", "Convention-cadre inscrite au CRTE", "part", _part("crte")),
        Indicateur("risque", "Communes en difficulté", "part", _part("risque")),
        Indicateur("a_renseigner", "Communes à renseigner", "part", lambda c: c.taux(c.a_renseigner)),
        Indicateur("retard", "Échéance des 18 mois dépassée", "part", _part("retard_cadre")),
        Indicateur("chefs", "Territoires avec un chef de projet en poste", "part", _part("chefs")),
        Indicateur("communes", "Communes PVD", "nombre", lambda c: c.communes),
        Indicateur("actions", "Actions engagées ou livrées", "nombre", lambda c: c.actions_engagees),
        Indicateur("financements", "Financements accordés", "euros", lambda c: c.financements_accordes),
        Indicateur("fonds_vert", "Fonds vert accordé", "euros", lambda c: c.fonds_vert_accorde),
    ]
}
INDICATEUR_PAR_DEFAUT = "operationnelle"


def figer(c):
    """Les chiffres clés de c en données simples (JSON) : {code: {"valeur", "total", "non_renseignes",
    "a_confirmer"}}, pour figer une note transmise et comparer une campagne à la précédente."""
    return {
        cle.code: {
            "valeur": cle.valeur,
            "total": cle.total,
            "non_renseignes": cle.non_renseignes,
            "a_confirmer": cle.a_confirmer,
        }
        for cle in chiffres_cles(c)
    }
