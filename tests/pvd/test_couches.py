"""Le contrat des couches (pyproject.toml, import-linter) : tenu par le code, et il refuse une importation vers
le haut, même cachée dans une fonction."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.processus import BASE_DIR

APPS = (
    "pvd",
    "comptes",
    "territoires",
    "communes",
    "clubs",
    "tableau",
    "syntheses",
    "echanges",
    "rappels",
    "api",
)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copie(destination):
    for app in APPS:
        shutil.copytree(
            BASE_DIR / app, destination / app, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    shutil.copy(BASE_DIR / "pyproject.toml", destination / "pyproject.toml")


def _lint(dossier):
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=dossier,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(dossier)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_le_contrat_des_couches_est_tenu_et_refuse_une_importation_vers_le_haut(tmp_path):
    _copie(tmp_path)
    tenu = _lint(tmp_path)
    assert tenu.returncode == 0, tenu.stdout + tenu.stderr
    # Le référentiel qui importerait un tableau de bord, dans une fonction : le contrat casse.
    modele = tmp_path / "territoires" / "models.py"
    modele.write_text(
        modele.read_text() + "\n\ndef _vers_le_haut():\n    from tableau import views  # noqa\n"
    )
    casse = _lint(tmp_path)
    assert casse.returncode != 0
    assert "territoires is not allowed to import tableau" in casse.stdout
