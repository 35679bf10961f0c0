FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && SECRET_KEY=build python manage.py collectstatic --noinput -v0
ENV DJANGO_SETTINGS_MODULE=pvd.settings
EXPOSE 8000
CMD ["gunicorn", "pvd.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
