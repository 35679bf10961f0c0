"""Écrit les pages 500 et 503 en HTML statique (STATIC_ROOT/erreurs/), pour le frontal : quand gunicorn ne
répond pas (délai dépassé, redémarrage, maintenance), nginx sert la page du produit au lieu de la sienne
(deploy/nginx.conf). À lancer après collectstatic : les adresses des feuilles de style sont celles du manifeste."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test import RequestFactory

from pvd.erreurs import reponse_erreur


class Command(BaseCommand):
    help = "Écrit les pages d'erreur 500 et 503 en HTML statique pour le frontal (après collectstatic)."

    def add_arguments(self, parser):
        parser.add_argument("--dossier", help="dossier de sortie (par défaut STATIC_ROOT/erreurs)")

    def handle(self, *args, dossier=None, **options):
        dossier = Path(dossier or Path(settings.STATIC_ROOT) / "erreurs")
        dossier.mkdir(parents=True, exist_ok=True)
        requete = RequestFactory().get("/")
        for statut in (500, 503):
            page = reponse_erreur(requete, statut, contexte=False)
            (dossier / f"{statut}.html").write_bytes(page.content)
            self.stdout.write(f"  {dossier / f'{statut}.html'}")
