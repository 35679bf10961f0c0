from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from comptes.constants import Role


class User(AbstractUser):
    role = models.CharField("rôle", max_length=20, choices=Role.choices, default=Role.DEPARTEMENTAL)
    region = models.ForeignKey(
        "territoires.Region",
        verbose_name="région",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="Obligatoire pour un compte régional.",
    )
    departement = models.ForeignKey(
        "territoires.Departement",
        verbose_name="département",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="Obligatoire pour un compte départemental.",
    )
    rappels_actifs = models.BooleanField(
        "recevoir les rappels par e-mail",
        default=True,
        help_text="Échéance de la note de synthèse, échéance des 18 mois de la convention-cadre, "
        "réunion du club PVD à prévoir.",
    )

    class Meta:
        verbose_name = "utilisateur"
        constraints = [
            models.CheckConstraint(
                name="user_territoire_selon_role",
                condition=(
                    Q(role=Role.DEPARTEMENTAL, departement__isnull=False, region__isnull=True)
                    | Q(role=Role.REGIONAL, region__isnull=False, departement__isnull=True)
                    | Q(
                        role__in=[Role.NATIONAL, Role.ADMINISTRATEUR],
                        region__isnull=True,
                        departement__isnull=True,
                    )
                ),
                violation_error_message="Le territoire du compte ne correspond pas à son rôle.",
            )
        ]

    def clean(self):
        super().clean()
        errors = {}
        if self.role == Role.DEPARTEMENTAL and not self.departement_id:
            errors["departement"] = "Un compte départemental doit être rattaché à un département."
        if self.role == Role.REGIONAL and not self.region_id:
            errors["region"] = "Un compte régional doit être rattaché à une région."
        if self.role != Role.DEPARTEMENTAL and self.departement_id:
            errors["departement"] = "Seul un compte départemental est rattaché à un département."
        if self.role != Role.REGIONAL and self.region_id:
            errors["region"] = "Seul un compte régional est rattaché à une région."
        if errors:
            raise ValidationError(errors)

    @property
    def sees_everything(self):
        return self.role in (Role.NATIONAL, Role.ADMINISTRATEUR)

    @property
    def territoire_label(self):
        if self.role == Role.DEPARTEMENTAL and self.departement_id:
            return f"{self.departement.nom} ({self.departement_id})"
        if self.role == Role.REGIONAL and self.region_id:
            return self.region.nom
        return "France entière"


def territory_q(user, *, region_path, departement_path):
    """Condition qui restreint une requête au territoire de l'utilisateur.

    region_path / departement_path : chemin (lookup) du code de la région et du département de l'objet.
    Un utilisateur anonyme ou sans rôle ne voit rien.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if user.sees_everything:
        return Q()
    if user.role == Role.REGIONAL and user.region_id:
        return Q(**{region_path: user.region_id})
    if user.role == Role.DEPARTEMENTAL and user.departement_id and departement_path:
        return Q(**{departement_path: user.departement_id})
    return Q(pk__in=[])
