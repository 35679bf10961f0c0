"""Exports de tous les tableaux, listes et tableaux de bord : CSV et XLSX, écrits ici seulement.

- XLSX : une feuille par tableau, au nom français, avec une ligne d'en-tête en gras figée, un filtre
  automatique, des largeurs de colonnes ajustées, et des dates et nombres réels (le tableur les trie et les
  additionne), affichés au format français.
- CSV pour un tableur (français) : UTF-8 avec BOM, point-virgule, virgule décimale, dates JJ/MM/AAAA,
  « oui »/« non » ; CSV de données ouvertes (API) : UTF-8, virgule, point décimal, dates AAAA-MM-JJ,
  true/false.
- Une cellule texte qui commencerait par =, +, -, @ serait exécutée comme formule : elle est neutralisée
  (apostrophe en tête) dans les deux formats.

Écrit en flux (openpyxl write_only) : la mémoire ne dépend pas du nombre de lignes ; les largeurs sont
calculées sur l'en-tête et les LIGNES_LARGEUR premières lignes."""

import csv
import datetime
import io
import itertools
import re
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Formats d'affichage (le tableur les traduit selon sa langue : séparateurs français dans un Excel français).
FORMATS = {
    "date": "dd/mm/yyyy",
    "mois": "mm/yyyy",
    "entier": "#,##0",
    "decimal": "#,##0.00",
    "euros": '#,##0.00 "€"',
    "pourcent": "0.0 %",
}
LIGNES_LARGEUR = 200
LARGEUR_MIN, LARGEUR_MAX = 8, 60
DEBUTS_DE_FORMULE = ("=", "+", "-", "@", "\t", "\r")
# Caractères interdits dans un nom de feuille Excel ; 31 caractères au plus.
INTERDITS = re.compile(r"[\[\]:*?/\\]")


def neutraliser(valeur):
    """Une cellule texte qui commencerait par =, +, -, @ serait exécutée comme formule par un tableur."""
    if isinstance(valeur, str) and valeur.startswith(DEBUTS_DE_FORMULE):
        return "'" + valeur
    return valeur


@dataclass
class Colonne:
    """Une colonne : son titre et le format de ses valeurs (clé de FORMATS ; None : selon la valeur)."""

    titre: str
    format: str | None = None


def nom_de_feuille(titre, pris=()):
    """Nom de feuille valide pour Excel (31 caractères, sans []:*?/\\), distinct de ceux déjà pris."""
    base = " ".join(INTERDITS.sub(" ", titre).split())
    if len(base) > 31:  # coupé à la fin d'un mot
        base = base[:32].rsplit(" ", 1)[0].rstrip(" ,;–-")
    base = base[:31] or "Feuille"
    nom, numero = base, 2
    while nom.casefold() in {p.casefold() for p in pris}:
        suffixe = f" ({numero})"
        nom, numero = base[: 31 - len(suffixe)] + suffixe, numero + 1
    return nom


def _format_de(valeur):
    """Format par défaut selon la valeur : date, entier, décimal."""
    if isinstance(valeur, datetime.datetime):
        return "date"
    if isinstance(valeur, datetime.date):
        return "date"
    if isinstance(valeur, bool):
        return None
    if isinstance(valeur, int):
        return "entier"
    if isinstance(valeur, (Decimal, float)):
        return "decimal"
    return None


def _largeur_texte(valeur, format_):
    if valeur is None:
        return 0
    if format_ in ("date", "mois"):
        return 10
    if format_ in ("euros", "decimal"):
        return len(f"{valeur:,.2f}") + 2
    if format_ == "pourcent":
        return 7
    if format_ == "entier":
        return len(f"{valeur:,}")
    return max((len(partie) for partie in str(valeur).splitlines()), default=0)


def feuille_ecrire(classeur, *, titre, colonnes, lignes):
    """Ajoute au classeur (Workbook(write_only=True)) une feuille `titre` : en-tête `colonnes` (Colonne ou
    titre), puis `lignes` (itérable de listes de valeurs Python : date, int, Decimal, str…). Renvoie la
    feuille."""
    colonnes = [c if isinstance(c, Colonne) else Colonne(c) for c in colonnes]
    feuille = classeur.create_sheet(nom_de_feuille(titre, classeur.sheetnames))
    lignes = iter(lignes)
    premieres = list(itertools.islice(lignes, LIGNES_LARGEUR))

    def format_cellule(colonne, valeur):
        return colonne.format or _format_de(valeur)

    # Largeurs et volet figé : écrits avant la première ligne (openpyxl en flux).
    for i, colonne in enumerate(colonnes, start=1):
        largeur = max(
            [len(colonne.titre) + 3]  # la flèche du filtre prend de la place
            + [_largeur_texte(ligne[i - 1], format_cellule(colonne, ligne[i - 1])) for ligne in premieres]
        )
        feuille.column_dimensions[get_column_letter(i)].width = min(
            LARGEUR_MAX, max(LARGEUR_MIN, largeur + 2)
        )
    feuille.freeze_panes = "A2"

    gras, aligne = Font(bold=True), Alignment(vertical="top", wrap_text=True)
    entete = []
    for colonne in colonnes:
        cellule = WriteOnlyCell(feuille, value=colonne.titre)
        cellule.font, cellule.alignment = gras, aligne
        entete.append(cellule)
    feuille.append(entete)

    nombre = 0
    for ligne in itertools.chain(premieres, lignes):
        cellules = []
        for colonne, valeur in zip(colonnes, ligne, strict=True):
            format_ = format_cellule(colonne, valeur)
            valeur = neutraliser(valeur)
            if format_ and valeur is not None:
                cellule = WriteOnlyCell(feuille, value=valeur)
                cellule.number_format = FORMATS[format_]
                cellules.append(cellule)
            else:
                cellules.append(valeur)
        feuille.append(cellules)
        nombre += 1
    # Le filtre automatique couvre l'en-tête et toutes les lignes (écrit après les lignes).
    feuille.auto_filter.ref = f"A1:{get_column_letter(max(1, len(colonnes)))}{nombre + 1}"
    return feuille


def classeur_creer():
    return Workbook(write_only=True)


def classeur_reponse(classeur, *, nom_fichier):
    """Réponse HTTP d'un classeur à télécharger (nom_fichier sans extension)."""
    tampon = io.BytesIO()
    classeur.save(tampon)
    reponse = HttpResponse(tampon.getvalue(), content_type=XLSX)
    reponse["Content-Disposition"] = f'attachment; filename="{nom_fichier}.xlsx"'
    return reponse


def _cellule_tableur(valeur):
    if valeur is None:
        return ""
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, Decimal):
        return f"{valeur:.2f}".replace(".", ",")
    if isinstance(valeur, float):
        return str(valeur).replace(".", ",")
    if isinstance(valeur, datetime.date):
        return valeur.strftime("%d/%m/%Y")
    return neutraliser(valeur)


def _cellule_donnees_ouvertes(valeur):
    if valeur is None:
        return ""
    if isinstance(valeur, bool):
        return "true" if valeur else "false"
    if isinstance(valeur, Decimal):
        return f"{valeur:.2f}"
    if isinstance(valeur, datetime.date):
        return valeur.isoformat()
    return neutraliser(valeur)


def csv_reponse(*, nom_fichier, colonnes, lignes, donnees_ouvertes=False):
    """Réponse HTTP d'un CSV à télécharger (nom_fichier sans extension) : en-tête `colonnes` (Colonne ou
    titre), puis `lignes` (valeurs Python). Pour un tableur français, ou de données ouvertes (voir en tête)."""
    tampon = io.StringIO()
    if donnees_ouvertes:
        ecrivain, cellule = csv.writer(tampon, lineterminator="\r\n"), _cellule_donnees_ouvertes
    else:
        tampon.write("\ufeff")  # BOM : Excel reconnaît l'UTF-8
        ecrivain, cellule = csv.writer(tampon, delimiter=";"), _cellule_tableur
    ecrivain.writerow([c.titre if isinstance(c, Colonne) else c for c in colonnes])
    for ligne in lignes:
        ecrivain.writerow([cellule(valeur) for valeur in ligne])
    reponse = HttpResponse(tampon.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    reponse["Content-Disposition"] = f'attachment; filename="{nom_fichier}.csv"'
    return reponse


@dataclass
class Feuille:
    titre: str
    colonnes: list
    lignes: object  # itérable de listes de valeurs


def export_reponse(*, format_export, nom_fichier, feuilles):
    """Le téléchargement d'un export : « csv » (une seule feuille) ou « xlsx » (une feuille chacune)."""
    if format_export == "csv":
        (feuille,) = feuilles
        return csv_reponse(nom_fichier=nom_fichier, colonnes=feuille.colonnes, lignes=feuille.lignes)
    classeur = classeur_creer()
    for feuille in feuilles:
        feuille_ecrire(classeur, titre=feuille.titre, colonnes=feuille.colonnes, lignes=feuille.lignes)
    return classeur_reponse(classeur, nom_fichier=nom_fichier)
