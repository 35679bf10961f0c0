"""Travail sur la note : transitions, droits de chaque rôle, trace de qui a fait quoi."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from communes.constants import StatutChefDeProjet
from communes.models import ChefDeProjet, Territoire
from comptes.constants import Role
from comptes.models import User
from syntheses.chiffres import CODES_COMPARES
from syntheses.constants import MOTIF_SANS_COMMUNE_PVD, ActionTransition, EtatSection, EtatSynthese
from syntheses.models import CommuneRisque, SectionDepartementale, Synthese, Transition
from syntheses.services import (
    TransitionInterdite,
    section_dispenser,
    section_enregistrer,
    section_renvoyer,
    section_risques_confirmer,
    section_soumettre,
    synthese_transmettre,
    synthese_valider,
    synthese_vue_ensemble_enregistrer,
)
from territoires.models import Commune, Departement, Region
from tests.donnees import regions_officielles
from tests.syntheses_outils import campagne

pytestmark = pytest.mark.django_db

SIGNATURE = {
    "lieu": "Rennes",
    "signataire_titre": "Le préfet de la région Bretagne",
    "signataire_nom": "Philippe Gustin",
}


@pytest.fixture
def note(user_national):
    c = campagne(user=user_national)
    return Synthese.objects.select_related("campagne", "region").get(campagne=c, region="53")


def section(note, code):
    return SectionDepartementale.objects.select_related("synthese").get(synthese=note, departement=code)


def agent(code_departement):
    user, _ = User.objects.get_or_create(
        username=f"agent-{code_departement}",
        defaults={"role": Role.DEPARTEMENTAL, "departement_id": code_departement},
    )
    return user


def rediger(section_, user, **textes):
    valeurs = {
        "dynamique": "Dynamique.",
        "leviers": "Leviers.",
        "difficultes": "Difficultés.",
        "texte_libre": "",
    }
    return section_enregistrer(section=section_, user=user, version=section_.version, **{**valeurs, **textes})


def soumettre_complet(note, code):
    user = agent(code)
    s = rediger(section(note, code), user)
    commune = Commune.objects.pvd().filter(departement=code).order_by("nom").first()
    section_risques_confirmer(
        section=s, user=user, communes=[{"commune": commune, "justification": "Pas de chef de projet."}]
    )
    return section_soumettre(section=s, user=user)


def test_ouverture_une_note_par_region_une_section_par_departement(note):
    assert (
        Synthese.objects.filter(campagne=note.campagne).count()
        == Region.objects.count()
        == len(regions_officielles())
    )
    assert list(note.sections.order_by("departement").values_list("departement", flat=True)) == [
        "22",
        "29",
        "35",
        "56",
    ]
    # Un département sans commune PVD (Paris) est dispensé d'office.
    paris = SectionDepartementale.objects.get(synthese__campagne=note.campagne, departement="75")
    assert paris.dispensee and paris.dispense_motif == MOTIF_SANS_COMMUNE_PVD
    assert Transition.objects.filter(synthese=note, action=ActionTransition.CREATION).count() == 1


def test_le_departement_redige_confirme_et_soumet_sa_section(note, user_departemental):
    s = section(note, "35")
    assert s.etat == EtatSection.A_REDIGER and s.can_edit(user_departemental)
    with pytest.raises(TransitionInterdite, match="rédigez la dynamique observée"):
        section_soumettre(section=s, user=user_departemental)
    s = rediger(s, user_departemental)
    assert s.etat == EtatSection.EN_REDACTION
    with pytest.raises(TransitionInterdite, match="confirmez la liste des communes en difficulté"):
        section_soumettre(section=s, user=user_departemental)
    bain = Commune.objects.get(code_insee="35012")
    with pytest.raises(Exception, match="Justifiez la difficulté de Bain-de-Bretagne"):
        section_risques_confirmer(
            section=s, user=user_departemental, communes=[{"commune": bain, "justification": "  "}]
        )
    s = section_risques_confirmer(
        section=s,
        user=user_departemental,
        communes=[{"commune": bain, "justification": "Chef de projet à recruter."}],
    )
    s = section_soumettre(section=s, user=user_departemental)
    assert s.etat == EtatSection.SOUMISE and s.soumise_par == user_departemental and s.soumise_le
    assert not s.can_edit(user_departemental)
    with pytest.raises(TransitionInterdite, match="soumise à la région"):
        rediger(s, user_departemental)
    actions = list(
        Transition.objects.filter(section=s)
        .order_by("created_at", "pk")
        .values_list("action", "etat_avant", "etat_apres", "user__username")
    )
    assert actions == [
        ("enregistrement", "a_rediger", "en_redaction", "demo-departement"),
        ("risques", "en_redaction", "en_redaction", "demo-departement"),
        ("soumission", "en_redaction", "soumise", "demo-departement"),
    ]


def test_une_liste_vide_est_une_confirmation_valable(note, user_departemental):
    s = rediger(section(note, "35"), user_departemental)
    s = section_risques_confirmer(section=s, user=user_departemental, communes=[])
    assert section_soumettre(section=s, user=user_departemental).etat == EtatSection.SOUMISE
    assert CommuneRisque.objects.filter(section=s).count() == 0


def test_une_commune_hors_departement_est_refusee(note, user_departemental):
    s = section(note, "35")
    brest = Commune.objects.pvd().filter(departement="29").first()
    with pytest.raises(Exception, match="n’est pas une commune PVD du département"):
        section_risques_confirmer(
            section=s, user=user_departemental, communes=[{"commune": brest, "justification": "x"}]
        )


def test_un_departement_ne_modifie_pas_la_section_d_un_autre(note, client, user_departemental):
    finistere = section(note, "29")
    with pytest.raises(PermissionDenied):
        rediger(finistere, user_departemental)
    client.force_login(user_departemental)
    for nom in ("section", "section_rediger", "section_risques"):
        assert client.get(reverse(f"syntheses:{nom}", args=[finistere.pk])).status_code == 404
    reponse = client.post(
        reverse("syntheses:section_rediger", args=[finistere.pk]),
        {"dynamique": "Piratage", "leviers": "x", "difficultes": "x", "version": 0},
    )
    assert reponse.status_code == 404
    reponse = client.post(reverse("syntheses:section_transition", args=[finistere.pk, "soumettre"]))
    assert reponse.status_code == 404
    finistere.refresh_from_db()
    assert finistere.dynamique == "" and finistere.etat == EtatSection.A_REDIGER


def test_la_region_renvoie_avec_commentaire_puis_le_departement_resoumet(note, user_regional):
    s = soumettre_complet(note, "22")
    with pytest.raises(TransitionInterdite, match="Expliquez"):
        section_renvoyer(section=s, user=user_regional, commentaire=" ")
    s = section_renvoyer(section=s, user=user_regional, commentaire="Précisez les leviers du fonds vert.")
    assert s.etat == EtatSection.RENVOYEE and s.commentaire_renvoi == "Précisez les leviers du fonds vert."
    auteur = agent("22")
    assert s.can_edit(auteur)
    s = rediger(s, auteur, leviers="Le fonds vert finance trois rénovations.")
    assert s.etat == EtatSection.RENVOYEE
    assert section_soumettre(section=s, user=auteur).etat == EtatSection.SOUMISE
    renvoi = Transition.objects.get(section=s, action=ActionTransition.RENVOI)
    assert (renvoi.user, renvoi.etat_avant, renvoi.etat_apres, renvoi.commentaire) == (
        user_regional,
        "soumise",
        "renvoyee",
        "Précisez les leviers du fonds vert.",
    )


def test_la_region_ne_valide_pas_avant_que_chaque_section_soit_soumise_ou_dispensee(note, user_regional):
    soumettre_complet(note, "22")
    soumettre_complet(note, "29")
    synthese_vue_ensemble_enregistrer(
        synthese=note, user=user_regional, vue_ensemble="La Bretagne avance.", version=note.version
    )
    with pytest.raises(TransitionInterdite, match="En attente : Ille-et-Vilaine, Morbihan"):
        synthese_valider(synthese=note, user=user_regional)
    note.refresh_from_db()
    assert note.etat == EtatSynthese.EN_REDACTION

    soumettre_complet(note, "35")
    with pytest.raises(TransitionInterdite, match="soumise"):  # une section soumise ne se dispense pas
        section_dispenser(section=section(note, "35"), user=user_regional, motif="x")
    section_dispenser(
        section=section(note, "56"), user=user_regional, motif="Préfet absent, pas de contribution."
    )
    note = synthese_valider(synthese=note, user=user_regional)
    assert note.etat == EtatSynthese.VALIDEE and note.validee_par == user_regional
    # Note validée : plus de renvoi ni de modification avant réouverture.
    with pytest.raises(TransitionInterdite, match="rouvrez-la"):
        section_renvoyer(section=section(note, "22"), user=user_regional, commentaire="Trop tard")
    # La lettre ne part pas sans sa signature : lieu, titre et nom du signataire.
    with pytest.raises(
        TransitionInterdite, match="indiquez le lieu de signature, le titre du signataire, le nom"
    ):
        synthese_transmettre(synthese=note, user=user_regional)
    Synthese.objects.filter(pk=note.pk).update(**SIGNATURE)
    note = synthese_transmettre(synthese=note, user=user_regional)
    assert note.etat == EtatSynthese.TRANSMISE and note.transmise_par == user_regional
    with pytest.raises(TransitionInterdite):
        synthese_valider(synthese=note, user=user_regional)
    assert list(
        Transition.objects.filter(synthese=note, section=None)
        .order_by("created_at", "pk")
        .values_list("action", "etat_avant", "etat_apres")
    ) == [
        ("creation", "", "en_redaction"),
        ("vue_ensemble", "en_redaction", "en_redaction"),
        ("validation", "en_redaction", "validee"),
        ("transmission", "validee", "transmise"),
    ]


def test_la_vue_d_ensemble_est_requise_pour_valider(note, user_regional):
    for s in note.sections.all():
        section_dispenser(section=s, user=user_regional, motif="Test.")
    with pytest.raises(TransitionInterdite, match="vue d’ensemble"):
        synthese_valider(synthese=note, user=user_regional)


def test_seuls_les_agents_de_la_region_consolident(note, user_departemental, user_national):
    autre_region = User.objects.create(username="agent-normandie", role=Role.REGIONAL, region_id="28")
    for user in (user_departemental, user_national, autre_region):
        with pytest.raises(PermissionDenied):
            synthese_valider(synthese=note, user=user)
        with pytest.raises(PermissionDenied):
            section_dispenser(section=section(note, "35"), user=user, motif="x")


def test_vues_de_la_region(note, client, user_regional):
    s = soumettre_complet(note, "22")
    client.force_login(user_regional)
    # La région ne rédige pas la section d'un département.
    assert client.get(reverse("syntheses:section_rediger", args=[s.pk])).status_code == 403
    reponse = client.post(
        reverse("syntheses:section_transition", args=[s.pk, "renvoyer"]), {"commentaire": ""}
    )
    assert "Expliquez au département" in reponse.content.decode()
    reponse = client.post(
        reverse("syntheses:section_transition", args=[s.pk, "renvoyer"]), {"commentaire": "À compléter."}
    )
    assert reponse.status_code == 302
    assert section(note, "22").etat == EtatSection.RENVOYEE
    reponse = client.post(reverse("syntheses:synthese_transition", args=[note.pk, "valider"]), follow=True)
    assert "Chaque section doit être soumise ou dispensée" in reponse.content.decode()
    note.refresh_from_db()
    assert note.etat == EtatSynthese.EN_REDACTION
    # Une autre région n'existe pas pour elle.
    normandie = Synthese.objects.get(campagne=note.campagne, region="28")
    assert client.get(reverse("syntheses:synthese", args=[normandie.pk])).status_code == 404


def test_le_departement_redige_par_les_formulaires(note, client, user_departemental):
    s = section(note, "35")
    client.force_login(user_departemental)
    url = reverse("syntheses:section_rediger", args=[s.pk])
    assert client.get(url).status_code == 200
    reponse = client.post(
        url,
        {
            "dynamique": "Bonne dynamique.",
            "leviers": "Club.",
            "difficultes": "Recrutement.",
            "texte_libre": "",
            "version": s.version,
        },
    )
    assert reponse.status_code == 302
    # Un second envoi avec la version lue avant n'écrase pas l'enregistrement intervenu entre-temps.
    reponse = client.post(
        url,
        {
            "dynamique": "Ancienne version.",
            "leviers": "x",
            "difficultes": "x",
            "texte_libre": "",
            "version": 0,
        },
    )
    assert "pendant votre saisie" in reponse.content.decode()
    assert section(note, "35").dynamique == "Bonne dynamique."

    # Des postes de chef de projet vacants : un manque connu, que le suivi signale (sur les seuls fichiers
    # officiels, rien n'est connu et aucune commune n'est signalée).
    for territoire in Territoire.objects.filter(departement_id="35").order_by("pk")[:3]:
        ChefDeProjet.objects.create(territoire=territoire, statut=StatutChefDeProjet.VACANT)
    url = reverse("syntheses:section_risques", args=[s.pk])
    page = client.get(url)
    formulaire = page.context["form"]
    candidates = formulaire.candidates
    assert candidates and all(c.is_risque or c.is_risque_suggere for c in candidates)
    # Une suggestion des données n'est ni cochée ni justifiée d'avance.
    for c in candidates:
        assert formulaire[f"retenue_{c.code_insee}"].value() is False
        assert not formulaire[f"justification_{c.code_insee}"].value()
    donnees = {}
    premiere = candidates[0]
    donnees[f"retenue_{premiere.code_insee}"] = "on"
    donnees[f"justification_{premiere.code_insee}"] = ""
    reponse = client.post(url, donnees)
    assert f"Justifiez la difficulté de {premiere.nom}" in reponse.content.decode()
    donnees[f"justification_{premiere.code_insee}"] = "Convention-cadre en retard."
    assert client.post(url, donnees).status_code == 302
    retenue = CommuneRisque.objects.get(section=s)
    assert (retenue.commune_id, retenue.justification) == (premiere.code_insee, "Convention-cadre en retard.")
    # Soumettre : d'abord une page de confirmation qui dit ce que l'action change ; rien n'est soumis en GET.
    confirmation = client.get(reverse("syntheses:section_transition", args=[s.pk, "soumettre"]))
    assert confirmation.status_code == 200
    assert "ne se modifie plus" in confirmation.content.decode()
    assert section(note, "35").etat != EtatSection.SOUMISE
    reponse = client.post(reverse("syntheses:section_transition", args=[s.pk, "soumettre"]), follow=True)
    assert "Section soumise à la région." in reponse.content.decode()
    assert section(note, "35").etat == EtatSection.SOUMISE


def _transmettre(note, user_regional, django_capture_on_commit_callbacks):
    for code in ("22", "29", "35", "56"):
        section_dispenser(section=section(note, code), user=user_regional, motif="Essai de transmission.")
    note.refresh_from_db()
    synthese_vue_ensemble_enregistrer(
        synthese=note,
        user=user_regional,
        vue_ensemble="La Bretagne avance.",
        version=note.version,
        **SIGNATURE,
    )
    note = synthese_valider(synthese=Synthese.objects.get(pk=note.pk), user=user_regional)
    with django_capture_on_commit_callbacks(execute=True) as rappels:
        note = synthese_transmettre(synthese=note, user=user_regional)
    return note, rappels


def test_la_transmission_fige_la_note_et_produit_le_pdf_definitif(
    note, user_regional, django_capture_on_commit_callbacks, settings, tmp_path, monkeypatch
):
    from syntheses.generation import synthese_generer
    from syntheses.models import Generation
    from syntheses.pdf import note_html, source_signature
    from syntheses.services import instantane_calculer

    settings.MEDIA_ROOT = tmp_path
    envoyes = []
    monkeypatch.setattr("syntheses.generation._remettre", lambda generations: envoyes.extend(generations))
    note, rappels = _transmettre(note, user_regional, django_capture_on_commit_callbacks)
    # Le PDF définitif est demandé au worker à la transmission, depuis le document figé.
    assert len(rappels) >= 1 and len(envoyes) == 1
    assert note.instantane == instantane_calculer(note) and note.html_transmis
    assert "Document de travail" not in note.html_transmis
    # Le suivi change ensuite : la note transmise, ses chiffres et son PDF ne changent pas.
    territoire = Territoire.objects.filter(departement_id="35").first()
    ChefDeProjet.objects.create(territoire=territoire, statut=StatutChefDeProjet.EN_POSTE)
    assert instantane_calculer(note) != note.instantane
    note.refresh_from_db()
    assert note.instantane["departements"]["35"]["chefs"]["valeur"] == 0
    assert note_html(synthese=note) != note.html_transmis
    generation = synthese_generer(generation_id=Generation.objects.get(synthese=note).pk)
    assert generation.version.source_sha256 == source_signature(note.html_transmis)


def test_la_page_de_la_note_montre_les_chiffres_figes_et_l_evolution(
    note, client, user_regional, user_national, django_capture_on_commit_callbacks, monkeypatch
):
    import datetime

    from syntheses.services import instantane_calculer

    monkeypatch.setattr("syntheses.generation._remettre", lambda generations: None)
    ancienne, _ = _transmettre(note, user_regional, django_capture_on_commit_callbacks)
    # Entre les deux campagnes, le suivi avance : deux chefs de projet en poste dans le 35.
    for territoire in Territoire.objects.filter(departement_id="35").order_by("pk")[:2]:
        ChefDeProjet.objects.create(territoire=territoire, statut=StatutChefDeProjet.EN_POSTE)
    suivante = campagne(nom="Campagne suivante", user=user_national)
    suivante.date_echeance = ancienne.campagne.date_echeance + datetime.timedelta(days=365)
    suivante.save()
    nouvelle = Synthese.objects.get(campagne=suivante, region="53")
    client.force_login(user_regional)
    # La note transmise : chiffres figés, et ce qui a changé depuis dans le suivi.
    page = client.get(reverse("syntheses:synthese", args=[ancienne.pk]))
    figes = page.context["figes"]
    zones = dict(figes.changes)
    assert ("Chefs de projet en poste", 0, 2, 2) in zones["35 Ille-et-Vilaine"]
    # La note de la campagne suivante : l'évolution de chaque chiffre depuis la note transmise, différence des
    # deux instantanés.
    evolution = client.get(reverse("syntheses:synthese", args=[nouvelle.pk])).context["evolution"]
    avant, apres = ancienne.instantane, instantane_calculer(nouvelle)
    for zone, chiffres in evolution.lignes:
        code = zone.split(" ")[0] if zone != "Région" else None
        for (_libelle, v_avant, v_apres, ecart), cle in zip(chiffres, CODES_COMPARES, strict=True):
            a = avant["region"] if code is None else avant["departements"][code]
            b = apres["region"] if code is None else apres["departements"][code]
            assert (v_avant, v_apres, ecart) == (
                a[cle]["valeur"],
                b[cle]["valeur"],
                b[cle]["valeur"] - a[cle]["valeur"],
            )


def test_la_page_nationale_de_la_campagne_montre_l_evolution_par_departement(
    note, client, user_regional, user_national, django_capture_on_commit_callbacks, monkeypatch
):
    """Page de la campagne (national) : chaque chiffre de chaque département des régions dont la note précédente
    est transmise, et son écart, différence des deux instantanés ; rien pour les autres régions."""
    import datetime

    from syntheses.services import instantane_calculer

    monkeypatch.setattr("syntheses.generation._remettre", lambda generations: None)
    ancienne, _ = _transmettre(note, user_regional, django_capture_on_commit_callbacks)
    client.force_login(user_national)
    assert client.get(reverse("syntheses:campagne", args=[ancienne.campagne_id])).context["evolution"] is None
    # Entre les deux campagnes : un chef de projet en poste dans trois territoires du 29 qui n'en avaient pas.
    sans_chef = Territoire.objects.filter(departement_id="29", chef_de_projet__isnull=True)
    for territoire in sans_chef.order_by("pk")[:3]:
        ChefDeProjet.objects.create(territoire=territoire, statut=StatutChefDeProjet.EN_POSTE)
    suivante = campagne(nom="Campagne suivante", user=user_national)
    suivante.date_echeance = ancienne.campagne.date_echeance + datetime.timedelta(days=365)
    suivante.save()
    page = client.get(reverse("syntheses:campagne", args=[suivante.pk]))
    evolution = page.context["evolution"]
    assert [nom for nom, _ in evolution.regions] == ["Bretagne"]
    avant = ancienne.instantane
    apres = instantane_calculer(Synthese.objects.get(campagne=suivante, region="53"))
    ((_, comparaison),) = evolution.regions
    zones = [zone for zone, _ in comparaison.lignes]
    assert zones == [
        f"{d.code} {d.nom}" for d in Departement.objects.filter(region="53").order_by("code")
    ] + ["Région"]
    for zone, chiffres in comparaison.lignes:
        a = avant["region"] if zone == "Région" else avant["departements"][zone.split(" ")[0]]
        b = apres["region"] if zone == "Région" else apres["departements"][zone.split(" ")[0]]
        assert [(v_avant, v_apres, ecart) for _, v_avant, v_apres, ecart in chiffres] == [
            (a[cle]["valeur"], b[cle]["valeur"], b[cle]["valeur"] - a[cle]["valeur"])
            for cle in CODES_COMPARES
        ]
    ligne_29 = dict(comparaison.lignes)[next(z for z in zones if z.startswith("29 "))]
    assert dict((libelle, ecart) for libelle, _, _, ecart in ligne_29)["Chefs de projet en poste"] == 3
    assert 'id="evolution-campagne"' in page.content.decode()
