from django.db import models


class Format(models.TextChoices):
    PRESENTIEL = "presentiel", "Présentiel"
    VISIO = "visio", "Visio"


class Public(models.TextChoices):
    ELUS = "elus", "Élus"
    CHEFS_DE_PROJET = "chefs_de_projet", "Chefs de projet"
    ELUS_ET_CHEFS = "elus_et_chefs", "Élus et chefs de projet"
    AVEC_PARTENAIRES = "avec_partenaires", "Élus, chefs de projet et partenaires"


class StatutReunion(models.TextChoices):
    """Une réunion datée d'aujourd'hui ou avant est tenue ; après, elle est prévue."""

    PREVUE = "prevue", "Prévue"
    TENUE = "tenue", "Tenue"


class StatutRythme(models.TextChoices):
    """Rythme d'un département pour une année (instruction du 6 juin 2023 : au moins une réunion au
    premier semestre, au moins deux dans l'année)."""

    CONFORME = "conforme", "Conforme"
    EN_COURS = "en_cours", "En cours"
    EN_DEFAUT = "en_defaut", "En défaut"
    # Un département sans commune PVD n'a pas de club à réunir : ni conforme ni en défaut.
    SANS_OBJET = "sans_objet", "Sans objet"


# Suggestions proposées dans le formulaire ; tout autre thème peut être saisi librement.
THEMES_SUGGERES = [
    "ORT",
    "Convention-cadre",
    "Fonds vert",
    "CRTE",
    "Habitat",
    "Commerce",
    "Ingénierie",
    "Mobilité",
    "Cadre de vie",
    "Patrimoine",
    "Transition écologique",
    "Services",
]

THEME_LONGUEUR_MAX = 60
THEMES_MAX = 20
COMPTE_RENDU_LONGUEUR_MAX = 5000
# Premier semestre : du 1er janvier au 30 juin inclus.
FIN_PREMIER_SEMESTRE = (6, 30)
# Réunions minimales dans l'année et au premier semestre.
REUNIONS_ANNEE_MIN = 2
REUNIONS_SEMESTRE_MIN = 1
# Première année proposée dans les sélecteurs (programme lancé en octobre 2020).
PREMIERE_ANNEE = 2021
