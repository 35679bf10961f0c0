import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from comptes.services import administrateur_creer


class Command(BaseCommand):
    help = (
        "Crée un compte administrateur de l'instance (premier compte d'une installation). Le mot de "
        "passe est demandé, ou lu dans DJANGO_SUPERUSER_PASSWORD ; --sans-mot-de-passe : connexion par "
        "ProConnect seulement."
    )

    def add_arguments(self, parser):
        parser.add_argument("identifiant")
        parser.add_argument("email", help="adresse électronique (celle de ProConnect, le cas échéant)")
        parser.add_argument("--sans-mot-de-passe", action="store_true", dest="sans_mot_de_passe")

    def handle(self, *args, identifiant, email, sans_mot_de_passe, **options):
        password = None
        if not sans_mot_de_passe:
            password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or self._demander_mot_de_passe()
        try:
            user = administrateur_creer(username=identifiant, email=email, password=password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Administrateur créé : {user.username} ({user.email}).")

    def _demander_mot_de_passe(self):
        password = getpass.getpass("Mot de passe : ")
        if password != getpass.getpass("Mot de passe (à nouveau) : "):
            raise CommandError("Les deux mots de passe diffèrent.")
        return password
