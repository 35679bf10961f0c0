"""Entrées aléatoires et hostiles : toujours une erreur de formulaire ou d'import, jamais une erreur 500,
et la base inchangée après un import refusé."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communes.imports import COLONNES
from communes.models import Action, ChefDeProjet, Convention, Financement, Territoire

pytestmark = pytest.mark.django_db

HOSTILE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            " ",
            "=cmd|' /C calc'!A0",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "9" * 40,
            "-1",
            "1e309",
            "NaN",
            "2023-02-30",
            "31/12/9999",
            "0000-00-00",
            "\x00",
            "‮",
            "😀" * 20,
        ]
    ),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.dates().map(str),
)
REGLAGES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

FORMULAIRES = {
    "action_nouvelle": ["titre", "theme", "maitre_ouvrage", "cout", "statut", "date_engagement"],
    "convention_cadre": ["date_signature", "vaut_ort", "commentaire"],
    "chef_de_projet": ["statut", "nom", "employeur", "date_prise_poste", "date_depart"],
    "crte": ["crte", "date_inscription_crte", "version"],
    "risque": ["risque_decision", "risque_justification", "version"],
    "ort": ["date_signature", "duree_annees", "secteurs"],
}


@pytest.mark.parametrize("nom,champs", FORMULAIRES.items())
def test_formulaires_sans_erreur_500(client, user_departemental, nom, champs):
    client.force_login(user_departemental)
    url = reverse(f"communes:{nom}", args=["35012"])

    @REGLAGES
    @given(st.fixed_dictionaries({champ: HOSTILE for champ in champs}))
    def envoyer(donnees):
        donnees = {k: v.replace("\x00", "") for k, v in donnees.items()}  # le client HTTP refuse NUL
        reponse = client.post(url, donnees)
        assert reponse.status_code in (200, 302)

    envoyer()


def test_financement_sans_erreur_500(client, user_departemental):
    client.force_login(user_departemental)
    action = Action.objects.create(
        territoire=Territoire.objects.get(communes__code_insee="35012"),
        titre="Halles",
        theme="commerce",
        maitre_ouvrage="Commune",
    )
    url = reverse("communes:financement_nouveau", args=["35012", action.pk])
    champs = [
        "dispositif",
        "axe_fonds_vert",
        "mesure_fonds_vert",
        "montant_demande",
        "montant_accorde",
        "annee",
    ]

    @REGLAGES
    @given(st.fixed_dictionaries({champ: HOSTILE for champ in champs}))
    def envoyer(donnees):
        avant = set(Financement.objects.filter(action=action).values_list("pk", flat=True))
        reponse = client.post(url, {k: v.replace("\x00", "") for k, v in donnees.items()})
        nouveaux = Financement.objects.filter(action=action).exclude(pk__in=avant)
        if reponse.status_code == 200:  # refusé : le formulaire revient avec ses erreurs, rien d'enregistré
            assert not nouveaux.exists() and reponse.context["form"].errors
        else:  # accepté : une ligne, aux montants valides
            assert reponse.status_code == 302 and nouveaux.count() == 1
            f = nouveaux.get()
            assert all(m is None or m >= 0 for m in (f.montant_demande, f.montant_accorde))

    envoyer()


def _etat():
    return (
        Convention.objects.count(),
        ChefDeProjet.objects.count(),
        Territoire.objects.filter(crte__isnull=False).count(),
        Convention.history.count(),
        ChefDeProjet.history.count(),
        Territoire.history.count(),
    )


LIGNE = st.fixed_dictionaries({colonne: HOSTILE for colonne in COLONNES})


@pytest.fixture
def media(settings, tmp_path):  # noqa: F811 - la fixture de pytest-django, pas celle d'Hypothesis
    settings.MEDIA_ROOT = tmp_path


def _importer(client, fichier):
    """Dépôt par la page, puis le job exécuté comme par le worker : refus au dépôt (200, message sur le
    formulaire) ou job terminé (jamais en échec inattendu) ; renvoie le job ou None."""
    from communes.imports import import_executer
    from communes.models import Import

    reponse = client.post(reverse("communes:import"), {"fichier": fichier, "appliquer": "on"})
    assert reponse.status_code in (200, 302)
    if reponse.status_code == 200:
        assert reponse.context["form"].errors
        return None
    job = import_executer(import_id=Import.objects.order_by("-pk").values_list("pk", flat=True)[0])
    assert job.etat == "done", job.erreur
    return job


@REGLAGES
@given(lignes=st.lists(LIGNE, min_size=1, max_size=5), separateur=st.sampled_from([";", ","]))
def test_import_hostile_jamais_partiel(client, user_admin, media, lignes, separateur):
    client.force_login(user_admin)
    avant = _etat()
    nettoyer = lambda v: (
        v.replace(separateur, " ").replace("\n", " ").replace("\r", " ").replace('"', "'").replace("\x00", "")
    )  # noqa: E731
    texte = (
        separateur.join(COLONNES)
        + "\n"
        + "\n".join(separateur.join(nettoyer(ligne[c]) for c in COLONNES) for ligne in lignes)
    )
    fichier = SimpleUploadedFile("hostile.csv", texte.encode("utf-8"), content_type="text/csv")
    job = _importer(client, fichier)
    if job is None or not job.applique:
        assert job is None or job.erreurs
        assert _etat() == avant


@REGLAGES
@given(contenu=st.binary(max_size=300), nom=st.sampled_from(["octets.csv", "octets.xlsx"]))
def test_import_d_octets_quelconques(client, user_admin, media, contenu, nom):
    client.force_login(user_admin)
    avant = _etat()
    job = _importer(client, SimpleUploadedFile(nom, contenu, content_type="text/csv"))
    if job is None or not job.applique:
        assert _etat() == avant
