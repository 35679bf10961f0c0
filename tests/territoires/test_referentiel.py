import csv
import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from communes.services import referentiel_charger
from territoires.models import Commune, Departement, Epci, Region
from tests.donnees import (
    communes_pvd,
    departements_officiels,
    fichier,
    lignes_csv,
    objets_json,
    regions_officielles,
)

pytestmark = pytest.mark.django_db


def test_le_referentiel_charge_les_territoires_des_fichiers():
    communes = [r for r in lignes_csv("cog/communes_cog2026.csv") if r["zone"] in ("metro", "drom")]
    assert Region.objects.count() == len(regions_officielles())
    assert Departement.objects.count() == len(departements_officiels())
    assert Epci.objects.count() == len(lignes_csv("cog/epci_cog2026.csv"))
    assert Commune.objects.count() == len(communes)
    assert Commune.objects.pvd().count() == len(communes_pvd())
    assert set(Departement.objects.values_list("code", flat=True)) >= {"01", "2A", "2B", "971", "976"}


def test_une_commune_garde_ses_donnees_de_reference():
    ligne = next(r for r in communes_pvd() if r["insee_com"] == "01034")
    commune = Commune.objects.select_related("epci", "departement").get(code_insee="01034")
    assert commune.nom == ligne["nom_cog2026"] == "Belley"
    assert commune.id_pvd == ligne["id_pvd"]
    assert commune.epci.siren == ligne["siren_epci"]
    assert commune.departement.region_id == "84"
    assert commune.population == int(ligne["population_cog2026"])
    assert commune.date_adhesion_liste.isoformat() == ligne["date_signature"]
    # Une commune corse garde son code alphanumérique.
    assert Commune.objects.get(code_insee="2A004").departement_id == "2A"


def test_relancer_le_chargement_ne_change_rien(capsys):
    avant = list(Commune.objects.order_by("pk").values_list("pk", "nom", "epci_id", "id_pvd", "population"))
    call_command("charger_referentiel")
    sortie = capsys.readouterr().out
    assert "Référentiel déjà à jour." in sortie
    assert "Communes : 0 créé(s), 0 modifié(s)" in sortie
    apres = list(Commune.objects.order_by("pk").values_list("pk", "nom", "epci_id", "id_pvd", "population"))
    assert avant == apres


@pytest.fixture
def copie(tmp_path):
    """Une copie modifiable des fichiers de référence."""
    dossier = tmp_path / "data"
    shutil.copytree(fichier(""), dossier, ignore=shutil.ignore_patterns("geo", "sources"))
    for f in dossier.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)
    return dossier


def _reecrire_csv(chemin, modifier):
    with chemin.open(encoding="utf-8", newline="") as f:
        lecteur = csv.DictReader(f)
        colonnes, lignes = lecteur.fieldnames, list(lecteur)
    modifier(lignes)
    with chemin.open("w", encoding="utf-8", newline="") as f:
        ecrivain = csv.DictWriter(f, colonnes)
        ecrivain.writeheader()
        ecrivain.writerows(lignes)


def test_un_fichier_mal_forme_est_refuse_sans_rien_charger(copie):
    chemin = copie / "cog" / "communes_cog2026.csv"

    def modifier(lignes):
        lignes[0]["nom"] = "Nom modifié qui ne doit pas être enregistré"
        lignes[1233]["code_departement"] = "ZZ"

    _reecrire_csv(chemin, modifier)
    with pytest.raises(CommandError) as erreur:
        call_command("charger_referentiel", dossier=str(copie))
    message = str(erreur.value)
    assert str(chemin) in message
    assert "ligne 1235" in message  # en-tête + 1234e enregistrement
    assert "colonne « code_departement »" in message
    assert "département inconnu : « ZZ »" in message
    assert "rien n’a été modifié" in message
    assert Commune.objects.get(code_insee="01001").nom == "L'Abergement-Clémenciat"


def test_une_erreur_de_valeur_nomme_la_colonne(copie):
    chemin = copie / "cog" / "epci_cog2026.csv"
    _reecrire_csv(chemin, lambda lignes: lignes[4].update(population_totale="douze"))
    with pytest.raises(CommandError, match=r"ligne 6, colonne « population_totale » : nombre entier attendu"):
        call_command("charger_referentiel", dossier=str(copie))


def test_un_json_illisible_donne_ligne_et_caractere(copie):
    chemin = copie / "cog" / "departements.json"
    lignes = chemin.read_text(encoding="utf-8").splitlines()
    lignes[3] = lignes[3].replace('"nom":', '"nom"')
    chemin.write_text("\n".join(lignes), encoding="utf-8")
    with pytest.raises(CommandError) as erreur:
        call_command("charger_referentiel", dossier=str(copie))
    assert f"{chemin}, ligne 4, colonne « caractère" in str(erreur.value)
    assert "JSON mal formé" in str(erreur.value)


def test_une_commune_pvd_inconnue_est_signalee(copie):
    chemin = copie / "pvd_communes.csv"
    _reecrire_csv(chemin, lambda lignes: lignes[9].update(code_insee_cog2026="99999"))
    with pytest.raises(CommandError, match=r"ligne 11, colonne « code_insee_cog2026 » : commune absente"):
        call_command("charger_referentiel", dossier=str(copie))
    assert Commune.objects.pvd().count() == len(communes_pvd())


def test_les_fichiers_officiels_du_paquet_decoupage_administratif_sont_acceptes(tmp_path):
    """Un administrateur peut charger communes.json et epci.json du paquet @etalab/decoupage-administratif
    (format officiel) : le résultat est le même qu'avec les CSV dérivés."""
    membres = {}
    for r in lignes_csv("cog/epci_membres_cog2026.csv"):
        membres.setdefault(r["siren_epci"], []).append({"code": r["code_insee"], "nom": r["nom_commune"]})
    epci = [
        {
            "code": r["siren_epci"],
            "nom": r["nom"],
            "type": r["type"],
            "populationTotale": int(r["population_totale"]),
            "membres": membres.get(r["siren_epci"], []),
        }
        for r in lignes_csv("cog/epci_cog2026.csv")
    ]
    communes = [
        {
            "code": r["code_insee"],
            "nom": r["nom"],
            "type": "commune-actuelle",
            "zone": r["zone"],
            "departement": r["code_departement"],
            "region": r["code_region"],
            "population": int(r["population"]) if r["population"] else None,
        }
        for r in lignes_csv("cog/communes_cog2026.csv")
    ] + [
        {
            "code": "01015",
            "nom": "Arbignieu",
            "type": "commune-deleguee",
            "zone": "metro",
            "departement": "01",
        }
    ]
    (tmp_path / "epci.json").write_text(json.dumps(epci), encoding="utf-8")
    (tmp_path / "communes.json").write_text(json.dumps(communes), encoding="utf-8")

    bilan = referentiel_charger(
        fichiers={"epci": tmp_path / "epci.json", "communes": tmp_path / "communes.json"}
    )
    assert bilan.changes == 0, str(bilan)
    assert len(objets_json("cog/regions.json")) == 26  # dont 8 collectivités d'outre-mer écartées
