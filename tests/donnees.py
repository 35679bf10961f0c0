"""Lecture indépendante des fichiers de référence, pour comparer l'application aux fichiers."""

import csv
import json
from collections import Counter

from django.conf import settings


def fichier(relatif):
    return settings.REFERENTIEL_DIR / relatif


def lignes_csv(relatif):
    with fichier(relatif).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def objets_json(relatif):
    return json.loads(fichier(relatif).read_text(encoding="utf-8"))


def communes_pvd():
    return [r for r in lignes_csv("pvd_communes.csv") if r["dans_liste_anct_2024_08"] == "1"]


def pvd_par_departement():
    return Counter(r["code_departement"] for r in communes_pvd())


def regions_officielles():
    """Les régions que le produit charge : métropole et DROM (les collectivités d'outre-mer n'ont pas de PVD)."""
    return [r for r in objets_json("cog/regions.json") if r["zone"] in ("metro", "drom")]


def departements_officiels():
    return [d for d in objets_json("cog/departements.json") if d["zone"] in ("metro", "drom")]
