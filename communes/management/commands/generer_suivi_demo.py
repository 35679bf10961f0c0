from django.core.management.base import BaseCommand, CommandError

from communes.demo import BaseNonBanc, suivi_demo_generer
from pvd.formats import compte


def _codes(valeur):
    return [code.strip() for code in (valeur or "").split(",") if code.strip()]


class Command(BaseCommand):
    help = (
        "Crée des situations de démonstration plausibles et déterministes (convention-cadre, ORT, CRTE, "
        "chef de projet, actions, financements dont fonds vert) pour les communes PVD dont le suivi est "
        "vierge. Relancer ne duplique rien."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--departements", help="codes des départements, séparés par des virgules (ex. 35,22)"
        )
        parser.add_argument("--regions", help="codes des régions, séparés par des virgules (ex. 53)")
        parser.add_argument(
            "--toutes-communes",
            action="store_true",
            help="banc de performance seulement : toutes les communes réelles deviennent lauréates",
        )
        parser.add_argument("--graine", type=int, default=2023, help="graine du tirage (2023 par défaut)")

    def handle(self, *args, **options):
        try:
            bilan = suivi_demo_generer(
                departements=_codes(options["departements"]),
                regions=_codes(options["regions"]),
                toutes_communes=options["toutes_communes"],
                graine=options["graine"],
            )
        except BaseNonBanc as erreur:
            raise CommandError(str(erreur))
        lignes = compte(bilan["financements"], "ligne de financement", "lignes de financement")
        laureates = compte(bilan["laureates"], "commune lauréate fictive", "communes lauréates fictives")
        self.stdout.write(
            f"Suivi de démonstration : {compte(bilan['territoires'], 'territoire rempli', 'territoires remplis')}, "
            f"{compte(bilan['actions'], 'action')}, {lignes}"
            + (f", {laureates}" if bilan["laureates"] else "")
            + "."
        )
