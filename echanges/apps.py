from django.apps import AppConfig


class EchangesConfig(AppConfig):
    name = "echanges"
    verbose_name = "Échanges : notifications, commentaires, pièces jointes"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from communes.historique import SOURCES
        from echanges.historique import evenements_pieces

        # Les dépôts de pièces jointes figurent dans l'historique de la fiche commune.
        if evenements_pieces not in SOURCES:
            SOURCES.append(evenements_pieces)

        def _visite(sender, request, user, **kwargs):
            # Tenue des dates de visite seulement (aucune règle métier) : voir services.visite_enregistrer.
            from echanges.services import visite_enregistrer

            visite_enregistrer(user=user)

        user_logged_in.connect(_visite, dispatch_uid="echanges.visite", weak=False)
