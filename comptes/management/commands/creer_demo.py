from django.core.management.base import BaseCommand

from comptes.services import DEMO_PASSWORD, demo_users_creer


class Command(BaseCommand):
    help = "Crée un compte de démonstration par rôle (réservé aux instances de démonstration)."

    def add_arguments(self, parser):
        parser.add_argument("--mot-de-passe", default=DEMO_PASSWORD, dest="password")

    def handle(self, *args, password, **options):
        for user in demo_users_creer(password=password):
            self.stdout.write(f"  {user.username:<18} {user.get_role_display()} — {user.territoire_label}")
        self.stdout.write(f"  mot de passe : {password}")
