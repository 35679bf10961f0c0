from django.core.management.base import BaseCommand

from syntheses.demo import campagne_demo_creer


class Command(BaseCommand):
    help = "Ouvre la campagne 2023 de démonstration (échéance 25 juin 2023) ; sans effet si elle existe."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sans-sections",
            action="store_true",
            help="ouvre la campagne sans rédiger de section de démonstration (données officielles seulement)",
        )

    def handle(self, *args, sans_sections, **options):
        campagne, creee = campagne_demo_creer(sections=not sans_sections)
        etat = "ouverte" if creee else "déjà ouverte"
        self.stdout.write(
            f"  {campagne.nom} {etat} : échéance {campagne.date_echeance:%d/%m/%Y}, "
            f"phase opérationnelle au {campagne.date_limite_phase_operationnelle:%d/%m/%Y}, "
            f"{campagne.syntheses.count()} notes régionales"
        )
