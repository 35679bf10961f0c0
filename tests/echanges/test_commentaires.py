"""Fils de commentaires (app echanges/) sur une section de note et sur une fiche commune : visibilité
choisie par commentaire, appliquée sur chaque page et dans les notifications ; mentions ; modification par
l'auteur pendant 15 minutes, avec l'historique.

Territoires réels : Ille-et-Vilaine (35, commune 35012) en Bretagne (53) ; Ain (01) en
Auvergne-Rhône-Alpes (84)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from comptes.constants import Role
from comptes.models import User
from echanges.constants import TypeNotification, Visibilite
from echanges.models import Commentaire, Notification
from echanges.services import commentaire_modifier, commentaire_publier
from pvd.celery import app
from syntheses.models import SectionDepartementale
from territoires.models import Commune
from tests.syntheses_outils import campagne

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def taches_immediates():
    avant = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = avant


@pytest.fixture
def comptes(user_departemental, user_regional, user_national, user_admin):
    return {
        "departement": user_departemental,
        "region": user_regional,
        "national": user_national,
        "admin": user_admin,
        "autre_departement": User.objects.create(
            username="agent-22-fil", role=Role.DEPARTEMENTAL, departement_id="22", email="a22@example.gouv.fr"
        ),
        "autre_region": User.objects.create(username="agent-84-fil", role=Role.REGIONAL, region_id="84"),
    }


@pytest.fixture
def commune():
    return Commune.objects.select_related("departement").get(code_insee="35012")


@pytest.fixture
def section(user_national):
    c = campagne(user=user_national)
    return SectionDepartementale.objects.select_related("synthese__campagne", "departement").get(
        synthese__campagne=c, departement="35"
    )


# Qui lit un commentaire du 35 selon sa visibilité.
LECTEURS = {
    Visibilite.DEPARTEMENT: {"departement"},
    Visibilite.REGION: {"departement", "region"},
    Visibilite.TOUS: {"departement", "region", "national", "admin"},
}


@pytest.mark.parametrize("visibilite", list(Visibilite))
@pytest.mark.parametrize("objet", ["section", "commune"])
def test_visibilite_appliquee_sur_chaque_page(client, comptes, commune, section, visibilite, objet):
    cible = {"section": section, "commune": commune}[objet]
    texte = f"Texte réservé {visibilite}"
    commentaire = commentaire_publier(
        auteur=comptes["departement"], texte=texte, visibilite=visibilite, **{objet: cible}
    )
    page_objet = (
        reverse("syntheses:section", args=[section.pk])
        if objet == "section"
        else reverse("communes:detail", args=[commune.code_insee])
    )
    page_fil = (
        reverse("echanges:fil_section", args=[section.pk])
        if objet == "section"
        else reverse("echanges:fil_commune", args=[commune.code_insee])
    )
    modifier = reverse("echanges:commentaire_modifier", args=[commentaire.pk])
    for nom in ("departement", "region", "national", "admin", "autre_departement", "autre_region"):
        client.force_login(comptes[nom])
        voit = nom in LECTEURS[visibilite]
        hors_territoire = nom.startswith("autre_")
        for url in (page_objet, page_fil):
            reponse = client.get(url)
            if hors_territoire:
                assert reponse.status_code == 404, (nom, url)
                continue
            assert reponse.status_code == 200, (nom, url)
            assert (texte in reponse.content.decode()) is voit, (nom, url)
        # La modification : l'auteur (dans les 15 minutes), 403 pour qui le lit sans l'avoir écrit,
        # 404 pour qui ne le lit pas.
        attendu = 200 if nom == "departement" else (403 if voit else 404)
        assert client.get(modifier).status_code == attendu, nom
        assert client.post(modifier, {"texte": "piraté"}).status_code in (
            {attendu} if attendu != 200 else {302}
        ), nom
    commentaire.refresh_from_db()
    assert commentaire.texte in (texte, "piraté")  # seul l'auteur a pu le changer


@pytest.mark.parametrize("visibilite", list(Visibilite))
def test_notifications_seulement_aux_lecteurs(
    comptes, section, visibilite, django_capture_on_commit_callbacks
):
    """Un commentaire sur une section prévient le département et la région qui le lisent, jamais les autres,
    et le texte de la notification (l'extrait) ne va qu'à eux."""
    autre_agent_35 = User.objects.create(
        username="agent-35-fil", role=Role.DEPARTEMENTAL, departement_id="35"
    )
    with django_capture_on_commit_callbacks(execute=True):
        commentaire_publier(
            auteur=comptes["departement"],
            texte="Les leviers sont à revoir.",
            visibilite=visibilite,
            section=section,
        )
    recus = set(Notification.objects.values_list("destinataire__username", flat=True))
    attendus = {"agent-35-fil"} | ({"demo-region"} if visibilite != Visibilite.DEPARTEMENT else set())
    assert recus == attendus
    assert all("Les leviers sont à revoir." in n.texte for n in Notification.objects.all())
    assert not Notification.objects.filter(destinataire=comptes["departement"]).exists()  # pas l'auteur
    assert autre_agent_35.notifications.get().type == TypeNotification.COMMENTAIRE


def test_reponse_de_la_region_previent_l_auteur_du_fil(comptes, commune, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        commentaire_publier(
            auteur=comptes["departement"],
            texte="Convention signée ?",
            visibilite=Visibilite.REGION,
            commune=commune,
        )
        commentaire_publier(
            auteur=comptes["region"], texte="Oui, en mai.", visibilite=Visibilite.REGION, commune=commune
        )
    (n,) = Notification.objects.filter(destinataire=comptes["departement"])
    assert n.type == TypeNotification.COMMENTAIRE and "Yann Le Gall a commenté la fiche de" in n.titre
    assert n.url.startswith(reverse("communes:detail", args=[commune.code_insee]) + "#commentaire-")


def test_mention_par_le_formulaire(client, comptes, commune):
    client.force_login(comptes["departement"])
    url = reverse("echanges:fil_commune", args=[commune.code_insee])
    # « Département seulement » : la région ne lirait pas le commentaire, la mention est refusée.
    reponse = client.post(url, {"texte": "Avis de @demo-region ?", "visibilite": Visibilite.DEPARTEMENT})
    assert reponse.status_code == 200 and "ne peut pas lire ce commentaire" in reponse.content.decode()
    assert not Commentaire.objects.exists()
    # Compte inconnu ou hors territoire : refusé aussi.
    reponse = client.post(url, {"texte": "@agent-22-fil ?", "visibilite": Visibilite.TOUS})
    assert "@agent-22-fil" in reponse.content.decode() and not Commentaire.objects.exists()
    reponse = client.post(url, {"texte": "Avis de @demo-region ?", "visibilite": Visibilite.REGION})
    assert reponse.status_code == 302
    commentaire = Commentaire.objects.get()
    assert list(commentaire.mentions.all()) == [comptes["region"]]
    (n,) = Notification.objects.filter(destinataire=comptes["region"])
    assert n.type == TypeNotification.MENTION and "vous a mentionné" in n.titre
    # Une région ne choisit pas « département seulement » (elle ne lirait pas son propre commentaire).
    client.force_login(comptes["region"])
    reponse = client.post(url, {"texte": "Entre nous", "visibilite": Visibilite.DEPARTEMENT})
    assert reponse.status_code == 200 and Commentaire.objects.count() == 1


def test_modification_pendant_15_minutes_avec_historique(client, comptes, commune):
    commentaire = commentaire_publier(
        auteur=comptes["departement"], texte="Premier jet.", visibilite=Visibilite.REGION, commune=commune
    )
    client.force_login(comptes["departement"])
    url = reverse("echanges:commentaire_modifier", args=[commentaire.pk])
    assert client.post(url, {"texte": "Version corrigée."}).status_code == 302
    commentaire.refresh_from_db()
    assert commentaire.texte == "Version corrigée." and commentaire.modifie_le is not None
    assert commentaire.visibilite == Visibilite.REGION
    assert [h.texte for h in commentaire.history.order_by("history_date")] == [
        "Premier jet.",
        "Version corrigée.",
    ]
    html = client.get(reverse("communes:detail", args=[commune.code_insee])).content.decode()
    assert "Version corrigée." in html and "Versions précédentes (1)" in html and "Premier jet." in html
    # Après 15 minutes : plus modifiable, même par l'auteur.
    Commentaire.objects.filter(pk=commentaire.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=16)
    )
    assert client.get(url).status_code == 403
    commentaire.refresh_from_db()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        commentaire_modifier(commentaire=commentaire, user=comptes["departement"], texte="Trop tard")


def test_le_fil_d_un_objet_hors_territoire_est_introuvable(client, comptes):
    client.force_login(comptes["departement"])
    assert client.get(reverse("echanges:fil_commune", args=["01034"])).status_code == 404
    assert (
        client.post(
            reverse("echanges:fil_commune", args=["01034"]), {"texte": "x", "visibilite": "tous"}
        ).status_code
        == 404
    )
    assert not Commentaire.objects.exists()


def test_extrait_masque_si_le_commentaire_n_est_plus_visible(
    client, comptes, commune, django_capture_on_commit_callbacks
):
    """Un agent qui change de département ne lit plus, dans ses notifications, l'extrait d'un commentaire
    « département seulement » de son ancien département."""
    ancien = User.objects.create(username="agent-35-mutation", role=Role.DEPARTEMENTAL, departement_id="35")
    with django_capture_on_commit_callbacks(execute=True):
        commentaire_publier(
            auteur=comptes["departement"],
            texte="Secret du 35 @agent-35-mutation",
            visibilite=Visibilite.DEPARTEMENT,
            commune=commune,
            mentionnes=[ancien],
        )
    client.force_login(ancien)
    assert "Secret du 35" in client.get(reverse("echanges:notifications")).content.decode()
    User.objects.filter(pk=ancien.pk).update(departement_id="22")
    html = client.get(reverse("echanges:notifications")).content.decode()
    assert "Secret du 35" not in html and "Ce commentaire ne vous est plus visible." in html
