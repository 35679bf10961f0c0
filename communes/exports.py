"""Exports CSV (UTF-8, point-virgule : s'ouvre tel quel dans Excel en français) et XLSX des listes."""

import csv
import io
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone

from communes.constants import Phase, StatutChefDeProjet
from pvd.tableur import Colonne, classeur_creer, classeur_reponse, feuille_ecrire

COLONNES = [
    ("Code INSEE", lambda c: c.code_insee),
    ("Commune", lambda c: c.nom),
    ("Identifiant PVD", lambda c: c.id_pvd),
    ("Département", lambda c: c.departement.nom),
    ("Code département", lambda c: c.departement_id),
    ("Région", lambda c: c.departement.region.nom),
    ("EPCI", lambda c: c.epci.nom if c.epci else ""),
    ("SIREN EPCI", lambda c: c.epci_id or ""),
    ("Population", lambda c: c.population),
    ("Phase", lambda c: Phase(c.phase).label),
    ("Adhésion signée le", lambda c: c.date_adhesion),
    ("Convention-cadre signée le", lambda c: c.date_cadre),
    ("Convention-cadre valant ORT", lambda c: "oui" if c.has_cadre_ort else "non"),
    ("Inscrite au CRTE", lambda c: "oui" if c.is_inscrit_crte else "non"),
    ("Échéance des 18 mois dépassée", lambda c: "oui" if c.is_retard_cadre else "non"),
    ("En difficulté", lambda c: "oui" if c.is_risque else "non"),
    (
        "Chef de projet",
        lambda c: (
            StatutChefDeProjet(c.chef_de_projet_statut).label if c.chef_de_projet_statut else "non renseigné"
        ),
    ),
    ("Actions engagées ou livrées", lambda c: c.actions_engagees_count),
    ("Actions", lambda c: c.actions_count),
    ("Financements accordés (€)", lambda c: c.financement_accorde),
]
# Formats XLSX des colonnes qui ne se déduisent pas de la valeur (dates et entiers : d'après la valeur).
FORMATS_XLSX = {"Financements accordés (€)": "euros"}
DEBUTS_DE_FORMULE = ("=", "+", "-", "@", "\t", "\r")


def neutraliser(valeur):
    """Une cellule texte qui commencerait par =, +, -, @ serait exécutée comme formule par un tableur."""
    if isinstance(valeur, str) and valeur.startswith(DEBUTS_DE_FORMULE):
        return "'" + valeur
    return valeur


def lignes(queryset):
    for commune in queryset.iterator(chunk_size=500):
        yield [neutraliser(extraire(commune)) for _, extraire in COLONNES]


def _csv(valeur):
    if valeur is None:
        return ""
    if isinstance(valeur, Decimal):
        return f"{valeur:.2f}".replace(".", ",")
    if hasattr(valeur, "strftime"):
        return valeur.strftime("%d/%m/%Y")
    return valeur


def communes_exporter(*, queryset, format_export):
    nom = f"communes-pvd-{timezone.localdate():%Y-%m-%d}"
    if format_export == "csv":
        tampon = io.StringIO()
        tampon.write("\ufeff")  # BOM : Excel reconnaît l'UTF-8
        ecrivain = csv.writer(tampon, delimiter=";")
        ecrivain.writerow([titre for titre, _ in COLONNES])
        for ligne in lignes(queryset):
            ecrivain.writerow([_csv(v) for v in ligne])
        reponse = HttpResponse(tampon.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
        reponse["Content-Disposition"] = f'attachment; filename="{nom}.csv"'
        return reponse
    classeur = classeur_creer()
    feuille_ecrire(
        classeur,
        titre="Communes PVD",
        colonnes=[Colonne(titre, FORMATS_XLSX.get(titre)) for titre, _ in COLONNES],
        lignes=lignes(queryset),
    )
    return classeur_reponse(classeur, nom_fichier=nom)
