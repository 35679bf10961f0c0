"""Réunions de club : droits par rôle, saisie, historique, pièce jointe PDF."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from clubs.models import ReunionClub
from comptes.constants import Role
from comptes.models import User
from territoires.models import Commune
from tests.clubs.factories import ReunionClubFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CLUB_PIECE_JOINTE_MAX_MO = 1
    return settings.MEDIA_ROOT


@pytest.fixture
def reunions():
    """Une réunion en Ille-et-Vilaine (35), une dans le Finistère (29, même région), une dans l'Ain (01)."""
    return {
        code: ReunionClubFactory(
            departement_id=code,
            date=date(2026, 3, 12),
            piece_jointe=SimpleUploadedFile("cr.pdf", PDF),
            piece_jointe_nom=f"cr-{code}.pdf",
            themes=["ORT", "Habitat"],
        )
        for code in ("35", "29", "01")
    }


def communes_35(n=2):
    return list(Commune.objects.pvd().filter(departement="35").order_by("code_insee")[:n])


def donnees(**kwargs):
    hier = timezone.localdate() - timedelta(days=1)
    valeurs = {
        "date": hier.isoformat(),
        "format": "visio",
        "public": "elus_et_chefs",
        "participants_count": "23",
        "communes": [c.pk for c in communes_35()],
        "themes_suggeres": ["ORT", "Fonds vert"],
        "autres_themes": "fonds vert, Friches ; friches",
        "compte_rendu": "Point sur les conventions-cadres.",
    }
    valeurs.update(kwargs)
    return valeurs


def url(nom, reunion=None):
    return reverse(f"clubs:{nom}", args=[reunion.pk] if reunion else [])


# --- Accès ------------------------------------------------------------------------------------------


def test_un_visiteur_anonyme_est_renvoye_vers_la_connexion(client, reunions):
    r = reunions["35"]
    for adresse in [
        url("reunions"),
        url("reunion_creer"),
        url("reunion", r),
        url("reunion_modifier", r),
        url("reunion_supprimer", r),
        url("piece_jointe", r),
        url("rythme"),
        url("rythme_csv"),
        url("calendrier"),
        reverse("clubs:ics", args=["35"]),
    ]:
        reponse = client.get(adresse)
        assert reponse.status_code == 302, adresse
        assert reponse.url.startswith(reverse("login") + "?next="), adresse


def _pks(reponse):
    return {row.record.pk for row in reponse.context["table"].page.object_list}


@pytest.mark.parametrize(
    "username,visibles",
    [
        ("demo-departement", {"35"}),
        ("demo-region", {"35", "29"}),
        ("demo-national", {"35", "29", "01"}),
        ("demo-admin", {"35", "29", "01"}),
    ],
)
def test_chacun_voit_les_reunions_de_son_territoire(client, reunions, username, visibles):
    client.force_login(User.objects.get(username=username))
    assert _pks(client.get(url("reunions"))) == {reunions[c].pk for c in visibles}
    for code, reunion in reunions.items():
        attendu = 200 if code in visibles else 404
        assert client.get(url("reunion", reunion)).status_code == attendu
        assert client.get(url("piece_jointe", reunion)).status_code == attendu
        assert client.get(reverse("clubs:ics", args=[code])).status_code == attendu


@pytest.mark.parametrize(
    "username,creer,modifier_35,modifier_29",
    [
        ("demo-departement", 200, 200, 404),  # 29 : hors de son territoire
        ("demo-region", 403, 403, 403),  # lit sa région, n'écrit pas
        ("demo-national", 403, 403, 403),
        ("demo-admin", 403, 403, 403),
    ],
)
def test_seul_le_departemental_du_departement_ecrit(
    client, reunions, username, creer, modifier_35, modifier_29
):
    client.force_login(User.objects.get(username=username))
    assert client.get(url("reunion_creer")).status_code == creer
    assert client.post(url("reunion_creer"), donnees()).status_code in (creer, 302)
    for nom in ("reunion_modifier", "reunion_supprimer"):
        assert client.get(url(nom, reunions["35"])).status_code == modifier_35
        assert client.get(url(nom, reunions["29"])).status_code == modifier_29
    assert client.post(url("reunion_supprimer", reunions["29"])).status_code == modifier_29
    if username != "demo-departement":
        assert client.post(url("reunion_supprimer", reunions["35"])).status_code == 403
        assert client.post(url("reunion_modifier", reunions["35"]), donnees()).status_code == 403
    assert ReunionClub.objects.filter(pk=reunions["29"].pk).exists()


def test_les_boutons_d_ecriture_n_apparaissent_que_pour_le_departemental(client, reunions, user_regional):
    client.force_login(user_regional)
    html = client.get(url("reunion", reunions["35"])).content.decode()
    assert url("reunion_modifier", reunions["35"]) not in html
    assert url("reunion_creer") not in client.get(url("reunions")).content.decode()


def test_le_menu_mene_aux_clubs(client, user_departemental):
    client.force_login(user_departemental)
    html = client.get(url("reunions")).content.decode()
    assert f'href="{url("reunions")}" aria-current="page">Clubs PVD</a>' in html


# --- Saisie -----------------------------------------------------------------------------------------


def test_le_departemental_enregistre_une_reunion(client, user_departemental):
    client.force_login(user_departemental)
    reponse = client.post(url("reunion_creer"), donnees())
    reunion = ReunionClub.objects.get()
    assert reponse.status_code == 302 and reponse.url == url("reunion", reunion)
    assert reunion.departement_id == "35"
    assert reunion.created_by == reunion.updated_by == user_departemental
    assert (
        reunion.participants_count == 23 and reunion.format == "visio" and reunion.public == "elus_et_chefs"
    )
    assert set(reunion.communes.all()) == set(communes_35())
    # Suggestions cochées + saisie libre, sans doublon, suggestions écrites comme dans la liste.
    assert reunion.themes == ["ORT", "Fonds vert", "Friches"]
    page = client.get(url("reunion", reunion)).content.decode()
    assert "La réunion est enregistrée." in page and "Friches" in page and "Claire Morvan" in page


def test_une_commune_d_un_autre_departement_est_refusee(client, user_departemental):
    client.force_login(user_departemental)
    belley = Commune.objects.get(code_insee="01034")
    reponse = client.post(url("reunion_creer"), donnees(communes=[belley.pk]))
    assert reponse.status_code == 200
    assert "communes" in reponse.context["form"].errors
    assert not ReunionClub.objects.exists()


def test_champs_obligatoires_et_messages_en_francais(client, user_departemental):
    client.force_login(user_departemental)
    reponse = client.post(url("reunion_creer"), donnees(date="", format="", participants_count=""))
    erreurs = reponse.context["form"].errors
    assert erreurs["date"] == ["Indiquez la date de la réunion."]
    assert erreurs["format"] == ["Indiquez le format de la réunion."]
    assert "Le formulaire contient des erreurs" in reponse.content.decode()
    # Une réunion tenue exige le nombre de participants ; une réunion prévue non.
    reponse = client.post(url("reunion_creer"), donnees(participants_count=""))
    assert reponse.context["form"].errors["participants_count"] == [
        "Indiquez le nombre de participants de cette réunion tenue."
    ]
    dans_un_mois = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert (
        client.post(url("reunion_creer"), donnees(date=dans_un_mois, participants_count="")).status_code
        == 302
    )
    reunion = ReunionClub.objects.get()
    assert reunion.statut == "prevue" and reunion.participants_count is None


def test_une_annee_aberrante_est_refusee(client, user_departemental):
    client.force_login(user_departemental)
    reponse = client.post(url("reunion_creer"), donnees(date="2206-03-01"))
    assert "vérifiez l’année" in reponse.context["form"].errors["date"][0]


def test_historique_de_creation_et_de_modification(client, user_departemental, reunions):
    collegue = User.objects.create_user(
        "collegue-35",
        password="x",
        role=Role.DEPARTEMENTAL,
        departement_id="35",
        first_name="Loïc",
        last_name="Le Bihan",
    )
    reunion = reunions["35"]
    client.force_login(user_departemental)
    client.post(url("reunion_creer"), donnees())
    cree = ReunionClub.objects.filter(departement="35").latest("pk")
    client.force_login(collegue)
    reponse = client.post(url("reunion_modifier", cree), donnees(participants_count="31"))
    assert reponse.status_code == 302
    cree.refresh_from_db()
    assert (cree.created_by, cree.updated_by, cree.participants_count) == (user_departemental, collegue, 31)
    assert cree.updated_at >= cree.created_at
    page = client.get(url("reunion", cree)).content.decode()
    assert "Claire Morvan" in page and "Loïc Le Bihan" in page
    assert reunion.pk != cree.pk


def test_suppression(client, user_departemental, reunions, media, django_capture_on_commit_callbacks):
    client.force_login(user_departemental)
    reunion = reunions["35"]
    chemin = media / reunion.piece_jointe.name
    assert chemin.exists()
    assert "sa pièce jointe" in client.get(url("reunion_supprimer", reunion)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(url("reunion_supprimer", reunion))
    assert reponse.status_code == 302 and reponse.url == url("reunions")
    assert not ReunionClub.objects.filter(pk=reunion.pk).exists()
    assert not chemin.exists()


# --- Pièce jointe -----------------------------------------------------------------------------------


def _deposer(client, fichier, nom):
    return client.post(url("reunion_creer"), donnees(piece_jointe=SimpleUploadedFile(nom, fichier)))


def test_pdf_depose_puis_telecharge_par_qui_voit_la_reunion(client, user_departemental, user_regional, media):
    client.force_login(user_departemental)
    assert _deposer(client, PDF, "Compte rendu club.pdf").status_code == 302
    reunion = ReunionClub.objects.get()
    assert reunion.piece_jointe_nom == "Compte rendu club.pdf"
    chemin = media / reunion.piece_jointe.name
    assert chemin.read_bytes() == PDF
    assert reunion.piece_jointe.name.startswith("clubs/35/") and "Compte" not in reunion.piece_jointe.name
    client.force_login(user_regional)
    reponse = client.get(url("piece_jointe", reunion))
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "application/pdf"
    assert reponse["Content-Disposition"].startswith("attachment;")
    assert (
        "Compte%20rendu%20club.pdf" in reponse["Content-Disposition"]
        or "Compte rendu club.pdf" in reponse["Content-Disposition"]
    )
    assert b"".join(reponse.streaming_content) == PDF
    # Aucune URL publique : le dossier media n'est pas servi.
    assert client.get("/" + reunion.piece_jointe.url.lstrip("/")).status_code == 404


@pytest.mark.parametrize(
    "contenu,nom,message",
    [
        (b"GIF89a pas un pdf", "faux.pdf", "n’est pas celui d’un PDF"),
        (b"<html>%PDF-</html>", "page.pdf", "n’est pas celui d’un PDF"),
        (PDF, "document.txt", "doit être un fichier PDF"),
        (PDF, "sans-extension", "doit être un fichier PDF"),
        (b"", "vide.pdf", "Le fichier déposé est vide."),
    ],
)
def test_seuls_les_vrais_pdf_sont_acceptes(client, user_departemental, contenu, nom, message):
    client.force_login(user_departemental)
    reponse = _deposer(client, contenu, nom)
    assert reponse.status_code == 200
    assert message in " ".join(reponse.context["form"].errors["piece_jointe"])
    assert not ReunionClub.objects.exists()


def test_taille_maximale_reglable(client, user_departemental, settings):
    client.force_login(user_departemental)
    limite = settings.CLUB_PIECE_JOINTE_MAX_MO * 1024 * 1024
    trop = PDF + b"0" * (limite - len(PDF) + 1)
    reponse = _deposer(client, trop, "gros.pdf")
    assert reponse.status_code == 200
    assert "dépasse la taille maximale de 1 Mo" in reponse.context["form"].errors["piece_jointe"][0]
    juste = PDF + b"0" * (limite - len(PDF))
    assert _deposer(client, juste, "juste.pdf").status_code == 302
    settings.CLUB_PIECE_JOINTE_MAX_MO = 5
    assert _deposer(client, trop, "gros.pdf").status_code == 302


def test_remplacer_et_retirer_la_piece_jointe(
    client, user_departemental, reunions, media, django_capture_on_commit_callbacks
):
    client.force_login(user_departemental)
    reunion = reunions["35"]
    ancien = media / reunion.piece_jointe.name
    nouveau_pdf = PDF + b"% version 2\n"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("reunion_modifier", reunion), donnees(piece_jointe=SimpleUploadedFile("v2.pdf", nouveau_pdf))
        )
    reunion.refresh_from_db()
    assert not ancien.exists()
    assert (media / reunion.piece_jointe.name).read_bytes() == nouveau_pdf
    assert reunion.piece_jointe_nom == "v2.pdf"
    # Une modification sans fichier garde la pièce jointe.
    client.post(url("reunion_modifier", reunion), donnees(compte_rendu="Modifié"))
    reunion.refresh_from_db()
    assert reunion.piece_jointe_nom == "v2.pdf" and reunion.compte_rendu == "Modifié"
    # « Retirer » la supprime.
    courant = media / reunion.piece_jointe.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("reunion_modifier", reunion), donnees(supprimer_piece_jointe="on"))
    reunion.refresh_from_db()
    assert not reunion.piece_jointe and reunion.piece_jointe_nom == "" and not courant.exists()
    assert client.get(url("piece_jointe", reunion)).status_code == 404


def test_filtres_de_la_liste(client, user_national, reunions):
    ReunionClubFactory(departement_id="29", date=date(2025, 5, 1), themes=["Transition écologique"])
    client.force_login(user_national)
    assert len(_pks(client.get(url("reunions"), {"annee": "2025"}))) == 1
    assert len(_pks(client.get(url("reunions"), {"theme": "écologique"}))) == 1
    assert len(_pks(client.get(url("reunions"), {"departement": "29"}))) == 2
    futur = ReunionClubFactory(departement_id="01", date=timezone.localdate() + timedelta(days=3))
    assert _pks(client.get(url("reunions"), {"statut": "prevue"})) == {futur.pk}


def test_le_departemental_ne_peut_pas_filtrer_sur_un_autre_departement(client, user_departemental, reunions):
    client.force_login(user_departemental)
    reponse = client.get(url("reunions"), {"departement": "29"})
    assert _pks(reponse) == {reunions["35"].pk}
    assert "departement" not in reponse.context["filter"].form.fields


def test_page_departement_montre_le_rythme(client, user_departemental):
    client.force_login(user_departemental)
    html = client.get(reverse("tableau:departement", args=["35"])).content.decode()
    assert "Club départemental PVD en" in html
    assert "40</span>" in html or "/ 40" in html
    assert url("reunion_creer") in html


def test_aucun_script_ni_style_en_ligne(client, user_departemental, reunions):
    client.force_login(user_departemental)
    for adresse in [
        url("reunions"),
        url("reunion_creer"),
        url("reunion", reunions["35"]),
        url("reunion_modifier", reunions["35"]),
        url("rythme"),
        url("calendrier"),
        reverse("tableau:departement", args=["35"]),
    ]:
        html = client.get(adresse).content.decode()
        assert " style=" not in html, adresse
        corps = html.split("<body", 1)[1]
        assert "<script>" not in corps and '<script type="text/javascript">' not in corps, adresse
