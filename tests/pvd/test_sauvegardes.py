"""Sauvegarde puis restauration dans une base neuve : on y retrouve les mêmes enregistrements."""

import datetime
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from communes.models import Action, Territoire
from tests.processus import process_env


@pytest.fixture
def action_validee(django_db_setup, django_db_blocker):
    """Une action enregistrée (validée en base, visible de pg_dump), supprimée après le test."""
    with django_db_blocker.unblock():
        action = Action.objects.create(
            territoire=Territoire.objects.get(communes__code_insee="35012"),
            titre="Sauvegarde : halles",
            theme="commerce",
            maitre_ouvrage="Commune",
            statut="engagee",
            date_engagement=datetime.date(2024, 2, 1),
        )
    yield action
    with django_db_blocker.unblock():
        action.delete()


def _compter(url, requetes):
    """Exécute des requêtes SQL dans la base restaurée, par un processus à part (comme un exploitant)."""
    script = "\n".join(
        [
            "import sys, django",
            "django.setup()",
            "from django.db import connection",
            "resultats = []",
            "with connection.cursor() as c:",
            "    for q in sys.argv[1:]:",
            "        c.execute(q)",
            "        resultats.append(c.fetchone()[0])",
            "print(resultats)",
        ]
    )
    sortie = subprocess.run(
        [sys.executable, "-c", script, *requetes],
        env=process_env(DATABASE_URL=url),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return sortie.stdout.strip()


def test_sauvegarde_puis_restauration_dans_une_base_neuve(action_validee, tmp_path, django_db_blocker):
    fichier = tmp_path / "pvd.dump"
    with django_db_blocker.unblock():
        call_command("sauvegarder", str(fichier))
        reglages = connection.settings_dict
        requetes = [
            "SELECT COUNT(*) FROM territoires_commune",
            "SELECT COUNT(*) FROM communes_territoire",
            "SELECT COUNT(*) FROM comptes_user",
            "SELECT COUNT(*) FROM communes_historicalterritoire",
            f"SELECT titre FROM communes_action WHERE id = {action_validee.pk}",
        ]
        with connection.cursor() as c:
            attendu = []
            for q in requetes:
                c.execute(q)
                attendu.append(c.fetchone()[0])
    assert fichier.stat().st_size > 0
    if reglages["ENGINE"].endswith("postgresql"):
        nom = f"{reglages['NAME']}_restauree"
        hote = reglages["HOST"] or "127.0.0.1"
        subprocess.run(["dropdb", "-h", hote, "-U", reglages["USER"], "--if-exists", nom], check=True)
        subprocess.run(["createdb", "-h", hote, "-U", reglages["USER"], nom], check=True)
        url = f"postgres://{reglages['USER']}@{hote}:{reglages['PORT'] or 5432}/{nom}"
    else:
        url = f"sqlite:///{tmp_path / 'restauree.sqlite3'}"
    try:
        call_command("restaurer", str(fichier), base=url)
        assert _compter(url, requetes) == str(attendu)
        assert attendu[4] == "Sauvegarde : halles"
    finally:
        if reglages["ENGINE"].endswith("postgresql"):
            subprocess.run(
                ["dropdb", "-h", hote, "-U", reglages["USER"], "--if-exists", "--force", nom], check=True
            )


def test_restaurer_refuse_d_ecraser_une_base_sqlite_existante(tmp_path):
    existante = tmp_path / "existante.sqlite3"
    existante.write_bytes(b"non vide")
    (tmp_path / "pvd.dump").write_bytes(b"x")
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="restaurez dans une nouvelle base"):
        call_command("restaurer", str(tmp_path / "pvd.dump"), base=f"sqlite:///{existante}")
