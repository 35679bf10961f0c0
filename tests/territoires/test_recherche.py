"""Recherche des communes (filtre de la liste) et recherche de l'en-tête (communes, départements, régions) :
accents, casse, tirets et apostrophes ignorés, par nom, code INSEE ou EPCI, mêmes résultats sous SQLite et
PostgreSQL. Les résultats attendus sont recalculés depuis la base par une normalisation indépendante (NFD et
expression régulière), jamais écrits en dur."""

import csv
import io
import re
import unicodedata

import pytest
from django.db import connection
from django.urls import reverse

from pvd.formats import texte_recherche
from territoires.models import Commune, Departement, Epci, Region

pytestmark = pytest.mark.django_db


def plier(texte):
    """Normalisation indépendante de celle du produit : NFD, marques diacritiques retirées par expression
    régulière, ligatures écrites à la main, tout signe qui n'est ni lettre ni chiffre → espace."""
    texte = texte.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    texte = re.sub(r"[\u0300-\u036f]", "", unicodedata.normalize("NFD", texte)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", texte).split())


def attendues(communes, recherche):
    """Codes des communes dont le nom, ou le nom de l'EPCI, contient chaque mot de la recherche, ou dont le
    code commence par la recherche."""
    mots = plier(recherche).split()
    codes = set()
    for commune in communes.select_related("epci"):
        nom, epci = plier(commune.nom), plier(commune.epci.nom) if commune.epci else ""
        if (
            all(m in nom for m in mots)
            or (epci and all(m in epci for m in mots))
            or commune.code_insee.startswith(recherche.strip().upper())
        ):
            codes.add(commune.code_insee)
    return codes


def codes_exportes(client, **params):
    reponse = client.get(reverse("communes:liste"), {**params, "export": "csv"})
    assert reponse.status_code == 200
    lecteur = csv.reader(io.StringIO(reponse.content.decode("utf-8-sig")), delimiter=";")
    next(lecteur)
    return {ligne[0] for ligne in lecteur}


def test_forme_de_recherche():
    assert texte_recherche("Châtillon-en-Vendelais") == "chatillon en vendelais"
    assert texte_recherche("CHÂTILLON") == "chatillon"
    assert texte_recherche("L’Haÿ-les-Roses") == "l hay les roses"
    assert texte_recherche("L'Abergement-Clémenciat") == "l abergement clemenciat"
    assert texte_recherche("Œuilly") == "oeuilly"
    assert texte_recherche("  Saint--Malo  ") == "saint malo"


def test_colonnes_remplies_par_le_chargement_pour_chaque_commune_et_epci():
    """Le référentiel chargé (bulk_create, sans save()) porte la forme de recherche de chaque nom."""
    for modele in (Commune, Epci):
        ecarts = [
            o.pk for o in modele.objects.only("pk", "nom", "nom_recherche") if o.nom_recherche != plier(o.nom)
        ]
        assert modele.objects.exists()
        assert not ecarts, f"{modele.__name__} : nom_recherche faux pour {ecarts[:10]}"


def test_enregistrer_un_nom_recalcule_sa_forme_de_recherche():
    commune = Commune.objects.get(pk="35072")
    commune.nom = "Saint-Œuf-d’Été"
    commune.save(update_fields=["nom"])
    assert Commune.objects.get(pk="35072").nom_recherche == "saint oeuf d ete"


@pytest.mark.parametrize("recherche", ["chatillon", "CHÂTILLON", "Châtillon", "chatillon-"])
def test_filtre_de_la_liste_accents_et_casse_ignores(client, user_national, recherche):
    client.force_login(user_national)
    attendu = attendues(Commune.objects.pvd(), recherche)
    assert "35072" in attendu and len(attendu) > 1  # plusieurs Châtillon PVD dans la liste officielle
    assert codes_exportes(client, nom=recherche) == attendu


def test_filtre_de_la_liste_par_code_insee_et_par_epci(client, user_national):
    client.force_login(user_national)
    assert codes_exportes(client, nom="35072") == {"35072"}
    assert codes_exportes(client, nom="2a004") == attendues(Commune.objects.pvd(), "2A004")
    vitre = Commune.objects.get(pk="35072").epci
    attendu = set(Commune.objects.pvd().filter(epci=vitre).values_list("code_insee", flat=True))
    # Le nom de l'EPCI sans accents, en capitales : les communes de l'EPCI (et celles dont le nom le contient).
    trouve = codes_exportes(client, nom=plier(vitre.nom).upper())
    assert attendu and attendu <= trouve
    assert trouve == attendues(Commune.objects.pvd(), plier(vitre.nom))


def test_filtre_de_la_liste_reste_dans_le_territoire(client, user_departemental):
    client.force_login(user_departemental)
    attendu = attendues(Commune.objects.pvd().filter(departement_id="35"), "chatillon")
    assert codes_exportes(client, nom="chatillon") == attendu == {"35072"}
    assert codes_exportes(client, nom="01093") == set()  # Châtillon-sur-Chalaronne, dans l'Ain


def test_recherche_meme_resultat_que_la_comparaison_python_sur_toutes_les_communes():
    """Sur les 35 000 communes du référentiel (PVD ou non), la base (SQLite ou PostgreSQL) trouve
    exactement ce que trouve la comparaison en Python."""
    for recherche in ("chatillon", "SAINT-ÉTIENNE", "l'hay", "oeuilly", "vitre communaute", "2A00"):
        assert set(Commune.objects.rechercher(recherche).values_list("pk", flat=True)) == attendues(
            Commune.objects.all(), recherche
        ), recherche


def test_en_tete_une_seule_commune_ouvre_sa_fiche(client, user_departemental):
    client.force_login(user_departemental)
    for recherche in ("35072", "chatillon", "CHÂTILLON-EN-VENDELAIS"):
        reponse = client.get(reverse("territoires:recherche"), {"q": recherche})
        assert reponse.status_code == 302, recherche
        assert reponse.url == reverse("communes:detail", args=["35072"])


def test_en_tete_departement_et_region(client, user_national):
    client.force_login(user_national)
    reponse = client.get(reverse("territoires:recherche"), {"q": "ille et vilaine"})
    assert reponse.url == reverse("tableau:departement", args=["35"])
    # « BRETAGNE » : la région, et les communes PVD dont le nom ou l'EPCI contient « bretagne ».
    reponse = client.get(reverse("territoires:recherche"), {"q": "BRETAGNE"})
    assert [r.code for r in reponse.context["regions"]] == ["53"]
    attendu = attendues(Commune.objects.pvd_et_sorties(), "bretagne")
    assert reponse.context["communes_count"] == len(attendu)
    assert {c.code_insee for c in reponse.context["communes"]} <= attendu
    assert f'href="{reverse("tableau:region", args=["53"])}"' in reponse.content.decode()
    # « 2a » : la Corse-du-Sud par son code (aucune commune PVD dont le nom contienne « 2a »).
    reponse = client.get(reverse("territoires:recherche"), {"q": "2a"})
    assert reponse.url == reverse("tableau:departement", args=["2A"])


def test_en_tete_plusieurs_resultats_page_de_resultats(client, user_national):
    client.force_login(user_national)
    reponse = client.get(reverse("territoires:recherche"), {"q": "chatillon"})
    assert reponse.status_code == 200
    attendu = attendues(Commune.objects.pvd_et_sorties(), "chatillon")
    liens = set(re.findall(r'href="/communes/([0-9AB]{5})/"', reponse.content.decode()))
    assert liens == attendu
    assert reponse.context["total"] == len(attendu)


def test_en_tete_au_dela_de_vingt_communes_lien_vers_la_liste(client, user_national):
    client.force_login(user_national)
    attendu = attendues(Commune.objects.pvd_et_sorties(), "saint")
    reponse = client.get(reverse("territoires:recherche"), {"q": "saint"})
    assert len(attendu) > 20
    assert reponse.context["communes_count"] == len(attendu)
    assert len(reponse.context["communes"]) == 20
    assert "Voir les" in reponse.content.decode()
    liste = reponse.context["liste_url"]
    assert liste.startswith(reverse("communes:liste") + "?")


def test_en_tete_limite_au_territoire(client, user_departemental):
    """Un agent départemental ne trouve ni les communes ni les départements des autres ; sa région (dont il
    voit le tableau de bord) oui."""
    client.force_login(user_departemental)
    for recherche in ("01093", "Châtillon-sur-Chalaronne", "haute-savoie", "MORBIHAN"):
        reponse = client.get(reverse("territoires:recherche"), {"q": recherche})
        assert reponse.status_code == 200, recherche
        assert reponse.context["total"] == 0, recherche
        assert "Aucun résultat" in reponse.content.decode()
    reponse = client.get(reverse("territoires:recherche"), {"q": "bretagne"})
    assert [r.code for r in reponse.context["regions"]] == ["53"]
    # Tout ce qu'il trouve, il peut l'ouvrir.
    reponse = client.get(reverse("territoires:recherche"), {"q": "saint"})
    for lien in set(
        re.findall(r'href="(/(?:communes|departements|regions)/[^"]+/)"', reponse.content.decode())
    ):
        assert client.get(lien).status_code == 200, lien


def test_en_tete_sans_texte_et_texte_trop_long(client, user_national):
    client.force_login(user_national)
    reponse = client.get(reverse("territoires:recherche"))
    assert reponse.status_code == 200 and "texte" not in reponse.context
    reponse = client.get(reverse("territoires:recherche"), {"q": "x" * 101})
    assert reponse.status_code == 200
    assert "Saisissez au plus 100 caractères." in reponse.content.decode()
    assert client.get(reverse("territoires:recherche"), {"q": "   "}).status_code == 200


def test_barre_de_recherche_dans_l_en_tete(client, user_departemental):
    client.force_login(user_departemental)
    page = client.get(reverse("communes:liste")).content.decode()
    assert 'role="search"' in page
    assert f'action="{reverse("territoires:recherche")}"' in page
    assert 'name="q"' in page


def test_requetes_constantes(client, user_national, django_assert_num_queries):
    """Même nombre de requêtes pour 2 résultats et pour des centaines."""
    client.force_login(user_national)
    url = reverse("territoires:recherche")
    client.get(url, {"q": "vendelais chatillon"})  # session, cache des gabarits
    peu = attendues(Commune.objects.pvd_et_sorties(), "chatillon")
    beaucoup = attendues(Commune.objects.pvd_et_sorties(), "saint")
    assert 1 < len(peu) < 20 < len(beaucoup)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as premiere:
        assert client.get(url, {"q": "chatillon"}).status_code == 200
    with django_assert_num_queries(len(premiere)):
        assert client.get(url, {"q": "saint"}).status_code == 200


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_index_trigrammes_sous_postgresql():
    with connection.cursor() as curseur:
        curseur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s", ["%nom_recherche_trgm"]
        )
        index = dict(curseur.fetchall())
    assert set(index) == {"territoires_commune_nom_recherche_trgm", "territoires_epci_nom_recherche_trgm"}
    assert all("gin_trgm_ops" in definition for definition in index.values())


def test_departements_et_regions_comptes_depuis_la_base(user_national):
    """Contrôle de cohérence des départements et régions trouvés par leur nom."""
    from territoires.views import territoires_rechercher

    resultats = territoires_rechercher(user=user_national, texte="loire")
    attendu = {d.code for d in Departement.objects.all() if "loire" in plier(d.nom)}
    assert {d.code for d in resultats["departements"]} == attendu and len(attendu) > 1
    assert {r.code for r in resultats["regions"]} == {
        r.code for r in Region.objects.all() if "loire" in plier(r.nom)
    }


def test_le_banc_de_la_recherche_tourne(client, user_national):
    """Le cas « recherche » de make bench (bench/banc.py) s'exécute sur la base de test (une répétition) ;
    le banc lui-même, à 20 fois la taille réelle, est lancé à part."""
    import importlib.util
    from pathlib import Path

    from django.conf import settings

    chemin = Path(settings.BASE_DIR) / "bench" / "banc.py"
    spec = importlib.util.spec_from_file_location("banc", chemin)
    banc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(banc)
    client.force_login(user_national)
    resultats = banc.mesures_recherche(client, 1)
    assert set(resultats) == set(banc.RECHERCHES)
    assert all(r["mediane"] > 0 and r["requetes"] > 0 for r in resultats.values())
