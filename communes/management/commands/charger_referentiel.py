from django.core.management.base import BaseCommand, CommandError

from communes.services import referentiel_charger
from territoires.services import FICHIERS, ReferentielError


class Command(BaseCommand):
    help = (
        "Charge (ou met à jour) régions, départements, EPCI, communes et liste PVD depuis les fichiers "
        "officiels. Sans option, lit le dossier du réglage REFERENTIEL_DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dossier", help="dossier contenant les fichiers (même organisation que shared/data)"
        )
        for cle, relatif in FICHIERS.items():
            parser.add_argument(f"--{cle}", help=f"chemin du fichier {cle} (par défaut <dossier>/{relatif})")
        parser.add_argument(
            "--millesime",
            help="millésime AAAA-MM de la liste PVD (--pvd : CSV liste-pvd-com… ou GeoJSON du superposeur "
            "ANCT), si le nom du fichier ne porte pas sa date",
        )

    def handle(self, *args, **options):
        fichiers = {cle: options[cle] for cle in FICHIERS}
        try:
            bilan = referentiel_charger(
                dossier=options["dossier"], fichiers=fichiers, millesime=options["millesime"]
            )
        except ReferentielError as exc:
            raise CommandError(f"Référentiel non chargé, rien n’a été modifié. {exc}")
        self.stdout.write(str(bilan))
        self.stdout.write(f"Communes PVD : {bilan.pvd}")
        self.stdout.write(
            self.style.SUCCESS("Référentiel à jour." if bilan.changes else "Référentiel déjà à jour.")
        )
