"""« Ce qui a changé depuis votre dernière visite » : les lignes d'historique écrites depuis une date, dans
le territoire de l'utilisateur, groupées par département, avec un lien vers chaque objet. Lu dans
l'historique existant (django-simple-history du suivi et des pièces jointes, transitions des sections,
historique des commentaires que l'utilisateur peut lire). Nombre de requêtes constant (une par source et
deux pour les libellés), quel que soit le nombre de lignes ou de départements."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from communes.models import (
    Action,
    Avenant,
    ChefDeProjet,
    Convention,
    Financement,
    Ort,
    SecteurIntervention,
    Territoire,
)
from echanges.models import Commentaire, VersionPiece, VisiteUtilisateur
from syntheses.models import Transition
from territoires.models import Commune, Departement

TYPES = {"+": "création", "~": "modification", "-": "suppression"}
SUIVI, SECTIONS, PIECES, COMMENTAIRES = "suivi", "sections", "pieces", "commentaires"
CATEGORIES = {
    SUIVI: "Suivi des communes",
    SECTIONS: "Sections de la note",
    PIECES: "Pièces jointes",
    COMMENTAIRES: "Commentaires",
}


@dataclass
class Changement:
    date: object
    categorie: str
    quoi: str
    auteur: str
    url: str


def depuis_derniere_visite(user, *, maintenant=None):
    """La date de la visite précédente ; sans visite connue, minuit il y a QUOI_DE_NEUF_JOURS_DEFAUT jours."""
    visite = VisiteUtilisateur.objects.filter(user=user).first()
    if visite and visite.precedente:
        return visite.precedente
    # Depuis minuit, N jours plus tôt : une date stable dans la journée (clé du cache de resume).
    minuit = timezone.localtime(maintenant or timezone.now()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return minuit - timedelta(days=settings.QUOI_DE_NEUF_JOURS_DEFAUT)


def _nom(user):
    return (user.get_full_name() or user.username) if user else "PVD Suivi"


def _sources_suivi(territoires):
    """(modèle, historique, champ qui donne le territoire) pour chaque objet du suivi."""
    par_convention = Convention.objects.filter(pk=OuterRef("convention_id")).values("territoire_id")[:1]
    par_ort = Ort.objects.filter(pk=OuterRef("ort_id")).values("territoire_id")[:1]
    par_action = Action.objects.filter(pk=OuterRef("action_id")).values("territoire_id")[:1]
    indirects = [
        (Avenant, Avenant.history.annotate(territoire_ref=Subquery(par_convention))),
        (SecteurIntervention, SecteurIntervention.history.annotate(territoire_ref=Subquery(par_ort))),
        (Financement, Financement.history.annotate(territoire_ref=Subquery(par_action))),
    ]
    return (
        [(Territoire, Territoire.history.filter(id__in=territoires), "id")]
        + [
            (modele, modele.history.filter(territoire_id__in=territoires), "territoire_id")
            for modele in (Convention, Ort, ChefDeProjet, Action)
        ]
        + [(m, h.filter(territoire_ref__in=territoires), "territoire_ref") for m, h in indirects]
    )


def changements_depuis(user, depuis):
    """[(département, {catégorie: nombre}, [Changement…] du plus récent au plus ancien)] des départements du
    territoire de `user` où quelque chose a changé après `depuis`."""
    departements = Departement.objects.for_user(user)
    territoires = Territoire.objects.filter(departement__in=departements).values("pk")
    par_departement = defaultdict(list)

    lignes_suivi = []
    for modele, historique, champ in _sources_suivi(territoires):
        for ligne in historique.filter(history_date__gt=depuis).select_related("history_user").order_by():
            lignes_suivi.append((modele, ligne, getattr(ligne, champ)))
    ids = {t for _, _, t in lignes_suivi}
    info = {}
    if ids:
        departement_de = dict(Territoire.objects.filter(pk__in=ids).values_list("pk", "departement_id"))
        for territoire_id, code, nom in (
            Commune.objects.filter(territoire_id__in=ids)
            .order_by("nom")
            .values_list("territoire_id", "code_insee", "nom")
        ):
            info.setdefault(territoire_id, (departement_de.get(territoire_id), code, nom))
    for modele, ligne, territoire_id in lignes_suivi:
        if territoire_id not in info:
            continue
        departement_id, code, nom = info[territoire_id]
        par_departement[departement_id].append(
            Changement(
                date=ligne.history_date,
                categorie=SUIVI,
                quoi=f"{nom} : {modele._meta.verbose_name} ({TYPES[ligne.history_type]})",
                auteur=_nom(ligne.history_user),
                url=reverse("communes:detail", args=[code]) + "#historique",
            )
        )

    for t in (
        Transition.objects.filter(created_at__gt=depuis, section__departement__in=departements)
        .select_related("user", "section__departement")
        .order_by()
    ):
        par_departement[t.section.departement_id].append(
            Changement(
                date=t.created_at,
                categorie=SECTIONS,
                quoi=f"Section {t.section.departement.nom} : {t.get_action_display().lower()}",
                auteur=_nom(t.user),
                url=reverse("syntheses:section", args=[t.section_id]),
            )
        )

    for v in (
        VersionPiece.history.filter(history_date__gt=depuis, piece__commune__departement__in=departements)
        .select_related("history_user", "piece__commune")
        .order_by()
    ):
        commune = v.piece.commune
        par_departement[commune.departement_id].append(
            Changement(
                date=v.history_date,
                categorie=PIECES,
                quoi=f"{commune.nom} : « {v.piece.titre} », version {v.numero} ({TYPES[v.history_type]})",
                auteur=_nom(v.history_user),
                url=reverse("communes:detail", args=[commune.code_insee]) + "#pieces-jointes",
            )
        )

    lisibles = Commentaire.objects.for_user(user).values("pk")
    for h in (
        Commentaire.history.filter(history_date__gt=depuis, id__in=lisibles)
        .select_related("history_user", "section__departement", "commune")
        .order_by()
    ):
        if h.section_id:
            sur, url = (
                f"section {h.section.departement.nom}",
                reverse("syntheses:section", args=[h.section_id]),
            )
        else:
            sur, url = h.commune.nom, reverse("communes:detail", args=[h.commune_id])
        par_departement[h.departement_id].append(
            Changement(
                date=h.history_date,
                categorie=COMMENTAIRES,
                quoi=f"Commentaire sur {sur} ({TYPES[h.history_type]})",
                auteur=_nom(h.history_user),
                url=f"{url}#commentaire-{h.id}",
            )
        )

    noms = dict(Departement.objects.filter(code__in=list(par_departement)).values_list("code", "nom"))
    resultat = []
    for code in sorted(par_departement):
        changements = sorted(par_departement[code], key=lambda c: c.date, reverse=True)
        comptes = {cat: sum(1 for c in changements if c.categorie == cat) for cat in CATEGORIES}
        resultat.append(({"code": code, "nom": noms.get(code, code)}, comptes, changements))
    return resultat


RESUME_DUREE = 300  # secondes : le résumé de la page d'arrivée est recalculé au plus toutes les 5 minutes


def resume(user, *, nombre=8):
    """Le bloc de la page d'arrivée des comptes régionaux et nationaux : depuis quand, et par département le
    nombre de changements (les `nombre` départements qui en ont le plus), calculé par changements_depuis et
    gardé RESUME_DUREE secondes en cache pour ce compte et cette visite (le tableau de bord reste rapide)."""
    from django.core.cache import cache

    depuis = depuis_derniere_visite(user)
    cle = f"echanges:quoi-de-neuf:{user.pk}:{depuis.timestamp():.0f}"
    resultat = cache.get(cle)
    if resultat is None:
        lignes = [
            (departement, sum(comptes.values()), comptes)
            for departement, comptes, _changements in changements_depuis(user, depuis)
        ]
        lignes.sort(key=lambda ligne: (-ligne[1], ligne[0]["code"]))
        resultat = {
            "depuis": depuis,
            "departements": lignes[:nombre],
            "autres": len(lignes) - min(len(lignes), nombre),
            "total": sum(ligne[1] for ligne in lignes),
        }
        cache.set(cle, resultat, RESUME_DUREE)
    return resultat
