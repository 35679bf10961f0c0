# Image de PVD Suivi : la même pour le web (gunicorn), le worker et beat Celery (voir docker-compose.yml).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# Bibliothèques système de WeasyPrint (Pango, HarfBuzz) et polices pour les PDF.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
# Les processus ne tournent pas en root ; /var/pvd (fichiers) et /srv/static (copie pour le frontal)
# appartiennent à l'utilisateur pvd, et les volumes nommés qui s'y montent en héritent.
RUN useradd --system --uid 1000 --home-dir /app pvd \
 && mkdir -p /var/pvd /srv/static \
 && chown pvd:pvd /var/pvd /srv/static
WORKDIR /app
# Dépendances d'abord : cette couche ne se reconstruit que si pyproject.toml change.
COPY pyproject.toml ./
RUN pip install .
COPY . .
RUN SECRET_KEY=construction-seulement python manage.py collectstatic --noinput -v0 \
 && SECRET_KEY=construction-seulement python manage.py pages_erreur
USER pvd
ENV DJANGO_SETTINGS_MODULE=pvd.settings VAR_DIR=/var/pvd WEB_CONCURRENCY=3
EXPOSE 8000
CMD ["gunicorn", "pvd.wsgi", "--bind", "0.0.0.0:8000", "--threads", "1", "--timeout", "60"]
