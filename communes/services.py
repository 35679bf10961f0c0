"""Écritures du suivi PVD : initialisation depuis le référentiel, enregistrement sans perte de mise à jour."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from communes.constants import TypeConvention
from communes.models import Convention, Crte, Ort, Territoire
from territoires.models import Commune

RAISON_REFERENTIEL = "Chargement du référentiel"


class ConflitEdition(Exception):
    """Quelqu'un a enregistré ce même objet depuis qu'il a été ouvert : rien n'est écrasé."""

    def __init__(self, actuel):
        self.actuel = actuel
        super().__init__("Cet élément a été modifié par quelqu’un d’autre pendant votre saisie.")


def crtes_synchroniser(*, crtes, bilan):
    """crtes : {code: {"nom", "departement_id", "epcis": set de SIREN}} ; crée ou met à jour, ne supprime rien."""
    existants = {c.code: c for c in Crte.objects.all()}
    liens = {}
    for code, siren in Crte.epcis.through.objects.values_list("crte_id", "epci_id"):
        liens.setdefault(code, set()).add(siren)
    a_creer, a_modifier, liens_a_creer, crees, modifies = [], [], [], 0, 0
    for code, valeurs in crtes.items():
        crte = existants.get(code)
        change = False
        if crte is None:
            a_creer.append(Crte(code=code, nom=valeurs["nom"], departement_id=valeurs["departement_id"]))
            crees += 1
        elif (crte.nom, crte.departement_id) != (valeurs["nom"], valeurs["departement_id"]):
            crte.nom, crte.departement_id = valeurs["nom"], valeurs["departement_id"]
            a_modifier.append(crte)
            change = True
        manquants = valeurs["epcis"] - liens.get(code, set())
        liens_a_creer += [Crte.epcis.through(crte_id=code, epci_id=siren) for siren in manquants]
        en_trop = liens.get(code, set()) - valeurs["epcis"]
        if en_trop:
            Crte.epcis.through.objects.filter(crte_id=code, epci_id__in=en_trop).delete()
        if (manquants or en_trop) and crte is not None:
            change = True
        modifies += change
    Crte.objects.bulk_create(a_creer)
    Crte.objects.bulk_update(a_modifier, ["nom", "departement"])
    Crte.epcis.through.objects.bulk_create(liens_a_creer)
    bilan.ajouter("CRTE", crees, modifies, len(crtes) - crees - modifies)


def suivi_initialiser(*, orts, bilan):
    """Crée le territoire PVD de chaque commune lauréate qui n'en a pas, avec sa convention d'adhésion
    (date de la liste ANCT) et son ORT signée (liste DGALN/ANCT). Ne modifie jamais un suivi existant.

    orts : {code_insee: date de signature de l'ORT}."""
    nouvelles = list(Commune.objects.pvd().filter(territoire__isnull=True).order_by("code_insee"))
    territoires = bulk_create_with_history(
        [Territoire(nom=c.nom, departement_id=c.departement_id, epci_id=c.epci_id) for c in nouvelles],
        Territoire,
        batch_size=500,
        default_change_reason=RAISON_REFERENTIEL,
    )
    for commune, territoire in zip(nouvelles, territoires, strict=True):
        commune.territoire = territoire
    Commune.objects.bulk_update(nouvelles, ["territoire"], batch_size=1000)
    bulk_create_with_history(
        [
            Convention(territoire=t, type=TypeConvention.ADHESION, date_signature=c.date_adhesion_liste)
            for c, t in zip(nouvelles, territoires, strict=True)
            if c.date_adhesion_liste
        ],
        Convention,
        batch_size=500,
        default_change_reason=RAISON_REFERENTIEL,
    )
    bulk_create_with_history(
        [
            Ort(territoire=t, date_signature=orts[c.code_insee])
            for c, t in zip(nouvelles, territoires, strict=True)
            if c.code_insee in orts
        ],
        Ort,
        batch_size=500,
        default_change_reason=RAISON_REFERENTIEL,
    )
    bilan.ajouter("Territoires PVD", len(territoires), 0, Territoire.objects.count() - len(territoires))


def suivi_enregistrer(*, form, user, version=None, raison=None):
    """Enregistre un formulaire de suivi (ModelForm) ; refuse si l'objet a changé depuis sa lecture.

    version : numéro de version lu quand l'utilisateur a ouvert le formulaire (None pour une création).
    Lève ConflitEdition avec les valeurs actuelles en base."""
    modele = form._meta.model
    try:
        with transaction.atomic():
            if form.instance.pk is not None:
                actuel = modele.objects.select_for_update().get(pk=form.instance.pk)
                if version is None or actuel.version != version:
                    raise ConflitEdition(actuel)
                form.instance.version = actuel.version + 1
            objet = form.save(commit=False)
            objet._history_user = user
            if raison:
                objet._change_reason = raison
            objet.save()
            form.save_m2m()
            return objet
    except IntegrityError:
        # Création simultanée d'un objet unique (ex. deux conventions-cadres pour le même territoire).
        raise ConflitEdition(None)


@transaction.atomic
def objet_supprimer(*, objet, user):
    objet._history_user = user
    objet.delete()


@transaction.atomic
def risque_decider(*, territoire, decision, justification, user, version):
    actuel = Territoire.objects.select_for_update().get(pk=territoire.pk)
    if actuel.version != version:
        raise ConflitEdition(actuel)
    actuel.risque_decision = decision
    actuel.risque_justification = justification if decision else ""
    actuel.risque_decided_by = user if decision else None
    actuel.risque_decided_at = timezone.now() if decision else None
    actuel.version += 1
    actuel._history_user = user
    actuel.save()
    return actuel
