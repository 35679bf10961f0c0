"""PDF de la note : chiffres du PDF (lus par pdftotext) égaux aux chiffres de la base, états du job,
échec puis relance, idempotence, requêtes en nombre fixe, apparence (police Marianne, couleurs DSFR)."""

import re
import subprocess

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from communes.constants import Phase, StatutAction
from communes.models import Action, ChefDeProjet, CommunePvd, Crte, Financement
from syntheses.chiffres import synthese_chiffres
from syntheses.constants import EtatGeneration
from syntheses.generation import generation_demander, generation_relancer, synthese_generer
from syntheses.models import Generation, Synthese, VersionPdf
from syntheses.pdf import note_html, pdf_rendre
from syntheses.services import section_enregistrer, section_risques_confirmer
from syntheses.tasks import synthese_generer_task
from territoires.models import Commune
from tests.donnees import pvd_par_departement
from tests.syntheses_outils import campagne, entier, partie, pdftotext, peupler

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(user_national):
    c = campagne(user=user_national)
    return Synthese.objects.select_related("campagne", "region").get(campagne=c, region="53")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _communes_35():
    return CommunePvd.objects.pvd().filter(departement="35").with_suivi()


def _lignes(texte, debut):
    """Lignes de tableau commençant par `debut` (ex. « 35 Ille-et-Vilaine », « Région », « DETR ») :
    colonnes séparées par au moins deux espaces (pdftotext -layout), nombres « 1 234 » en entiers."""
    lignes = []
    for ligne in texte.splitlines():
        colonnes = re.split(r"\s{2,}", ligne.strip())
        if colonnes[0] == debut and len(colonnes) > 1:
            valeurs = [c.removesuffix(" €") for c in colonnes[1:]]
            if all(re.fullmatch(r"\d+(?: \d{3})*|—", v) for v in valeurs):
                lignes.append([None if v == "—" else entier(v) for v in valeurs])
    return lignes


def _en_bref(texte):
    """Nombres de la phrase « En bref » d'une partie départementale, dans l'ordre."""
    phrase = " ".join(texte.split()).split("En bref.", 1)[1].split(".", 1)[0]
    return [entier(n) for n in re.findall(r"\d+(?: \d{3})*", phrase)]


def test_les_chiffres_du_pdf_sont_ceux_de_la_base(note, user_departemental, tmp_path):
    codes = list(_communes_35().order_by("nom").values_list("code_insee", flat=True)[:14])
    peupler(codes)
    section = note.sections.get(departement="35")
    retenues = list(_communes_35().filter(is_risque=True).order_by("nom")[:2])
    section_risques_confirmer(
        section=section,
        user=user_departemental,
        communes=[{"commune": c, "justification": f"Justification de test pour {c.nom}."} for c in retenues],
    )

    contenu, pages_count = pdf_rendre(note_html(synthese=note))
    texte = pdftotext(contenu, tmp_path)
    assert texte.count("\f") == pages_count

    base = _communes_35()
    en_cours = base.exclude(phase=Phase.RETIREE)
    actions = Action.objects.filter(territoire__departement="35")
    engagees = actions.filter(statut__in=["engagee", "livree"]).count()
    en_poste = ChefDeProjet.objects.filter(
        statut="en_poste", territoire__communes__in=base.filter(id_pvd__isnull=False)
    ).distinct()
    cles = [
        pvd_par_departement()["35"],
        en_cours.filter(phase=Phase.OPERATIONNELLE).count(),
        en_cours.filter(has_cadre_signee=True).count(),
        en_cours.filter(has_ort_signee=True).count(),
        en_cours.filter(is_couverte_crte=True).count(),
        en_cours.filter(is_inscrit_crte=True).count(),
        en_poste.filter(territoire__departement="35").count(),  # territoires, un chef de projet chacun
        engagees,
        en_cours.filter(is_risque=True).count(),
        en_cours.filter(is_a_renseigner=True).count(),
    ]
    assert cles[1] > 0 and cles[2] > 0 and engagees > 0
    par_statut = dict(actions.values_list("statut").annotate(n=Count("pk")))
    # Tableaux de la synthèse régionale, dans l'ordre : chiffres clés, phases, actions.
    chiffres_cles, phases, statuts = _lignes(texte, "35 Ille-et-Vilaine")[:3]
    assert chiffres_cles == cles
    assert phases == [base.filter(phase=p).count() for p in Phase] + [cles[0]]
    assert statuts == [par_statut.get(s, 0) for s in StatutAction] + [
        actions.count(),
        int(actions.aggregate(s=Sum("cout"))["s"]),
    ]

    # Région : somme des départements, recalculée ici depuis la base.
    region = CommunePvd.objects.pvd().filter(departement__region="53").with_suivi()
    region_en_cours = region.exclude(phase=Phase.RETIREE)
    assert _lignes(texte, "Région")[0] == [
        sum(pvd_par_departement()[code] for code in ("22", "29", "35", "56")),
        region_en_cours.filter(phase=Phase.OPERATIONNELLE).count(),
        region_en_cours.filter(has_cadre_signee=True).count(),
        region_en_cours.filter(has_ort_signee=True).count(),
        region_en_cours.filter(is_couverte_crte=True).count(),
        region_en_cours.filter(is_inscrit_crte=True).count(),
        ChefDeProjet.objects.filter(statut="en_poste", territoire__communes__in=region)
        .values("territoire")
        .distinct()
        .count(),
        Action.objects.filter(territoire__departement__region="53", statut__in=["engagee", "livree"]).count(),
        region_en_cours.filter(is_risque=True).count(),
        region_en_cours.filter(is_a_renseigner=True).count(),
    ]

    # Financements par dispositif : région (lignes, demandé, accordé), puis accordé par département.
    financements = Financement.objects.filter(action__territoire__departement__region="53")

    def somme(qs):
        return qs.aggregate(n=Count("pk"), d=Sum("montant_demande"), a=Sum("montant_accorde"))

    detr, fonds_vert = (
        somme(financements.filter(dispositif="detr")),
        somme(financements.filter(dispositif="fonds_vert")),
    )
    assert _lignes(texte, "DETR")[0] == [detr["n"], int(detr["d"]), int(detr["a"])]
    assert _lignes(texte, "Total fonds vert")[0] == [
        fonds_vert["n"],
        int(fonds_vert["d"]),
        int(fonds_vert["a"]),
    ]
    detr_35 = somme(financements.filter(dispositif="detr", action__territoire__departement="35"))["a"]
    fonds_vert_35 = somme(financements.filter(dispositif="fonds_vert", action__territoire__departement="35"))[
        "a"
    ]
    assert _lignes(texte, "DETR")[1] == [
        None,
        None,
        int(detr_35),
        None,
        int(detr["a"]),
    ]  # 22, 29, 35, 56, région
    assert _lignes(texte, "Total fonds vert")[1][2] == int(fonds_vert_35)

    # Partie du département : la phrase « En bref », puis les communes confirmées et leur justification.
    departement = partie(texte, "Ille-et-Vilaine (35)")
    assert _en_bref(departement) == [
        cles[0],
        cles[1],
        cles[2],
        en_cours.filter(has_cadre_ort=True).count(),
        cles[3],
        cles[4],
        Crte.objects.filter(epcis__communes__in=en_cours).distinct().count(),
        cles[5],
        cles[6],
        actions.count(),
        engagees,
        int(detr_35),
        int(fonds_vert_35),
        en_cours.filter(has_cadre=False).count(),
        cles[9],
    ]
    assert "Liste confirmée par le département : 2 communes" in departement
    for commune in retenues:
        assert f"{commune.nom} ({commune.code_insee})" in departement
        assert f"Justification de test pour {commune.nom}." in departement
    # Les clubs ne sont pas encore branchés : la note le dit.
    assert "Réunions et rythme des clubs départementaux : non disponible" in texte


def test_page_n_sur_m_sommaire_et_couverture(note, tmp_path):
    contenu, pages_count = pdf_rendre(note_html(synthese=note))
    texte = pdftotext(contenu, tmp_path)
    for numero in range(2, pages_count + 1):
        assert f"Page {numero} / {pages_count}" in texte
    couverture = texte.split("\f")[0]
    for attendu in (
        "RÉPUBLIQUE",
        "FRANÇAISE",
        "Note de synthèse régionale",
        "Bretagne",
        "Campagne de test",
        "25 juin 2023",
        "1er janvier 2024",
        "En rédaction",
    ):
        assert attendu in couverture
    # La lettre du préfet de région, puis le sommaire.
    lettre = " ".join(texte.split("\f")[1].split())
    assert (
        "Préfecture de la région Bretagne" in lettre and "Objet Programme Petites villes de demain" in lettre
    )
    assert "Le préfet de la région Bretagne à" in lettre and "Vue d’ensemble de la région" in lettre
    sommaire = texte.split("\f")[2]
    assert "Sommaire" in sommaire
    # Chaque département a son entrée au sommaire, avec le numéro de la page où commence sa partie.
    for code, nom in (
        ("22", "Côtes-d'Armor"),
        ("29", "Finistère"),
        ("35", "Ille-et-Vilaine"),
        ("56", "Morbihan"),
    ):
        entree = re.search(rf"{re.escape(nom)} \({code}\)\s+(\d+)", sommaire)
        assert entree, nom
        page = texte.split("\f")[int(entree.group(1)) - 1]
        assert re.search(rf"^\s*\d+\s+{re.escape(nom)} \({code}\)\s*$", page, re.M), nom


def test_apparence_document_officiel(note, tmp_path):
    """Police Marianne embarquée, aucune autre ; couverture aux couleurs de l'État (bleu France, rouge
    Marianne) ; un graphique SVG rendu sans navigateur."""
    html = note_html(synthese=note)
    assert "<svg" in html and 'class="graphique"' in html
    contenu, _ = pdf_rendre(html)
    chemin = tmp_path / "note.pdf"
    chemin.write_bytes(contenu)
    polices = subprocess.run(["pdffonts", str(chemin)], capture_output=True, text=True, check=True).stdout
    noms = [ligne.split()[0].split("+")[-1] for ligne in polices.splitlines()[2:] if ligne.strip()]
    assert noms and all(nom.startswith("Marianne") for nom in noms), noms
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "3", str(chemin), str(tmp_path / "p")], check=True
    )
    couverture = Image.open(sorted(tmp_path.glob("p-*.png"))[0]).convert("RGB")
    couleurs = {couleur for _, couleur in couverture.getcolors(maxcolors=1 << 20)}

    def proche(cible):
        return any(sum(abs(a - b) for a, b in zip(c, cible, strict=True)) < 40 for c in couleurs)

    assert proche((0x00, 0x00, 0x91)) and proche((0xE1, 0x00, 0x0F))


def test_chiffres_en_nombre_fixe_de_requetes(user_national):
    """Même nombre de requêtes pour Mayotte (1 département, 3 communes) et la Bretagne (4 départements)."""
    c = campagne(user=user_national)
    peupler(list(_communes_35().values_list("code_insee", flat=True)[:10]))

    def requetes(region):
        synthese = Synthese.objects.select_related("campagne", "region").get(campagne=c, region=region)
        with CaptureQueriesContext(connection) as ctx:
            chiffres = synthese_chiffres(synthese)
            for section in chiffres.sections:
                list(section.communes_risque.all())
        return len(ctx), chiffres

    petite, chiffres_mayotte = requetes("06")
    grande, chiffres_bretagne = requetes("53")
    assert chiffres_mayotte.region.communes_count == pvd_par_departement()["976"]
    assert chiffres_bretagne.region.communes_count > 100
    assert (
        petite == grande <= 11
    )  # les requêtes du moteur d’indicateurs (tableau.indicateurs), sections, clubs


def test_job_file_attente_puis_termine_et_idempotent(
    note, user_regional, media, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks() as rappels:
        generation = generation_demander(synthese=note, user=user_regional)
    assert generation.etat == EtatGeneration.QUEUED and generation.progression == 0
    assert len(rappels) == 1  # la tâche part à la validation de la transaction, pas avant
    # Une deuxième demande pendant l'attente ne crée pas de second job.
    with django_capture_on_commit_callbacks() as rappels:
        assert generation_demander(synthese=note, user=user_regional) == generation
    assert rappels == [] and Generation.objects.count() == 1

    fait = synthese_generer(generation_id=generation.pk)
    assert (fait.etat, fait.progression, fait.tentatives, fait.is_nouvelle_version) == ("done", 100, 1, True)
    assert fait.started_at <= fait.finished_at
    version = fait.version
    assert version.numero == 1 and version.created_by == user_regional and version.pages_count > 5
    contenu = version.fichier.read()
    import hashlib

    assert hashlib.sha256(contenu).hexdigest() == version.sha256 and version.taille == len(contenu)

    # Rejouer la même tâche (redistribution du message) ne refait rien.
    assert synthese_generer_task.apply(kwargs={"generation_id": generation.pk}).get() == "done"
    assert Generation.objects.get(pk=generation.pk).finished_at == fait.finished_at

    # Nouvelle demande, données inchangées : même contenu, pas de nouvelle version.
    deuxieme = synthese_generer(generation_id=generation_demander(synthese=note, user=user_regional).pk)
    assert deuxieme.etat == "done" and not deuxieme.is_nouvelle_version and deuxieme.version == version
    assert VersionPdf.objects.filter(synthese=note).count() == 1

    # Source identique (même HTML, mêmes ressources) : la version est reprise sans refaire le rendu.
    def rendu_interdit(*args, **kwargs):
        raise AssertionError("rendu inutile")

    monkeypatch.setattr("syntheses.pdf.pdf_rendre", rendu_interdit)
    reprise = synthese_generer(generation_id=generation_demander(synthese=note, user=user_regional).pk)
    assert reprise.etat == "done" and reprise.version == version and not reprise.is_nouvelle_version
    monkeypatch.undo()

    # Une donnée change : nouvelle version.
    note.vue_ensemble = "La région avance."
    note.save()
    troisieme = synthese_generer(generation_id=generation_demander(synthese=note, user=user_regional).pk)
    assert troisieme.is_nouvelle_version and troisieme.version.numero == 2
    assert troisieme.version.sha256 != version.sha256


def test_echec_motif_visible_puis_relance(
    note, user_regional, media, settings, tmp_path, django_capture_on_commit_callbacks, client
):
    generation = generation_demander(synthese=note, user=user_regional)
    # La feuille d'impression est introuvable : le rendu échoue (aucune ressource n'est prise ailleurs).
    dossiers = settings.STATICFILES_DIRS
    (tmp_path / "vide").mkdir()
    settings.STATICFILES_DIRS = [tmp_path / "vide"]
    echec = synthese_generer(generation_id=generation.pk)
    assert echec.etat == EtatGeneration.FAILED and echec.tentatives == 1 and echec.version is None
    assert "css/note-impression.css" in echec.erreur and "échoué" in echec.erreur
    assert VersionPdf.objects.count() == 0

    client.force_login(user_regional)
    page = client.get(f"/syntheses/notes/{note.pk}/").content.decode()
    assert "css/note-impression.css" in page and "Réessayer" in page
    etat = client.get(f"/syntheses/generations/{generation.pk}/etat.json").json()
    assert etat["etat"] == "failed" and etat["termine"] and "note-impression.css" in etat["erreur"]

    settings.STATICFILES_DIRS = dossiers
    with django_capture_on_commit_callbacks() as rappels:
        relance = generation_relancer(generation=echec, user=user_regional)
    assert relance.etat == EtatGeneration.QUEUED and relance.erreur == "" and len(rappels) == 1
    fait = synthese_generer(generation_id=generation.pk)
    assert fait.etat == "done" and fait.tentatives == 2 and fait.version.numero == 1


def test_un_job_perdu_ne_bloque_pas_la_note(note, user_regional):
    """Un job resté « en file d'attente » bien après la durée maximale d'une tâche (message perdu) passe en
    échec à la demande suivante, qui crée un nouveau job."""
    from datetime import timedelta

    from django.utils import timezone

    perdu = generation_demander(synthese=note, user=user_regional)
    assert generation_demander(synthese=note, user=user_regional) == perdu
    Generation.objects.filter(pk=perdu.pk).update(created_at=timezone.now() - timedelta(hours=1))
    nouveau = generation_demander(synthese=note, user=user_regional)
    assert nouveau != perdu and nouveau.etat == EtatGeneration.QUEUED
    perdu.refresh_from_db()
    assert perdu.etat == EtatGeneration.FAILED and "délai prévu" in perdu.erreur


# PDF balisé et texte officiel jamais perdu --------------------------------------------------------------------
def _structure(pdf):
    """Types des éléments de l'arbre de structure du PDF (pypdf), dans l'ordre du document."""
    import io

    import pypdf

    lecteur = pypdf.PdfReader(io.BytesIO(pdf))
    racine = lecteur.trailer["/Root"]
    types = []

    def parcourir(noeud):
        noeud = noeud.get_object()
        if isinstance(noeud, pypdf.generic.DictionaryObject):
            if "/S" in noeud:
                types.append(str(noeud["/S"]))
            enfants = noeud.get("/K")
            if isinstance(enfants, pypdf.generic.ArrayObject):
                for enfant in enfants:
                    parcourir(enfant)
            elif enfants is not None:
                parcourir(enfants)

    parcourir(racine["/StructTreeRoot"])
    return racine, types


def test_le_pdf_est_balise_avec_sa_langue_et_son_titre(note, tmp_path):
    contenu, _pages = pdf_rendre(note_html(synthese=note))
    racine, types = _structure(contenu)
    assert racine["/Lang"] == "fr" and racine["/MarkInfo"]["/Marked"]
    assert "/Document" in types and "/H1" in types and "/H2" in types
    assert "/Table" in types and "/TH" in types and "/TD" in types
    import io

    import pypdf

    assert pypdf.PdfReader(io.BytesIO(contenu)).metadata.title.startswith(
        "Note de synthèse régionale — Bretagne"
    )


def test_aucun_caractere_des_textes_longs_n_est_perdu(note, user_departemental, tmp_path):
    """Une adresse collée de 200 000 caractères sans espace et un texte de 200 ko : tout est dans le PDF."""
    import random

    tirage = random.Random(4)
    sans_espace = "https://exemple.gouv.fr/" + "".join(
        tirage.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(200_000)
    )
    mots = ["revitalisation", "commerce", "habitat", "mobilité", "friche", "école", "centre-bourg", "Anah"]
    long_texte = " ".join(tirage.choice(mots) for _ in range(25_000))[:200_000]
    s = note.sections.get(departement="35")
    section_enregistrer(
        section=s,
        user=user_departemental,
        dynamique=sans_espace,
        leviers=long_texte,
        difficultes="",
        texte_libre="",
        version=s.version,
    )
    contenu, _pages = pdf_rendre(note_html(synthese=note))
    # pdftotext coupe les lignes : on compare sans les blancs, sans les espaces sans chasse ni le pied de page.
    lignes = [
        ligne
        for ligne in pdftotext(contenu, tmp_path).replace("\f", "\n").splitlines()
        if not re.search(r"Page \d+ / \d+$", ligne.strip())
    ]
    texte = "".join("".join(lignes).replace("\u200b", "").split())
    assert "".join(sans_espace.split()) in texte
    assert "".join(long_texte.split()) in texte


def test_une_suggestion_n_entre_jamais_dans_la_note_comme_justification(
    note, client, user_departemental, tmp_path
):
    """Une commune que seules les données signalent : la note la dit « signalée, non retenue », avec le motif du
    signalement, et jamais comme une commune en difficulté justifiée par le département."""
    territoire = Commune.objects.get(code_insee="35012").territoire
    ChefDeProjet.objects.create(territoire=territoire, statut="vacant")
    s = note.sections.get(departement="35")
    client.force_login(user_departemental)
    url = reverse("syntheses:section_risques", args=[s.pk])
    formulaire = client.get(url).context["form"]
    assert "35012" in [c.code_insee for c in formulaire.candidates]
    # Confirmer la liste sans rien cocher ni écrire : aucune commune retenue.
    assert client.post(url, {}).status_code == 302
    assert not s.communes_risque.exists()
    texte = " ".join(pdftotext(pdf_rendre(note_html(synthese=note))[0], tmp_path).split())
    bain = Commune.objects.get(code_insee="35012").nom
    assert "Liste confirmée par le département : 0 commune" in texte
    assert "Signalées par les données, non retenues par le département" in texte
    assert f"{bain} (35012 : chef de projet : vacant)" in texte
    assert "Justification du département" not in texte.split("Ille-et-Vilaine (35)")[-1].split("Annexe")[0]


def test_la_lettre_porte_destinataire_reference_lieu_et_signataire(note, user_regional, tmp_path):
    from syntheses.services import synthese_vue_ensemble_enregistrer

    campagne = note.campagne
    campagne.destinataire = (
        "Madame la ministre déléguée chargée des collectivités territoriales et de la ruralité"
    )
    campagne.reference_instruction = "Instruction du 6 juin 2023 relative au passage en phase opérationnelle"
    campagne.save()
    synthese_vue_ensemble_enregistrer(
        synthese=note,
        user=user_regional,
        vue_ensemble="La Bretagne avance.",
        version=note.version,
        lieu="Rennes",
        signataire_titre="Le préfet de la région Bretagne, préfet d’Ille-et-Vilaine",
        signataire_nom="Prénom Nom",
    )
    note.refresh_from_db()
    lettre = " ".join(pdftotext(pdf_rendre(note_html(synthese=note))[0], tmp_path).split("\f")[1].split())
    for attendu in (
        "Rennes, le (date de transmission)",
        "Le préfet de la région Bretagne, préfet d’Ille-et-Vilaine à Madame la ministre déléguée",
        "Réf. Instruction du 6 juin 2023 relative au passage en phase opérationnelle",
        "La Bretagne avance.",
        "Prénom Nom",
    ):
        assert attendu in lettre, attendu


@pytest.mark.parametrize("complete", [False, True], ids=["donnees-officielles", "note-complete"])
def test_aucune_page_a_moins_d_un_tiers_remplie_sauf_avant_un_chapitre(note, complete, tmp_path):
    """Règle de mise en page : une page remplie à moins d'un tiers n'est permise que juste avant un nouveau
    chapitre (ou en fin de document). Note sur les seules données officielles, et note la plus lourde."""
    from tests.syntheses_outils import note_complete, remplissage_des_pages

    if complete:
        note_complete(note)
    contenu, pages_count = pdf_rendre(note_html(synthese=note))
    pages = remplissage_des_pages(contenu, tmp_path)
    assert len(pages) == pages_count
    assert sum(chapitre for _, chapitre in pages) >= 4  # au moins la région et ses départements
    trop_vides = [
        (numero + 1, round(part, 2))
        for numero, (part, _) in enumerate(pages[:-1])
        if part < 1 / 3 and not pages[numero + 1][1]
    ]
    assert not trop_vides, f"pages remplies à moins d'un tiers, hors fin de chapitre : {trop_vides}"
