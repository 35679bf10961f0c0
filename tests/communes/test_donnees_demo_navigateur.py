"""Bandeau « Données de démonstration » dans un vrai navigateur : visible en tête de page, accessible (axe-core).

Pas de fixture `db` : la trace est validée en base pour le serveur gunicorn, puis retirée."""

import pytest

from communes.models import DonneesDemonstration


@pytest.fixture
def trace_demo(serveur, django_db_blocker):
    """Une trace de suivi généré, validée en base pour le serveur ; retirée à la fin."""
    with django_db_blocker.unblock():
        trace = DonneesDemonstration.objects.create(perimetre="Bretagne", territoires_count=1)
    yield trace
    with django_db_blocker.unblock():
        trace.delete()


@pytest.mark.browser
def test_bandeau_visible_et_accessible_dans_le_navigateur(page, serveur, trace_demo, demo_password):
    from playwright.sync_api import expect

    from tests.accessibilite import verifier_accessibilite

    page.goto(f"{serveur}/connexion/")
    bandeau = page.locator("#bandeau-demo")
    expect(bandeau).to_be_visible()
    expect(bandeau).to_contain_text(
        "Données de démonstration : le suivi affiché a été généré automatiquement"
    )
    page.get_by_role("textbox", name="Identifiant").fill("demo-departement")
    page.get_by_role("textbox", name="Mot de passe").fill(demo_password)
    page.get_by_role("textbox", name="Mot de passe").press("Enter")
    page.wait_for_url(lambda url: "/connexion/" not in url)
    page.goto(f"{serveur}/communes/")
    expect(page.locator("#bandeau-demo")).to_be_visible()
    # Au-dessus de l'en-tête du site, sur toute la largeur.
    assert (
        page.locator("#bandeau-demo").bounding_box()["y"]
        < page.locator("header.fr-header").bounding_box()["y"]
    )
    verifier_accessibilite(page, "liste des communes avec le bandeau de démonstration")
