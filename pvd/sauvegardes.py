"""Sauvegarde et restauration de la base : pg_dump / pg_restore pour PostgreSQL, API de sauvegarde de SQLite
pour la configuration embarquée. Le fichier de sauvegarde contient tout : référentiel, suivi, historique, comptes."""

import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote


class SauvegardeError(Exception):
    pass


def _url_postgres(reglages):
    utilisateur = quote(reglages.get("USER") or "")
    mot_de_passe = quote(reglages.get("PASSWORD") or "")
    identite = (
        f"{utilisateur}:{mot_de_passe}@" if mot_de_passe else (f"{utilisateur}@" if utilisateur else "")
    )
    hote = reglages.get("HOST") or "localhost"
    port = reglages.get("PORT") or 5432
    return f"postgresql://{identite}{hote}:{port}/{reglages['NAME']}"


def _executer(commande):
    resultat = subprocess.run(commande, capture_output=True, text=True)
    if resultat.returncode != 0:
        raise SauvegardeError(f"{Path(commande[0]).name} a échoué : {resultat.stderr.strip()}")


def base_sauvegarder(*, reglages, fichier):
    """reglages : un dictionnaire DATABASES[...] ; fichier : chemin du fichier écrit."""
    fichier = Path(fichier)
    fichier.parent.mkdir(parents=True, exist_ok=True)
    if reglages["ENGINE"].endswith("postgresql"):
        _executer(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--dbname={_url_postgres(reglages)}",
                f"--file={fichier}",
            ]
        )
    elif reglages["ENGINE"].endswith("sqlite3"):
        source = sqlite3.connect(reglages["NAME"])
        cible = sqlite3.connect(fichier)
        with cible:
            source.backup(cible)
        source.close()
        cible.close()
    else:
        raise SauvegardeError(f"moteur non pris en charge : {reglages['ENGINE']}")
    return fichier


def base_restaurer(*, reglages, fichier):
    """Restaure dans la base décrite par reglages, qui doit être vide (nouvelle base)."""
    fichier = Path(fichier)
    if not fichier.is_file():
        raise SauvegardeError(f"fichier introuvable : {fichier}")
    if reglages["ENGINE"].endswith("postgresql"):
        _executer(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--dbname={_url_postgres(reglages)}",
                str(fichier),
            ]
        )
    elif reglages["ENGINE"].endswith("sqlite3"):
        cible = Path(reglages["NAME"])
        if cible.exists() and cible.stat().st_size > 0:
            raise SauvegardeError(f"la base {cible} existe déjà : restaurez dans une nouvelle base.")
        shutil.copyfile(fichier, cible)
    else:
        raise SauvegardeError(f"moteur non pris en charge : {reglages['ENGINE']}")
