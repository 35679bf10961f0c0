from django.db import models


class EtatSynthese(models.TextChoices):
    """Cycle de vie de la note régionale : la région consolide, valide, puis transmet au ministère."""

    EN_REDACTION = "en_redaction", "En rédaction"
    VALIDEE = "validee", "Validée par la région"
    TRANSMISE = "transmise", "Transmise au ministère"


class EtatSection(models.TextChoices):
    """Cycle de vie d'une section départementale (la dispense est un drapeau à part, voir dispensee)."""

    A_REDIGER = "a_rediger", "À rédiger"
    EN_REDACTION = "en_redaction", "En rédaction"
    SOUMISE = "soumise", "Soumise à la région"
    RENVOYEE = "renvoyee", "Renvoyée par la région"


class LectureSection(models.TextChoices):
    """Marque de la région sur une section soumise, dans la vue de lecture : lue, puis acceptée pour la note.
    Une nouvelle soumission ou un renvoi l'efface (la région relit ce qui a changé)."""

    NON_LUE = "", "Non lue"
    LUE = "lue", "Lue"
    ACCEPTEE = "acceptee", "Acceptée"


ETATS_SECTION_MODIFIABLES = (EtatSection.A_REDIGER, EtatSection.EN_REDACTION, EtatSection.RENVOYEE)


class ActionTransition(models.TextChoices):
    CREATION = "creation", "Ouverture de la campagne"
    ENREGISTREMENT = "enregistrement", "Enregistrement de la section"
    RISQUES = "risques", "Confirmation des communes en difficulté"
    SOUMISSION = "soumission", "Soumission à la région"
    RENVOI = "renvoi", "Renvoi au département"
    DISPENSE = "dispense", "Dispense de la section"
    LEVEE_DISPENSE = "levee_dispense", "Levée de la dispense"
    LECTURE = "lecture", "Lecture par la région"
    VUE_ENSEMBLE = "vue_ensemble", "Enregistrement de la vue d’ensemble régionale"
    VALIDATION = "validation", "Validation par la région"
    REOUVERTURE = "reouverture", "Réouverture par la région"
    TRANSMISSION = "transmission", "Transmission au ministère"


class EtatGeneration(models.TextChoices):
    # Demande enregistrée, tâche pas encore remise au broker (broker injoignable) : la reprise l'enverra.
    UNSENT = "unsent", "En attente d’envoi"
    QUEUED = "queued", "En file d’attente"
    RUNNING = "running", "En cours"
    DONE = "done", "Terminée"
    FAILED = "failed", "Échec"


ETATS_GENERATION_ACTIFS = (EtatGeneration.UNSENT, EtatGeneration.QUEUED, EtatGeneration.RUNNING)

# Motif de dispense posé à l'ouverture d'une campagne pour un département sans commune PVD.
MOTIF_SANS_COMMUNE_PVD = "Aucune commune Petites villes de demain dans le département."

# Broker injoignable au moment de la demande : la demande est gardée en base (état « en attente d'envoi »).
MESSAGE_BROKER_INDISPONIBLE = (
    "Le service de génération est momentanément indisponible ; votre demande est enregistrée et sera "
    "traitée dès son rétablissement."
)
