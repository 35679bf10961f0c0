from django.apps import AppConfig


class SynthesesConfig(AppConfig):
    name = "syntheses"
    verbose_name = "Notes de synthèse régionales"
