"""Lance les processus du Procfile (web, worker, beat) avec honcho, au premier plan du terminal, pour `make run`.

Ctrl-C dans le terminal va au groupe de processus du premier plan. Sans ce lanceur, make en fait partie : il
meurt de SIGINT et finit en erreur (« make: *** [run] Interrupt », code 130), quoi que fassent les processus.
Ici, honcho et ses processus reçoivent seuls le terminal : Ctrl-C les arrête proprement (SIGTERM à chacun,
attente de leur fin), puis le terminal revient à make, qui termine avec le code 0.

Usage : demarrer.py [--url URL] COMMANDE [ARGUMENTS…] (la commande honcho complète). Avec --url, annonce
« PVD Suivi est prêt : URL » dès que la page de connexion répond (et le temps écoulé depuis MAKE_RUN_DEBUT,
l'horloge du début de make run, si elle est donnée)."""

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

CODES_ARRET = {0, 128 + signal.SIGINT, 128 + signal.SIGTERM, -signal.SIGINT, -signal.SIGTERM}


def terminal():
    try:
        return os.open("/dev/tty", os.O_RDWR)
    except OSError:  # pas de terminal (service, CI) : SIGINT ou SIGTERM au lanceur suffisent
        return None


def annoncer(url, processus):
    """Attend que la page de connexion réponde, puis donne l'adresse (une fois)."""
    while processus.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}connexion/", timeout=2):
                break
        except urllib.error.HTTPError:
            break  # le serveur répond
        except OSError:
            time.sleep(0.3)
    else:
        return
    debut = os.environ.get("MAKE_RUN_DEBUT")
    duree = f" (en {time.time() - float(debut):.0f} s)" if debut else ""
    print(f"\nPVD Suivi est prêt : {url}{duree} — Ctrl-C pour arrêter web, worker et beat.\n", flush=True)


def main(arguments):
    url = None
    if arguments[:1] == ["--url"]:
        url, arguments = arguments[1], arguments[2:]
    tty = terminal()
    processus = subprocess.Popen(arguments, process_group=0)
    if url:
        threading.Thread(target=annoncer, args=(url, processus), daemon=True).start()
    arret = []

    def relayer(signum, _frame):
        arret.append(signum)
        try:
            os.killpg(processus.pid, signal.SIGINT)  # honcho arrête chaque processus par SIGTERM
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGINT, relayer)
    signal.signal(signal.SIGTERM, relayer)
    signal.signal(signal.SIGHUP, relayer)
    if tty is not None:
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # changer de premier plan depuis l'arrière-plan
        try:
            premier_plan = os.tcgetpgrp(tty)
            os.tcsetpgrp(tty, processus.pid)
        except OSError:
            tty = None
    try:
        code = processus.wait()
    finally:
        if tty is not None:
            try:
                os.tcsetpgrp(tty, premier_plan)
            except OSError:
                pass
    if code in CODES_ARRET:
        print("\nPVD Suivi arrêté (web, worker et beat).", flush=True)
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
