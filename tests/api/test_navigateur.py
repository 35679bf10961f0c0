"""Parcours navigateur : le développeur d'un partenaire ouvre la documentation de l'API (Swagger UI servi
par l'application, sans CDN, sous la CSP stricte), y saisit son jeton et appelle l'API."""

import pytest
from playwright.sync_api import expect

from api.models import JetonApi
from api.services import jeton_api_creer

pytestmark = pytest.mark.browser


@pytest.fixture
def jeton_valide(serveur, django_db_blocker):
    """Un jeton enregistré (donnée validée en base, supprimée après le test)."""
    with django_db_blocker.unblock():
        jeton, clair = jeton_api_creer(partenaire="Partenaire du test navigateur")
    yield clair
    with django_db_blocker.unblock():
        JetonApi.objects.filter(pk=jeton.pk).delete()


def test_documentation_de_l_api_puis_appel_avec_un_jeton(page, serveur, jeton_valide):
    requetes_externes = []
    page.on(
        "request",
        lambda r: requetes_externes.append(r.url) if not r.url.startswith((serveur, "data:")) else None,
    )
    page.goto(f"{serveur}/api/v1/documentation/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("API PVD Suivi")
    expect(page.get_by_text("Indicateurs publics", exact=False).first).to_be_visible()

    page.locator(".auth-wrapper button.authorize").click()
    formulaire = page.locator(".modal-ux .auth-container", has_text="jetonApi")
    formulaire.get_by_label("auth-bearer-value").fill(jeton_valide)
    formulaire.locator("button.authorize").click()
    page.locator(".modal-ux button.close-modal").click()

    operation = page.locator(
        ".opblock", has=page.locator('.opblock-summary-path[data-path="/api/v1/regions/"]')
    )
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    reponse = operation.locator(".live-responses-table .response .response-col_status").first
    expect(reponse).to_have_text("200")
    expect(operation.locator(".live-responses-table .microlight").first).to_contain_text("Bretagne")
    assert not requetes_externes, f"ressources hors de l'application : {requetes_externes}"
