import logging

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from comptes.constants import Role
from comptes.models import TypeEvenement, User
from comptes.securite import evenement_securite_enregistrer, limite_depassee

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "Demo-PVD-2026!"
# Territoires réels des comptes de démonstration : Ille-et-Vilaine (35) et sa région, la Bretagne (53).
DEMO_USERS = [
    {
        "username": "demo-departement",
        "first_name": "Claire",
        "last_name": "Morvan",
        "role": Role.DEPARTEMENTAL,
        "departement_id": "35",
    },
    {
        "username": "demo-region",
        "first_name": "Yann",
        "last_name": "Le Gall",
        "role": Role.REGIONAL,
        "region_id": "53",
    },
    {"username": "demo-national", "first_name": "Sophie", "last_name": "Martin", "role": Role.NATIONAL},
    {
        "username": "demo-admin",
        "first_name": "Marc",
        "last_name": "Durand",
        "role": Role.ADMINISTRATEUR,
        "is_staff": True,
        "is_superuser": True,
    },
]


@transaction.atomic
def demo_users_creer(*, password=DEMO_PASSWORD):
    """Crée (ou remet d'aplomb) un compte de démonstration par rôle ; renvoie les comptes.

    Le mot de passe n'est réécrit que s'il a changé : un nouveau hachage changerait l'empreinte de session et
    déconnecterait tous ceux qui utilisent déjà la démonstration (make run est relancé sans les déconnecter)."""
    users = []
    for valeurs in DEMO_USERS:
        valeurs = {
            "region_id": None,
            "departement_id": None,
            "is_staff": False,
            "is_superuser": False,
            **valeurs,
        }
        username = valeurs.pop("username")
        user, _ = User.objects.update_or_create(
            username=username, defaults={**valeurs, "email": f"{username}@example.gouv.fr"}
        )
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        users.append(user)
    return users


@transaction.atomic
def administrateur_creer(*, username, email, password=None):
    """Crée un compte administrateur de l'instance (accès à /admin/). Sans mot de passe, le compte ne
    peut se connecter que par ProConnect, avec son adresse électronique. (createsuperuser de Django
    ne sait pas donner le rôle, que la contrainte user_territoire_selon_role exige.)"""
    user = User(username=username, email=email, role=Role.ADMINISTRATEUR, is_staff=True, is_superuser=True)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


def preferences_enregistrer(*, user, rappels_actifs):
    """Préférences du compte (page « Mon compte », lien de désinscription des e-mails). Seul ce champ est
    écrit : rien d'autre du compte ne change."""
    User.objects.filter(pk=user.pk).update(rappels_actifs=rappels_actifs)
    user.rappels_actifs = rappels_actifs
    return user


# --- Mot de passe oublié ---------------------------------------------------------------------------------


def comptes_reinitialisables(email):
    """Les comptes locaux actifs de cette adresse (casse ignorée) : un compte sans mot de passe utilisable
    (ProConnect seul) n'en fait pas partie."""
    if not email:
        return []
    comptes = User.objects.filter(email__iexact=email.strip(), is_active=True)
    return [user for user in comptes if user.has_usable_password()]


def mot_de_passe_oubli_demander(*, email, request):
    """Demande de réinitialisation : au plus MOT_DE_PASSE_OUBLI_PAR_ADRESSE par adresse dans la fenêtre ; le
    lien part par le worker (rien de lent ni de variable dans la requête). Ne dit jamais si un compte existe :
    l'appelant affiche la même page dans tous les cas. Renvoie le nombre d'e-mails confiés au worker."""
    from comptes.tasks import mot_de_passe_lien_envoyer_task

    email = (email or "").strip()
    if limite_depassee(
        quoi="mot_de_passe_adresse",
        cle=email.casefold(),
        limite=settings.MOT_DE_PASSE_OUBLI_PAR_ADRESSE,
        duree_s=settings.MOT_DE_PASSE_OUBLI_FENETRE_MINUTES * 60,
    ):
        evenement_securite_enregistrer(
            type=TypeEvenement.MOT_DE_PASSE_LIMITE, request=request, detail="par adresse électronique"
        )
        return 0
    comptes = comptes_reinitialisables(email)
    for user in comptes:
        evenement_securite_enregistrer(type=TypeEvenement.MOT_DE_PASSE_DEMANDE, request=request, user=user)
        transaction.on_commit(lambda pk=user.pk: _lien_confier(mot_de_passe_lien_envoyer_task, pk))
    return len(comptes)


def _lien_confier(tache, pk):
    try:
        tache.delay(pk)
    except Exception:  # broker injoignable : l'agent redemandera un lien ; la page reste la même
        logger.exception("Lien de réinitialisation du compte %s non remis au worker", pk)


def mot_de_passe_lien_envoyer(*, user_id):
    """Worker : envoie à un compte local actif le lien de réinitialisation (jeton Django, valable
    PASSWORD_RESET_TIMEOUT secondes, caduc dès que le mot de passe change). Renvoie True si envoyé."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or not user.has_usable_password():
        return False
    lien = settings.SITE_URL + reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    contexte = {
        "user": user,
        "lien": lien,
        "sujet": "[PVD Suivi] Réinitialiser votre mot de passe",
        "site_url": settings.SITE_URL,
        "heures": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
    }
    with translation.override(settings.LANGUAGE_CODE):
        texte = render_to_string("comptes/emails/mot_de_passe.txt", contexte)
        html = render_to_string("comptes/emails/mot_de_passe.html", contexte)
    message = EmailMultiAlternatives(subject=contexte["sujet"], body=texte, to=[user.email])
    message.attach_alternative(html, "text/html")
    message.send()
    return True


@transaction.atomic
def mot_de_passe_reinitialiser(*, form, request):
    """Enregistre le nouveau mot de passe (SetPasswordForm valide), débloque la connexion du compte (django-axes)
    et le note au journal de sécurité."""
    from axes.utils import reset

    user = form.save()
    reset(username=user.get_username())
    evenement_securite_enregistrer(type=TypeEvenement.MOT_DE_PASSE_REINITIALISE, request=request, user=user)
    return user
