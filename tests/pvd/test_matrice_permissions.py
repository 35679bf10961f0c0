"""Matrice des permissions : chaque URL du produit (lue dans la configuration d'URL, une nouvelle page ne peut
pas être oubliée) × chaque rôle × son territoire / un autre × GET et POST → la réponse attendue.

Territoire « propre » : Ille-et-Vilaine (35) / Bretagne (53), ceux des comptes de démonstration ;
« autre » : Ain (01) / Auvergne-Rhône-Alpes (84)."""

import datetime
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.urls import URLResolver, get_resolver, reverse

from communes.constants import TypeConvention
from communes.models import Action, Avenant, Convention, Financement, Import, Territoire
from comptes.models import User
from syntheses.constants import EtatGeneration
from syntheses.models import Campagne, Generation, Lot, SectionDepartementale, Synthese, VersionPdf
from syntheses.services import campagne_creer
from tests.clubs.factories import ReunionClubFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonyme", "demo-departement", "demo-region", "demo-national", "demo-admin"]
NATIONAL = ("demo-national", "demo-admin")
PROPRE, AUTRE = "propre", "autre"
TERRITOIRES = {
    PROPRE: {"commune": "35012", "departement": "35", "region": "53"},
    AUTRE: {"commune": "01034", "departement": "01", "region": "84"},
}


def urls_du_produit():
    """(nom, motif) de toutes les URL, hors administration Django (elle a ses propres contrôles : is_staff)."""

    def parcourir(motifs, prefixe="", espace=""):
        for motif in motifs:
            if isinstance(motif, URLResolver):
                if str(motif.pattern).startswith("admin/"):
                    continue
                nouvel_espace = ":".join(filter(None, [espace, motif.namespace]))
                yield from parcourir(motif.url_patterns, prefixe + str(motif.pattern), nouvel_espace)
            else:
                nom = motif.name or f"(sans nom) {prefixe}{motif.pattern}"
                yield ":".join(filter(None, [espace, nom])), prefixe + str(motif.pattern)

    return dict(parcourir(get_resolver().url_patterns))


@dataclass
class Regle:
    """kwargs(objets, territoire) → arguments de l'URL ; attendu(role, territoire, methode) → statuts permis."""

    kwargs: object
    attendu: object


def lecture_territoriale(get_only=True):
    """Lecture d'un objet territorial : hors territoire → 404 ; national et administrateur voient tout."""

    def attendu(role, territoire, methode):
        if role == "anonyme":
            return {302}
        if methode == "POST" and get_only:
            return {405}
        if role in ("demo-departement", "demo-region") and territoire == AUTRE:
            return {404}
        return {200}

    return attendu


def lecture_libre(role, territoire, methode):
    """Liste filtrée par le territoire de l'utilisateur, sans paramètre de territoire."""
    if role == "anonyme":
        return {302}
    return {405} if methode == "POST" else {200}


def edition(role, territoire, methode):
    """Modification : agents du département seulement ; les autres qui voient l'objet → 403, sinon 404."""
    if role == "anonyme":
        return {302}
    if role == "demo-departement":
        return {404} if territoire == AUTRE else {200, 302}
    if role == "demo-region" and territoire == AUTRE:
        return {404}
    return {403}


def creation_club(role, territoire, methode):
    if role == "anonyme":
        return {302}
    return {200, 302} if role == "demo-departement" else {403}


def import_depot(role, territoire, methode):
    """Dépôt d'un fichier de situations : agents départementaux et administrateurs (POST vide → le formulaire
    et son erreur) ; le régional et le national ne modifient pas le suivi → 403."""
    if role == "anonyme":
        return {302}
    return {200} if role in ("demo-departement", "demo-admin") else {403}


def import_modele(role, territoire, methode):
    if role == "anonyme":
        return {302}
    if role in ("demo-departement", "demo-admin"):
        return {200} if methode == "GET" else {405}
    return {403}


def import_job(o, t):
    """Un job d'import de demo-departement (propre) et un d'un agent de l'Ain (autre)."""
    return {"pk": o[t]["import"].pk}


def import_lecture(role, territoire, methode):
    """Page, état et rapport d'un job d'import : seulement pour son auteur ; celui d'un autre → 404."""
    if role == "anonyme":
        return {302}
    if methode == "POST":
        return {405}
    return {200} if role == "demo-departement" and territoire == PROPRE else {404}


def import_confirmation(role, territoire, methode):
    """« Importer ce fichier » (POST) : l'auteur de la simulation → redirection vers le nouveau job."""
    if role == "anonyme":
        return {302}
    if role in ("demo-region", "demo-national"):
        return {403}
    if methode == "GET":
        return {405}
    return {302} if role == "demo-departement" and territoire == PROPRE else {404}


def publique(*statuts_get, post=None):
    def attendu(role, territoire, methode):
        return set(statuts_get) if methode == "GET" else set(post or statuts_get)

    return attendu


def connexion(role, territoire, methode):
    return {200} if role == "anonyme" else {302}


def deconnexion(role, territoire, methode):
    if methode == "GET":
        return {405} if role != "anonyme" else {302, 405}
    return {302}


def accueil(role, territoire, methode):
    return {302}


def api_lecture(territorial):
    """API en lecture seule : sans jeton ni session → 401 ; agents connectés limités à leur territoire."""

    def attendu(role, territoire, methode):
        if role == "anonyme":
            return {401}
        if methode == "POST":
            return {405}
        if territorial and role in ("demo-departement", "demo-region") and territoire == AUTRE:
            return {404}
        return {200}

    return attendu


def api_publique(role, territoire, methode):
    return {405} if methode == "POST" else {200}


def compte(role, territoire, methode):
    """« Mon compte » : chaque compte connecté, pour lui-même (POST valide → redirection)."""
    if role == "anonyme":
        return {302}
    return {200} if methode == "GET" else {302}


def jeton_desinscription(o, t):
    """Lien des e-mails : jeton signé d'un compte (propre) ou jeton falsifié (autre)."""
    from comptes.models import User
    from rappels.jetons import jeton_desinscription

    if t == PROPRE:
        return {"jeton": jeton_desinscription(User.objects.get(username="demo-departement"))}
    return {"jeton": "MQ:faux:jeton"}


def desinscription(role, territoire, methode):
    """Sans connexion (le jeton fait foi), GET et POST (RFC 8058) ; jeton invalide → 404."""
    return {200} if territoire == PROPRE else {404}


commune = lambda o, t: {"code_insee": TERRITOIRES[t]["commune"]}  # noqa: E731
departement = lambda o, t: {"code": TERRITOIRES[t]["departement"]}  # noqa: E731
region = lambda o, t: {"code": TERRITOIRES[t]["region"]}  # noqa: E731
sans = lambda o, t: {}  # noqa: E731

MATRICE = {
    "accueil": Regle(sans, accueil),
    "login": Regle(sans, connexion),
    "logout": Regle(sans, deconnexion),
    "proconnect": Regle(sans, publique(404)),  # ProConnect non configuré dans les tests
    "proconnect-retour": Regle(sans, publique(404)),
    "sante": Regle(sans, publique(200, 503, post=[405])),
    # Mot de passe oublié : pages publiques (POST vide → le formulaire et son erreur) ; lien faux → page « lien
    # plus valable », en GET comme en POST (tests/comptes/test_mot_de_passe.py).
    "password_reset": Regle(sans, publique(200)),
    "password_reset_done": Regle(sans, publique(200, post=[405])),
    "password_reset_confirm": Regle(lambda o, t: {"uidb64": "MQ", "token": "faux-jeton"}, publique(200)),
    "password_reset_complete": Regle(sans, publique(200, post=[405])),  # 503 : pas de worker pendant ce test
    # Second facteur : l'activer (formulaire ; POST vide → le formulaire et son erreur) ; la vérification
    # renvoie à la page demandée un compte qui ne l'a pas activé.
    "double_facteur": Regle(sans, lambda r, t, m: {302} if r == "anonyme" else {200}),
    "verification": Regle(sans, lambda r, t, m: {302}),
    # Pages légales et d'aide : publiques, en lecture seule.
    **{
        nom: Regle(sans, publique(200, post=[405]))
        for nom in (
            "accessibilite",
            "mentions_legales",
            "donnees_personnelles",
            "cookies",
            "plan_du_site",
            "aide",
        )
    },
    "compte": Regle(sans, compte),
    "rappels:desinscription": Regle(jeton_desinscription, desinscription),
    "communes:liste": Regle(sans, lecture_libre),
    "communes:import": Regle(sans, import_depot),
    "communes:import_modele": Regle(lambda o, t: {"format_modele": "xlsx"}, import_modele),
    "communes:import_detail": Regle(import_job, import_lecture),
    "communes:import_etat": Regle(import_job, import_lecture),
    "communes:import_rapport": Regle(import_job, import_lecture),
    "communes:import_confirmer": Regle(import_job, import_confirmation),
    "communes:detail": Regle(commune, lecture_territoriale()),
    "communes:territoire": Regle(commune, edition),
    "communes:adhesion": Regle(commune, edition),
    "communes:convention_cadre": Regle(commune, edition),
    "communes:avenant_nouveau": Regle(lambda o, t: {**commune(o, t), "type_convention": "adhesion"}, edition),
    "communes:avenant": Regle(
        lambda o, t: {**commune(o, t), "type_convention": "adhesion", "pk": o[t]["avenant"].pk}, edition
    ),
    "communes:ort": Regle(commune, edition),
    # Confirmation de la convention d'adhésion reprise de la liste PVD (à confirmer dans les deux communes).
    "communes:confirmer": Regle(lambda o, t: {**commune(o, t), "quoi": "adhesion"}, edition),
    "communes:chef_de_projet": Regle(commune, edition),
    "communes:crte": Regle(commune, edition),
    "communes:risque": Regle(commune, edition),
    "communes:action_nouvelle": Regle(commune, edition),
    "communes:action": Regle(lambda o, t: {**commune(o, t), "pk": o[t]["action"].pk}, edition),
    "communes:financement_nouveau": Regle(
        lambda o, t: {**commune(o, t), "action_pk": o[t]["action"].pk}, edition
    ),
    "communes:financement": Regle(
        lambda o, t: {**commune(o, t), "action_pk": o[t]["action"].pk, "pk": o[t]["financement"].pk}, edition
    ),
    "communes:supprimer": Regle(
        lambda o, t: {**commune(o, t), "quoi": "financement", "pk": o[t]["financement"].pk}, edition
    ),
    "clubs:reunions": Regle(sans, lecture_libre),
    "clubs:reunion_creer": Regle(sans, creation_club),
    "clubs:reunion": Regle(lambda o, t: {"pk": o[t]["reunion"].pk}, lecture_territoriale()),
    "clubs:reunion_modifier": Regle(lambda o, t: {"pk": o[t]["reunion"].pk}, edition),
    "clubs:reunion_supprimer": Regle(lambda o, t: {"pk": o[t]["reunion"].pk}, edition),
    "clubs:piece_jointe": Regle(lambda o, t: {"pk": o[t]["reunion"].pk}, lecture_territoriale()),
    "clubs:rythme": Regle(sans, lecture_libre),
    "clubs:rythme_csv": Regle(sans, lecture_libre),
    "clubs:calendrier": Regle(sans, lecture_libre),
    # Le flux .ics s'ouvre aussi sans session avec un lien d'abonnement signé : sans jeton, GET → connexion ;
    # POST n'existe pas, même pour un anonyme.
    "clubs:ics": Regle(
        departement,
        lambda r, t, m: {405} if (r, m) == ("anonyme", "POST") else lecture_territoriale()(r, t, m),
    ),
    # Le tableau national : un agent départemental ou régional est renvoyé vers le tableau de son territoire.
    "tableau:regions": Regle(
        sans,
        lambda r, t, m: (
            {302} if r in ("demo-departement", "demo-region") and m == "GET" else lecture_libre(r, t, m)
        ),
    ),
    "tableau:region": Regle(region, lecture_territoriale()),
    # Recherche de l'en-tête : résultats limités au territoire de l'utilisateur (tests/territoires/test_recherche.py).
    "territoires:recherche": Regle(sans, lecture_libre),
    "tableau:departement": Regle(departement, lecture_territoriale()),
    "tableau:carte_json": Regle(sans, lecture_libre),
    "tableau:definitions": Regle(sans, lecture_libre),
    "api:communes": Regle(sans, api_lecture(False)),
    "api:commune": Regle(commune, api_lecture(True)),
    "api:communes_csv": Regle(sans, api_lecture(False)),
    "api:departements": Regle(sans, api_lecture(False)),
    "api:departement": Regle(departement, api_lecture(True)),
    "api:regions": Regle(sans, api_lecture(False)),
    "api:region": Regle(region, api_lecture(True)),
    "api:schema": Regle(sans, api_publique),
    "api:documentation": Regle(sans, api_publique),
}


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


def lecture_note(role, territoire, methode):
    """Toute la note sur une page : la région (sa note) et le national ; le département → 403 / 404 ; la page
    ne reçoit pas de POST (chaque formulaire a son adresse)."""
    if methode == "POST" and role != "anonyme":
        return {405}
    return generation_pdf({200}, set())(role, territoire, methode)


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

# Notes de synthèse : (kwargs, attendu).
MATRICE_SYNTHESES = {
    "syntheses:campagnes": (lambda o, t: {}, lecture_libre),
    "syntheses:campagne_nouvelle": (lambda o, t: {}, national_seulement({200}, {200})),
    "syntheses:campagne": (campagne, lecture_libre),
    "syntheses:lot_nouveau": (campagne, national_seulement({405}, {302})),
    "syntheses:lot": (lambda o, t: {"pk": o[t]["lot"].pk}, lot({200}, {405})),
    "syntheses:lot_etat": (lambda o, t: {"pk": o[t]["lot"].pk}, lot({200}, {405})),
    "syntheses:lot_zip": (lambda o, t: {"pk": o[t]["lot"].pk}, lot({200}, {405})),
    "syntheses:synthese": (note, lecture_territoriale()),
    "syntheses:lecture": (note, lecture_note),
    "syntheses:vue_ensemble": (note, consolidation({200}, {200})),
    "syntheses:synthese_transition": (
        lambda o, t: {**note(o, t), "action": "valider"},
        consolidation({200}, {302}),
    ),
    "syntheses:generer": (note, generation_pdf({405}, {302})),
    "syntheses:generation_etat": (lambda o, t: {"pk": o[t]["generation"].pk}, json_generation),
    "syntheses:generation_relancer": (lambda o, t: {"pk": o[t]["generation"].pk}, relance),
    "syntheses:version": (lambda o, t: {"pk": o[t]["version"].pk}, telechargement),
    "syntheses:section": (section, lecture_territoriale()),
    "syntheses:section_lecture": (section, consolidation({405}, {302})),
    "syntheses:section_rediger": (section, redaction({200}, {200})),
    "syntheses:section_risques": (section, redaction({200}, {302})),
    "syntheses:section_transition": (
        lambda o, t: {**section(o, t), "action": "renvoyer"},
        consolidation({200}, {200}),
    ),
}

MATRICE.update({nom: Regle(*regle) for nom, regle in MATRICE_SYNTHESES.items()})


# --- Échanges : notifications (chacun les siennes : « propre » = une notification de demo-departement,
# « autre » = celle d'un agent de l'Ain), commentaires et pièces jointes.
def proprietaire_seulement(get_proprietaire, post_proprietaire, get_autres, post_autres):
    def attendu(role, territoire, methode):
        if role == "anonyme":
            return {302}
        if role == "demo-departement" and territoire == PROPRE:
            return get_proprietaire if methode == "GET" else post_proprietaire
        return get_autres if methode == "GET" else post_autres

    return attendu


notification = lambda o, t: {"pk": o[t]["notification"].pk}  # noqa: E731

MATRICE_ECHANGES = {
    "echanges:notifications": (sans, lecture_libre),
    "echanges:notification": (notification, proprietaire_seulement({302}, {405}, {404}, {405})),
    "echanges:notification_lue": (notification, proprietaire_seulement({405}, {302}, {405}, {404})),
    "echanges:notifications_tout_lire": (
        sans,
        lambda r, t, m: {302} if r == "anonyme" or m == "POST" else {405},
    ),
    # Fils de commentaires : lecture par qui voit l'objet ; POST vide → le formulaire et ses erreurs.
    "echanges:fil_section": (section, lecture_territoriale(get_only=False)),
    "echanges:fil_commune": (commune, lecture_territoriale(get_only=False)),
    # Commentaire « tous les niveaux » de demo-departement (propre) ou d'un agent de l'Ain (autre) : seul
    # l'auteur le modifie (POST vide → formulaire) ; qui le lit → 403 ; qui ne le lit pas → 404. Les autres
    # visibilités : tests/echanges/test_commentaires.py (test_visibilite_appliquee_sur_chaque_page).
    "echanges:commentaire_modifier": (
        lambda o, t: {"pk": o[t]["commentaire"].pk},
        lambda r, t, m: (
            {302}
            if r == "anonyme"
            else {200}
            if (r, t) == ("demo-departement", PROPRE)
            else {404}
            if r in ("demo-departement", "demo-region") and t == AUTRE
            else {403}
        ),
    ),
    # Pièces jointes : liste lue par qui voit la commune ; dépôt par le département (POST vide → formulaire).
    "echanges:pieces": (
        commune,
        lambda r, t, m: lecture_territoriale()(r, t, m) if m == "GET" else edition(r, t, m),
    ),
    "echanges:piece_version": (
        lambda o, t: {"pk": o[t]["piece"].pk},
        lambda r, t, m: (
            {405, 302} if (r, t) == ("demo-departement", PROPRE) and m == "GET" else edition(r, t, m)
        ),
    ),
    "echanges:version_piece": (lambda o, t: {"pk": o[t]["version_piece"].pk}, lecture_territoriale()),
    "echanges:quoi_de_neuf": (sans, lecture_libre),
    "echanges:a_faire": (sans, lecture_libre),
    # Formulaire de la page « Mon compte » : POST vide → le formulaire et ses erreurs.
    "echanges:preferences": (sans, lambda r, t, m: {302} if r == "anonyme" else {200}),
}
MATRICE.update({nom: Regle(*regle) for nom, regle in MATRICE_ECHANGES.items()})

# La route de repli de l'API (réponse JSON 404 pour toute adresse inconnue sous /api/) n'a pas de page à tester.
HORS_MATRICE = {"api:(sans nom) api/^.*$"}


def test_chaque_url_du_produit_a_sa_regle():
    manquantes = sorted(set(urls_du_produit()) - set(MATRICE) - HORS_MATRICE)
    assert not manquantes, f"URL sans règle dans la matrice des permissions : {manquantes}"
    assert not set(MATRICE) - set(urls_du_produit()), "règle pour une URL qui n'existe plus"


def objets_echanges(resultat):
    """Une notification de demo-departement (propre) et une d'un agent de l'Ain (autre)."""
    from echanges.constants import TypeNotification
    from echanges.models import Notification, PieceJointe, VersionPiece

    agent_01, _ = User.objects.get_or_create(
        username="agent-01-matrice", defaults={"role": "departemental", "departement_id": "01"}
    )
    from echanges.services import commentaire_publier
    from territoires.models import Commune

    for t, user in ((PROPRE, User.objects.get(username="demo-departement")), (AUTRE, agent_01)):
        resultat[t]["notification"] = Notification.objects.create(
            destinataire=user, type=TypeNotification.ECHEANCE, cle=f"matrice:{t}", titre="Essai", url="/"
        )
        resultat[t]["commentaire"] = commentaire_publier(
            auteur=user,
            texte="Commentaire de la matrice.",
            visibilite="tous",
            commune=Commune.objects.get(code_insee=TERRITOIRES[t]["commune"]),
        )
        piece = PieceJointe.objects.create(
            commune_id=TERRITOIRES[t]["commune"], type="convention_adhesion", titre="Convention"
        )
        version = VersionPiece(
            piece=piece, numero=1, nom_original="c.pdf", content_type="application/pdf", taille=15, sha256=t
        )
        version.fichier.save("c.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        version.save()
        resultat[t].update(piece=piece, version_piece=version)
    return resultat


@pytest.fixture
def objets(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    resultat = {}
    for t, valeurs in TERRITOIRES.items():
        territoire = Territoire.objects.get(communes__code_insee=valeurs["commune"])
        adhesion, _ = Convention.objects.get_or_create(
            territoire=territoire,
            type=TypeConvention.ADHESION,
            defaults={"date_signature": datetime.date(2021, 5, 1)},
        )
        action = Action.objects.create(
            territoire=territoire, titre="Halles", theme="commerce", maitre_ouvrage="Commune"
        )
        reunion = ReunionClubFactory(departement_id=valeurs["departement"], date=datetime.date(2026, 3, 12))
        reunion.piece_jointe.save("cr.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
        resultat[t] = {
            "avenant": Avenant.objects.create(
                convention=adhesion, date_signature=datetime.date(2022, 1, 3), objet="Périmètre"
            ),
            "action": action,
            "financement": Financement.objects.create(
                action=action, dispositif="detr", montant_demande=1000, annee=2023
            ),
            "reunion": reunion,
        }
    for t, valeurs in objets_syntheses().items():
        resultat[t].update(valeurs)
    agent_01, _ = User.objects.get_or_create(
        username="agent-01-matrice", defaults={"role": "departemental", "departement_id": "01"}
    )
    for t, user in ((PROPRE, User.objects.get(username="demo-departement")), (AUTRE, agent_01)):
        job = Import.objects.create(
            user=user,
            nom_fichier="situations.csv",
            etat="done",
            rapport={"erreurs": [], "notes": [], "communes": [TERRITOIRES[t]["commune"]], "lignes": 1},
        )
        job.fichier.save("situations.csv", ContentFile(b"code_insee\n" + TERRITOIRES[t]["commune"].encode()))
        resultat[t]["import"] = job
    resultat.update(objets_echanges(resultat))
    return resultat


@pytest.mark.parametrize("nom", sorted(MATRICE))
def test_matrice(client, objets, nom):
    regle = MATRICE[nom]
    ecarts = []
    # L'agent départemental (dont le POST peut supprimer l'objet) passe en dernier.
    for role in [role for role in ROLES if role != "demo-departement"] + ["demo-departement"]:
        client.logout()
        if role != "anonyme":
            client.force_login(User.objects.get(username=role))
        for methode in ("GET", "POST"):
            for territoire in (PROPRE, AUTRE):
                url = reverse(nom, kwargs=regle.kwargs(objets, territoire))
                reponse = client.get(url) if methode == "GET" else client.post(url, {})
                attendu = regle.attendu(role, territoire, methode)
                if reponse.status_code not in attendu:
                    ecarts.append(
                        f"{role} {territoire} {methode} {url} → {reponse.status_code}, attendu {attendu}"
                    )
                if reponse.status_code == 302 and role == "anonyme" and nom not in ("logout", "accueil"):
                    assert reponse.url.startswith(reverse("login")), url
                if nom == "logout" and methode == "POST" and role != "anonyme":
                    client.force_login(User.objects.get(username=role))
    assert not ecarts, "\n".join(ecarts)


@pytest.mark.parametrize("role", ["demo-admin", "demo-national"])
def test_sans_second_facteur_aucune_page_n_est_ouverte(client, objets, settings, role):
    """Second facteur exigé (réglage de production) : un compte administrateur ou national connecté par mot
    de passe seul est renvoyé vers l'activation du second facteur depuis chaque URL du produit, en GET comme
    en POST, sauf les pages qui doivent lui rester ouvertes (déconnexion, second facteur, pages légales)."""
    from comptes.middleware import CHEMINS_LIBRES

    settings.DOUBLE_FACTEUR_ROLES = ["administrateur", "national"]
    client.force_login(User.objects.get(username=role))
    ecarts, verifiees = [], 0
    for nom, regle in sorted(MATRICE.items()):
        url = reverse(nom, kwargs=regle.kwargs(objets, PROPRE))
        if url.startswith(CHEMINS_LIBRES):
            continue
        for methode in ("GET", "POST"):
            reponse = client.get(url) if methode == "GET" else client.post(url, {})
            verifiees += 1
            if reponse.status_code != 302 or not reponse.url.startswith(reverse("double_facteur")):
                ecarts.append(f"{methode} {url} → {reponse.status_code} {reponse.get('Location', '')}")
    assert not ecarts, "\n".join(ecarts)
    assert verifiees >= len(MATRICE)  # la quasi-totalité des URL, deux méthodes chacune
    assert client.get(reverse("admin:index")).url.startswith(reverse("double_facteur"))
