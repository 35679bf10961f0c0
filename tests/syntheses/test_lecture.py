"""Vue de lecture de la région : toute la note sur une page, marque « lue / acceptée » et commentaire par
section, chiffres de la région à côté de la vue d'ensemble, confirmations (fenêtre modale ou page)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import escape

from echanges.constants import Visibilite
from echanges.models import Commentaire, Notification
from syntheses.constants import ActionTransition, EtatSection, LectureSection
from syntheses.models import SectionDepartementale, Synthese, Transition
from syntheses.services import (
    TransitionInterdite,
    section_lecture_marquer,
    section_renvoyer,
    section_soumettre,
    synthese_valider,
    synthese_vue_ensemble_enregistrer,
)
from territoires.models import Departement
from tests.syntheses.test_vues import _requetes
from tests.syntheses.test_workflow import agent, rediger, soumettre_complet
from tests.syntheses_outils import campagne

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(user_national):
    c = campagne(user=user_national)
    return Synthese.objects.select_related("campagne", "region").get(campagne=c, region="53")


def _section(note, code):
    return SectionDepartementale.objects.select_related("synthese").get(synthese=note, departement=code)


def test_la_region_marque_lue_puis_acceptee_et_une_nouvelle_soumission_efface_la_marque(note, user_regional):
    s = soumettre_complet(note, "22")
    s = section_lecture_marquer(
        section=s, user=user_regional, lecture=LectureSection.LUE, commentaire="Merci, à préciser : le CRTE."
    )
    assert (s.lecture, s.lecture_par) == (LectureSection.LUE, user_regional)
    # Le commentaire part dans le fil de la section (département et région) ; le département en est prévenu.
    commentaire = Commentaire.objects.get(section=s)
    assert (commentaire.texte, commentaire.visibilite, commentaire.auteur) == (
        "Merci, à préciser : le CRTE.",
        Visibilite.REGION,
        user_regional,
    )
    assert Notification.objects.filter(destinataire=agent("22"), commentaire=commentaire).exists()
    s = section_lecture_marquer(section=s, user=user_regional, lecture=LectureSection.ACCEPTEE)
    assert s.lecture == LectureSection.ACCEPTEE
    traces = list(
        Transition.objects.filter(section=s, action=ActionTransition.LECTURE).order_by("created_at", "pk")
    )
    assert [(t.etat_avant_label, t.etat_apres_label, t.commentaire) for t in traces] == [
        ("Non lue", "Lue", "Merci, à préciser : le CRTE."),
        ("Lue", "Acceptée", ""),
    ]
    assert Commentaire.objects.filter(section=s).count() == 1  # sans commentaire, rien de publié
    # Le renvoi efface la marque ; la section soumise à nouveau est « à lire ».
    s = section_renvoyer(section=s, user=user_regional, commentaire="Reprenez les leviers.")
    assert (s.lecture, s.lecture_par, s.lecture_le) == (LectureSection.NON_LUE, None, None)
    s = rediger(s, agent("22"), leviers="Le fonds vert finance trois rénovations.")
    s = section_soumettre(section=s, user=agent("22"))
    assert s.lecture == LectureSection.NON_LUE


def test_seule_une_section_soumise_se_marque_et_seulement_par_sa_region(note, user_regional, user_national):
    brouillon = rediger(_section(note, "35"), agent("35"))
    with pytest.raises(TransitionInterdite, match="Seule une section soumise"):
        section_lecture_marquer(section=brouillon, user=user_regional, lecture=LectureSection.LUE)
    s = soumettre_complet(note, "29")
    for user in (agent("29"), user_national):
        with pytest.raises(PermissionDenied):
            section_lecture_marquer(section=s, user=user, lecture=LectureSection.LUE)
    with pytest.raises(TransitionInterdite, match="Choisissez"):
        section_lecture_marquer(section=s, user=user_regional, lecture="")
    assert _section(note, "29").lecture == LectureSection.NON_LUE


def _chiffres_tuiles(page):
    return [(c.code, c.valeur, c.total, c.non_renseignes) for c in page.context["chiffres"].region.cles]


def test_toute_la_note_sur_une_page_avec_les_chiffres_du_tableau_de_bord(client, note, user_regional):
    for code in ("22", "29"):
        soumettre_complet(note, code)
    rediger(_section(note, "35"), agent("35"), dynamique="Brouillon d’Ille-et-Vilaine.")
    client.force_login(user_regional)
    page = client.get(reverse("syntheses:lecture", args=[note.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    departements = Departement.objects.filter(region="53").order_by("code")
    for dep in departements:
        assert f'id="section-{dep.code}"' in html and escape(dep.nom) in html
    # Les textes des sections, les communes retenues avec leur justification, le brouillon signalé comme tel.
    assert html.count("Dynamique.") == 2 and "Brouillon d’Ille-et-Vilaine." in html
    assert html.count("Pas de chef de projet.") == 2
    assert "Texte en cours de rédaction par le département" in html
    # Un formulaire de lecture par section soumise, et seulement pour elles.
    assert html.count('name="lecture"') == 2 * 2
    for code in ("22", "29"):
        assert reverse("syntheses:section_lecture", args=[_section(note, code).pk]) in html
    assert reverse("syntheses:section_lecture", args=[_section(note, "35").pk]) not in html
    # Les chiffres de la région sont ceux du moteur d'indicateurs, comme au tableau de bord de la région.
    tableau = client.get(reverse("tableau:region", args=["53"]))
    assert [(c.code, c.valeur, c.total, c.non_renseignes) for c in tableau.context["chiffres_cles"]] == (
        _chiffres_tuiles(page)
    )
    # La page de la vue d'ensemble montre les mêmes chiffres de la région.
    page_vue = client.get(reverse("syntheses:vue_ensemble", args=[note.pk]))
    assert [(c.code, c.valeur, c.total, c.non_renseignes) for c in page_vue.context["cles_region"]] == (
        _chiffres_tuiles(page)
    )
    # La vue d'ensemble se rédige sur la page même, à côté de ces chiffres.
    assert f'action="{reverse("syntheses:vue_ensemble", args=[note.pk])}"' in html


def test_la_lecture_en_nombre_fixe_de_requetes(client, note, user_national, user_regional):
    """Une section (Mayotte) ou quatre (Bretagne), avec ou sans commentaires : même nombre de requêtes."""
    mayotte = Synthese.objects.get(campagne=note.campagne, region="06")
    client.force_login(user_national)
    une, page = _requetes(client, reverse("syntheses:lecture", args=[mayotte.pk]))
    assert len(page.context["parties"]) == 1
    for code in ("22", "29", "35"):
        s = soumettre_complet(note, code)
        section_lecture_marquer(section=s, user=user_regional, lecture=LectureSection.LUE, commentaire="Vu.")
    quatre, page = _requetes(client, reverse("syntheses:lecture", args=[note.pk]))
    assert len(page.context["parties"]) == 4
    assert une == quatre
    # Les commentaires comptés sont ceux que le lecteur peut lire (« département et région » : pas le national).
    assert [p["commentaires_count"] for p in page.context["parties"]] == [0, 0, 0, 0]
    client.force_login(user_regional)
    page = client.get(reverse("syntheses:lecture", args=[note.pk]))
    assert [p["commentaires_count"] for p in page.context["parties"]] == [1, 1, 1, 0]


def test_marquer_depuis_la_page_puis_revenir_a_la_section(client, note, user_regional):
    s = soumettre_complet(note, "22")
    client.force_login(user_regional)
    url = reverse("syntheses:section_lecture", args=[s.pk])
    reponse = client.post(url, {"lecture": "acceptee", "commentaire": ""})
    assert reponse.status_code == 302
    assert reponse.url == reverse("syntheses:lecture", args=[note.pk]) + "#section-22"
    assert _section(note, "22").lecture == LectureSection.ACCEPTEE
    page = client.get(reponse.url)
    assert "marquée comme acceptée pour la note." in page.content.decode()
    # Sans choix : un message en français, rien d'enregistré.
    reponse = client.post(
        reverse("syntheses:section_lecture", args=[s.pk]), {"commentaire": "x"}, follow=True
    )
    assert "Choisissez « lue » ou « acceptée pour la note »." in reponse.content.decode()
    assert not Commentaire.objects.filter(section=s).exists()


def test_valider_signale_les_sections_soumises_non_acceptees(client, note, user_regional):
    for code in ("22", "29", "35", "56"):
        soumettre_complet(note, code)
    section_lecture_marquer(section=_section(note, "22"), user=user_regional, lecture=LectureSection.ACCEPTEE)
    section_lecture_marquer(section=_section(note, "29"), user=user_regional, lecture=LectureSection.LUE)
    client.force_login(user_regional)
    noms = dict(Departement.objects.filter(code__in=["29", "35", "56"]).values_list("code", "nom"))
    for url in (
        reverse("syntheses:synthese_transition", args=[note.pk, "valider"]),  # page de confirmation
        reverse("syntheses:lecture", args=[note.pk]),  # fenêtre modale de la vue de lecture
        reverse("syntheses:synthese", args=[note.pk]),  # fenêtre modale de la page de la note
    ):
        html = client.get(url).content.decode()
        assert "3 sections soumises pas encore marquées « acceptée » dans la lecture de la note : " in html
        assert ", ".join(noms[c] for c in ("29", "35", "56")) in html
    # Ce n'est qu'un avertissement : la note se valide.
    synthese_vue_ensemble_enregistrer(synthese=note, user=user_regional, vue_ensemble="Vue.", version=0)
    assert synthese_valider(synthese=_section(note, "22").synthese, user=user_regional).etat == "validee"
    # Validée sans signature : la page dit ce qui manque avant de pouvoir transmettre (comme le refus du service).
    html = client.get(reverse("syntheses:synthese", args=[note.pk])).content.decode()
    assert (
        "Avant de transmettre, indiquez le lieu de signature, le titre du signataire, le nom du signataire"
        in html
    )


def test_chaque_action_a_sa_fenetre_et_sa_page_de_confirmation(
    client, note, user_regional, user_departemental
):
    """Avec JavaScript, la fenêtre modale de la page ; sans, le lien mène à la page de confirmation : les deux
    envoient le même formulaire à la même adresse."""
    s35 = rediger(_section(note, "35"), user_departemental)
    client.force_login(user_departemental)
    html = client.get(reverse("syntheses:section", args=[s35.pk])).content.decode()
    soumettre = reverse("syntheses:section_transition", args=[s35.pk, "soumettre"])
    assert f'href="{soumettre}" data-pvd-modale="confirmer-soumettre"' in html
    assert f'<form method="post" action="{soumettre}" id="confirmer-soumettre-formulaire">' in html
    s22 = soumettre_complet(note, "22")
    client.force_login(user_regional)
    lecture = reverse("syntheses:lecture", args=[note.pk])
    html = client.get(lecture).content.decode()
    renvoi = reverse("syntheses:section_transition", args=[s22.pk, "renvoyer"])
    assert f'href="{renvoi}?suivant={lecture}" data-pvd-modale="renvoi-22"' in html
    assert 'name="commentaire" rows="4" required' in html
    # Le renvoi depuis la vue de lecture y revient ; une adresse hors du produit est ignorée.
    reponse = client.post(renvoi, {"commentaire": "À reprendre.", "suivant": lecture})
    assert reponse.url == lecture
    soumettre_complet_apres_renvoi = section_soumettre(
        section=rediger(_section(note, "22"), agent("22")), user=agent("22")
    )
    assert soumettre_complet_apres_renvoi.etat == EtatSection.SOUMISE
    reponse = client.post(renvoi, {"commentaire": "Encore.", "suivant": "https://exemple.invalid/"})
    assert reponse.url == reverse("syntheses:section", args=[s22.pk])
