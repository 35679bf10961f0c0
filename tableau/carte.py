"""Carte choroplèthe en SVG, produite par le serveur depuis les contours réels de l'ANCT.

Géométrie : `geo/departements_fr-drom_anct2022.geojson` et `geo/regions_fr-drom_anct2022.geojson` du
référentiel (REFERENTIEL_DIR), où les DROM sont déjà placés en encarts près de la métropole. Projection
équirectangulaire simple (longitude × cos 46,5°), suffisante à l'échelle d'un pays. Les tracés sont
calculés une fois par processus ; chaque page ne fait que choisir les zones et leurs classes."""

import json
import math
from dataclasses import dataclass
from functools import cache, lru_cache

from django.conf import settings

FICHIERS = {
    "departement": ("geo/departements_fr-drom_anct2022.geojson", "insee_dep", "lib_dep", "insee_reg"),
    "region": ("geo/regions_fr-drom_anct2022.geojson", "insee_reg", "lib_reg", None),
}
LARGEUR = 1000
COS_LAT = math.cos(math.radians(46.5))
NOMBRE_CLASSES = 5


@dataclass(frozen=True)
class Forme:
    code: str
    nom: str
    chemin: str  # attribut d du <path>, coordonnées en unités du système commun
    bbox: tuple  # (xmin, ymin, xmax, ymax)
    etiquette: tuple  # (x, y) : point où écrire la valeur
    region: str | None  # code de la région d'un département


def _anneaux(geometrie):
    if geometrie["type"] == "Polygon":
        return [geometrie["coordinates"]]
    return geometrie["coordinates"]


def _aire_centre(anneau):
    """Aire (signe ignoré) et centre de gravité d'un anneau (formule du polygone)."""
    aire = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(anneau, anneau[1:] + anneau[:1], strict=True):
        croise = x0 * y1 - x1 * y0
        aire += croise
        cx += (x0 + x1) * croise
        cy += (y0 + y1) * croise
    if not aire:
        return 0.0, anneau[0]
    return abs(aire / 2), (cx / (3 * aire), cy / (3 * aire))


@cache
def formes(maille):
    """{code: Forme} pour « departement » ou « region », dans un repère commun aux deux mailles."""
    chemin_fichier, cle_code, cle_nom, cle_region = FICHIERS[maille]
    donnees = json.loads((settings.REFERENTIEL_DIR / chemin_fichier).read_text(encoding="utf-8"))
    # Repère commun : l'emprise des départements (les régions en ont la même).
    emprise = _emprise()
    echelle = LARGEUR / ((emprise[2] - emprise[0]) * COS_LAT)

    def projeter(lon, lat):
        return ((lon - emprise[0]) * COS_LAT * echelle, (emprise[3] - lat) * echelle)

    resultat = {}
    for feature in donnees["features"]:
        code = feature["properties"][cle_code]
        morceaux, xs, ys, plus_grand = [], [], [], (0.0, (0, 0))
        for polygone in _anneaux(feature["geometry"]):
            for i, anneau in enumerate(polygone):
                points = [projeter(lon, lat) for lon, lat in anneau]
                xs += [p[0] for p in points]
                ys += [p[1] for p in points]
                morceaux.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points) + "Z")
                if i == 0:  # anneau extérieur : le plus grand porte l'étiquette
                    aire, centre = _aire_centre(points)
                    if aire > plus_grand[0]:
                        plus_grand = (aire, centre)
        resultat[code] = Forme(
            code=code,
            nom=feature["properties"][cle_nom],
            chemin="".join(morceaux),
            bbox=(min(xs), min(ys), max(xs), max(ys)),
            etiquette=plus_grand[1],
            region=feature["properties"][cle_region] if cle_region else None,
        )
    return resultat


@lru_cache(maxsize=1)
def _emprise():
    chemin_fichier = FICHIERS["departement"][0]
    donnees = json.loads((settings.REFERENTIEL_DIR / chemin_fichier).read_text(encoding="utf-8"))
    lons, lats = [], []
    for feature in donnees["features"]:
        for polygone in _anneaux(feature["geometry"]):
            for lon, lat in polygone[0]:
                lons.append(lon)
                lats.append(lat)
    return (min(lons), min(lats), max(lons), max(lats))


def viewbox(formes_choisies, marge=0.03):
    xmin = min(f.bbox[0] for f in formes_choisies)
    ymin = min(f.bbox[1] for f in formes_choisies)
    xmax = max(f.bbox[2] for f in formes_choisies)
    ymax = max(f.bbox[3] for f in formes_choisies)
    dx, dy = (xmax - xmin) * marge + 2, (ymax - ymin) * marge + 2
    return xmin - dx, ymin - dy, xmax - xmin + 2 * dx, ymax - ymin + 2 * dy


# Classes de valeurs ----------------------------------------------------------------------------------
def _arrondi_joli(valeur):
    if valeur <= 0:
        return 0
    puissance = 10 ** math.floor(math.log10(valeur))
    for pas in (1, 2, 2.5, 5, 10):
        if valeur <= pas * puissance:
            return pas * puissance
    return 10 * puissance


def bornes(valeurs, *, pourcentage):
    """Bornes des classes : tous les 20 % pour une part, sinon des paliers arrondis jusqu'au maximum."""
    if pourcentage:
        return [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    maximum = max((v for v in valeurs if v is not None), default=0)
    pas = _arrondi_joli(maximum / NOMBRE_CLASSES) if maximum else 1
    return [pas * i for i in range(NOMBRE_CLASSES + 1)]


def classe(valeur, limites):
    """Numéro de classe 1..5 (0 : pas de donnée)."""
    if valeur is None:
        return 0
    for i in range(1, len(limites)):
        if valeur < limites[i]:
            return i
    return len(limites) - 1


# Balisage ----------------------------------------------------------------------------------------------
def zones_svg(zones):
    """Les zones de la carte : un lien par zone du territoire (titre et nom accessible : nom et valeur),
    un tracé gris sans lien pour les autres. Produit ici : la carte des départements compte 101 zones."""
    from django.utils.html import format_html, format_html_join

    def zone(z):
        classes = f"pvd-carte__zone pvd-classe-{z['classe']}" + (
            " pvd-carte__zone--courante" if z["courant"] else ""
        )
        if z["url"]:
            return format_html(
                '<a href="{}" class="pvd-carte__lien" aria-label="{} : {}"><title>{} : {}</title>'
                '<path d="{}" class="{}" data-code="{}"/></a>',
                z["url"], z["nom"], z["texte"], z["nom"], z["texte"], z["forme"].chemin, classes, z["code"],
            )  # fmt: skip
        return format_html(
            '<g class="pvd-carte__hors" aria-hidden="true"><title>{} : hors de votre territoire</title>'
            '<path d="{}" class="pvd-carte__zone pvd-classe-0"/></g>',
            z["nom"],
            z["forme"].chemin,
        )

    return format_html_join("\n", "{}", ((zone(z),) for z in zones))


def etiquettes_svg(zones):
    from django.utils.html import format_html_join

    return format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (f"{z['forme'].etiquette[0]:.1f}", f"{z['forme'].etiquette[1]:.1f}", z["texte"])
            for z in zones
            if z["url"]
        ),
    )


CODES_DROM = {"departement": {"971", "972", "973", "974", "976"}, "region": {"01", "02", "03", "04", "06"}}


def encarts_svg(zones, maille):
    """Un cadre et le nom de chaque DROM quand la carte les montre en encarts à côté de la métropole."""
    from django.utils.html import format_html_join

    drom = [z for z in zones if z["code"] in CODES_DROM[maille]]
    if not drom or len(drom) == len(zones):
        return ""
    marge = 6
    return format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" rx="2"/><text x="{}" y="{}">{}</text>',
        (
            (
                f"{xmin - marge:.1f}",
                f"{ymin - marge:.1f}",
                f"{xmax - xmin + 2 * marge:.1f}",
                f"{ymax - ymin + 2 * marge:.1f}",
                f"{xmin - marge:.1f}",
                f"{ymin - marge - 3:.1f}",
                z["nom"],
            )  # fmt: skip
            for z in drom
            for xmin, ymin, xmax, ymax in [z["forme"].bbox]
        ),
    )
