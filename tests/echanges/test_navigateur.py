"""Parcours des échanges dans un vrai navigateur (chromium de Debian) contre un vrai serveur gunicorn : la
région renvoie une section avec un commentaire ; le département voit la cloche, ouvre la notification,
répond dans le fil en mentionnant la région, joint une convention signée à une commune, soumet à nouveau ;
la région voit la mention et la nouvelle soumission, puis la réponse et la pièce jointe dans « ce qui a
changé depuis votre dernière visite ». Captures dans /work/shots/echanges/ (si le dossier
existe)."""

import re
from pathlib import Path

import pytest

from tests.accessibilite import verifier_accessibilite
from tests.pvd.test_navigateur import se_connecter

pytestmark = pytest.mark.browser

CAPTURES = Path("/work/shots/echanges")
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def capture(page, nom, selecteur=None):
    if not CAPTURES.is_dir():
        return
    if selecteur:
        page.locator(selecteur).first.screenshot(path=str(CAPTURES / f"{nom}.png"))
    else:
        page.screenshot(path=str(CAPTURES / f"{nom}.png"), full_page=False)


@pytest.fixture
def section_soumise(django_db_blocker):
    """Une campagne dont la section d'Ille-et-Vilaine est soumise ; tout est effacé après le parcours."""
    with django_db_blocker.unblock():
        from comptes.models import User
        from echanges.models import Commentaire, Notification, PieceJointe
        from syntheses.models import Campagne, SectionDepartementale
        from syntheses.services import section_enregistrer, section_risques_confirmer, section_soumettre
        from tests.syntheses_outils import campagne

        c = campagne(nom="Campagne des échanges", user=User.objects.get(username="demo-national"))
        section = SectionDepartementale.objects.get(synthese__campagne=c, departement="35")
        dept = User.objects.get(username="demo-departement")
        section = section_enregistrer(
            section=section,
            user=dept,
            version=section.version,
            dynamique="Dynamique.",
            leviers="Leviers.",
            difficultes="Difficultés.",
            texte_libre="",
        )
        section_risques_confirmer(section=section, user=dept, communes=[])
        section_soumettre(section=section, user=dept)
        Notification.objects.all().delete()
    yield section
    with django_db_blocker.unblock():
        Notification.objects.all().delete()
        Commentaire.objects.filter(section__synthese__campagne=c).delete()
        Commentaire.objects.filter(commune_id="35012").delete()
        PieceJointe.objects.filter(commune_id="35012").delete()
        Campagne.objects.filter(pk=c.pk).delete()


def test_renvoi_notification_reponse_piece_jointe_resoumission(page, serveur, demo_password, section_soumise):
    section_url = f"{serveur}/syntheses/sections/{section_soumise.pk}/"
    # La région renvoie la section avec un commentaire.
    se_connecter(page, serveur, "demo-region", demo_password)
    page.wait_for_load_state()
    page.goto(section_url)
    page.get_by_role("link", name="Renvoyer au département").click()
    modale = page.get_by_role("dialog", name="Renvoyer la section au département")
    modale.get_by_label("Ce que le département doit reprendre").fill("Précisez les leviers du fonds vert.")
    modale.get_by_role("button", name="Renvoyer au département").click()
    assert page.get_by_text("Section renvoyée au département.").is_visible()

    # Le département voit la cloche, ouvre la notification.
    page.context.clear_cookies()
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.wait_for_load_state()
    cloche = page.locator("#cloche-notifications")
    assert cloche.locator("#notifications-non-lues").inner_text().startswith("1")
    capture(page, "cloche", ".fr-header__tools")
    cloche.click()
    page.wait_for_url(re.compile(r"/notifications/$"))
    notification = page.get_by_role("link", name=re.compile("La région a renvoyé la section Ille-et-Vilaine"))
    assert page.get_by_text("Précisez les leviers du fonds vert.").is_visible()
    capture(page, "notifications")
    verifier_accessibilite(page, "Mes notifications")
    notification.click()
    page.wait_for_url(re.compile(rf"/syntheses/sections/{section_soumise.pk}/$"))
    assert page.locator("#notifications-non-lues").count() == 0  # lue

    # Il répond dans le fil en mentionnant la région (insertion par la liste des personnes).
    zone = page.locator("#id_texte")
    zone.fill("C’est repris : voir le paragraphe sur le fonds vert. ")
    page.locator(".pvd-mentions summary").click()
    page.get_by_role("button", name=re.compile(r"@demo-region")).click()
    assert "@demo-region" in zone.input_value()
    page.get_by_role("combobox", name=re.compile("Visible par")).select_option(label="Département et région")
    page.get_by_role("button", name="Publier le commentaire").click()
    assert page.get_by_text("Commentaire publié.").is_visible()
    capture(page, "fil", "#discussion")
    verifier_accessibilite(page, "section avec sa discussion")

    # Il joint la convention signée à une commune.
    page.goto(f"{serveur}/communes/35012/")
    page.get_by_role("combobox", name="Type de document").select_option(label="Convention d’adhésion")
    page.get_by_label("Titre").fill("Convention d’adhésion signée")
    page.get_by_label("Fichier").set_input_files(
        {"name": "convention-signee.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Déposer le document").click()
    assert page.get_by_text("Pièce jointe déposée.").is_visible()
    assert (
        page.locator("#pieces-jointes")
        .get_by_role("cell", name="Convention d’adhésion signée", exact=True)
        .is_visible()
    )
    capture(page, "pieces-jointes", "#pieces-jointes")
    verifier_accessibilite(page, "fiche commune avec ses pièces jointes et sa discussion")

    # Sa file « À faire » : la section renvoyée est à rédiger.
    page.goto(f"{serveur}/communes/")
    page.locator("#quoi-de-neuf").get_by_role("link", name="À faire").click()
    tache = page.locator("section", has_text="Sections de la note à rédiger")
    assert tache.get_by_role("link", name="Ille-et-Vilaine — Campagne des échanges").is_visible()
    capture(page, "a-faire")
    verifier_accessibilite(page, "À faire")

    # Il soumet à nouveau.
    page.goto(section_url)
    page.get_by_role("link", name="Soumettre la section à la région").click()
    page.get_by_role("button", name="Soumettre la section à la région").click()
    assert page.get_by_text("Section soumise à la région.").is_visible()

    # La région voit la mention et la nouvelle soumission.
    page.context.clear_cookies()
    se_connecter(page, serveur, "demo-region", demo_password)
    page.wait_for_load_state()
    assert page.locator("#notifications-non-lues").inner_text().startswith("2")
    page.locator("#cloche-notifications").click()
    assert page.get_by_role(
        "link", name=re.compile("Claire Morvan vous a mentionné sur la section")
    ).is_visible()
    assert page.get_by_role(
        "link", name=re.compile("Section Ille-et-Vilaine soumise à la région")
    ).is_visible()
    capture(page, "notifications-region")

    # Et la réponse et la pièce jointe dans « ce qui a changé » (depuis sa connexion précédente, celle du
    # renvoi), avec des liens.
    page.goto(f"{serveur}/territoires/regions/53/".replace("/territoires", ""))
    page.locator("#quoi-de-neuf").get_by_role("link", name="Voir ce qui a changé").click()
    bloc = page.locator("#departement-35")
    assert bloc.get_by_role(
        "link", name=re.compile(r"« Convention d’adhésion signée », version 1")
    ).is_visible()
    assert bloc.get_by_role("link", name=re.compile(r"Commentaire sur section Ille-et-Vilaine")).is_visible()
    assert bloc.get_by_role("link", name=re.compile(r"Section Ille-et-Vilaine : soumission")).is_visible()
    capture(page, "quoi-de-neuf")
    verifier_accessibilite(page, "Ce qui a changé depuis votre dernière visite")
