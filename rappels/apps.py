from django.apps import AppConfig


class RappelsConfig(AppConfig):
    name = "rappels"
    verbose_name = "Rappels par e-mail"
