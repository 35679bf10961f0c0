from django.db import models


class Role(models.TextChoices):
    DEPARTEMENTAL = "departemental", "Départemental (préfecture de département, DDT(M))"
    REGIONAL = "regional", "Régional (préfecture de région, SGAR)"
    NATIONAL = "national", "National (ministère, ANCT)"
    ADMINISTRATEUR = "administrateur", "Administrateur de l’instance"
