from django.db import models


class TypeNotification(models.TextChoices):
    SECTION_RENVOYEE = "section_renvoyee", "Section renvoyée par la région"
    SECTION_SOUMISE = "section_soumise", "Section soumise à la région"
    SECTION_VALIDEE = "section_validee", "Section validée avec la note régionale"
    NOTE_VALIDEE = "note_validee", "Note de synthèse validée"
    NOTE_TRANSMISE = "note_transmise", "Note de synthèse transmise au ministère"
    COMMENTAIRE = "commentaire", "Nouveau commentaire dans une discussion qui vous concerne"
    MENTION = "mention", "Mention de votre nom dans un commentaire"
    ECHEANCE = "echeance", "Échéance qui approche"
    VALEUR_A_CONFIRMER = "valeur_a_confirmer", "Valeur des données officielles à confirmer"


class Frequence(models.TextChoices):
    IMMEDIAT = "immediat", "Par e-mail, tout de suite"
    QUOTIDIEN = "quotidien", "Dans un résumé quotidien par e-mail"
    PRODUIT = "produit", "Dans PVD Suivi seulement"


# Sans préférence enregistrée : tout de suite par e-mail ce qui demande une action, le reste en résumé.
FREQUENCE_PAR_DEFAUT = {
    TypeNotification.SECTION_RENVOYEE: Frequence.IMMEDIAT,
    TypeNotification.SECTION_SOUMISE: Frequence.IMMEDIAT,
    TypeNotification.SECTION_VALIDEE: Frequence.QUOTIDIEN,
    TypeNotification.NOTE_VALIDEE: Frequence.QUOTIDIEN,
    TypeNotification.NOTE_TRANSMISE: Frequence.QUOTIDIEN,
    TypeNotification.COMMENTAIRE: Frequence.QUOTIDIEN,
    TypeNotification.MENTION: Frequence.IMMEDIAT,
    TypeNotification.ECHEANCE: Frequence.QUOTIDIEN,
    TypeNotification.VALEUR_A_CONFIRMER: Frequence.QUOTIDIEN,
}


class Canal(models.TextChoices):
    IMMEDIAT = "immediat", "E-mail immédiat"
    RESUME = "resume", "Résumé quotidien"


class Visibilite(models.TextChoices):
    DEPARTEMENT = "departement", "Département seulement"
    REGION = "region", "Département et région"
    TOUS = "tous", "Tous les niveaux"


# Un commentaire se modifie pendant ce délai après sa publication, par son auteur seulement.
DELAI_MODIFICATION_MINUTES = 15


class TypePiece(models.TextChoices):
    CONVENTION_ADHESION = "convention_adhesion", "Convention d’adhésion"
    CONVENTION_CADRE = "convention_cadre", "Convention-cadre"
    AVENANT = "avenant", "Avenant"
    ORT = "ort", "Arrêté ou convention ORT"
    AUTRE = "autre", "Autre document"
