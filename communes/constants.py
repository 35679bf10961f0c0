from django.db import models


class Phase(models.TextChoices):
    """Étapes du cycle de vie d'un territoire PVD, dans l'ordre ; calculée, jamais saisie."""

    LAUREATE = "1_laureate", "Lauréate"
    ADHESION_SIGNEE = "2_adhesion", "Adhésion signée"
    CADRE_EN_ELABORATION = "3_cadre_elaboration", "Convention-cadre en élaboration"
    CADRE_SIGNEE = "4_cadre_signee", "Convention-cadre signée"
    OPERATIONNELLE = "5_operationnelle", "Phase opérationnelle"
    RETIREE = "9_retiree", "Retirée du programme"


# Les étapes du parcours, dans l'ordre (la phase « retirée » n'en est pas une).
ETAPES = [
    Phase.LAUREATE,
    Phase.ADHESION_SIGNEE,
    Phase.CADRE_EN_ELABORATION,
    Phase.CADRE_SIGNEE,
    Phase.OPERATIONNELLE,
]


class TypeConvention(models.TextChoices):
    ADHESION = "adhesion", "Convention d’adhésion"
    CADRE = "cadre", "Convention-cadre"


class StatutChefDeProjet(models.TextChoices):
    A_RECRUTER = "a_recruter", "À recruter"
    EN_POSTE = "en_poste", "En poste"
    VACANT = "vacant", "Vacant"


class ThemeAction(models.TextChoices):
    CADRE_DE_VIE = "cadre_de_vie", "Cadre de vie, aménagement"
    HABITAT = "habitat", "Habitat"
    MOBILITE = "mobilite", "Mobilité"
    COMMERCE = "commerce", "Commerce, développement économique"
    PATRIMOINE = "patrimoine", "Patrimoine, culture"
    TRANSITION_ECOLOGIQUE = "transition_ecologique", "Transition écologique"
    SERVICES = "services", "Services, équipements"
    AUTRE = "autre", "Autre"


class StatutAction(models.TextChoices):
    EN_MATURATION = "en_maturation", "En maturation"
    NON_DEMARREE = "non_demarree", "Non démarrée"
    ETUDE_PREALABLE = "etude_prealable", "Étude préalable"
    ENGAGEE = "engagee", "Engagée"
    LIVREE = "livree", "Livrée"
    ABANDONNEE = "abandonnee", "Abandonnée"


STATUTS_ENGAGES = (StatutAction.ENGAGEE, StatutAction.LIVREE)


class Dispositif(models.TextChoices):
    FONDS_VERT = "fonds_vert", "Fonds vert"
    DETR = "detr", "DETR"
    DSIL = "dsil", "DSIL"
    FNADT = "fnadt", "FNADT"
    ANAH = "anah", "Anah"
    BANQUE_DES_TERRITOIRES = "banque_des_territoires", "Banque des Territoires"
    CEREMA = "cerema", "Cerema"
    ADEME = "ademe", "Ademe"
    FONDS_FRICHES = "fonds_friches", "Fonds friches"
    REGION = "region", "Région"
    DEPARTEMENT = "departement", "Département"
    DRAC = "drac", "Drac"
    AUTRE = "autre", "Autre"


class AxeFondsVert(models.TextChoices):
    PERFORMANCE = "1", "Axe 1 – Performance environnementale"
    ADAPTATION = "2", "Axe 2 – Adaptation au changement climatique"
    CADRE_DE_VIE = "3", "Axe 3 – Amélioration du cadre de vie"


class MesureFondsVert(models.TextChoices):
    RENOVATION_BATIMENTS = "renovation_batiments", "Rénovation énergétique des bâtiments publics locaux"
    BIODECHETS = "biodechets", "Tri à la source et valorisation des biodéchets"
    ECLAIRAGE_PUBLIC = "eclairage_public", "Rénovation de l’éclairage public"
    RISQUES_INONDATIONS = "risques_inondations", "Prévention des risques d’inondation"
    RISQUES_MONTAGNE = "risques_montagne", "Risques naturels en montagne"
    RISQUES_CYCLONIQUES = "risques_cycloniques", "Risques cycloniques en outre-mer"
    INCENDIES = "incendies", "Défense des forêts contre les incendies"
    TRAIT_DE_COTE = "trait_de_cote", "Adaptation au recul du trait de côte"
    RENATURATION = "renaturation", "Renaturation des villes et des villages"
    ZFE = "zfe", "Zones à faibles émissions mobilité (ZFE-m)"
    COVOITURAGE = "covoiturage", "Covoiturage"
    FRICHES = "friches", "Recyclage des friches"
    BIODIVERSITE = "biodiversite", "Stratégie nationale biodiversité"
    INGENIERIE = "ingenierie", "Ingénierie"


MESURES_PAR_AXE = {
    AxeFondsVert.PERFORMANCE: [
        MesureFondsVert.RENOVATION_BATIMENTS,
        MesureFondsVert.BIODECHETS,
        MesureFondsVert.ECLAIRAGE_PUBLIC,
    ],
    AxeFondsVert.ADAPTATION: [
        MesureFondsVert.RISQUES_INONDATIONS,
        MesureFondsVert.RISQUES_MONTAGNE,
        MesureFondsVert.RISQUES_CYCLONIQUES,
        MesureFondsVert.INCENDIES,
        MesureFondsVert.TRAIT_DE_COTE,
        MesureFondsVert.RENATURATION,
    ],
    AxeFondsVert.CADRE_DE_VIE: [
        MesureFondsVert.ZFE,
        MesureFondsVert.COVOITURAGE,
        MesureFondsVert.FRICHES,
        MesureFondsVert.BIODIVERSITE,
        MesureFondsVert.INGENIERIE,
    ],
}


# Mesures réservées aux communes d'outre-mer (départements 971 à 976).
MESURES_OUTRE_MER = (MesureFondsVert.RISQUES_CYCLONIQUES,)


class DecisionRisque(models.TextChoices):
    A_RISQUE = "a_risque", "En difficulté : risque de ne pas atteindre la phase opérationnelle"
    PAS_DE_RISQUE = "pas_de_risque", "Pas de risque : la phase opérationnelle sera atteinte"


# Délai pour signer la convention-cadre après l'adhésion.
DELAI_CONVENTION_CADRE_MOIS = 18


class EtatImport(models.TextChoices):
    """Job d'import d'un fichier de situations (simulation ou enregistrement), exécuté par le worker."""

    QUEUED = "queued", "En file d’attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminé"
    FAILED = "failed", "Échec"


ETATS_IMPORT_ACTIFS = (EtatImport.QUEUED, EtatImport.RUNNING)


class ModeImport(models.TextChoices):
    SIMULATION = "simulation", "Simulation (rien n’est enregistré)"
    ENREGISTREMENT = "enregistrement", "Enregistrement"
