import environ
from django.core.management.base import BaseCommand, CommandError

from pvd.sauvegardes import SauvegardeError, base_restaurer


class Command(BaseCommand):
    help = (
        "Restaure une sauvegarde dans une NOUVELLE base vide, donnée par son URL (ex. "
        "postgres://pvd@127.0.0.1:5432/pvd_restauree, créée avant avec createdb) ; puis pointer DATABASE_URL dessus."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="fichier écrit par manage.py sauvegarder")
        parser.add_argument("--base", required=True, help="URL de la base cible, vide")

    def handle(self, *args, fichier, base, **options):
        reglages = environ.Env.db_url_config(base)
        try:
            base_restaurer(reglages=reglages, fichier=fichier)
        except SauvegardeError as exc:
            raise CommandError(f"Restauration impossible : {exc}")
        self.stdout.write(self.style.SUCCESS(f"Sauvegarde {fichier} restaurée dans {reglages['NAME']}."))
