import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pvd.settings")

app = Celery("pvd")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def create_filesystem_broker_folders(sender, **kwargs):
    """Le broker « filesystem:// » exige que ses dossiers existent."""
    for option in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        folder = (sender.conf.broker_transport_options or {}).get(option)
        if folder:
            os.makedirs(folder, exist_ok=True)


@signals.setup_logging.connect
def configure_logging(**kwargs):
    """Le worker et beat journalisent comme le web (LOGGING de Django : texte ou JSON, LOG_LEVEL),
    au lieu du format propre à Celery ; chaque ligne d'une tâche porte task_id et task_name."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
