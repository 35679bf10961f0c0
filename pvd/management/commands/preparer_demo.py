"""Prépare l'instance de `make run` en un seul processus : migrations, référentiel officiel, comptes de
démonstration, suivi de démonstration (sauf --officielles) et campagne 2023 (sans section rédigée d'avance
avec --officielles : rien de généré, aucun bandeau « Données de démonstration »). Relancer ne change rien de ce
qui est déjà là : ni les données, ni les mots de passe (les sessions ouvertes restent ouvertes)."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Prépare l'instance de démonstration (make run) : migrations, référentiel officiel, comptes de "
        "démonstration, suivi de démonstration de la Bretagne et campagne 2023."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--officielles",
            action="store_true",
            help="données officielles seulement : aucun suivi de démonstration n'est généré",
        )

    def etape(self, titre, duree, commande, *args):
        self.stdout.write(f"▸ {titre} ({duree})…")
        debut = time.monotonic()
        call_command(commande, *args, stdout=self.stdout, stderr=self.stderr)
        self.stdout.write(f"  fait en {time.monotonic() - debut:.1f} s")

    def handle(self, *args, officielles, **options):
        self.etape("Base de données : migrations", "quelques secondes, 30 s la première fois", "migrate",
                   "--noinput", "-v0")  # fmt: skip
        self.etape("Référentiel officiel : COG, EPCI, CRTE, ORT, liste PVD", "environ 10 s",
                   "charger_referentiel")  # fmt: skip
        self.stdout.write("Comptes de démonstration :")
        call_command("creer_demo", stdout=self.stdout, stderr=self.stderr)
        if officielles:
            self.stdout.write("▸ Données officielles seulement : aucun suivi de démonstration généré.")
        else:
            self.etape("Suivi de démonstration (Bretagne)", "quelques secondes", "generer_suivi_demo",
                       "--regions", "53")  # fmt: skip
        # Données officielles : campagne ouverte, sans section rédigée d'avance (ni texte ni commune retenue).
        call_command(
            "creer_campagne_demo",
            *(["--sans-sections"] if officielles else []),
            stdout=self.stdout,
            stderr=self.stderr,
        )
