"""Réglages de PVD Suivi, lus depuis l'environnement (voir .env.example)."""

import datetime
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

from pvd.journaux import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "dsfr",
    "widget_tweaks",  # requis par les gabarits de cases à cocher et boutons radio de django-dsfr
    "django.forms",  # après dsfr, dont les gabarits de cases à cocher et boutons radio priment
    "django_tables2",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "pvd",  # commandes d'exploitation (sauvegarder, restaurer)
    "comptes",
    "territoires",
    "communes",
    "syntheses",
    "clubs",
    "tableau",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "rappels",
    "echanges",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pvd.erreurs.ErreursMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pvd.journaux.RequeteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "comptes.middleware.DoubleFacteurMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pvd.urls"
WSGI_APPLICATION = "pvd.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pvd.context_processors.site",
                "pvd.context_processors.donnees_demonstration",
                "echanges.context_processors.notifications",
            ],
            # Filtres de mise en forme française (dates, pluriels, nombres), dans tous les gabarits.
            "builtins": ["pvd.templatetags.formats", "pvd.templatetags.formulaires"],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'pvd.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Le JIT de PostgreSQL compile les requêtes d’agrégats du tableau de bord en plusieurs secondes pour en
    # gagner quelques millisecondes : désactivé. Coût d’un accès par index ramené à celui d’un disque SSD :
    # sinon le planificateur parcourt des tables entières pour calculer le suivi de quelques communes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off -c random_page_cost=1.1")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache des chiffres des tableaux de bord et compteurs de débit de l'API (mémoire du processus par défaut ;
# redis://… en production, partagé entre les processus).
# Cache partagé par les processus (web, worker) : les chiffres calculés d'avance par le worker servent aux pages.
# Redis en production (CACHE_URL) ; sans réglage, des fichiers dans var/cache (make run, une seule machine).
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

AUTH_USER_MODEL = "comptes.User"
# Second facteur (TOTP, django-otp) exigé de ces rôles à la connexion par mot de passe (ProConnect en est
# dispensé) ; proposé aux autres (page « Mon compte »). Vide : exigé de personne (démonstration).
DOUBLE_FACTEUR_ROLES = env.list("DOUBLE_FACTEUR_ROLES", default=["administrateur", "national"])
OTP_TOTP_ISSUER = "PVD Suivi"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # verrouillage après échecs répétés
    "django.contrib.auth.backends.ModelBackend",
]
# Après AXES_FAILURE_LIMIT échecs pour un même identifiant, d'où qu'ils viennent (une attaque répartie sur
# plusieurs adresses compte aussi), connexion de ce compte bloquée pendant AXES_COOLOFF_MINUTES minutes.
# Pas de blocage par adresse seule : les agents d'une préfecture sortent souvent par la même adresse.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "comptes.views.connexion_verrouillee"
AXES_USERNAME_FORM_FIELD = "username"
# Mot de passe oublié (comptes locaux) : au plus N demandes par adresse électronique et par adresse IP dans la
# fenêtre ; au-delà, plus aucun e-mail pour cette adresse électronique (même réponse à l'écran : rien ne dit si
# le compte existe), et une page « trop de demandes » pour cette adresse IP. Lien valable
# PASSWORD_RESET_TIMEOUT secondes (1 heure).
MOT_DE_PASSE_OUBLI_PAR_ADRESSE = env.int("MOT_DE_PASSE_OUBLI_PAR_ADRESSE", default=3)
MOT_DE_PASSE_OUBLI_PAR_IP = env.int("MOT_DE_PASSE_OUBLI_PAR_IP", default=10)
MOT_DE_PASSE_OUBLI_FENETRE_MINUTES = env.int("MOT_DE_PASSE_OUBLI_FENETRE_MINUTES", default=60)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# Argon2 (recommandé par Django) : résistant aux attaques par GPU et moins coûteux en CPU que PBKDF2 à
# 1 000 000 d'itérations ; les anciens hachages sont convertis à la connexion suivante.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accueil"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# ProConnect (OpenID Connect des agents de l'État), à côté des comptes locaux : actif quand l'URL, le
# client et le secret sont renseignés. Une identité ProConnect ouvre la session du compte existant et
# actif qui porte la même adresse électronique ; aucun compte n'est créé (comptes/proconnect.py).
PROCONNECT_URL = env.str("PROCONNECT_URL", default="").rstrip("/")
PROCONNECT_CLIENT_ID = env.str("PROCONNECT_CLIENT_ID", default="")
PROCONNECT_CLIENT_SECRET = env.str("PROCONNECT_CLIENT_SECRET", default="")
PROCONNECT_ENABLED = bool(PROCONNECT_URL and PROCONNECT_CLIENT_ID and PROCONNECT_CLIENT_SECRET)
# (la liste AUTHENTICATION_BACKENDS est définie plus haut, avec django-axes en tête)
if PROCONNECT_ENABLED:
    AUTHENTICATION_BACKENDS.append("comptes.proconnect.ProConnectBackend")
OIDC_RP_CLIENT_ID = PROCONNECT_CLIENT_ID
OIDC_RP_CLIENT_SECRET = PROCONNECT_CLIENT_SECRET
OIDC_OP_AUTHORIZATION_ENDPOINT = f"{PROCONNECT_URL}/authorize"
OIDC_OP_TOKEN_ENDPOINT = f"{PROCONNECT_URL}/token"
OIDC_OP_USER_ENDPOINT = f"{PROCONNECT_URL}/userinfo"
OIDC_OP_JWKS_ENDPOINT = f"{PROCONNECT_URL}/jwks"
OIDC_OP_LOGOUT_ENDPOINT = f"{PROCONNECT_URL}/session/end"
OIDC_RP_SIGN_ALGO = env.str("PROCONNECT_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("PROCONNECT_SCOPES", default="openid email given_name usual_name")
PROCONNECT_ACR_VALUES = env.str("PROCONNECT_ACR_VALUES", default="eidas1")
OIDC_AUTH_REQUEST_EXTRA_PARAMS = {"acr_values": PROCONNECT_ACR_VALUES} if PROCONNECT_ACR_VALUES else {}
OIDC_AUTHENTICATION_CALLBACK_URL = "proconnect-retour"
OIDC_CREATE_USER = False
OIDC_STORE_ID_TOKEN = True  # pour fermer aussi la session ProConnect à la déconnexion
OIDC_TIMEOUT = env.int("PROCONNECT_TIMEOUT", default=10)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# make run : fichiers statiques servis depuis leurs dossiers sources (aucun collectstatic, qui compresse
# quelque 10 000 fichiers en plusieurs minutes) ; en production, collectstatic et le manifeste ci-dessus.
STATIC_FROM_FINDERS = env.bool("STATIC_FROM_FINDERS", default=False)
if STATIC_FROM_FINDERS:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    STATIC_ROOT = None  # rien n'est collecté : WhiteNoise lit les dossiers sources
    WHITENOISE_USE_FINDERS = True
# Le manifeste réécrit les url() des feuilles du DSFR (noms de fichiers hachés) : les empreintes d'intégrité
# (SRI) livrées par django-dsfr ne correspondent plus et le navigateur refuserait les styles. Les fichiers sont
# servis par le produit lui-même (même origine, CSP 'self') : l'empreinte SRI n'y ajoute rien.
DSFR_USE_INTEGRITY_CHECKSUMS = False
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Taille maximale (Mo) de la pièce jointe PDF d'une réunion de club.
CLUB_PIECE_JOINTE_MAX_MO = env.int("CLUB_PIECE_JOINTE_MAX_MO", default=5)

# Pages légales (mentions légales, données personnelles, accessibilité) : ce qui diffère d'une instance à l'autre.
PAGES_LEGALES = {
    "editeur": env.str(
        "LEGAL_EDITEUR",
        default="Ministère de l’Aménagement du territoire et de la Décentralisation — Agence nationale de la "
        "cohésion des territoires (ANCT)",
    ),
    "editeur_adresse": env.str("LEGAL_EDITEUR_ADRESSE", default="20 avenue de Ségur, 75007 Paris"),
    "directeur_publication": env.str("LEGAL_DIRECTEUR_PUBLICATION", default="le directeur général de l’ANCT"),
    "hebergeur": env.str("LEGAL_HEBERGEUR", default="(à renseigner : LEGAL_HEBERGEUR)"),
    "hebergeur_adresse": env.str("LEGAL_HEBERGEUR_ADRESSE", default=""),
    "contact": env.str("LEGAL_CONTACT", default="pvd-suivi@anct.gouv.fr"),
    "dpd": env.str("LEGAL_DPD", default="dpd@anct.gouv.fr"),
    "conservation_comptes_mois": env.int("LEGAL_CONSERVATION_COMPTES_MOIS", default=12),
    "conservation_journaux_mois": env.int("LEGAL_CONSERVATION_JOURNAUX_MOIS", default=12),
}

# Données de référence (COG, EPCI, liste PVD) : dossier décrit dans le README.
_shared_data = BASE_DIR.parent / "shared" / "data"
REFERENTIEL_DIR = Path(env.str("REFERENTIEL_DIR", default=str(_shared_data)))

# Celery : broker « filesystem:// » embarqué par défaut, Redis en production.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# Reprise sur panne (README, « Reprise sur panne ») : un message n'est acquitté qu'une fois la tâche finie ;
# un processus du worker tué (SIGKILL, mémoire) rend son message au broker, qui le redistribue.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Broker injoignable : l'envoi d'une tâche échoue en quelques secondes au plus au lieu de bloquer la
# requête ; la demande reste en base (« en attente d'envoi ») et part au retour du broker.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # le worker, lui, attend le broker
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),  # diffusion (ping de /sante/)
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Message non acquitté (worker tué) redistribué après ce délai ; toujours plus long qu'une tâche,
        # sinon une tâche encore en cours serait redistribuée une seconde fois.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 60),
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    }
# Reprise des jobs de génération perdus ou en attente d'envoi (syntheses.tasks), en plus du démarrage
# de chaque worker.
CELERY_BEAT_SCHEDULE = {
    "generations-reprendre": {
        "task": "syntheses.generations_reprendre_task",
        "schedule": env.float("GENERATIONS_REPRISE_S", default=60.0),
    },
}
# Imports de situations dont le message s'est perdu (worker arrêté) : passés en échec (communes.tasks).
CELERY_BEAT_SCHEDULE["imports-abandonnes-clore"] = {
    "task": "communes.imports_abandonnes_clore_task",
    "schedule": 300.0,
}
# Journal de sécurité (comptes.EvenementSecurite) : durée de conservation, purge chaque nuit par beat.
SECURITE_CONSERVATION_JOURS = env.int("SECURITE_CONSERVATION_JOURS", default=365)
CELERY_BEAT_SCHEDULE["evenements-securite-purger"] = {
    "task": "comptes.evenements_securite_purger_task",
    "schedule": crontab(hour=3, minute=30),
}
# Chiffres des tableaux de bord calculés d'avance par le worker (tableau.indicateurs.chiffres_prechauffer) :
# ceux des départements qui ont changé, toutes les CHIFFRES_PRECHAUFFAGE_S secondes, et tous dès que la date
# change à minuit ; un visiteur ne paie jamais un calcul à froid.
CHIFFRES_PRECHAUFFAGE_S = env.float("CHIFFRES_PRECHAUFFAGE_S", default=60.0)
CELERY_BEAT_SCHEDULE["chiffres-prechauffer"] = {
    "task": "tableau.chiffres_prechauffer_task",
    "schedule": CHIFFRES_PRECHAUFFAGE_S,
    "options": {"expires": CHIFFRES_PRECHAUFFAGE_S},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = TIME_ZONE

# Rappels par e-mail (app rappels/) : envoyés chaque jour par beat, à RAPPELS_HEURE (heure de Paris).
# RAPPELS_INTERVALLE_S > 0 les envoie toutes les N secondes à la place (tests, démonstration).
RAPPELS_HEURE = env.str("RAPPELS_HEURE", default="07:00")
RAPPELS_INTERVALLE_S = env.float("RAPPELS_INTERVALLE_S", default=0)
# Jours avant l'échéance d'une campagne, avant l'échéance des 18 mois de la convention-cadre, avant la fin
# du semestre sans réunion de club prévue.
RAPPEL_CAMPAGNE_JOURS = env.int("RAPPEL_CAMPAGNE_JOURS", default=7)
RAPPEL_CONVENTION_CADRE_JOURS = env.int("RAPPEL_CONVENTION_CADRE_JOURS", default=60)
RAPPEL_CLUB_JOURS = env.int("RAPPEL_CLUB_JOURS", default=90)
if RAPPELS_INTERVALLE_S > 0:
    _rappels_quand = datetime.timedelta(seconds=RAPPELS_INTERVALLE_S)
else:
    _heure, _minute = (int(x) for x in RAPPELS_HEURE.split(":"))
    _rappels_quand = crontab(hour=_heure, minute=_minute)
CELERY_BEAT_SCHEDULE.update(
    {
        nom: {"task": f"rappels.{nom}_task", "schedule": _rappels_quand, "options": {"expires": 3600}}
        for nom in ("rappels_campagne_envoyer", "rappels_convention_cadre_envoyer", "rappels_club_envoyer")
    }
)

# Notifications (app echanges/) : résumé quotidien par beat à NOTIFICATIONS_RESUME_HEURE (heure de Paris),
# des notifications des N derniers jours au plus (un compte désactivé puis réactivé ne reçoit pas tout).
NOTIFICATIONS_RESUME_HEURE = env.str("NOTIFICATIONS_RESUME_HEURE", default="07:30")
NOTIFICATIONS_RESUME_JOURS_MAX = env.int("NOTIFICATIONS_RESUME_JOURS_MAX", default=7)
_heure, _minute = (int(x) for x in NOTIFICATIONS_RESUME_HEURE.split(":"))
CELERY_BEAT_SCHEDULE["notifications-resume-quotidien"] = {
    "task": "echanges.resume_quotidien_envoyer_task",
    "schedule": crontab(hour=_heure, minute=_minute),
    "options": {"expires": 3600},
}
# Valeurs des fichiers officiels à confirmer : une notification par département et par chargement, la nuit.
CELERY_BEAT_SCHEDULE["notifications-valeurs-a-confirmer"] = {
    "task": "echanges.valeurs_a_confirmer_notifier_task",
    "schedule": crontab(hour=5, minute=15),
    "options": {"expires": 3600},
}
# Pièces jointes de la fiche commune : taille maximale (Mo) ; analyse antivirus par clamd si CLAMD_SOCKET
# (chemin d'une socket Unix) ou CLAMD_HOTE (hôte:port) est donné, sinon les fichiers ne sont pas analysés.
# « Ce qui a changé depuis votre dernière visite » : sans visite précédente connue, les N derniers jours.
QUOI_DE_NEUF_JOURS_DEFAUT = env.int("QUOI_DE_NEUF_JOURS_DEFAUT", default=7)
PIECES_JOINTES_MAX_MO = env.int("PIECES_JOINTES_MAX_MO", default=10)
CLAMD_SOCKET = env.str("CLAMD_SOCKET", default="")
CLAMD_HOTE = env.str("CLAMD_HOTE", default="")

DJANGO_TABLES2_TEMPLATE = "components/table.html"
DJANGO_TABLES2_PAGE_RANGE = 8

# Sécurité : en production (DEBUG=false), HTTPS partout (redirection, HSTS, cookies sécurisés).
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^sante/$", r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=HTTPS)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy stricte : aucun script ni style en ligne ; tout vient de l'application.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if PROCONNECT_ENABLED:
    # La déconnexion (formulaire POST) se termine chez ProConnect : son origine doit être une cible permise.
    _proconnect = urlsplit(PROCONNECT_URL)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        f"{_proconnect.scheme}://{_proconnect.netloc}"
    )
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
)

# Journaux sur la sortie standard : texte lisible, ou une ligne JSON par événement (LOG_FORMAT=json),
# avec l'identifiant de requête et l'utilisateur (pvd/journaux.py). Le worker Celery suit la même règle.
LOG_FORMAT = env.str("LOG_FORMAT", default="texte")
LOGGING = logging_config(format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))

# Santé (/sante/) : délai de réponse attendu du broker et des workers, en secondes.
SANTE_TIMEOUT = env.float("SANTE_TIMEOUT", default=1.0)
LOGGING.setdefault("loggers", {})["axes.apps"] = {"level": "WARNING"}
LOGGING["loggers"]["weasyprint"] = {"level": "WARNING"}
LOGGING["loggers"]["fontTools"] = {"level": "WARNING"}

DSFR_MARK_OPTIONAL_FIELDS = False

# E-mails (rappels) : EMAIL_URL=smtp+tls://utilisateur:motdepasse@hote:587 en production ;
# consolemail:// les écrit sur la sortie standard ; filemail:// les range dans des fichiers du dossier
# EMAIL_FILE_PATH (par défaut VAR_DIR/emails).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "emails"))
CSRF_FAILURE_VIEW = "pvd.erreurs.csrf_refuse"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PVD Suivi <ne-pas-repondre@pvd-suivi.localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Adresse publique du produit, pour les liens des e-mails (sans / final).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")


# API en lecture seule des systèmes partenaires (app api/) : jeton « Authorization: Bearer … » ou session.
API_DEBIT = env.str("API_DEBIT", default="120/minute")  # requêtes par jeton (ou par agent) et par période
API_TAILLE_PAGE = env.int("API_TAILLE_PAGE", default=50)
API_TAILLE_MAX = env.int("API_TAILLE_MAX", default=500)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.JetonApiAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["api.filters.FiltresApi"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.erreurs.gerer_exception",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API PVD Suivi",
    "DESCRIPTION": (BASE_DIR / "api" / "description.md").read_text(encoding="utf-8"),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "defaultModelsExpandDepth": 0},
    "ENUM_NAME_OVERRIDES": {"Phase": "communes.constants.Phase"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.parametres_listes_non_vides",
    ],
}
