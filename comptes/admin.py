from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from comptes.models import EvenementSecurite, TypeEvenement, User
from comptes.securite import evenement_securite_enregistrer
from pvd.admin import LectureSeuleAdmin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "last_name",
        "first_name",
        "email",
        "role",
        "region",
        "departement",
        "is_active",
    )
    list_filter = ("role", "is_active", "region")
    search_fields = ("username", "last_name", "first_name", "email")
    autocomplete_fields = ("region", "departement")
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("Rôle et territoire", {"fields": ("role", "region", "departement")}),
        ("Préférences", {"fields": ("rappels_actifs",)}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        ("Rôle et territoire", {"fields": ("role", "region", "departement", "email")}),
    )

    def save_model(self, request, obj, form, change):
        ancien = User.objects.get(pk=obj.pk) if change else None
        super().save_model(request, obj, form, change)
        changes = [nom for nom in ROLE_TERRITOIRE if nom in form.changed_data]
        if ancien is not None and changes:
            detail = " ; ".join(
                f"{obj._meta.get_field(nom).verbose_name} : {_valeur(ancien, nom)} → {_valeur(obj, nom)}"
                for nom in changes
            )
            evenement_securite_enregistrer(
                type=TypeEvenement.ROLE_TERRITOIRE,
                request=request,
                user=request.user,
                detail=f"compte {obj.username} : {detail}",
            )


def _valeur(user, nom):
    valeur = user.get_role_display() if nom == "role" else getattr(user, nom)
    return str(valeur) if valeur else "—"


ROLE_TERRITOIRE = ("role", "region", "departement")


@admin.register(EvenementSecurite)
class EvenementSecuriteAdmin(LectureSeuleAdmin):
    """Journal de sécurité, en lecture seule, pour les administrateurs."""

    list_display = ("created_at", "type", "username", "adresse_ip", "detail")
    list_filter = ("type", "created_at")
    search_fields = ("username", "adresse_ip", "detail")
    date_hierarchy = "created_at"
