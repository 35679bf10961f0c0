"""Essai de `make run` comme le ferait une nouvelle utilisatrice, dans un vrai terminal (pseudo-terminal).

1. lance `make run PORT=…` et attend l'adresse annoncée (« PVD Suivi est prêt : … ») ;
2. ouvre la page de connexion, se connecte avec le compte départemental de démonstration, ouvre la liste
   des communes ;
3. tape Ctrl-C et attend la fin : web, worker et beat arrêtés, code de sortie 0.

Échoue (code 1) à la moindre erreur : délai dépassé, page en erreur, traceback dans la sortie, processus
restant, code de sortie non nul. Bibliothèque standard seulement : l'essai tourne avant toute installation.
Usage : python3 scripts/essai_make_run.py [--delai SECONDES] [--port PORT] [-- ARGUMENTS DE MAKE…]"""

import argparse
import http.cookiejar
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

RACINE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, RACINE)
from tests.processus import port_libre  # noqa: E402 (bibliothèque standard seulement)

PRET = re.compile(rb"PVD Suivi est pr\xc3\xaat : (http://\S+)")
UTILISATEUR = "demo-departement"


class Terminal:
    """`make run` dans un pseudo-terminal dont il est le processus de premier plan, comme dans un shell."""

    def __init__(self, commande, journal):
        self.journal = journal
        self.sortie = b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # enfant : nouvelle session, le pseudo-terminal pour terminal de contrôle
            os.chdir(RACINE)
            os.execvp(commande[0], commande)

    def lire(self, delai):
        fin = time.monotonic() + delai
        while time.monotonic() < fin:
            prets, _, _ = select.select([self.fd], [], [], 0.2)
            if not prets:
                continue
            try:
                morceau = os.read(self.fd, 65536)
            except OSError:  # le processus est fini
                return False
            if not morceau:
                return False
            self.sortie += morceau
            self.journal.write(morceau)
            self.journal.flush()
        return True

    def attendre(self, motif, delai):
        fin = time.monotonic() + delai
        while time.monotonic() < fin:
            trouve = motif.search(self.sortie)
            if trouve:
                return trouve
            if not self.lire(0.5):
                break
        return motif.search(self.sortie)

    def ctrl_c(self):
        os.write(self.fd, b"\x03")

    def code_de_sortie(self, delai):
        fin = time.monotonic() + delai
        while time.monotonic() < fin:
            self.lire(0.2)
            pid, statut = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.lire(0.5)
                return os.waitstatus_to_exitcode(statut)
        return None


def verifier_pages(url):
    jarre = http.cookiejar.CookieJar()
    navigateur = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jarre))
    with navigateur.open(f"{url}connexion/", timeout=30) as reponse:
        page = reponse.read().decode()
    assert reponse.status == 200 and "Se connecter" in page, "page de connexion illisible"
    jeton = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    donnees = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": jeton, "username": UTILISATEUR, "password": mot_de_passe()}
    ).encode()
    requete = urllib.request.Request(
        f"{url}connexion/", data=donnees, headers={"Referer": f"{url}connexion/"}
    )
    with navigateur.open(requete, timeout=30) as reponse:
        accueil = reponse.read().decode()
    assert "Se déconnecter" in accueil or "Déconnexion" in accueil, "connexion refusée"
    with navigateur.open(f"{url}communes/", timeout=30) as reponse:
        liste = reponse.read().decode()
    assert reponse.status == 200 and "Ille-et-Vilaine" in liste, "liste des communes illisible"
    print(f"[essai] connexion de {UTILISATEUR} et liste des communes : d'accord", flush=True)


def mot_de_passe():
    with open(os.path.join(RACINE, "comptes", "services.py"), encoding="utf-8") as f:
        return re.search(r'^DEMO_PASSWORD = "([^"]+)"', f.read(), re.M).group(1)


def processus_restants():
    """gunicorn, worker ou beat de ce dossier encore vivants (lancés depuis son .venv)."""
    motif = f"{RACINE}/.venv/bin/(gunicorn|celery|honcho)"
    resultat = subprocess.run(["pgrep", "-f", motif], capture_output=True, text=True)
    return resultat.stdout.split()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--delai", type=float, default=900, help="attente maximale de l'adresse (s)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("make", nargs="*", help="arguments de make en plus")
    args = parser.parse_args()
    port = args.port or port_libre()
    os.makedirs(os.path.join(RACINE, "var"), exist_ok=True)
    chemin_journal = os.path.join(RACINE, "var", "essai-make-run.log")
    debut = time.monotonic()
    with open(chemin_journal, "wb") as journal:
        terminal = Terminal(["make", "run", f"PORT={port}", *args.make], journal)
        erreurs = []
        try:
            pret = terminal.attendre(PRET, args.delai)
            if not pret:
                raise AssertionError(f"aucune adresse annoncée en {args.delai:.0f} s")
            print(f"[essai] adresse annoncée en {time.monotonic() - debut:.1f} s", flush=True)
            premiere = time.monotonic()
            verifier_pages(pret.group(1).decode())
            print(f"[essai] premières pages en {time.monotonic() - premiere:.1f} s", flush=True)
            terminal.lire(1)
        except Exception as exc:
            erreurs.append(str(exc) or repr(exc))
        terminal.ctrl_c()
        code = terminal.code_de_sortie(60)
        if code is None:
            erreurs.append("make run ne s'est pas arrêté dans les 60 s après Ctrl-C")
            os.kill(terminal.pid, signal.SIGKILL)
        elif code != 0:
            erreurs.append(f"make run a fini avec le code {code} après Ctrl-C")
        time.sleep(1)
        restants = processus_restants()
        if restants:
            erreurs.append(f"processus restés après Ctrl-C : {' '.join(restants)}")
            subprocess.run(["kill", "-9", *restants])
        if b"Traceback" in terminal.sortie:
            erreurs.append("traceback dans la sortie de make run")
    if erreurs:
        print(f"[essai] ÉCHEC ({chemin_journal}) :\n  " + "\n  ".join(erreurs), flush=True)
        with open(chemin_journal, "rb") as f:
            sys.stdout.write(f.read()[-6000:].decode(errors="replace"))
        return 1
    print(f"[essai] make run : d'accord en {time.monotonic() - debut:.1f} s (Ctrl-C : code 0)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
