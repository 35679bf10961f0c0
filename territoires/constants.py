from django.db import models

# Ordre alphabétique français (Bédée avant Bréal, Étrelles parmi les E) : la collation ICU de PostgreSQL ; sous
# SQLite, une collation du même nom est déclarée à chaque connexion (territoires/apps.py).
COLLATION_FR = "fr-x-icu"


class EpciType(models.TextChoices):
    CC = "CC", "Communauté de communes"
    CA = "CA", "Communauté d’agglomération"
    CU = "CU", "Communauté urbaine"
    METRO = "METRO", "Métropole"
    MET69 = "MET69", "Métropole de Lyon"


class Zone(models.TextChoices):
    METRO = "metro", "Métropole"
    DROM = "drom", "Outre-mer (DROM)"
