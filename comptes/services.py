from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from comptes.constants import Role
from comptes.models import User

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
