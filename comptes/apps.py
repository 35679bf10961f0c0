from django.apps import AppConfig


class ComptesConfig(AppConfig):
    name = "comptes"
    verbose_name = "Comptes et rôles"

    def ready(self):
        """Les connexions, échecs et blocages vont au journal de sécurité : les signaux de django.contrib.auth
        et de django-axes sont le seul endroit où passent à la fois la connexion par mot de passe et ProConnect."""
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from comptes import securite

        user_logged_in.connect(securite.connexion_noter, dispatch_uid="securite_connexion")
        user_login_failed.connect(securite.echec_connexion_noter, dispatch_uid="securite_echec")
        user_locked_out.connect(securite.blocage_noter, dispatch_uid="securite_blocage")
