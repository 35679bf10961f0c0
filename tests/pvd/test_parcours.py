"""Parcours complets des trois utilisateurs de démonstration, dans un vrai navigateur (chromium de Debian)
contre un vrai serveur gunicorn (et un vrai worker Celery pour le PDF). Chaque page visitée passe le
contrôle d'accessibilité axe-core (WCAG 2.x A et AA, aucune violation grave ou critique) et est
photographiée dans var/captures/.

Pas de fixture `db` : le serveur écrit dans la base de test ; les données préparées sont validées
(django_db_blocker) et tout ce que le parcours crée est supprimé à la fin."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.accessibilite import rapport, verifier_accessibilite
from tests.donnees import communes_pvd
from tests.syntheses.test_worker import serveur_worker, worker  # noqa: F401 (fixtures)
from tests.syntheses_outils import campagne, pdftotext

pytestmark = pytest.mark.browser

CAPTURES = Path(settings.VAR_DIR) / "captures"


class Parcours:
    """Étapes numérotées d'un parcours : contrôle d'accessibilité et capture de chaque page."""

    def __init__(self, nom):
        self.nom, self.numero = nom, 0
        CAPTURES.mkdir(parents=True, exist_ok=True)
        for ancienne in [*CAPTURES.glob(f"{nom}-*.png"), *CAPTURES.glob(f"{nom}-*.txt")]:
            ancienne.unlink()

    def etape(self, page, libelle):
        self.numero += 1
        contexte = f"parcours {self.nom}, étape {self.numero} « {libelle} »"
        mineures = verifier_accessibilite(page, contexte)
        fichier = f"{self.nom}-{self.numero:02d}-" + re.sub(r"[^a-z0-9]+", "-", libelle.lower()).strip("-")
        page.screenshot(path=CAPTURES / f"{fichier}.png", full_page=True)
        if mineures:  # ni graves ni critiques : gardées à côté de la capture, pour les relire
            (CAPTURES / f"{fichier}.txt").write_text(rapport(mineures, contexte), encoding="utf-8")


class CapturesSeules(Parcours):
    """Parcours d'un navigateur sans JavaScript : captures des pages, sans le contrôle axe-core."""

    def etape(self, page, libelle):
        self.numero += 1
        fichier = f"{self.nom}-{self.numero:02d}-" + re.sub(r"[^a-z0-9]+", "-", libelle.lower()).strip("-")
        page.screenshot(path=CAPTURES / f"{fichier}.png", full_page=True)


def modale_ouverte(page, nom):
    """La fenêtre modale DSFR `nom`, une fois ouverte (fin de son animation d'ouverture)."""
    modale = page.get_by_role("dialog", name=nom)
    expect(modale).to_be_visible()
    modale.evaluate(
        "el => Promise.all(el.getAnimations({subtree: true}).map(a => a.finished)).then(() => true)"
    )
    page.wait_for_function(
        "id => getComputedStyle(document.getElementById(id)).opacity === '1'", arg=modale.get_attribute("id")
    )
    return modale


def se_connecter(page, serveur, username, password, parcours):
    page.goto(f"{serveur}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Connexion")
    parcours.etape(page, "connexion")
    page.get_by_role("textbox", name="Identifiant").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(password)
    page.get_by_role("textbox", name="Mot de passe").press("Enter")
    page.wait_for_url(lambda url: "/connexion/" not in url)


# --- Départemental : une commune, puis le club ---------------------------------------------------------

COMMUNE = ("35085", "Combourg")


@pytest.fixture
def departemental_a_remettre(serveur, django_db_blocker):
    """Remet Combourg et le club d'Ille-et-Vilaine dans leur état initial après le parcours."""
    from clubs.models import ReunionClub

    with django_db_blocker.unblock():
        reunions_avant = set(ReunionClub.objects.values_list("pk", flat=True))
        connection.close()
    yield
    from communes.models import Action, ChefDeProjet, Territoire

    with django_db_blocker.unblock():
        territoire = Territoire.objects.get(communes__code_insee=COMMUNE[0])
        ChefDeProjet.objects.filter(territoire=territoire).delete()
        Action.objects.filter(territoire=territoire).delete()
        for reunion in ReunionClub.objects.exclude(pk__in=reunions_avant):
            if reunion.piece_jointe:
                reunion.piece_jointe.delete(save=False)
            reunion.delete()
        connection.close()


def test_parcours_departemental(page, serveur, demo_password, departemental_a_remettre):
    parcours = Parcours("departemental")
    code, nom = COMMUNE
    se_connecter(page, serveur, "demo-departement", demo_password, parcours)

    # Sa page d'accueil : la liste de ses communes, filtrable.
    expect(page.get_by_role("heading", level=1)).to_have_text("Communes PVD")
    parcours.etape(page, "liste des communes")
    page.get_by_role("link", name=nom, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(nom)
    parcours.etape(page, "fiche commune")

    # Le chef de projet vient de prendre son poste.
    page.get_by_role("link", name="Renseigner le chef de projet").click()
    parcours.etape(page, "formulaire chef de projet")
    page.get_by_label("Statut").select_option(label="En poste")
    page.get_by_label("Nom").fill("Anne Le Goff")
    page.get_by_label("Employeur").fill("Commune de Combourg")
    page.get_by_label("Prise de poste").fill("2023-02-01")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Chef de projet : modification enregistrée.")).to_be_visible()
    expect(page.locator("#chef-de-projet")).to_contain_text("Anne Le Goff")

    # Une action engagée, financée par le fonds vert.
    page.get_by_role("link", name="Nouvelle action").click()
    parcours.etape(page, "formulaire action")
    page.get_by_label("Titre").fill("Rénovation énergétique de la médiathèque")
    page.get_by_role("combobox", name="Thème").select_option(label="Transition écologique")
    page.get_by_label("Maître d’ouvrage").fill("Commune")
    page.get_by_label("Coût total (€)").fill("480000")
    page.get_by_label("Statut").select_option(label="Engagée")
    page.get_by_label("Date d’engagement").fill("2023-09-15")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("modification enregistrée").first).to_be_visible()

    page.get_by_role(
        "link", name="Ajouter un financement à l’action Rénovation énergétique de la médiathèque"
    ).click()
    parcours.etape(page, "formulaire financement")
    page.get_by_label("Dispositif").select_option(label="Fonds vert")
    page.get_by_label("Axe du fonds vert").select_option(label="Axe 1 – Performance environnementale")
    page.get_by_label("Mesure du fonds vert").select_option(
        label="Rénovation énergétique des bâtiments publics locaux"
    )
    page.get_by_label("Montant demandé (€)").fill("200000")
    page.get_by_label("Montant accordé (€)").fill("150000")
    page.get_by_label("Année").fill("2023")
    page.get_by_role("button", name="Enregistrer").click()

    # Retour à la fiche : confirmation, action et financement affichés, historique.
    expect(page.get_by_role("heading", level=1)).to_have_text(nom)
    actions = page.locator("#actions")
    expect(actions).to_contain_text("Rénovation énergétique de la médiathèque")
    expect(actions).to_contain_text("Fonds vert")
    historique = page.locator("#historique")
    expect(historique).to_contain_text("Création : Chef de projet")
    expect(historique).to_contain_text("Création : Action « Rénovation énergétique de la médiathèque »")
    expect(historique).to_contain_text("Claire Morvan")
    parcours.etape(page, "fiche commune mise a jour")

    # Le club départemental vient de se réunir.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Clubs PVD").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clubs PVD")
    parcours.etape(page, "clubs")
    page.get_by_role("link", name="Enregistrer une réunion").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enregistrer une réunion du club")
    parcours.etape(page, "formulaire reunion")
    aujourd_hui = timezone.localdate()
    page.get_by_label("Date").fill(aujourd_hui.isoformat())
    cocher(page, "Présentiel")
    cocher(page, "Chefs de projet")
    page.get_by_label("Nombre de participants").fill("14")
    cocher(page, f"{nom} ({code})")
    cocher(page, "Fonds vert")
    page.get_by_role("textbox", name=re.compile("^Compte rendu")).fill(
        "Retour d’expérience sur la rénovation énergétique des bâtiments publics."
    )
    page.get_by_role("button", name="Enregistrer la réunion").click()
    expect(page.get_by_text("La réunion est enregistrée.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Club PVD Ille-et-Vilaine : réunion du")
    parcours.etape(page, "reunion enregistree")

    # Elle apparaît dans la liste des réunions.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Clubs PVD").click()
    ligne = page.get_by_role("row").filter(has_text=aujourd_hui.strftime("%d/%m/%Y"))
    expect(ligne).to_have_count(1)
    expect(ligne).to_contain_text("Présentiel")
    expect(ligne).to_contain_text("Chefs de projet")
    expect(ligne.get_by_role("cell", name="14", exact=True)).to_be_visible()
    parcours.etape(page, "clubs avec la reunion")


def cocher(page, libelle):
    """Coche une case ou un bouton radio DSFR en cliquant son libellé, comme un utilisateur."""
    case = page.get_by_label(libelle, exact=True)
    page.locator(f'label[for="{case.get_attribute("id")}"]').click()
    expect(case).to_be_checked()


# --- Régional : la note de synthèse, du renvoi au PDF ------------------------------------------------

TEXTES = {
    "dynamique": "Les communes avancent vers la phase opérationnelle.",
    "leviers": "Le fonds vert et l’ingénierie des chefs de projet.",
    "difficultes": "Le recrutement des chefs de projet reste difficile.",
}


@pytest.fixture
def note_bretagne(serveur_worker, django_db_blocker):  # noqa: F811
    """Une campagne dont les quatre sections bretonnes sont soumises : l'Ille-et-Vilaine par le compte
    de démonstration (services), les trois autres comme le fait `creer_campagne_demo`."""
    from comptes.models import User
    from syntheses.constants import EtatSection
    from syntheses.models import Campagne, Lot, SectionDepartementale, Synthese, VersionPdf
    from syntheses.services import section_enregistrer, section_risques_confirmer, section_soumettre

    with django_db_blocker.unblock():
        c = campagne(nom="Campagne du parcours régional", user=User.objects.get(username="demo-national"))
        note = Synthese.objects.get(campagne=c, region="53")
        maintenant = timezone.now()
        for section in note.sections.exclude(departement="35"):
            for champ, texte in TEXTES.items():
                setattr(section, champ, f"{texte} ({section.departement.nom})")
            section.etat = EtatSection.SOUMISE
            section.risques_confirmes_le = section.soumise_le = maintenant
            section.save()
        departemental = User.objects.get(username="demo-departement")
        section = note.sections.get(departement="35")
        section = section_enregistrer(
            section=section, user=departemental, texte_libre="", version=section.version, **TEXTES
        )
        section = section_risques_confirmer(section=section, user=departemental, communes=[])
        section_soumettre(section=section, user=departemental)
        assert set(note.sections.values_list("etat", flat=True)) == {EtatSection.SOUMISE}
        assert SectionDepartementale.objects.filter(synthese=note).count() == 4
        connection.close()
    yield c
    with django_db_blocker.unblock():
        for version in VersionPdf.objects.filter(synthese__campagne=c):
            version.fichier.delete(save=False)
        Lot.objects.filter(campagne=c).delete()
        Campagne.objects.filter(pk=c.pk).delete()
        connection.close()


def test_parcours_regional(
    navigateur,
    page,
    serveur_worker,  # noqa: F811
    worker,  # noqa: F811
    note_bretagne,
    demo_password,
    tmp_path,
):
    parcours = Parcours("regional")
    serveur = serveur_worker
    se_connecter(page, serveur, "demo-region", demo_password, parcours)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bretagne")
    parcours.etape(page, "tableau de bord region")

    # La note de la campagne.
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Notes de synthèse"
    ).click()
    parcours.etape(page, "campagnes")
    page.get_by_role("link", name="Campagne du parcours régional").click()
    parcours.etape(page, "campagne")
    page.get_by_role("link", name="Note de la région Bretagne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Note de synthèse — Bretagne")
    sections = page.get_by_role("table", name="Sections départementales de la note")
    for departement in ("Côtes-d'Armor (22)", "Finistère (29)", "Ille-et-Vilaine (35)", "Morbihan (56)"):
        expect(sections.get_by_role("row", name=re.compile(re.escape(departement)))).to_contain_text(
            "Soumise"
        )
    parcours.etape(page, "note")

    # Toute la note sur une page : chaque section, son état, ses chiffres ; les chiffres de la région à côté de
    # la vue d'ensemble.
    page.get_by_role("link", name="Lire toute la note sur une page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lecture de la note — Bretagne")
    for code, nom in (
        ("22", "Côtes-d'Armor"),
        ("29", "Finistère"),
        ("35", "Ille-et-Vilaine"),
        ("56", "Morbihan"),
    ):
        article = page.locator(f"#section-{code}")
        expect(article.get_by_role("heading", level=2)).to_have_text(f"{nom} ({code})")
        expect(article).to_contain_text(TEXTES["leviers"])
        expect(article).to_contain_text("À lire")
    expect(page.get_by_role("complementary", name="Chiffres de la région")).to_contain_text("Communes PVD")
    parcours.etape(page, "lecture de toute la note")

    # Deux sections acceptées (l'une avec un commentaire pour le département).
    for code, commentaire_lecture in (("22", ""), ("29", "Merci : le point sur le CRTE est très utile.")):
        article = page.locator(f"#section-{code}")
        article.locator("label", has_text="Acceptée pour la note").click()
        if commentaire_lecture:
            article.get_by_role("textbox", name=re.compile("^Commentaire pour le département")).fill(
                commentaire_lecture
            )
        article.get_by_role("button", name=re.compile("^Enregistrer la lecture")).click()
        expect(page.get_by_role("status").filter(has_text="marquée comme acceptée")).to_be_visible()
        expect(page.locator(f"#section-{code}")).to_contain_text("Acceptée")
    expect(page.locator("#section-29")).to_contain_text("1 commentaire")
    parcours.etape(page, "deux sections acceptees")

    # Renvoi de la section d'Ille-et-Vilaine : la confirmation s'ouvre dans une fenêtre modale DSFR.
    article = page.locator("#section-35")
    article.get_by_role("link", name="Renvoyer au département").click()
    modale = modale_ouverte(page, "Renvoyer la section Ille-et-Vilaine au département")
    expect(modale).to_contain_text("devra la soumettre à nouveau")
    parcours.etape(page, "fenetre de renvoi")
    commentaire = "Précisez les leviers mobilisés pour le recrutement des chefs de projet."
    modale.get_by_role("textbox", name="Ce que le département doit reprendre").fill(commentaire)
    modale.get_by_role("button", name="Renvoyer au département").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lecture de la note — Bretagne")
    expect(page.locator("#section-35")).to_contain_text("Renvoyée au département")
    parcours.etape(page, "section renvoyee")

    # Le département la reprend et la soumet de nouveau : second navigateur, son propre compte, sans
    # JavaScript (la confirmation est alors une page).
    contexte_dep = navigateur.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    try:
        dep = contexte_dep.new_page()
        dep.set_default_timeout(15000)
        # Sans JavaScript, pas de contrôle axe-core (il s'exécute dans la page) : des captures seulement.
        parcours_dep = CapturesSeules("regional-departement")
        se_connecter(dep, serveur, "demo-departement", demo_password, parcours_dep)
        dep.get_by_role("navigation", name="Menu principal").get_by_role(
            "link", name="Notes de synthèse"
        ).click()
        dep.get_by_role("link", name="Campagne du parcours régional").click()
        dep.get_by_role("link", name="Note de la région Bretagne").click()
        parcours_dep.etape(dep, "note vue du departement")
        dep.get_by_role("link", name="Ille-et-Vilaine (35)").click()
        alerte = dep.get_by_role("status").filter(has_text="Section renvoyée par la région")
        expect(alerte).to_contain_text(commentaire)
        parcours_dep.etape(dep, "section renvoyee")
        dep.get_by_role("link", name="Rédiger la section").click()
        parcours_dep.etape(dep, "redaction")
        leviers = dep.get_by_role("textbox", name=re.compile("^Leviers"))
        leviers.fill(
            TEXTES["leviers"] + " Un appui de la DDTM au recrutement a permis de pourvoir deux postes."
        )
        dep.get_by_role("button", name="Enregistrer").click()
        # Sans JavaScript, le bouton mène à la page de confirmation, qui dit ce que l'action change.
        dep.get_by_role("link", name="Soumettre la section à la région").click()
        expect(dep.get_by_role("heading", level=1)).to_contain_text("Soumettre la section à la région")
        expect(dep.get_by_text("ne se modifie plus").first).to_be_visible()
        parcours_dep.etape(dep, "confirmation de la soumission")
        dep.get_by_role("button", name="Soumettre la section à la région").click()
        expect(dep.get_by_text("Soumise à la région").first).to_be_visible()
        parcours_dep.etape(dep, "section soumise")
    finally:
        contexte_dep.close()

    # La région relit la section soumise à nouveau, rédige la vue d'ensemble à côté des chiffres de la
    # région, puis valide et transmet (chaque fois confirmé dans une fenêtre modale).
    page.reload()
    expect(page.locator("#section-35")).to_contain_text("Un appui de la DDTM au recrutement")
    expect(page.locator("#section-35")).to_contain_text("À lire")
    page.get_by_role("textbox", name=re.compile("^Vue d’ensemble")).fill(
        "La Bretagne avance : la moitié des communes sont en phase opérationnelle."
    )
    page.get_by_role("textbox", name="Lieu de signature").fill("Rennes")
    page.get_by_role("textbox", name="Titre du signataire").fill("Le préfet de la région Bretagne")
    page.get_by_role("textbox", name="Nom du signataire").fill("Philippe Gustin")
    page.get_by_role("button", name="Enregistrer la vue d’ensemble").click()
    expect(page.get_by_role("status").filter(has_text="Vue d’ensemble régionale enregistrée")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lecture de la note — Bretagne")
    page.get_by_role("link", name="Valider la note").click()
    modale = modale_ouverte(page, "Valider la note")
    expect(modale).to_contain_text("2 sections soumises pas encore marquées « acceptée »")
    parcours.etape(page, "fenetre de validation")
    modale.get_by_role("button", name="Valider la note").click()
    expect(page.get_by_role("status").filter(has_text="Note validée")).to_be_visible()
    page.get_by_role("link", name="Transmettre au ministère").click()
    modale = modale_ouverte(page, "Transmettre la note au ministère")
    expect(modale).to_contain_text("La transmission est définitive")
    parcours.etape(page, "fenetre de transmission")
    modale.get_by_role("button", name="Transmettre au ministère").click()
    expect(page.get_by_role("status").filter(has_text="Note transmise au ministère")).to_be_visible()

    # Le PDF définitif, produit par le worker dès la transmission, se télécharge depuis la page de la note.
    page.get_by_role("link", name="page de la note (PDF, historique)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Note de synthèse — Bretagne")
    lien = page.get_by_role("link", name=re.compile(r"^Télécharger le PDF"))
    lien.wait_for(timeout=120_000)
    parcours.etape(page, "note transmise et pdf definitif")
    with page.expect_download() as telechargement:
        lien.click()
    contenu = Path(telechargement.value.path()).read_bytes()
    assert contenu[:5] == b"%PDF-"
    texte = pdftotext(contenu, tmp_path)
    assert "Transmise au ministère" in texte
    assert "Document de travail" not in texte and "DOCUMENT DE TRAVAIL" not in texte
    assert "Ille-et-Vilaine (35)" in texte and "Finistère (29)" in texte
    assert "Un appui de la DDTM au recrutement" in texte
    assert "Philippe Gustin" in texte and "Rennes, le" in " ".join(texte.split())


# --- National : tableau de bord, descente, exports -------------------------------------------------


def test_parcours_national(page, serveur, demo_password):
    parcours = Parcours("national")
    se_connecter(page, serveur, "demo-national", demo_password, parcours)
    expect(page.get_by_role("heading", level=1)).to_have_text("Avancement national")
    chiffres = page.get_by_role("region", name="Chiffres clés")
    expect(chiffres.get_by_role("listitem").first).to_be_visible()
    expect(chiffres).to_contain_text("Communes PVD")
    expect(chiffres).to_contain_text("1 645")
    parcours.etape(page, "tableau de bord national")

    # Descente : région → département → commune, par les tableaux.
    page.get_by_role("table").get_by_role("link", name="Bretagne", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bretagne")
    parcours.etape(page, "tableau de bord region")
    page.get_by_role("table").get_by_role("link", name="Ille-et-Vilaine (35)", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ille-et-Vilaine (35)")
    parcours.etape(page, "tableau de bord departement")
    page.get_by_role("link", name="Cancale", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancale")
    parcours.etape(page, "fiche commune")
    fil = page.get_by_role("navigation", name="vous êtes ici :")
    fil.get_by_role("link", name=re.compile("Ille-et-Vilaine")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ille-et-Vilaine (35)")

    # Exports d'un tableau de chiffres : CSV puis XLSX.
    with page.expect_download() as telechargement:
        page.get_by_role("link", name="CSV – Actions par statut").click()
    contenu = Path(telechargement.value.path()).read_text(encoding="utf-8-sig")
    lignes = list(csv.reader(io.StringIO(contenu), delimiter=";"))
    assert telechargement.value.suggested_filename.endswith(".csv")
    assert lignes[0] == ["Statut", "Actions", "Coût total (€)"]
    assert any(ligne[0] == "Engagée" for ligne in lignes[1:])
    with page.expect_download() as telechargement:
        page.get_by_role("link", name="XLSX – Actions par statut").click()
    assert telechargement.value.suggested_filename.endswith(".xlsx")
    classeur = load_workbook(io.BytesIO(Path(telechargement.value.path()).read_bytes()), read_only=True)
    lignes = [list(ligne) for ligne in classeur.worksheets[0].iter_rows(values_only=True)]
    entete = next(ligne for ligne in lignes if ligne and ligne[0] == "Statut")
    assert entete[:2] == ["Statut", "Actions"]
    assert any(ligne and ligne[0] == "Engagée" for ligne in lignes)

    # La liste des communes, filtrée sur le département, exportée.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Communes PVD").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Communes PVD")
    parcours.etape(page, "liste des communes")
    with page.expect_download() as telechargement:
        page.get_by_role("link", name="Exporter la liste filtrée en CSV").click()
    contenu = Path(telechargement.value.path()).read_text(encoding="utf-8-sig")
    lignes = list(csv.DictReader(io.StringIO(contenu), delimiter=";"))
    assert len(lignes) == len(communes_pvd())
    assert any(
        ligne_commune.get("Commune") == "Cancale" or "35049" in ligne_commune.values()
        for ligne_commune in lignes
    )


# --- Visiteur : pages légales depuis le pied de page, puis le mode sombre ------------------------------


def test_parcours_pages_legales_et_mode_sombre(page, serveur):
    parcours = Parcours("public")
    page.goto(f"{serveur}/connexion/")
    pied = page.locator("footer")
    for libelle, titre in [
        ("Plan du site", "Plan du site"),
        ("Accessibilité : non conforme", "Déclaration d’accessibilité"),
        ("Mentions légales", "Mentions légales"),
        ("Données personnelles", "Données personnelles"),
        ("Gestion des cookies", "Gestion des cookies"),
        ("Aide", "Aide"),
    ]:
        pied.get_by_role("link", name=libelle, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(titre)
        parcours.etape(page, titre)

    # Paramètres d'affichage du DSFR, au clavier : le thème sombre s'applique et reste d'une page à l'autre.
    bouton = pied.get_by_role("button", name="Paramètres d’affichage")
    bouton.focus()
    page.keyboard.press("Enter")
    fenetre = page.get_by_role("dialog", name="Paramètres d’affichage")
    expect(fenetre).to_be_visible()
    fenetre.get_by_text("Thème sombre").click()
    expect(page.locator("html")).to_have_attribute("data-fr-theme", "dark")
    fenetre.get_by_role("button", name="Fermer").click()
    page.goto(f"{serveur}/une-page-qui-n-existe-pas/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page.locator("html")).to_have_attribute("data-fr-theme", "dark")
    fond = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert fond != "rgb(255, 255, 255)", fond
    parcours.etape(page, "page introuvable en mode sombre")


# --- Administrateur : second facteur exigé, comme en production ---------------------------------------


@pytest.fixture
def serveur_double_facteur(django_db_setup, django_db_blocker, tmp_path):
    """Un serveur qui exige le second facteur des administrateurs et nationaux, et un administrateur neuf
    (supprimé à la fin : les autres tests gardent les comptes de démonstration sans second facteur)."""
    from comptes.models import User
    from tests.processus import gunicorn, process_env

    with django_db_blocker.unblock():
        User.objects.filter(username="admin-2fa").delete()
        User.objects.create_user(
            "admin-2fa",
            password="Un-mot-de-passe-2fa!",
            role="administrateur",
            is_staff=True,
            is_superuser=True,
        )
        connection.close()
    env = process_env(CONN_MAX_AGE="0", DOUBLE_FACTEUR_ROLES="administrateur,national")
    with gunicorn(env, tmp_path) as url:
        yield url
    with django_db_blocker.unblock():
        User.objects.filter(username="admin-2fa").delete()
        connection.close()


def test_parcours_second_facteur_de_l_administrateur(page, serveur_double_facteur, django_db_blocker):
    import base64

    from django_otp.oath import totp

    serveur = serveur_double_facteur
    parcours = Parcours("double-facteur")
    se_connecter(page, serveur, "admin-2fa", "Un-mot-de-passe-2fa!", parcours)
    expect(page.get_by_role("heading", level=1)).to_have_text("Second facteur d’authentification")
    expect(page.get_by_text("Étape obligatoire pour votre compte")).to_be_visible()
    expect(page.locator(".pvd-qr-code svg")).to_be_visible()
    parcours.etape(page, "activation du second facteur")
    # Ce que ferait l'application du téléphone : la clé affichée donne le code du moment.
    cle = page.locator("#cle-totp").inner_text().replace(" ", "")
    code = totp(base64.b32decode(cle + "=" * (-len(cle) % 8)))
    page.get_by_role("textbox", name="Code à 6 chiffres").fill(f"{code:06d}")
    page.get_by_role("button", name="Activer le second facteur").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos codes de secours")
    expect(page.locator("#codes-secours li")).to_have_count(10)
    parcours.etape(page, "codes de secours")
    page.get_by_role("link", name="Continuer").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Vos codes de secours")
    page.goto(f"{serveur}/admin/")
    expect(page).to_have_title(re.compile("administration"))
