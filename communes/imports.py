"""Import des situations des communes depuis un fichier (reprise des tableaux des départements), en job.

La requête ne fait que le rapide : taille, extension, encodage et en-tête contrôlés, fichier rangé, ligne de
job (communes.models.Import) créée, tâche envoyée après la validation de la transaction. Le worker fait le
reste, en deux temps :

1. Contrôle, sans transaction d'écriture (lectures seules : aucun verrou pris, personne n'attend) : chaque
   ligne passe par les formulaires de saisie (mêmes règles que dans le navigateur), contre l'état que lui
   laissent les lignes précédentes du fichier (deux communes d'un même territoire) ; droits (un agent
   départemental n'importe que les communes de son département), doublons, zéro initial perdu.
2. Enregistrement (mode enregistrement, et seulement si aucune ligne n'est en erreur) : une seule transaction
   courte, en masse (bulk_update / bulk_create avec l'historique de chaque objet). Les versions lues au
   contrôle y sont vérifiées sous verrou : une modification faite entre-temps par quelqu'un d'autre fait
   échouer tout l'import (rien de partiel, rien de perdu).

Lecture : CSV en UTF-8 (avec ou sans BOM) ou Windows-1252 (Excel français), séparateur « ; » ou « , » ;
XLSX (première feuille, ligne d'en-tête). En-têtes : les identifiants des colonnes ou leurs libellés du
modèle téléchargeable."""

import csv
import datetime
import io
import logging
import time
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from communes import forms
from communes.constants import EtatImport, ModeImport, StatutChefDeProjet, TypeConvention
from communes.models import ChefDeProjet, Convention, Import, Ort, Territoire
from comptes.constants import Role
from comptes.models import TypeEvenement, agent_du_departement
from pvd.formats import compte, texte_recherche
from territoires.models import Commune

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ColonneImport:
    libelle: str
    description: str
    exemple: str


# Identifiant → libellé (en-tête du modèle), description, exemple. L'ordre est celui du modèle.
COLONNES = {
    "code_insee": ColonneImport(
        "Code INSEE", "code INSEE de la commune (obligatoire ; « 1004 » est lu « 01004 »)", "35012"
    ),
    "date_adhesion": ColonneImport(
        "Date de la convention d’adhésion",
        "date de signature de la convention d’adhésion (AAAA-MM-JJ ou JJ/MM/AAAA)",
        "2021-05-03",
    ),
    "statut_chef_projet": ColonneImport(
        "Statut du chef de projet", "a_recruter, en_poste ou vacant", "en_poste"
    ),
    "date_prise_poste": ColonneImport(
        "Prise de poste du chef de projet", "date de prise de poste du chef de projet", "2021-10-04"
    ),
    "date_convention_cadre": ColonneImport(
        "Date de la convention-cadre", "date de signature de la convention-cadre", "2023-02-01"
    ),
    "cadre_vaut_ort": ColonneImport("Convention-cadre valant ORT", "oui ou non", "oui"),
    "date_ort": ColonneImport("Date de l’ORT", "date de signature de l’ORT", "2023-02-01"),
    "code_crte": ColonneImport(
        "Code du CRTE", "identifiant ANCT du CRTE (ex. crte-53-35-12)", "crte-53-35-12"
    ),
    "date_inscription_crte": ColonneImport(
        "Inscription au CRTE", "date d’inscription de la convention-cadre au CRTE", "2023-04-01"
    ),
}
RAISON = "Import"
TAILLE_MAX = 5 * 1024 * 1024
EXTENSIONS = (".csv", ".xlsx")
# Lignes contrôlées entre deux écritures de l'avancement (lu par la page de suivi).
PAS_AVANCEMENT = 100
# Marge au-delà de CELERY_TASK_TIME_LIMIT avant de considérer un job actif comme perdu.
DELAI_ABANDON_S = 300
MESSAGE_ABANDON = (
    "L’import n’a pas abouti dans le délai prévu (worker arrêté ?) : rien n’a été enregistré. Déposez de "
    "nouveau le fichier."
)
MESSAGE_CONFLIT = (
    "{objet} a été modifié par quelqu’un d’autre pendant l’import : rien n’a été enregistré. Relancez "
    "l’import (une nouvelle simulation tiendra compte de cette modification)."
)


class FichierInvalide(Exception):
    """Le fichier ne peut pas être lu (format, encodage, en-tête) : un message en français, et la ligne."""

    def __init__(self, message, ligne=None):
        super().__init__(message)
        self.message, self.ligne = message, ligne


class LigneInvalide(Exception):
    def __init__(self, erreurs):
        self.erreurs = erreurs


class ConflitImport(Exception):
    pass


def import_autorise(user):
    """Qui peut importer (comptes.models.User.can_import) ; un anonyme, non."""
    return getattr(user, "is_authenticated", False) and user.can_import


# Lecture du fichier -------------------------------------------------------------------------------------
_LIBELLES = {texte_recherche(c.libelle): nom for nom, c in COLONNES.items()}


def _colonne(entete):
    """Identifiant de colonne d'un en-tête : identifiant lui-même ou libellé du modèle (casse, accents et
    ponctuation ignorés) ; None si inconnu."""
    brut = (entete or "").strip().lstrip("\ufeff")
    if brut in COLONNES:
        return brut
    return _LIBELLES.get(texte_recherche(brut))


def _entetes(brutes):
    colonnes = [_colonne(e) for e in brutes]
    inconnues = [
        str(e).strip() for e, c in zip(brutes, colonnes, strict=True) if c is None and str(e).strip()
    ]
    if "code_insee" not in colonnes:
        raise FichierInvalide(
            "La colonne code_insee est obligatoire. Colonnes possibles : " + ", ".join(COLONNES) + ".", 1
        )
    if inconnues:
        raise FichierInvalide(
            f"Colonnes inconnues : {', '.join(inconnues)}. Colonnes possibles : " + ", ".join(COLONNES) + ".",
            1,
        )
    doubles = sorted({c for c in colonnes if c and colonnes.count(c) > 1})
    if doubles:
        raise FichierInvalide(f"Colonne en double : {', '.join(doubles)}.", 1)
    return colonnes


def _decoder(contenu):
    """UTF-8 (avec ou sans BOM), sinon Windows-1252 (ce qu'écrit Excel en France)."""
    if contenu.startswith(b"\xef\xbb\xbf"):
        try:
            return contenu[3:].decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return contenu.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            pass
    try:
        return contenu.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise FichierInvalide(
            "Encodage non reconnu : enregistrez le fichier en CSV UTF-8 ou en CSV (point-virgule) d’Excel "
            "(Windows-1252), ou en XLSX."
        )


def _csv_lignes(contenu):
    texte, encodage = _decoder(contenu)
    if "\x00" in texte:
        raise FichierInvalide(
            "Ce fichier n’est pas un CSV (caractère nul) : enregistrez-le en CSV ou en XLSX."
        )
    premiere = texte.split("\n", 1)[0]
    separateur = ";" if premiere.count(";") >= premiere.count(",") else ","
    lecteur = csv.reader(io.StringIO(texte, newline=""), delimiter=separateur)
    try:
        entetes = next(lecteur, [])
    except csv.Error as exc:  # la ligne d'en-tête elle-même est mal formée
        raise FichierInvalide(f"CSV mal formé ({exc}).", 1)

    def lignes():
        try:
            for valeurs in lecteur:
                if any(v.strip() for v in valeurs):
                    yield lecteur.line_num, valeurs
        except csv.Error as exc:
            raise FichierInvalide(f"CSV mal formé ({exc}).", lecteur.line_num)

    return entetes, lignes(), f"CSV {encodage}, séparateur « {separateur} »"


def _cellule(valeur):
    """Valeur d'une cellule XLSX en texte, comme l'écrirait un CSV : date ISO, entier sans « .0 »."""
    if valeur is None:
        return ""
    if isinstance(valeur, datetime.datetime):
        return valeur.date().isoformat()
    if isinstance(valeur, datetime.date):
        return valeur.isoformat()
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, float) and valeur.is_integer():
        return str(int(valeur))
    return str(valeur)


def _xlsx_lignes(contenu):
    from openpyxl import load_workbook

    try:
        classeur = load_workbook(io.BytesIO(contenu), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FichierInvalide(f"Ce fichier n’est pas un classeur XLSX lisible ({type(exc).__name__}).")
    feuille = classeur.worksheets[0] if classeur.worksheets else None
    if feuille is None:
        raise FichierInvalide("Le classeur ne contient aucune feuille.")
    rangees = feuille.iter_rows(values_only=True)
    entetes = [_cellule(v) for v in next(rangees, ())]
    while entetes and not entetes[-1]:
        entetes.pop()

    def lignes():
        for numero, rangee in enumerate(rangees, start=2):
            valeurs = [_cellule(v) for v in rangee]
            if any(v.strip() for v in valeurs):
                yield numero, valeurs
        classeur.close()

    return entetes, lignes(), f"XLSX, feuille « {feuille.title} »"


def fichier_ouvrir(contenu, nom):
    """(colonnes, lignes, format) : lignes est un itérateur de (numéro de ligne, {colonne: valeur}). Lève
    FichierInvalide pour un fichier illisible ou un en-tête refusé (vérifié ici, avant les lignes)."""
    if len(contenu) > TAILLE_MAX:
        raise FichierInvalide("Fichier trop volumineux (5 Mo au plus).")
    if nom.lower().endswith(".xlsx"):
        entetes, brutes, format_ = _xlsx_lignes(contenu)
    elif nom.lower().endswith(".csv"):
        entetes, brutes, format_ = _csv_lignes(contenu)
    else:
        raise FichierInvalide("Le fichier doit porter l’extension .csv ou .xlsx.")
    colonnes = _entetes(entetes)

    def lignes():
        for numero, valeurs in brutes:
            if len(valeurs) > len(colonnes) and any(v.strip() for v in valeurs[len(colonnes) :]):
                yield numero, None  # trop de valeurs
                continue
            yield (
                numero,
                {c: (v or "").strip() for c, v in zip(colonnes, valeurs, strict=False) if c is not None},
            )

    return colonnes, lignes(), format_


# Contrôle d'une ligne (sans rien écrire) ------------------------------------------------------------------
@dataclass
class _EtatTerritoire:
    """Ce que les lignes déjà contrôlées laissent pour un territoire : les objets (modifiés en mémoire, pas
    en base) que les formulaires des lignes suivantes du même territoire liront."""

    territoire: Territoire
    adhesion: Convention | None = None
    cadre: Convention | None = None
    chef: ChefDeProjet | None = None
    ort: Ort | None = None


@dataclass
class _Contexte:
    user: object
    communes: dict
    etats: dict = field(default_factory=dict)
    # id(objet) → (objet, valeurs lues au contrôle) : les objets que l'import modifie ou crée.
    touches: dict = field(default_factory=dict)


CHAMPS = {
    Convention: ["date_signature", "vaut_ort", "commentaire"],
    ChefDeProjet: ["statut", "nom", "employeur", "date_prise_poste", "date_depart"],
    Ort: ["date_signature", "duree_annees"],
    Territoire: ["crte", "date_inscription_crte"],
}
PROVENANCE = ["source", "a_confirmer", "confirme_par", "confirme_le"]


def _instantane(objet):
    return {nom: getattr(objet, objet._meta.get_field(nom).attname) for nom in CHAMPS[type(objet)]}


def _formulaire(form_class, *, etat, instance, valeurs, colonnes, **kwargs):
    """Valide des valeurs par le formulaire de saisie ; colonnes : champ du formulaire → colonne du fichier.
    Les règles qui lisent l'adhésion ou la convention-cadre du territoire lisent celles du contrôle en cours."""
    donnees = {}
    if instance is not None:
        for nom in form_class._meta.fields:
            valeur = getattr(instance, nom + "_id", None) if nom == "crte" else getattr(instance, nom)
            donnees[nom] = "on" if valeur is True else ("" if valeur in (None, False) else valeur)
        if form_class is forms.OrtForm and instance.pk:
            donnees["secteurs"] = "\n".join(s.nom for s in instance.secteurs.all())
        donnees["version"] = instance.version
    donnees.update(valeurs)
    form = form_class(data=donnees, instance=instance, territoire=etat.territoire, **kwargs)
    form.adhesion = lambda: etat.adhesion if etat.adhesion and etat.adhesion.date_signature else None
    form.cadre = lambda: etat.cadre
    if not form.is_valid():
        raise LigneInvalide(
            [(colonnes.get(champ, champ), " ".join(messages)) for champ, messages in form.errors.items()]
        )
    return form.instance


def _retenir(contexte, objet):
    if id(objet) not in contexte.touches:
        contexte.touches[id(objet)] = (objet, objet._import_avant if objet.pk else None)


def _ligne(contexte, valeurs):
    commune = contexte.communes[valeurs["code_insee"]]
    etat = contexte.etats[commune.territoire_id]
    erreurs = []

    def etape(fonction):
        try:
            fonction()
        except LigneInvalide as exc:
            erreurs.extend(exc.erreurs)

    def adhesion():
        if valeurs.get("date_adhesion"):
            etat.adhesion = _formulaire(
                forms.AdhesionForm,
                etat=etat,
                instance=etat.adhesion,
                valeurs={"date_signature": valeurs["date_adhesion"]},
                colonnes={"date_signature": "date_adhesion"},
            )
            _retenir(contexte, etat.adhesion)

    def chef():
        if valeurs.get("statut_chef_projet") or valeurs.get("date_prise_poste"):
            statut = valeurs.get("statut_chef_projet")
            if statut and statut not in StatutChefDeProjet.values:
                raise LigneInvalide(
                    [
                        (
                            "statut_chef_projet",
                            f"« {statut} » : valeurs possibles a_recruter, en_poste, vacant.",
                        )
                    ]
                )
            champs = {
                k: v
                for k, v in {"statut": statut, "date_prise_poste": valeurs.get("date_prise_poste")}.items()
                if v
            }
            etat.chef = _formulaire(
                forms.ChefDeProjetForm,
                etat=etat,
                instance=etat.chef,
                valeurs=champs,
                colonnes={"statut": "statut_chef_projet", "date_prise_poste": "date_prise_poste"},
            )
            _retenir(contexte, etat.chef)

    def cadre():
        if valeurs.get("date_convention_cadre") or valeurs.get("cadre_vaut_ort"):
            vaut = valeurs.get("cadre_vaut_ort", "").lower()
            if vaut not in ("", "oui", "non"):
                raise LigneInvalide([("cadre_vaut_ort", f"« {vaut} » : oui ou non attendu.")])
            champs = {}
            if valeurs.get("date_convention_cadre"):
                champs["date_signature"] = valeurs["date_convention_cadre"]
            if vaut:
                champs["vaut_ort"] = "on" if vaut == "oui" else ""
            etat.cadre = _formulaire(
                forms.ConventionCadreForm,
                etat=etat,
                instance=etat.cadre,
                valeurs=champs,
                colonnes={"date_signature": "date_convention_cadre", "vaut_ort": "cadre_vaut_ort"},
            )
            _retenir(contexte, etat.cadre)

    def ort():
        if valeurs.get("date_ort"):
            etat.ort = _formulaire(
                forms.OrtForm,
                etat=etat,
                instance=etat.ort,
                valeurs={"date_signature": valeurs["date_ort"]},
                colonnes={"date_signature": "date_ort"},
            )
            _retenir(contexte, etat.ort)

    def crte():
        if valeurs.get("code_crte") or valeurs.get("date_inscription_crte"):
            champs = {
                k: v
                for k, v in {
                    "crte": valeurs.get("code_crte"),
                    "date_inscription_crte": valeurs.get("date_inscription_crte"),
                }.items()
                if v
            }
            etat.territoire = _formulaire(
                forms.CrteForm,
                etat=etat,
                instance=etat.territoire,
                commune=commune,
                valeurs=champs,
                colonnes={"crte": "code_crte", "date_inscription_crte": "date_inscription_crte"},
            )
            _retenir(contexte, etat.territoire)

    for fonction in (adhesion, chef, cadre, ort, crte):
        etape(fonction)
    if erreurs:
        raise LigneInvalide(erreurs)
    return commune


def _par_lots(valeurs, taille=500):
    valeurs = list(valeurs)
    for debut in range(0, len(valeurs), taille):
        yield valeurs[debut : debut + taille]


def _etats_charger(contexte, territoire_ids):
    """Le suivi des territoires du fichier, en quelques requêtes (par lots), avec les valeurs lues."""
    for lot in _par_lots(territoire_ids):
        for territoire in Territoire.objects.filter(pk__in=lot):
            contexte.etats[territoire.pk] = _EtatTerritoire(territoire=territoire)
        for convention in Convention.objects.filter(territoire_id__in=lot):
            etat = contexte.etats[convention.territoire_id]
            convention.territoire = etat.territoire
            if convention.type == TypeConvention.ADHESION:
                etat.adhesion = convention
            else:
                etat.cadre = convention
        for chef in ChefDeProjet.objects.filter(territoire_id__in=lot):
            contexte.etats[chef.territoire_id].chef = chef
        for ort in Ort.objects.filter(territoire_id__in=lot).prefetch_related("secteurs"):
            contexte.etats[ort.territoire_id].ort = ort
    for etat in contexte.etats.values():
        for objet in (etat.territoire, etat.adhesion, etat.cadre, etat.chef, etat.ort):
            if objet is not None:
                objet._import_avant = _instantane(objet)
                objet._import_version = objet.version


def _code(brut, codes_pvd):
    """Code INSEE lu, et la note s'il a fallu remettre le zéro initial (« 1004 » → « 01004 », seulement si
    c'est une commune PVD ; les codes corses 2A/2B ne sont pas des nombres et ne sont pas touchés)."""
    code = brut.strip().upper() if brut[:2].upper() in ("2A", "2B") else brut.strip()
    if len(code) == 4 and code.isdigit() and ("0" + code) in codes_pvd:
        return "0" + code, f"« {code} » lu « 0{code} » (zéro initial perdu par le tableur)."
    return code, None


def _avancer(job, **valeurs):
    """Écrit l'avancement tout de suite (hors transaction) : la page le lit pendant le contrôle."""
    Import.objects.filter(pk=job.pk).update(**valeurs)
    for nom, valeur in valeurs.items():
        setattr(job, nom, valeur)


def _controler(job, contenu, rapport):
    """Étape 1 : lit et contrôle toutes les lignes, sans rien écrire (sauf l'avancement du job). Renvoie
    le contexte (objets à enregistrer) ; les erreurs et les notes vont dans le rapport."""
    user = job.user
    try:
        _colonnes, lignes, format_ = fichier_ouvrir(contenu, job.nom_fichier)
        lignes = list(lignes)
    except FichierInvalide as exc:
        rapport["erreurs"].append([exc.ligne, None, exc.message])
        return None
    rapport["format"] = format_
    rapport["lignes"] = len(lignes)
    _avancer(job, lignes_total=len(lignes), lignes_traitees=0, etape="Contrôle des lignes")

    communes = {
        c.code_insee: c
        for c in Commune.objects.pvd().select_related("departement", "epci").filter(territoire__isnull=False)
    }
    contexte = _Contexte(user=user, communes=communes)
    departement = user.departement if user.role == Role.DEPARTEMENTAL else None
    vues = {}  # code → première ligne où la commune figure
    a_controler = []
    for numero, valeurs in lignes:
        if valeurs is None:
            rapport["erreurs"].append([numero, None, "Trop de valeurs sur la ligne."])
            continue
        code, note = _code(valeurs.get("code_insee", ""), communes)
        valeurs["code_insee"] = code
        commune = communes.get(code)
        if commune is None:
            rapport["erreurs"].append([numero, "code_insee", f"« {code} » n’est pas une commune PVD."])
            continue
        if note:
            rapport["notes"].append([numero, "code_insee", note])
        if departement is not None and not agent_du_departement(user, commune.departement_id):
            rapport["erreurs"].append(
                [
                    numero,
                    "code_insee",
                    f"{commune.nom} ({code}) est une commune du département {commune.departement} : vous ne "
                    f"pouvez importer que les communes de votre département ({departement}).",
                ]
            )
            continue
        if code in vues:
            rapport["erreurs"].append(
                [
                    numero,
                    "code_insee",
                    f"{commune.nom} ({code}) figure deux fois dans le fichier (lignes {vues[code]} et "
                    f"{numero}) : gardez une seule ligne par commune.",
                ]
            )
            continue
        vues[code] = numero
        a_controler.append((numero, valeurs))

    _etats_charger(contexte, {communes[v["code_insee"]].territoire_id for _, v in a_controler})
    for rang, (numero, valeurs) in enumerate(a_controler, start=1):
        try:
            rapport["communes"].append(_ligne(contexte, valeurs).code_insee)
        except LigneInvalide as exc:
            rapport["erreurs"] += [[numero, colonne, message] for colonne, message in exc.erreurs]
        if rang % PAS_AVANCEMENT == 0:
            _avancer(job, lignes_traitees=rang + len(lignes) - len(a_controler))
    rapport["erreurs"].sort(key=lambda e: (e[0] or 0,))
    return contexte


# Enregistrement (une transaction courte) ------------------------------------------------------------------
def _libelle(objet):
    if isinstance(objet, Territoire):
        return f"Le territoire « {objet.nom} »"
    if isinstance(objet, Convention):
        return f"La {objet.get_type_display().lower()} de « {objet.territoire.nom} »"
    if isinstance(objet, ChefDeProjet):
        return f"Le chef de projet de « {objet.territoire.nom} »"
    return f"L’ORT de « {objet.territoire.nom} »"


def _mises_a_jour(modele, objets, champs):
    """UPDATE préparé (SQL et valeurs converties pour la base) : calculé avant la transaction, exécuté en
    un executemany sous le verrou (bulk_update construirait un CASE par champ et par ligne : plusieurs
    secondes de Python pour 1 645 lignes, verrou tenu)."""
    from django.db import connection

    champs = [modele._meta.get_field(nom) for nom in champs]
    table, pk = modele._meta.db_table, modele._meta.pk
    q = connection.ops.quote_name
    sql = (
        f"UPDATE {q(table)} SET "
        + ", ".join(f"{q(f.column)} = %s" for f in champs)
        + f" WHERE {q(pk.column)} = %s"
    )
    valeurs = [
        [f.get_db_prep_save(getattr(o, f.attname), connection) for f in champs] + [o.pk] for o in objets
    ]
    return sql, valeurs


def _appliquer(contexte, *, user, raison):
    """Étape 2 : enregistre en une transaction les objets modifiés ou créés par le contrôle ; vérifie sous
    verrou que personne ne les a modifiés depuis leur lecture (ConflitImport sinon). Tout ce qui peut se
    préparer (valeurs, SQL) l'est avant d'ouvrir la transaction : le verrou d'écriture est tenu le moins
    longtemps possible. Renvoie le nombre d'objets enregistrés."""
    from django.db import connection

    maintenant = timezone.now()
    par_modele = {}
    for objet, avant in contexte.touches.values():
        modifie = avant is None or _instantane(objet) != avant
        if modifie or getattr(objet, "a_confirmer", False):
            par_modele.setdefault(type(objet), []).append((objet, modifie))
    preparation = []
    for modele, objets in par_modele.items():
        champs = list(CHAMPS[modele]) + ["version"] + (PROVENANCE if hasattr(modele, "a_confirmer") else [])
        for objet, modifie in objets:
            if hasattr(objet, "a_confirmer") and (objet.a_confirmer or objet.source):
                # Comme suivi_enregistrer : une valeur reprise d'un fichier officiel est confirmée par
                # l'import si elle ne change pas, remplacée (sans source) si elle change.
                objet.a_confirmer = False
                objet.confirme_par, objet.confirme_le = user, maintenant
                if modifie:
                    objet.source = ""
            if objet.pk:
                objet.version = objet._import_version + 1
        existants = [o for o, _ in objets if o.pk]
        nouveaux = [o for o, _ in objets if not o.pk]
        preparation.append((modele, existants, nouveaux, _mises_a_jour(modele, existants, champs)))
    historique = {"default_user": user, "default_change_reason": raison, "default_date": maintenant}
    with transaction.atomic():
        for modele, existants, nouveaux, (sql, valeurs) in preparation:
            lues = {o.pk: o._import_version for o in existants}
            for lot in _par_lots(lues):
                actuelles = dict(
                    modele.objects.select_for_update().filter(pk__in=lot).values_list("pk", "version")
                )
                for pk in lot:
                    if actuelles.get(pk) != lues[pk]:
                        raise ConflitImport(
                            MESSAGE_CONFLIT.format(objet=_libelle(next(o for o in existants if o.pk == pk)))
                        )
            if existants:
                with connection.cursor() as curseur:
                    curseur.executemany(sql, valeurs)
                modele.history.bulk_history_create(existants, batch_size=500, update=True, **historique)
            if nouveaux:
                try:
                    with transaction.atomic():
                        modele.objects.bulk_create(nouveaux, batch_size=500)
                except IntegrityError:
                    # Création simultanée d'un objet unique (convention, chef de projet, ORT du territoire).
                    raise ConflitImport(MESSAGE_CONFLIT.format(objet=_libelle(nouveaux[0])))
                modele.history.bulk_history_create(nouveaux, batch_size=500, **historique)
    return sum(len(e) + len(n) for _, e, n, _ in preparation)


# Le job ---------------------------------------------------------------------------------------------------
def _envoyer(job):
    def remettre():
        from communes.tasks import import_executer_task

        try:
            resultat = import_executer_task.apply_async(kwargs={"import_id": job.pk})
        except Exception as exc:  # noqa: BLE001 - broker injoignable : le job le dit, rien n'est enregistré
            logger.warning("Broker injoignable : import %s non envoyé (%s)", job.pk, exc)
            Import.objects.filter(pk=job.pk, etat=EtatImport.QUEUED).update(
                etat=EtatImport.FAILED,
                erreur="Le service d’import est momentanément indisponible : rien n’a été enregistré. "
                "Réessayez dans quelques minutes.",
                finished_at=timezone.now(),
            )
        else:
            Import.objects.filter(pk=job.pk, task_id="").update(task_id=resultat.id or "")

    transaction.on_commit(remettre)


def imports_abandonnes_clore():
    """Un job actif bien au-delà de la durée maximale d'une tâche : son message s'est perdu (worker arrêté,
    broker vidé). Il passe en échec, pour que la page ne montre pas une progression éternelle."""
    limite = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + DELAI_ABANDON_S)
    return Import.objects.filter(
        Q(etat=EtatImport.QUEUED, created_at__lt=limite) | Q(etat=EtatImport.RUNNING, started_at__lt=limite)
    ).update(etat=EtatImport.FAILED, erreur=MESSAGE_ABANDON, finished_at=timezone.now())


@transaction.atomic
def import_demander(*, fichier, user, appliquer, adresse_ip=None):
    """Dépôt d'un fichier : contrôles rapides (taille, extension, encodage, en-tête ; FichierInvalide), fichier
    rangé, job créé, tâche envoyée après la validation de la transaction. Renvoie le job."""
    if not import_autorise(user):
        raise PermissionDenied("L’import est réservé aux agents départementaux et aux administrateurs.")
    if fichier.size is not None and fichier.size > TAILLE_MAX:
        raise FichierInvalide("Fichier trop volumineux (5 Mo au plus).")
    contenu = fichier.read(TAILLE_MAX + 1)
    fichier_ouvrir(contenu, fichier.name)  # en-tête seulement : les lignes sont lues par le worker
    fichier.seek(0)
    job = Import(
        user=user,
        nom_fichier=fichier.name[:255],
        mode=ModeImport.ENREGISTREMENT if appliquer else ModeImport.SIMULATION,
        adresse_ip=adresse_ip,
    )
    job.fichier.save(fichier.name, fichier, save=False)
    job.save()
    _envoyer(job)
    return job


@transaction.atomic
def import_confirmer(*, simulation, user, adresse_ip=None):
    """« Importer ce fichier » depuis une simulation réussie : un job d'enregistrement sur le même fichier
    rangé (pas de nouveau dépôt)."""
    if simulation.user_id != user.pk or not import_autorise(user):
        raise PermissionDenied("Seul l’auteur de la simulation peut importer ce fichier.")
    if not simulation.is_importable:
        raise FichierInvalide("Seule une simulation terminée sans erreur peut être importée.")
    job = Import.objects.create(
        user=user,
        fichier=simulation.fichier.name,
        nom_fichier=simulation.nom_fichier,
        mode=ModeImport.ENREGISTREMENT,
        simulation=simulation,
        adresse_ip=adresse_ip,
    )
    _envoyer(job)
    return job


def import_executer(*, import_id, task_id=""):
    """Exécute un job (appelé par le worker) : contrôle, puis, en mode enregistrement et sans erreur,
    enregistrement en une transaction. Idempotent : seul un job en file d'attente est pris (une seule
    requête UPDATE), ou le même message redistribué après la mort de son worker (acks_late) ; un job
    terminé n'est jamais refait. Renvoie le job."""
    reprenable = Q(etat=EtatImport.QUEUED)
    if task_id:
        reprenable |= Q(etat=EtatImport.RUNNING, task_id=task_id)
    prise = Import.objects.filter(reprenable, pk=import_id).update(
        etat=EtatImport.RUNNING,
        started_at=timezone.now(),
        finished_at=None,
        erreur="",
        etape="Lecture du fichier",
        lignes_traitees=0,
        **({"task_id": task_id} if task_id else {}),
    )
    job = Import.objects.select_related("user__departement").filter(pk=import_id).first()
    if job is None or not prise:
        return job
    debut = time.perf_counter()
    rapport = {"erreurs": [], "notes": [], "communes": [], "lignes": 0}
    try:
        with job.fichier.open("rb") as f:
            contenu = f.read(TAILLE_MAX + 1)
        if not import_autorise(job.user):
            raise PermissionDenied("Ce compte ne peut plus importer de situations.")
        contexte = _controler(job, contenu, rapport)
        rapport["duree_controle_s"] = round(time.perf_counter() - debut, 3)
        applique = False
        if contexte is not None and not rapport["erreurs"] and job.mode == ModeImport.ENREGISTREMENT:
            _avancer(job, etape="Enregistrement")
            debut_ecriture = time.perf_counter()
            rapport["objets_enregistres"] = _appliquer(
                contexte, user=job.user, raison=f"{RAISON} du fichier {job.nom_fichier}"[:100]
            )
            rapport["duree_ecriture_s"] = round(time.perf_counter() - debut_ecriture, 3)
            applique = True
        _avancer(
            job,
            etat=EtatImport.DONE,
            etape="Terminé",
            rapport=rapport,
            applique=applique,
            lignes_traitees=rapport["lignes"],
            finished_at=timezone.now(),
        )
        if applique:
            from comptes.securite import evenement_securite_enregistrer

            evenement_securite_enregistrer(
                type=TypeEvenement.IMPORT,
                user=job.user,
                adresse=job.adresse_ip,
                detail=f"{job.nom_fichier} : {compte(len(rapport['communes']), 'commune mise', 'communes mises')} à jour",
            )
    except ConflitImport as exc:
        _avancer(job, etat=EtatImport.FAILED, erreur=str(exc), rapport=rapport, finished_at=timezone.now())
    except PermissionDenied as exc:
        _avancer(job, etat=EtatImport.FAILED, erreur=str(exc), rapport=rapport, finished_at=timezone.now())
    except Exception as exc:
        logger.exception("Échec de l'import %s", import_id)
        _avancer(
            job,
            etat=EtatImport.FAILED,
            erreur=f"L’import a échoué ({type(exc).__name__}) : rien n’a été enregistré. Réessayez ; si "
            "l’échec se répète, signalez-le à l’équipe PVD Suivi.",
            rapport=rapport,
            finished_at=timezone.now(),
        )
    return job


def rapport_csv(job):
    """Le rapport d'un job en CSV (UTF-8 avec BOM, « ; » : s'ouvre tel quel dans Excel) : une ligne par
    erreur ou note."""
    tampon = io.StringIO()
    ecrivain = csv.writer(tampon, delimiter=";")
    ecrivain.writerow(["ligne", "colonne", "type", "message"])
    for type_, entrees in (("erreur", job.erreurs), ("note", job.notes)):
        for ligne, colonne, message in entrees:
            ecrivain.writerow([ligne or "", colonne or "", type_, message])
    return "\ufeff" + tampon.getvalue()


def modele_lignes():
    """Le modèle téléchargeable : en-têtes (libellés), exemple, descriptions."""
    return (
        [c.libelle for c in COLONNES.values()],
        [c.exemple for c in COLONNES.values()],
        [c.description for c in COLONNES.values()],
    )
