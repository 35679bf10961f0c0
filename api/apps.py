from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API des systèmes partenaires"

    def ready(self):
        # Extension drf-spectacular : décrit l'authentification par jeton dans le schéma OpenAPI.
        from api import schema  # noqa: F401
