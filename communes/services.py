"""Écritures du suivi PVD : initialisation depuis le référentiel, enregistrement sans perte de mise à jour."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from communes.constants import TypeConvention
from communes.models import Convention, Crte, Ort, Territoire
from pvd.verrous import ConflitEdition, version_verifier
from territoires.models import Commune
from territoires.services import Bilan, referentiel_lire, territoires_synchroniser

RAISON_REFERENTIEL = "Chargement du référentiel"


def referentiel_charger(*, dossier=None, fichiers=None, millesime=None):
    """Charge les fichiers officiels : régions, départements, EPCI, communes et liste PVD (app territoires),
    puis les CRTE et le suivi qu'ils initialisent (territoire de chaque commune PVD, ORT signées) ; tout ou
    rien, et les fichiers sont lus et contrôlés avant la transaction. Renvoie le Bilan des changements.
    Paramètres : voir territoires.services.referentiel_lire."""
    referentiel = referentiel_lire(dossier=dossier, fichiers=fichiers, millesime=millesime)
    bilan = Bilan()
    with transaction.atomic():
        territoires_synchroniser(referentiel=referentiel, bilan=bilan)
        crtes_synchroniser(crtes=referentiel.crtes, bilan=bilan)
        suivi_initialiser(
            liste=referentiel.liste.communes,
            orts=referentiel.orts,
            source_ort=referentiel.source_ort,
            bilan=bilan,
        )
    return bilan


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


def raison_reprise(source):
    """Raison d'historique d'une valeur reprise d'un fichier officiel."""
    return f"Valeur reprise de la {source}"


RAISON_CONFIRMEE = "Valeur confirmée par la préfecture"
RAISON_SAISIE = "Saisie par la préfecture"


def _par_raison(objets):
    """Regroupe des objets à écrire par raison d'historique (une par source)."""
    groupes = {}
    for objet in objets:
        groupes.setdefault(raison_reprise(objet.source), []).append(objet)
    return groupes.items()


def _creer(objets, modele):
    for raison, groupe in _par_raison(objets):
        bulk_create_with_history(groupe, modele, batch_size=500, default_change_reason=raison)


def _modifier(objets, modele, champs):
    for objet in objets:
        objet.version += 1
    for raison, groupe in _par_raison(objets):
        bulk_update_with_history(
            groupe, modele, [*champs, "version"], batch_size=500, default_change_reason=raison
        )


def suivi_initialiser(*, liste, orts, source_ort, bilan):
    """Crée le territoire PVD de chaque commune de la liste qui n'en a pas, puis reprend des fichiers
    officiels ce qu'aucune personne n'a saisi, « à confirmer » avec sa source :
    - la convention d'adhésion (date de la liste PVD) ; une date que la liste ajoute ou corrige remplace
      celle d'une convention encore à confirmer, jamais celle qu'une personne a saisie ou confirmée (la
      fiche propose alors la date de la liste) ;
    - l'ORT signée (liste DGALN/ANCT), avec ou sans date.
    La convention-cadre valant ORT que l'ORT signée laisse supposer n'est pas écrite : elle est proposée
    (TerritoireQuerySet.cadre_ort_propose, fiche de la commune) jusqu'à ce que le département la confirme
    (cadre_ort_confirmer) ou la saisisse. Une commune sortie de la liste garde son suivi tel quel.

    liste : {code_insee: {"id_pvd", "date", "source"}} ; orts : {code_insee: date ou None} ; source_ort :
    libellé de la liste ORT (« liste ORT DGALN/ANCT 2024-09 »)."""
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
    bilan.ajouter("Territoires PVD", len(territoires), 0, Territoire.objects.count() - len(territoires))

    # Par territoire : la date d'adhésion de la liste (la plus ancienne de ses communes) et l'ORT.
    adhesions_liste, orts_liste = {}, {}
    for code, territoire_id, date in (
        Commune.objects.pvd()
        .filter(territoire__isnull=False)
        .order_by("code_insee")
        .values_list("code_insee", "territoire_id", "date_adhesion_liste")
    ):
        source = liste.get(code, {}).get("source", "")
        if date and (territoire_id not in adhesions_liste or date < adhesions_liste[territoire_id][0]):
            adhesions_liste[territoire_id] = (date, source)
        if code in orts and territoire_id not in orts_liste:
            orts_liste[territoire_id] = orts[code]
    conventions = {
        (c.territoire_id, c.type): c
        for c in Convention.objects.filter(territoire_id__in=set(adhesions_liste) | set(orts_liste))
    }
    orts_existantes = {o.territoire_id: o for o in Ort.objects.filter(territoire_id__in=orts_liste)}

    adhesions_a_creer, adhesions_a_modifier, proposees = [], [], 0
    for territoire_id, (date, source) in adhesions_liste.items():
        convention = conventions.get((territoire_id, TypeConvention.ADHESION))
        if convention is None:
            adhesions_a_creer.append(
                Convention(
                    territoire_id=territoire_id,
                    type=TypeConvention.ADHESION,
                    date_signature=date,
                    source=source,
                    a_confirmer=True,
                )
            )
        elif convention.date_signature != date:
            if convention.a_confirmer:
                convention.date_signature, convention.source = date, source
                adhesions_a_modifier.append(convention)
            elif convention.date_liste_ecartee != date:
                proposees += 1
    _creer(adhesions_a_creer, Convention)
    _modifier(adhesions_a_modifier, Convention, ["date_signature", "source"])
    bilan.ajouter(
        "Conventions d’adhésion reprises de la liste PVD",
        len(adhesions_a_creer),
        len(adhesions_a_modifier),
        len(adhesions_liste) - len(adhesions_a_creer) - len(adhesions_a_modifier),
    )
    if bilan.liste:
        bilan.liste["proposees"] = proposees

    orts_a_creer, orts_a_modifier = [], []
    for territoire_id, date in orts_liste.items():
        ort = orts_existantes.get(territoire_id)
        if ort is None:
            orts_a_creer.append(
                Ort(territoire_id=territoire_id, date_signature=date, source=source_ort, a_confirmer=True)
            )
        elif ort.a_confirmer and date and (ort.date_signature, ort.source) != (date, source_ort):
            ort.date_signature, ort.source = date, source_ort
            orts_a_modifier.append(ort)
    _creer(orts_a_creer, Ort)
    _modifier(orts_a_modifier, Ort, ["date_signature", "source"])
    bilan.ajouter(
        "ORT reprises de la liste ORT",
        len(orts_a_creer),
        len(orts_a_modifier),
        len(orts_liste) - len(orts_a_creer) - len(orts_a_modifier),
    )


def suivi_enregistrer(*, form, user, version=None, raison=None):
    """Enregistre un formulaire de suivi (ModelForm) ; refuse si l'objet a changé depuis sa lecture.

    version : numéro de version lu quand l'utilisateur a ouvert le formulaire (None pour une création).
    Lève ConflitEdition avec les valeurs actuelles en base."""
    modele = form._meta.model
    try:
        with transaction.atomic():
            if form.instance.pk is not None:
                actuel = version_verifier(modele.objects, pk=form.instance.pk, version=version)
                form.instance.version = actuel.version + 1
            reprise = getattr(form.instance, "source", "") if form.instance.pk is not None else ""
            objet = form.save(commit=False)
            objet._history_user = user
            if reprise or getattr(objet, "a_confirmer", False):
                # Une valeur reprise d'un fichier officiel, enregistrée par une personne : confirmée si elle
                # n'a pas changé, saisie par la préfecture sinon (la source ne s'applique plus).
                change = any(nom != "version" for nom in form.changed_data)
                objet.a_confirmer = False
                objet.confirme_par, objet.confirme_le = user, timezone.now()
                if change:
                    objet.source = ""
                raison = raison or (
                    f"{RAISON_SAISIE} (remplace la valeur de la {reprise})" if change else RAISON_CONFIRMEE
                )
            elif raison is None and hasattr(objet, "a_confirmer"):
                raison = RAISON_SAISIE
            if raison:
                objet._change_reason = raison
            objet.save()
            form.save_m2m()
            return objet
    except IntegrityError:
        # Création simultanée d'un objet unique (ex. deux conventions-cadres pour le même territoire).
        raise ConflitEdition(None)


@transaction.atomic
def valeur_confirmer(*, objet, user, version):
    """Le département confirme une valeur reprise d'un fichier officiel (convention, ORT) : elle garde sa
    source, n'est plus « à confirmer » ; l'historique le dit. Refuse si l'objet a changé depuis sa lecture."""
    actuel = version_verifier(type(objet).objects, pk=objet.pk, version=version)
    actuel.a_confirmer = False
    actuel.confirme_par, actuel.confirme_le = user, timezone.now()
    actuel.version += 1
    actuel._history_user = user
    actuel._change_reason = RAISON_CONFIRMEE
    actuel.save()
    return actuel


@transaction.atomic
def cadre_ort_confirmer(*, territoire, user):
    """Le département confirme la convention-cadre valant ORT que la liste ORT laisse supposer : elle est
    créée, signée à la date de l'ORT, avec la source de l'ORT (une valeur reprise, confirmée)."""
    ort = Ort.objects.select_for_update().get(territoire=territoire)
    if Convention.objects.filter(territoire=territoire, type=TypeConvention.CADRE).exists():
        raise ConflitEdition(None)
    cadre = Convention(
        territoire=territoire,
        type=TypeConvention.CADRE,
        date_signature=ort.date_signature,
        vaut_ort=True,
        source=ort.source,
        a_confirmer=False,
        confirme_par=user,
        confirme_le=timezone.now(),
    )
    cadre._history_user = user
    cadre._change_reason = (
        f"Convention-cadre valant ORT confirmée par la préfecture (d’après la {ort.source})"
    )
    cadre.save()
    return cadre


@transaction.atomic
def adhesion_date_liste_retenir(*, convention, date, source, user, version):
    """Le département retient la date d'adhésion que la liste PVD propose à la place de celle saisie."""
    actuel = version_verifier(Convention.objects, pk=convention.pk, version=version)
    actuel.date_signature, actuel.source, actuel.a_confirmer = date, source, False
    actuel.confirme_par, actuel.confirme_le = user, timezone.now()
    actuel.version += 1
    actuel._history_user = user
    actuel._change_reason = f"Date de la {source} retenue par la préfecture"
    actuel.save()
    return actuel


@transaction.atomic
def adhesion_date_liste_ecarter(*, convention, date, source, user, version):
    """Le département garde sa date d'adhésion : la date que propose la liste PVD n'est plus proposée (une
    autre date d'une liste suivante le sera)."""
    actuel = version_verifier(Convention.objects, pk=convention.pk, version=version)
    actuel.date_liste_ecartee = date
    actuel.version += 1
    actuel._history_user = user
    actuel._change_reason = f"Date de la {source} écartée par la préfecture (date enregistrée gardée)"
    actuel.save()
    return actuel


@transaction.atomic
def objet_supprimer(*, objet, user):
    objet._history_user = user
    objet.delete()
