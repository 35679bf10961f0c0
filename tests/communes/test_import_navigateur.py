"""L'import des situations dans Chromium, avec un vrai worker : depuis la liste des communes, dépôt d'un
fichier Windows-1252, progression puis résultat de la simulation, « Importer ce fichier », historique ; axe-core
sur les pages ; captures à 1280 et 375 px."""

import re

import pytest

from tests.accessibilite import verifier_accessibilite
from tests.communes.test_import_worker import base_propre  # noqa: F401 - fixture
from tests.processus import arreter, broker_vider, process_env, worker_lancer
from tests.pvd.test_navigateur import se_connecter

CONTENU = "code_insee;Statut du chef de projet;Date de la convention d’adhésion\n35012;vacant;2021-05-03\n99999;vacant;\n"


@pytest.fixture
def worker(tmp_path):
    broker_vider()
    journal = tmp_path / "worker.log"
    processus = worker_lancer(journal, nom=f"import-nav-{tmp_path.name}", env=process_env(CONN_MAX_AGE="0"))
    yield processus
    arreter(processus)


def test_import_dans_le_navigateur(base_propre, worker, page, serveur, demo_password, tmp_path):  # noqa: F811
    se_connecter(page, serveur, "demo-departement", demo_password)
    page.wait_for_url(re.compile(r"/communes/$"))
    page.get_by_role("link", name="Importer un tableau de situations (CSV, XLSX)").click()
    page.wait_for_url(re.compile(r"/communes/import/$"))
    verifier_accessibilite(page, "page d'import")
    fichier = tmp_path / "situations.csv"
    fichier.write_bytes(CONTENU.encode("cp1252"))
    page.get_by_label("Fichier CSV ou XLSX").set_input_files(str(fichier))
    page.get_by_role("button", name="Contrôler le fichier").click()
    page.wait_for_url(re.compile(r"/communes/import/\d+/$"))
    page.get_by_role("heading", name="Résultat").wait_for(timeout=60000)
    assert "1 erreur sur 2 lignes : rien n’a été enregistré." in page.inner_text("main")
    assert "« 99999 » n’est pas une commune PVD." in page.inner_text("main")
    assert "Windows-1252" in page.inner_text("main")
    verifier_accessibilite(page, "import en erreur")
    for largeur in (1280, 375):
        page.set_viewport_size({"width": largeur, "height": 900})
        page.screenshot(path=str(tmp_path / f"import-erreurs-{largeur}.png"), full_page=True)
    # Le même fichier sans la ligne en erreur : simulation réussie, puis « Importer ce fichier ».
    page.set_viewport_size({"width": 1280, "height": 900})
    fichier.write_bytes(CONTENU.rsplit("99999", 1)[0].encode("cp1252"))
    page.goto(f"{serveur}/communes/import/")
    page.get_by_label("Fichier CSV ou XLSX").set_input_files(str(fichier))
    page.get_by_role("button", name="Contrôler le fichier").click()
    page.get_by_role("button", name="Importer ce fichier").wait_for(timeout=60000)
    page.get_by_role("button", name="Importer ce fichier").click()
    page.get_by_text("Import enregistré : 1 commune mise à jour.").wait_for(timeout=60000)
    verifier_accessibilite(page, "import enregistré")
    page.screenshot(path=str(tmp_path / "import-enregistre-1280.png"), full_page=True)
    page.goto(f"{serveur}/communes/import/")
    assert page.get_by_role("table", name="Vos derniers imports").locator("tbody tr").count() == 3
    page.screenshot(path=str(tmp_path / "import-liste-1280.png"), full_page=True)
    page.goto(f"{serveur}/communes/35012/")
    assert "Import du fichier situations.csv" in page.inner_text("main")
    print(f"\nCaptures : {tmp_path}")
