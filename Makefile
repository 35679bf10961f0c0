# PVD Suivi — deux commandes : `make run` et `make test`.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# DONNEES=officielles : make run sans suivi de démonstration (base neuve : make clean avant).
DONNEES ?= demo
# Paquets système : ceux qu'il faut pour faire tourner le produit (WeasyPrint), puis ceux des tests seulement.
APT_RUN := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
APT_TEST := chromium poppler-utils docker-compose clamav-daemon
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# apt attend le verrou de dpkg (une autre installation en cours) au lieu d'échouer aussitôt.
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -q -o DPkg::Lock::Timeout=600
MAKE_RUN_DEBUT := $(shell date +%s.%N)

.PHONY: run test system-run system-test setup env serve lint clean oidc navigateur bench

## Paquets système manquants parmi $(1), annoncés avec une estimation.
define apt_installer
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done)
	if [ -n "$$missing" ]; then
		echo "▸ Paquets système à installer : $$missing (1 à 3 min ; attend le verrou de dpkg si besoin)…"
		$(APT) update
		$(APT) install -y $$missing
	fi
endef

system-run:
	$(call apt_installer,$(APT_RUN))

system-test:
	$(call apt_installer,$(APT_RUN) $(APT_TEST))

## Environnement Python : dépendances du produit (make run), puis celles des tests (make test) ;
## réinstallées quand pyproject.toml change.
$(VENV)/.installed: pyproject.toml
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	echo "▸ Dépendances Python du produit (environ 1 min la première fois)…"
	$(PY) -m pip install -q --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	@echo "▸ Dépendances Python des tests (environ 1 min la première fois)…"
	$(PY) -m pip install -q --disable-pip-version-check -e ".[test]"
	touch $@

## Node.js et npm (tests seulement) : ceux de la machine s'ils existent, sinon ceux de Debian.
.PHONY: node
node:
	@command -v npm >/dev/null || { echo "▸ Node.js et npm pour les tests (1 min)…"; $(APT) update; $(APT) install -y nodejs npm; }

## Fournisseur OpenID Connect local des tests ProConnect (Node.js, paquet npm oidc-provider, versions figées).
OIDC_DIR := tests/oidc
$(OIDC_DIR)/node_modules/.installed: $(OIDC_DIR)/package.json $(OIDC_DIR)/package-lock.json | node
	@npm ci --prefix $(OIDC_DIR) --no-audit --no-fund --loglevel=error
	touch $@

oidc: $(OIDC_DIR)/node_modules/.installed

## Dépendances JavaScript des tests navigateur : axe-core (contrôle d'accessibilité des parcours, version figée).
NAVIGATEUR_DIR := tests/navigateur
$(NAVIGATEUR_DIR)/node_modules/.installed: $(NAVIGATEUR_DIR)/package.json $(NAVIGATEUR_DIR)/package-lock.json | node
	@npm ci --prefix $(NAVIGATEUR_DIR) --no-audit --no-fund --loglevel=error
	touch $@

navigateur: $(NAVIGATEUR_DIR)/node_modules/.installed

setup: system-test $(VENV)/.installed-test oidc navigateur

## Fichier .env local (clé secrète générée une fois) et dossier des données locales (base SQLite, broker).
.env:
	@key=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
	sed -e "s|^SECRET_KEY=.*|SECRET_KEY=$$key|" .env.example > .env
	echo "HTTPS=false" >> .env

env: .env

var:
	@mkdir -p var

## Démarre le produit comme en production (web gunicorn, worker et beat Celery), sur la base embarquée, avec
## le référentiel officiel et les données de démonstration. Ctrl-C arrête les trois (code de sortie 0).
## Les fichiers statiques sont servis depuis leurs dossiers sources (aucun collectstatic).
run: system-run $(VENV)/.installed .env | var
	@$(PY) manage.py preparer_demo $(if $(filter officielles,$(DONNEES)),--officielles)
	echo "▸ Démarrage de web, worker et beat (quelques secondes)…"
	# Démonstration : second facteur proposé à tous, exigé de personne (DOUBLE_FACTEUR_ROLES=administrateur,national
	# pour l'exiger comme en production).
	export DOUBLE_FACTEUR_ROLES=$${DOUBLE_FACTEUR_ROLES-}
	export STATIC_FROM_FINDERS=true HOST=$(HOST) WEB_CONCURRENCY=$${WEB_CONCURRENCY:-2} \
	  MAKE_RUN_DEBUT=$(MAKE_RUN_DEBUT) PATH="$(CURDIR)/$(VENV)/bin:$$PATH"
	exec $(PY) scripts/demarrer.py --url http://$(HOST):$(PORT)/ \
	  honcho start -f Procfile -p $(PORT) -c web=1,worker=1,beat=1

## Sans Docker, sur un hôte : web (gunicorn), worker et beat Celery, comme en production (Procfile, honcho).
## Plus de workers : make serve CONCURRENCY="worker=3" (ou CELERY_CONCURRENCY=4 pour plus de processus par worker).
CONCURRENCY ?= web=1,worker=1,beat=1
serve: system-run $(VENV)/.installed .env | var
	@$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py charger_referentiel
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py pages_erreur
	echo "PVD Suivi : http://$(HOST):$(PORT)/  (web, worker et beat ; Ctrl-C pour arrêter)"
	HOST=$(HOST) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile -p $(PORT) -c "$(CONCURRENCY)"

## Toute la suite : vérifications Django, migrations à jour, tests (dont navigateur).
test: setup | var
	@export SECRET_KEY=$${SECRET_KEY:-tests-seulement} DJANGO_SETTINGS_MODULE=pvd.settings_test
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest

## Bancs de performance (hors make test) : tableaux de bord et import des situations → bench/resultats.md
## (bases BENCH_DATABASE_URL et BENCH_IMPORT_DATABASE_URL, par défaut var/bench.sqlite3 et var/bench-import.sqlite3) ; notes de synthèse → bench/syntheses.md (BENCH_SYNTHESES_DATABASE_URL).
.PHONY: bench bench-tableau bench-syntheses bench-import
bench: bench-tableau bench-syntheses bench-import
bench-tableau: setup
	@mkdir -p var
	$(PY) bench/banc.py
bench-syntheses: setup
	@mkdir -p var
	$(PY) bench/syntheses.py
bench-import: setup
	@mkdir -p var
	$(PY) bench/banc.py --import

## Test de charge (locust) : gunicorn 2 workers sur PostgreSQL, worker Celery sur Redis, CHARGE_AGENTS agents
## pendant 60 s (make charge CHARGE_AGENTS=50,100,200 : un palier chacun, courbe de saturation) → bench/charge.md ;
## échoue sur toute requête en erreur (CHARGE_OPTIONS=--strict : aussi sur le p95 des pages).
CHARGE_AGENTS ?= 50
.PHONY: charge
charge: setup
	@mkdir -p var
	$(PY) bench/lancer_charge.py --utilisateurs $(CHARGE_AGENTS) $(CHARGE_OPTIONS)

lint: setup
	@$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	@rm -rf var staticfiles .pytest_cache
