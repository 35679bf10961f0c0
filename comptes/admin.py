from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from comptes.models import User


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
