"""Chiffres d'une note de synthèse, calculés en base au moment de la génération.

Ce sont ceux du tableau de bord : tableau.indicateurs (une définition par chiffre, DEFINITIONS) calcule les
Chiffres de chaque département en un nombre de requêtes fixe ; la région est la somme de ses départements.
Ce module ne fait que les présenter pour la note (montants en euros, listes de communes)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from clubs.constants import StatutRythme
from clubs.models import ReunionClub
from clubs.services import rythme_clubs
from communes.constants import AxeFondsVert, Dispositif, Phase, StatutAction
from communes.models import CommunePvd
from communes.querysets import raisons_suggestion
from pvd.formats import trier_alphabetique
from syntheses.models import Campagne, CommuneRisque, SectionDepartementale, Synthese
from tableau.indicateurs import DEFINITIONS, chiffres_calculer, chiffres_cles, euros, figer
from tableau.indicateurs import Chiffres as Indicateurs
from territoires.models import Departement, alphabetique

NON_DISPONIBLE = "non disponible"

PHASES = [p for p in Phase]
STATUTS_ACTION = [s for s in StatutAction]


@dataclass
class Financements:
    lignes_count: int = 0
    demande: Decimal = Decimal(0)
    accorde: Decimal = Decimal(0)

    @classmethod
    def depuis(cls, valeurs):
        """[lignes, demandé, accordé] (centimes) du moteur d'indicateurs → montants en euros."""
        lignes, demande, accorde = valeurs
        return cls(lignes, euros(demande), euros(accorde))

    def ajouter(self, autre):
        self.lignes_count += autre.lignes_count
        self.demande += autre.demande
        self.accorde += autre.accorde


@dataclass
class Chiffres:
    """Chiffres d'un département ou de la région, lus dans les Chiffres du moteur (tableau.indicateurs)."""

    code: str
    nom: str
    i: Indicateurs = field(default_factory=Indicateurs)
    clubs: dict | None = None

    # Les comptes de la note, tels que les définit tableau.indicateurs.DEFINITIONS.
    communes_count = property(lambda self: self.i.communes)
    en_cours_count = property(lambda self: self.i.en_cours)
    retirees_count = property(lambda self: self.i.retirees)
    sorties_count = property(lambda self: self.i.sorties)
    operationnelles_count = property(lambda self: self.i.operationnelle)
    cadres_signees_count = property(lambda self: self.i.cadre_signee)
    cadres_ort_count = property(lambda self: self.i.cadre_ort)
    cadres_non_renseignees_count = property(lambda self: self.i.en_cours - self.i.cadre_connu)
    ort_count = property(lambda self: self.i.ort_signee)
    crte_count = property(lambda self: self.i.crte)
    crte_couvertes_count = property(lambda self: self.i.crte_couvertes)
    crtes_count = property(lambda self: self.i.crtes_count)
    chefs_en_poste_count = property(lambda self: self.i.chefs_en_poste)
    territoires_count = property(lambda self: self.i.territoires)
    retard_cadre_count = property(lambda self: self.i.retard_cadre)
    risques_calcules_count = property(lambda self: self.i.risque)
    a_renseigner_count = property(lambda self: self.i.a_renseigner)

    @property
    def cles(self):
        """Les chiffres clés du tableau de bord (tableau.indicateurs.chiffres_cles), avec leur complétude."""
        return chiffres_cles(self.i)

    @property
    def phases(self):
        return {p.value: self.i.phases.get(p.value, 0) for p in PHASES}

    @property
    def actions(self):
        return {s.value: self.i.actions.get(s.value, 0) for s in STATUTS_ACTION}

    @property
    def actions_cout(self):
        return euros(sum(self.i.actions_cout.values()))

    @property
    def actions_count(self):
        return self.i.actions_total

    @property
    def actions_engagees_count(self):
        return self.i.actions_engagees

    @property
    def financements(self):
        """dispositif (hors fonds vert) → Financements, en euros."""
        return {
            code: Financements.depuis(valeurs)
            for code, valeurs in self.i.par_dispositif().items()
            if code != Dispositif.FONDS_VERT
        }

    @property
    def fonds_vert(self):
        """axe du fonds vert → Financements, en euros."""
        return {axe: Financements.depuis(valeurs) for axe, valeurs in self.i.fonds_vert_par_axe().items()}

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
        financements = self.financements
        return [
            (Dispositif(code).label, financements[code]) for code in Dispositif.values if code in financements
        ]

    def fonds_vert_list(self):
        fonds_vert = self.fonds_vert
        return [(AxeFondsVert(axe).label, fonds_vert[axe]) for axe in sorted(fonds_vert)]


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
        lignes = []
        region_financements = self.region.financements
        departements = [(d.financements, d.fonds_vert) for d in self.departements]
        for code in Dispositif.values:
            if code in region_financements:
                lignes.append(
                    (
                        Dispositif(code).label,
                        [f[code].accorde if code in f else None for f, _ in departements],
                        region_financements[code].accorde,
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
        region_fonds_vert = self.region.fonds_vert
        for axe in AxeFondsVert.values:
            if axe in region_fonds_vert:
                lignes.append(
                    (
                        f"Fonds vert, axe {axe}",
                        [fv[axe].accorde if axe in fv else None for _, fv in departements],
                        region_fonds_vert[axe].accorde,
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


def _risques_calcules(departement_ids):
    """Communes signalées en difficulté par le suivi (décision du département ou suggestion), comme le chiffre
    « En difficulté » : communes en cours, ordre alphabétique français."""
    qs = (
        CommunePvd.objects.pvd()
        .filter(departement_id__in=departement_ids)
        .with_suivi()
        .filter(is_risque=True)
        .exclude(phase=Phase.RETIREE)
        .select_related("territoire")
        .order_by("departement_id", alphabetique("nom"))
    )
    par_departement = {}
    for commune in qs:
        commune.phase_label = Phase(commune.phase).label
        par_departement.setdefault(commune.departement_id, []).append(commune)
    return par_departement


def chiffres_clubs(departements, annee):
    """Rythme des clubs départementaux PVD pour l'année de la campagne.

    Renvoie None (« non disponible ») tant qu'aucune réunion de club n'est enregistrée ; sinon {code
    département: {"reunions_count", "reunions_s1_count", "statut", "statut_label"}} calculé en une requête par
    clubs.services.rythme_clubs()."""
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
        # Un département sans commune PVD (rythme « sans objet ») n'est pas attendu au rythme.
        "departements_count": sum(1 for c in clubs.values() if c["statut"] != "sans_objet"),
    }


def indicateurs_note(synthese, *, today=None):
    """{code département: Chiffres du moteur} des départements de la note (sept requêtes d'agrégat), sans le
    reste de synthese_chiffres : pour les chiffres figés et les chiffres de la région seuls."""
    codes = list(synthese.sections.values_list("departement_id", flat=True))
    return chiffres_calculer(codes, today=today)


def cles_region(synthese):
    """Les chiffres clés de la région de la note (somme de ses départements), comme au tableau de bord."""
    return chiffres_cles(Indicateurs.somme(indicateurs_note(synthese).values()))


def synthese_chiffres(synthese, *, today=None):
    """Tous les chiffres d'une note : par département et pour la région (nombre de requêtes fixe)."""

    sections = list(
        SectionDepartementale.objects.filter(synthese=synthese)
        .select_related("departement", "soumise_par")
        .prefetch_related(
            Prefetch(
                "communes_risque",
                queryset=CommuneRisque.objects.select_related("commune").order_by(
                    alphabetique("commune__nom")
                ),
            )
        )
        .order_by("departement__code")
    )
    departements = [s.departement for s in sections]
    ids = [d.code for d in departements]
    indicateurs = chiffres_calculer(ids, today=today)
    par_code = {d.code: Chiffres(code=d.code, nom=d.nom, i=indicateurs[d.code]) for d in departements}
    region = Chiffres(
        code=synthese.region_id,
        nom=synthese.region.nom,
        i=Indicateurs.somme(indicateurs[code] for code in ids),
    )
    clubs = chiffres_clubs(Departement.objects.filter(code__in=ids).order_by("code"), synthese.campagne.annee)
    for code, chiffres in par_code.items():
        chiffres.clubs = clubs.get(code) if clubs is not None else None
    return ChiffresSynthese(
        region=region,
        departements=[par_code[code] for code in ids],
        sections=sections,
        risques_calcules=_risques_calcules(ids),
        clubs_disponibles=clubs is not None,
        clubs_region=_clubs_region(clubs),
        calcule_le=today or timezone.localdate(),
    )


def parties_note(chiffres):
    """Une partie par section, dans l'ordre des départements : la section, ses chiffres, les communes signalées
    par le suivi (avec leur motif), les communes retenues par le département et celles que le suivi signale et
    que le département n'a pas retenues (la note le dit). Lu par le PDF et par la vue de lecture de la région."""
    parties = []
    for section, departement in zip(chiffres.sections, chiffres.departements, strict=True):
        signalees = chiffres.risques_calcules.get(departement.code, [])
        codes_retenus = {r.commune_id for r in section.communes_risque.all()}
        for commune in signalees:
            commune.motif = "; ".join(raisons_suggestion(commune)) or "décision du département sur la fiche"
        parties.append(
            {
                "section": section,
                "chiffres": departement,
                # Communes dans l'ordre alphabétique français (Réquista, Rieupeyroux, Rignac).
                "risques_calcules": trier_alphabetique(signalees),
                "retenues": trier_alphabetique(section.communes_risque.all(), cle=lambda r: r.commune.nom),
                "non_retenues": trier_alphabetique(
                    [c for c in signalees if c.code_insee not in codes_retenus]
                ),
            }
        )
    return parties


# Chiffres figés d'une note transmise, et comparaison d'une campagne à la précédente ---------------------------
CODES_COMPARES = [
    "communes",
    "adhesion",
    "cadre_signee",
    "ort_signee",
    "crte",
    "operationnelle",
    "risque",
    "chefs",
]


@dataclass
class Comparaison:
    """Les chiffres de deux instantanés (services.instantane_calculer), par zone : [(zone, [(libellé, avant,
    après, écart)])] ; `changes` : les zones et chiffres qui ont changé."""

    titre_avant: str
    titre_apres: str
    lignes: list

    @property
    def changes(self):
        return [
            (zone, [c for c in chiffres if c[3]])
            for zone, chiffres in self.lignes
            if any(c[3] for c in chiffres)
        ]


def comparer(avant, apres, *, noms, titre_avant, titre_apres):
    """Compare deux instantanés ; noms : {code département: « 35 Ille-et-Vilaine »}."""

    def chiffres(a, b):
        resultat = []
        for code in CODES_COMPARES:
            v_avant = (a or {}).get(code, {}).get("valeur")
            v_apres = (b or {}).get(code, {}).get("valeur")
            ecart = v_apres - v_avant if v_avant is not None and v_apres is not None else None
            resultat.append((DEFINITIONS[code].libelle, v_avant, v_apres, ecart))
        return resultat

    lignes = [
        (noms.get(code, code), chiffres(avant["departements"].get(code), apres["departements"].get(code)))
        for code in sorted(set(avant["departements"]) | set(apres["departements"]))
    ]
    lignes.append(("Région", chiffres(avant["region"], apres["region"])))
    return Comparaison(titre_avant, titre_apres, lignes)


def noms_departements(synthese):
    """{code: « 35 Ille-et-Vilaine »} des départements de la note, pour les comparaisons."""
    return {
        s.departement_id: f"{s.departement_id} {s.departement.nom}"
        for s in synthese.sections.select_related("departement")
    }


def campagne_precedente(campagne):

    return (
        Campagne.objects.filter(date_echeance__lt=campagne.date_echeance).order_by("-date_echeance").first()
    )


def instantane(par_departement, *, calcule_le):
    """Les chiffres d'une note en données simples (JSON) : la région (somme) et chacun de ses départements.
    par_departement : {code: Chiffres du moteur d'indicateurs}."""

    return {
        "calcule_le": calcule_le.isoformat(),
        "region": figer(Indicateurs.somme(par_departement.values())),
        "departements": {code: figer(c) for code, c in sorted(par_departement.items())},
    }


def evolution(synthese, actuel):
    """Chaque chiffre de la note comparé à la note de la même région transmise à la campagne précédente (ses
    chiffres figés) ; None sans campagne précédente transmise. actuel : l'instantané de la note, ou la fonction
    qui le calcule (appelée seulement s'il y a une note précédente à comparer)."""

    precedente = campagne_precedente(synthese.campagne)
    if precedente is None:
        return None
    ancienne = Synthese.objects.filter(
        campagne=precedente, region=synthese.region_id, instantane__isnull=False
    ).first()
    if ancienne is None:
        return None
    if callable(actuel):
        actuel = actuel()
    return comparer(
        ancienne.instantane,
        actuel,
        noms=noms_departements(synthese),
        titre_avant=f"{precedente.nom} (transmise le {ancienne.transmise_le:%d/%m/%Y})"
        if ancienne.transmise_le
        else precedente.nom,
        titre_apres=synthese.campagne.nom,
    )


@dataclass
class EvolutionCampagne:
    """Pour le national : l'évolution de chaque chiffre, par région et par département, depuis les notes
    transmises à la campagne précédente. regions : [(nom de la région, Comparaison)]."""

    precedente: object
    libelles: list
    regions: list


def evolution_campagne(campagne):
    """Chaque région dont la note de la campagne précédente est transmise (chiffres figés) : ses chiffres d'alors
    et ceux de cette campagne (figés si la note est transmise, sinon calculés maintenant), par département.
    None sans campagne précédente ou sans note transmise à comparer. Nombre de requêtes fixe."""

    precedente = campagne_precedente(campagne)
    if precedente is None:
        return None
    anciennes = dict(
        Synthese.objects.filter(campagne=precedente, instantane__isnull=False).values_list(
            "region_id", "instantane"
        )
    )
    if not anciennes:
        return None
    notes = list(
        Synthese.objects.filter(campagne=campagne, region_id__in=anciennes)
        .select_related("region")
        .order_by(alphabetique("region__nom"))
    )
    noms, codes = {}, {}
    for synthese_id, code, nom in SectionDepartementale.objects.filter(
        synthese__in=[n.pk for n in notes]
    ).values_list("synthese_id", "departement_id", "departement__nom"):
        noms[code] = f"{code} {nom}"
        codes.setdefault(synthese_id, []).append(code)
    a_calculer = [code for n in notes if not n.instantane for code in codes.get(n.pk, [])]
    calcules = chiffres_calculer(a_calculer) if a_calculer else {}
    aujourd_hui = timezone.localdate()
    regions = []
    for note in notes:
        actuel = note.instantane or instantane(
            {code: calcules[code] for code in codes.get(note.pk, [])}, calcule_le=aujourd_hui
        )
        regions.append(
            (
                note.region.nom,
                comparer(
                    anciennes[note.region_id],
                    actuel,
                    noms=noms,
                    titre_avant=precedente.nom,
                    titre_apres=campagne.nom,
                ),
            )
        )
    return EvolutionCampagne(precedente, [DEFINITIONS[code].libelle for code in CODES_COMPARES], regions)
