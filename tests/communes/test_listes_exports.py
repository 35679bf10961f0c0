"""Liste des communes avec le suivi : colonnes, filtres, exports CSV/XLSX, nombre de requêtes."""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from communes.constants import Phase, StatutAction, TypeConvention
from communes.models import Action, ChefDeProjet, CommunePvd, Convention, Financement, Territoire
from territoires.models import Commune
from tests.donnees import pvd_par_departement

pytestmark = pytest.mark.django_db


@pytest.fixture
def suivi_35():
    """Deux communes d'Ille-et-Vilaine avec un suivi avancé."""
    bain = Territoire.objects.get(communes__code_insee="35012")
    Convention.objects.create(
        territoire=bain, type=TypeConvention.CADRE, date_signature=datetime.date(2023, 2, 1), vaut_ort=True
    )
    ChefDeProjet.objects.create(
        territoire=bain, statut="en_poste", date_prise_poste=datetime.date(2021, 9, 1)
    )
    action = Action.objects.create(
        territoire=bain,
        titre='=HYPERLINK("http://x")',
        theme="habitat",
        maitre_ouvrage="Commune",
        statut=StatutAction.ENGAGEE,
        date_engagement=datetime.date(2023, 5, 1),
    )
    Action.objects.create(territoire=bain, titre="Étude", theme="habitat", maitre_ouvrage="Commune")
    Financement.objects.create(
        action=action, dispositif="detr", montant_demande=50000, montant_accorde=40000, annee=2023
    )
    Financement.objects.create(
        action=action, dispositif="dsil", montant_demande=20000, montant_accorde=12500.5, annee=2024
    )
    return bain


def _lignes_csv(reponse):
    contenu = reponse.content.decode("utf-8")
    assert contenu.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(contenu[1:]), delimiter=";"))


def test_colonnes_du_suivi_dans_la_liste(client, user_departemental, suivi_35):
    client.force_login(user_departemental)
    reponse = client.get(reverse("communes:liste"), {"nom": "Bain-de-Bretagne"})
    ligne = reponse.context["table"].page.object_list[0].record
    assert ligne.phase == Phase.CADRE_SIGNEE
    assert (ligne.actions_engagees_count, ligne.actions_count) == (1, 2)
    assert ligne.financement_accorde == pytest.approx(52500.5)
    assert ligne.chef_de_projet_statut == "en_poste"
    html = reponse.content.decode()
    assert "Convention-cadre signée" in html and "1 / 2" in html


def test_le_tableau_en_cache_n_est_jamais_perime(client, user_departemental, user_national, suivi_35):
    """La liste est servie depuis le cache tant que rien ne change dans le territoire ; tout enregistrement
    (formulaire, update(), suppression) la fait recalculer, et un autre rôle n'a jamais le tableau d'un autre."""
    client.force_login(user_departemental)
    url = reverse("communes:liste")
    premiere = client.get(url, {"nom": "Bain-de-Bretagne"})
    assert "table" in premiere.context  # calculée
    seconde = client.get(url, {"nom": "Bain-de-Bretagne"})
    assert "table" not in seconde.context and _tableau(seconde) == _tableau(premiere)  # servie du cache
    assert "En poste" in seconde.content.decode()
    # Enregistrement par le formulaire : la liste montre la nouvelle valeur tout de suite.
    chef = ChefDeProjet.objects.get(territoire=suivi_35)
    reponse = client.post(
        reverse("communes:chef_de_projet", args=["35012"]), {"statut": "vacant", "version": chef.version}
    )
    assert reponse.status_code == 302
    apres = client.get(url, {"nom": "Bain-de-Bretagne"})
    assert "table" in apres.context and "Vacant" in apres.content.decode()
    # Écriture hors formulaire (update()) : les déclencheurs changent aussi la version.
    Action.objects.filter(territoire=suivi_35).update(
        statut=StatutAction.ENGAGEE, date_engagement=datetime.date(2023, 6, 1)
    )
    assert "2 / 2" in client.get(url, {"nom": "Bain-de-Bretagne"}).content.decode()
    # Un autre filtre, une autre page : une autre entrée.
    assert "table" in client.get(url, {"nom": "Bain"}).context
    # Le national ne reçoit pas le tableau de l'agent départemental (colonne Département en plus).
    client.force_login(user_national)
    assert "Département" in client.get(url, {"nom": "Bain-de-Bretagne"}).content.decode()


def _tableau(reponse):
    html = reponse.content.decode()
    return html[html.index("<table") : html.index("</table>")]


def test_filtres_du_suivi(client, user_departemental, suivi_35):
    client.force_login(user_departemental)
    codes = lambda **p: re.findall(  # noqa: E731
        r'href="/communes/([0-9AB]{5})/"', client.get(reverse("communes:liste"), p).content.decode()
    )
    assert codes(phase=Phase.CADRE_SIGNEE) == ["35012"]
    assert codes(chef_de_projet_statut="en_poste") == ["35012"]
    attendu_retard = (
        CommunePvd.objects.for_user(user_departemental).pvd().with_suivi().filter(is_retard_cadre=True)
    )
    assert len(codes(is_retard_cadre="true")) == min(50, attendu_retard.count())
    assert "35012" not in codes(is_retard_cadre="true")


def test_tri_par_phase(client, user_national, suivi_35):
    client.force_login(user_national)
    table = client.get(reverse("communes:liste"), {"sort": "-phase", "departement": "35"}).context["table"]
    assert table.page.object_list[0].record.code_insee == "35012"


def test_export_csv_de_la_liste_filtree(client, user_departemental, suivi_35):
    client.force_login(user_departemental)
    reponse = client.get(reverse("communes:liste"), {"export": "csv"})
    assert reponse["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in reponse["Content-Disposition"]
    lignes = _lignes_csv(reponse)
    assert len(lignes) == pvd_par_departement()["35"]
    bain = next(ligne for ligne in lignes if ligne["Code INSEE"] == "35012")
    assert bain["Phase"] == "Convention-cadre signée"
    assert bain["Convention-cadre signée le"] == "01/02/2023"
    assert bain["Financements accordés (€)"] == "52500,50"
    assert bain["Actions engagées ou livrées"] == "1" and bain["Actions"] == "2"
    filtre = _lignes_csv(
        client.get(reverse("communes:liste"), {"export": "csv", "phase": Phase.CADRE_SIGNEE})
    )
    assert [ligne["Code INSEE"] for ligne in filtre] == ["35012"]


def test_export_xlsx_et_formules_neutralisees(client, user_national, suivi_35):
    Commune.objects.filter(code_insee="35012").update(nom="=1+2")
    client.force_login(user_national)
    reponse = client.get(reverse("communes:liste"), {"export": "xlsx", "departement": "35"})
    feuille = load_workbook(io.BytesIO(reponse.content)).active
    lignes = list(feuille.iter_rows(values_only=True))
    entetes = lignes[0]
    assert len(lignes) - 1 == pvd_par_departement()["35"]
    bain = dict(zip(entetes, next(ligne for ligne in lignes if ligne[0] == "35012"), strict=True))
    assert bain["Commune"] == "'=1+2"
    assert bain["Financements accordés (€)"] == pytest.approx(52500.5)
    assert bain["Population"] == Commune.objects.get(code_insee="35012").population
    csv_lignes = _lignes_csv(client.get(reverse("communes:liste"), {"export": "csv", "departement": "35"}))
    assert next(ligne for ligne in csv_lignes if ligne["Code INSEE"] == "35012")["Commune"] == "'=1+2"


def test_export_xlsx_en_tete_gras_fige_filtre_largeurs_dates_et_nombres(client, user_departemental, suivi_35):
    """Relu avec openpyxl : en-tête en gras et figé, filtre automatique sur tout le tableau, largeurs
    ajustées, dates et montants en vraies valeurs au format français, feuille au nom français."""
    client.force_login(user_departemental)
    reponse = client.get(reverse("communes:liste"), {"export": "xlsx"})
    assert reponse["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    classeur = load_workbook(io.BytesIO(reponse.content))
    assert classeur.sheetnames == ["Communes PVD"]
    feuille = classeur["Communes PVD"]
    entete = feuille[1]
    assert [c.value for c in entete][:2] == ["Code INSEE", "Commune"]
    assert all(c.font.b for c in entete)
    assert not any(c.font.b for c in feuille[2])
    assert feuille.freeze_panes == "A2"
    derniere = entete[-1].column_letter
    assert feuille.auto_filter.ref == f"A1:{derniere}{pvd_par_departement()['35'] + 1}"
    largeurs = {c.column_letter: feuille.column_dimensions[c.column_letter].width for c in entete}
    assert all(8 <= largeur <= 60 for largeur in largeurs.values())
    titres = {c.value: c.column_letter for c in entete}
    # La colonne des noms de communes est au moins aussi large que le plus long nom de la première page.
    noms = [c.value for c in feuille[titres["Commune"]][1:]]
    assert largeurs[titres["Commune"]] >= max(len(n) for n in noms)
    ligne = next(r for r in feuille.iter_rows(min_row=2) if r[0].value == "35012")
    cellules = {titre: ligne[i] for i, titre in enumerate(titres)}
    cadre = cellules["Convention-cadre signée le"]
    assert cadre.is_date and cadre.value.date() == datetime.date(2023, 2, 1)
    assert cadre.number_format == "dd/mm/yyyy"
    montant = cellules["Financements accordés (€)"]
    assert montant.data_type == "n" and montant.value == pytest.approx(52500.5)
    assert "€" in montant.number_format
    population = cellules["Population"]
    assert population.data_type == "n" and population.number_format == "#,##0"


def test_export_respecte_le_territoire(client, user_regional):
    client.force_login(user_regional)
    lignes = _lignes_csv(client.get(reverse("communes:liste"), {"export": "csv"}))
    assert {ligne["Code département"] for ligne in lignes} == {"22", "29", "35", "56"}


def _requetes(client, params):
    with CaptureQueriesContext(connection) as ctx:
        reponse = client.get(reverse("communes:liste"), params)
    return len(ctx), len(reponse.context["table"].page.object_list)


def test_meme_nombre_de_requetes_pour_1_et_50_communes_avec_le_suivi(client, user_national, suivi_35):
    client.force_login(user_national)
    une = _requetes(client, {"nom": "Bain-de-Bretagne"})
    cinquante = _requetes(client, {})
    assert (une[1], cinquante[1]) == (1, 50)
    assert une[0] == cinquante[0]


def test_fiche_commune_nombre_de_requetes_borne(client, user_departemental, suivi_35):
    client.force_login(user_departemental)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("communes:detail", args=["35012"])).status_code == 200
    assert len(ctx) <= 30


def test_ordre_alphabetique_francais(client, user_departemental):
    """Les accents ne rejettent pas une commune en fin de liste : même ordre sous PostgreSQL (ICU) et SQLite."""
    client.force_login(user_departemental)
    noms = list(Commune.objects.pvd().filter(departement="35").values_list("nom", flat=True)[:5])
    assert noms.index("Bédée") < noms.index("Bréal-sous-Montfort")
    html = client.get(reverse("communes:liste"), {"sort": "nom"}).content.decode()
    assert html.index(">Bédée<") < html.index(">Bréal-sous-Montfort<")
    decroissant = client.get(reverse("communes:liste"), {"sort": "-nom"}).content.decode()
    assert decroissant.index(">Bréal-sous-Montfort<") < decroissant.index(">Bédée<")
    # « Étrelles » (E accentué) vient parmi les E, avant « Guichen ».
    tous = list(Commune.objects.pvd().filter(departement="35").values_list("nom", flat=True))
    assert tous.index("Étrelles") < tous.index("Guichen")
