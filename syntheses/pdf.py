"""Rendu PDF d'une note de synthèse : gabarit d'impression + feuille CSS d'impression, WeasyPrint avec un
url_fetcher qui ne lit que les fichiers statiques sur disque (aucun accès réseau)."""

import functools
import hashlib
import io
import logging

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from fontTools.ttLib import TTFont
from weasyprint import HTML, URLFetcher
from weasyprint.urls import URLFetcherResponse

from communes.models import DonneesDemonstration
from syntheses.chiffres import evolution, instantane, parties_note, synthese_chiffres
from tableau.graphiques import barres_phases

# WeasyPrint journalise chaque page en INFO : inutile dans le journal du worker.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)

# Adresse fictive des fichiers statiques dans le gabarit d'impression : le fetcher la résout sur disque.
BASE_URL = "https://pvd-suivi.invalid/"
STATIC_PREFIX = f"{BASE_URL}static/"
# Fichiers lus par le rendu (voir la feuille d'impression) : leur contenu entre dans la signature des sources.
RESSOURCES = [
    "css/note-impression.css",
    "img/marianne.svg",
    "img/devise.svg",
    "dsfr/dist/fonts/Marianne-Regular.woff2",
    "dsfr/dist/fonts/Marianne-Regular_Italic.woff2",
    "dsfr/dist/fonts/Marianne-Medium.woff2",
    "dsfr/dist/fonts/Marianne-Bold.woff2",
]
TYPES = {
    ".css": "text/css",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


@functools.lru_cache(maxsize=16)
def police_sfnt(chemin):
    """Police WOFF/WOFF2 décompressée une fois par processus, sans horodatage recalculé : WeasyPrint
    décompresse sinon à chaque rendu en réécrivant la date de modification de la police, et deux PDF des
    mêmes données n'auraient pas les mêmes octets."""
    police = TTFont(chemin, recalcTimestamp=False)
    police.flavor = None
    sortie = io.BytesIO()
    police.save(sortie)
    return sortie.getvalue()


class FichiersStatiques(URLFetcher):
    """Sert les fichiers statiques depuis le disque ; refuse tout le reste (réseau, fichiers arbitraires).

    Une ressource introuvable fait échouer le rendu (fail_on_errors) : mieux vaut un job en échec qu'un
    document officiel sans sa police ou sa feuille de style."""

    def __init__(self):
        super().__init__(fail_on_errors=True)

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if not url.startswith(STATIC_PREFIX):
            raise ValueError(f"Ressource refusée (hors fichiers statiques) : {url}")
        relatif = url.removeprefix(STATIC_PREFIX).split("?")[0].split("#")[0]
        chemin = finders.find(relatif) if ".." not in relatif else None
        if not chemin:
            raise ValueError(f"Fichier statique introuvable : {relatif}")
        suffixe = relatif[relatif.rfind(".") :].lower()
        if suffixe in (".woff", ".woff2"):
            return URLFetcherResponse(url, body=police_sfnt(chemin), headers={"Content-Type": "font/otf"})
        with open(chemin, "rb") as fichier:
            contenu = fichier.read()
        return URLFetcherResponse(
            url, body=contenu, headers={"Content-Type": TYPES.get(suffixe, "application/octet-stream")}
        )


@functools.lru_cache(maxsize=1)
def signature_moteur():
    """Somme des ressources du rendu (feuille d'impression, polices, images) et de la version de WeasyPrint :
    elle change si l'une d'elles change, et avec elle la signature de toute source."""
    import weasyprint

    empreinte = hashlib.sha256(f"weasyprint {weasyprint.__version__}".encode())
    for relatif in RESSOURCES:
        chemin = finders.find(relatif)
        if not chemin:
            raise ValueError(f"Fichier statique introuvable : {relatif}")
        empreinte.update(relatif.encode())
        with open(chemin, "rb") as fichier:
            empreinte.update(fichier.read())
    return empreinte.hexdigest()


def source_signature(html):
    return hashlib.sha256(signature_moteur().encode() + html.encode()).hexdigest()


def _barres_phases_svg(lignes):
    """Le graphique des communes par phase, celui des tableaux de bord (tableau.graphiques)."""
    return render_to_string("tableau/_barres_phases.svg", {"graphique": barres_phases(lignes)})


def note_html(*, synthese, today=None):
    """HTML d'impression de la note, avec les chiffres calculés en base à cet instant."""
    chiffres = synthese_chiffres(synthese, today=today)
    parties = parties_note(chiffres)
    graphique_region = _barres_phases_svg(
        [(f"{d.nom} ({d.code})", d.phases) for d in chiffres.departements if d.communes_count]
    )
    # L'instantané de la note se lit dans les chiffres déjà calculés (aucune requête de plus).
    evolution_ = evolution(
        synthese,
        synthese.instantane
        or (lambda: instantane({d.code: d.i for d in chiffres.departements}, calcule_le=chiffres.calcule_le)),
    )
    return render_to_string(
        "syntheses/pdf/note.html",
        {
            "synthese": synthese,
            "campagne": synthese.campagne,
            "region": synthese.region,
            "chiffres": chiffres,
            "parties": parties,
            "graphique_region": mark_safe(graphique_region),
            "sections_pretes_count": sum(1 for s in chiffres.sections if s.is_prete),
            "evolution": evolution_,
            # Suivi généré : mention en tête de chaque page (voir .mention-demo dans la feuille d'impression).
            "donnees_demo": DonneesDemonstration.objects.perimetres(),
            "static": STATIC_PREFIX,
        },
    )


def pdf_rendre(html, *, progression=None):
    """PDF balisé (PDF/UA-1, octets) et nombre de pages. Pas de date de création ni d'identifiant aléatoire
    dans le fichier : les mêmes données donnent les mêmes octets (voir la somme SHA-256 des versions)."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=FichiersStatiques()).render()
    if progression:
        progression(0.8, "Écriture du PDF")
    sortie = io.BytesIO()
    # PDF/UA-1 : PDF balisé (arbre de structure, titres, tableaux, langue du document) pour les lecteurs d'écran.
    document.write_pdf(sortie, pdf_variant="pdf/ua-1")
    return sortie.getvalue(), len(document.pages)


def prechauffer():
    """Un petit rendu complet (feuille d'impression, polices, tableau, SVG) pour que la première vraie
    note d'un processus ne paie pas le chargement de WeasyPrint, des feuilles de style et des polices."""
    html = (
        f'<html lang="fr"><head><link rel="stylesheet" href="{STATIC_PREFIX}css/note-impression.css"></head>'
        "<body><h2>Préchauffage</h2><p><strong>Marianne</strong> <em>italique</em></p>"
        '<table class="donnees"><thead><tr><th class="l">A</th><th class="n">1</th></tr></thead>'
        f'<tbody><tr><th>B</th><td class="n">2</td></tr></tbody></table>{_barres_phases_svg([("X", {"1_laureate": 1})])}'
        "</body></html>"
    )
    pdf_rendre(html)
