from django.apps import AppConfig


class EchangesConfig(AppConfig):
    name = "echanges"
    verbose_name = "Échanges : notifications, commentaires, pièces jointes"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        def _visite(sender, request, user, **kwargs):
            # Tenue des dates de visite seulement (aucune règle métier) : voir services.visite_enregistrer.
            from echanges.services import visite_enregistrer

            visite_enregistrer(user=user)

        user_logged_in.connect(_visite, dispatch_uid="echanges.visite", weak=False)
