"""Import des situations des communes depuis un CSV (reprise des tableaux des départements).

La simulation et l'import réel suivent le même chemin : chaque ligne est validée par les formulaires de
saisie (mêmes règles que dans le navigateur) dans une transaction ; la simulation, ou un import qui contient
la moindre erreur, annule tout. Rien de partiel n'est jamais enregistré."""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from communes import forms
from communes.constants import StatutChefDeProjet, TypeConvention
from communes.models import ChefDeProjet, Convention, Ort
from communes.services import ConflitEdition, suivi_enregistrer
from territoires.models import Commune

COLONNES = {
    "code_insee": "code INSEE de la commune (obligatoire)",
    "date_adhesion": "date de signature de la convention d’adhésion (AAAA-MM-JJ ou JJ/MM/AAAA)",
    "statut_chef_projet": "a_recruter, en_poste ou vacant",
    "date_prise_poste": "prise de poste du chef de projet",
    "date_convention_cadre": "date de signature de la convention-cadre",
    "cadre_vaut_ort": "oui ou non",
    "date_ort": "date de signature de l’ORT",
    "code_crte": "identifiant ANCT du CRTE (ex. crte-53-35-12)",
    "date_inscription_crte": "date d’inscription de la convention-cadre au CRTE",
}
RAISON = "Import CSV"
TAILLE_MAX = 5 * 1024 * 1024


@dataclass
class RapportImport:
    lignes: int = 0
    communes: list = field(default_factory=list)
    erreurs: list = field(default_factory=list)  # (ligne, colonne, message)
    applique: bool = False


class LigneInvalide(Exception):
    def __init__(self, erreurs):
        self.erreurs = erreurs


class _Annulation(Exception):
    pass


def _formulaire(form_class, *, territoire, instance, valeurs, colonnes, **kwargs):
    """Valide des valeurs par le formulaire de saisie ; colonnes : champ du formulaire → colonne du CSV."""
    donnees = {}
    if instance is not None:
        for nom in form_class._meta.fields:
            valeur = getattr(instance, nom + "_id", None) if nom == "crte" else getattr(instance, nom)
            donnees[nom] = "on" if valeur is True else ("" if valeur in (None, False) else valeur)
        if form_class is forms.OrtForm:
            donnees["secteurs"] = "\n".join(instance.secteurs.values_list("nom", flat=True))
        donnees["version"] = instance.version
    donnees.update(valeurs)
    form = form_class(data=donnees, instance=instance, territoire=territoire, **kwargs)
    if not form.is_valid():
        raise LigneInvalide(
            [(colonnes.get(champ, champ), " ".join(messages)) for champ, messages in form.errors.items()]
        )
    return form


def _enregistrer(form, user):
    try:
        suivi_enregistrer(form=form, user=user, version=form.cleaned_data.get("version"), raison=RAISON)
    except ConflitEdition:
        raise LigneInvalide([(None, "modifiée par quelqu’un d’autre pendant l’import ; relancez l’import.")])


def _ligne(valeurs, user):
    code = valeurs.get("code_insee", "").strip()
    commune = Commune.objects.pvd().select_related("territoire").filter(code_insee=code).first()
    if commune is None:
        raise LigneInvalide([("code_insee", f"« {code} » n’est pas une commune PVD.")])
    territoire = commune.territoire
    erreurs = []

    def etape(fonction):
        try:
            fonction()
        except LigneInvalide as exc:
            erreurs.extend(exc.erreurs)

    def adhesion():
        if valeurs.get("date_adhesion"):
            instance = Convention.objects.filter(territoire=territoire, type=TypeConvention.ADHESION).first()
            _enregistrer(
                _formulaire(
                    forms.AdhesionForm,
                    territoire=territoire,
                    instance=instance,
                    valeurs={"date_signature": valeurs["date_adhesion"]},
                    colonnes={"date_signature": "date_adhesion"},
                ),
                user,
            )

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
            instance = ChefDeProjet.objects.filter(territoire=territoire).first()
            champs = {
                k: v
                for k, v in {"statut": statut, "date_prise_poste": valeurs.get("date_prise_poste")}.items()
                if v
            }
            _enregistrer(
                _formulaire(
                    forms.ChefDeProjetForm,
                    territoire=territoire,
                    instance=instance,
                    valeurs=champs,
                    colonnes={"statut": "statut_chef_projet", "date_prise_poste": "date_prise_poste"},
                ),
                user,
            )

    def cadre():
        if valeurs.get("date_convention_cadre") or valeurs.get("cadre_vaut_ort"):
            vaut = valeurs.get("cadre_vaut_ort", "").lower()
            if vaut not in ("", "oui", "non"):
                raise LigneInvalide([("cadre_vaut_ort", f"« {vaut} » : oui ou non attendu.")])
            instance = Convention.objects.filter(territoire=territoire, type=TypeConvention.CADRE).first()
            champs = {}
            if valeurs.get("date_convention_cadre"):
                champs["date_signature"] = valeurs["date_convention_cadre"]
            if vaut:
                champs["vaut_ort"] = "on" if vaut == "oui" else ""
            _enregistrer(
                _formulaire(
                    forms.ConventionCadreForm,
                    territoire=territoire,
                    instance=instance,
                    valeurs=champs,
                    colonnes={"date_signature": "date_convention_cadre", "vaut_ort": "cadre_vaut_ort"},
                ),
                user,
            )

    def ort():
        if valeurs.get("date_ort"):
            instance = Ort.objects.filter(territoire=territoire).first()
            _enregistrer(
                _formulaire(
                    forms.OrtForm,
                    territoire=territoire,
                    instance=instance,
                    valeurs={"date_signature": valeurs["date_ort"]},
                    colonnes={"date_signature": "date_ort"},
                ),
                user,
            )

    def crte():
        if valeurs.get("code_crte") or valeurs.get("date_inscription_crte"):
            territoire.refresh_from_db()
            champs = {
                k: v
                for k, v in {
                    "crte": valeurs.get("code_crte"),
                    "date_inscription_crte": valeurs.get("date_inscription_crte"),
                }.items()
                if v
            }
            _enregistrer(
                _formulaire(
                    forms.CrteForm,
                    territoire=territoire,
                    instance=territoire,
                    commune=commune,
                    valeurs=champs,
                    colonnes={"crte": "code_crte", "date_inscription_crte": "date_inscription_crte"},
                ),
                user,
            )

    for fonction in (adhesion, chef, cadre, ort, crte):
        etape(fonction)
    if erreurs:
        raise LigneInvalide(erreurs)
    return commune


def statuts_importer(*, fichier, user, appliquer):
    """Valide (et, si appliquer et sans aucune erreur, enregistre) un CSV de situations ; renvoie le rapport."""
    rapport = RapportImport()
    contenu = fichier.read(TAILLE_MAX + 1)
    if len(contenu) > TAILLE_MAX:
        rapport.erreurs.append((None, None, "Fichier trop volumineux (5 Mo au plus)."))
        return rapport
    try:
        texte = contenu.decode("utf-8-sig")
    except UnicodeDecodeError:
        rapport.erreurs.append((None, None, "Le fichier doit être un CSV encodé en UTF-8."))
        return rapport
    separateur = ";" if texte.split("\n", 1)[0].count(";") >= texte.split("\n", 1)[0].count(",") else ","
    lecteur = csv.DictReader(io.StringIO(texte), delimiter=separateur)
    try:
        entetes = [e.strip() for e in (lecteur.fieldnames or [])]
    except csv.Error as exc:  # la ligne d'en-tête elle-même est mal formée
        rapport.erreurs.append((1, None, f"CSV mal formé ({exc})."))
        return rapport
    inconnues = [e for e in entetes if e not in COLONNES]
    if "code_insee" not in entetes or inconnues:
        message = (
            "La colonne code_insee est obligatoire."
            if "code_insee" not in entetes
            else (f"Colonnes inconnues : {', '.join(inconnues)}.")
        )
        rapport.erreurs.append((1, None, message + " Colonnes possibles : " + ", ".join(COLONNES) + "."))
        return rapport
    try:
        with transaction.atomic():
            numero = 1
            for brut in lecteur:
                numero = lecteur.line_num
                rapport.lignes += 1
                if None in brut:
                    rapport.erreurs.append((numero, None, "Trop de valeurs sur la ligne."))
                    continue
                valeurs = {k.strip(): (v or "").strip() for k, v in brut.items()}
                try:
                    with transaction.atomic():
                        rapport.communes.append(_ligne(valeurs, user))
                except LigneInvalide as exc:
                    rapport.erreurs += [(numero, colonne, message) for colonne, message in exc.erreurs]
            if not appliquer or rapport.erreurs:
                raise _Annulation
            rapport.applique = True
    except _Annulation:
        pass
    except csv.Error as exc:
        rapport.erreurs.append((lecteur.line_num, None, f"CSV mal formé ({exc})."))
    return rapport
