"""Sonde de santé d'un conteneur web : GET /sante/?composants=… sur le gunicorn local.

Code de sortie 0 si la réponse est 200, 1 sinon. N'importe que la bibliothèque standard (pas Django) :
elle tourne toutes les 30 s. Usage : python deploy/sonde.py [composants] (défaut : base,broker).
L'en-tête Host reprend le premier nom d'ALLOWED_HOSTS, pour que Django accepte la requête.
"""

import os
import sys
import urllib.error
import urllib.request


def hote_autorise():
    for nom in os.environ.get("ALLOWED_HOSTS", "localhost").split(","):
        nom = nom.strip().lstrip(".")
        if nom and nom != "*":
            return nom
    return "localhost"


def main():
    composants = sys.argv[1] if len(sys.argv) > 1 else "base,broker"
    url = os.environ.get("SONDE_URL", "http://127.0.0.1:8000").rstrip("/")
    requete = urllib.request.Request(
        f"{url}/sante/?composants={composants}",
        headers={"Host": hote_autorise(), "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(requete, timeout=10) as reponse:
            return 0 if reponse.status == 200 else 1
    except urllib.error.HTTPError as erreur:
        print(f"/sante/ : {erreur.code} {erreur.read().decode(errors='replace')}", file=sys.stderr)
    except OSError as erreur:
        print(f"/sante/ injoignable : {erreur}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
