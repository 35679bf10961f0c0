"""Matrice des permissions des notes de synthèse : chaque URL de l'app × rôle × son territoire / un autre ×
GET et POST → la réponse attendue.

Même forme que la matrice générale du produit (tests/test_matrice_permissions.py sur main) : pour l'y
intégrer, `MATRICE.update({nom: Regle(*r) for nom, r in MATRICE_SYNTHESES.items()})` et, dans sa fixture
`objets`, `resultat[t].update(objets_syntheses()[t])` pour chaque territoire.

Territoire « propre » : Ille-et-Vilaine (35) / Bretagne (53) ; « autre » : Ain (01) / Auvergne-Rhône-Alpes (84)."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import URLResolver, get_resolver, reverse

from comptes.models import User
from syntheses.constants import EtatGeneration
from syntheses.models import Campagne, Generation, Lot, SectionDepartementale, Synthese, VersionPdf
from syntheses.services import campagne_creer

pytestmark = pytest.mark.django_db

ROLES = ["anonyme", "demo-departement", "demo-region", "demo-national", "demo-admin"]
PROPRE, AUTRE = "propre", "autre"
TERRITOIRES = {PROPRE: {"departement": "35", "region": "53"}, AUTRE: {"departement": "01", "region": "84"}}
NATIONAL = ("demo-national", "demo-admin")


def objets_syntheses():
    """Une campagne, et pour chaque territoire sa note, sa section, un job terminé, sa version et le lot."""
    nationale = User.objects.get(username="demo-national")
    campagne = Campagne.objects.filter(nom="Campagne des permissions").first() or campagne_creer(
        nom="Campagne des permissions",
        date_echeance=datetime.date(2023, 6, 25),
        date_limite_phase_operationnelle=datetime.date(2024, 1, 1),
        questions="Question ?",
        user=nationale,
    )
    lot = Lot.objects.create(campagne=campagne, created_by=nationale)
    resultat = {}
    for t, valeurs in TERRITOIRES.items():
        note = Synthese.objects.get(campagne=campagne, region=valeurs["region"])
        version = VersionPdf(
            synthese=note,
            numero=1,
            sha256=t * 8,
            taille=15,
            pages_count=1,
            etat_synthese=note.etat,
            created_by=nationale,
        )
        version.fichier.save(f"permissions-{t}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        version.save()
        generation = Generation.objects.create(
            synthese=note,
            lot=lot,
            etat=EtatGeneration.DONE,
            progression=100,
            version=version,
            requested_by=nationale,
        )
        resultat[t] = {
            "campagne": campagne,
            "lot": lot,
            "note": note,
            "section": SectionDepartementale.objects.get(synthese=note, departement=valeurs["departement"]),
            "generation": generation,
            "version": version,
        }
    return resultat


def _connecte(role, pour_national, pour_autres):
    if role == "anonyme":
        return {302}
    return pour_national if role in NATIONAL else pour_autres


def lecture_libre(role, territoire, methode):
    return _connecte(role, {405} if methode == "POST" else {200}, {405} if methode == "POST" else {200})


def lecture_territoriale(role, territoire, methode):
    if role == "anonyme":
        return {302}
    if methode == "POST":
        return {405}
    return {404} if role in ("demo-departement", "demo-region") and territoire == AUTRE else {200}


def national_seulement(get, post):
    """Pages du national : les autres rôles reçoivent 403 (création) ou 404 (objet national)."""

    def attendu(role, territoire, methode):
        return _connecte(role, get if methode == "GET" else post, {403})

    return attendu


def lot(get, post):
    """Lot de toutes les régions : n'existe pas pour la région et le département (POST : méthode refusée)."""

    def attendu(role, territoire, methode):
        return _connecte(role, get if methode == "GET" else post, {404} if methode == "GET" else {405})

    return attendu


def consolidation(get, post):
    """Actions de la région sur sa note ou une section de sa région : le département qui voit l'objet → 403."""

    def attendu(role, territoire, methode):
        if role == "anonyme":
            return {302}
        if role in ("demo-departement", "demo-region") and territoire == AUTRE:
            return {404}
        if role == "demo-region":
            return get if methode == "GET" else post
        return {403}

    return attendu


def redaction(get, post):
    """Rédaction de la section : agents du département seulement."""

    def attendu(role, territoire, methode):
        if role == "anonyme":
            return {302}
        if role in ("demo-departement", "demo-region") and territoire == AUTRE:
            return {404}
        if role == "demo-departement":
            return get if methode == "GET" else post
        return {403}

    return attendu


def generation_pdf(get, post):
    """Produire et télécharger le PDF : la région (sa note) et le national ; le département → 403 / 404."""

    def attendu(role, territoire, methode):
        if role == "anonyme":
            return {302}
        if role == "demo-departement":
            return {404} if territoire == AUTRE else {403}
        if role == "demo-region" and territoire == AUTRE:
            return {404}
        return get if methode == "GET" else post

    return attendu


def json_generation(role, territoire, methode):
    if role == "anonyme":
        return {302}
    if methode == "POST":
        return {405}
    if role == "demo-departement" or (role == "demo-region" and territoire == AUTRE):
        return {404}
    return {200}


def telechargement(role, territoire, methode):
    return json_generation(role, territoire, methode)


def relance(role, territoire, methode):
    if role == "anonyme":
        return {302}
    if role == "demo-departement" or (role == "demo-region" and territoire == AUTRE):
        return {404}
    return {405} if methode == "GET" else {302}


campagne = lambda o, t: {"pk": o[t]["campagne"].pk}  # noqa: E731
note = lambda o, t: {"pk": o[t]["note"].pk}  # noqa: E731
section = lambda o, t: {"pk": o[t]["section"].pk}  # noqa: E731

MATRICE_SYNTHESES = {
    "syntheses:campagnes": (lambda o, t: {}, lecture_libre),
    "syntheses:campagne_nouvelle": (lambda o, t: {}, national_seulement({200}, {200})),
    "syntheses:campagne": (campagne, lecture_libre),
    "syntheses:lot_nouveau": (campagne, national_seulement({405}, {302})),
    "syntheses:lot": (lambda o, t: {"pk": o[t]["lot"].pk}, lot({200}, {405})),
    "syntheses:lot_etat": (lambda o, t: {"pk": o[t]["lot"].pk}, lot({200}, {405})),
    "syntheses:lot_zip": (lambda o, t: {"pk": o[t]["lot"].pk}, lot({200}, {405})),
    "syntheses:synthese": (note, lecture_territoriale),
    "syntheses:vue_ensemble": (note, consolidation({200}, {200})),
    "syntheses:synthese_transition": (
        lambda o, t: {**note(o, t), "action": "valider"},
        consolidation({405}, {302}),
    ),
    "syntheses:generer": (note, generation_pdf({405}, {302})),
    "syntheses:generation_etat": (lambda o, t: {"pk": o[t]["generation"].pk}, json_generation),
    "syntheses:generation_relancer": (lambda o, t: {"pk": o[t]["generation"].pk}, relance),
    "syntheses:version": (lambda o, t: {"pk": o[t]["version"].pk}, telechargement),
    "syntheses:section": (section, lecture_territoriale),
    "syntheses:section_rediger": (section, redaction({200}, {200})),
    "syntheses:section_risques": (section, redaction({200}, {302})),
    "syntheses:section_transition": (
        lambda o, t: {**section(o, t), "action": "renvoyer"},
        consolidation({200}, {200}),
    ),
}


def urls_syntheses():
    def parcourir(motifs, espace=""):
        for motif in motifs:
            if isinstance(motif, URLResolver):
                yield from parcourir(motif.url_patterns, ":".join(filter(None, [espace, motif.namespace])))
            elif espace == "syntheses":
                yield f"{espace}:{motif.name}"

    return set(parcourir(get_resolver().url_patterns))


def test_chaque_url_des_syntheses_a_sa_regle():
    assert urls_syntheses() == set(MATRICE_SYNTHESES)


@pytest.fixture
def objets(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return objets_syntheses()


@pytest.mark.parametrize("nom", sorted(MATRICE_SYNTHESES))
def test_matrice_des_syntheses(client, objets, nom):
    kwargs, attendu = MATRICE_SYNTHESES[nom]
    ecarts = []
    for role in [r for r in ROLES if r != "demo-departement"] + ["demo-departement"]:
        client.logout()
        if role != "anonyme":
            client.force_login(User.objects.get(username=role))
        for methode in ("GET", "POST"):
            for territoire in (PROPRE, AUTRE):
                url = reverse(nom, kwargs=kwargs(objets, territoire))
                reponse = client.get(url) if methode == "GET" else client.post(url, {})
                if reponse.status_code not in attendu(role, territoire, methode):
                    ecarts.append(
                        f"{role} {territoire} {methode} {url} → {reponse.status_code}, "
                        f"attendu {attendu(role, territoire, methode)}"
                    )
                if reponse.status_code == 302 and role == "anonyme":
                    assert reponse.url.startswith(reverse("login")), url
    assert not ecarts, "\n".join(ecarts)
