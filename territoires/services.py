"""Chargement du référentiel territorial (COG, EPCI, liste PVD) depuis les fichiers officiels.

Tout le chargement est validé avant d'écrire : une erreur nomme le fichier, la ligne et la colonne,
et rien n'est enregistré. Relancer le chargement sur les mêmes fichiers ne change rien.
"""

import csv
import datetime
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from pvd.formats import texte_recherche
from territoires.constants import EpciType
from territoires.models import ChargementListe, Commune, Departement, Epci, Region

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


def _cle_alphabetique(commune):
    """Ordre alphabétique français approché (accents et casse ignorés) des communes d'un résumé."""
    sans_accents = unicodedata.normalize("NFKD", commune["nom"]).encode("ascii", "ignore").decode()
    return (sans_accents.casefold(), commune["code_insee"])


COLLATION_CLE = _cle_alphabetique


class ReferentielError(Exception):
    def __init__(self, fichier, ligne, colonne, message, *, unite="ligne", nature="colonne"):
        self.fichier, self.ligne, self.colonne = str(fichier), ligne, colonne
        where = f"{self.fichier}, {unite} {ligne}" + (f", {nature} « {colonne} »" if colonne else "")
        super().__init__(f"{where} : {message}")


@dataclass
class Enregistrement:
    """Une ligne lue : sa position dans le fichier (pour les messages d'erreur) et ses valeurs."""

    fichier: Path
    ligne: int
    valeurs: dict
    unite: str = "ligne"  # « entité » pour une entité GeoJSON
    nature: str = "colonne"  # « propriété » pour une entité GeoJSON

    def texte(self, colonne, *, obligatoire=True, motif=None, libelle="valeur"):
        if colonne not in self.valeurs:
            raise self.erreur(colonne, "colonne absente.")
        valeur = self.valeurs[colonne]
        valeur = "" if valeur is None else str(valeur).strip()
        if not valeur:
            if obligatoire:
                raise self.erreur(colonne, "valeur vide.")
            return ""
        if motif and not motif.match(valeur):
            raise self.erreur(colonne, f"{libelle} invalide : « {valeur} ».")
        return valeur

    def entier(self, colonne):
        valeur = self.texte(colonne, obligatoire=False)
        if not valeur:
            return None
        try:
            nombre = int(float(valeur)) if re.fullmatch(r"\d+(\.0+)?", valeur) else int(valeur)
        except ValueError:
            raise self.erreur(colonne, f"nombre entier attendu : « {valeur} ».")
        if nombre < 0:
            raise self.erreur(colonne, f"nombre négatif : « {valeur} ».")
        return nombre

    def date(self, colonne):
        valeur = self.texte(colonne, obligatoire=False)
        if not valeur:
            return None
        try:
            return datetime.date.fromisoformat(valeur)
        except ValueError:
            raise self.erreur(colonne, f"date AAAA-MM-JJ attendue : « {valeur} ».")

    def erreur(self, colonne, message):
        return ReferentielError(
            self.fichier, self.ligne, colonne, message, unite=self.unite, nature=self.nature
        )


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


def lire_geojson(chemin):
    """Lit une FeatureCollection GeoJSON : un enregistrement par entité, ses propriétés pour valeurs."""
    chemin = Path(chemin)
    try:
        donnees = json.loads(chemin.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ReferentielError(chemin, 0, None, "fichier introuvable.")
    except UnicodeDecodeError as exc:
        raise ReferentielError(chemin, 0, None, f"encodage UTF-8 attendu ({exc.reason}).")
    except json.JSONDecodeError as exc:
        raise ReferentielError(chemin, exc.lineno, f"caractère {exc.colno}", f"JSON mal formé ({exc.msg}).")
    if not isinstance(donnees, dict) or donnees.get("type") != "FeatureCollection":
        raise ReferentielError(chemin, 1, None, "une FeatureCollection GeoJSON est attendue.")
    enregistrements = []
    for numero, entite in enumerate(donnees.get("features") or [], start=1):
        proprietes = entite.get("properties") if isinstance(entite, dict) else None
        if not isinstance(proprietes, dict):
            raise ReferentielError(chemin, numero, None, "entité sans propriétés.", unite="entité")
        enregistrements.append(Enregistrement(chemin, numero, proprietes, "entité", "propriété"))
    return enregistrements


def lire(chemin):
    suffixe = Path(chemin).suffix.lower()
    if suffixe == ".geojson":
        return lire_geojson(chemin)
    if suffixe == ".json":
        return lire_json(chemin)
    return lire_csv(chemin)


def _nombre(n):
    return f"{n:,}".replace(",", "\u202f")


def _date_fr(iso):
    return datetime.date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "non renseignée"


def _communes_nommees(communes, limite=50):
    noms = [f"{c['nom']} ({c['code_insee']})" for c in communes[:limite]]
    if len(communes) > limite:
        noms.append(f"et {_nombre(len(communes) - limite)} autres")
    return ", ".join(noms)


@dataclass
class Bilan:
    """Ce que le chargement a changé, par modèle, et ce que la liste PVD chargée a changé (liste)."""

    lignes: dict = field(default_factory=dict)
    pvd: int = 0
    liste: dict = field(default_factory=dict)

    def ajouter(self, modele, crees, modifies, inchanges):
        self.lignes[modele] = {"créés": crees, "modifiés": modifies, "inchangés": inchanges}

    @property
    def changes(self):
        return sum(v["créés"] + v["modifiés"] for v in self.lignes.values())

    def resume_liste(self):
        """Lignes du résumé de la liste PVD : millésime, entrées, sorties, dates ajoutées ou corrigées."""
        liste = self.liste
        if not liste:
            return []
        lignes = [
            f"Liste PVD ANCT {liste['millesime']} ({liste['fichier']}, {liste['format']}) : "
            f"{_nombre(liste['communes_count'])} communes."
        ]
        if liste["anterieure"]:
            lignes.append(
                f"Attention : ce millésime est antérieur au dernier chargé ({liste['anterieure']})."
            )
        if liste["est_premiere"]:
            lignes.append(f"Première liste chargée : {_nombre(len(liste['entrees']))} communes entrées.")
        else:
            entrees, sorties, dates = liste["entrees"], liste["sorties"], liste["dates_modifiees"]
            lignes.append(
                f"Entrées dans la liste : {_nombre(len(entrees))}"
                + (f" — {_communes_nommees(entrees)}" if entrees else "")
            )
            lignes.append(
                f"Sorties de la liste : {_nombre(len(sorties))}"
                + (f" — {_communes_nommees(sorties)}" if sorties else "")
            )
            lignes.append(
                f"Dates d’adhésion ajoutées ou corrigées : {_nombre(len(dates))}"
                + (
                    " — "
                    + ", ".join(
                        f"{d['nom']} ({d['code_insee']}) {_date_fr(d['avant'])} → {_date_fr(d['apres'])}"
                        for d in dates[:50]
                    )
                    + (f", et {_nombre(len(dates) - 50)} autres" if len(dates) > 50 else "")
                    if dates
                    else ""
                )
            )
        if liste.get("proposees"):
            lignes.append(
                f"Dates saisies ou confirmées par une préfecture qui diffèrent de la liste, proposées à "
                f"confirmation : {_nombre(liste['proposees'])}."
            )
        if not liste["enregistre"]:
            lignes.append("Liste déjà chargée : aucun changement.")
        return lignes

    def __str__(self):
        return "\n".join(
            [
                f"{modele} : {v['créés']} créé(s), {v['modifiés']} modifié(s), {v['inchangés']} inchangé(s)"
                for modele, v in self.lignes.items()
            ]
            + self.resume_liste()
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


def _epci(e, *, colonne_siren, colonne_population):
    """(SIREN, valeurs) d'un EPCI, quel que soit le fichier (CSV du COG ou JSON du découpage administratif)."""
    siren = e.texte(colonne_siren, motif=SIREN, libelle="SIREN")
    type_epci = e.texte("type")
    if type_epci not in EpciType.values:
        raise e.erreur("type", f"nature juridique inconnue : « {type_epci} ».")
    nom = e.texte("nom")
    valeurs = {
        "nom": nom,
        "nom_recherche": texte_recherche(nom),
        "type": type_epci,
        "population": e.entier(colonne_population),
    }
    return siren, valeurs


def _epci_depuis_csv(enregistrements):
    return dict(
        _epci(e, colonne_siren="siren_epci", colonne_population="population_totale") for e in enregistrements
    )


def _epci_depuis_json(enregistrements):
    """epci.json du paquet @etalab/decoupage-administratif : renvoie les EPCI et leurs communes membres."""
    epcis, membres = {}, {}
    for e in enregistrements:
        siren, epcis_valeurs = _epci(e, colonne_siren="code", colonne_population="populationTotale")
        epcis[siren] = epcis_valeurs
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
        nom = e.texte("nom")
        communes[code] = {
            "nom": nom,
            "nom_recherche": texte_recherche(nom),
            "departement_id": departement,
            "epci_id": epci or None,
            "population": e.entier("population"),
        }
    return communes


MILLESIME_COLONNE = re.compile(r"^dans_liste_anct_(20\d{2})_(0[1-9]|1[0-2])$")
MILLESIME_DATE = re.compile(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])[0-3]\d(?!\d)")
MILLESIME_MOIS = re.compile(r"(?<!\d)(20\d{2})[-_](0[1-9]|1[0-2])(?!\d)")
MILLESIME = re.compile(r"^20\d{2}-(0[1-9]|1[0-2])$")
CODE_ENTRE_PARENTHESES = re.compile(r"\((\d{5}|2[AB]\d{3})\)")


@dataclass
class ListePvd:
    """Une liste PVD lue : millésime (AAAA-MM), format et, par code INSEE, identifiant, date d'adhésion et
    source de cette date."""

    millesime: str
    format: str
    fichier: str
    communes: dict = field(default_factory=dict)

    @property
    def source(self):
        return f"liste PVD ANCT {self.millesime}"


def millesime_du_nom(nom):
    """AAAA-MM lu dans le nom du fichier : liste-pvd-com2023-20240807.csv → 2024-08 ;
    anct_liste_pvd_2023-10.csv → 2023-10. None si le nom ne porte pas de date."""
    for motif in (MILLESIME_DATE, MILLESIME_MOIS):
        trouve = motif.search(nom)
        if trouve:
            return f"{trouve.group(1)}-{trouve.group(2)}"
    return None


def _pvd(enregistrements, communes, *, chemin, millesime=None):
    """Liste PVD de l'ANCT, dans l'un de ses formats :
    - CSV liste-pvd-com… (insee_com, lib_com, id_pvd, date_signature) ;
    - GeoJSON du superposeur ANCT, propriétés insee_com, id_pvd, date_signature (2023) ou id_territoire,
      liste_geo « Nom (code) », date_signature (2024) ;
    - pvd_communes.csv (dérivé) : on retient la liste la plus récente (colonne dans_liste_anct_AAAA_MM).
    Le millésime vient de la colonne dans_liste_anct_…, sinon de l'option, sinon du nom du fichier."""
    chemin = Path(chemin)
    colonnes = set(enregistrements[0].valeurs) if enregistrements else set()
    drapeaux = sorted(c for c in colonnes if MILLESIME_COLONNE.match(c))
    geojson = chemin.suffix.lower() == ".geojson"
    if drapeaux:
        colonne_drapeau = drapeaux[-1]
        trouve = MILLESIME_COLONNE.match(colonne_drapeau)
        millesime = millesime or f"{trouve.group(1)}-{trouve.group(2)}"
        format_liste = "tableau dérivé des listes ANCT"
    else:
        colonne_drapeau = None
        millesime = millesime or millesime_du_nom(chemin.name)
        format_liste = "GeoJSON du superposeur ANCT" if geojson else "CSV de la liste ANCT"
    if not millesime:
        raise ReferentielError(
            chemin,
            0,
            None,
            "millésime de la liste introuvable : nommez le fichier avec sa date (ex. "
            "liste-pvd-com2023-20240807.csv) ou indiquez --millesime AAAA-MM.",
        )
    if not MILLESIME.match(millesime):
        raise ReferentielError(chemin, 0, None, f"millésime AAAA-MM attendu : « {millesime} ».")
    liste = ListePvd(millesime=millesime, format=format_liste, fichier=chemin.name)
    vus = {}
    for e in enregistrements:
        if colonne_drapeau and e.valeurs[colonne_drapeau] != "1":
            continue
        if "id_territoire" in e.valeurs:  # superposeur ANCT 2024 : « Nom (code) » dans liste_geo
            id_pvd = e.texte("id_territoire", motif=ID_PVD, libelle="identifiant PVD")
            colonne_id = "id_territoire"
            colonne_code = "liste_geo"
            codes = CODE_ENTRE_PARENTHESES.findall(e.texte("liste_geo"))
            if not codes:
                raise e.erreur("liste_geo", f"« Nom (code INSEE) » attendu : « {e.texte('liste_geo')} ».")
        else:
            colonne_code = "code_insee_cog2026" if "code_insee_cog2026" in e.valeurs else "insee_com"
            codes = [e.texte(colonne_code, motif=CODE_INSEE, libelle="code INSEE")]
            colonne_id = "id_pvd"
            id_pvd = e.texte("id_pvd", motif=ID_PVD, libelle="identifiant PVD")
        date = e.date("date_signature")
        source = liste.source
        if date and e.valeurs.get("source_date_signature"):
            trouve = re.fullmatch(r"liste_(20\d{2})_(\d{2})", e.valeurs["source_date_signature"])
            if trouve:
                source = f"liste PVD ANCT {trouve.group(1)}-{trouve.group(2)}"
        for code in codes:
            if code not in communes:
                raise e.erreur(colonne_code, f"commune absente du référentiel : « {code} ».")
            if id_pvd in vus:
                raise e.erreur(
                    colonne_id, f"identifiant PVD en double (déjà {e.unite} {vus[id_pvd]}) : « {id_pvd} »."
                )
            vus[id_pvd] = e.ligne
            liste.communes[code] = {"id_pvd": id_pvd, "date": date, "source": source}
    if not liste.communes:
        raise ReferentielError(chemin, 0, None, "aucune commune PVD dans le fichier.")
    return liste


def _liste_synchroniser(liste, noms, bilan):
    """Applique la liste PVD chargée : entrées (nouvelles ou revenues), sorties (marquées, gardent leur
    identifiant, leur suivi et leur historique), dates d'adhésion ajoutées ou corrigées (une date vide dans
    la liste ne remplace pas une date connue). Enregistre un ChargementListe si la liste change quelque chose
    (ou si c'est la première)."""
    actuelles = {
        code: (id_pvd, sortie, date)
        for code, id_pvd, sortie, date in Commune.objects.filter(id_pvd__isnull=False).values_list(
            "code_insee", "id_pvd", "sortie_liste_id", "date_adhesion_liste"
        )
    }
    dernier = ChargementListe.objects.order_by("-charge_le", "-pk").first()
    est_premiere = not any(sortie is None for _, sortie, _ in actuelles.values())

    def commune(code, **extra):
        return {"code_insee": code, "nom": noms[code], **extra}

    entrees, dates, a_modifier = [], [], {}
    for code, valeurs in liste.communes.items():
        id_pvd, sortie, date = actuelles.get(code, (None, None, None))
        nouvelle_date = valeurs["date"] or date
        dans_liste = id_pvd is not None and sortie is None
        if not dans_liste:
            entrees.append(commune(code))
        elif nouvelle_date != date:
            dates.append(
                commune(
                    code,
                    avant=date.isoformat() if date else None,
                    apres=nouvelle_date.isoformat(),
                    source=valeurs["source"],
                )
            )
        if not dans_liste or id_pvd != valeurs["id_pvd"] or nouvelle_date != date:
            a_modifier[code] = (valeurs["id_pvd"], nouvelle_date)
    sorties = [
        commune(code)
        for code, (_, sortie, _) in actuelles.items()
        if sortie is None and code not in liste.communes
    ]
    cle = COLLATION_CLE
    entrees.sort(key=cle)
    sorties.sort(key=cle)
    dates.sort(key=cle)
    # Une instance chargée avant l'enregistrement des millésimes reçoit aussi le sien.
    enregistre = bool(est_premiere or dernier is None or entrees or sorties or dates or a_modifier)
    chargement = None
    if enregistre:
        chargement = ChargementListe.objects.create(
            millesime=liste.millesime,
            fichier=liste.fichier,
            format=liste.format,
            communes_count=len(liste.communes),
            entrees=entrees,
            sorties=sorties,
            dates_modifiees=dates,
            est_premiere=est_premiere,
        )
        # Les sorties d'abord : leur identifiant est libre pour une commune entrée qui le reprendrait.
        Commune.objects.filter(code_insee__in=[c["code_insee"] for c in sorties]).update(
            sortie_liste=chargement
        )
        objets = []
        for code, (id_pvd, date) in a_modifier.items():
            objets.append(
                Commune(code_insee=code, id_pvd=id_pvd, date_adhesion_liste=date, sortie_liste=None)
            )
        Commune.objects.bulk_update(
            objets, ["id_pvd", "date_adhesion_liste", "sortie_liste"], batch_size=1000
        )
    bilan.ajouter(
        "Liste PVD",
        len(entrees),
        len(a_modifier) - len(entrees) + len(sorties),
        len(liste.communes) - len(a_modifier),
    )
    bilan.liste = {
        "millesime": liste.millesime,
        "fichier": liste.fichier,
        "format": liste.format,
        "communes_count": len(liste.communes),
        "entrees": entrees,
        "sorties": sorties,
        "dates_modifiees": dates,
        "est_premiere": est_premiere,
        "enregistre": enregistre,
        "anterieure": dernier.millesime if dernier and dernier.millesime > liste.millesime else "",
        "chargement": chargement,
    }
    return chargement


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


def _orts(enregistrements, communes, *, chemin):
    """Liste DGALN/ANCT des ORT : {code INSEE: date de signature ou None} des ORT « Signée » des communes
    connues (une ORT signée sans date est signée, date inconnue) et le millésime de la liste (mois de la
    dernière actualisation d'une ligne, sinon nom du fichier)."""
    orts, actualisations = {}, []
    for e in enregistrements:
        code = e.texte("Code commune", motif=CODE_INSEE, libelle="code INSEE")
        actualisation = re.match(r"^\d{2}-(\d{2})-(20\d{2})", e.valeurs.get("Dernière actualisation") or "")
        if actualisation:
            actualisations.append(f"{actualisation.group(2)}-{actualisation.group(1)}")
        if code in communes and e.texte("Signée ?", obligatoire=False) == "Signée":
            orts[code] = e.date("Si signée, date de signature")
    millesime = max(actualisations) if actualisations else millesime_du_nom(Path(chemin).name)
    return orts, f"liste ORT DGALN/ANCT {millesime}" if millesime else "liste ORT DGALN/ANCT"


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


@dataclass
class Referentiel:
    """Le contenu des fichiers officiels, lu et contrôlé, avant tout enregistrement."""

    regions: dict
    departements: dict
    epcis: dict
    communes: dict
    liste: object
    crtes: dict
    orts: dict
    source_ort: str


def referentiel_lire(*, dossier=None, fichiers=None, millesime=None):
    """Lit et contrôle les fichiers officiels (ReferentielError au premier fichier invalide), sans rien écrire.

    dossier : dossier des fichiers (réglage REFERENTIEL_DIR par défaut) ;
    fichiers : chemins explicites qui remplacent certains fichiers du dossier (clés de FICHIERS) ;
    millesime : AAAA-MM de la liste PVD, si ni son nom de fichier ni ses colonnes ne le donnent.
    Le chargement complet, suivi des communes compris, est communes.services.referentiel_charger.
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
    liste = _pvd(lire(chemins["pvd"]), communes, chemin=chemins["pvd"], millesime=millesime)
    crtes = _crtes(lire(chemins["crte"]), departements, epcis)
    orts, source_ort = _orts(lire(chemins["ort"]), communes, chemin=chemins["ort"])
    return Referentiel(regions, departements, epcis, communes, liste, crtes, orts, source_ort)


def territoires_synchroniser(*, referentiel, bilan):
    """Enregistre régions, départements, EPCI, communes et liste PVD (dans la transaction de l'appelant)."""
    _synchroniser(Region, referentiel.regions, bilan, "Régions")
    _synchroniser(Departement, referentiel.departements, bilan, "Départements")
    _synchroniser(Epci, referentiel.epcis, bilan, "EPCI")
    _synchroniser(Commune, referentiel.communes, bilan, "Communes")
    noms = {code: v["nom"] for code, v in referentiel.communes.items()}
    _liste_synchroniser(referentiel.liste, noms, bilan)
    bilan.pvd = len(referentiel.liste.communes)
