"""Exports des tableaux de chiffres : CSV (UTF-8, point-virgule, s'ouvre dans Excel) ou XLSX (un onglet par
tableau). Mêmes conventions que l'export de la liste des communes (communes/exports.py)."""

import csv
import io
import re
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils import timezone
from openpyxl import Workbook

from communes.exports import neutraliser
from tableau.donnees import ordre_alphabetique
from tableau.indicateurs import euros

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


# Lignes d'un tableau dont la valeur est un montant en centimes alors que la colonne est un nombre (tableau
# « Chiffres clés » : une ligne par indicateur, chacune dans son unité). Elles s'exportent en euros, avec
# l'unité dans le libellé. À remplacer par le format porté par la ligne quand les tableaux le donneront.
LIGNES_EN_CENTIMES = {"Financements accordés", "dont fonds vert"}


def _ligne_en_centimes(donnees, ligne):
    return (
        bool(ligne)
        and ligne[0] in LIGNES_EN_CENTIMES
        and donnees.colonnes[0].format == "texte"
        and all(c.format != "euros" for c in donnees.colonnes)
    )


def _brute_ligne(donnees, ligne):
    if not _ligne_en_centimes(donnees, ligne):
        return [_brute(c, v) for c, v in zip(donnees.colonnes, ligne, strict=True)]
    valeurs = [f"{ligne[0]} (€)"]
    for colonne, valeur in zip(donnees.colonnes[1:], ligne[1:], strict=True):
        valeurs.append(euros(valeur) if valeur is not None and colonne.format == "nombre" else None)
    return valeurs


def _lignes(donnees):
    yield [_entete(c) for c in donnees.colonnes]
    for ligne in [*donnees.lignes, *([donnees.total] if donnees.total else [])]:
        yield _brute_ligne(donnees, ligne)


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
    classeur = Workbook(write_only=True)
    for donnees in choisis:
        feuille = classeur.create_sheet(donnees.nom[:31])
        for ligne in _lignes(donnees):
            feuille.append(ligne)
    tampon = io.BytesIO()
    classeur.save(tampon)
    reponse = HttpResponse(tampon.getvalue(), content_type=XLSX)
    reponse["Content-Disposition"] = f'attachment; filename="{fichier}.xlsx"'
    return reponse
