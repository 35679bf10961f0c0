"""Historique lisible du suivi d'un territoire : qui, quand, quoi (avant → après)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.text import capfirst

from communes.models import (
    Action,
    Avenant,
    ChefDeProjet,
    Convention,
    Crte,
    Financement,
    Ort,
    SecteurIntervention,
    Territoire,
)
from pvd.formats import montant, nombre

CHAMPS_IGNORES = {
    "id",
    "territoire",
    "convention",
    "ort",
    "action",
    "version",
    "created_at",
    "risque_decided_by",
    "risque_decided_at",
    "confirme_par",
    "confirme_le",
    "departement",
    "epci",
}
TYPES = {"+": "Création", "~": "Modification", "-": "Suppression"}


@dataclass
class Evenement:
    date: datetime.datetime
    auteur: str
    type: str
    objet: str
    raison: str = ""
    changements: list = field(default_factory=list)


def valeur_affichee(modele, nom, valeur, noms_crte=None):
    """Une valeur enregistrée telle qu'on la lit : libellé du choix, « Oui »/« Non », date, montant en euros
    avec séparateurs des milliers, nom du CRTE ; « — » si vide. Historique et conflit d'enregistrement."""
    return _affichage(modele, nom, valeur, noms_crte or {})


def _affichage(modele, nom, valeur, noms_crte):
    if valeur in (None, ""):
        return "—"
    champ = modele._meta.get_field(nom)
    if champ.choices:
        return dict(champ.flatchoices).get(valeur, valeur)
    if isinstance(valeur, bool):
        return "Oui" if valeur else "Non"
    if isinstance(valeur, datetime.date):
        return valeur.strftime("%d/%m/%Y")
    if isinstance(valeur, Decimal):
        return montant(valeur)
    if isinstance(valeur, int) and nom != "annee":
        return nombre(valeur)
    if nom == "crte":
        return noms_crte.get(valeur, valeur)
    return str(valeur)


def _champs(modele):
    return [f for f in modele._meta.concrete_fields if f.name not in CHAMPS_IGNORES]


def _libelle(modele, ligne, titres_actions):
    if modele is Action:
        return f"Action « {ligne.titre} »"
    if modele is Financement:
        titre = titres_actions.get(ligne.action_id, "")
        return f"Financement {ligne.get_dispositif_display()} {ligne.annee} de l’action « {titre} »"
    if modele is Avenant:
        return f"Avenant « {ligne.objet} »"
    if modele is SecteurIntervention:
        return f"Secteur d’intervention « {ligne.nom} »"
    if modele is Territoire:
        return "Territoire PVD"
    if modele is ChefDeProjet:
        return "Chef de projet"
    if modele is Ort:
        return "ORT"
    return ligne.get_type_display() if modele is Convention else str(modele._meta.verbose_name)


# Les autres événements de la fiche viennent des apps bâties sur le suivi (echanges : pièces jointes déposées) :
# chacune inscrit ici, dans son AppConfig.ready(), une fonction (territoire, Evenement) → [Evenement]. Le suivi
# n'importe ainsi aucune app au-dessus de lui (contrat des couches, pyproject.toml).
SOURCES = []


def historique_territoire(territoire, limite=300):
    """Les changements du territoire et de tout son suivi, du plus récent au plus ancien."""
    conventions = Convention.history.filter(territoire_id=territoire.pk)
    actions = Action.history.filter(territoire_id=territoire.pk)
    orts = Ort.history.filter(territoire_id=territoire.pk)
    sources = [
        (Territoire, Territoire.history.filter(id=territoire.pk)),
        (Convention, conventions),
        (Avenant, Avenant.history.filter(convention_id__in=conventions.values("id"))),
        (Ort, orts),
        (SecteurIntervention, SecteurIntervention.history.filter(ort_id__in=orts.values("id"))),
        (ChefDeProjet, ChefDeProjet.history.filter(territoire_id=territoire.pk)),
        (Action, actions),
        (Financement, Financement.history.filter(action_id__in=actions.values("id"))),
    ]
    titres_actions = dict(actions.order_by("history_date").values_list("id", "titre"))
    noms_crte = {}
    evenements = []
    lignes_par_modele = []
    for modele, historique in sources:
        lignes = list(historique.select_related("history_user").order_by("id", "history_date", "history_id"))
        lignes_par_modele.append((modele, lignes))
        if modele is Territoire:
            codes = {ligne.crte_id for ligne in lignes if ligne.crte_id}
            noms_crte = dict(Crte.objects.filter(code__in=codes).values_list("code", "nom"))
    for modele, lignes in lignes_par_modele:
        precedente = {}
        for ligne in lignes:
            avant = precedente.get(ligne.id)
            changements = []
            if ligne.history_type != "-":
                for f in _champs(modele):
                    nouveau = getattr(ligne, f.attname)
                    ancien = getattr(avant, f.attname) if avant else None
                    if avant is None and nouveau in (None, "", False):
                        continue
                    if nouveau != ancien:
                        changements.append(
                            (
                                capfirst(str(f.verbose_name)),
                                _affichage(modele, f.name, ancien, noms_crte) if avant else "—",
                                _affichage(modele, f.name, nouveau, noms_crte),
                            )
                        )
            precedente[ligne.id] = ligne
            if ligne.history_type == "~" and not changements:
                continue
            auteur = ligne.history_user
            evenements.append(
                Evenement(
                    date=ligne.history_date,
                    auteur=(auteur.get_full_name() or auteur.username)
                    if auteur
                    else "Référentiel (automatique)",
                    type=TYPES[ligne.history_type],
                    objet=_libelle(modele, ligne, titres_actions),
                    raison=ligne.history_change_reason or "",
                    changements=changements,
                )
            )
    for source in SOURCES:
        evenements.extend(source(territoire, Evenement))
    evenements.sort(key=lambda e: e.date, reverse=True)
    return evenements[:limite]
