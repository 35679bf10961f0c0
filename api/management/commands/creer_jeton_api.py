from django.core.management.base import BaseCommand, CommandError

from api.services import jeton_api_creer


class Command(BaseCommand):
    help = "Crée un jeton d’accès à l’API pour un partenaire et l’affiche (une seule fois)."

    def add_arguments(self, parser):
        parser.add_argument("partenaire", help="Nom du partenaire (système ou organisme).")

    def handle(self, *args, partenaire, **options):
        if not partenaire.strip():
            raise CommandError("Indiquez le nom du partenaire.")
        jeton, clair = jeton_api_creer(partenaire=partenaire)
        self.stderr.write(
            f"Jeton d’API créé pour « {jeton.partenaire} ». Il ne sera plus affiché : "
            "copiez-le maintenant et transmettez-le par un canal sûr."
        )
        self.stdout.write(clair)
