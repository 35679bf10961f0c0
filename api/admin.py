from django.contrib import admin, messages
from django.template.response import TemplateResponse

from api.models import JetonApi
from api.services import jeton_api_creer
from comptes.models import TypeEvenement
from comptes.securite import evenement_securite_enregistrer
from pvd.formats import compte


@admin.register(JetonApi)
class JetonApiAdmin(admin.ModelAdmin):
    list_display = ("partenaire", "prefixe", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("partenaire", "prefixe")
    readonly_fields = ("prefixe", "created_at", "last_used_at")
    actions = ["revoquer"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("partenaire",)
        return ("partenaire", "prefixe", "is_active", "created_at", "last_used_at")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # Création : le service tire le jeton et n'en garde que l'empreinte.
        jeton, clair = jeton_api_creer(partenaire=form.cleaned_data["partenaire"])
        obj.pk, obj.jeton_clair = jeton.pk, clair
        evenement_securite_enregistrer(
            type=TypeEvenement.JETON_API_CREE,
            request=request,
            user=request.user,
            detail=f"jeton {jeton.prefixe}… pour « {jeton.partenaire} »",
        )
        obj.refresh_from_db()

    def response_add(self, request, obj, post_url_continue=None):
        """Le jeton en clair est affiché une seule fois, sur cette page (jamais dans un message
        conservé en session ni dans une URL)."""
        return TemplateResponse(
            request,
            "admin/api/jetonapi/jeton_cree.html",
            {
                **self.admin_site.each_context(request),
                "title": "Jeton d’API créé",
                "opts": self.opts,
                "jeton": obj,
                "jeton_clair": obj.jeton_clair,
            },
        )

    @admin.action(description="Révoquer les jetons sélectionnés")
    def revoquer(self, request, queryset):
        nombre = queryset.update(is_active=False)
        self.message_user(request, f"{compte(nombre, 'jeton révoqué', 'jetons révoqués')}.", messages.SUCCESS)
