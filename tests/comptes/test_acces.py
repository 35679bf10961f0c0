import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from comptes.constants import Role
from comptes.models import User
from territoires.models import Commune, Epci, alphabetique
from tests.donnees import communes_pvd, pvd_par_departement, regions_officielles

pytestmark = pytest.mark.django_db

PAGES = [
    reverse("accueil"),
    reverse("communes:liste"),
    reverse("communes:detail", args=["35012"]),
    reverse("tableau:regions"),
    reverse("tableau:region", args=["53"]),
    reverse("tableau:departement", args=["35"]),
]


@pytest.mark.parametrize("url", PAGES)
def test_un_visiteur_anonyme_est_renvoye_vers_la_connexion(client, url):
    reponse = client.get(url)
    assert reponse.status_code == 302
    assert reponse.url.startswith(reverse("login") + "?next=")


def test_la_page_de_connexion_est_en_francais_et_au_dsfr(client):
    reponse = client.get(reverse("login"))
    assert reponse.status_code == 200
    html = reponse.content.decode()
    assert '<html lang="fr"' in html
    assert "/static/dsfr/dist/dsfr/dsfr.min.css" in html
    assert "Identifiant" in html and "Mot de passe" in html
    assert "http://" not in html.split("<body")[0] and "https://" not in html.split("<body")[0]


def test_mauvais_mot_de_passe_message_clair(client):
    reponse = client.post(reverse("login"), {"username": "demo-departement", "password": "faux"})
    assert reponse.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in reponse.content.decode()


def test_connexion_puis_deconnexion(client, demo_password):
    reponse = client.post(reverse("login"), {"username": "demo-departement", "password": demo_password})
    assert reponse.status_code == 302
    assert client.get(reverse("communes:liste")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("communes:liste")).status_code == 302


@pytest.mark.parametrize(
    "username,destination",
    [
        ("demo-departement", reverse("communes:liste")),
        ("demo-region", reverse("tableau:region", args=["53"])),
        ("demo-national", reverse("tableau:regions")),
        ("demo-admin", reverse("tableau:regions")),
    ],
)
def test_chaque_role_arrive_sur_son_territoire(client, username, destination):
    client.force_login(User.objects.get(username=username))
    assert client.get(reverse("accueil")).url == destination


def _codes(reponse):
    return [commune.code_insee for commune in reponse.context["table"].data]


def test_le_departemental_voit_exactement_les_communes_pvd_de_son_departement(client, user_departemental):
    client.force_login(user_departemental)
    reponse = client.get(reverse("communes:liste"), {"per_page": 500})
    codes = _codes(reponse)
    assert len(codes) == pvd_par_departement()["35"]
    assert set(Commune.objects.filter(code_insee__in=codes).values_list("departement_id", flat=True)) == {
        "35"
    }


def test_le_regional_voit_les_communes_de_sa_region(client, user_regional):
    client.force_login(user_regional)
    codes = _codes(client.get(reverse("communes:liste")))
    par_dep = pvd_par_departement()
    assert len(codes) == sum(par_dep[d] for d in ("22", "29", "35", "56"))


def test_le_national_voit_toutes_les_communes_et_regions(client, user_national):
    client.force_login(user_national)
    assert len(_codes(client.get(reverse("communes:liste")))) == len(communes_pvd())
    regions = client.get(reverse("tableau:regions")).context["sous_territoires"].lignes
    assert len(regions) == len(regions_officielles())
    assert sum(r[1] for r in regions) == len(communes_pvd())


@pytest.mark.parametrize(
    "username,url,statut",
    [
        # départemental d'Ille-et-Vilaine (35, Bretagne)
        ("demo-departement", reverse("communes:detail", args=["35012"]), 200),
        ("demo-departement", reverse("communes:detail", args=["01034"]), 404),  # Belley, Ain
        ("demo-departement", reverse("tableau:departement", args=["35"]), 200),
        ("demo-departement", reverse("tableau:departement", args=["29"]), 404),
        ("demo-departement", reverse("tableau:region", args=["84"]), 404),
        # régional de Bretagne
        ("demo-region", reverse("communes:detail", args=["35012"]), 200),
        ("demo-region", reverse("communes:detail", args=["01034"]), 404),
        ("demo-region", reverse("tableau:departement", args=["29"]), 200),
        ("demo-region", reverse("tableau:departement", args=["01"]), 404),
        ("demo-region", reverse("tableau:region", args=["53"]), 200),
        ("demo-region", reverse("tableau:region", args=["84"]), 404),
        # national et administrateur : tout
        ("demo-national", reverse("communes:detail", args=["01034"]), 200),
        ("demo-national", reverse("tableau:region", args=["84"]), 200),
        ("demo-admin", reverse("tableau:departement", args=["2A"]), 200),
        # une commune qui n'est pas lauréate n'a pas de fiche
        ("demo-national", reverse("communes:detail", args=["01001"]), 404),
        ("demo-national", reverse("communes:detail", args=["XXXXX"]), 404),
    ],
)
def test_un_objet_hors_territoire_repond_404(client, username, url, statut):
    client.force_login(User.objects.get(username=username))
    assert client.get(url).status_code == statut


def test_le_filtre_ne_propose_que_le_territoire_de_l_utilisateur(client, user_regional):
    client.force_login(user_regional)
    formulaire = client.get(reverse("communes:liste")).context["filter"].form
    assert {d.code for d in formulaire.fields["departement"].queryset} == {"22", "29", "35", "56"}
    # Un département hors territoire passé dans l'URL est refusé, pas appliqué.
    reponse = client.get(reverse("communes:liste"), {"departement": "01"})
    assert "departement" in reponse.context["filter"].form.errors


def test_filtres_par_nom_et_epci(client, user_national):
    client.force_login(user_national)
    belley = Commune.objects.get(code_insee="01034")
    assert _codes(client.get(reverse("communes:liste"), {"nom": "belle"})).count("01034") == 1
    codes = _codes(client.get(reverse("communes:liste"), {"epci": belley.epci_id}))
    assert codes == list(
        Commune.objects.pvd().filter(epci=belley.epci).order_by("nom").values_list("pk", flat=True)
    )


def _options(html, nom):
    liste = re.search(rf'<select name="{nom}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', liste)


def test_les_listes_des_filtres_montrent_le_territoire_et_le_choix_courant(client, user_departemental):
    client.force_login(user_departemental)
    attendus = list(
        Epci.objects.filter(communes__departement_id="35", communes__id_pvd__isnull=False)
        .distinct()
        .order_by(alphabetique("nom"))
        .values_list("siren", "nom")
    )
    choisi = attendus[1][0]
    html = client.get(reverse("communes:liste"), {"epci": choisi}).content.decode()
    options = _options(html, "epci")
    assert options[0] == ("", "", "Tous les EPCI")
    assert [(cle, libelle) for cle, _, libelle in options[1:]] == [
        (cle, escape(nom)) for cle, nom in attendus
    ]
    assert [cle for cle, selection, _ in options if selection] == [choisi]
    assert _options(html, "departement") == [
        ("", " selected", "Tous les départements"),
        ("35", "", "35 – Ille-et-Vilaine"),
    ]


def test_les_libelles_des_filtres_sont_echappes(client, user_national):
    client.force_login(user_national)
    html = client.get(reverse("communes:liste")).content.decode()
    options = dict((cle, libelle) for cle, _, libelle in _options(html, "epci"))
    assert len(options) == Epci.objects.filter(communes__id_pvd__isnull=False).distinct().count() + 1
    issoire = Epci.objects.get(nom="CA Agglo Pays d'Issoire")
    assert options[issoire.siren] == "CA Agglo Pays d&#x27;Issoire"
    assert [cle for cle, selection, _ in _options(html, "departement") if selection] == [""]


def test_tri_et_pagination(client, user_national):
    client.force_login(user_national)
    reponse = client.get(reverse("communes:liste"), {"sort": "-departement"})
    table = reponse.context["table"]
    codes = [row.record.departement_id for row in table.page.object_list]
    assert len(codes) == 50
    assert codes == sorted(codes, reverse=True)
    assert codes[0] == "976"
    assert table.paginator.num_pages == 33
    assert 'aria-sort="descending"' in reponse.content.decode()
    page2 = client.get(reverse("communes:liste"), {"sort": "-departement", "page": 2}).context["table"]
    assert page2.page.object_list[0].record.departement_id <= codes[-1]


def test_regles_du_compte_selon_le_role():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as erreur:
        User(username="x", role=Role.DEPARTEMENTAL).full_clean()
    assert "Un compte départemental doit être rattaché à un département." in str(erreur.value)
    with pytest.raises(ValidationError):
        User(username="y", role=Role.NATIONAL, region_id="53").full_clean()


def test_l_administration_est_reservee_aux_administrateurs(client, user_admin, user_national):
    client.force_login(user_national)
    assert client.get("/admin/").status_code == 302
    client.force_login(user_admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/comptes/user/").status_code == 200
