"""Pages des notes de synthèse : accès selon le rôle, requêtes en nombre fixe, ouverture de campagne,
commande de démonstration, téléchargement, lot de toutes les régions et son ZIP."""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syntheses.constants import EtatGeneration, EtatSection
from syntheses.generation import generation_demander, synthese_generer
from syntheses.models import Campagne, Generation, Lot, SectionDepartementale, Synthese, VersionPdf
from tests.syntheses_outils import campagne

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(user_national):
    return campagne(user=user_national)


def _note(c, region):
    return Synthese.objects.get(campagne=c, region=region)


def _section(c, code):
    return SectionDepartementale.objects.get(synthese__campagne=c, departement=code)


def test_anonyme_renvoye_a_la_connexion(client, c):
    for url in (
        reverse("syntheses:campagnes"),
        reverse("syntheses:campagne", args=[c.pk]),
        reverse("syntheses:synthese", args=[_note(c, "53").pk]),
    ):
        reponse = client.get(url)
        assert reponse.status_code == 302 and reponse.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("utilisateur", "attendus"),
    [
        ("user_departemental", {"note53": 200, "note28": 404, "section35": 200, "section29": 404}),
        ("user_regional", {"note53": 200, "note28": 404, "section35": 200, "section29": 200}),
        ("user_national", {"note53": 200, "note28": 200, "section35": 200, "section29": 200}),
    ],
)
def test_acces_selon_le_territoire(client, c, request, utilisateur, attendus):
    client.force_login(request.getfixturevalue(utilisateur))
    urls = {
        "note53": reverse("syntheses:synthese", args=[_note(c, "53").pk]),
        "note28": reverse("syntheses:synthese", args=[_note(c, "28").pk]),
        "section35": reverse("syntheses:section", args=[_section(c, "35").pk]),
        "section29": reverse("syntheses:section", args=[_section(c, "29").pk]),
    }
    assert {cle: client.get(url).status_code for cle, url in urls.items()} == attendus
    assert client.get(reverse("syntheses:campagne", args=[c.pk])).status_code == 200


def test_le_departement_ne_voit_que_sa_section(client, c, user_departemental):
    client.force_login(user_departemental)
    page = client.get(reverse("syntheses:synthese", args=[_note(c, "53").pk]))
    assert [s.departement_id for s in page.context["sections"]] == ["35"]
    assert "Générer le PDF" not in page.content.decode()


def test_ouvrir_une_campagne_reserve_au_national(client, user_national, user_regional):
    client.force_login(user_regional)
    assert client.get(reverse("syntheses:campagne_nouvelle")).status_code == 403
    client.force_login(user_national)
    url = reverse("syntheses:campagne_nouvelle")
    reponse = client.post(
        url,
        {
            "nom": "Campagne 2024",
            "date_echeance": "2024-06-30",
            "date_limite_phase_operationnelle": "2024-01-01",
            "questions": "Où en êtes-vous ?",
        },
    )
    assert "ne peut pas précéder la date d’échéance" in reponse.content.decode()
    reponse = client.post(
        url,
        {
            "nom": "Campagne 2024",
            "date_echeance": "2024-06-30",
            "date_limite_phase_operationnelle": "2025-01-01",
            "questions": "Où en êtes-vous ?",
        },
    )
    campagne_2024 = Campagne.objects.get(nom="Campagne 2024")
    assert reponse.url == reverse("syntheses:campagne", args=[campagne_2024.pk])
    assert campagne_2024.syntheses.count() == 18 and campagne_2024.created_by == user_national


def test_notes_en_retard_signalees_au_national(client, c, user_national):
    client.force_login(user_national)
    page = client.get(reverse("syntheses:campagne", args=[c.pk]))
    lignes = list(page.context["table"].rows)
    assert len(lignes) == 18 and all(ligne.record.is_en_retard for ligne in lignes)  # échéance 25/06/2023
    assert page.content.decode().count("En retard") == 18
    liste = client.get(reverse("syntheses:campagnes")).content.decode()
    assert "0 sur 18" in liste and "En retard" in liste


def _requetes(client, url):
    with CaptureQueriesContext(connection) as ctx:
        reponse = client.get(url)
    assert reponse.status_code == 200
    return len(ctx), reponse


def test_pages_en_nombre_fixe_de_requetes(client, c, user_national, user_regional):
    """Campagne : 18 lignes (national) ou 1 ligne (région) ; note : 1 section (Mayotte) ou 4 (Bretagne)."""
    client.force_login(user_national)
    national, page = _requetes(client, reverse("syntheses:campagne", args=[c.pk]))
    assert len(page.context["table"].rows) == 18
    mayotte, page = _requetes(client, reverse("syntheses:synthese", args=[_note(c, "06").pk]))
    assert len(page.context["sections"]) == 1
    bretagne, page = _requetes(client, reverse("syntheses:synthese", args=[_note(c, "53").pk]))
    assert len(page.context["sections"]) == 4
    assert mayotte == bretagne
    # Une campagne réduite à une note : même nombre de requêtes que pour 18.
    petite = campagne(nom="Campagne réduite", user=user_national)
    Synthese.objects.filter(campagne=petite).exclude(region="53").delete()
    une, page = _requetes(client, reverse("syntheses:campagne", args=[petite.pk]))
    assert len(page.context["table"].rows) == 1
    assert une == national
    client.force_login(user_regional)
    regional, page = _requetes(client, reverse("syntheses:campagne", args=[c.pk]))
    assert len(page.context["table"].rows) == 1


def test_commande_de_demonstration_idempotente(user_national):
    call_command("creer_campagne_demo")
    call_command("creer_campagne_demo")
    demo = Campagne.objects.get(nom="Campagne 2023")
    assert (str(demo.date_echeance), str(demo.date_limite_phase_operationnelle)) == (
        "2023-06-25",
        "2024-01-01",
    )
    assert Campagne.objects.filter(nom="Campagne 2023").count() == 1 and demo.syntheses.count() == 18
    assert list(
        SectionDepartementale.objects.filter(synthese__campagne=demo, synthese__region="53")
        .order_by("departement")
        .values_list("departement", "etat")
    ) == [
        ("22", EtatSection.SOUMISE),
        ("29", EtatSection.SOUMISE),
        ("35", EtatSection.A_REDIGER),
        ("56", EtatSection.A_REDIGER),
    ]


def test_generation_et_telechargement_selon_le_role(
    client,
    c,
    user_regional,
    user_departemental,
    user_national,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path
    note = _note(c, "53")
    client.force_login(user_departemental)
    assert client.post(reverse("syntheses:generer", args=[note.pk])).status_code == 403
    client.force_login(user_regional)
    with django_capture_on_commit_callbacks() as rappels:
        reponse = client.post(reverse("syntheses:generer", args=[note.pk]))
    assert reponse.status_code == 302 and len(rappels) == 1
    generation = Generation.objects.get(synthese=note)
    page = client.get(reverse("syntheses:synthese", args=[note.pk])).content.decode()
    # En attente : barre de progression, interrogation JSON (JS) et rechargement sans JS.
    assert "<progress" in page and 'data-generation-url="/syntheses/generations/' in page
    assert '<noscript><meta http-equiv="refresh"' in page and "js/generation.js" in page
    etat = client.get(reverse("syntheses:generation_etat", args=[generation.pk])).json()
    assert (etat["etat"], etat["progression"], etat["termine"]) == ("queued", 0, False)

    synthese_generer(generation_id=generation.pk)
    etat = client.get(reverse("syntheses:generation_etat", args=[generation.pk])).json()
    assert (etat["etat"], etat["progression"], etat["termine"], etat["version"]) == ("done", 100, True, 1)
    telechargement = client.get(etat["telechargement"])
    assert telechargement["Content-Type"] == "application/pdf"
    assert b"".join(telechargement.streaming_content).startswith(b"%PDF")
    client.force_login(user_departemental)
    assert client.get(etat["telechargement"]).status_code == 404
    assert client.get(reverse("syntheses:generation_etat", args=[generation.pk])).status_code == 404
    client.force_login(user_national)
    assert client.get(etat["telechargement"]).status_code == 200


def test_lot_de_toutes_les_regions_et_zip(
    client, c, user_national, user_regional, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    # Garder deux petites régions pour un test rapide (Guyane, Mayotte).
    Synthese.objects.filter(campagne=c).exclude(region__in=["03", "06"]).delete()
    client.force_login(user_regional)
    assert client.post(reverse("syntheses:lot_nouveau", args=[c.pk])).status_code == 403
    client.force_login(user_national)
    with django_capture_on_commit_callbacks() as rappels:
        reponse = client.post(reverse("syntheses:lot_nouveau", args=[c.pk]))
    lot = Lot.objects.get(campagne=c)
    assert (
        reponse.url == reverse("syntheses:lot", args=[lot.pk]) and len(rappels) == 1
    )  # un seul envoi : le groupe
    assert lot.generations.count() == 2
    assert client.get(reverse("syntheses:lot_zip", args=[lot.pk])).status_code == 302  # pas encore prêt
    for generation in lot.generations.all():
        synthese_generer(generation_id=generation.pk)
    etat = client.get(reverse("syntheses:lot_etat", args=[lot.pk])).json()
    assert (etat["termines"], etat["total"], etat["complet"]) == (2, 2, True)
    reponse = client.get(reverse("syntheses:lot_zip", args=[lot.pk]))
    assert reponse["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(reponse.content)) as archive:
        noms = sorted(archive.namelist())
        assert noms == ["03-Guyane.pdf", "06-Mayotte.pdf"]
        assert all(archive.read(nom).startswith(b"%PDF") for nom in noms)
    assert VersionPdf.objects.filter(synthese__campagne=c).count() == 2
    # Relancer le lot sans changement : mêmes versions, pas de doublon.
    with django_capture_on_commit_callbacks():
        client.post(reverse("syntheses:lot_nouveau", args=[c.pk]))
    for generation in Generation.objects.filter(etat=EtatGeneration.QUEUED):
        synthese_generer(generation_id=generation.pk)
    assert VersionPdf.objects.filter(synthese__campagne=c).count() == 2
    # Une seule génération active par note, même demandée deux fois.
    generation_demander(synthese=_note(c, "03"), user=user_national)
    generation_demander(synthese=_note(c, "03"), user=user_national)
    assert Generation.objects.filter(synthese__region="03", etat=EtatGeneration.QUEUED).count() == 1


def test_liste_des_campagnes_et_lot_en_nombre_fixe_de_requetes(client, c, user_national, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(user_national)
    une, page = _requetes(client, reverse("syntheses:campagnes"))
    assert len(page.context["table"].rows) == 1
    campagne(nom="Campagne 2024", user=user_national)
    campagne(nom="Campagne 2025", user=user_national)
    trois, page = _requetes(client, reverse("syntheses:campagnes"))
    assert len(page.context["table"].rows) == 3 and une == trois

    Synthese.objects.filter(campagne=c).exclude(region__in=["03", "06"]).delete()
    lot = services_lot(c, user_national)
    deux, page = _requetes(client, reverse("syntheses:lot", args=[lot.pk]))
    assert len(page.context["generations"]) == 2
    Synthese.objects.filter(campagne=c, region="06").delete()
    une_note, page = _requetes(client, reverse("syntheses:lot", args=[lot.pk]))
    assert len(page.context["generations"]) == 1 and une_note == deux


def services_lot(c, user):
    from syntheses.generation import lot_demander

    return lot_demander(campagne=c, user=user)
