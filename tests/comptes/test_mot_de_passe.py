"""Mot de passe oublié : lien par e-mail (envoyé par la tâche Celery, exécutée ici dans le processus ; backend
d'e-mail locmem), même réponse qu'un compte existe ou non, rien pour un compte ProConnect sans mot de passe,
débit limité par adresse électronique et par adresse IP, lien à usage unique."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from comptes.models import EvenementSecurite, TypeEvenement, User
from pvd.celery import app

pytestmark = pytest.mark.django_db

NOUVEAU = "Un-nouveau-mot-de-passe-2026"


@pytest.fixture(autouse=True)
def taches_immediates(settings):
    """Les tâches Celery s'exécutent dans le processus (le vrai code de la tâche, sans broker)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    avant = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = avant


@pytest.fixture
def agent(db):
    user = User.objects.get(username="demo-departement")
    user.email = "claire.morvan@ille-et-vilaine.gouv.fr"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def proconnect(db):
    """Un compte qui ne se connecte que par ProConnect (aucun mot de passe utilisable)."""
    user = User.objects.create(
        username="agent-proconnect",
        email="yves.proconnect@finistere.gouv.fr",
        role="departemental",
        departement_id="29",
    )
    user.set_unusable_password()
    user.save()
    return user


def demander(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("password_reset"), {"email": email})


def page_sans_jeton(reponse):
    """Le contenu de la page, sans ce qui change d'une réponse à l'autre (jeton CSRF, nonce CSP)."""
    texte = reponse.content.decode()
    return re.sub(r'(value|nonce)="[^"]*"', "", texte)


def test_lien_par_e_mail_puis_nouveau_mot_de_passe(client, agent, django_capture_on_commit_callbacks):
    reponse = demander(client, agent.email.upper(), django_capture_on_commit_callbacks)
    assert reponse.status_code == 302 and reponse.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [agent.email]
    assert message.subject == "[PVD Suivi] Réinitialiser votre mot de passe"
    assert "demo-departement" in message.body
    lien = re.search(r"https?://\S+/mot-de-passe/nouveau/\S+/", message.body).group(0)
    chemin = "/" + lien.split("/", 3)[3]
    assert lien in message.alternatives[0][0]  # version HTML

    # Django remplace le jeton de l'adresse par la session (il ne reste pas dans l'historique).
    reponse = client.get(chemin)
    assert reponse.status_code == 302
    formulaire = reponse.url
    page = client.get(formulaire)
    assert page.status_code == 200 and page.context["validlink"]
    # Mot de passe refusé : messages en français.
    trop_court = client.post(formulaire, {"new_password1": "court", "new_password2": "court"})
    assert trop_court.status_code == 200
    assert "Ce mot de passe est trop court" in trop_court.content.decode()
    differents = client.post(formulaire, {"new_password1": NOUVEAU, "new_password2": NOUVEAU + "x"})
    assert "Les deux mots de passe ne correspondent pas" in differents.content.decode()

    reponse = client.post(formulaire, {"new_password1": NOUVEAU, "new_password2": NOUVEAU})
    assert reponse.status_code == 302 and reponse.url == reverse("password_reset_complete")
    assert client.get(reponse.url).status_code == 200
    agent.refresh_from_db()
    assert agent.check_password(NOUVEAU)
    connexion = client.post(reverse("login"), {"username": "demo-departement", "password": NOUVEAU})
    assert connexion.status_code == 302
    client.logout()
    # Le lien ne sert qu'une fois.
    reponse = client.get(chemin, follow=True)
    assert reponse.context["validlink"] is False
    assert "Ce lien n’est plus valable" in reponse.content.decode()
    types = set(EvenementSecurite.objects.filter(user=agent).values_list("type", flat=True))
    assert {TypeEvenement.MOT_DE_PASSE_DEMANDE, TypeEvenement.MOT_DE_PASSE_REINITIALISE} <= types


def test_meme_reponse_pour_un_compte_inconnu_ou_proconnect(
    client, agent, proconnect, django_capture_on_commit_callbacks
):
    """Rien ne dit qu'une adresse a un compte : même redirection, même page ; aucun e-mail au compte
    ProConnect (pas de mot de passe à réinitialiser), ni à une adresse inconnue."""
    reponses = {
        email: demander(client, email, django_capture_on_commit_callbacks)
        for email in (agent.email, proconnect.email, "personne@exemple.gouv.fr")
    }
    assert {(r.status_code, r.url) for r in reponses.values()} == {(302, reverse("password_reset_done"))}
    assert [m.to for m in mail.outbox] == [[agent.email]]
    pages = {page_sans_jeton(client.get(reverse("password_reset_done"))) for _ in reponses}
    assert len(pages) == 1


def test_compte_desactive_ne_recoit_rien(client, agent, django_capture_on_commit_callbacks):
    User.objects.filter(pk=agent.pk).update(is_active=False)
    reponse = demander(client, agent.email, django_capture_on_commit_callbacks)
    assert reponse.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_adresse_mal_formee_message_en_francais(client):
    reponse = client.post(reverse("password_reset"), {"email": "pas-une-adresse"})
    assert reponse.status_code == 200
    assert "Saisissez une adresse électronique valide" in reponse.content.decode()
    reponse = client.post(reverse("password_reset"), {"email": ""})
    assert "Saisissez l’adresse électronique de votre compte." in reponse.content.decode()


def test_debit_limite_par_adresse_sans_rien_dire(client, agent, settings, django_capture_on_commit_callbacks):
    settings.MOT_DE_PASSE_OUBLI_PAR_ADRESSE = 2
    reponses = [demander(client, agent.email, django_capture_on_commit_callbacks) for _ in range(4)]
    # Même réponse à chaque fois ; seuls les deux premiers e-mails partent.
    assert {r.url for r in reponses} == {reverse("password_reset_done")}
    assert len(mail.outbox) == settings.MOT_DE_PASSE_OUBLI_PAR_ADRESSE
    assert EvenementSecurite.objects.filter(type=TypeEvenement.MOT_DE_PASSE_LIMITE).count() == 2


def test_debit_limite_par_adresse_ip(client, agent, settings, django_capture_on_commit_callbacks):
    settings.MOT_DE_PASSE_OUBLI_PAR_IP = 3
    settings.MOT_DE_PASSE_OUBLI_PAR_ADRESSE = 100
    for i in range(3):
        assert (
            demander(client, f"inconnu{i}@exemple.gouv.fr", django_capture_on_commit_callbacks).status_code
            == 302
        )
    reponse = demander(client, agent.email, django_capture_on_commit_callbacks)
    assert reponse.status_code == 429
    assert "Trop de demandes de réinitialisation" in reponse.content.decode()
    assert mail.outbox == []
    # Une autre adresse IP n'est pas bloquée.
    autre = demander_depuis(client, agent.email, "203.0.113.9", django_capture_on_commit_callbacks)
    assert autre.status_code == 302 and len(mail.outbox) == 1


def demander_depuis(client, email, ip, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_lien_faux_et_page_de_connexion(client):
    reponse = client.get(reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "faux"}))
    assert reponse.status_code == 200 and reponse.context["validlink"] is False
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page and "Mot de passe oublié ?" in page


def test_la_reinitialisation_debloque_la_connexion(
    client, agent, settings, django_capture_on_commit_callbacks
):
    """Un compte bloqué par django-axes après des échecs se reconnecte avec son nouveau mot de passe."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "demo-departement", "password": "mauvais"})
    assert client.post(reverse("login"), {"username": "demo-departement", "password": "x"}).status_code == 429
    demander(client, agent.email, django_capture_on_commit_callbacks)
    lien = re.search(r"https?://\S+/mot-de-passe/nouveau/\S+/", mail.outbox[0].body).group(0)
    formulaire = client.get("/" + lien.split("/", 3)[3]).url
    client.post(formulaire, {"new_password1": NOUVEAU, "new_password2": NOUVEAU})
    reponse = client.post(reverse("login"), {"username": "demo-departement", "password": NOUVEAU})
    assert reponse.status_code == 302
