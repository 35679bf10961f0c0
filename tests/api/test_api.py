"""API des systèmes partenaires : accès par jeton ou session, indicateurs publics seulement, filtres,
tri, pagination, agrégats par département et région, export open data, limitation de débit."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.models import JetonApi, jeton_hacher
from api.services import jeton_api_creer
from communes.constants import Phase, StatutAction, TypeConvention
from communes.models import Action, ChefDeProjet, CommunePvd, Convention, Crte, Financement, Territoire
from territoires.models import Commune
from tests.donnees import communes_pvd, departements_officiels, pvd_par_departement

pytestmark = pytest.mark.django_db

COMMUNES = reverse("api:communes")
DEPARTEMENTS = reverse("api:departements")
REGIONS = reverse("api:regions")
CSV = reverse("api:communes_csv")


@pytest.fixture(autouse=True)
def debit_large():
    """Débit non limité, sauf dans le test qui le règle (les compteurs du cache ne sont jamais vidés :
    avec Redis, le cache peut partager sa base avec le broker Celery)."""
    with override_settings(API_DEBIT="100000/minute"):
        yield


@pytest.fixture
def jeton():
    return jeton_api_creer(partenaire="Observatoire des territoires")


@pytest.fixture
def partenaire(client, jeton):
    """Un client HTTP qui présente un jeton valide."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {jeton[1]}"
    return client


@pytest.fixture
def operationnelle_35():
    """Bain-de-Bretagne (35012) en phase opérationnelle, avec un chef de projet nommé et une décision
    de risque justifiée : ce qui ne doit jamais sortir par l'API."""
    territoire = Territoire.objects.get(communes__code_insee="35012")
    Convention.objects.create(
        territoire=territoire,
        type=TypeConvention.CADRE,
        date_signature=datetime.date(2023, 2, 1),
        vaut_ort=True,
        commentaire="Commentaire interne de la préfecture",
    )
    territoire.crte = Crte.objects.filter(departement_id="35").first()
    territoire.date_inscription_crte = datetime.date(2023, 3, 1)
    territoire.risque_decision = "pas_de_risque"
    territoire.risque_justification = "Justification confidentielle du sous-préfet"
    territoire.save()
    ChefDeProjet.objects.create(
        territoire=territoire,
        statut="en_poste",
        nom="Camille Nominative",
        employeur="Commune",
        date_prise_poste=datetime.date(2021, 9, 1),
    )
    action = Action.objects.create(
        territoire=territoire,
        titre="Halles",
        theme="commerce",
        maitre_ouvrage="Commune",
        statut=StatutAction.ENGAGEE,
        date_engagement=datetime.date(2023, 5, 1),
    )
    Action.objects.create(territoire=territoire, titre="Étude", theme="habitat", maitre_ouvrage="Commune")
    Financement.objects.create(
        action=action, dispositif="detr", montant_demande=50000, montant_accorde=40000, annee=2023
    )
    Financement.objects.create(
        action=action, dispositif="dsil", montant_demande=20000, montant_accorde="12500.50", annee=2024
    )
    return territoire


# Accès


@pytest.mark.parametrize(
    "url", [COMMUNES, DEPARTEMENTS, REGIONS, CSV, reverse("api:commune", args=["35012"])]
)
def test_sans_jeton_401_en_json_et_en_francais(client, url):
    reponse = client.get(url)
    assert reponse.status_code == 401
    assert reponse["Content-Type"] == "application/json"
    assert reponse["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "Authentification requise" in reponse.json()["detail"]


@pytest.mark.parametrize("en_tete", ["Bearer inconnu", "Bearer pvd_faux", "Bearer ", "Bearer a b"])
def test_jeton_invalide_401(client, jeton, en_tete):
    reponse = client.get(COMMUNES, HTTP_AUTHORIZATION=en_tete)
    assert reponse.status_code == 401
    assert reponse.json()["detail"] in (
        "Jeton d’API invalide ou révoqué.",
        "En-tête Authorization mal formé : attendu « Bearer <jeton> ».",
        "Authentification requise : fournissez un jeton d’API dans l’en-tête « Authorization: Bearer "
        "<jeton> », ou connectez-vous à PVD Suivi.",
    )


def test_jeton_revoque_refuse_aussitot(partenaire, jeton):
    assert partenaire.get(COMMUNES).status_code == 200
    JetonApi.objects.filter(pk=jeton[0].pk).update(is_active=False)
    reponse = partenaire.get(COMMUNES)
    assert reponse.status_code == 401
    assert reponse.json() == {"detail": "Jeton d’API invalide ou révoqué."}


def test_le_jeton_est_conserve_hache_et_son_usage_date(partenaire, jeton):
    objet, clair = jeton
    assert clair.startswith("pvd_") and len(clair) > 40
    objet.refresh_from_db()
    assert objet.jeton_hash == jeton_hacher(clair) != clair
    assert not JetonApi.objects.filter(jeton_hash=clair).exists()
    assert objet.last_used_at is None
    assert partenaire.get(REGIONS).status_code == 200
    objet.refresh_from_db()
    assert objet.last_used_at is not None


def test_commande_creer_jeton_api_affiche_le_jeton_une_fois(capsys, client):
    call_command("creer_jeton_api", "Région Bretagne — SIG")
    sortie = capsys.readouterr()
    clair = sortie.out.strip()
    assert "ne sera plus affiché" in sortie.err
    jeton = JetonApi.objects.get(partenaire="Région Bretagne — SIG")
    assert jeton.jeton_hash == jeton_hacher(clair) and jeton.is_active
    assert client.get(REGIONS, HTTP_AUTHORIZATION=f"Bearer {clair}").status_code == 200


def test_administrateur_cree_et_revoque_un_jeton(client, user_admin):
    client.force_login(user_admin)
    reponse = client.post(reverse("admin:api_jetonapi_add"), {"partenaire": "DGALN"})
    assert reponse.status_code == 200
    jeton = JetonApi.objects.get(partenaire="DGALN")
    clair = reponse.context["jeton_clair"]
    assert jeton.jeton_hash == jeton_hacher(clair)
    assert clair in reponse.content.decode() and "ne sera plus jamais affiché" in reponse.content.decode()
    # La fiche du jeton ne le montre plus.
    fiche = client.get(reverse("admin:api_jetonapi_change", args=[jeton.pk])).content.decode()
    assert clair not in fiche and jeton.prefixe in fiche
    client.post(
        reverse("admin:api_jetonapi_changelist"),
        {"action": "revoquer", "_selected_action": [jeton.pk]},
    )
    jeton.refresh_from_db()
    assert not jeton.is_active
    client.logout()
    assert client.get(REGIONS, HTTP_AUTHORIZATION=f"Bearer {clair}").status_code == 401


def test_agent_connecte_lit_l_api_limitee_a_son_territoire(client, user_departemental):
    client.force_login(user_departemental)
    communes = client.get(COMMUNES, {"taille": 500}).json()
    assert communes["count"] == pvd_par_departement()["35"]
    assert {c["departement_code"] for c in communes["results"]} == {"35"}
    assert client.get(reverse("api:commune", args=["35012"])).status_code == 200
    # Hors de son territoire : 404, comme si la commune n'existait pas.
    hors = client.get(reverse("api:commune", args=["01034"]))
    assert hors.status_code == 404 and hors["Content-Type"] == "application/json"
    assert [d["code"] for d in client.get(DEPARTEMENTS).json()["results"]] == ["35"]
    assert client.get(reverse("api:departement", args=["29"])).status_code == 404
    regions = client.get(REGIONS).json()["results"]
    assert [r["code"] for r in regions] == ["53"]
    # Comme sur le site : la ligne de sa région compte toute la région.
    bretagne = sum(n for d, n in pvd_par_departement().items() if d in ("22", "29", "35", "56"))
    assert regions[0]["communes_pvd_count"] == bretagne
    assert client.get(CSV).content.decode().count("\r\n") == pvd_par_departement()["35"] + 1


def test_agent_regional_voit_sa_region(client, user_regional):
    client.force_login(user_regional)
    codes = [d["code"] for d in client.get(DEPARTEMENTS).json()["results"]]
    assert codes == ["22", "29", "35", "56"]
    assert client.get(reverse("api:region", args=["84"])).status_code == 404


def test_un_jeton_voit_toute_la_france(partenaire):
    assert partenaire.get(COMMUNES).json()["count"] == len(communes_pvd())
    assert partenaire.get(DEPARTEMENTS).json()["count"] == len(departements_officiels())
    assert partenaire.get(REGIONS).json()["count"] == 18


def test_les_pages_du_site_restent_fermees_au_jeton(partenaire):
    """Le jeton n'ouvre que l'API : les pages du site demandent toujours la connexion."""
    reponse = partenaire.get(reverse("communes:liste"))
    assert reponse.status_code == 302 and reponse.url.startswith(reverse("login"))


# Contenu : indicateurs publics seulement


def test_indicateurs_d_une_commune(partenaire, operationnelle_35):
    commune = partenaire.get(reverse("api:commune", args=["35012"])).json()
    assert commune == {
        "code_insee": "35012",
        "nom": "Bain-de-Bretagne",
        "id_pvd": Commune.objects.get(pk="35012").id_pvd,
        "departement_code": "35",
        "departement_nom": "Ille-et-Vilaine",
        "region_code": "53",
        "region_nom": "Bretagne",
        "epci_siren": Commune.objects.get(pk="35012").epci_id,
        "epci_nom": Commune.objects.get(pk="35012").epci.nom,
        "phase": Phase.OPERATIONNELLE,
        "phase_libelle": "Phase opérationnelle",
        "date_adhesion": commune["date_adhesion"],
        "date_convention_cadre": "2023-02-01",
        "convention_cadre_vaut_ort": True,
        "inscrite_crte": True,
        "actions_engagees_count": 1,
        "actions_count": 2,
        "financements_accordes": 52500.5,
    }
    datetime.date.fromisoformat(commune["date_adhesion"])


def test_rien_de_nominatif_ni_de_confidentiel(partenaire, operationnelle_35):
    sorties = [
        partenaire.get(COMMUNES, {"departement": "35", "taille": 500}).content.decode(),
        partenaire.get(reverse("api:commune", args=["35012"])).content.decode(),
        partenaire.get(CSV, {"departement": "35"}).content.decode(),
    ]
    for sortie in sorties:
        for secret in ("Camille Nominative", "confidentielle", "Commentaire interne", "risque", "chef"):
            assert secret not in sortie


def test_commune_non_pvd_ou_inconnue_404(partenaire):
    assert Commune.objects.filter(pk="35238", id_pvd__isnull=True).exists()  # Rennes
    for code in ("35238", "99999", "abc"):
        reponse = partenaire.get(reverse("api:commune", args=[code]))
        assert reponse.status_code == 404
        assert reponse.json()["detail"]


def test_adresse_inconnue_sous_api_404_en_json(partenaire):
    reponse = partenaire.get("/api/v2/nimporte/quoi")
    assert reponse.status_code == 404
    assert reponse.json()["detail"].startswith("Adresse inconnue")


# Filtres, tri, pagination


def test_filtres(partenaire):
    par_departement = partenaire.get(COMMUNES, {"departement": "2A", "taille": 500}).json()
    assert par_departement["count"] == pvd_par_departement()["2A"]
    bretagne = sum(n for d, n in pvd_par_departement().items() if d in ("22", "29", "35", "56"))
    assert partenaire.get(COMMUNES, {"region": "53"}).json()["count"] == bretagne
    siren = Commune.objects.get(pk="35012").epci_id
    attendu = Commune.objects.pvd().filter(epci_id=siren).count()
    par_epci = partenaire.get(COMMUNES, {"epci": siren}).json()
    assert par_epci["count"] == attendu and {c["epci_siren"] for c in par_epci["results"]} == {siren}
    adhesion = partenaire.get(COMMUNES, {"phase": Phase.ADHESION_SIGNEE, "departement": "35"}).json()
    assert adhesion["count"] > 0 and {c["phase"] for c in adhesion["results"]} == {Phase.ADHESION_SIGNEE}
    assert partenaire.get(COMMUNES, {"phase": Phase.OPERATIONNELLE}).json()["count"] == 0
    assert partenaire.get(COMMUNES, {"departement": "75"}).json()["count"] == 0
    assert partenaire.get(DEPARTEMENTS, {"region": "94"}).json()["count"] == 2


@pytest.mark.parametrize(
    "url,parametres,cle",
    [
        (COMMUNES, {"departement": "ZZ"}, "departement"),
        (COMMUNES, {"departement": "35\n"}, "departement"),
        (COMMUNES, {"region": "5"}, "region"),
        (COMMUNES, {"epci": "12345"}, "epci"),
        (COMMUNES, {"phase": "6_inconnue"}, "phase"),
        (COMMUNES, {"tri": "risque"}, "tri"),
        (COMMUNES, {"taille": "0"}, "taille"),
        (COMMUNES, {"taille": "501"}, "taille"),
        (COMMUNES, {"taille": "dix"}, "taille"),
        (COMMUNES, {"page": "0"}, "page"),
        (COMMUNES, {"page": "1.5"}, "page"),
        (DEPARTEMENTS, {"region": "bretagne"}, "region"),
        (REGIONS, {"tri": "population"}, "tri"),
        (CSV, {"departement": "=1+1"}, "departement"),
        (COMMUNES, {"region": ""}, "region"),
        (DEPARTEMENTS, {"tri": ""}, "tri"),
        (COMMUNES, {"page": ""}, "page"),
    ],
)
def test_parametre_invalide_400_avec_message_francais(partenaire, url, parametres, cle):
    reponse = partenaire.get(url, parametres)
    assert reponse.status_code == 400
    erreurs = reponse.json()
    assert list(erreurs) == [cle]
    assert all(isinstance(m, str) and m for m in erreurs[cle])
    assert not any(mot in " ".join(erreurs[cle]) for mot in ("Enter", "Select", "valid ", "Invalid"))


def test_tri(partenaire, operationnelle_35):
    noms = [
        c["nom"] for c in partenaire.get(COMMUNES, {"departement": "35", "tri": "-nom"}).json()["results"]
    ]
    assert noms == sorted(noms, key=str.lower, reverse=True) or noms == sorted(noms, reverse=True)
    premier = partenaire.get(COMMUNES, {"tri": "-financements_accordes,code_insee", "taille": 1}).json()
    assert premier["results"][0]["code_insee"] == "35012"
    departements = partenaire.get(DEPARTEMENTS, {"tri": "-communes_pvd_count"}).json()["results"]
    comptes = [d["communes_pvd_count"] for d in departements]
    assert comptes == sorted(comptes, reverse=True)


def test_pagination(partenaire):
    total = len(communes_pvd())
    premiere = partenaire.get(COMMUNES, {"taille": 100}).json()
    assert premiere["count"] == total and len(premiere["results"]) == 100
    assert premiere["previous"] is None and "page=2" in premiere["next"] and "taille=100" in premiere["next"]
    derniere_page = -(-total // 100)
    derniere = partenaire.get(COMMUNES, {"taille": 100, "page": derniere_page}).json()
    assert len(derniere["results"]) == total - 100 * (derniere_page - 1) and derniere["next"] is None
    codes = set()
    for page in range(1, derniere_page + 1):
        codes |= {
            c["code_insee"] for c in partenaire.get(COMMUNES, {"taille": 100, "page": page}).json()["results"]
        }
    assert len(codes) == total
    au_dela = partenaire.get(COMMUNES, {"taille": 100, "page": derniere_page + 1})
    assert au_dela.status_code == 404 and "hors limites" in au_dela.json()["detail"]
    assert len(partenaire.get(COMMUNES).json()["results"]) == 50
    assert len(partenaire.get(COMMUNES, {"taille": 500}).json()["results"]) == 500


# Agrégats par département et par région


def test_indicateurs_agreges_du_departement(partenaire, operationnelle_35):
    departement = partenaire.get(reverse("api:departement", args=["35"])).json()
    communes = partenaire.get(COMMUNES, {"departement": "35", "taille": 500}).json()["results"]
    total = pvd_par_departement()["35"]
    assert departement["communes_pvd_count"] == len(communes) == total
    assert departement["adhesion_signee_count"] == sum(c["date_adhesion"] is not None for c in communes)
    assert departement["cadre_signee_count"] == sum(c["date_convention_cadre"] is not None for c in communes)
    assert departement["cadre_ort_count"] == sum(c["convention_cadre_vaut_ort"] for c in communes) >= 1
    assert departement["inscrites_crte_count"] == sum(c["inscrite_crte"] for c in communes) >= 1
    assert departement["operationnelles_count"] == 1
    assert departement["operationnelles_pct"] == round(100 / total, 1)
    assert (departement["region_code"], departement["region_nom"]) == ("53", "Bretagne")


def test_indicateurs_agreges_de_la_region_et_departement_sans_commune_pvd(partenaire, operationnelle_35):
    bretagne = partenaire.get(reverse("api:region", args=["53"])).json()
    departements = partenaire.get(DEPARTEMENTS, {"region": "53"}).json()["results"]
    for cle in ("communes_pvd_count", "adhesion_signee_count", "cadre_ort_count", "operationnelles_count"):
        assert bretagne[cle] == sum(d[cle] for d in departements)
    assert bretagne["operationnelles_count"] == 1
    assert bretagne["adhesion_signee_pct"] == round(
        100 * bretagne["adhesion_signee_count"] / bretagne["communes_pvd_count"], 1
    )
    paris = partenaire.get(reverse("api:departement", args=["75"])).json()
    assert paris["communes_pvd_count"] == 0 and paris["operationnelles_pct"] is None


def test_agregats_egaux_aux_comptes_de_with_suivi(partenaire, operationnelle_35):
    """Situations variées (convention-cadre signée sans ORT, en élaboration, CRTE sans action, retrait) :
    chaque compte agrégé vaut celui que donne Commune.objects.with_suivi(), utilisé par le site."""
    communes = list(Commune.objects.pvd().filter(departement_id="35").exclude(pk="35012").order_by("pk")[:4])
    cadre_sans_ort, elaboration, crte, retiree = (c.territoire for c in communes)
    Convention.objects.create(
        territoire=cadre_sans_ort, type="cadre", date_signature=datetime.date(2022, 6, 1)
    )
    Convention.objects.create(territoire=elaboration, type="cadre")
    crte.crte = Crte.objects.filter(departement_id="35").first()
    crte.date_inscription_crte = datetime.date(2023, 1, 1)
    crte.save()
    retiree.date_retrait = datetime.date(2023, 1, 1)
    retiree.save()
    site = CommunePvd.objects.pvd().with_suivi()
    # Comme sur le site (tableau.indicateurs.DEFINITIONS) : les communes retirées ne comptent que dans le total.
    en_cours = site.exclude(phase=Phase.RETIREE)
    attendu = {
        "communes_pvd_count": {},
        "adhesion_signee_count": {"has_adhesion": True},
        "cadre_signee_count": {"has_cadre_signee": True},
        "cadre_ort_count": {"has_cadre_ort": True},
        "inscrites_crte_count": {"is_inscrit_crte": True},
        "operationnelles_count": {"phase": Phase.OPERATIONNELLE},
    }
    departement = partenaire.get(reverse("api:departement", args=["35"])).json()
    region = partenaire.get(reverse("api:region", args=["53"])).json()
    for cle, condition in attendu.items():
        base = site if cle == "communes_pvd_count" else en_cours
        assert departement[cle] == base.filter(departement_id="35", **condition).count(), cle
        assert region[cle] == base.filter(departement__region_id="53", **condition).count(), cle
    assert (
        departement["en_cours_count"]
        == departement["communes_pvd_count"] - 1
        == en_cours.filter(departement_id="35").count()
    )
    assert (
        departement["crte_couvertes_count"]
        == en_cours.filter(departement_id="35", is_couverte_crte=True).count()
    )
    assert (departement["cadre_signee_count"], departement["inscrites_crte_count"]) == (2, 2)


# Export open data


def _csv(reponse):
    assert reponse["Content-Type"] == "text/csv; charset=utf-8"
    contenu = reponse.content.decode("utf-8")
    assert not contenu.startswith("\ufeff")
    return list(csv.reader(io.StringIO(contenu)))


def test_export_open_data(partenaire, operationnelle_35):
    reponse = partenaire.get(CSV)
    assert "attachment" in reponse["Content-Disposition"]
    entete, *lignes = _csv(reponse)
    assert entete[:10] == [
        "insee_com", "lib_com", "id_pvd", "date_signature",
        "insee_dep", "lib_dep", "insee_reg", "lib_reg", "siren_epci", "lib_epci",
    ]  # fmt: skip
    assert entete[10:] == [
        "phase", "lib_phase", "statut_convention_cadre", "date_convention_cadre", "convention_cadre_vaut_ort",
        "ort_signee", "couverte_crte", "inscription_crte", "nb_actions_engagees", "nb_actions", "financements_accordes_eur",
    ]  # fmt: skip
    assert len(lignes) == len(communes_pvd())
    reference = {r["insee_com"]: r for r in communes_pvd()}
    bain = dict(zip(entete, next(ligne for ligne in lignes if ligne[0] == "35012"), strict=True))
    officiel = reference["35012"]
    assert bain["id_pvd"] == officiel["id_pvd"] and bain["lib_com"] == officiel["lib_com"]
    assert bain["date_signature"] == officiel["date_signature"]
    assert (bain["insee_dep"], bain["insee_reg"], bain["siren_epci"]) == (
        officiel["code_departement"],
        officiel["code_region"],
        officiel["siren_epci"],
    )
    assert bain["lib_reg"] == "Bretagne" and bain["lib_epci"] == officiel["nom_epci"]
    assert (bain["phase"], bain["lib_phase"]) == (Phase.OPERATIONNELLE, "Phase opérationnelle")
    assert (bain["convention_cadre_vaut_ort"], bain["inscription_crte"]) == ("true", "true")
    assert (bain["nb_actions_engagees"], bain["nb_actions"]) == ("1", "2")
    assert Decimal(bain["financements_accordes_eur"]) == Decimal("52500.50")
    assert bain["date_convention_cadre"] == "2023-02-01"


def test_export_open_data_filtre_et_formules_neutralisees(partenaire):
    Commune.objects.filter(pk="35012").update(nom='=HYPERLINK("http://x")')
    Commune.objects.filter(pk="35024").update(nom="+33 Betton")
    Commune.objects.filter(pk="35047").update(nom="@SUM(A1)")
    Commune.objects.filter(pk="35062").update(nom="-1")
    entete, *lignes = _csv(partenaire.get(CSV, {"departement": "35", "tri": "code_insee"}))
    assert len(lignes) == pvd_par_departement()["35"]
    noms = {ligne[0]: ligne[1] for ligne in lignes}
    for code in ("35012", "35024", "35047", "35062"):
        if code in noms:
            assert noms[code].startswith("'")
    assert noms["35012"] == '\'=HYPERLINK("http://x")'
    assert [ligne[0] for ligne in lignes] == sorted(noms)


# Limitation de débit


def test_limitation_de_debit_par_jeton(partenaire, client, settings):
    """Chaque jeton a son compteur (clé propre à ce jeton : un nouveau jeton part de zéro)."""
    settings.API_DEBIT = "3/minute"
    for _ in range(3):
        assert partenaire.get(REGIONS).status_code == 200
    reponse = partenaire.get(REGIONS)
    assert reponse.status_code == 429
    assert reponse.json()["detail"].startswith("Trop de requêtes")
    assert int(reponse["Retry-After"]) > 0
    # Un autre jeton a son propre compteur.
    _, autre = jeton_api_creer(partenaire="Autre partenaire")
    assert client.get(REGIONS, HTTP_AUTHORIZATION=f"Bearer {autre}").status_code == 200


# Nombre de requêtes constant (pas de N+1)


def _requetes(client, url, parametres):
    with CaptureQueriesContext(connection) as ctx:
        reponse = client.get(url, parametres)
        assert reponse.status_code == 200
        contenu = reponse.content
    lignes = contenu.count(b"\r\n") - 1 if url == CSV else len(reponse.json()["results"])
    return len(ctx), lignes


@pytest.mark.parametrize(
    "url,une,beaucoup,lignes",
    [
        (COMMUNES, {"epci": None}, {"taille": 50}, 50),
        (CSV, {"epci": None}, {"departement": "35"}, None),
        (DEPARTEMENTS, {"region": "94"}, {"taille": 50}, 50),
        (REGIONS, {"tri": "code", "taille": 1}, {}, 18),
    ],
)
def test_meme_nombre_de_requetes_pour_1_et_50_lignes(client, user_national, url, une, beaucoup, lignes):
    client.force_login(user_national)
    if une.get("epci", "") is None:  # un EPCI qui n'a qu'une commune PVD
        epcis = Commune.objects.pvd().filter(epci__isnull=False).values("epci").annotate(n=Count("pk"))
        seule = epcis.filter(n=1).order_by("epci").first()
        une = {"epci": seule["epci"]}
    if url == DEPARTEMENTS:
        une = {"region": "94", "tri": "code", "taille": 1}
    _requetes(client, url, une)  # les chiffres des départements mis en cache (tableau.indicateurs)
    petite, n_petite = _requetes(client, url, une)
    grande, n_grande = _requetes(client, url, beaucoup)
    assert n_petite == 1
    assert n_grande == (lignes or pvd_par_departement()["35"])
    assert petite == grande
    assert petite <= 7  # session, utilisateur, (territoires et versions des chiffres,) comptage, page


# Schéma et documentation


def test_schema_openapi_valide_et_sans_avertissement(tmp_path):
    fichier = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(fichier))
    texte = fichier.read_text(encoding="utf-8")
    assert texte.startswith("openapi: 3.")
    for chemin in (
        "/api/v1/communes/",
        "/api/v1/departements/{code}/",
        "/api/v1/regions/",
        "/api/v1/communes.csv",
    ):
        assert f"{chemin}:" in texte


def test_schema_et_documentation_publics_sans_script_ni_style_en_ligne(client):
    schema = client.get(reverse("api:schema"))
    assert schema.status_code == 200 and b"jetonApi" in schema.content
    assert client.get(reverse("api:schema"), {"format": "json"}).json()["info"]["title"] == "API PVD Suivi"
    page = client.get(reverse("api:documentation"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="fr">' in html
    assert "<style" not in html and "style=" not in html
    assert all('src="' in balise for balise in html.split("<script")[1:])
    assert "http://" not in html and "https://" not in html
    script = client.get(reverse("api:documentation"), {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
