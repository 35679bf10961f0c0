"""Journal de sécurité (issue #20, point 5) : chaque événement est enregistré une fois, avec le compte,
l'adresse et l'heure ; il est aussi écrit dans les journaux JSON ; il est purgé après la durée réglée."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import JetonApi
from api.services import jeton_api_creer
from comptes.models import EvenementSecurite, TypeEvenement, User
from comptes.securite import evenements_securite_purger
from territoires.models import Departement
from tests.pvd.test_journaux import journal_json  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

ADRESSE = "203.0.113.9"


def evenements(type):
    return list(EvenementSecurite.objects.filter(type=type))


def seul(type):
    lignes = evenements(type)
    assert len(lignes) == 1, lignes
    ligne = lignes[0]
    assert abs(timezone.now() - ligne.created_at) < datetime.timedelta(minutes=1)
    return ligne


def test_connexion_reussie_puis_echec(client, demo_password, journal_json):  # noqa: F811
    url = reverse("login")
    client.post(url, {"username": "demo-region", "password": demo_password}, REMOTE_ADDR=ADRESSE)
    connexion = seul(TypeEvenement.CONNEXION)
    assert (connexion.user.username, connexion.username, connexion.adresse_ip) == ("demo-region",) * 2 + (
        ADRESSE,
    )
    Client().post(url, {"username": "demo-region", "password": "faux"}, REMOTE_ADDR="198.51.100.4")
    echec = seul(TypeEvenement.ECHEC_CONNEXION)
    assert (echec.user, echec.username, echec.adresse_ip) == (None, "demo-region", "198.51.100.4")
    ligne = next(
        ligne
        for ligne in journal_json()
        if ligne["logger"] == "pvd.securite" and ligne["evenement"] == "connexion"
    )
    assert ligne["compte"] == "demo-region" and ligne["adresse_ip"] == ADRESSE


def test_blocage_enregistre_une_fois(client, settings):
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "demo-national", "password": "faux"}, REMOTE_ADDR=ADRESSE)
    blocage = seul(TypeEvenement.BLOCAGE)
    assert (blocage.username, blocage.adresse_ip) == ("demo-national", ADRESSE)
    assert len(evenements(TypeEvenement.ECHEC_CONNEXION)) == settings.AXES_FAILURE_LIMIT


def test_changement_de_role_ou_de_territoire_par_l_administration(client, user_admin):
    agent = User.objects.create_user("agent-22", role="departemental", departement_id="22")
    client.force_login(user_admin)
    url = reverse("admin:comptes_user_change", args=[agent.pk])
    formulaire = client.get(url).context["adminform"].form
    donnees = {
        nom: valeur for nom, valeur in formulaire.initial.items() if valeur is not None and nom != "password"
    }
    donnees.update({
        "departement": "29", "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00",
        "groups": [], "user_permissions": [], "is_active": "on", "rappels_actifs": "on",
    })  # fmt: skip
    reponse = client.post(url, donnees, REMOTE_ADDR=ADRESSE)
    assert reponse.status_code == 302, reponse.context["adminform"].form.errors
    evenement = seul(TypeEvenement.ROLE_TERRITOIRE)
    assert evenement.user == user_admin and evenement.adresse_ip == ADRESSE
    avant, apres = Departement.objects.get(code="22"), Departement.objects.get(code="29")
    assert evenement.detail == f"compte agent-22 : département : {avant} → {apres}"
    # Un enregistrement sans changement de rôle ni de territoire n'ajoute rien.
    client.post(url, {**donnees, "first_name": "Anne"})
    assert len(evenements(TypeEvenement.ROLE_TERRITOIRE)) == 1


def test_import_applique(client, user_admin, settings, tmp_path):
    from communes.imports import import_executer
    from communes.models import Import

    settings.MEDIA_ROOT = tmp_path
    client.force_login(user_admin)
    contenu = "code_insee;statut_chef_projet\n35019;vacant\n"
    fichier = SimpleUploadedFile("situations.csv", contenu.encode(), content_type="text/csv")
    client.post(reverse("communes:import"), {"fichier": fichier}, REMOTE_ADDR=ADRESSE)
    import_executer(import_id=Import.objects.get().pk)
    assert evenements(TypeEvenement.IMPORT) == []  # simulation : rien d'importé
    fichier = SimpleUploadedFile("situations.csv", contenu.encode(), content_type="text/csv")
    client.post(reverse("communes:import"), {"fichier": fichier, "appliquer": "on"}, REMOTE_ADDR=ADRESSE)
    import_executer(import_id=Import.objects.order_by("-pk")[0].pk)
    evenement = seul(TypeEvenement.IMPORT)
    assert evenement.user == user_admin and "situations.csv" in evenement.detail
    assert evenement.adresse_ip == ADRESSE  # lue au dépôt, enregistrée par le worker


def test_jeton_d_api_cree_puis_utilise(client, user_admin):
    client.force_login(user_admin)
    client.post(reverse("admin:api_jetonapi_add"), {"partenaire": "Observatoire test"}, REMOTE_ADDR=ADRESSE)
    creation = seul(TypeEvenement.JETON_API_CREE)
    assert creation.user == user_admin and "Observatoire test" in creation.detail
    _jeton, clair = jeton_api_creer(partenaire="Partenaire B")
    api = Client()
    for _ in range(3):  # trois appels dans la minute : une trace
        assert (
            api.get(
                reverse("api:regions"), HTTP_AUTHORIZATION=f"Bearer {clair}", REMOTE_ADDR=ADRESSE
            ).status_code
            == 200
        )
    usage = seul(TypeEvenement.JETON_API_UTILISE)
    assert usage.username == "partenaire:Partenaire B" and usage.adresse_ip == ADRESSE
    assert JetonApi.objects.filter(partenaire="Partenaire B").count() == 1


def test_purge_apres_la_duree_de_conservation(settings):
    settings.SECURITE_CONSERVATION_JOURS = 30
    ancien = EvenementSecurite.objects.create(type=TypeEvenement.CONNEXION, username="ancien")
    recent = EvenementSecurite.objects.create(type=TypeEvenement.CONNEXION, username="recent")
    EvenementSecurite.objects.filter(pk=ancien.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=31)
    )
    assert evenements_securite_purger() == 1
    assert list(EvenementSecurite.objects.values_list("username", flat=True)) == [recent.username]


def test_page_des_administrateurs_avec_filtres(client, user_admin, user_national):
    EvenementSecurite.objects.create(type=TypeEvenement.BLOCAGE, username="cible-bloquee")
    EvenementSecurite.objects.create(type=TypeEvenement.IMPORT, username="importeur")
    client.force_login(user_admin)
    url = reverse("admin:comptes_evenementsecurite_changelist")
    html = client.get(url, {"type__exact": "blocage"}).content.decode()
    assert "cible-bloquee" in html and "importeur" not in html
    national = Client()
    national.force_login(user_national)
    assert national.get(url).status_code == 302  # pas membre de l'équipe : renvoyé à la connexion
