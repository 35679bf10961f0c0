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
    double_facteur_actif = models.BooleanField(
        "second facteur activé",
        default=False,
        editable=False,
        help_text="Application d’authentification confirmée : un code est demandé à chaque connexion.",
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
    def can_import(self):
        """Import des situations des communes : les agents départementaux (celles de leur département, la
        règle de la saisie) et les administrateurs (toutes) ; le régional et le national ne modifient pas le
        suivi des communes."""
        if not self.is_active:
            return False
        if self.role == Role.ADMINISTRATEUR:
            return True
        return self.role == Role.DEPARTEMENTAL and self.departement_id is not None

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


def agent_du_departement(user, departement_id):
    """Agent actif de ce département : la règle de toute écriture départementale (suivi des communes, réunions du
    club, rédaction et soumission de la section de la note)."""
    return (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.DEPARTEMENTAL
        and user.departement_id is not None
        and user.departement_id == departement_id
    )


class TypeEvenement(models.TextChoices):
    CONNEXION = "connexion", "Connexion"
    ECHEC_CONNEXION = "echec_connexion", "Échec de connexion"
    BLOCAGE = "blocage", "Compte bloqué après des échecs"
    ROLE_TERRITOIRE = "role_territoire", "Rôle ou territoire modifié"
    IMPORT = "import", "Import de données"
    JETON_API_CREE = "jeton_api_cree", "Jeton d’API créé"
    JETON_API_UTILISE = "jeton_api_utilise", "Jeton d’API utilisé"
    DOUBLE_FACTEUR_ACTIVE = "double_facteur_active", "Second facteur activé"
    DOUBLE_FACTEUR_ECHEC = "double_facteur_echec", "Code de second facteur refusé"
    CODE_SECOURS_UTILISE = "code_secours_utilise", "Code de secours utilisé"
    MOT_DE_PASSE_DEMANDE = "mot_de_passe_demande", "Réinitialisation du mot de passe demandée"
    MOT_DE_PASSE_REINITIALISE = "mot_de_passe_reinitialise", "Mot de passe réinitialisé"
    MOT_DE_PASSE_LIMITE = "mot_de_passe_limite", "Demandes de réinitialisation trop nombreuses"


class EvenementSecurite(models.Model):
    """Journal des événements de sécurité (qui, d'où, quand, quoi), gardé SECURITE_CONSERVATION_JOURS jours
    et écrit aussi dans les journaux (logger pvd.securite)."""

    created_at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    type = models.CharField("événement", max_length=30, choices=TypeEvenement.choices, db_index=True)
    user = models.ForeignKey(
        "comptes.User",
        verbose_name="compte",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField("identifiant", max_length=150, blank=True, db_index=True)
    adresse_ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    detail = models.CharField("détail", max_length=500, blank=True)

    class Meta:
        verbose_name = "événement de sécurité"
        verbose_name_plural = "événements de sécurité"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_type_display()} — {self.username or 'inconnu'}"
