"""Chargement du référentiel territorial (COG, EPCI, liste PVD) depuis les fichiers officiels.

Tout le chargement est validé avant d'écrire : une erreur nomme le fichier, la ligne et la colonne,
et rien n'est enregistré. Relancer le chargement sur les mêmes fichiers ne change rien.
"""

import csv
import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from territoires.constants import EpciType
from territoires.models import Commune, Departement, Epci, Region

FICHIERS = {
    "regions": "cog/regions.json",
    "departements": "cog/departements.json",
    "epci": "cog/epci_cog2026.csv",
    "communes": "cog/communes_cog2026.csv",
    "pvd": "pvd_communes.csv",
    "crte": "sources/crte_groupements_2023-01.csv",
    "ort": "sources/ort_communes_dgaln_anct_2024-09.csv",
}
ZONES_RETENUES = {"metro", "drom"}
CODE_REGION = re.compile(r"^\d{2}$")
CODE_DEPARTEMENT = re.compile(r"^(\d{2}|2A|2B|97\d)$")
CODE_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
SIREN = re.compile(r"^\d{9}$")
ID_CRTE = re.compile(r"^crte-[0-9A-Za-z]+-[0-9A-Za-z]+-\d+$")
ID_PVD = re.compile(r"^pvd-[0-9A-Za-z]+-[0-9A-Za-z]+-\d+$")


class ReferentielError(Exception):
    def __init__(self, fichier, ligne, colonne, message):
        self.fichier, self.ligne, self.colonne = str(fichier), ligne, colonne
        where = f"{self.fichier}, ligne {ligne}" + (f", colonne « {colonne} »" if colonne else "")
        super().__init__(f"{where} : {message}")


@dataclass
class Enregistrement:
    """Une ligne lue : sa position dans le fichier (pour les messages d'erreur) et ses valeurs."""

    fichier: Path
    ligne: int
    valeurs: dict

    def texte(self, colonne, *, obligatoire=True, motif=None, libelle="valeur"):
        if colonne not in self.valeurs:
            raise ReferentielError(self.fichier, self.ligne, colonne, "colonne absente.")
        valeur = self.valeurs[colonne]
        valeur = "" if valeur is None else str(valeur).strip()
        if not valeur:
            if obligatoire:
                raise ReferentielError(self.fichier, self.ligne, colonne, "valeur vide.")
            return ""
        if motif and not motif.match(valeur):
            raise ReferentielError(self.fichier, self.ligne, colonne, f"{libelle} invalide : « {valeur} ».")
        return valeur

    def entier(self, colonne):
        valeur = self.texte(colonne, obligatoire=False)
        if not valeur:
            return None
        try:
            nombre = int(float(valeur)) if re.fullmatch(r"\d+(\.0+)?", valeur) else int(valeur)
        except ValueError:
            raise ReferentielError(
                self.fichier, self.ligne, colonne, f"nombre entier attendu : « {valeur} »."
            )
        if nombre < 0:
            raise ReferentielError(self.fichier, self.ligne, colonne, f"nombre négatif : « {valeur} ».")
        return nombre

    def date(self, colonne):
        valeur = self.texte(colonne, obligatoire=False)
        if not valeur:
            return None
        try:
            return datetime.date.fromisoformat(valeur)
        except ValueError:
            raise ReferentielError(
                self.fichier, self.ligne, colonne, f"date AAAA-MM-JJ attendue : « {valeur} »."
            )

    def erreur(self, colonne, message):
        return ReferentielError(self.fichier, self.ligne, colonne, message)


def lire_csv(chemin):
    chemin = Path(chemin)
    try:
        with chemin.open(encoding="utf-8-sig", newline="") as fichier:
            lecteur = csv.DictReader(fichier, strict=True)
            if not lecteur.fieldnames:
                raise ReferentielError(chemin, 1, None, "fichier vide.")
            enregistrements = []
            ligne = 1
            for valeurs in lecteur:
                if None in valeurs or any(v is None for v in valeurs.values()):
                    raise ReferentielError(
                        chemin,
                        ligne + 1,
                        None,
                        f"nombre de colonnes incorrect (attendu {len(lecteur.fieldnames)}).",
                    )
                enregistrements.append(Enregistrement(chemin, ligne + 1, valeurs))
                ligne = lecteur.line_num
            return enregistrements
    except FileNotFoundError:
        raise ReferentielError(chemin, 0, None, "fichier introuvable.")
    except UnicodeDecodeError as exc:
        raise ReferentielError(chemin, 0, None, f"encodage UTF-8 attendu ({exc.reason}).")
    except csv.Error as exc:
        raise ReferentielError(chemin, lecteur.line_num, None, f"CSV mal formé ({exc}).")


def lire_json(chemin):
    """Lit un tableau JSON d'objets en gardant la ligne où commence chaque objet."""
    chemin = Path(chemin)
    try:
        texte = chemin.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ReferentielError(chemin, 0, None, "fichier introuvable.")
    except UnicodeDecodeError as exc:
        raise ReferentielError(chemin, 0, None, f"encodage UTF-8 attendu ({exc.reason}).")
    decodeur = json.JSONDecoder()
    espaces = re.compile(r"[\s,]*")
    position = espaces.match(texte, 0).end()
    if not texte.startswith("[", position):
        raise ReferentielError(chemin, 1, None, "un tableau JSON ([...]) est attendu.")
    position += 1
    enregistrements = []
    while True:
        position = espaces.match(texte, position).end()
        if texte.startswith("]", position):
            break
        ligne = texte.count("\n", 0, position) + 1
        try:
            objet, position = decodeur.raw_decode(texte, position)
        except json.JSONDecodeError as exc:
            raise ReferentielError(
                chemin, exc.lineno, f"caractère {exc.colno}", f"JSON mal formé ({exc.msg})."
            )
        if not isinstance(objet, dict):
            raise ReferentielError(chemin, ligne, None, "un objet JSON ({...}) est attendu.")
        enregistrements.append(Enregistrement(chemin, ligne, objet))
    return enregistrements


def lire(chemin):
    return lire_json(chemin) if Path(chemin).suffix.lower() == ".json" else lire_csv(chemin)


@dataclass
class Bilan:
    """Ce que le chargement a changé, par modèle."""

    lignes: dict = field(default_factory=dict)
    pvd: int = 0

    def ajouter(self, modele, crees, modifies, inchanges):
        self.lignes[modele] = {"créés": crees, "modifiés": modifies, "inchangés": inchanges}

    @property
    def changes(self):
        return sum(v["créés"] + v["modifiés"] for v in self.lignes.values())

    def __str__(self):
        return "\n".join(
            f"{modele} : {v['créés']} créé(s), {v['modifiés']} modifié(s), {v['inchangés']} inchangé(s)"
            for modele, v in self.lignes.items()
        )


def _regions(enregistrements):
    regions = {}
    for e in enregistrements:
        zone = e.texte("zone")
        if zone not in ZONES_RETENUES:
            continue
        code = e.texte("code", motif=CODE_REGION, libelle="code région")
        regions[code] = {"nom": e.texte("nom"), "zone": zone}
    return regions


def _departements(enregistrements, regions):
    departements = {}
    for e in enregistrements:
        zone = e.texte("zone")
        if zone not in ZONES_RETENUES:
            continue
        code = e.texte("code", motif=CODE_DEPARTEMENT, libelle="code département")
        region = e.texte("region")
        if region not in regions:
            raise e.erreur("region", f"région inconnue : « {region} ».")
        departements[code] = {"nom": e.texte("nom"), "region_id": region, "zone": zone}
    return departements


def _epci_depuis_csv(enregistrements):
    types = set(EpciType.values)
    epcis = {}
    for e in enregistrements:
        siren = e.texte("siren_epci", motif=SIREN, libelle="SIREN")
        type_epci = e.texte("type")
        if type_epci not in types:
            raise e.erreur("type", f"nature juridique inconnue : « {type_epci} ».")
        epcis[siren] = {"nom": e.texte("nom"), "type": type_epci, "population": e.entier("population_totale")}
    return epcis


def _epci_depuis_json(enregistrements):
    """epci.json du paquet @etalab/decoupage-administratif : renvoie les EPCI et leurs communes membres."""
    types = set(EpciType.values)
    epcis, membres = {}, {}
    for e in enregistrements:
        siren = e.texte("code", motif=SIREN, libelle="SIREN")
        type_epci = e.texte("type")
        if type_epci not in types:
            raise e.erreur("type", f"nature juridique inconnue : « {type_epci} ».")
        epcis[siren] = {"nom": e.texte("nom"), "type": type_epci, "population": e.entier("populationTotale")}
        for membre in e.valeurs.get("membres") or []:
            code = str(membre.get("code", ""))
            if not CODE_INSEE.match(code):
                raise e.erreur("membres", f"code INSEE de membre invalide : « {code} ».")
            membres[code] = siren
    return epcis, membres


def _communes(enregistrements, departements, epcis, membres):
    """Accepte communes_cog2026.csv (colonnes code_insee, code_departement, siren_epci…) ou le
    communes.json du paquet @etalab/decoupage-administratif (code, departement, type…)."""
    communes = {}
    for e in enregistrements:
        json_format = "code" in e.valeurs
        if json_format and e.valeurs.get("type") != "commune-actuelle":
            continue
        if e.texte("zone") not in ZONES_RETENUES:
            continue
        colonne_code = "code" if json_format else "code_insee"
        code = e.texte(colonne_code, motif=CODE_INSEE, libelle="code INSEE")
        colonne_dep = "departement" if json_format else "code_departement"
        departement = e.texte(colonne_dep)
        if departement not in departements:
            raise e.erreur(colonne_dep, f"département inconnu : « {departement} ».")
        if json_format:
            epci = membres.get(code, "")
        else:
            epci = e.texte("siren_epci", obligatoire=False, motif=SIREN, libelle="SIREN")
            if epci and epci not in epcis:
                raise e.erreur("siren_epci", f"EPCI inconnu : « {epci} ».")
        communes[code] = {
            "nom": e.texte("nom"),
            "departement_id": departement,
            "epci_id": epci or None,
            "population": e.entier("population"),
            "id_pvd": None,
            "date_adhesion_liste": None,
        }
    return communes


def _pvd(enregistrements, communes):
    """Liste PVD de l'ANCT (insee_com, id_pvd, date_signature) ou pvd_communes.csv, dont on retient la
    liste la plus récente (colonne dans_liste_anct_2024_08)."""
    vus = {}
    for e in enregistrements:
        if "dans_liste_anct_2024_08" in e.valeurs and e.valeurs["dans_liste_anct_2024_08"] != "1":
            continue
        colonne_code = "code_insee_cog2026" if "code_insee_cog2026" in e.valeurs else "insee_com"
        code = e.texte(colonne_code, motif=CODE_INSEE, libelle="code INSEE")
        if code not in communes:
            raise e.erreur(colonne_code, f"commune absente du référentiel : « {code} ».")
        id_pvd = e.texte("id_pvd", motif=ID_PVD, libelle="identifiant PVD")
        if id_pvd in vus:
            raise e.erreur("id_pvd", f"identifiant PVD en double (déjà ligne {vus[id_pvd]}) : « {id_pvd} ».")
        vus[id_pvd] = e.ligne
        communes[code]["id_pvd"] = id_pvd
        communes[code]["date_adhesion_liste"] = e.date("date_signature")


def _crtes(enregistrements, departements, epcis):
    """Périmètres des CRTE (ANCT, data.gouv.fr) : une ligne par groupement signataire."""
    crtes = {}
    for e in enregistrements:
        code = e.texte("id_crte", motif=ID_CRTE, libelle="identifiant CRTE")
        departement = e.texte("dep_chef_file")
        if departement not in departements:
            raise e.erreur("dep_chef_file", f"département inconnu : « {departement} ».")
        crte = crtes.setdefault(
            code, {"nom": e.texte("lib_crte"), "departement_id": departement, "epcis": set()}
        )
        siren = e.texte("siren_groupement", motif=re.compile(r"^\d{9}$"), libelle="SIREN")
        if siren in epcis:  # un groupement de 2023 disparu depuis n'est pas relié
            crte["epcis"].add(siren)
    return crtes


def _orts(enregistrements, communes):
    """Liste DGALN/ANCT des ORT : date de signature des ORT signées des communes connues."""
    orts = {}
    for e in enregistrements:
        code = e.texte("Code commune", motif=CODE_INSEE, libelle="code INSEE")
        if code in communes and e.texte("Signée ?", obligatoire=False) == "Signée":
            date = e.date("Si signée, date de signature")
            if date:
                orts[code] = date
    return orts


def _synchroniser(modele, lignes, bilan, libelle):
    """Crée ou met à jour les lignes (clé primaire → valeurs) ; ne supprime rien."""
    champs = list(next(iter(lignes.values())).keys()) if lignes else []
    existants = {obj.pk: obj for obj in modele.objects.all()}
    a_creer, a_modifier = [], []
    for pk, valeurs in lignes.items():
        obj = existants.get(pk)
        if obj is None:
            a_creer.append(modele(pk=pk, **valeurs))
        elif any(getattr(obj, nom) != valeur for nom, valeur in valeurs.items()):
            for nom, valeur in valeurs.items():
                setattr(obj, nom, valeur)
            a_modifier.append(obj)
    modele.objects.bulk_create(a_creer, batch_size=2000)
    if a_modifier:
        modele.objects.bulk_update(a_modifier, champs, batch_size=1000)
    bilan.ajouter(libelle, len(a_creer), len(a_modifier), len(lignes) - len(a_creer) - len(a_modifier))


def referentiel_charger(*, dossier=None, fichiers=None):
    """Charge régions, départements, EPCI, communes et liste PVD ; renvoie le Bilan des changements.

    dossier : dossier des fichiers (réglage REFERENTIEL_DIR par défaut) ;
    fichiers : chemins explicites qui remplacent certains fichiers du dossier (clés de FICHIERS).
    """
    dossier = Path(dossier or settings.REFERENTIEL_DIR)
    chemins = {cle: dossier / relatif for cle, relatif in FICHIERS.items()}
    chemins.update({cle: Path(chemin) for cle, chemin in (fichiers or {}).items() if chemin})

    regions = _regions(lire(chemins["regions"]))
    departements = _departements(lire(chemins["departements"]), regions)
    if chemins["epci"].suffix.lower() == ".json":
        epcis, membres = _epci_depuis_json(lire(chemins["epci"]))
    else:
        epcis, membres = _epci_depuis_csv(lire(chemins["epci"])), {}
    communes = _communes(lire(chemins["communes"]), departements, epcis, membres)
    _pvd(lire(chemins["pvd"]), communes)
    crtes = _crtes(lire(chemins["crte"]), departements, epcis)
    orts = _orts(lire(chemins["ort"]), communes)

    bilan = Bilan()
    with transaction.atomic():
        _synchroniser(Region, regions, bilan, "Régions")
        _synchroniser(Departement, departements, bilan, "Départements")
        _synchroniser(Epci, epcis, bilan, "EPCI")
        # Une commune qui n'est plus dans la liste PVD perd son identifiant avant que d'autres le reprennent.
        anciens_pvd = Commune.objects.filter(id_pvd__isnull=False).exclude(
            code_insee__in=[code for code, v in communes.items() if v["id_pvd"]]
        )
        anciens_pvd.update(id_pvd=None, date_adhesion_liste=None)
        _synchroniser(Commune, communes, bilan, "Communes")
        from communes.services import crtes_synchroniser, suivi_initialiser

        crtes_synchroniser(crtes=crtes, bilan=bilan)
        suivi_initialiser(orts=orts, bilan=bilan)
    bilan.pvd = sum(1 for v in communes.values() if v["id_pvd"])
    return bilan
