"""Notifications (une ligne par destinataire et par événement), préférences d'envoi, trace des e-mails ;
commentaires sur une section de note ou une fiche commune, avec leur visibilité ; pièces jointes de la fiche
commune et leurs versions."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from comptes.constants import Role
from comptes.models import territory_q
from echanges.constants import (
    DELAI_MODIFICATION_MINUTES,
    Canal,
    Frequence,
    TypeNotification,
    TypePiece,
    Visibilite,
)


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Chacun ne voit que ses propres notifications."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(destinataire=user)

    def non_lues(self):
        return self.filter(lue_le__isnull=True)


class Notification(models.Model):
    destinataire = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    type = models.CharField("type", max_length=30, choices=TypeNotification.choices)
    cle = models.CharField(
        "événement",
        max_length=120,
        help_text="Identifie l'événement (type, objet, version) : une notification par destinataire.",
    )
    titre = models.CharField("titre", max_length=300)
    texte = models.TextField("texte", blank=True)
    url = models.CharField("lien", max_length=300)
    commentaire = models.ForeignKey(
        "echanges.Commentaire", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("reçue le", default=timezone.now, db_index=True)
    lue_le = models.DateTimeField("lue le", null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "notification"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["destinataire", "cle"], name="notification_unique_par_evenement"),
        ]
        indexes = [models.Index(fields=["destinataire", "lue_le"], name="notification_non_lues")]

    def __str__(self):
        return self.titre

    @property
    def is_lue(self):
        return self.lue_le is not None


class PreferenceNotification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences_notification"
    )
    type = models.CharField("type", max_length=30, choices=TypeNotification.choices)
    frequence = models.CharField("envoi", max_length=20, choices=Frequence.choices)

    class Meta:
        verbose_name = "préférence de notification"
        verbose_name_plural = "préférences de notification"
        constraints = [models.UniqueConstraint(fields=["user", "type"], name="preference_unique_par_type")]

    def __str__(self):
        return f"{self.get_type_display()} : {self.get_frequence_display()}"


class EnvoiNotification(models.Model):
    """Trace des e-mails : une notification part une seule fois par canal (contrainte d'unicité)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="envois")
    canal = models.CharField("canal", max_length=20, choices=Canal.choices)
    sent_at = models.DateTimeField("envoyé le", default=timezone.now)

    class Meta:
        verbose_name = "e-mail de notification"
        verbose_name_plural = "e-mails de notification"
        constraints = [
            models.UniqueConstraint(fields=["notification", "canal"], name="envoi_unique_par_canal"),
        ]

    def __str__(self):
        return f"{self.get_canal_display()} — {self.notification}"


def visibilite_q(user, *, prefixe=""):
    """Commentaires (chemin `prefixe`) que l'utilisateur peut lire : son territoire et la visibilité choisie.

    Département : tous les commentaires de son département ; région : ceux de ses départements ouverts à la
    région ; national et administrateur : ceux ouverts à tous les niveaux."""
    p = prefixe
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.DEPARTEMENTAL and user.departement_id:
        return Q(**{f"{p}departement_id": user.departement_id})
    if user.role == Role.REGIONAL and user.region_id:
        return Q(
            **{
                f"{p}departement__region_id": user.region_id,
                f"{p}visibilite__in": [Visibilite.REGION, Visibilite.TOUS],
            }
        )
    if user.sees_everything:
        return Q(**{f"{p}visibilite": Visibilite.TOUS})
    return Q(pk__in=[])


class CommentaireQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(visibilite_q(user))

    def du_fil(self, *, section=None, commune=None):
        if section is not None:
            return self.filter(section=section)
        return self.filter(commune=commune)


class Commentaire(models.Model):
    section = models.ForeignKey(
        "syntheses.SectionDepartementale",
        verbose_name="section",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="commentaires",
    )
    commune = models.ForeignKey(
        "territoires.Commune",
        verbose_name="commune",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="commentaires",
    )
    departement = models.ForeignKey(
        "territoires.Departement",
        verbose_name="département",
        on_delete=models.PROTECT,
        related_name="commentaires",
        help_text="Département de la section ou de la commune : il décide qui lit le commentaire.",
    )
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", on_delete=models.PROTECT, related_name="commentaires"
    )
    texte = models.TextField("commentaire", max_length=5000)
    visibilite = models.CharField(
        "visible par",
        max_length=20,
        choices=Visibilite.choices,
        default=Visibilite.REGION,
        help_text="Personne d'autre ne lit le commentaire, ni ne reçoit sa notification.",
    )
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="personnes mentionnées", blank=True, related_name="+"
    )
    created_at = models.DateTimeField("publié le", default=timezone.now)
    modifie_le = models.DateTimeField("modifié le", null=True, blank=True)

    history = HistoricalRecords()
    objects = CommentaireQuerySet.as_manager()

    class Meta:
        verbose_name = "commentaire"
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="commentaire_sur_un_objet",
                condition=Q(section__isnull=False, commune__isnull=True)
                | Q(section__isnull=True, commune__isnull=False),
            )
        ]

    def __str__(self):
        return f"Commentaire de {self.auteur} ({self.created_at:%d/%m/%Y})"

    @property
    def objet(self):
        return self.section if self.section_id else self.commune

    def can_edit(self, user, *, maintenant=None):

        maintenant = maintenant or timezone.now()
        return (
            user.is_authenticated
            and user.pk == self.auteur_id
            and (maintenant - self.created_at).total_seconds() <= DELAI_MODIFICATION_MINUTES * 60
        )


class PieceJointeQuerySet(models.QuerySet):
    def for_user(self, user):

        return self.filter(
            territory_q(
                user,
                region_path="commune__departement__region_id",
                departement_path="commune__departement_id",
            )
        )


class PieceJointe(models.Model):
    commune = models.ForeignKey(
        "territoires.Commune", on_delete=models.CASCADE, related_name="pieces_jointes"
    )
    type = models.CharField("type de document", max_length=30, choices=TypePiece.choices)
    titre = models.CharField("titre", max_length=200)
    created_at = models.DateTimeField("ajoutée le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    history = HistoricalRecords()
    objects = PieceJointeQuerySet.as_manager()

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"
        ordering = ["type", "titre", "pk"]

    def __str__(self):
        return self.titre


def _chemin_version(version, nom):
    return f"pieces/{version.piece.commune_id}/{version.piece_id}/v{version.numero}-{nom}"


class VersionPiece(models.Model):
    piece = models.ForeignKey(PieceJointe, on_delete=models.CASCADE, related_name="versions")
    numero = models.PositiveIntegerField("version")
    fichier = models.FileField("fichier", upload_to=_chemin_version, max_length=300)
    nom_original = models.CharField("nom du fichier", max_length=200)
    content_type = models.CharField("type de contenu", max_length=100)
    taille = models.PositiveIntegerField("taille (octets)")
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField("déposée le", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "version d’une pièce jointe"
        verbose_name_plural = "versions des pièces jointes"
        ordering = ["piece", "-numero"]
        constraints = [models.UniqueConstraint(fields=["piece", "numero"], name="version_piece_unique")]

    def __str__(self):
        return f"{self.piece} — version {self.numero}"


class VisiteUtilisateur(models.Model):
    """Connexions successives d'un compte : « ce qui a changé depuis votre dernière visite » part de la
    connexion précédente."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visite")
    precedente = models.DateTimeField("visite précédente", null=True, blank=True)
    derniere = models.DateTimeField("dernière visite", null=True, blank=True)

    class Meta:
        verbose_name = "visite"

    def __str__(self):
        return f"{self.user} — {self.derniere:%d/%m/%Y %H:%M}" if self.derniere else str(self.user)
