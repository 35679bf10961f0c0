from django.db import models


class EpciType(models.TextChoices):
    CC = "CC", "Communauté de communes"
    CA = "CA", "Communauté d’agglomération"
    CU = "CU", "Communauté urbaine"
    METRO = "METRO", "Métropole"
    MET69 = "MET69", "Métropole de Lyon"


class Zone(models.TextChoices):
    METRO = "metro", "Métropole"
    DROM = "drom", "Outre-mer (DROM)"
