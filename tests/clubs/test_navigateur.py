"""Parcours navigateur : un départemental enregistre une réunion, son département devient conforme."""

import re
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from clubs.constants import Format, Public
from clubs.models import ReunionClub
from comptes.models import User
from tests.pvd.test_navigateur import se_connecter

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def cocher(page, libelle):
    """Coche une case ou un bouton radio DSFR en cliquant son libellé, comme un utilisateur."""
    case = page.get_by_label(libelle, exact=True)
    page.locator(f'label[for="{case.get_attribute("id")}"]').click()
    expect(case).to_be_checked()


@pytest.fixture
def reunion_du_premier_semestre(serveur, django_db_blocker):
    """Une réunion tenue le 1er janvier de l'année en cours (donnée validée en base, nettoyée après)."""
    with django_db_blocker.unblock():
        user = User.objects.get(username="demo-departement")
        reunion = ReunionClub.objects.create(
            departement_id="35",
            date=date(timezone.localdate().year, 1, 1),
            format=Format.PRESENTIEL,
            public=Public.ELUS,
            participants_count=12,
            created_by=user,
            updated_by=user,
        )
        connection.close()  # sous Playwright, la connexion n'est pas celle que pytest-django fermera
    yield reunion
    with django_db_blocker.unblock():
        for r in ReunionClub.objects.filter(departement_id="35"):
            if r.piece_jointe:
                r.piece_jointe.delete(save=False)
            r.delete()
        connection.close()


def test_le_departemental_enregistre_une_reunion_et_le_departement_devient_conforme(
    page, serveur, demo_password, reunion_du_premier_semestre
):
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.wait_for_url(re.compile(r"/communes/$"))
    page.get_by_role("link", name="Clubs PVD").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clubs PVD")

    page.goto(f"{serveur}/departements/35/")
    statut = page.locator("#club-pvd-statut")
    expect(statut).to_have_text("En cours")
    expect(page.get_by_text("1 réunion à tenir d’ici le 31 décembre")).to_be_visible()

    page.get_by_role("link", name="Enregistrer une réunion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enregistrer une réunion du club")
    page.get_by_label("Date").fill(timezone.localdate().isoformat())
    cocher(page, "Visio")
    cocher(page, "Élus et chefs de projet")
    page.get_by_label("Nombre de participants").fill("18")
    cocher(page, "Bain-de-Bretagne (35012)")
    cocher(page, "Cancale (35049)")
    cocher(page, "Fonds vert")
    page.get_by_label("Autres thèmes").fill("Friches, revitalisation")
    page.get_by_role("textbox", name=re.compile("^Compte rendu")).fill(
        "Présentation du fonds vert aux communes."
    )
    page.get_by_label("Pièce jointe (facultatif)").set_input_files(
        files=[{"name": "compte-rendu.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Enregistrer la réunion").click()

    expect(page.get_by_text("La réunion est enregistrée.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Club PVD Ille-et-Vilaine : réunion du")
    expect(page.get_by_text("Bain-de-Bretagne, Cancale")).to_be_visible()
    with page.expect_download() as telechargement:
        page.get_by_role("link", name=re.compile("compte-rendu.pdf")).click()
    assert telechargement.value.suggested_filename == "compte-rendu.pdf"

    page.get_by_role("link", name="Ille-et-Vilaine (35)").click()
    expect(statut).to_have_text("Conforme")
    expect(page.locator(".pvd-bloc-club .pvd-chiffre").first).to_have_text("2")

    # La table du rythme le montre aussi, sans badge « En défaut » pour lui.
    page.goto(f"{serveur}/clubs/rythme/")
    ligne = page.get_by_role("row", name=re.compile("35 – Ille-et-Vilaine"))
    expect(ligne).to_contain_text("Conforme")


def test_erreurs_du_formulaire_annoncees_et_accessibles_au_clavier(page, serveur, demo_password):
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.wait_for_url(re.compile(r"/communes/$"))
    page.goto(f"{serveur}/clubs/reunions/nouvelle/")
    piece_jointe = page.get_by_label("Pièce jointe (facultatif)")
    # Trop gros : le navigateur prévient tout de suite et vide le champ (static/js/clubs.js).
    trop_gros = PDF + b"0" * (5 * 1024 * 1024)
    piece_jointe.set_input_files(
        files=[{"name": "gros.pdf", "mimeType": "application/pdf", "buffer": trop_gros}]
    )
    expect(page.get_by_text("La pièce jointe dépasse la taille maximale de 5 Mo.")).to_be_visible()
    assert piece_jointe.input_value() == ""
    # Extension .pdf mais contenu qui n'en est pas un : seul le serveur peut le voir.
    piece_jointe.set_input_files(
        files=[{"name": "faux.pdf", "mimeType": "application/pdf", "buffer": b"pas un pdf"}]
    )
    expect(page.get_by_text("La pièce jointe dépasse la taille maximale de 5 Mo.")).to_be_hidden()
    page.get_by_role("button", name="Enregistrer la réunion").focus()
    page.keyboard.press("Enter")
    alerte = page.get_by_role("alert")
    expect(alerte).to_contain_text("Le formulaire contient des erreurs")
    expect(alerte).to_contain_text("Indiquez la date de la réunion.")
    expect(alerte).to_contain_text("n’est pas celui d’un PDF")
    # Le lien de l'erreur mène au champ.
    alerte.get_by_role("link", name=re.compile("^Date")).click()
    expect(page.get_by_label("Date")).to_be_focused()
