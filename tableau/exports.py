"""Exports des tableaux de chiffres : CSV (UTF-8, point-virgule, s'ouvre dans Excel) ou XLSX (un onglet par
tableau). Mêmes conventions que l'export de la liste des communes (communes/exports.py)."""

import csv
import io
import re
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils import timezone

from communes.exports import neutraliser
from pvd.tableur import Colonne, classeur_creer, classeur_reponse, feuille_ecrire
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
    return neutraliser(valeur)


def _lignes(donnees):
    yield [_entete(c) for c in donnees.colonnes]
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
    if colonne.format == "mois":
        return valeur
    return neutraliser(valeur)


def _lignes_xlsx(donnees):
    for ligne in [*donnees.lignes, *([donnees.total] if donnees.total else [])]:
        yield [_xlsx(c, v) for c, v in zip(donnees.colonnes, ligne, strict=True)]


def _csv(valeur):
    if valeur is None:
        return ""
    if isinstance(valeur, (Decimal, float)):
        return (
            f"{valeur:.2f}".replace(".", ",")
            if isinstance(valeur, Decimal)
            else str(valeur).replace(".", ",")
        )
    return valeur


def _nom_fichier(texte):
    return re.sub(r"[^a-z0-9-]+", "-", ordre_alphabetique(texte)).strip("-")


def donnees_exporter(*, tableaux, nom, format_export, prefixe):
    """tableaux : liste de Donnees ; nom : celui à exporter (« tout » : tous, en XLSX un onglet chacun)."""
    choisis = tableaux if nom == "tout" else [d for d in tableaux if d.nom == nom]
    if not choisis or (format_export == "csv" and len(choisis) > 1):
        raise Http404("Tableau inconnu.")
    fichier = _nom_fichier(f"{prefixe}-{nom}-{timezone.localdate():%Y-%m-%d}")
    if format_export == "csv":
        tampon = io.StringIO()
        tampon.write("\ufeff")
        ecrivain = csv.writer(tampon, delimiter=";")
        for ligne in _lignes(choisis[0]):
            ecrivain.writerow([_csv(v) for v in ligne])
        reponse = HttpResponse(tampon.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
        reponse["Content-Disposition"] = f'attachment; filename="{fichier}.csv"'
        return reponse
    classeur = classeur_creer()
    for donnees in choisis:
        feuille_ecrire(
            classeur,
            titre=donnees.feuille or donnees.titre,
            colonnes=[Colonne(_entete(c), FORMATS_XLSX[c.format]) for c in donnees.colonnes],
            lignes=_lignes_xlsx(donnees),
        )
    return classeur_reponse(classeur, nom_fichier=fichier)
