import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from clubs.constants import (
    COMPTE_RENDU_LONGUEUR_MAX,
    PREMIERE_ANNEE,
    Format,
    Public,
    StatutReunion,
)
from clubs.themes import EncodeurThemes, themes_normaliser
from clubs.validators import valider_extension_pdf, valider_signature_pdf, valider_taille_piece_jointe
from comptes.models import agent_du_departement, territory_q


def piece_jointe_chemin(instance, filename):
    """Nom de stockage imprévisible, rangé par département ; le nom d'origine est gardé à part."""
    return f"clubs/{instance.departement_id}/{uuid.uuid4().hex}.pdf"


def peut_gerer_reunions(user, departement_id):
    """Seuls les comptes départementaux actifs gèrent les réunions du club de leur département."""
    return agent_du_departement(user, departement_id)


def annee_bornes(annee):
    return date(annee, 1, 1), date(annee, 12, 31)


class ReunionClubQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(
            territory_q(user, region_path="departement__region_id", departement_path="departement_id")
        )

    def tenues(self, *, aujourd_hui=None):
        return self.filter(date__lte=aujourd_hui or timezone.localdate())

    def prevues(self, *, aujourd_hui=None):
        return self.filter(date__gt=aujourd_hui or timezone.localdate())

    def with_details(self):
        """Département, région, auteurs et nombre de communes représentées, sans requête par ligne."""
        communes = ReunionClub.communes.through.objects.filter(reunionclub=OuterRef("pk"))
        communes_count = Coalesce(
            Subquery(
                communes.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"),
                output_field=IntegerField(),
            ),
            0,
        )
        return self.select_related("departement__region", "created_by", "updated_by").annotate(
            communes_count=communes_count
        )


class ReunionClub(models.Model):
    """Réunion du club départemental PVD (élus et/ou chefs de projet)."""

    departement = models.ForeignKey(
        "territoires.Departement",
        verbose_name="département",
        on_delete=models.PROTECT,
        related_name="reunions_club",
    )
    date = models.DateField("date", help_text="Une réunion datée d’aujourd’hui ou avant compte comme tenue.")
    format = models.CharField("format", max_length=20, choices=Format.choices)
    public = models.CharField("public", max_length=20, choices=Public.choices)
    participants_count = models.PositiveIntegerField(
        "nombre de participants",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5000)],
        help_text="Obligatoire pour une réunion tenue ; facultatif pour une réunion prévue.",
    )
    communes = models.ManyToManyField(
        "territoires.Commune",
        verbose_name="communes représentées",
        blank=True,
        related_name="reunions_club",
        help_text="Communes PVD du département présentes à la réunion.",
    )
    themes = models.JSONField(
        "thèmes",
        default=list,
        blank=True,
        encoder=EncodeurThemes,
        help_text="Étiquettes libres (ORT, fonds vert, habitat…).",
    )
    compte_rendu = models.TextField(
        "compte rendu",
        blank=True,
        max_length=COMPTE_RENDU_LONGUEUR_MAX,
        help_text=f"Décisions, suites à donner ({COMPTE_RENDU_LONGUEUR_MAX} caractères au plus).",
    )
    piece_jointe = models.FileField(
        "pièce jointe (PDF)",
        upload_to=piece_jointe_chemin,
        max_length=200,
        blank=True,
        validators=[valider_extension_pdf, valider_signature_pdf, valider_taille_piece_jointe],
    )
    piece_jointe_nom = models.CharField("nom d’origine de la pièce jointe", max_length=255, blank=True)

    created_at = models.DateTimeField("créée le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="créée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="modifiée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ReunionClubQuerySet.as_manager()

    class Meta:
        verbose_name = "réunion de club PVD"
        verbose_name_plural = "réunions de club PVD"
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["departement", "date"], name="reunionclub_dep_date")]
        constraints = [
            models.CheckConstraint(
                name="reunionclub_participants_positif",
                condition=Q(participants_count__isnull=True) | Q(participants_count__gte=1),
                violation_error_message="Le nombre de participants doit être d’au moins 1.",
            ),
        ]

    def __str__(self):
        return f"Club PVD {self.departement_id} du {self.date:%d/%m/%Y}"

    def get_absolute_url(self):
        return reverse("clubs:reunion", args=[self.pk])

    def clean(self):
        super().clean()
        errors = {}
        if self.date:
            aujourd_hui = timezone.localdate()
            if not PREMIERE_ANNEE - 1 <= self.date.year <= aujourd_hui.year + 2:
                premiere, derniere = PREMIERE_ANNEE - 1, aujourd_hui.year + 2
                errors["date"] = f"Indiquez une date entre {premiere} et {derniere} (vérifiez l’année)."
            elif self.date <= aujourd_hui and self.participants_count is None:
                errors["participants_count"] = "Indiquez le nombre de participants de cette réunion tenue."
        if not isinstance(self.themes, list):
            errors["themes"] = "Les thèmes sont une liste d’étiquettes."
        else:
            try:
                self.themes = themes_normaliser(self.themes)
            except ValidationError as erreur:
                errors["themes"] = erreur.messages
        if errors:
            raise ValidationError(errors)

    @property
    def statut(self):
        return StatutReunion.PREVUE if self.date > timezone.localdate() else StatutReunion.TENUE

    @property
    def is_tenue(self):
        return self.statut == StatutReunion.TENUE

    def get_statut_display(self):
        return StatutReunion(self.statut).label

    def can_edit(self, user):
        return peut_gerer_reunions(user, self.departement_id)
