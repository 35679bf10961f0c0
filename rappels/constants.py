from django.db import models


class TypeRappel(models.TextChoices):
    CAMPAGNE_SECTION = "campagne_section", "Section de la note de synthèse à remettre"
    CAMPAGNE_NOTE = "campagne_note", "Note de synthèse régionale à transmettre"
    CONVENTION_CADRE = "convention_cadre", "Échéance des 18 mois de la convention-cadre"
    CLUB = "club", "Réunion du club PVD à prévoir"


# Sel des liens de désinscription (django.core.signing) : un jeton ne sert qu'à cela.
SEL_DESINSCRIPTION = "rappels.desinscription"
