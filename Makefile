# PVD Suivi — deux commandes : `make run` et `make test`.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
APT_PACKAGES := chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core docker-compose
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test system setup env migrate serve lint clean oidc navigateur bench

## Paquets système (Chromium pour les tests navigateur, bibliothèques de WeasyPrint, poppler-utils).
system:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done)
	if [ -n "$$missing" ]; then
		echo "Installation des paquets système : $$missing"
		$(SUDO) apt-get update -q
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing
	fi

## Environnement Python (réinstallé quand pyproject.toml change).
$(VENV)/.installed: pyproject.toml
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

## Fournisseur OpenID Connect local des tests ProConnect (Node.js, paquet npm oidc-provider, versions figées).
OIDC_DIR := tests/oidc
$(OIDC_DIR)/node_modules/.installed: $(OIDC_DIR)/package.json $(OIDC_DIR)/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -q; DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q nodejs npm; }
	npm ci --prefix $(OIDC_DIR) --no-audit --no-fund --loglevel=error
	touch $@

oidc: $(OIDC_DIR)/node_modules/.installed

## Dépendances JavaScript des tests navigateur : axe-core (contrôle d'accessibilité des parcours, version figée).
NAVIGATEUR_DIR := tests/navigateur
$(NAVIGATEUR_DIR)/node_modules/.installed: $(NAVIGATEUR_DIR)/package.json $(NAVIGATEUR_DIR)/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -q; DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q nodejs npm; }
	npm ci --prefix $(NAVIGATEUR_DIR) --no-audit --no-fund --loglevel=error
	touch $@

navigateur: $(NAVIGATEUR_DIR)/node_modules/.installed

setup: system $(VENV)/.installed oidc navigateur

## Fichier .env local (clé secrète générée une fois).
.env:
	@key=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
	sed -e "s|^SECRET_KEY=.*|SECRET_KEY=$$key|" .env.example > .env
	echo "HTTPS=false" >> .env

env: .env

migrate: setup env
	@$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py charger_referentiel

## Démarre l'application (gunicorn) et un worker Celery, avec les données de démonstration.
run: migrate
	@$(PY) manage.py collectstatic --noinput -v0
	echo "Comptes de démonstration :"
	$(PY) manage.py creer_demo
	$(PY) manage.py generer_suivi_demo --regions 53
	$(PY) manage.py creer_campagne_demo
	mkdir -p var
	$(VENV)/bin/celery -A pvd worker --loglevel=INFO --concurrency=2 > var/celery.log 2>&1 &
	worker=$$!
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM
	echo ""
	echo "PVD Suivi : http://$(HOST):$(PORT)/  (worker Celery : var/celery.log ; Ctrl-C pour arrêter)"
	$(VENV)/bin/gunicorn pvd.wsgi --bind $(HOST):$(PORT) --workers 3 --threads 1 --access-logfile -

## Sans Docker, sur un hôte : web (gunicorn), worker et beat Celery, comme en production (Procfile, honcho).
## Plus de workers : make serve CONCURRENCY="worker=3" (ou CELERY_CONCURRENCY=4 pour plus de processus par worker).
CONCURRENCY ?= web=1,worker=1,beat=1
serve: migrate
	@$(PY) manage.py collectstatic --noinput -v0
	mkdir -p var
	echo "PVD Suivi : http://$(HOST):$(PORT)/  (web, worker et beat ; Ctrl-C pour arrêter)"
	HOST=$(HOST) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile -p $(PORT) -c "$(CONCURRENCY)"

## Toute la suite : vérifications Django, migrations à jour, tests (dont navigateur).
test: setup
	@export SECRET_KEY=$${SECRET_KEY:-tests-seulement} DJANGO_SETTINGS_MODULE=pvd.settings_test
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	mkdir -p var
	$(PY) -m pytest

## Bancs de performance (hors make test) : tableaux de bord → bench/resultats.md (base BENCH_DATABASE_URL,
## par défaut sqlite:///var/bench.sqlite3) ; notes de synthèse → bench/syntheses.md (BENCH_SYNTHESES_DATABASE_URL).
.PHONY: bench bench-tableau bench-syntheses
bench: bench-tableau bench-syntheses
bench-tableau: setup
	@mkdir -p var
	$(PY) bench/banc.py
bench-syntheses: setup
	@mkdir -p var
	$(PY) bench/syntheses.py

## Test de charge (locust) : gunicorn 2 workers sur PostgreSQL, worker Celery sur Redis, 50 agents pendant 60 s
## → bench/charge.md ; échoue sur toute requête en erreur (CHARGE_OPTIONS=--strict : aussi sur le p95 des pages).
.PHONY: charge
charge: setup
	@mkdir -p var
	$(PY) bench/lancer_charge.py $(CHARGE_OPTIONS)

lint: setup
	@$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	@rm -rf var staticfiles .pytest_cache
