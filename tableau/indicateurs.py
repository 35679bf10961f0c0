"""Chiffres du tableau de bord, calculés par des requêtes d'agrégat en base (aucune boucle sur les communes).

- chiffres_calculer(codes) : quatre requêtes GROUP BY qui donnent, pour chaque département demandé, tous les
  chiffres (communes, territoires et chefs de projet, actions, financements) et la série mensuelle.
  La phase, les alertes et le risque sont ceux de communes.querysets.suivi_annotations : la liste des
  communes, ses filtres et le tableau de bord comptent exactement la même chose.
- chiffres_departements(codes) : les mêmes chiffres, mis en cache par département sous la version de ses
  données (tableau.versions) et la date du jour ; seuls les départements modifiés depuis sont recalculés.
- Une région ou la France entière = la somme de ses départements (sommes exactes de comptes).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import connections
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

from communes.constants import STATUTS_ENGAGES, Dispositif, Phase
from communes.models import Action, Financement, Ort, Territoire
from communes.querysets import suivi_annotations
from tableau.models import VersionDepartement
from territoires.models import Commune

DEBUT_PROGRAMME = datetime.date(2020, 10, 1)
CACHE_PREFIXE = "tableau:chiffres:v1"
CACHE_DUREE = 24 * 3600

# Drapeaux comptés par commune : (clé, colonne de la requête par commune).
DRAPEAUX_COMMUNES = [
    ("adhesion", "has_adhesion"),
    ("cadre_signee", "has_cadre_signee"),
    ("cadre_ort", "has_cadre_ort"),
    ("ort_en_vigueur", "is_ort_en_vigueur"),
    ("crte", "is_inscrit_crte"),
    ("risque", "is_risque"),
    ("retard_cadre", "is_retard_cadre"),
]


COMPTES = ("communes", "adhesion", "cadre_signee", "cadre_ort", "ort_en_vigueur", "crte", "operationnelle",
           "risque", "retard_cadre", "retirees", "territoires")  # fmt: skip


@dataclass(slots=True)
class Chiffres:
    """Les chiffres d'un département ; additionnés, ceux d'une région ou de la France entière."""

    communes: int = 0
    adhesion: int = 0
    cadre_signee: int = 0
    cadre_ort: int = 0
    ort_en_vigueur: int = 0
    crte: int = 0
    operationnelle: int = 0
    risque: int = 0
    retard_cadre: int = 0
    retirees: int = 0
    territoires: int = 0
    # statut du chef de projet ("" : non renseigné) → nombre de territoires
    chefs: dict = field(default_factory=dict)
    # statut → nombre d'actions, et → coût total en centimes
    actions: dict = field(default_factory=dict)
    actions_cout: dict = field(default_factory=dict)
    # (dispositif, mesure du fonds vert ou "") → [lignes, demandé, accordé] (montants en centimes : des
    # entiers, exacts et rapides à additionner et à mettre en cache)
    financements: dict = field(default_factory=dict)
    # "AAAA-MM" → communes entrées en phase opérationnelle ce mois-là (et toujours opérationnelles)
    mois: dict = field(default_factory=dict)

    def ajouter(self, autre):
        """Ajoute (sur place) les chiffres d'un autre département."""
        for nom in COMPTES:
            setattr(self, nom, getattr(self, nom) + getattr(autre, nom))
        for nom in ("chefs", "actions", "actions_cout", "mois"):
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
    def taux(self, nombre, denominateur=None):
        denominateur = self.communes if denominateur is None else denominateur
        return nombre / denominateur if denominateur else None

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

    def par_dispositif(self):
        """{dispositif: [lignes, demandé, accordé]}, mesures du fonds vert regroupées."""
        resultat = {}
        for (dispositif, _mesure), valeurs in self.financements.items():
            anciennes = resultat.get(dispositif, [0, 0, 0])
            resultat[dispositif] = [a + b for a, b in zip(anciennes, valeurs, strict=True)]
        return resultat

    def fonds_vert_par_mesure(self):
        return {
            mesure: valeurs
            for (dispositif, mesure), valeurs in self.financements.items()
            if dispositif == Dispositif.FONDS_VERT
        }

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
        2020 : cumul des mois d'entrée en phase opérationnelle, rapporté aux communes PVD d'aujourd'hui."""
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
    """ORT signée dont la durée (si connue) n'est pas écoulée, ou convention-cadre valant ORT signée."""
    fin = ExtractYear("date_signature") + F("duree_annees")
    orts = (
        Ort.objects.filter(territoire=OuterRef("territoire"), date_signature__lte=today)
        .annotate(fin_annee=fin, mois=ExtractMonth("date_signature"), jour=ExtractDay("date_signature"))
        .filter(
            Q(duree_annees__isnull=True)
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
    """Les quatre requêtes d'agrégat (nom, QuerySet) pour les départements `codes`.

    La requête des communes groupe par département, phase, mois d'entrée en phase opérationnelle et
    drapeaux : chaque expression est calculée une fois par commune (GROUP BY sur les colonnes du SELECT)
    et la base ne renvoie que quelques milliers de groupes, même pour 35 000 communes."""
    communes = (
        Commune.objects.pvd()
        .filter(departement_id__in=codes)
        .annotate(**suivi_annotations(prefix="territoire__", today=today))
        .annotate(is_ort_en_vigueur=_ort_en_vigueur(today), date_operationnelle=_date_operationnelle())
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
    actions = (
        Action.objects.filter(
            Exists(Commune.objects.pvd().filter(territoire=OuterRef("territoire"))),
            territoire__departement_id__in=codes,
        )
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
        .values("action__territoire__departement_id", "dispositif", "mesure_fonds_vert")
        .annotate(n=Count("pk"), demande=Sum("montant_demande"), accorde=Sum("montant_accorde"))
        .values_list(
            "action__territoire__departement_id", "dispositif", "mesure_fonds_vert", "n", "demande", "accorde"
        )
    )
    return {
        "communes": communes,
        "territoires": territoires,
        "actions": actions,
        "financements": financements,
    }


def _centimes(valeur):
    return int(round(Decimal(str(valeur)) * 100)) if valeur is not None else 0


def euros(centimes):
    return Decimal(centimes) / 100


# Compiler les quatre requêtes d'agrégat (SQL produit par l'ORM) coûte plus que de les exécuter pour un
# département (35 ms contre 15 ms). Leur SQL ne dépend que de la date et du nombre de départements : chaque
# processus le compile une fois avec des codes de substitution, qu'il remplace ensuite par les vrais codes.
SUBSTITUT = "¤{}"
_COMPILEES = {}


def _compiler(nombre, today, alias):
    cle = (alias, today, nombre)
    if cle not in _COMPILEES:
        if len(_COMPILEES) >= 64:
            _COMPILEES.clear()
        compilees = {}
        requetes = requetes_agregats([SUBSTITUT.format(i) for i in range(nombre)], today=today)
        for nom, requete in requetes.items():
            compilateur = requete.query.get_compiler(alias)
            sql, params = compilateur.as_sql()
            compilees[nom] = (compilateur, sql, params)
        _COMPILEES[cle] = compilees
    return _COMPILEES[cle]


def agregats_lire(codes, *, today):
    """{nom: lignes} des quatre requêtes d'agrégat, comme list(requete) pour chaque requête de
    requetes_agregats(codes), sans recompiler leur SQL."""
    codes = list(dict.fromkeys(codes))
    alias = Commune.objects.db
    substitution = {SUBSTITUT.format(i): code for i, code in enumerate(codes)}
    lignes = {}
    with connections[alias].cursor() as curseur:
        for nom, (compilateur, sql, params) in _compiler(len(codes), today, alias).items():
            curseur.execute(sql, [substitution.get(p, p) if isinstance(p, str) else p for p in params])
            # Les convertisseurs de l'ORM (dates, décimaux, booléens selon la base), comme list(requete).
            lignes[nom] = list(compilateur.results_iter(results=[curseur.fetchall()], tuple_expected=True))
    return lignes


def chiffres_calculer(codes, *, today=None):
    """{code département: Chiffres} pour les départements demandés : quatre requêtes GROUP BY, quel que
    soit le nombre de départements et de communes ; Python n'additionne que les groupes renvoyés."""
    today = today or timezone.localdate()
    codes = list(codes)
    resultat = {code: Chiffres() for code in codes}
    if not codes:
        return resultat
    lignes = agregats_lire(codes, today=today)

    for dep, phase, mois, nombre, *drapeaux in lignes["communes"]:
        c = resultat[dep]
        c.communes += nombre
        if phase == Phase.OPERATIONNELLE:
            c.operationnelle += nombre
            if mois is not None:
                cle = f"{mois:%Y-%m}"
                c.mois[cle] = c.mois.get(cle, 0) + nombre
        elif phase == Phase.RETIREE:
            c.retirees += nombre
        for (cle, _), drapeau in zip(DRAPEAUX_COMMUNES, drapeaux, strict=True):
            if drapeau:
                setattr(c, cle, getattr(c, cle) + nombre)
    for dep, statut, nombre in lignes["territoires"]:
        c = resultat[dep]
        c.territoires += nombre
        c.chefs[statut or ""] = c.chefs.get(statut or "", 0) + nombre
    for dep, statut, nombre, cout in lignes["actions"]:
        resultat[dep].actions[statut] = nombre
        resultat[dep].actions_cout[statut] = _centimes(cout)
    for dep, dispositif, mesure, nombre, demande, accorde in lignes["financements"]:
        resultat[dep].financements[(dispositif, mesure or "")] = [
            nombre,
            _centimes(demande),
            _centimes(accorde),
        ]
    return resultat


def chiffres_departements(codes, *, today=None):
    """Comme chiffres_calculer, avec le cache : une requête pour lire les versions, et les quatre requêtes
    d'agrégat seulement pour les départements dont les données ont changé (ou jamais calculés)."""
    today = today or timezone.localdate()
    codes = list(codes)
    # La version est lue AVANT le calcul : les chiffres calculés sont au moins aussi récents qu'elle.
    versions = VersionDepartement.objects.jetons(codes)
    cles = {code: f"{CACHE_PREFIXE}:{today:%Y%m%d}:{code}:{versions.get(code, 0)}" for code in codes}
    trouves = cache.get_many(list(cles.values()))
    resultat = {code: trouves[cle] for code, cle in cles.items() if cle in trouves}
    manquants = [code for code in codes if code not in resultat]
    if manquants:
        calcules = chiffres_calculer(manquants, today=today)
        cache.set_many({cles[code]: chiffres for code, chiffres in calcules.items()}, CACHE_DUREE)
        resultat.update(calcules)
    return resultat


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
class ChiffreCle:
    libelle: str
    valeur: int
    total: int | None = None  # dénominateur de la part, s'il y a lieu
    detail: str = ""
    format: str = "nombre"  # "nombre" ou "euros" (centimes)

    @property
    def part(self):
        return self.valeur / self.total if self.total else None


def chiffres_cles(c, perimetre):
    """Les chiffres clés d'un périmètre, dans l'ordre d'affichage (tuiles, tableau « Chiffres clés »,
    exports). Un chiffre de plus = une ligne de plus ici ; par exemple le rythme des clubs départementaux
    (aujourd'hui sur sa propre page) : une fonction de clubs/ qui renvoie des ChiffreCle à partir de
    perimetre.departements, avec clubs.services.rythme_clubs."""
    return [
        ChiffreCle("Communes PVD", c.communes, detail=f"dont {c.retirees} retirée(s)" if c.retirees else ""),
        ChiffreCle("Convention d’adhésion signée", c.adhesion, c.communes),
        ChiffreCle("Convention-cadre signée", c.cadre_signee, c.communes, f"dont {c.cadre_ort} valant ORT"),
        ChiffreCle("ORT en vigueur", c.ort_en_vigueur, c.communes),
        ChiffreCle("Inscrites au CRTE", c.crte, c.communes),
        ChiffreCle("En phase opérationnelle", c.operationnelle, c.communes),
        ChiffreCle(
            "En difficulté",
            c.risque,
            c.communes,
            f"{c.retard_cadre} au-delà des 18 mois sans convention-cadre",
        ),
        ChiffreCle("Chefs de projet en poste", c.chefs_en_poste, c.territoires, "territoires PVD"),
        ChiffreCle(
            "Postes de chef de projet vacants",
            c.chefs_vacants,
            c.territoires,
            f"{c.chefs_a_recruter} à recruter, {c.chefs_non_renseignes} non renseigné(s)",
        ),
        ChiffreCle("Actions engagées ou livrées", c.actions_engagees, c.actions_total, "des actions"),
        ChiffreCle("Financements accordés", c.financements_accordes, format="euros"),
        ChiffreCle("dont fonds vert", c.fonds_vert_accorde, format="euros"),
    ]


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


INDICATEURS = {
    i.code: i
    for i in [
        Indicateur(
            "operationnelle", "Communes en phase opérationnelle", "part", lambda c: c.taux(c.operationnelle)
        ),
        Indicateur("cadre", "Convention-cadre signée", "part", lambda c: c.taux(c.cadre_signee)),
        Indicateur("ort", "ORT en vigueur", "part", lambda c: c.taux(c.ort_en_vigueur)),
        Indicateur("crte", "Inscrites au CRTE", "part", lambda c: c.taux(c.crte)),
        Indicateur("risque", "Communes en difficulté", "part", lambda c: c.taux(c.risque)),
        Indicateur(
            "retard", "Au-delà des 18 mois sans convention-cadre", "part", lambda c: c.taux(c.retard_cadre)
        ),
        Indicateur(
            "chefs",
            "Territoires avec un chef de projet en poste",
            "part",
            lambda c: c.taux(c.chefs_en_poste, c.territoires),
        ),
        Indicateur("communes", "Communes PVD", "nombre", lambda c: c.communes),
        Indicateur("actions", "Actions engagées ou livrées", "nombre", lambda c: c.actions_engagees),
        Indicateur("financements", "Financements accordés", "euros", lambda c: c.financements_accordes),
        Indicateur("fonds_vert", "Fonds vert accordé", "euros", lambda c: c.fonds_vert_accorde),
    ]
}
INDICATEUR_PAR_DEFAUT = "operationnelle"
