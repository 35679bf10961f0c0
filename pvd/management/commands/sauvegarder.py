from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from pvd.sauvegardes import SauvegardeError, base_sauvegarder


class Command(BaseCommand):
    help = "Sauvegarde toute la base (pg_dump au format custom pour PostgreSQL, copie cohérente pour SQLite)."

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="fichier de sauvegarde à écrire")

    def handle(self, *args, fichier, **options):
        try:
            chemin = base_sauvegarder(reglages=connections["default"].settings_dict, fichier=fichier)
        except SauvegardeError as exc:
            raise CommandError(f"Sauvegarde impossible : {exc}")
        self.stdout.write(
            self.style.SUCCESS(f"Sauvegarde écrite : {chemin} ({chemin.stat().st_size} octets)")
        )
