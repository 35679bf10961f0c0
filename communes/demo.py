"""Suivi de démonstration : situations plausibles et déterministes (jamais sur la base des données réelles seules).

suivi_demo_generer remplit le suivi (convention-cadre, chef de projet, CRTE, actions, financements dont
fonds vert, décisions sur le risque, retraits) des territoires PVD dont le suivi est encore vierge : le
relancer ne duplique rien et ne touche jamais un suivi saisi. Le tirage dépend seulement de la graine et du
code INSEE de la commune, pas de l'ordre ni des identifiants en base.

Pour le banc de performance (--toutes-communes), toutes les communes réelles deviennent lauréates : cela
n'est permis que dans une base dont le nom contient « banc » ou « bench », jamais dans la base normale."""

import datetime
import random
from decimal import Decimal
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Exists, Min, OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from communes.constants import (
    MESURES_PAR_AXE,
    DecisionRisque,
    Dispositif,
    StatutAction,
    StatutChefDeProjet,
    ThemeAction,
    TypeConvention,
)
from communes.models import (
    Action,
    ChefDeProjet,
    Convention,
    Crte,
    DonneesDemonstration,
    Financement,
    Territoire,
)
from territoires.models import Commune, Departement, Region

RAISON_DEMO = "Données de démonstration"
LOT = 2000


class BaseNonBanc(Exception):
    """Les communes non lauréates ne deviennent lauréates que dans la base du banc."""


def base_de_banc():
    nom = Path(str(connection.settings_dict["NAME"])).name.lower()
    return "banc" in nom or "bench" in nom


# Poids (valeur, poids) des tirages : ordres de grandeur publiés par l'ANCT (voir docs/domain.md).
STATUTS_SI_CADRE_SIGNEE = [
    (StatutAction.LIVREE, 20),
    (StatutAction.ENGAGEE, 37),
    (StatutAction.ETUDE_PREALABLE, 16),
    (StatutAction.NON_DEMARREE, 16),
    (StatutAction.EN_MATURATION, 8),
    (StatutAction.ABANDONNEE, 3),
]
STATUTS_SI_CADRE_EN_ELABORATION = [
    (StatutAction.EN_MATURATION, 40),
    (StatutAction.NON_DEMARREE, 25),
    (StatutAction.ETUDE_PREALABLE, 25),
    (StatutAction.ENGAGEE, 10),
]
STATUTS_SANS_CADRE = [(StatutAction.EN_MATURATION, 70), (StatutAction.ETUDE_PREALABLE, 30)]
DISPOSITIFS = [
    (Dispositif.FONDS_VERT, 22),
    (Dispositif.DETR, 20),
    (Dispositif.DSIL, 15),
    (Dispositif.REGION, 10),
    (Dispositif.DEPARTEMENT, 10),
    (Dispositif.BANQUE_DES_TERRITOIRES, 6),
    (Dispositif.ANAH, 4),
    (Dispositif.FNADT, 3),
    (Dispositif.ADEME, 3),
    (Dispositif.FONDS_FRICHES, 3),
    (Dispositif.DRAC, 2),
    (Dispositif.CEREMA, 1),
    (Dispositif.AUTRE, 1),
]
AXE_DE_LA_MESURE = {mesure: axe for axe, mesures in MESURES_PAR_AXE.items() for mesure in mesures}
TITRES = {
    ThemeAction.CADRE_DE_VIE: [
        "Requalification de la place centrale",
        "Aménagement des berges",
        "Plan de végétalisation du centre-bourg",
    ],
    ThemeAction.HABITAT: [
        "OPAH-RU du centre ancien",
        "Réhabilitation de logements vacants",
        "Résidence seniors en cœur de ville",
    ],
    ThemeAction.MOBILITE: [
        "Liaison cyclable gare–centre",
        "Pôle d’échanges multimodal",
        "Plan de circulation apaisée",
    ],
    ThemeAction.COMMERCE: ["Réhabilitation des halles", "Boutique à l’essai", "Foncière commerciale"],
    ThemeAction.PATRIMOINE: ["Restauration de l’église", "Mise en valeur des remparts", "Musée municipal"],
    ThemeAction.TRANSITION_ECOLOGIQUE: [
        "Rénovation énergétique de l’école",
        "Réseau de chaleur bois",
        "Désimperméabilisation des cours",
    ],
    ThemeAction.SERVICES: [
        "Maison de santé pluriprofessionnelle",
        "Tiers-lieu et France services",
        "Médiathèque",
    ],
    ThemeAction.AUTRE: ["Étude de programmation urbaine", "Schéma directeur signalétique"],
}
THEMES = [(theme, 10) for theme in ThemeAction if theme != ThemeAction.AUTRE] + [(ThemeAction.AUTRE, 3)]
MAITRES_OUVRAGE = ["Commune", "Commune", "Commune", "EPCI", "EPCI", "Département", "Bailleur social", "EPF"]


def _tirer(rng, ponderations):
    valeurs, poids = zip(*ponderations, strict=True)
    return rng.choices(valeurs, weights=poids)[0]


def _entre(rng, debut, fin):
    """Une date entre debut et fin (incluses) ; debut si l'intervalle est vide."""
    ecart = (fin - debut).days
    return debut + datetime.timedelta(days=rng.randint(0, ecart)) if ecart > 0 else debut


def _euros(valeur):
    return Decimal(max(100, int(round(valeur, -2))))


class _Lots:
    """Objets à créer en masse, avec ou sans historique."""

    def __init__(self, historique):
        self.historique = historique

    def creer(self, modele, objets):
        if not objets:
            return []
        if self.historique:
            return bulk_create_with_history(objets, modele, batch_size=LOT, default_change_reason=RAISON_DEMO)
        return modele.objects.bulk_create(objets, batch_size=LOT)

    def modifier(self, modele, objets, champs):
        if not objets:
            return
        if self.historique:
            bulk_update_with_history(
                objets, modele, champs, batch_size=LOT, default_change_reason=RAISON_DEMO
            )
        else:
            _mettre_a_jour(modele, objets, champs)


def _mettre_a_jour(modele, objets, champs):
    """UPDATE ligne à ligne en un executemany : pour des dizaines de milliers de lignes, bien plus rapide que
    bulk_update (dont le CASE WHEN grossit avec le lot)."""
    champs = [modele._meta.get_field(nom) for nom in champs]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(modele._meta.db_table),
        ", ".join(f"{quote(champ.column)} = %s" for champ in champs),
        quote(modele._meta.pk.column),
    )
    valeurs = [
        [champ.get_db_prep_save(getattr(objet, champ.attname), connection) for champ in champs] + [objet.pk]
        for objet in objets
    ]
    with connection.cursor() as cursor:
        for debut in range(0, len(valeurs), LOT):
            cursor.executemany(sql, valeurs[debut : debut + LOT])


def _laureates_synthetiques(communes, *, graine, lots):
    """Banc seulement : chaque commune non lauréate reçoit un identifiant PVD fictif, son territoire et sa
    convention d'adhésion."""
    nouvelles = list(communes.filter(territoire__isnull=True, id_pvd__isnull=True).order_by("code_insee"))
    for commune in nouvelles:
        rng = random.Random(f"{graine}:laureate:{commune.code_insee}")
        commune.id_pvd = f"pvd-banc-{commune.code_insee}"
        commune.date_adhesion_liste = _entre(rng, datetime.date(2021, 1, 15), datetime.date(2022, 12, 15))
    territoires = lots.creer(
        Territoire,
        [Territoire(nom=c.nom, departement_id=c.departement_id, epci_id=c.epci_id) for c in nouvelles],
    )
    for commune, territoire in zip(nouvelles, territoires, strict=True):
        commune.territoire = territoire
    _mettre_a_jour(Commune, nouvelles, ["id_pvd", "date_adhesion_liste", "territoire"])
    lots.creer(
        Convention,
        [
            Convention(territoire=t, type=TypeConvention.ADHESION, date_signature=c.date_adhesion_liste)
            for c, t in zip(nouvelles, territoires, strict=True)
        ],
    )
    return len(nouvelles)


def _territoires_vierges(communes):
    """Territoires des communes PVD visées dont rien n'a encore été saisi au-delà du référentiel."""
    pvd = communes.pvd().filter(territoire=OuterRef("pk"))
    adhesion = Convention.objects.filter(
        territoire=OuterRef("pk"), type=TypeConvention.ADHESION, date_signature__isnull=False
    )
    return (
        Territoire.objects.filter(Exists(pvd))
        .exclude(Exists(Convention.objects.filter(territoire=OuterRef("pk"), type=TypeConvention.CADRE)))
        .exclude(Exists(Action.objects.filter(territoire=OuterRef("pk"))))
        .exclude(Exists(ChefDeProjet.objects.filter(territoire=OuterRef("pk"))))
        .filter(crte__isnull=True, date_retrait__isnull=True, risque_decision="")
        .annotate(
            code=Subquery(
                Commune.objects.filter(territoire=OuterRef("pk"))
                .order_by()
                .values("territoire")
                .annotate(code=Min("code_insee"))
                .values("code")
            ),
            date_adhesion=Subquery(adhesion.values("date_signature")[:1]),
        )
        .order_by("pk")
    )


def _perimetre(*, departements, regions):
    noms = [
        *Region.objects.filter(code__in=regions).order_by("code").values_list("nom", flat=True),
        *(
            f"{nom} ({code})"
            for code, nom in Departement.objects.filter(code__in=departements)
            .order_by("code")
            .values_list("code", "nom")
        ),
    ]
    return ", ".join(noms) if noms else "France entière"


def _cadre(rng, *, territoire, debut, today):
    """Convention-cadre : signée (souvent valant ORT), en élaboration, ou pas encore lancée (None)."""
    tirage, signee = rng.random(), None
    if territoire.date_adhesion and tirage < 0.74:
        signee = debut + datetime.timedelta(days=rng.randint(240, 900))
        if signee >= today:
            signee = None
    elif tirage >= 0.88:
        return None
    return Convention(
        territoire=territoire,
        type=TypeConvention.CADRE,
        date_signature=signee,
        vaut_ort=bool(signee) and rng.random() < 0.86,
    )


def _chef(rng, *, territoire, debut, today):
    """Chef de projet : en poste, parti (vacant), à recruter, ou rien de connu (None)."""
    tirage = rng.random()
    if tirage >= 0.98:
        return None
    prise = min(debut + datetime.timedelta(days=rng.randint(30, 330)), today)
    if tirage < 0.82:
        return ChefDeProjet(territoire=territoire, statut=StatutChefDeProjet.EN_POSTE, date_prise_poste=prise)
    if tirage < 0.92:
        depart = min(prise + datetime.timedelta(days=rng.randint(180, 800)), today)
        return ChefDeProjet(
            territoire=territoire,
            statut=StatutChefDeProjet.VACANT,
            date_prise_poste=prise,
            date_depart=depart,
        )
    return ChefDeProjet(territoire=territoire, statut=StatutChefDeProjet.A_RECRUTER)


def _financements(rng, *, cout, statut, engagement, today):
    """Lignes de financement d'une action : plusieurs si elle est engagée, parfois une en étude préalable."""
    if engagement:
        nombre = _tirer(rng, [(1, 45), (2, 35), (3, 20)])
    elif statut == StatutAction.ETUDE_PREALABLE:
        nombre = _tirer(rng, [(0, 60), (1, 40)])
    else:
        nombre = 0
    annee = (engagement or today).year
    lignes = []
    for _ in range(nombre):
        dispositif = _tirer(rng, DISPOSITIFS)
        if dispositif == Dispositif.FONDS_VERT and annee < 2023:
            dispositif = Dispositif.DETR  # le fonds vert n'existe que depuis 2023
        demande = _euros(float(cout) * rng.uniform(0.08, 0.45))
        accorde = None
        if engagement or rng.random() < 0.3:
            accorde = min(_euros(float(demande) * rng.uniform(0.55, 1.0)), demande)
        mesure = rng.choice(list(AXE_DE_LA_MESURE)) if dispositif == Dispositif.FONDS_VERT else ""
        lignes.append(
            Financement(
                dispositif=dispositif,
                axe_fonds_vert=AXE_DE_LA_MESURE[mesure] if mesure else "",
                mesure_fonds_vert=mesure,
                montant_demande=demande,
                montant_accorde=accorde,
                annee=annee,
            )
        )
    return lignes


def _actions(rng, *, territoire, cadre, debut, today):
    """[(action, ses financements)] : plus d'actions, et plus avancées, quand la convention-cadre est signée."""
    signee = cadre.date_signature if cadre else None
    if signee:
        nombre, statuts = rng.randint(3, 12), STATUTS_SI_CADRE_SIGNEE
    elif cadre:
        nombre, statuts = rng.randint(1, 5), STATUTS_SI_CADRE_EN_ELABORATION
    else:
        nombre, statuts = rng.randint(0, 2), STATUTS_SANS_CADRE
    debut_actions = signee or debut + datetime.timedelta(days=180)
    resultat = []
    for _ in range(nombre):
        theme = _tirer(rng, THEMES)
        statut = _tirer(rng, statuts)
        cout = _euros(rng.lognormvariate(12.3, 0.9))
        engagement = None
        if statut in (StatutAction.ENGAGEE, StatutAction.LIVREE):
            engagement = _entre(rng, min(debut_actions, today), today)
        action = Action(
            territoire=territoire,
            titre=rng.choice(TITRES[theme]),
            theme=theme,
            maitre_ouvrage=rng.choice(MAITRES_OUVRAGE),
            cout=cout,
            statut=statut,
            date_engagement=engagement,
        )
        resultat.append(
            (action, _financements(rng, cout=cout, statut=statut, engagement=engagement, today=today))
        )
    return resultat


def _crte_inscrire(rng, territoire, *, cadre, crte, debut, today):
    """Inscription au CRTE du territoire, après la signature de la convention-cadre ; True si inscrit."""
    signee = cadre.date_signature if cadre else None
    change = False
    if signee and crte and rng.random() < 0.82:
        territoire.crte_id = crte
        territoire.date_inscription_crte = min(signee + datetime.timedelta(days=rng.randint(15, 200)), today)
        change = True
    return change


def _risque_et_retrait(rng, territoire, *, cadre, debut, today):
    """Décision sur le risque (rare) et retrait du programme (très rare) ; True si le territoire a changé."""
    signee = cadre.date_signature if cadre else None
    change = False
    tirage = rng.random()
    if tirage < 0.03:
        territoire.risque_decision = DecisionRisque.A_RISQUE
        territoire.risque_justification = "Convention-cadre retardée par le départ du chef de projet."
        change = True
    elif tirage < 0.05:
        territoire.risque_decision = DecisionRisque.PAS_DE_RISQUE
        territoire.risque_justification = "Actions engagées au premier trimestre, signature programmée."
        change = True
    if not signee and rng.random() < 0.004:
        territoire.date_retrait = _entre(rng, min(debut + datetime.timedelta(days=200), today), today)
        change = True
    return change


def _communes_du_perimetre(*, departements, regions):
    communes = Commune.objects.all()
    if departements:
        communes = communes.filter(departement_id__in=departements)
    if regions:
        communes = communes.filter(departement__region_id__in=regions)
    return communes


def _enregistrer(lots, *, conventions, chefs, modifies, actions):
    """Crée en lots ce qui a été tiré ; renvoie les financements créés."""
    lots.creer(Convention, conventions)
    lots.creer(ChefDeProjet, chefs)
    lots.modifier(
        Territoire,
        modifies,
        ["crte", "date_inscription_crte", "risque_decision", "risque_justification", "date_retrait"],
    )
    crees = lots.creer(Action, [action for action, _ in actions])
    financements = []
    for action, (_, lignes) in zip(crees, actions, strict=True):
        for ligne in lignes:
            ligne.action = action
            financements.append(ligne)
    lots.creer(Financement, financements)
    return financements


@transaction.atomic
def suivi_demo_generer(*, departements=(), regions=(), toutes_communes=False, graine=2023, today=None):
    """Remplit le suivi des territoires PVD vierges des départements / régions donnés (tous si aucun).

    toutes_communes : toutes les communes réelles deviennent lauréates (base du banc seulement) ; les données
    sont alors créées sans historique. Renvoie {"laureates": n, "territoires": n, "actions": n, ...}."""
    today = today or timezone.localdate()
    communes = _communes_du_perimetre(departements=departements, regions=regions)
    lots = _Lots(historique=not toutes_communes)
    bilan = {"laureates": 0}
    if toutes_communes:
        if not base_de_banc():
            raise BaseNonBanc(
                "Les communes non lauréates ne deviennent lauréates que dans la base du banc "
                "(nom de base contenant « banc » ou « bench »)."
            )
        bilan["laureates"] = _laureates_synthetiques(communes, graine=graine, lots=lots)

    crte_de_l_epci = {}
    for epci, crte in Crte.epcis.through.objects.order_by("crte_id").values_list("epci_id", "crte_id"):
        crte_de_l_epci.setdefault(epci, crte)

    conventions, chefs, actions, modifies = [], [], [], []
    remplis = 0
    for territoire in _territoires_vierges(communes):
        rng = random.Random(f"{graine}:{territoire.code}")
        debut = territoire.date_adhesion or datetime.date(2021, 6, 1)
        contexte = {"debut": debut, "today": today}
        cadre = _cadre(rng, territoire=territoire, **contexte)
        chef = _chef(rng, territoire=territoire, **contexte)
        crte = crte_de_l_epci.get(territoire.epci_id)
        change = _crte_inscrire(rng, territoire, cadre=cadre, crte=crte, **contexte)
        siennes = _actions(rng, territoire=territoire, cadre=cadre, **contexte)
        change = _risque_et_retrait(rng, territoire, cadre=cadre, **contexte) or change
        conventions += [cadre] if cadre else []
        chefs += [chef] if chef else []
        actions += siennes
        if change:
            modifies.append(territoire)
        remplis += bool(change or cadre or chef or siennes)

    financements = _enregistrer(
        lots, conventions=conventions, chefs=chefs, modifies=modifies, actions=actions
    )
    if remplis or bilan["laureates"]:
        # Trace lue par chaque page et chaque note PDF (bandeau « Données de démonstration »).
        DonneesDemonstration.objects.create(
            perimetre=_perimetre(departements=departements, regions=regions), territoires_count=remplis
        )
    bilan.update(
        territoires=remplis,
        conventions_cadres=len(conventions),
        chefs_de_projet=len(chefs),
        actions=len(actions),
        financements=len(financements),
    )
    return bilan
