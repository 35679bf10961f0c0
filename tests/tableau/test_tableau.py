"""Tableaux de bord : chaque chiffre = un compte indépendant fait ici sur les lignes ; périmètre par rôle ;
liens de descente ; carte ; exports ; cache jamais périmé ; nombre de requêtes constant."""

import csv
import datetime
import io
import re
import threading
import time
from collections import Counter, defaultdict

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from communes.constants import DecisionRisque, StatutAction, TypeConvention
from communes.demo import BaseNonBanc, suivi_demo_generer
from communes.models import (
    Action,
    ChefDeProjet,
    Convention,
    Crte,
    Financement,
    Ort,
    Territoire,
    VersionDepartement,
)
from tableau import indicateurs
from tableau.indicateurs import (
    Chiffres,
    chiffres_calculer,
    chiffres_departements,
    chiffres_prechauffer,
    requetes_agregats,
)
from territoires.models import Commune, Departement, Epci
from tests.donnees import departements_officiels, pvd_par_departement

pytestmark = pytest.mark.django_db

BRETAGNE = ["22", "29", "35", "56"]
ENGAGES = {"engagee", "livree"}


# Calcul indépendant, en Python, à partir des lignes -----------------------------------------------------
def _mois_avant(date, mois):
    annee, index = divmod(date.year * 12 + date.month - 1 - mois, 12)
    jour = date.day
    while True:
        try:
            return datetime.date(annee, index + 1, jour)
        except ValueError:
            jour -= 1


def attendus(codes):
    """Les chiffres des départements `codes`, recomptés commune par commune, sans le code de l'application."""
    today = timezone.localdate()
    limite_cadre = _mois_avant(today, 18)
    communes = list(
        Commune.objects.filter(
            id_pvd__isnull=False, sortie_liste__isnull=True, departement_id__in=codes
        ).select_related("territoire")
    )
    territoires = {c.territoire_id: c.territoire for c in communes}
    conventions = defaultdict(dict)
    for conv in Convention.objects.filter(territoire_id__in=territoires):
        conventions[conv.territoire_id][conv.type] = conv
    actions = defaultdict(list)
    for action in Action.objects.filter(territoire_id__in=territoires):
        actions[action.territoire_id].append(action)
    orts = {o.territoire_id: o for o in Ort.objects.filter(territoire_id__in=territoires)}
    chefs = {c.territoire_id: c for c in ChefDeProjet.objects.filter(territoire_id__in=territoires)}
    epcis_crte = defaultdict(set)
    for crte, epci in Crte.epcis.through.objects.values_list("crte_id", "epci_id"):
        epcis_crte[epci].add(crte)

    r = {k: 0 for k in ("communes", "adhesion", "cadre_connu", "cadre_signee", "cadre_ort", "ort_signee",
                        "ort_en_vigueur", "crte", "crte_couvertes", "operationnelle", "risque", "a_renseigner",
                        "retard_cadre", "retard_inconnu", "retirees")}  # fmt: skip
    crtes = set()
    mois = Counter()
    for commune in communes:
        t = commune.territoire
        r["communes"] += 1
        if t.date_retrait is not None:
            r["retirees"] += 1
            continue
        adhesion = conventions[t.id].get("adhesion")
        cadre = conventions[t.id].get("cadre")
        if cadre is not None and cadre.a_confirmer:
            cadre = None  # proposée d'après la liste ORT : pas un fait saisi
        adhesion_signee = bool(adhesion and adhesion.date_signature)
        cadre_signee = bool(cadre and cadre.date_signature)
        cadre_ort = cadre_signee and cadre.vaut_ort
        crte = bool(t.crte_id and t.date_inscription_crte)
        engagees = [a for a in actions[t.id] if a.statut in ENGAGES]
        ort = orts.get(t.id)
        ort_en_vigueur = cadre_ort or bool(
            ort
            and (
                ort.date_signature is None  # signée, date inconnue : comptée en vigueur
                or (
                    ort.date_signature <= today
                    and (
                        ort.duree_annees is None
                        or (
                            ort.date_signature.year + ort.duree_annees,
                            ort.date_signature.month,
                            ort.date_signature.day,
                        )
                        > (today.year, today.month, today.day)
                    )
                )
            )
        )
        operationnelle = cadre_ort and crte and bool(engagees)
        chef = chefs.get(t.id)
        if t.risque_decision == DecisionRisque.A_RISQUE:
            risque = True
        elif t.risque_decision == DecisionRisque.PAS_DE_RISQUE:
            risque = False
        else:
            # Seulement ce qui est connu : convention-cadre saisie sans valoir ORT signée, des actions mais
            # aucune engagée, poste vacant ou à recruter.
            risque = not operationnelle and (
                (cadre is not None and not cadre_ort)
                or (actions[t.id] and not engagees)
                or (chef is not None and chef.statut in ("vacant", "a_recruter"))
            )
        a_renseigner = (
            not operationnelle
            and not t.risque_decision
            and cadre is None
            and chef is None
            and not actions[t.id]
        )
        couverts = epcis_crte.get(commune.epci_id, set())
        crtes |= couverts
        ancienne = adhesion_signee and adhesion.date_signature < limite_cadre
        r["adhesion"] += adhesion_signee
        r["cadre_connu"] += cadre is not None
        r["cadre_signee"] += cadre_signee
        r["cadre_ort"] += cadre_ort
        r["ort_signee"] += bool(ort) or cadre_ort
        r["ort_en_vigueur"] += ort_en_vigueur
        r["crte"] += crte
        r["crte_couvertes"] += bool(couverts)
        r["operationnelle"] += operationnelle
        r["risque"] += bool(risque)
        r["a_renseigner"] += a_renseigner
        r["retard_cadre"] += bool(ancienne and cadre is not None and not cadre_signee)
        r["retard_inconnu"] += bool(ancienne and cadre is None)
        if operationnelle:
            date = max(
                cadre.date_signature, t.date_inscription_crte, min(a.date_engagement for a in engagees)
            )
            mois[f"{date:%Y-%m}"] += 1
    r["crtes"] = crtes

    # Territoires comptés : ceux qui ont au moins une commune lauréate (du département du territoire).
    territoires_pvd = [
        t
        for t in Territoire.objects.filter(departement_id__in=codes)
        if Commune.objects.filter(territoire=t, id_pvd__isnull=False, sortie_liste__isnull=True).exists()
    ]
    ids = {t.id for t in territoires_pvd}
    statut_du_chef = dict(
        ChefDeProjet.objects.filter(territoire_id__in=ids).values_list("territoire_id", "statut")
    )
    chefs_par_statut = Counter(statut_du_chef.get(t.id, "") for t in territoires_pvd)
    actions_pvd = list(Action.objects.filter(territoire_id__in=ids))
    financements = defaultdict(lambda: [0, 0, 0])
    for f in Financement.objects.filter(action__territoire_id__in=ids):
        ligne = financements[(f.dispositif, f.axe_fonds_vert, f.mesure_fonds_vert)]
        ligne[0] += 1
        ligne[1] += round((f.montant_demande or 0) * 100)
        ligne[2] += round((f.montant_accorde or 0) * 100)
    cout = defaultdict(int)
    for a in actions_pvd:
        cout[a.statut] += round((a.cout or 0) * 100)
    return {
        **r,
        "territoires": len(territoires_pvd),
        "chefs": dict(chefs_par_statut),
        "actions": dict(Counter(a.statut for a in actions_pvd)),
        "actions_cout": dict(cout),
        "financements": {cle: list(v) for cle, v in financements.items()},
        "mois": dict(mois),
    }


def _comme_dict(chiffres):
    return {
        **{
            nom: getattr(chiffres, nom)
            for nom in (
                "communes",
                "adhesion",
                "cadre_connu",
                "cadre_signee",
                "cadre_ort",
                "ort_signee",
                "ort_en_vigueur",
                "crte",
                "crte_couvertes",
                "crtes",
                "operationnelle",
                "risque",
                "a_renseigner",
                "retard_cadre",
                "retard_inconnu",
                "retirees",
                "territoires",
            )
        },  # fmt: skip
        "chefs": chiffres.chefs,
        "actions": chiffres.actions,
        "actions_cout": chiffres.actions_cout,
        "financements": chiffres.financements,
        "mois": chiffres.mois,
    }


def jours(n):
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture
def suivi_bretagne():
    """Situations générées pour la Bretagne, plus les cas limites qu'un tirage ne garantit pas."""
    suivi_demo_generer(regions=["53"], graine=7)
    suivi_demo_generer(departements=["976"], graine=7)
    t = {
        code: Territoire.objects.get(communes__code_insee=code)
        for code in ("35012", "35019", "29046", "22050")
    }
    # ORT signée il y a 6 ans pour 5 ans : échue ; pour 10 ans : en vigueur (sans convention-cadre valant ORT).
    Convention.objects.filter(territoire__in=[t["35012"], t["35019"]], type="cadre").update(vaut_ort=False)
    Ort.objects.update_or_create(
        territoire=t["35012"], defaults={"date_signature": jours(6 * 366), "duree_annees": 5}
    )
    Ort.objects.update_or_create(
        territoire=t["35019"], defaults={"date_signature": jours(6 * 366), "duree_annees": 10}
    )
    # Retrait du programme, décision « en difficulté » forcée.
    Territoire.objects.filter(pk=t["29046"].pk).update(date_retrait=jours(30))
    Territoire.objects.filter(pk=t["22050"].pk).update(
        risque_decision=DecisionRisque.A_RISQUE, risque_justification="Décision de test."
    )
    # Regroupement : une deuxième commune lauréate rejoint le territoire de Bain-de-Bretagne ; son ancien
    # territoire n'a plus de commune lauréate et ne compte plus.
    Commune.objects.filter(code_insee="35037").update(territoire=t["35012"])
    # Une commune sortie de la liste PVD ne compte plus, ni ses actions.
    Commune.objects.filter(code_insee="22004").update(id_pvd=None)
    return t


# Chaque chiffre = un compte indépendant -----------------------------------------------------------------
@pytest.mark.parametrize("codes", [["35"], ["29"], ["976"], BRETAGNE])
def test_chaque_chiffre_egale_le_compte_independant(suivi_bretagne, codes):
    total = Chiffres.somme(chiffres_calculer(codes).values())
    assert _comme_dict(total) == attendus(codes)


def test_les_cas_limites_sont_bien_couverts(suivi_bretagne):
    c = chiffres_calculer(["35", "29", "22"])
    assert c["29"].retirees == 1
    assert c["35"].ort_en_vigueur >= 1
    attendu = attendus(["35"])
    assert attendu["communes"] == pvd_par_departement()["35"]
    assert 0 < attendu["operationnelle"] < attendu["communes"]
    assert attendu["territoires"] == attendu["communes"] - 1  # deux communes, un seul territoire
    renovation = Financement.objects.filter(
        action__territoire__departement_id="35",
        dispositif="fonds_vert",
        axe_fonds_vert="1",
        mesure_fonds_vert="renovation_batiments",
    )
    assert (
        attendu["financements"].get(("fonds_vert", "1", "renovation_batiments"), (0,))[0]
        == renovation.count()
    )


def test_page_nationale_chiffres_et_serie(client, user_national, suivi_bretagne):
    client.force_login(user_national)
    reponse = client.get(reverse("tableau:regions"))
    assert reponse.status_code == 200
    tout = attendus(list(Departement.objects.values_list("code", flat=True)))
    cles = {c.libelle: c for c in reponse.context["chiffres_cles"]}
    assert cles["Communes PVD"].valeur == tout["communes"] == sum(pvd_par_departement().values()) - 1
    assert cles["En phase opérationnelle"].valeur == tout["operationnelle"]
    assert cles["En phase opérationnelle"].total == tout["communes"] - tout["retirees"]
    assert cles["Convention-cadre signée"].valeur == tout["cadre_signee"]
    assert (
        cles["Convention-cadre signée"].non_renseignes
        == tout["communes"] - tout["retirees"] - tout["cadre_connu"]
    )
    assert cles["ORT signée"].valeur == tout["ort_signee"]
    assert cles["Convention-cadre inscrite au CRTE"].valeur == tout["crte"]
    assert cles["Couvertes par un CRTE"].valeur == tout["crte_couvertes"]
    assert cles["Couvertes par un CRTE"].detail == f"{len(tout['crtes'])} CRTE distincts".replace(
        f"{len(tout['crtes'])}", f"{len(tout['crtes']):,}".replace(",", "\u202f")
    )
    assert cles["En difficulté"].valeur == tout["risque"]
    assert cles["En difficulté"].non_renseignes == tout["a_renseigner"]
    assert cles["Chefs de projet en poste"].valeur == tout["chefs"].get("en_poste", 0)
    assert cles["Chefs de projet en poste"].non_renseignes == tout["chefs"].get("", 0)
    fonds_vert = sum(v[2] for (d, _a, _m), v in tout["financements"].items() if d == "fonds_vert")
    assert cles["dont fonds vert"].valeur == fonds_vert
    # Série mensuelle : cumul des mois d'entrée en phase opérationnelle.
    serie = reponse.context["tableau_mensuel"].lignes  # du plus récent au plus ancien
    assert serie[0][1] == tout["operationnelle"]
    un_an = _mois_avant(timezone.localdate(), 12)
    attendu_un_an = sum(n for cle, n in tout["mois"].items() if cle <= f"{un_an:%Y-%m}")
    assert serie[12][1] == attendu_un_an
    assert serie[12][2] == pytest.approx(attendu_un_an / (tout["communes"] - tout["retirees"]))
    # Tableau par région : 18 lignes, total = France entière.
    regions = reponse.context["sous_territoires"]
    assert len(regions.lignes) == 18
    assert sum(ligne[1] for ligne in regions.lignes) == tout["communes"]
    bretagne = next(ligne for ligne in regions.lignes if ligne[0] == "Bretagne")
    colonne = {c.titre: i for i, c in enumerate(regions.colonnes)}
    attendu = attendus(BRETAGNE)
    assert bretagne[colonne["Phase opérationnelle"]] == attendu["operationnelle"]
    assert bretagne[colonne["Couvertes par un CRTE"]] == attendu["crte_couvertes"]
    assert bretagne[colonne["CRTE distincts"]] == len(attendu["crtes"])


# Périmètre par rôle ---------------------------------------------------------------------------------------
def test_le_regional_ne_voit_que_sa_region(client, user_regional, suivi_bretagne):
    client.force_login(user_regional)
    reponse = client.get(reverse("tableau:region", args=["53"]))
    cles = {c.libelle: c.valeur for c in reponse.context["chiffres_cles"]}
    assert cles["Communes PVD"] == attendus(BRETAGNE)["communes"]
    lignes = reponse.context["sous_territoires"].lignes
    assert [ligne[0] for ligne in lignes] == [
        "Côtes-d'Armor (22)",
        "Finistère (29)",
        "Ille-et-Vilaine (35)",
        "Morbihan (56)",
    ]
    assert client.get(reverse("tableau:region", args=["84"])).status_code == 404
    assert client.get(reverse("tableau:departement", args=["01"])).status_code == 404
    # La vue nationale le renvoie à son niveau.
    assert client.get(reverse("tableau:regions")).url == reverse("accueil")
    carte = client.get(reverse("tableau:carte_json")).json()
    assert sorted(z["code"] for z in carte["zones"]) == BRETAGNE


def test_le_departemental_ne_voit_que_son_departement(client, user_departemental, suivi_bretagne):
    client.force_login(user_departemental)
    reponse = client.get(reverse("tableau:departement", args=["35"]))
    cles = {c.libelle: c.valeur for c in reponse.context["chiffres_cles"]}
    assert cles["Communes PVD"] == attendus(["35"])["communes"]
    # Sur la page de sa région, il ne compte que son département ; les autres sont grisés sur la carte.
    region = client.get(reverse("tableau:region", args=["53"]))
    assert {c.libelle: c.valeur for c in region.context["chiffres_cles"]}["Communes PVD"] == cles[
        "Communes PVD"
    ]
    zones = {z["code"]: z for z in region.context["carte"]["zones"]}
    assert zones["35"]["url"] and not zones["29"]["url"] and zones["29"]["valeur"] is None
    assert "hors de votre territoire" in region.content.decode()
    assert client.get(reverse("tableau:departement", args=["29"])).status_code == 404
    carte = client.get(reverse("tableau:carte_json")).json()
    assert [z["code"] for z in carte["zones"]] == ["35"]
    # Son fil d'Ariane commence à son département.
    assert reponse.context["breadcrumb"] == []


# Descente région → département → commune, fil d'Ariane ---------------------------------------------------
def test_liens_de_descente_et_fil_d_ariane(client, user_national, suivi_bretagne):
    client.force_login(user_national)
    national = client.get(reverse("tableau:regions")).content.decode()
    for region in ("53", "84", "94", "06"):
        assert f'href="{reverse("tableau:region", args=[region])}"' in national
    region = client.get(reverse("tableau:region", args=["53"]))
    html = region.content.decode()
    for dep in BRETAGNE:
        assert html.count(f'href="{reverse("tableau:departement", args=[dep])}"') >= 2  # carte + tableau
    assert region.context["breadcrumb"] == [("France entière", reverse("tableau:regions"))]
    departement = client.get(reverse("tableau:departement", args=["35"]))
    assert departement.context["breadcrumb"] == [
        ("France entière", reverse("tableau:regions")),
        ("Bretagne", reverse("tableau:region", args=["53"])),
    ]
    html = departement.content.decode()
    assert f'href="{reverse("communes:detail", args=["35012"])}"' in html
    assert len(departement.context["table"].page.object_list) == pvd_par_departement()["35"]


# Carte ------------------------------------------------------------------------------------------------------
def test_donnees_de_la_carte_chaque_departement_une_fois(client, user_national, suivi_bretagne):
    client.force_login(user_national)
    donnees = client.get(reverse("tableau:carte_json"), {"indicateur": "operationnelle"}).json()
    codes = [z["code"] for z in donnees["zones"]]
    assert len(codes) == len(set(codes)) == len(departements_officiels())
    assert set(codes) == set(Departement.objects.values_list("code", flat=True))
    zones = {z["code"]: z for z in donnees["zones"]}
    for code in ("35", "29", "976", "01"):
        a = attendus([code])
        assert zones[code]["valeur"] == pytest.approx(a["operationnelle"] / (a["communes"] - a["retirees"]))
    assert 1 <= zones["35"]["classe"] <= 5 and zones["35"]["url"] == reverse(
        "tableau:departement", args=["35"]
    )
    regions = client.get(reverse("tableau:carte_json"), {"maille": "region", "indicateur": "communes"}).json()
    assert len(regions["zones"]) == 18
    assert {z["code"]: z["valeur"] for z in regions["zones"]}["53"] == attendus(BRETAGNE)["communes"]
    euros = client.get(reverse("tableau:carte_json"), {"indicateur": "fonds_vert", "region": "53"}).json()
    assert sorted(z["code"] for z in euros["zones"]) == BRETAGNE
    attendu = (
        sum(v[2] for (d, _a, _m), v in attendus(["35"])["financements"].items() if d == "fonds_vert") / 100
    )
    assert {z["code"]: z["valeur"] for z in euros["zones"]}["35"] == pytest.approx(attendu)


def test_carte_svg_lisible_sans_couleur(client, user_national, suivi_bretagne):
    client.force_login(user_national)
    reponse = client.get(reverse("tableau:regions"), {"maille": "departement"})
    html = reponse.content.decode()
    assert html.count('class="pvd-carte__lien"') == len(departements_officiels())
    a = attendus(["35"])
    texte = f"{a['operationnelle'] / a['communes'] * 100:.1f}".replace(".", ",")
    assert f"<title>Ille-et-Vilaine : {texte}\u00a0%</title>" in html
    assert 'id="tableau-carte"' in html  # le tableau à côté de la carte
    assert "style=" not in html.split("<main")[1] and "<script>" not in html
    # Sans JavaScript : le choix de l'indicateur est un formulaire GET.
    assert '<form method="get"' in html and 'name="indicateur"' in html
    assert client.get(reverse("tableau:regions"), {"indicateur": "inconnu"}).status_code == 200


@pytest.mark.parametrize("maille", ["departement", "region"])
def test_les_drom_en_encart_ont_un_cadre_et_leur_nom(client, user_national, maille):
    """Sur la carte nationale, chaque DROM placé en encart est encadré et nommé, et rien d'autre ne l'est
    (les départements 01 à 06 ne sont pas pris pour les régions d'outre-mer)."""
    client.force_login(user_national)
    html = client.get(reverse("tableau:regions"), {"maille": maille}).content.decode()
    encarts = html.split('class="pvd-carte__encarts"')[1].split("</g>")[0]
    noms = re.findall(r"<text [^>]*>([^<]+)</text>", encarts)
    assert sorted(noms) == ["Guadeloupe", "Guyane", "La Réunion", "Martinique", "Mayotte"]
    assert encarts.count("<rect ") == 5
    # La carte d'une région de métropole n'a pas d'encart.
    assert "pvd-carte__encarts" not in client.get(reverse("tableau:region", args=["53"])).content.decode()


# Exports ------------------------------------------------------------------------------------------------------
def test_exports_csv_et_xlsx_de_chaque_tableau(client, user_national, suivi_bretagne):
    client.force_login(user_national)
    url = reverse("tableau:region", args=["53"])
    page = client.get(url)
    noms = [d.nom for d in page.context["view"].tableaux_de_donnees()]
    assert noms == [
        "chiffres-cles",
        "carte",
        "departements",
        "phase-operationnelle-par-mois",
        "actions-par-statut",
        "financements-par-dispositif",
        "fonds-vert-par-mesure",
    ]
    for nom in noms:
        reponse = client.get(url, {"export": "csv", "tableau": nom})
        assert reponse["Content-Type"] == "text/csv; charset=utf-8", nom
        assert f'href="?export=csv&amp;tableau={nom}"' in page.content.decode()
    lignes = list(
        csv.reader(
            io.StringIO(client.get(url, {"export": "csv", "tableau": "departements"}).content.decode()[1:]),
            delimiter=";",
        )
    )
    entetes = lignes[0]
    ille = dict(zip(entetes, next(ligne for ligne in lignes if ligne[0].startswith("Ille")), strict=True))
    a = attendus(["35"])
    assert ille["Communes PVD"] == str(a["communes"])
    assert ille["Phase opérationnelle"] == str(a["operationnelle"])
    assert ille[
        "Phase opérationnelle, part (%)"
    ] == f"{round(a['operationnelle'] / (a['communes'] - a['retirees']) * 100, 1)}".replace(".", ",")
    classeur = load_workbook(io.BytesIO(client.get(url, {"export": "xlsx", "tableau": "tout"}).content))
    # Feuilles aux noms français (titre du tableau, ou son nom court s'il dépasse les 31 caractères d'Excel).
    tableaux = page.context["view"].tableaux_de_donnees()
    assert classeur.sheetnames == [d.feuille or d.titre for d in tableaux]
    assert all(len(nom) <= 31 for nom in classeur.sheetnames)
    assert "Chiffres clés" in classeur.sheetnames and "Actions par statut" in classeur.sheetnames
    for feuille in classeur.worksheets:
        assert feuille.freeze_panes == "A2", feuille.title
        assert all(cellule.font.b for cellule in feuille[1]), feuille.title
        assert (
            feuille.auto_filter.ref
            == f"A1:{feuille.cell(1, feuille.max_column).column_letter}{feuille.max_row}"
        )
    # Mois en vraies dates (1er du mois), parts en fraction affichée en %, montants en nombres.
    mensuel = classeur["Phase opérationnelle par mois"]
    assert isinstance(mensuel["A2"].value, datetime.datetime) and mensuel["A2"].number_format == "mm/yyyy"
    parts = [c for c in mensuel[2] if c.number_format == "0.0 %"]
    assert parts and all(c.value is None or 0 <= c.value <= 1 for c in parts)
    actions = list(classeur["Actions par statut"].iter_rows(values_only=True))
    assert actions[-1][1] == sum(attendus(BRETAGNE)["actions"].values())
    assert client.get(url, {"export": "csv", "tableau": "inconnu"}).status_code == 404


# Cache : jamais un chiffre périmé après un enregistrement ------------------------------------------------
def _operationnelles(client):
    cles = client.get(reverse("tableau:regions")).context["chiffres_cles"]
    return {c.libelle: c.valeur for c in cles}


def test_le_cache_n_est_jamais_perime(client, user_national, suivi_bretagne):
    client.force_login(user_national)
    avant = _operationnelles(client)
    version_29 = VersionDepartement.objects.get(departement_code="29").jeton
    # Enregistrement par save() : nouvelle action dans un territoire de l'Ille-et-Vilaine.
    t = Territoire.objects.get(communes__code_insee="35049")
    action = Action.objects.create(territoire=t, titre="Test", theme="habitat", maitre_ouvrage="Commune")
    assert _operationnelles(client)["Actions engagées ou livrées"] == avant["Actions engagées ou livrées"]
    Action.objects.filter(pk=action.pk).update(
        statut=StatutAction.ENGAGEE, date_engagement=jours(3)
    )  # update()
    apres = _operationnelles(client)
    assert apres["Actions engagées ou livrées"] == avant["Actions engagées ou livrées"] + 1
    Financement.objects.bulk_create(
        [
            Financement(
                action=action,
                dispositif="fonds_vert",
                axe_fonds_vert="1",
                mesure_fonds_vert="biodechets",
                montant_demande=1000,
                montant_accorde=1000,
                annee=2024,
            )
        ]  # fmt: skip
    )
    assert _operationnelles(client)["dont fonds vert"] == avant["dont fonds vert"] + 100000
    Action.objects.filter(pk=action.pk).delete()  # cascade : l'action et son financement
    assert _operationnelles(client) == avant
    # Une commune qui change de département ou sort de la liste : les deux comptes bougent.
    Commune.objects.filter(code_insee="35049").update(id_pvd=None)
    assert _operationnelles(client)["Communes PVD"] == avant["Communes PVD"] - 1
    # Seules les versions des départements touchés changent : le reste du cache sert encore.
    assert VersionDepartement.objects.get(departement_code="29").jeton == version_29


def test_le_nom_d_un_epci_et_ses_crte_changent_la_version_de_ses_departements(client, user_national):
    """La liste des communes (mise en cache) montre le nom de l'EPCI et la couverture CRTE : renommer un EPCI
    ou le retirer d'un CRTE change la version des départements de ses communes, et d'eux seuls."""
    epci = Epci.objects.filter(communes__code_insee="35049").get()
    leurs = set(Commune.objects.filter(epci=epci).values_list("departement_id", flat=True))
    autres = set(VersionDepartement.objects.exclude(departement_code__in=leurs).values_list("pk", "jeton"))
    client.force_login(user_national)
    url = reverse("communes:liste")
    assert epci.nom in client.get(url, {"nom": "35049"}).content.decode()
    avant = VersionDepartement.objects.jetons(leurs)
    Epci.objects.filter(pk=epci.pk).update(nom="Communauté renommée pour le test")  # update() : sans save()
    milieu = VersionDepartement.objects.jetons(leurs)
    assert set(milieu) == leurs and all(milieu[code] != avant.get(code) for code in leurs)
    assert "Communauté renommée pour le test" in client.get(url, {"nom": "35049"}).content.decode()
    Crte.epcis.through.objects.filter(epci=epci).delete()
    apres = VersionDepartement.objects.jetons(leurs)
    assert all(apres[code] != milieu[code] for code in leurs)
    assert (
        set(VersionDepartement.objects.exclude(departement_code__in=leurs).values_list("pk", "jeton"))
        == autres
    )


def test_une_creation_en_masse_change_une_fois_la_version_sous_postgresql():
    """PostgreSQL : une version par instruction (la table des versions ne gonfle pas pendant un chargement) ;
    SQLite : une par ligne (ses déclencheurs sont par ligne, ses mises à jour en place)."""
    territoires = list(Territoire.objects.filter(departement_id="35")[:5])
    avant = VersionDepartement.objects.filter(pk="35").values_list("numero", flat=True).first() or 0
    Action.objects.bulk_create(
        [
            Action(territoire=t, titre=f"Lot {i}", theme="habitat", maitre_ouvrage="Commune")
            for i in range(10)
            for t in territoires
        ]
    )
    apres = VersionDepartement.objects.get(pk="35").numero
    assert apres - avant == (1 if connection.vendor == "postgresql" else 10 * len(territoires))


def _calculs_comptes(monkeypatch, pause=0.0):
    """Les départements que calcule chiffres_calculer, appel par appel (le vrai calcul, ralenti de `pause`)."""
    appels = []
    vrai = indicateurs.chiffres_calculer

    def compte(codes, **kwargs):
        appels.append(sorted(codes))
        time.sleep(pause)
        return vrai(codes, **kwargs)

    monkeypatch.setattr(indicateurs, "chiffres_calculer", compte)
    return appels


def test_le_worker_calcule_d_avance_et_aucun_visiteur_ne_calcule(client, user_national, monkeypatch):
    appels = _calculs_comptes(monkeypatch)
    tous = set(Departement.objects.values_list("code", flat=True))
    assert chiffres_prechauffer() == len(tous)
    assert set().union(*map(set, appels)) == tous
    assert chiffres_prechauffer() == 0  # rien n'a changé : rien à refaire
    client.force_login(user_national)
    appels.clear()
    assert client.get(reverse("tableau:regions")).status_code == 200
    assert appels == []  # la page nationale lit les chiffres calculés d'avance
    t = Territoire.objects.get(communes__code_insee="35049")
    Action.objects.create(territoire=t, titre="Test", theme="habitat", maitre_ouvrage="Commune")
    assert chiffres_prechauffer() == 1 and appels == [["35"]]  # seul le département touché
    # Le lendemain, tout est recalculé d'avance (la date fait partie de la clé du cache).
    assert chiffres_prechauffer(today=timezone.localdate() + datetime.timedelta(days=1)) == len(tous)
    assert "tableau.chiffres_prechauffer_task" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}


def test_deux_premiers_visiteurs_simultanes_ne_calculent_qu_une_fois(monkeypatch):
    """Deux processus (ici deux fils) demandent en même temps les mêmes chiffres froids : un seul les calcule,
    l'autre attend ses chiffres dans le cache partagé."""
    appels = _calculs_comptes(monkeypatch, pause=0.5)
    codes = ["22", "29", "35", "56"]
    resultats = []

    def visiteur():
        try:
            resultats.append(chiffres_departements(codes))
        finally:
            connection.close()

    fils = [threading.Thread(target=visiteur) for _ in range(2)]
    for f in fils:
        f.start()
    for f in fils:
        f.join(30)
    assert len(resultats) == 2 and resultats[0] == resultats[1]
    assert sorted(code for appel in appels for code in appel) == codes  # chacun calculé une seule fois


def test_un_enregistrement_par_le_formulaire_est_vu_tout_de_suite(client, user_departemental):
    client.force_login(user_departemental)
    url = reverse("tableau:departement", args=["35"])
    avant = {c.libelle: c.valeur for c in client.get(url).context["chiffres_cles"]}
    reponse = client.post(
        reverse("communes:convention_cadre", args=["35012"]),
        {"date_signature": jours(10).isoformat(), "vaut_ort": "on", "commentaire": ""},
    )
    assert reponse.status_code == 302
    apres = {c.libelle: c.valeur for c in client.get(url).context["chiffres_cles"]}
    assert apres["Convention-cadre signée"] == avant["Convention-cadre signée"] + 1


def test_seuls_les_departements_modifies_sont_recalcules(suivi_bretagne):
    codes = list(Departement.objects.values_list("code", flat=True))
    cache.clear()
    chiffres_departements(codes)
    with CaptureQueriesContext(connection) as ctx:
        chiffres_departements(codes)
    assert len(ctx) == 1  # les versions ; tout le reste vient du cache
    Action.objects.filter(territoire__departement_id="29").first().save()
    with CaptureQueriesContext(connection) as ctx:
        chiffres_departements(codes)
    assert len(ctx) == 1 + len(requetes_agregats(["29"], today=timezone.localdate()))
    assert all("'29'" in q["sql"] for q in ctx.captured_queries[1:])
    assert all("'35'" not in q["sql"] for q in ctx.captured_queries[1:])


# Nombre de requêtes constant ---------------------------------------------------------------------------------
def _requetes(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx)


def _froid_et_chaud(client, url):
    from comptes.models import User
    from echanges.quoi_de_neuf import resume

    cache.clear()
    # Le bloc « depuis votre dernière visite » a son propre cache (echanges.quoi_de_neuf.resume) : on le remplit
    # d'abord, pour ne compter à froid que les chiffres du tableau de bord.
    resume(User.objects.get(pk=client.session["_auth_user_id"]))
    return _requetes(client, url), _requetes(client, url)


def test_nombre_de_requetes_constant_de_1_a_50_communes(client, user_national):
    client.force_login(user_national)
    pages = [
        reverse("tableau:regions"),
        reverse("tableau:region", args=["06"]),  # Mayotte : 1 département, 3 communes
        reverse("tableau:region", args=["53"]),
        reverse("tableau:departement", args=["976"]),  # 3 communes
        reverse("tableau:departement", args=["35"]),  # 40 communes
    ]
    Commune.objects.filter(departement_id="976").exclude(code_insee="97602").update(id_pvd=None)
    suivi_demo_generer(departements=["976"], graine=3)  # une seule commune suivie
    une = {url: _froid_et_chaud(client, url) for url in pages}
    suivi_demo_generer(regions=["53"], graine=3)  # 134 communes de plus
    beaucoup = {url: _froid_et_chaud(client, url) for url in pages}
    assert une == beaucoup
    froid, chaud = une[reverse("tableau:regions")]
    # session, utilisateur, versions, cloche, bandeau de démonstration, visite précédente, page
    assert chaud <= 7 and froid == chaud + len(requetes_agregats(["35"], today=timezone.localdate()))
    assert (
        une[reverse("tableau:departement", args=["976"])] == une[reverse("tableau:departement", args=["35"])]
    )
    assert une[reverse("tableau:region", args=["06"])] == une[reverse("tableau:region", args=["53"])]


# Données de démonstration ---------------------------------------------------------------------------------
def _empreinte():
    departement = {"territoire__departement_id": "976"}
    return [
        sorted(map(str, requete))
        for requete in (
            Action.objects.filter(**departement).values_list(
                "territoire__communes__code_insee", "titre", "statut", "cout", "date_engagement"
            ),
            Financement.objects.filter(action__territoire__departement_id="976").values_list(
                "dispositif", "mesure_fonds_vert", "montant_demande", "montant_accorde", "annee"
            ),
            Convention.objects.filter(type=TypeConvention.CADRE, **departement).values_list(
                "territoire__communes__code_insee", "date_signature", "vaut_ort"
            ),
            ChefDeProjet.objects.filter(**departement).values_list(
                "territoire__communes__code_insee", "statut", "date_prise_poste"
            ),
        )
    ]


def test_generation_deterministe_et_idempotente():
    with transaction.atomic():
        bilan = suivi_demo_generer(departements=["976"], graine=11)
        premiere = _empreinte()
        transaction.set_rollback(True)
    assert bilan["territoires"] == 3 and bilan["actions"] > 0
    bilan = suivi_demo_generer(departements=["976"], graine=11)
    assert _empreinte() == premiere
    again = suivi_demo_generer(departements=["976"], graine=11)
    assert again["actions"] == again["financements"] == again["territoires"] == 0
    assert _empreinte() == premiere
    # Les données respectent les règles de saisie (mêmes validations que les formulaires).
    for objet in [*Action.objects.filter(territoire__departement_id="976"),
                  *Financement.objects.filter(action__territoire__departement_id="976"),
                  *ChefDeProjet.objects.filter(territoire__departement_id="976")]:  # fmt: skip
        objet.full_clean()
    # Historique : la création est tracée.
    assert Action.history.filter(territoire__departement_id="976").exists()


def test_les_communes_non_laureates_ne_deviennent_laureates_que_dans_la_base_du_banc():
    with pytest.raises(BaseNonBanc):
        suivi_demo_generer(departements=["976"], toutes_communes=True)
    assert Commune.objects.filter(id_pvd__startswith="pvd-banc").count() == 0
