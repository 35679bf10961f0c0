"""Millésimes de la liste PVD de l'ANCT : chargements enregistrés, communes entrées et sorties, dates
d'adhésion ajoutées ou corrigées, les deux formats de l'ANCT (CSV liste-pvd-com… et GeoJSON du superposeur).

Les attendus sont lus dans les fichiers bruts de /shared/data/sources, jamais écrits en dur."""

import csv
import datetime
import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from communes.constants import StatutChefDeProjet, TypeConvention
from communes.historique import historique_territoire
from communes.models import ChefDeProjet, Convention
from communes.services import referentiel_charger
from comptes.models import User
from territoires.models import ChargementListe, Commune
from tests.donnees import fichier

pytestmark = pytest.mark.django_db

CSV_2023 = "sources/anct_liste_pvd_2023-10.csv"
CSV_2024 = "sources/anct_liste_pvd_2024-08.csv"
GEOJSON_2023 = "sources/anct_superposeur_pvd_2023-10.geojson"
GEOJSON_2024 = "sources/anct_superposeur_pvd_2024-08.geojson"


def liste_csv(relatif):
    """{code INSEE: (id_pvd, date ou None)} lu dans le CSV de la liste ANCT."""
    with fichier(relatif).open(encoding="utf-8", newline="") as f:
        return {
            r["insee_com"]: (
                r["id_pvd"],
                datetime.date.fromisoformat(r["date_signature"]) if r["date_signature"] else None,
            )
            for r in csv.DictReader(f)
        }


def liste_geojson(relatif):
    """La même chose lue dans le GeoJSON du superposeur ANCT, quelle que soit la disposition des propriétés."""
    liste = {}
    for entite in json.loads(fichier(relatif).read_text(encoding="utf-8"))["features"]:
        p = entite["properties"]
        date = datetime.date.fromisoformat(p["date_signature"]) if p["date_signature"] else None
        if "insee_com" in p:
            liste[p["insee_com"]] = (p["id_pvd"], date)
        else:
            for code in re.findall(r"\((\d{5}|2[AB]\d{3})\)", p["liste_geo"]):
                liste[code] = (p["id_territoire"], date)
    return liste


def charger(relatif, **kwargs):
    sortie = io.StringIO()
    call_command("charger_referentiel", pvd=str(fichier(relatif)), stdout=sortie, **kwargs)
    return sortie.getvalue()


def ligne(sortie, debut):
    return next(x for x in sortie.splitlines() if x.startswith(debut))


def agent(departement, username=None):
    return User.objects.create_user(
        username=username or f"agent-{departement}",
        first_name="Agent",
        last_name=departement,
        role="departemental",
        departement_id=departement,
        password="x" * 12,
    )


def connecte(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "fichiers", [(CSV_2023, CSV_2024), (GEOJSON_2023, GEOJSON_2024)], ids=["csv", "geojson"]
)
def test_une_commune_sortie_de_la_liste_reste_suivie_et_comptee_a_part(fichiers, user_national, user_admin):
    ancien, nouveau = fichiers
    lire = liste_geojson if ancien.endswith(".geojson") else liste_csv
    avant, apres = lire(ancien), lire(nouveau)
    sorties, entrees = sorted(set(avant) - set(apres)), sorted(set(apres) - set(avant))
    assert sorties and entrees  # les deux millésimes diffèrent (lu dans les fichiers)

    charger(ancien)
    assert set(Commune.objects.pvd().values_list("code_insee", flat=True)) == set(avant)
    assert ChargementListe.objects.first().millesime == "2023-10"

    # Suivi saisi sur une commune absente du millésime suivant, par un agent de son département.
    partante = Commune.objects.select_related("departement").get(code_insee=sorties[0])
    moi = agent(partante.departement_id)
    reponse = connecte(moi).post(
        reverse("communes:chef_de_projet", args=[partante.code_insee]),
        {"statut": StatutChefDeProjet.EN_POSTE, "nom": "Claire Le Goff", "date_prise_poste": "2023-11-02"},
    )
    assert reponse.status_code == 302, reponse.content.decode()[:2000]
    territoire = partante.territoire
    historique_avant = [(e.objet, e.auteur, e.raison) for e in historique_territoire(territoire)]

    sortie = charger(nouveau)

    # Le résumé du chargement nomme les entrées et les sorties.
    noms = dict(Commune.objects.filter(code_insee__in=sorties + entrees).values_list("code_insee", "nom"))
    ligne_entrees, ligne_sorties = (
        ligne(sortie, "Entrées dans la liste"),
        ligne(sortie, "Sorties de la liste"),
    )
    assert f": {len(entrees)} —" in ligne_entrees and f": {len(sorties)} —" in ligne_sorties
    for code in entrees:
        assert f"{noms[code]} ({code})" in ligne_entrees
    for code in sorties:
        assert f"{noms[code]} ({code})" in ligne_sorties
    chargement = ChargementListe.objects.first()
    assert chargement.millesime == "2024-08"
    assert {c["code_insee"] for c in chargement.entrees} == set(entrees)
    assert {c["code_insee"] for c in chargement.sorties} == set(sorties)
    assert chargement.communes_count == len(apres)

    # Marquée sortie, elle garde son identifiant, son suivi et tout son historique ; comptée à part.
    partante.refresh_from_db()
    assert partante.sortie_liste == chargement and partante.id_pvd == avant[partante.code_insee][0]
    assert partante.territoire == territoire
    assert ChefDeProjet.objects.get(territoire=territoire).nom == "Claire Le Goff"
    historique_apres = [(e.objet, e.auteur, e.raison) for e in historique_territoire(territoire)]
    assert historique_apres == historique_avant
    assert ("Chef de projet", "Agent " + partante.departement_id) in [(o, a) for o, a, _ in historique_apres]
    assert set(Commune.objects.pvd().values_list("code_insee", flat=True)) == set(apres)
    assert set(Commune.objects.sorties().values_list("code_insee", flat=True)) >= set(sorties)
    assert not Commune.objects.pvd().filter(code_insee__in=sorties).exists()

    # Sa fiche : atteignable par son département, le national, l'administrateur ; 404 ailleurs.
    fiche = reverse("communes:detail", args=[partante.code_insee])
    for user in (moi, user_national, user_admin):
        reponse = connecte(user).get(fiche)
        assert reponse.status_code == 200
        page = reponse.content.decode()
        assert "Sortie de la liste PVD (2024-08)" in page
        assert "Claire Le Goff" in page
    autre = "35" if partante.departement_id != "35" else "01"
    assert connecte(agent(autre)).get(fiche).status_code == 404

    # La liste : sans filtre, la liste en vigueur ; le filtre « Sorties de la liste » la montre.
    liste = reverse("communes:liste")
    client = connecte(moi)
    par_defaut = client.get(liste).content.decode()
    assert fiche not in par_defaut
    assert "sortie de la liste PVD" in par_defaut or "sorties de la liste PVD" in par_defaut
    filtree = client.get(liste, {"liste": "sorties"}).content.decode()
    assert fiche in filtree and "Sortie de la liste (2024-08)" in filtree

    # Comptée à part dans les chiffres (moteur d'indicateurs) : dans « sorties », dans aucun autre compte.
    from tableau.indicateurs import chiffres_calculer

    chiffres = chiffres_calculer([partante.departement_id])[partante.departement_id]
    departement_sorties = Commune.objects.sorties().filter(departement_id=partante.departement_id)
    assert chiffres.sorties == departement_sorties.count() >= 1
    assert chiffres.communes == Commune.objects.pvd().filter(departement_id=partante.departement_id).count()
    assert chiffres.chefs_en_poste == 0  # le chef de projet de la commune sortie n'est pas compté
    tableau = connecte(user_national).get(reverse("tableau:departement", args=[partante.departement_id]))
    detail = next(c for c in tableau.context["chiffres_cles"] if c.code == "communes").detail
    assert f"{chiffres.sorties} commune" in detail and "comptées à part" in detail

    # Les nouvelles communes sont dans la liste, avec leur territoire PVD.
    arrivees = Commune.objects.filter(code_insee__in=entrees)
    assert all(c.territoire_id and c.is_pvd for c in arrivees)
    arrivee = arrivees.first()
    assert (
        connecte(user_national).get(reverse("communes:detail", args=[arrivee.code_insee])).status_code == 200
    )
    assert (
        reverse("communes:detail", args=[arrivee.code_insee])
        in connecte(user_national)
        .get(liste, {"nom": arrivee.nom, "departement": arrivee.departement_id})
        .content.decode()
    )


def test_les_dates_de_la_nouvelle_liste_sont_appliquees_ou_proposees():
    avant, apres = liste_csv(CSV_2023), liste_csv(CSV_2024)
    communs = sorted(set(avant) & set(apres))
    ajoutees = [c for c in communs if avant[c][1] is None and apres[c][1]]
    corrigees = [c for c in communs if avant[c][1] and apres[c][1] and avant[c][1] != apres[c][1]]
    assert ajoutees and len(corrigees) >= 3

    charger(CSV_2023)
    # Une instance qui ne connaissait que la liste 2023-10 : pas de date, pas de convention d'adhésion.
    ajoutee = Commune.objects.get(code_insee=ajoutees[0])
    Convention.objects.filter(territoire=ajoutee.territoire, type=TypeConvention.ADHESION).delete()
    Commune.objects.filter(pk=ajoutee.pk).update(date_adhesion_liste=None)
    # Une date reprise de la liste, encore à confirmer ; une autre confirmée par la préfecture.
    a_confirmer, confirmee = (Commune.objects.get(code_insee=c) for c in corrigees[:2])
    adhesion = Convention.objects.get(territoire=confirmee.territoire, type=TypeConvention.ADHESION)
    assert adhesion.a_confirmer and adhesion.date_signature == avant[confirmee.code_insee][1]
    moi = agent(confirmee.departement_id)
    client = connecte(moi)
    gardee = Commune.objects.get(code_insee=corrigees[2])
    client_gardee = connecte(agent(gardee.departement_id, username="agent-gardee"))
    for commune, c in ((confirmee, client), (gardee, client_gardee)):
        convention = Convention.objects.get(territoire=commune.territoire, type=TypeConvention.ADHESION)
        url = reverse("communes:confirmer", args=[commune.code_insee, "adhesion"])
        assert c.post(url, {"version": convention.version}).status_code == 302

    sortie = charger(CSV_2024)

    dates = ligne(sortie, "Dates d’adhésion ajoutées ou corrigées")
    for commune in (ajoutee, a_confirmer, confirmee):
        assert f"{commune.nom} ({commune.code_insee})" in dates
    assert (
        f"{ajoutee.nom} ({ajoutee.code_insee}) non renseignée → {apres[ajoutee.code_insee][1]:%d/%m/%Y}"
        in dates
    )
    assert "proposées à confirmation : " in sortie

    # Date ajoutée : convention créée, à confirmer, avec sa source.
    creee = Convention.objects.get(territoire=ajoutee.territoire, type=TypeConvention.ADHESION)
    assert (creee.date_signature, creee.source, creee.a_confirmer) == (
        apres[ajoutee.code_insee][1],
        "liste PVD ANCT 2024-08",
        True,
    )
    # Date corrigée d'une valeur à confirmer : appliquée.
    corrigee = Convention.objects.get(territoire=a_confirmer.territoire, type=TypeConvention.ADHESION)
    assert (corrigee.date_signature, corrigee.source) == (
        apres[a_confirmer.code_insee][1],
        "liste PVD ANCT 2024-08",
    )
    raisons = [
        e.raison for e in historique_territoire(a_confirmer.territoire) if e.objet == "Convention d’adhésion"
    ]
    assert raisons[0] == "Valeur reprise de la liste PVD ANCT 2024-08"
    # Date confirmée par la préfecture : gardée, celle de la liste proposée sur la fiche.
    adhesion.refresh_from_db()
    assert adhesion.date_signature == avant[confirmee.code_insee][1] and not adhesion.a_confirmer
    page = client.get(reverse("communes:detail", args=[confirmee.code_insee])).content.decode()
    assert "Date proposée" in page and "liste PVD ANCT 2024-08" in page
    assert (
        client.post(
            reverse("communes:confirmer", args=[confirmee.code_insee, "adhesion-liste"]),
            {"version": adhesion.version},
        ).status_code
        == 302
    )
    adhesion.refresh_from_db()
    assert adhesion.date_signature == apres[confirmee.code_insee][1]
    assert (
        "Date proposée"
        not in client.get(reverse("communes:detail", args=[confirmee.code_insee])).content.decode()
    )

    # Garder la date enregistrée : la date de la liste n'est plus proposée.
    convention = Convention.objects.get(territoire=gardee.territoire, type=TypeConvention.ADHESION)
    fiche = reverse("communes:detail", args=[gardee.code_insee])
    assert "Date proposée" in client_gardee.get(fiche).content.decode()
    url = reverse("communes:confirmer", args=[gardee.code_insee, "adhesion-garder"])
    assert client_gardee.post(url, {"version": convention.version}).status_code == 302
    convention.refresh_from_db()
    assert convention.date_signature == avant[gardee.code_insee][1]
    assert convention.date_liste_ecartee == apres[gardee.code_insee][1]
    assert "Date proposée" not in client_gardee.get(fiche).content.decode()
    raisons = [
        e.raison for e in historique_territoire(gardee.territoire) if e.objet == "Convention d’adhésion"
    ]
    assert (
        raisons[0] == "Date de la liste PVD ANCT 2024-08 écartée par la préfecture (date enregistrée gardée)"
    )


def test_recharger_le_meme_millesime_ne_change_rien():
    nombre = ChargementListe.objects.count()
    sortie = charger(CSV_2024)
    assert "Liste déjà chargée : aucun changement." in sortie
    assert "Référentiel déjà à jour." in sortie
    assert ChargementListe.objects.count() == nombre


@pytest.mark.parametrize("geojson,csv_", [(GEOJSON_2023, CSV_2023), (GEOJSON_2024, CSV_2024)])
def test_les_deux_formats_de_l_anct_donnent_la_meme_liste(geojson, csv_):
    """Le GeoJSON du superposeur (deux dispositions de propriétés selon l'année) et le CSV liste-pvd-com…"""
    charger(geojson)
    depuis_geojson = dict(Commune.objects.pvd().values_list("code_insee", "id_pvd"))
    assert depuis_geojson == {code: id_pvd for code, (id_pvd, _) in liste_geojson(geojson).items()}
    sortie = charger(csv_)
    assert "Liste déjà chargée : aucun changement." in sortie


def test_le_millesime_vient_du_nom_du_fichier_ou_de_l_option(tmp_path):
    contenu = fichier(CSV_2024).read_bytes()
    officiel = tmp_path / "liste-pvd-com2023-20240807.csv"
    officiel.write_bytes(contenu)
    referentiel_charger(fichiers={"pvd": officiel})
    assert ChargementListe.objects.first().millesime == "2024-08"
    sans_date = tmp_path / "liste.csv"
    sans_date.write_bytes(contenu)
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="millésime de la liste introuvable"):
        call_command("charger_referentiel", pvd=str(sans_date), stdout=io.StringIO())
    sortie = io.StringIO()
    call_command("charger_referentiel", pvd=str(sans_date), millesime="2024-09", stdout=sortie)
    assert "Liste PVD ANCT 2024-09" in sortie.getvalue()


def test_un_geojson_mal_forme_nomme_l_entite(tmp_path):
    donnees = json.loads(fichier(GEOJSON_2024).read_text(encoding="utf-8"))
    donnees["features"][6]["properties"]["liste_geo"] = "Sans code"
    chemin = tmp_path / "pvd_2024-08.geojson"
    chemin.write_text(json.dumps(donnees), encoding="utf-8")
    from django.core.management import CommandError

    with pytest.raises(
        CommandError, match=r"entité 7, propriété « liste_geo » : « Nom \(code INSEE\) » attendu"
    ):
        call_command("charger_referentiel", pvd=str(chemin), stdout=io.StringIO())
