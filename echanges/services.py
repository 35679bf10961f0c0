"""Écritures des échanges : notifications (un seul point d'entrée pour les événements, evenement_notifier,
appelé après la validation de la transaction), e-mails immédiats et résumé quotidien (worker), préférences ;
commentaires et mentions ; pièces jointes."""

import hashlib
import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from communes.models import Convention, Ort
from comptes.constants import Role
from comptes.models import User
from echanges.constants import (
    FREQUENCE_PAR_DEFAUT,
    Canal,
    Frequence,
    TypeNotification,
    Visibilite,
)
from echanges.fichiers import EXTENSIONS, AntivirusIndisponible, analyser, type_du_contenu
from echanges.models import (
    Commentaire,
    EnvoiNotification,
    Notification,
    PieceJointe,
    PreferenceNotification,
    VersionPiece,
    VisiteUtilisateur,
)
from syntheses.models import SectionDepartementale, Synthese
from territoires.models import ChargementListe, Departement

logger = logging.getLogger(__name__)

ACTIFS = Q(is_active=True)


def _nom(user):
    if user is None:
        return "PVD Suivi"
    return user.get_full_name() or user.username


def _extrait(texte, longueur=160):
    texte = " ".join(texte.split())
    return texte if len(texte) <= longueur else texte[: longueur - 1].rstrip() + "…"


# --- Destinataires ----------------------------------------------------------------------------------


def agents_departement(departement_id):
    return User.objects.filter(ACTIFS, role=Role.DEPARTEMENTAL, departement_id=departement_id)


def agents_region(region_id):
    return User.objects.filter(ACTIFS, role=Role.REGIONAL, region_id=region_id)


def lecteurs_commentaire(*, departement, visibilite):
    """Comptes qui peuvent lire un commentaire de ce département avec cette visibilité (même règle que
    visibilite_q, vue du côté des destinataires)."""
    q = Q(role=Role.DEPARTEMENTAL, departement_id=departement.code)
    if visibilite in (Visibilite.REGION, Visibilite.TOUS):
        q |= Q(role=Role.REGIONAL, region_id=departement.region_id)
    if visibilite == Visibilite.TOUS:
        q |= Q(role__in=[Role.NATIONAL, Role.ADMINISTRATEUR])
    return User.objects.filter(ACTIFS, q)


# --- Notifications ----------------------------------------------------------------------------------


def _evenement_synthese(type, objet, acteur, commentaire):
    """(cle, [(destinataires, type, titre, texte)], url) d'un événement de la note de synthèse."""

    qui = _nom(acteur)
    if isinstance(objet, SectionDepartementale):
        section = objet
        campagne = section.synthese.campagne
        url = reverse("syntheses:section", args=[section.pk])
        cle = f"{type}:section:{section.pk}:v{section.version}"
        dept = section.departement
        if type == TypeNotification.SECTION_RENVOYEE:
            return (
                cle,
                [
                    (
                        agents_departement(dept.code),
                        type,
                        f"La région a renvoyé la section {dept.nom} ({campagne.nom})",
                        f"{qui} : « {_extrait(commentaire)} »" if commentaire else "",
                    )
                ],
                url,
            )
        if type == TypeNotification.SECTION_SOUMISE:
            return (
                cle,
                [
                    (
                        agents_region(section.synthese.region_id),
                        type,
                        f"Section {dept.nom} soumise à la région ({campagne.nom})",
                        f"Soumise par {qui}.",
                    )
                ],
                url,
            )
    if isinstance(objet, Synthese):
        note = objet
        url = reverse("syntheses:synthese", args=[note.pk])
        cle = f"{type}:synthese:{note.pk}:v{note.version}"
        departements = list(note.sections.filter(dispensee=False).values_list("departement_id", flat=True))
        agents_dept = User.objects.filter(ACTIFS, role=Role.DEPARTEMENTAL, departement_id__in=departements)
        if type == TypeNotification.NOTE_VALIDEE:
            return (
                cle,
                [
                    (
                        agents_region(note.region_id),
                        TypeNotification.NOTE_VALIDEE,
                        f"Note de synthèse {note.region.nom} validée ({note.campagne.nom})",
                        f"Validée par {qui}.",
                    ),
                    (
                        agents_dept,
                        TypeNotification.SECTION_VALIDEE,
                        f"Votre section est validée avec la note {note.region.nom} ({note.campagne.nom})",
                        f"Note validée par {qui}.",
                    ),
                ],
                url,
            )
        if type == TypeNotification.NOTE_TRANSMISE:
            nationaux = User.objects.filter(ACTIFS, role=Role.NATIONAL)
            return (
                cle,
                [
                    (
                        agents_region(note.region_id) | agents_dept | nationaux,
                        type,
                        f"Note de synthèse {note.region.nom} transmise au ministère ({note.campagne.nom})",
                        f"Transmise par {qui}.",
                    )
                ],
                url,
            )
    raise ValueError(f"Événement inconnu : {type} sur {objet!r}")


def notifications_creer(*, cle, lots, url, acteur=None, commentaire=None):
    """Crée une notification par destinataire (hors l'auteur de l'événement) ; un même compte ne reçoit
    qu'une notification par événement, même si l'appel est rejoué (contrainte d'unicité).

    lots : [(queryset ou liste de comptes, type, titre, texte)]. Renvoie les notifications créées."""
    deja = set()
    a_creer = []
    for destinataires, type, titre, texte in lots:
        for user in destinataires:
            if user.pk in deja or (acteur is not None and user.pk == acteur.pk):
                continue
            deja.add(user.pk)
            a_creer.append(
                Notification(
                    destinataire=user,
                    type=type,
                    cle=cle,
                    titre=titre[:300],
                    texte=texte,
                    url=url,
                    commentaire=commentaire,
                )
            )
    existants = set(
        Notification.objects.filter(cle=cle, destinataire_id__in=deja).values_list(
            "destinataire_id", flat=True
        )
    )
    a_creer = [n for n in a_creer if n.destinataire_id not in existants]
    with transaction.atomic():
        creees = Notification.objects.bulk_create(a_creer, ignore_conflicts=True)
    # bulk_create(ignore_conflicts) ne rend pas toujours les clés : on relit ce qui vient d'être créé.
    creees = list(
        Notification.objects.filter(cle=cle, destinataire_id__in=[n.destinataire_id for n in creees])
    )
    ids = [n.pk for n in creees]
    if ids:
        transaction.on_commit(lambda: _emails_immediats_envoyer(ids))
    return creees


def evenement_notifier(*, type, objet_type, objet_id, acteur_id=None, commentaire=""):
    """Point d'entrée des événements de la note de synthèse, appelé par transaction.on_commit : l'objet
    est relu après la validation (son état et sa version sont ceux qui ont été enregistrés)."""

    modele = {"section": SectionDepartementale, "synthese": Synthese}[objet_type]
    objet = (
        modele.objects.select_related(
            *(("synthese__campagne", "departement") if objet_type == "section" else ("campagne", "region"))
        )
        .filter(pk=objet_id)
        .first()
    )
    if objet is None:
        return []
    acteur = User.objects.filter(pk=acteur_id).first() if acteur_id else None
    cle, lots, url = _evenement_synthese(type, objet, acteur, commentaire)
    return notifications_creer(cle=cle, lots=lots, url=url, acteur=acteur)


def notifier_apres_commit(*, type, objet, acteur=None, commentaire=""):
    """À appeler dans la transaction d'un service : la notification part quand elle est validée."""

    objet_type = "section" if isinstance(objet, SectionDepartementale) else "synthese"
    transaction.on_commit(
        lambda: evenement_notifier(
            type=type,
            objet_type=objet_type,
            objet_id=objet.pk,
            acteur_id=getattr(acteur, "pk", None),
            commentaire=commentaire,
        )
    )


def notification_marquer_lue(*, notification, user):
    if notification.destinataire_id != user.pk:
        raise PermissionDenied
    if notification.lue_le is None:
        notification.lue_le = timezone.now()
        Notification.objects.filter(pk=notification.pk, lue_le__isnull=True).update(
            lue_le=notification.lue_le
        )
    return notification


def notifications_tout_lire(*, user):
    return Notification.objects.for_user(user).non_lues().update(lue_le=timezone.now())


# --- Préférences ------------------------------------------------------------------------------------


def preferences_de(user):
    """{type: fréquence} pour chaque type, avec la valeur par défaut quand rien n'est enregistré."""
    enregistrees = dict(PreferenceNotification.objects.filter(user=user).values_list("type", "frequence"))
    return {t: enregistrees.get(t, FREQUENCE_PAR_DEFAUT[t]) for t in TypeNotification.values}


@transaction.atomic
def preferences_notification_enregistrer(*, user, frequences):
    """frequences : {type: fréquence}. Une ligne par type."""
    for type, frequence in frequences.items():
        if type not in TypeNotification.values or frequence not in Frequence.values:
            raise ValidationError("Préférence inconnue.")
        PreferenceNotification.objects.update_or_create(
            user=user, type=type, defaults={"frequence": frequence}
        )
    return preferences_de(user)


# --- E-mails ----------------------------------------------------------------------------------------


def _emails_immediats_envoyer(ids):
    from echanges.tasks import notification_envoyer_task

    for pk in ids:
        try:
            notification_envoyer_task.delay(pk)
        except Exception:  # broker injoignable : la notification reste dans le produit et le résumé
            logger.exception("Envoi de la notification %s non remis au worker", pk)


def _message(*, user, sujet, gabarit, contexte):
    contexte = {
        **contexte,
        "user": user,
        "sujet": sujet,
        "site_url": settings.SITE_URL,
        "compte_url": settings.SITE_URL + reverse("compte"),
        "notifications_url": settings.SITE_URL + reverse("echanges:notifications"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        texte = render_to_string(f"echanges/emails/{gabarit}.txt", contexte)
        html = render_to_string(f"echanges/emails/{gabarit}.html", contexte)
    message = EmailMultiAlternatives(subject=sujet, body=texte, to=[user.email])
    message.attach_alternative(html, "text/html")
    return message


def _reserver(*, notification, canal):
    try:
        with transaction.atomic():
            EnvoiNotification.objects.create(notification=notification, canal=canal)
    except IntegrityError:
        return False
    return True


def notification_envoyer(*, notification_id):
    """E-mail immédiat d'une notification (worker), si la préférence du destinataire le demande. Une seule
    fois : la trace (notification, canal) est écrite dans la transaction de l'envoi."""
    notification = Notification.objects.select_related("destinataire").filter(pk=notification_id).first()
    if notification is None:
        return False
    user = notification.destinataire
    if not user.is_active or not user.email:
        return False
    if preferences_de(user)[notification.type] != Frequence.IMMEDIAT:
        return False
    try:
        with transaction.atomic():
            if not _reserver(notification=notification, canal=Canal.IMMEDIAT):
                return False
            _message(
                user=user,
                sujet=f"[PVD Suivi] {notification.titre}",
                gabarit="notification",
                contexte={"notification": notification, "url": settings.SITE_URL + notification.url},
            ).send()
    except OSError:
        logger.exception("Notification %s non envoyée à %s", notification_id, user.username)
        return False
    return True


def resume_quotidien_envoyer(*, maintenant=None):
    """Résumé quotidien (beat) : à chaque compte, les notifications des types qu'il a mis en résumé, pas
    encore résumées, en un e-mail. Une seule fois par notification (trace canal « résumé »). Renvoie le
    nombre d'e-mails envoyés."""
    maintenant = maintenant or timezone.now()
    depuis = maintenant - timedelta(days=settings.NOTIFICATIONS_RESUME_JOURS_MAX)
    candidates = (
        Notification.objects.filter(created_at__lte=maintenant, created_at__gte=depuis)
        .exclude(envois__canal=Canal.RESUME)
        .exclude(destinataire__email="")
        .filter(destinataire__is_active=True)
        .select_related("destinataire")
        .order_by("destinataire_id", "created_at", "pk")
    )
    par_user = defaultdict(list)
    for notification in candidates:
        par_user[notification.destinataire_id].append(notification)
    enregistrees = defaultdict(dict)
    for user_id, type, frequence in PreferenceNotification.objects.filter(
        user_id__in=list(par_user)
    ).values_list("user_id", "type", "frequence"):
        enregistrees[user_id][type] = frequence
    envoyes = 0
    for user_id, notifications in par_user.items():
        prefs = enregistrees[user_id]
        retenues = [
            n for n in notifications if prefs.get(n.type, FREQUENCE_PAR_DEFAUT[n.type]) == Frequence.QUOTIDIEN
        ]
        if not retenues:
            continue
        user = retenues[0].destinataire
        try:
            with transaction.atomic():
                retenues = [n for n in retenues if _reserver(notification=n, canal=Canal.RESUME)]
                if not retenues:
                    continue
                _message(
                    user=user,
                    sujet=f"[PVD Suivi] Votre résumé du jour : {len(retenues)} notification"
                    + ("s" if len(retenues) > 1 else ""),
                    gabarit="resume",
                    contexte={
                        "notifications": [
                            {"notification": n, "url": settings.SITE_URL + n.url} for n in retenues
                        ]
                    },
                ).send()
        except OSError:
            logger.exception("Résumé non envoyé à %s", user.username)
            continue
        envoyes += 1
    return envoyes


# --- Commentaires -----------------------------------------------------------------------------------


def _objet_commentaire(*, section=None, commune=None):
    """(département, libellé, url) de l'objet commenté."""
    if section is not None:
        dept = section.departement
        libelle = f"la section {dept.nom} ({section.synthese.campagne.nom})"
        return dept, libelle, reverse("syntheses:section", args=[section.pk])
    return (
        commune.departement,
        f"la fiche de {commune.nom}",
        reverse("communes:detail", args=[commune.code_insee]),
    )


def _proprietaires(*, section=None, commune=None):
    """Comptes qui suivent l'objet sans y avoir écrit : le département (et la région pour une section)."""
    if section is not None:
        return agents_departement(section.departement_id) | agents_region(section.synthese.region_id)
    return agents_departement(commune.departement_id)


def visibilites_permises(user):
    if user.role == Role.DEPARTEMENTAL:
        return set(Visibilite.values)
    if user.role == Role.REGIONAL:
        return {Visibilite.REGION, Visibilite.TOUS}
    return {Visibilite.TOUS}


def _commentaire_notifier(commentaire, *, mentionnes, cle_mention):
    """Mentions (à ceux qui lisent le commentaire) et « nouveau commentaire » (auteurs du fil et comptes qui
    suivent l'objet, s'ils le lisent). Le texte de la notification ne part qu'à ces lecteurs."""
    section, commune = commentaire.section, commentaire.commune
    _, libelle, url = _objet_commentaire(section=section, commune=commune)
    url = f"{url}#commentaire-{commentaire.pk}"
    lecteurs = lecteurs_commentaire(departement=commentaire.departement, visibilite=commentaire.visibilite)
    qui = _nom(commentaire.auteur)
    extrait = f"« {_extrait(commentaire.texte)} »"
    mentionnes = list(lecteurs.filter(pk__in=[u.pk for u in mentionnes]))
    creees = notifications_creer(
        cle=cle_mention,
        lots=[(mentionnes, TypeNotification.MENTION, f"{qui} vous a mentionné sur {libelle}", extrait)],
        url=url,
        acteur=commentaire.auteur,
        commentaire=commentaire,
    )
    if cle_mention.startswith("mention:modif"):
        return creees
    fil = Commentaire.objects.du_fil(section=section, commune=commune).exclude(pk=commentaire.pk)
    suivent = lecteurs.filter(
        Q(pk__in=fil.values("auteur_id"))
        | Q(pk__in=_proprietaires(section=section, commune=commune).values("pk"))
    ).exclude(pk__in=[u.pk for u in mentionnes])
    return creees + notifications_creer(
        cle=f"commentaire:{commentaire.pk}",
        lots=[(suivent, TypeNotification.COMMENTAIRE, f"{qui} a commenté {libelle}", extrait)],
        url=url,
        acteur=commentaire.auteur,
        commentaire=commentaire,
    )


@transaction.atomic
def commentaire_publier(*, auteur, texte, visibilite, mentionnes=(), section=None, commune=None):
    """Publie un commentaire sur une section ou une fiche commune que l'auteur voit (la vue part de
    for_user), avec une visibilité qui l'inclut ; prévient les mentionnés et ceux qui suivent le fil."""
    if visibilite not in visibilites_permises(auteur):
        raise PermissionDenied("Vous ne liriez pas vous-même ce commentaire avec cette visibilité.")
    if not texte.strip():
        raise ValidationError("Le commentaire est vide.")
    departement, _, _ = _objet_commentaire(section=section, commune=commune)
    commentaire = Commentaire.objects.create(
        section=section,
        commune=commune,
        departement=departement,
        auteur=auteur,
        texte=texte.strip(),
        visibilite=visibilite,
    )
    if mentionnes:
        commentaire.mentions.set(mentionnes)
    _commentaire_notifier(commentaire, mentionnes=mentionnes, cle_mention=f"mention:{commentaire.pk}")
    return commentaire


@transaction.atomic
def commentaire_modifier(*, commentaire, user, texte, mentionnes=()):
    """L'auteur corrige son texte dans les DELAI_MODIFICATION_MINUTES minutes (l'historique garde chaque
    version) ; les personnes nouvellement mentionnées sont prévenues."""
    actuel = Commentaire.objects.select_for_update().get(pk=commentaire.pk)
    if not actuel.can_edit(user):
        raise PermissionDenied("Un commentaire se modifie par son auteur, dans les 15 minutes.")
    if not texte.strip():
        raise ValidationError("Le commentaire est vide.")
    deja = set(actuel.mentions.values_list("pk", flat=True))
    actuel.texte, actuel.modifie_le = texte.strip(), timezone.now()
    actuel.save()
    nouveaux = [u for u in mentionnes if u.pk not in deja]
    if nouveaux:
        actuel.mentions.add(*nouveaux)
        _commentaire_notifier(
            actuel, mentionnes=nouveaux, cle_mention=f"mention:modif:{actuel.pk}:{actuel.modifie_le:%s%f}"
        )
    return actuel


# --- Pièces jointes ---------------------------------------------------------------------------------


def _fichier_verifier(fichier):
    """(contenu, type MIME) d'un fichier déposé, ou ValidationError en français (taille, type lu dans le
    contenu, antivirus)."""

    limite = settings.PIECES_JOINTES_MAX_MO * 1024 * 1024
    if fichier.size > limite:
        raise ValidationError(
            f"Le fichier dépasse {settings.PIECES_JOINTES_MAX_MO} Mo : réduisez-le (PDF compressé) et réessayez."
        )
    contenu = fichier.read()
    if len(contenu) > limite:
        raise ValidationError(f"Le fichier dépasse {settings.PIECES_JOINTES_MAX_MO} Mo.")
    type_mime = type_du_contenu(contenu)
    if type_mime is None:
        raise ValidationError(
            "Ce fichier n’est ni un PDF, ni un document ODT ou DOCX, ni une image PNG ou JPEG (son contenu a été "
            "vérifié, pas seulement son nom)."
        )
    try:
        signature = analyser(contenu)
    except AntivirusIndisponible:
        logger.exception("Antivirus injoignable")
        raise ValidationError(
            "L’analyse antivirus est indisponible : réessayez dans quelques minutes."
        ) from None
    if signature:
        logger.warning("Fichier refusé par l'antivirus : %s", signature)
        raise ValidationError(
            f"L’antivirus a détecté un contenu malveillant ({signature}) : le fichier est refusé."
        )
    return contenu, type_mime


def _version_creer(*, piece, user, fichier, contenu, type_mime):
    from django.core.files.base import ContentFile

    numero = (piece.versions.aggregate(n=Max("numero"))["n"] or 0) + 1
    version = VersionPiece(
        piece=piece,
        numero=numero,
        nom_original=(getattr(fichier, "name", "") or "document")[:200],
        content_type=type_mime,
        taille=len(contenu),
        sha256=hashlib.sha256(contenu).hexdigest(),
        created_by=user,
    )
    version.fichier.save(f"document.{EXTENSIONS[type_mime]}", ContentFile(contenu), save=False)
    version.save()
    return version


def _verifier_depot(commune, user):
    territoire = commune.territoire
    if territoire is None or not territoire.can_edit(user):
        raise PermissionDenied("Seuls les agents du département déposent les pièces de la commune.")


@transaction.atomic
def piece_jointe_ajouter(*, commune, user, type, titre, fichier):
    """Nouvelle pièce jointe de la fiche commune (version 1)."""
    _verifier_depot(commune, user)
    contenu, type_mime = _fichier_verifier(fichier)
    piece = PieceJointe.objects.create(commune=commune, type=type, titre=titre.strip(), created_by=user)
    _version_creer(piece=piece, user=user, fichier=fichier, contenu=contenu, type_mime=type_mime)
    return piece


@transaction.atomic
def piece_version_ajouter(*, piece, user, fichier):
    """Nouvelle version d'une pièce (les précédentes restent téléchargeables)."""
    _verifier_depot(piece.commune, user)
    contenu, type_mime = _fichier_verifier(fichier)
    PieceJointe.objects.select_for_update().filter(pk=piece.pk).first()  # sérialise les numéros
    return _version_creer(piece=piece, user=user, fichier=fichier, contenu=contenu, type_mime=type_mime)


def notification_echeance_enregistrer(*, user, cle, titre, url):
    """Notification « échéance qui approche » d'un rappel (app rappels) : le rappel est lui-même l'e-mail,
    la notification est marquée envoyée sur les deux canaux (pas de second e-mail, pas de résumé)."""
    notification, creee = Notification.objects.get_or_create(
        destinataire=user,
        cle=cle,
        defaults={"type": TypeNotification.ECHEANCE, "titre": titre[:300], "url": url},
    )
    if creee:
        EnvoiNotification.objects.bulk_create(
            [EnvoiNotification(notification=notification, canal=c) for c in Canal.values],
            ignore_conflicts=True,
        )
    return notification


# --- Visites ----------------------------------------------------------------------------------------


def visite_enregistrer(*, user, maintenant=None):
    """À chaque connexion : la dernière visite devient la précédente (« ce qui a changé » part de là)."""

    maintenant = maintenant or timezone.now()
    visite, creee = VisiteUtilisateur.objects.get_or_create(user=user, defaults={"derniere": maintenant})
    if not creee:
        VisiteUtilisateur.objects.filter(pk=visite.pk).update(precedente=visite.derniere, derniere=maintenant)
    return visite


# --- Valeurs des données officielles à confirmer ------------------------------------------------------


def valeurs_a_confirmer_notifier():
    """Après un chargement des fichiers officiels : chaque agent départemental dont le département a des
    valeurs reprises « à confirmer » (adhésion de la liste PVD, ORT de la liste ORT) reçoit une notification,
    une seule par chargement de la liste PVD (clé : le dernier ChargementListe). Lancée par beat chaque nuit ;
    rejouée, elle ne crée rien de plus."""
    from django.db.models import Count
    from django.urls import reverse

    chargement = ChargementListe.objects.order_by("-charge_le", "-pk").first()
    reference = f"chargement-{chargement.pk}" if chargement else "sans-chargement"
    comptes = {}
    for modele in (Convention, Ort):
        for departement, n in (
            modele.objects.filter(a_confirmer=True)
            .values_list("territoire__departement_id")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            comptes[departement] = comptes.get(departement, 0) + n
    noms = dict(Departement.objects.filter(code__in=comptes).values_list("code", "nom"))
    creees = []
    for departement, n in sorted(comptes.items()):
        valeurs = "valeur" if n < 2 else "valeurs"
        creees += notifications_creer(
            cle=f"a_confirmer:{departement}:{reference}",
            lots=[
                (
                    agents_departement(departement),
                    TypeNotification.VALEUR_A_CONFIRMER,
                    f"{noms.get(departement, departement)} : {n} {valeurs} des données officielles à confirmer",
                    "Dates d’adhésion de la liste PVD et ORT de la liste ORT reprises des fichiers officiels : "
                    "confirmez-les ou corrigez-les sur la fiche de chaque commune.",
                )
            ],
            url=reverse("echanges:a_faire"),
        )
    return creees
