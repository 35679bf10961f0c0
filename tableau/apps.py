from django.apps import AppConfig


class TableauConfig(AppConfig):
    name = "tableau"
    verbose_name = "Tableaux de bord"
