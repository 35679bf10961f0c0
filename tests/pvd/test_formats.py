"""Mise en forme française partout où elle s'affiche : ordre alphabétique (pages, PDF), « 1er janvier »,
pluriels (« 0 réunion »), séparateurs des milliers, montants exportés en euros."""

import csv
import datetime
import io
import random
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from communes.constants import DecisionRisque
from communes.demo import suivi_demo_generer
from communes.models import Territoire
from pvd.formats import cle_alphabetique, compte, date_heure_longue, date_longue, nombre, pluriel
from syntheses.models import CommuneRisque, Synthese
from syntheses.pdf import note_html, pdf_rendre
from territoires.models import Commune, alphabetique
from tests.syntheses_outils import campagne, pdftotext

FINE = "\u202f"


# Fonctions ------------------------------------------------------------------------------------------------
def test_ordre_alphabetique_francais():
    noms = [
        "Rignac",
        "Rieupeyroux",
        "Réquista",
        "Ezy",
        "Étampes",
        "Eaubonne",
        "Élancourt",
        "Œuilly",
        "Oeting",
    ]
    melanges = noms[:]
    random.Random(1).shuffle(melanges)
    assert sorted(melanges, key=cle_alphabetique) == [
        "Eaubonne",
        "Élancourt",
        "Étampes",
        "Ezy",
        "Oeting",
        "Œuilly",
        "Réquista",
        "Rieupeyroux",
        "Rignac",
    ]
    # Casse et accents ne départagent qu'à égalité des lettres ; l'apostrophe typographique vaut la droite.
    assert sorted(["éa", "Ea", "ea"], key=cle_alphabetique) == ["Ea", "ea", "éa"]
    assert cle_alphabetique("L’Isle-Adam")[0] == cle_alphabetique("L'Isle-Adam")[0]


@pytest.mark.django_db
def test_la_base_trie_comme_python():
    """La collation de la base (fr-x-icu ; sous SQLite la même clé) et la clé Python donnent le même ordre."""
    noms = list(
        Commune.objects.filter(departement__in=["12", "78"])
        .order_by(alphabetique())
        .values_list("nom", flat=True)
    )
    assert len(noms) > 300
    assert noms == sorted(noms, key=cle_alphabetique)
    assert noms.index("Réquista") < noms.index("Rieupeyroux") < noms.index("Rignac")


def test_dates_longues():
    assert date_longue(datetime.date(2024, 1, 1)) == "1er janvier 2024"
    assert date_longue(datetime.date(2023, 6, 25)) == "25 juin 2023"
    assert date_longue(datetime.date(2024, 8, 1), jour_semaine=True) == "jeudi 1er août 2024"
    assert date_longue(None) == ""
    # Une date et heure est lue à l'heure de Paris : le 31 décembre 23 h 30 UTC est le 1er janvier.
    minuit = datetime.datetime(2023, 12, 31, 23, 30, tzinfo=datetime.UTC)
    assert date_longue(minuit) == "1er janvier 2024"
    assert date_heure_longue(minuit) == "1er janvier 2024 à 00:30"
    assert date_heure_longue(datetime.datetime(2024, 3, 2, 9, 5, tzinfo=ZoneInfo("Europe/Paris"))) == (
        "2 mars 2024 à 09:05"
    )


def test_pluriels_a_la_francaise():
    assert [compte(n, "réunion") for n in (0, 1, 2)] == ["0 réunion", "1 réunion", "2 réunions"]
    assert compte(1645, "commune") == f"1{FINE}645 communes"
    assert pluriel(2, "chef de projet", "chefs de projet") == "chefs de projet"
    assert pluriel(-1, "degré") == "degré"


def test_nombres_avec_separateur_des_milliers():
    assert nombre(1645) == f"1{FINE}645"
    assert nombre(1234567) == f"1{FINE}234{FINE}567"
    assert nombre(999) == "999"
    assert nombre(-12000) == f"-12{FINE}000"
    assert nombre(Decimal("49138500.00")) == f"49{FINE}138{FINE}500"
    assert nombre(Decimal("12345.5")) == f"12{FINE}345,5"
    assert nombre(2.25) == "2,25"
    assert nombre(None) == "—"


def _rendu(gabarit, **contexte):
    return Template(gabarit).render(Context(contexte))


def test_filtres_disponibles_dans_tout_gabarit():
    """Sans {% load %} : filtres déclarés « builtins »."""
    assert _rendu("{{ d|date_fr }}", d=datetime.date(2024, 1, 1)) == "1er janvier 2024"
    assert _rendu('{{ d|date_fr:"jour" }}', d=datetime.date(2024, 1, 1)) == "lundi 1er janvier 2024"
    assert _rendu("{% for n in ns %}{{ n|pluriel:'réunion' }};{% endfor %}", ns=[0, 1, 2, 1645]) == (
        f"0 réunion;1 réunion;2 réunions;1{FINE}645 réunions;"
    )
    assert _rendu('{{ n|pluriel:"chef de projet,chefs de projet" }}', n=3) == "3 chefs de projet"
    assert _rendu("{{ liste|pluriel:'commune' }}", liste=["a"]) == "1 commune"
    assert _rendu("{% for n in ns %}note{{ n|accord }} {% endfor %}", ns=[0, 1, 2]) == "note note notes "
    assert _rendu('{{ n|accord:"a,ont" }}', n=0) == "a"
    assert _rendu("{{ n|nombre }}", n=1645) == f"1{FINE}645"
    assert _rendu("{{ v|nombres }}|{{ t|nombres }}", v=12000, t="35012") == f"12{FINE}000|35012"


# Pages et PDF -------------------------------------------------------------------------------------------


def _texte(reponse):
    assert reponse.status_code == 200
    return reponse.content.decode()


@pytest.mark.django_db
def test_liste_des_communes_resultats_accordes_et_separateur(client, user_national):
    client.force_login(user_national)
    url = reverse("communes:liste")
    total = Commune.objects.pvd().count()
    assert total >= 1000  # la liste nationale : le séparateur des milliers doit paraître
    assert f"1{FINE}" in nombre(total)
    assert f"{nombre(total)} résultats" in _texte(client.get(url))
    assert "1 résultat<" in " ".join(_texte(client.get(url, {"nom": "Belley"})).split()).replace(" <", "<")
    zero = " ".join(_texte(client.get(url, {"nom": "Zzzzzz"})).split())
    assert "Aucune commune PVD ne correspond" in zero and "0 résultats" not in zero


@pytest.mark.django_db
def test_liste_des_communes_dans_l_ordre_francais(client, user_national):
    client.force_login(user_national)
    html = _texte(client.get(reverse("communes:liste"), {"departement": "12", "sort": "nom"}))
    assert html.index(">Réquista<") < html.index(">Rieupeyroux<") < html.index(">Rignac<")


@pytest.mark.django_db
def test_dates_1er_dans_les_pages(client, user_national):
    c = campagne(user=user_national)  # phase opérationnelle au 1er janvier 2024
    client.force_login(user_national)
    for url in (reverse("syntheses:campagnes"), reverse("syntheses:campagne", args=[c.pk])):
        html = _texte(client.get(url))
        assert "1er janvier 2024" in html, url
        assert "1 janvier 2024" not in html, url


@pytest.mark.django_db
def test_note_pdf_ordre_francais_1er_et_pluriels(user_national, tmp_path):
    """Aveyron : les communes signalées en difficulté dans l'ordre français (Réquista, Rieupeyroux, Rignac),
    « 1er janvier 2024 », « 1 commune »/« 0 commune » selon les listes."""
    codes = {"Réquista": "12197", "Rieupeyroux": "12198", "Rignac": "12199"}
    Territoire.objects.filter(communes__code_insee__in=codes.values()).update(
        risque_decision=DecisionRisque.A_RISQUE, risque_justification="Test."
    )
    c = campagne(user=user_national)
    note = Synthese.objects.select_related("campagne", "region").get(campagne=c, region="76")
    # Listes confirmées : une commune dans le Lot, aucune en Ariège.
    maintenant = timezone.now()
    note.sections.filter(departement__in=["46", "09"]).update(risques_confirmes_le=maintenant)
    CommuneRisque.objects.create(
        section=note.sections.get(departement="46"),
        commune=Commune.objects.pvd().filter(departement="46").first(),
        justification="Test.",
    )
    html = note_html(synthese=note)
    assert html.index("Réquista (12197") < html.index("Rieupeyroux (12198") < html.index("Rignac (12199")
    contenu, _ = pdf_rendre(html)
    texte = " ".join(pdftotext(contenu, tmp_path).split())
    assert texte.index("Réquista (12197") < texte.index("Rieupeyroux (12198") < texte.index("Rignac (12199")
    assert "1er janvier 2024" in texte and "1 janvier 2024" not in texte
    assert not re.search(r"(?<!\d)[01] communes", texte)
    assert "Liste confirmée par le département : 1 commune." in texte
    assert "Liste confirmée par le département : 0 commune." in texte


# Exports : montants en euros -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_export_des_chiffres_cles_en_euros(client, user_national):
    suivi_demo_generer(departements=["35"], graine=5)
    client.force_login(user_national)
    url = reverse("tableau:departement", args=["35"])
    page = client.get(url)
    cles = {c.libelle: c for c in page.context["chiffres_cles"]}
    centimes = cles["Financements accordés"].valeur
    assert centimes > 100_000_00  # plus de 100 000 € générés
    attendu = Decimal(centimes) / 100

    texte = client.get(url, {"export": "csv", "tableau": "chiffres-cles"}).content.decode()[1:]
    lignes = {ligne[0]: ligne for ligne in csv.reader(io.StringIO(texte), delimiter=";")}
    assert lignes["Financements accordés (€)"][1] == f"{attendu:.2f}".replace(".", ",")
    assert lignes["dont fonds vert (€)"][1] == f"{Decimal(cles['dont fonds vert'].valeur) / 100:.2f}".replace(
        ".", ","
    )
    # Les autres lignes restent des nombres de communes.
    assert lignes["Communes PVD"][1] == str(cles["Communes PVD"].valeur)

    classeur = load_workbook(
        io.BytesIO(client.get(url, {"export": "xlsx", "tableau": "chiffres-cles"}).content)
    )
    valeurs = {ligne[0]: ligne for ligne in classeur["Chiffres clés"].iter_rows(values_only=True)}
    assert Decimal(str(valeurs["Financements accordés (€)"][1])) == attendu
    assert valeurs["Communes PVD"][1] == cles["Communes PVD"].valeur
