"""Formulaires et fiche dans un vrai navigateur (Chromium de Debian, vrai gunicorn) : le résumé des erreurs
reçoit le focus, la liste des mesures suit l'axe (et sans JavaScript le serveur refuse), le tableau des
financements est lisible à 375 px, la fiche s'imprime sur une page A4."""

import datetime
import io
import re
import subprocess
from decimal import Decimal

import pytest
from pypdf import PdfReader

from communes.constants import (
    MESURES_PAR_AXE,
    MesureFondsVert,
    StatutAction,
    StatutChefDeProjet,
    TypeConvention,
)
from tests.pvd.test_navigateur import se_connecter

pytestmark = pytest.mark.browser

CODE = "35093"  # Dinard, Ille-et-Vilaine : département du compte de démo
# Autant d'actions que le territoire le plus rempli du suivi de démonstration (communes.demo), chacune avec
# deux lignes de financement.
ACTIONS = 12


@pytest.fixture
def fiche_remplie(django_db_blocker):
    """Le suivi d'un territoire aussi rempli qu'une fiche de démonstration ; remis dans son état initial après."""
    from communes.models import Action, ChefDeProjet, Convention, Financement, Ort, Territoire

    with django_db_blocker.unblock():
        t = Territoire.objects.get(communes__code_insee=CODE)
        avant = set(Convention.objects.filter(territoire=t).values_list("pk", flat=True))
        Convention.objects.get_or_create(
            territoire=t,
            type=TypeConvention.ADHESION,
            defaults={"date_signature": datetime.date(2021, 5, 21)},
        )
        Convention.objects.get_or_create(
            territoire=t,
            type=TypeConvention.CADRE,
            defaults={
                "date_signature": datetime.date(2022, 3, 19),
                "commentaire": "Saisie par la préfecture.",
            },
        )
        ort_cree = not Ort.objects.filter(territoire=t).exists()
        if ort_cree:
            Ort.objects.create(territoire=t, date_signature=datetime.date(2023, 5, 31), duree_annees=6)
        chef_cree = not ChefDeProjet.objects.filter(territoire=t).exists()
        if chef_cree:
            ChefDeProjet.objects.create(
                territoire=t,
                statut=StatutChefDeProjet.VACANT,
                employeur="Commune",
                date_prise_poste=datetime.date(2021, 12, 12),
                date_depart=datetime.date(2023, 11, 10),
            )
        actions = []
        for i in range(ACTIONS):
            action = Action.objects.create(
                territoire=t,
                titre=f"Action de revitalisation du centre-bourg n° {i + 1}",
                theme="cadre_de_vie",
                maitre_ouvrage="Commune",
                cout=Decimal("480000.50") + i,
                statut=StatutAction.ENGAGEE if i % 2 else StatutAction.NON_DEMARREE,
                date_engagement=datetime.date(2023, 1, 1) if i % 2 else None,
            )
            Financement.objects.create(
                action=action,
                dispositif="fonds_vert",
                axe_fonds_vert="2",
                mesure_fonds_vert="renaturation",
                montant_demande=Decimal("191000"),
                montant_accorde=Decimal("113800.50"),
                annee=2023,
            )
            Financement.objects.create(
                action=action, dispositif="detr", montant_demande=Decimal("135300"), annee=2024
            )
            actions.append(action)
    yield {"territoire": t, "actions": actions}
    with django_db_blocker.unblock():
        Action.objects.filter(territoire=t).delete()
        Convention.objects.filter(territoire=t).exclude(pk__in=avant).delete()
        if ort_cree:
            Ort.objects.filter(territoire=t).delete()
        if chef_cree:
            ChefDeProjet.objects.filter(territoire=t).delete()


@pytest.fixture
def contexte(navigateur):
    """Des contextes de navigateur supplémentaires (petit écran, sans JavaScript), qui échouent comme `page`
    sur une erreur de la console (CSP, script)."""
    ouverts, erreurs = [], []

    def ouvrir(**options):
        ctx = navigateur.new_context(locale="fr-FR", **options)
        p = ctx.new_page()
        p.set_default_timeout(15000)
        p.on(
            "console",
            lambda m: (
                erreurs.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None
            ),
        )
        p.on("pageerror", lambda e: erreurs.append(str(e)))
        ouverts.append(ctx)
        return p

    yield ouvrir
    for ctx in ouverts:
        ctx.close()
    assert not erreurs, erreurs


def test_le_resume_des_erreurs_recoit_le_focus_et_mene_aux_champs(page, serveur, demo_password):
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.goto(f"{serveur}/communes/{CODE}/actions/nouvelle/")
    assert not page.title().startswith("Erreur")
    page.get_by_label("Coût total (€)").fill("480.000")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/actions/nouvelle/$"))
    assert page.title().startswith("Erreur – Action — Dinard")
    # Le focus est sur le résumé, pas sur le corps de la page : un lecteur d'écran lit les erreurs d'abord.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'resume-erreurs'")
    resume = page.locator("#resume-erreurs")
    assert resume.get_by_role("heading", level=2).inner_text().startswith("Le formulaire contient ")
    assert resume.evaluate("e => e.getBoundingClientRect().top < window.innerHeight")
    liens = resume.get_by_role("link")
    assert liens.count() >= 4
    assert "Coût total (€) : Montant ambigu" in resume.inner_text()
    # Au clavier : Tab mène au premier lien du résumé, Entrée au champ en erreur.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").startswith("Titre : ")
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_titre'")
    # Le lien du montant mène au champ du montant, qui garde ce qui a été tapé.
    resume.get_by_role("link", name=re.compile("^Coût total")).click()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_cout'")
    assert page.locator("#id_cout").input_value() == "480.000"


def libelles(axe):
    return [
        MesureFondsVert(m).label for m in MESURES_PAR_AXE[axe] if m != MesureFondsVert.RISQUES_CYCLONIQUES
    ]


def test_la_liste_des_mesures_suit_l_axe(page, serveur, demo_password, fiche_remplie, django_db_blocker):
    from communes.models import Financement

    action = fiche_remplie["actions"][0]
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.goto(f"{serveur}/communes/{CODE}/actions/{action.pk}/financements/nouveau/")
    mesure = page.get_by_role("combobox", name="Mesure du fonds vert")
    page.get_by_label("Dispositif").select_option(label="Fonds vert")
    page.get_by_label("Axe du fonds vert").select_option("1")
    assert mesure.locator("option").all_inner_texts()[1:] == libelles("1")
    mesure.select_option(label=MesureFondsVert.BIODECHETS.label)
    # Un autre axe : ses mesures seulement (et pas les risques cycloniques en Bretagne), le choix est remis à zéro.
    page.get_by_label("Axe du fonds vert").select_option("2")
    assert mesure.locator("option").all_inner_texts()[1:] == libelles("2")
    assert MesureFondsVert.RISQUES_CYCLONIQUES.label not in mesure.inner_text()
    assert mesure.input_value() == ""
    mesure.select_option(label=MesureFondsVert.TRAIT_DE_COTE.label)
    page.get_by_label("Montant demandé (€)").fill("480 000,50")
    page.get_by_label("Année").fill("2024")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(rf"/communes/{CODE}/#actions$"))
    with django_db_blocker.unblock():
        ligne = Financement.objects.filter(action=action, mesure_fonds_vert="trait_de_cote").get()
    assert (ligne.axe_fonds_vert, ligne.montant_demande) == ("2", Decimal("480000.50"))
    # Le message est dans la section des actions, à l'écran après le retour à la fiche.
    message = page.locator("#actions .pvd-message-section")
    assert message.inner_text() == "Ligne de financement : modification enregistrée."
    assert message.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )


def test_sans_javascript_le_serveur_refuse_une_mesure_d_un_autre_axe(
    contexte, serveur, demo_password, fiche_remplie, django_db_blocker
):
    from communes.models import Financement

    action = fiche_remplie["actions"][0]
    page = contexte(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.goto(f"{serveur}/communes/{CODE}/actions/{action.pk}/financements/nouveau/")
    page.get_by_label("Dispositif").select_option(label="Fonds vert")
    page.get_by_label("Axe du fonds vert").select_option("1")
    # Sans script, la liste reste celle de tous les axes (groupés) : on peut y choisir une mesure de l'axe 3.
    page.get_by_role("combobox", name="Mesure du fonds vert").select_option(
        label=MesureFondsVert.FRICHES.label
    )
    page.get_by_label("Montant demandé (€)").fill("1 000")
    page.get_by_label("Année").fill("2024")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.title().startswith("Erreur – ")
    assert (
        "Mesure du fonds vert : La mesure « Recyclage des friches » n’appartient pas à l’Axe 1"
        in page.locator("#resume-erreurs").inner_text()
    )
    # Après l'erreur, le serveur ne propose plus que les mesures de l'axe choisi.
    assert page.get_by_role("combobox", name="Mesure du fonds vert").locator("option").all_inner_texts()[
        1:
    ] == libelles("1")
    with django_db_blocker.unblock():
        assert not Financement.objects.filter(action=action, mesure_fonds_vert="friches").exists()


def test_a_375_px_accorde_et_gerer_sont_a_l_ecran(contexte, serveur, demo_password, fiche_remplie):
    page = contexte(viewport={"width": 375, "height": 800})
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.goto(f"{serveur}/communes/{CODE}/")
    # La page ne défile jamais de côté.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    tableau = page.get_by_role("table", name=re.compile("^Financements de l’action")).first
    for cellule in (
        tableau.locator("td[data-label='Accordé']").first,
        tableau.locator("td[data-label='Gérer']").first,
    ):
        cellule.scroll_into_view_if_needed()
        boite = cellule.bounding_box()
        assert boite["x"] >= 0 and boite["x"] + boite["width"] <= 375, boite
        # Rien ne la recouvre ni ne la coupe : le point au centre est bien dans la cellule.
        assert cellule.evaluate(
            "e => { const r = e.getBoundingClientRect(); return e.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }"
        )
    assert "Accordé" in tableau.locator("td[data-label='Accordé']").first.evaluate(
        "e => getComputedStyle(e, '::before').content"
    )
    assert "113\u202f800,50\u00a0€" in tableau.locator("td[data-label='Accordé']").first.inner_text()
    # Les en-têtes restent ceux du tableau pour les lecteurs d'écran.
    assert tableau.get_by_role("columnheader", name="Accordé").count() == 1
    assert tableau.get_by_role("columnheader", name="Gérer").count() == 1
    # « Gérer » s'atteint au doigt : le lien « Modifier » ouvre la ligne de financement.
    tableau.locator("td[data-label='Gérer']").first.get_by_role("link", name=re.compile("^Modifier")).click()
    page.wait_for_url(re.compile(r"/financements/\d+/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Ligne de financement"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_la_fiche_s_imprime_sur_une_page(page, serveur, demo_password, fiche_remplie, tmp_path):
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.goto(f"{serveur}/communes/{CODE}/")
    assert page.get_by_role("button", name="Imprimer la fiche").is_visible()
    assert page.evaluate("document.documentElement.scrollHeight") > 3 * 1123  # à l'écran : plus de trois A4
    pdf = page.pdf(prefer_css_page_size=True)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    chemin = tmp_path / "fiche.pdf"
    chemin.write_bytes(pdf)
    texte = subprocess.run(
        ["pdftotext", "-layout", str(chemin), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Dinard" in texte and "Ce qui manque pour la phase opérationnelle" in texte
    for action in fiche_remplie["actions"]:
        assert action.titre in texte
    assert "Historique" not in texte and "Imprimer la fiche" not in texte and "Se déconnecter" not in texte
    # Les tableaux ne sont pas dans un conteneur qui défile à l'impression (Chromium l'imprimait en blanc).
    page.emulate_media(media="print")
    assert page.evaluate(
        "() => Array.from(document.querySelectorAll('.fr-table__container, .fr-table__wrapper')).filter(e => e.offsetParent).every(e => getComputedStyle(e).overflowX === 'visible')"
    )


def test_les_tableaux_du_tableau_de_bord_ne_s_impriment_pas_en_blanc(page, serveur, demo_password):
    se_connecter(page, serveur, "demo-national", demo_password)
    page.wait_for_url(re.compile(r"/regions/$"))
    page.emulate_media(media="print")
    conteneurs = page.locator(".fr-table__container")
    assert conteneurs.count() > 0
    assert page.evaluate(
        "() => Array.from(document.querySelectorAll('.fr-table__container, .fr-table__wrapper')).every(e => getComputedStyle(e).overflowX === 'visible' && getComputedStyle(e).overflowY === 'visible')"
    )
