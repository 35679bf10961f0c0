"""Exports des tableaux de chiffres : CSV ou XLSX (un onglet par tableau), écrits par pvd.tableur comme tous
les exports."""

import re

from django.http import Http404
from django.utils import timezone

from pvd.tableur import Colonne, Feuille, csv_reponse, export_reponse
from tableau.donnees import ordre_alphabetique
from tableau.indicateurs import euros

# Format XLSX de chaque format de colonne du tableau de bord (tableau.donnees.Colonne.format).
FORMATS_XLSX = {"part": "pourcent", "euros": "euros", "mois": "mois", "nombre": None, "texte": None}


def _entete(colonne):
    return {"part": f"{colonne.titre} (%)", "euros": f"{colonne.titre} (€)"}.get(
        colonne.format, colonne.titre
    )


def _brute(colonne, valeur):
    """Valeur pour un tableur : parts en pourcentage, montants en euros, mois AAAA-MM."""
    if valeur is None:
        return None
    if colonne.format == "part":
        return round(valeur * 100, 1)
    if colonne.format == "euros":
        return euros(valeur)
    if colonne.format == "mois":
        return f"{valeur:%Y-%m}"
    return valeur


def _lignes(donnees):
    for ligne in [*donnees.lignes, *([donnees.total] if donnees.total else [])]:
        yield [_brute(c, v) for c, v in zip(donnees.colonnes, ligne, strict=True)]


def _xlsx(colonne, valeur):
    """Valeur réelle pour le tableur : part de 0 à 1 (affichée en %), euros, mois en date (1er du mois)."""
    if valeur is None:
        return None
    if colonne.format == "part":
        return float(valeur)
    if colonne.format == "euros":
        return euros(valeur)
    return valeur


def _lignes_xlsx(donnees):
    for ligne in [*donnees.lignes, *([donnees.total] if donnees.total else [])]:
        yield [_xlsx(c, v) for c, v in zip(donnees.colonnes, ligne, strict=True)]


def _nom_fichier(texte):
    return re.sub(r"[^a-z0-9-]+", "-", ordre_alphabetique(texte)).strip("-")


def donnees_exporter(*, tableaux, nom, format_export, prefixe):
    """tableaux : liste de Donnees ; nom : celui à exporter (« tout » : tous, en XLSX un onglet chacun)."""
    choisis = tableaux if nom == "tout" else [d for d in tableaux if d.nom == nom]
    if not choisis or (format_export == "csv" and len(choisis) > 1):
        raise Http404("Tableau inconnu.")
    fichier = _nom_fichier(f"{prefixe}-{nom}-{timezone.localdate():%Y-%m-%d}")
    if format_export == "csv":
        (donnees,) = choisis
        return csv_reponse(
            nom_fichier=fichier, colonnes=[_entete(c) for c in donnees.colonnes], lignes=_lignes(donnees)
        )
    return export_reponse(
        format_export=format_export,
        nom_fichier=fichier,
        feuilles=[
            Feuille(
                titre=donnees.feuille or donnees.titre,
                colonnes=[Colonne(_entete(c), FORMATS_XLSX[c.format]) for c in donnees.colonnes],
                lignes=_lignes_xlsx(donnees),
            )
            for donnees in choisis
        ],
    )
