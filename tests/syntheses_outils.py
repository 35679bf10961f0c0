"""Outils communs aux tests des notes de synthèse : campagne, données de suivi réalistes, texte du PDF."""

import datetime
import re
import subprocess
from decimal import Decimal

from django.utils import timezone
from PIL import Image

from communes.constants import StatutAction, StatutChefDeProjet, TypeConvention
from communes.models import Action, ChefDeProjet, CommunePvd, Convention, Crte, Financement, Territoire
from syntheses.services import campagne_creer

ECHEANCE = datetime.date(2023, 6, 25)
LIMITE = datetime.date(2024, 1, 1)


def campagne(nom="Campagne de test", user=None):
    return campagne_creer(
        nom=nom,
        date_echeance=ECHEANCE,
        date_limite_phase_operationnelle=LIMITE,
        questions="Quelle dynamique ?\nQuels leviers ?\nQuelles difficultés ?",
        user=user,
    )


def jours(n):
    return timezone.localdate() - datetime.timedelta(days=n)


def peupler(codes_insee):
    """Donne aux communes des situations variées (phase opérationnelle, convention-cadre signée, chef de
    projet en poste, actions de tous statuts, financements dont fonds vert). Renvoie les territoires."""
    territoires = list(Territoire.objects.filter(communes__code_insee__in=codes_insee).order_by("nom"))
    for i, territoire in enumerate(territoires):
        crte = Crte.objects.filter(departement=territoire.departement_id).first()
        if i % 2 == 0:  # convention-cadre valant ORT, inscrite au CRTE
            Convention.objects.create(
                territoire=territoire, type=TypeConvention.CADRE, date_signature=jours(400), vaut_ort=True
            )
            territoire.crte, territoire.date_inscription_crte = crte, jours(300)
            territoire.save()
        elif i % 3 == 0:  # convention-cadre signée, ne vaut pas ORT
            Convention.objects.create(
                territoire=territoire, type=TypeConvention.CADRE, date_signature=jours(200)
            )
        if i % 4 != 3:
            ChefDeProjet.objects.create(
                territoire=territoire, statut=StatutChefDeProjet.EN_POSTE, date_prise_poste=jours(600)
            )
        statuts = list(StatutAction)
        for j in range(i % 4 + 1):
            statut = statuts[(i + j) % len(statuts)]
            action = Action.objects.create(
                territoire=territoire,
                titre=f"Action {j}",
                theme="habitat",
                maitre_ouvrage="Commune",
                statut=statut,
                cout=Decimal(100000 + 1000 * j),
                date_engagement=jours(100) if statut in (StatutAction.ENGAGEE, StatutAction.LIVREE) else None,
            )
            Financement.objects.create(
                action=action,
                dispositif="detr",
                montant_demande=Decimal(50000),
                montant_accorde=Decimal(40000),
                annee=2023,
            )
            if j % 2 == 0:
                Financement.objects.create(
                    action=action,
                    dispositif="fonds_vert",
                    axe_fonds_vert="1",
                    mesure_fonds_vert="renovation_batiments",
                    montant_demande=Decimal(30000),
                    montant_accorde=Decimal(25000),
                    annee=2023,
                )
    return territoires


def pdftotext(contenu, tmp_path):
    chemin = tmp_path / "note.pdf"
    chemin.write_bytes(contenu)
    texte = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(chemin), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return texte.replace("\u202f", " ").replace("\xa0", " ")


def entier(texte):
    """« 1 234 567 € » → 1234567."""
    return int(re.sub(r"[^\d]", "", texte))


def pages(texte):
    return texte.split("\f")


def partie(texte, titre):
    """Texte des pages d'une partie du PDF : le pied de chaque page porte le titre de sa partie
    (ex. « 4 Ille-et-Vilaine (35) · Page 12 / 19 »)."""
    retenues = []
    for page in pages(texte):
        lignes = [ligne for ligne in page.splitlines() if ligne.strip()]
        if lignes and re.search(rf"{re.escape(titre)}\s+·\s+Page \d+ / \d+$", lignes[-1]):
            retenues.append(page)
    assert retenues, f"aucune page de la partie {titre!r}"
    return "\n".join(retenues)


def remplissage_des_pages(contenu, tmp_path):
    """Pour chaque page du PDF : (part de la zone de texte occupée, de 0 à 1 ; la page commence-t-elle un
    chapitre ?). La part se lit sur l'image de la page (pdftoppm) : de la marge du haut à la dernière ligne non
    blanche au-dessus de la marge du bas (le pied de page n'y compte pas). Les chapitres sont les entrées de
    premier niveau des signets du PDF (titres h2)."""
    import pypdf

    chemin = tmp_path / "remplissage.pdf"
    chemin.write_bytes(contenu)
    lecteur = pypdf.PdfReader(str(chemin))
    chapitres = {
        lecteur.get_destination_page_number(entree)
        for entree in lecteur.outline
        if not isinstance(entree, list)
    }
    subprocess.run(["pdftoppm", "-r", "24", "-gray", str(chemin), str(tmp_path / "p")], check=True)
    resultat = []
    for numero, image_chemin in enumerate(sorted(tmp_path.glob("p-*.pgm"))):
        image = Image.open(image_chemin)
        largeur, hauteur = image.size
        paysage = largeur > hauteur
        # Marges de la feuille d'impression (note-impression.css) : 20 / 22 mm en portrait, 18 mm en paysage.
        haut_mm, bas_mm, page_mm = (18, 18, 210) if paysage else (20, 22, 297)
        haut, bas = round(hauteur * haut_mm / page_mm), round(hauteur * (page_mm - bas_mm) / page_mm)
        pixels = image.load()
        derniere = haut
        for y in range(bas - 1, haut, -1):
            if any(pixels[x, y] < 200 for x in range(largeur)):
                derniere = y
                break
        resultat.append(((derniere - haut) / (bas - haut), numero in chapitres))
    return resultat


PARAGRAPHE = (
    "Les communes du département avancent à des rythmes inégaux : les conventions-cadres se signent, les "
    "chefs de projet se stabilisent et les premières opérations du fonds vert sont engagées, mais plusieurs "
    "territoires attendent encore l’ingénierie nécessaire pour passer à la phase opérationnelle."
)


def note_complete(note):
    """La note la plus lourde : suivi varié de toutes les communes PVD de la région, chaque section rédigée
    (trois paragraphes par rubrique) et soumise, chaque commune signalée par le suivi retenue avec sa
    justification, vue d'ensemble rédigée."""
    from communes.querysets import raisons_suggestion
    from syntheses.constants import EtatSection
    from syntheses.models import CommuneRisque, SectionDepartementale

    communes = CommunePvd.objects.pvd().filter(departement__region=note.region_id)
    peupler(list(communes.values_list("code_insee", flat=True)))
    maintenant = timezone.now()
    texte = "\n\n".join([PARAGRAPHE] * 3)
    for section in SectionDepartementale.objects.filter(synthese=note):
        section.dynamique = section.leviers = section.difficultes = texte
        section.texte_libre = PARAGRAPHE
        section.etat, section.soumise_le, section.risques_confirmes_le = (
            EtatSection.SOUMISE,
            maintenant,
            maintenant,
        )
        section.save()
        CommuneRisque.objects.bulk_create(
            CommuneRisque(
                section=section,
                commune=commune,
                is_suggere=commune.is_risque_suggere,
                justification="Situation examinée avec la commune et l’EPCI : "
                + (" ; ".join(raisons_suggestion(commune)) or "décision du département")
                + ". Un point d’étape est prévu avec le sous-préfet.",
            )
            for commune in communes.filter(departement=section.departement_id)
            .with_suivi()
            .filter(is_risque=True)
        )
    note.vue_ensemble = "\n\n".join([PARAGRAPHE] * 4)
    note.lieu, note.signataire_titre, note.signataire_nom = (
        "Rennes",
        "Le préfet de la région Bretagne",
        "A. B.",
    )
    note.save()
    return note
