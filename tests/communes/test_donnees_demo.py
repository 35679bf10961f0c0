"""Les données de démonstration ne passent jamais pour vraies : bandeau sur chaque page et mention sur chaque
page de la note PDF quand l'instance contient un suivi généré ; rien sur les données officielles seules."""

import datetime
import os
import sqlite3
import subprocess
import sys

import pytest
from django.urls import reverse

from communes.constants import TypeConvention
from communes.demo import suivi_demo_generer
from communes.models import Convention, DonneesDemonstration, Territoire
from syntheses.models import Synthese
from syntheses.pdf import note_html, pdf_rendre
from tests.processus import BASE_DIR
from tests.syntheses_outils import campagne, pdftotext

pytestmark = pytest.mark.django_db

BANDEAU = "Données de démonstration : le suivi affiché a été généré automatiquement"
MENTION_PDF = "Données de démonstration"


def _pages(client):
    """Pages de chaque sorte : connexion (anonyme), liste, fiche, tableaux de bord, notes, clubs, aide."""
    yield reverse("login")
    client.force_login(_user("demo-national"))
    yield from [
        reverse("communes:liste"),
        reverse("communes:detail", args=["97602"]),
        reverse("tableau:regions"),
        reverse("tableau:departement", args=["976"]),
        reverse("syntheses:campagnes"),
        reverse("clubs:reunions"),
        reverse("aide"),
    ]


def _user(username):
    from comptes.models import User

    return User.objects.get(username=username)


def _textes(client):
    textes = {}
    for url in _pages(client):
        reponse = client.get(url)
        assert reponse.status_code == 200, url
        textes[url] = " ".join(reponse.content.decode().split())
    return textes


def test_bandeau_sur_chaque_page_avec_un_suivi_genere(client):
    suivi_demo_generer(departements=["976"], graine=3)
    for url, texte in _textes(client).items():
        assert BANDEAU in texte, url
        assert "(Mayotte (976))" in texte, url
        # En tête de page, avant l'en-tête du site.
        assert texte.index('id="bandeau-demo"') < texte.index('class="fr-header"'), url


def test_bandeau_dans_l_administration(client):
    client.force_login(_user("demo-admin"))
    url = reverse("admin:communes_donneesdemonstration_changelist")
    assert "bandeau-demo" not in client.get(reverse("admin:index")).content.decode()
    suivi_demo_generer(departements=["976"], graine=3)
    for adresse in (reverse("admin:index"), url):
        html = client.get(adresse).content.decode()
        assert (
            "Données de démonstration : le suivi affiché a été généré automatiquement (Mayotte (976))" in html
        )
    assert "Mayotte (976)" in client.get(url).content.decode()


def test_pas_de_bandeau_sur_les_donnees_officielles_meme_avec_un_suivi_saisi(client):
    # Référentiel officiel seul, puis un suivi saisi par une préfecture : ce n'est pas de la démonstration.
    territoire = Territoire.objects.get(communes__code_insee="97602")
    Convention.objects.create(
        territoire=territoire, type=TypeConvention.CADRE, date_signature=datetime.date(2023, 3, 1)
    )
    assert not DonneesDemonstration.objects.exists()
    for url, texte in _textes(client).items():
        assert "Données de démonstration" not in texte, url
        assert 'id="bandeau-demo"' not in texte, url


def test_une_trace_par_generation_qui_remplit_quelque_chose():
    suivi_demo_generer(departements=["976"], graine=3)
    assert DonneesDemonstration.objects.perimetres() == ["Mayotte (976)"]
    suivi_demo_generer(departements=["976"], graine=3)  # plus rien de vierge : rien de généré, pas de trace
    suivi_demo_generer(regions=["53"], graine=3)
    assert DonneesDemonstration.objects.perimetres() == ["Mayotte (976)", "Bretagne"]


def test_le_bandeau_coute_une_requete_au_plus(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(_user("demo-national"))
    url = reverse("communes:liste")
    with CaptureQueriesContext(connection) as sans:
        client.get(url)
    suivi_demo_generer(departements=["976"], graine=3)
    with CaptureQueriesContext(connection) as avec:
        assert BANDEAU in client.get(url).content.decode()
    assert len(avec) == len(sans)
    lectures = [q["sql"] for q in avec.captured_queries if "communes_donneesdemonstration" in q["sql"]]
    assert len(lectures) == 1


def _note_mayotte(user):
    c = campagne(user=user)
    return Synthese.objects.select_related("campagne", "region").get(campagne=c, region="06")


def _pages_pdf(note, tmp_path):
    contenu, pages_count = pdf_rendre(note_html(synthese=note))
    pages = pdftotext(contenu, tmp_path).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) == pages_count and pages_count >= 3
    return pages


def test_mention_sur_chaque_page_de_la_note_avec_un_suivi_genere(user_national, tmp_path):
    suivi_demo_generer(departements=["976"], graine=3)
    for numero, page in enumerate(_pages_pdf(_note_mayotte(user_national), tmp_path), start=1):
        assert MENTION_PDF in " ".join(page.split()), f"page {numero}"


def test_pas_de_mention_dans_la_note_sur_les_donnees_officielles(user_national, tmp_path):
    for page in _pages_pdf(_note_mayotte(user_national), tmp_path):
        assert MENTION_PDF not in " ".join(page.split())


def test_preparer_demo_officielles_sur_une_base_neuve(tmp_path):
    """`make run DONNEES=officielles` (preparer_demo --officielles) sur une base SQLite neuve : référentiel et
    comptes, campagne ouverte, rien de généré (aucune trace, aucun suivi au-delà du référentiel)."""
    base = tmp_path / "neuve.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pvd.settings",
        "SECRET_KEY": "t",
        "DATABASE_URL": f"sqlite:///{base}",
        "CELERY_BROKER_URL": "memory://",
    }
    sortie = subprocess.run(
        [sys.executable, "manage.py", "preparer_demo", "--officielles"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert sortie.returncode == 0, sortie.stderr
    assert "Données officielles seulement : aucun suivi de démonstration généré." in sortie.stdout
    with sqlite3.connect(base) as db:
        compte = lambda sql: db.execute(sql).fetchone()[0]
        assert compte("SELECT COUNT(*) FROM communes_donneesdemonstration") == 0
        assert compte("SELECT COUNT(*) FROM communes_action") == 0
        assert compte("SELECT COUNT(*) FROM communes_chefdeprojet") == 0
        assert compte("SELECT COUNT(*) FROM communes_convention WHERE type = 'cadre'") == 0
        assert compte("SELECT COUNT(*) FROM syntheses_communerisque") == 0
        assert compte("SELECT COUNT(*) FROM territoires_commune WHERE id_pvd IS NOT NULL") > 1000
        assert compte("SELECT COUNT(*) FROM syntheses_campagne") == 1
        sections = "SELECT COUNT(*) FROM syntheses_sectiondepartementale"
        assert compte(f"{sections} WHERE dynamique != ''") == 0
        assert compte(sections) > 90
