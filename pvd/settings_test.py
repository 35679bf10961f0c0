"""Réglages des tests : ceux de production, avec une base de test sur fichier (partagée avec les
serveurs et workers lancés par les tests) et un hachage de mot de passe rapide."""

import os

os.environ.setdefault("SECRET_KEY", "tests-seulement-pas-un-secret")
os.environ.setdefault("HTTPS", "false")
# Second facteur exigé de personne par défaut : les tests qui en dépendent l'exigent eux-mêmes (settings), et la
# fixture des parcours navigateur la réclame de son serveur (DOUBLE_FACTEUR_ROLES dans son environnement).
os.environ.setdefault("DOUBLE_FACTEUR_ROLES", "")

from pvd.settings import *  # noqa: E402,F403
from pvd.settings import CELERY_BROKER_URL, DATABASES, VAR_DIR  # noqa: E402

# Cache de chaque processus (vidé à chaque test), sauf CACHE_URL explicite.
if not os.environ.get("CACHE_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

# Les serveurs lancés par les tests servent les fichiers statiques sans collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Les tests ont leur propre file « filesystem:// » : un worker de `make run` ne leur répond pas et ne
# prend pas leurs tâches.
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_FILESYSTEM_DIR = VAR_DIR / "celery-tests"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405 (défini par pvd.settings avec ce broker)
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
    }
