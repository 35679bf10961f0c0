"""Import des situations par CSV : simulation avec erreurs par ligne, atomicité, droits."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communes.constants import TypeConvention
from communes.models import ChefDeProjet, Convention, Territoire

pytestmark = pytest.mark.django_db

ENTETE = "code_insee;date_adhesion;statut_chef_projet;date_prise_poste;date_convention_cadre;cadre_vaut_ort;code_crte;date_inscription_crte\n"


def envoyer(client, contenu, appliquer=False):
    fichier = SimpleUploadedFile("situations.csv", contenu.encode("utf-8"), content_type="text/csv")
    donnees = {"fichier": fichier}
    if appliquer:
        donnees["appliquer"] = "on"
    return client.post(reverse("communes:import"), donnees)


def cadre(code):
    return Convention.objects.filter(territoire__communes__code_insee=code, type=TypeConvention.CADRE).first()


VALIDE = ENTETE + (
    "35012;;en_poste;2021-10-04;2023-02-01;oui;crte-53-35-12;2023-04-01\n35019;;vacant;;15/03/2023;non;;\n"
)


def test_reserve_aux_administrateurs(client, user_national):
    client.force_login(user_national)
    assert client.get(reverse("communes:import")).status_code == 403
    assert envoyer(client, VALIDE, appliquer=True).status_code == 403
    assert cadre("35012") is None


def test_simulation_valide_n_enregistre_rien(client, user_admin):
    client.force_login(user_admin)
    reponse = envoyer(client, VALIDE)
    rapport = reponse.context["rapport"]
    assert rapport.erreurs == [] and rapport.lignes == 2 and not rapport.applique
    assert "Simulation réussie" in reponse.content.decode()
    assert cadre("35012") is None and cadre("35019") is None


def test_import_applique_avec_historique(client, user_admin):
    client.force_login(user_admin)
    rapport = envoyer(client, VALIDE, appliquer=True).context["rapport"]
    assert rapport.applique and rapport.erreurs == []
    c = cadre("35012")
    assert (c.date_signature, c.vaut_ort) == (datetime.date(2023, 2, 1), True)
    assert cadre("35019").date_signature == datetime.date(2023, 3, 15)
    t = Territoire.objects.get(communes__code_insee="35012")
    assert (t.crte_id, t.date_inscription_crte) == ("crte-53-35-12", datetime.date(2023, 4, 1))
    assert ChefDeProjet.objects.get(territoire=t).statut == "en_poste"
    historique = c.history.first()
    assert historique.history_user.username == "demo-admin"
    assert historique.history_change_reason == "Import CSV"


def test_une_erreur_et_rien_n_est_enregistre(client, user_admin):
    client.force_login(user_admin)
    contenu = VALIDE + (
        "99999;;;;;;;\n35023;;en_poste;;;;;\n35037;;;;2019-01-01;oui;;\n35049;;;;2023-01-01;peut-être;;\n"
    )
    reponse = envoyer(client, contenu, appliquer=True)
    rapport = reponse.context["rapport"]
    assert not rapport.applique
    erreurs = {(ligne, colonne) for ligne, colonne, _ in rapport.erreurs}
    assert erreurs == {
        (4, "code_insee"),
        (5, "date_prise_poste"),
        (6, "date_convention_cadre"),
        (7, "cadre_vaut_ort"),
    }
    messages = " ".join(m for _, _, m in rapport.erreurs)
    assert "n’est pas une commune PVD" in messages
    assert "ne peut pas être signée avant la convention d’adhésion" in messages
    page = reponse.content.decode()
    assert "4 erreurs sur 6 lignes : rien n’a été enregistré." in page
    # Les lignes valides n'ont pas été enregistrées non plus.
    assert cadre("35012") is None and cadre("35019") is None
    assert not ChefDeProjet.objects.filter(territoire__communes__code_insee="35012").exists()


def test_fichier_mal_forme(client, user_admin):
    client.force_login(user_admin)
    rapport = envoyer(client, "commune;date\n35012;2023-01-01\n").context["rapport"]
    assert "La colonne code_insee est obligatoire." in rapport.erreurs[0][2]
    fichier = SimpleUploadedFile(
        "situations.csv", "code_insee\n35012\n".encode("latin-1") + b"\xff\xfe", content_type="text/csv"
    )
    rapport = client.post(reverse("communes:import"), {"fichier": fichier}).context["rapport"]
    assert "UTF-8" in rapport.erreurs[0][2]
    reponse = client.post(
        reverse("communes:import"),
        {"fichier": SimpleUploadedFile("situations.xls", b"x", content_type="application/x")},
    )
    assert "extension .csv" in reponse.content.decode()
