"""Schemathesis contre le schéma OpenAPI servi par l'application (appels WSGI dans le processus des tests,
sur la base de test) : requêtes générées valides et invalides, avec un jeton valide ; aucune erreur 500,
chaque réponse conforme au schéma (statut documenté, type de contenu, corps, en-têtes)."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings

from api.services import jeton_api_creer

pytestmark = pytest.mark.django_db

# Le schéma est lu à la collecte, par la vraie adresse de l'application (sans accès à la base).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@pytest.fixture
def jeton_schemathesis():
    """Un jeton valide ; débit non limité ; la connexion à la base de test reste ouverte entre les
    requêtes WSGI (comme le fait le client de test de Django), pour rester dans la transaction du test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with override_settings(API_DEBIT="100000/minute"):
            yield jeton_api_creer(partenaire="Schemathesis")[1]
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# Par opération : la phase « coverage » de Schemathesis (valeurs limites et invalides de chaque paramètre,
# méthodes non prévues), puis 10 requêtes tirées au hasard (graine fixe : le même jeu à chaque exécution).
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforme_au_schema(case, jeton_schemathesis):
    case.call_and_validate(headers={"Authorization": f"Bearer {jeton_schemathesis}"})
