from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommunesConfig(AppConfig):
    name = "communes"
    verbose_name = "Communes PVD"

    def ready(self):
        from communes.versions import declencheurs_post_migrate

        post_migrate.connect(declencheurs_post_migrate, sender=self, dispatch_uid="communes_declencheurs")
