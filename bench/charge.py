"""Scénario de charge (locust) : des agents connectés consultent listes, tableaux de bord et fiches,
modifient des communes et demandent des PDF. Lancé par bench/lancer_charge.py (make charge)."""

import itertools
import random
import re

from locust import HttpUser, between, task

COMPTES = itertools.count()
MOT_DE_PASSE = "Charge-PVD-2026!"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d*)"')
LIENS_COMMUNES = re.compile(r'href="/communes/([0-9AB]{5})/"')


class Agent(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self):
        self.numero = next(COMPTES)
        self.username = f"charge-{self.numero:02d}"
        page = self.client.get("/connexion/", name="connexion")
        jeton = CSRF.search(page.text).group(1)
        reponse = self.client.post(
            "/connexion/",
            {"csrfmiddlewaretoken": jeton, "username": self.username, "password": MOT_DE_PASSE},
            headers={"Referer": self.host + "/connexion/"},
            name="connexion",
        )
        reponse.raise_for_status()
        liste = self.client.get("/communes/", name="liste des communes")
        self.communes = LIENS_COMMUNES.findall(liste.text) or []
        self.departemental = "Nouvelle action" in self.client.get(
            f"/communes/{self.communes[0]}/", name="fiche commune"
        ).text if self.communes else False

    @task(4)
    def liste(self):
        self.client.get(f"/communes/?page={random.randint(1, 3)}", name="liste des communes")

    @task(3)
    def tableau_de_bord(self):
        self.client.get("/", name="tableau de bord")

    @task(3)
    def fiche(self):
        if self.communes:
            self.client.get(f"/communes/{random.choice(self.communes)}/", name="fiche commune")

    @task(2)
    def modifier(self):
        if not (self.departemental and self.communes):
            return
        # Chaque agent modifie « sa » commune : pas de conflit d'édition voulu entre agents.
        code = self.communes[self.numero % len(self.communes)]
        url = f"/communes/{code}/chef-de-projet/"
        formulaire = self.client.get(url, name="modification : formulaire")
        jeton = CSRF.search(formulaire.text).group(1)
        version = VERSION.search(formulaire.text)
        statut = random.choice(["a_recruter", "vacant"])
        with self.client.post(
            url,
            {"csrfmiddlewaretoken": jeton, "statut": statut, "version": version.group(1) if version else ""},
            headers={"Referer": self.host + url},
            name="modification : enregistrement",
            allow_redirects=False,
            catch_response=True,
        ) as reponse:
            if reponse.status_code == 302:
                reponse.success()
            else:
                reponse.failure(f"enregistrement refusé ({reponse.status_code})")
