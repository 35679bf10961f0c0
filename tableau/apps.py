from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TableauConfig(AppConfig):
    name = "tableau"
    verbose_name = "Tableaux de bord"

    def ready(self):
        from tableau.versions import declencheurs_post_migrate

        post_migrate.connect(declencheurs_post_migrate, sender=self, dispatch_uid="tableau_declencheurs")
