"""Centre de notifications (app echanges/) : chaque événement de la note de synthèse donne exactement une
notification à chaque compte concerné, et les e-mails que ses préférences demandent (immédiat, une seule
fois, après la validation ; résumé quotidien par beat, une seule fois) ; cloche, page, préférences.

Territoires réels : Ille-et-Vilaine (35) et Côtes-d'Armor (22) en Bretagne (53), Ain (01) en
Auvergne-Rhône-Alpes (84)."""

import itertools

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comptes.constants import Role
from comptes.models import User
from echanges.constants import Canal, Frequence, TypeNotification
from echanges.models import EnvoiNotification, Notification
from echanges.services import (
    evenement_notifier,
    notifications_creer,
    preferences_notification_enregistrer,
    resume_quotidien_envoyer,
)
from pvd.celery import app
from syntheses.models import SectionDepartementale, Synthese
from syntheses.services import (
    section_dispenser,
    section_renvoyer,
    synthese_transmettre,
    synthese_valider,
    synthese_vue_ensemble_enregistrer,
)
from tests.syntheses.test_workflow import soumettre_complet
from tests.syntheses_outils import campagne

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def taches_immediates():
    """Les tâches Celery s'exécutent dans le processus (le vrai code de la tâche, sans broker)."""
    avant = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = avant


def compte(username, **valeurs):
    return User.objects.create(username=username, email=f"{username}@example.gouv.fr", **valeurs)


@pytest.fixture
def agents(user_departemental, user_regional, user_national):
    return {
        "35": user_departemental,
        "35b": compte("agent-35b", role=Role.DEPARTEMENTAL, departement_id="35"),
        "22": compte("agent-22-notif", role=Role.DEPARTEMENTAL, departement_id="22"),
        "01": compte("agent-01-notif", role=Role.DEPARTEMENTAL, departement_id="01"),
        "53": user_regional,
        "53b": compte("agent-53b", role=Role.REGIONAL, region_id="53"),
        "84": compte("agent-84-notif", role=Role.REGIONAL, region_id="84"),
        "national": user_national,
    }


@pytest.fixture
def note(user_national):
    c = campagne(user=user_national)
    return Synthese.objects.select_related("campagne", "region").get(campagne=c, region="53")


def section(note, code):
    return SectionDepartementale.objects.select_related("synthese").get(synthese=note, departement=code)


def destinataires(type):
    return sorted(Notification.objects.filter(type=type).values_list("destinataire__username", flat=True))


def test_soumission_puis_renvoi_une_notification_par_agent_concerne(
    agents, note, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        soumettre_complet(note, "35")  # par un agent « agent-35 » créé par l'outil des tests du workflow
    # La région est prévenue (ses deux agents), personne d'autre.
    assert destinataires(TypeNotification.SECTION_SOUMISE) == ["agent-53b", "demo-region"]
    # Immédiat par défaut pour une soumission : un e-mail à chacun, en français.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "agent-53b@example.gouv.fr",
        "demo-region@example.gouv.fr",
    ]
    assert "Section Ille-et-Vilaine soumise à la région" in mail.outbox[0].subject

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        section_renvoyer(section=section(note, "35"), user=agents["53"], commentaire="Précisez les leviers.")
    # Les agents du 35 (dont celui qui a soumis), pas l'auteur du renvoi, pas les autres départements.
    assert destinataires(TypeNotification.SECTION_RENVOYEE) == ["agent-35", "agent-35b", "demo-departement"]
    notif = Notification.objects.get(type=TypeNotification.SECTION_RENVOYEE, destinataire=agents["35"])
    assert notif.url == reverse("syntheses:section", args=[section(note, "35").pk])
    assert "Précisez les leviers." in notif.texte and "Yann Le Gall" in notif.texte
    # agent-35 n'a pas d'adresse : deux e-mails seulement.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "agent-35b@example.gouv.fr",
        "demo-departement@example.gouv.fr",
    ]
    assert "Précisez les leviers." in mail.outbox[0].body


def test_un_evenement_rejoue_ne_duplique_ni_notification_ni_e_mail(
    agents, note, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        soumettre_complet(note, "35")
    s = section(note, "35")
    with django_capture_on_commit_callbacks(execute=True):
        section_renvoyer(section=s, user=agents["53"], commentaire="À reprendre.")
    compte_avant, emails_avant = Notification.objects.count(), len(mail.outbox)
    s.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        # Le même événement livré deux fois (tâche rejouée) : la contrainte d'unicité et la trace d'envoi.
        evenement_notifier(
            type="section_renvoyee", objet_type="section", objet_id=s.pk, acteur_id=agents["53"].pk
        )
        from echanges.tasks import notification_envoyer_task

        for n in Notification.objects.all():
            notification_envoyer_task.delay(n.pk)
    assert Notification.objects.count() == compte_avant
    assert len(mail.outbox) == emails_avant
    assert EnvoiNotification.objects.filter(canal=Canal.IMMEDIAT).count() == emails_avant


def test_rien_ne_part_si_la_transaction_est_annulee(agents, note, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as rappels:
        soumettre_complet(note, "35")
    # Tant que la transaction n'est pas validée, aucune notification n'existe (elles partent à la validation).
    assert rappels and not Notification.objects.exists()


def test_validation_et_transmission(agents, note, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for code in ("22", "29", "35"):
            soumettre_complet(note, code)
        section_dispenser(section=section(note, "56"), user=agents["53"], motif="Pas de contribution.")
        note = synthese_vue_ensemble_enregistrer(
            synthese=note,
            user=agents["53"],
            vue_ensemble="La Bretagne avance.",
            version=note.version,
            lieu="Rennes",
            signataire_titre="Le préfet de la région Bretagne",
            signataire_nom="Philippe Gustin",
        )
        synthese_valider(synthese=note, user=agents["53"])
    # Région : l'autre agent (pas celui qui valide) ; départements non dispensés : « section validée ».
    assert destinataires(TypeNotification.NOTE_VALIDEE) == ["agent-53b"]
    assert destinataires(TypeNotification.SECTION_VALIDEE) == [
        "agent-22",
        "agent-22-notif",
        "agent-29",
        "agent-35",
        "agent-35b",
        "demo-departement",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        synthese_transmettre(synthese=note, user=agents["53"])
    nationaux = list(
        User.objects.filter(role=Role.NATIONAL, is_active=True).values_list("username", flat=True)
    )
    assert destinataires(TypeNotification.NOTE_TRANSMISE) == sorted(
        ["agent-53b", "agent-22", "agent-22-notif", "agent-29", "agent-35", "agent-35b", "demo-departement"]
        + nationaux
    )
    # Personne hors de la Bretagne (hors national).
    assert not Notification.objects.filter(destinataire__in=[agents["01"], agents["84"]]).exists()


def test_preferences_resume_quotidien_et_produit_seulement(agents, note, django_capture_on_commit_callbacks):
    preferences_notification_enregistrer(
        user=agents["53"], frequences={TypeNotification.SECTION_SOUMISE: Frequence.QUOTIDIEN}
    )
    preferences_notification_enregistrer(
        user=agents["53b"], frequences={TypeNotification.SECTION_SOUMISE: Frequence.PRODUIT}
    )
    with django_capture_on_commit_callbacks(execute=True):
        soumettre_complet(note, "35")
        soumettre_complet(note, "22")
    # Aucun e-mail immédiat ; les notifications sont là.
    assert mail.outbox == []
    assert Notification.objects.filter(destinataire=agents["53"]).count() == 2
    assert Notification.objects.filter(destinataire=agents["53b"]).count() == 2

    assert resume_quotidien_envoyer() == 1
    (resume,) = mail.outbox
    assert resume.to == ["demo-region@example.gouv.fr"]
    assert resume.subject == "[PVD Suivi] Votre résumé du jour : 2 notifications"
    assert "Section Ille-et-Vilaine soumise" in resume.body and "Section Côtes-d'Armor soumise" in resume.body
    # Une seule fois : beat qui repasse n'envoie rien de plus.
    assert resume_quotidien_envoyer() == 0
    assert len(mail.outbox) == 1


def test_notifications_creer_ignore_l_acteur_et_les_doublons(agents):
    creees = notifications_creer(
        cle="essai:1",
        lots=[
            ([agents["35"], agents["35b"]], TypeNotification.ECHEANCE, "Échéance", ""),
            ([agents["35"]], TypeNotification.ECHEANCE, "Échéance", ""),
        ],
        url="/",
        acteur=agents["35b"],
    )
    assert [n.destinataire for n in creees] == [agents["35"]]


# --- Vues ---------------------------------------------------------------------------------------------


NUMEROS = itertools.count()


def notifier(user, n, **valeurs):
    return [
        Notification.objects.create(
            destinataire=user,
            type=TypeNotification.ECHEANCE,
            cle=f"t:{next(NUMEROS)}",
            titre=f"Titre {i}",
            url="/compte/",
            **valeurs,
        )
        for i in range(n)
    ]


def test_cloche_nombre_de_non_lues_en_une_requete(client, agents):
    notifier(agents["35"], 3)
    notifier(agents["35b"], 5)  # celles d'un autre ne comptent pas
    client.force_login(agents["35"])
    with CaptureQueriesContext(connection) as requetes:
        reponse = client.get(reverse("compte"))
    assert reponse.status_code == 200
    html = reponse.content.decode()
    assert 'id="notifications-non-lues">3<span class="fr-sr-only"> non lues</span>' in html
    assert len([q for q in requetes if "echanges_notification" in q["sql"]]) == 1


def test_cloche_sans_notification_pas_de_badge(client, agents):
    client.force_login(agents["35"])
    html = client.get(reverse("compte")).content.decode()
    assert 'id="cloche-notifications"' in html and "notifications-non-lues" not in html


def test_page_des_notifications_filtre_ouvre_marque_lue(client, agents):
    anciennes = notifier(agents["35"], 2)
    client.force_login(agents["35"])
    reponse = client.get(reverse("echanges:notifications"))
    assert [n.pk for n in reponse.context["notifications"]] == [anciennes[1].pk, anciennes[0].pk]
    # Ouvrir : marquée lue, redirection vers l'objet.
    reponse = client.get(reverse("echanges:notification", args=[anciennes[0].pk]))
    assert reponse.status_code == 302 and reponse.url == "/compte/"
    assert [
        n.pk
        for n in client.get(reverse("echanges:notifications"), {"etat": "non_lues"}).context["notifications"]
    ] == [anciennes[1].pk]
    assert [
        n.pk for n in client.get(reverse("echanges:notifications"), {"etat": "lues"}).context["notifications"]
    ] == [anciennes[0].pk]
    client.post(reverse("echanges:notification_lue", args=[anciennes[1].pk]))
    assert not Notification.objects.filter(destinataire=agents["35"], lue_le__isnull=True).exists()
    notifier(agents["35"], 4)
    client.post(reverse("echanges:notifications_tout_lire"))
    assert not Notification.objects.filter(destinataire=agents["35"], lue_le__isnull=True).exists()


def test_la_notification_d_un_autre_compte_est_introuvable(client, agents):
    (autre,) = notifier(agents["35b"], 1)
    client.force_login(agents["35"])
    assert client.get(reverse("echanges:notification", args=[autre.pk])).status_code == 404
    assert client.post(reverse("echanges:notification_lue", args=[autre.pk])).status_code == 404
    client.post(reverse("echanges:notifications_tout_lire"))
    autre.refresh_from_db()
    assert autre.lue_le is None


def test_preferences_sur_mon_compte(client, agents):
    client.force_login(agents["35"])
    html = client.get(reverse("compte")).content.decode()
    assert "Mes notifications" in html and "Section renvoyée par la région" in html
    donnees = {t: Frequence.PRODUIT for t in TypeNotification.values}
    donnees[TypeNotification.MENTION] = Frequence.QUOTIDIEN
    reponse = client.post(reverse("echanges:preferences"), donnees)
    assert reponse.status_code == 302 and reponse.url == reverse("compte") + "#notifications"
    from echanges.services import preferences_de

    assert preferences_de(agents["35"])[TypeNotification.MENTION] == Frequence.QUOTIDIEN
    assert preferences_de(agents["35"])[TypeNotification.SECTION_RENVOYEE] == Frequence.PRODUIT
    # Valeur inconnue : refusée, rien n'est écrit.
    donnees[TypeNotification.MENTION] = "pigeon"
    assert client.post(reverse("echanges:preferences"), donnees).status_code == 200
    assert preferences_de(agents["35"])[TypeNotification.MENTION] == Frequence.QUOTIDIEN


def test_anonyme_renvoye_a_la_connexion(client):
    for nom in ("echanges:notifications", "echanges:preferences"):
        reponse = client.get(reverse(nom))
        assert reponse.status_code == 302 and reponse.url.startswith(reverse("login"))


def test_les_rappels_rejoignent_le_centre_de_notifications(agents, note):
    """Un rappel d'échéance (app rappels) donne une notification « échéance », sans second e-mail."""
    import datetime

    from rappels.services import rappels_campagne_envoyer

    envoyes = rappels_campagne_envoyer(aujourd_hui=note.campagne.date_echeance - datetime.timedelta(days=3))
    assert envoyes == len(mail.outbox) and envoyes > 0
    echeances = Notification.objects.filter(type=TypeNotification.ECHEANCE)
    assert sorted(echeances.values_list("destinataire__email", flat=True)) == sorted(
        m.to[0] for m in mail.outbox
    )
    n = echeances.get(destinataire=agents["35"])
    assert "Ille-et-Vilaine" in n.titre and n.url == reverse(
        "syntheses:section", args=[section(note, "35").pk]
    )
    mail.outbox.clear()
    assert resume_quotidien_envoyer() == 0 and mail.outbox == []
    # Le rappel ne repart pas, la notification n'est pas dupliquée.
    assert rappels_campagne_envoyer(aujourd_hui=note.campagne.date_echeance - datetime.timedelta(days=3)) == 0
    assert Notification.objects.filter(type=TypeNotification.ECHEANCE).count() == echeances.count()


@pytest.mark.django_db
def test_les_valeurs_officielles_a_confirmer_sont_notifiees_une_fois_par_chargement(user_departemental):
    from communes.models import Convention, Ort
    from echanges.constants import TypeNotification
    from echanges.models import Notification
    from echanges.services import valeurs_a_confirmer_notifier

    attendu = (
        Convention.objects.filter(a_confirmer=True, territoire__departement_id="35").count()
        + Ort.objects.filter(a_confirmer=True, territoire__departement_id="35").count()
    )
    assert attendu > 0  # la base de test est chargée des fichiers officiels
    valeurs_a_confirmer_notifier()
    notifications = Notification.objects.filter(
        destinataire=user_departemental, type=TypeNotification.VALEUR_A_CONFIRMER
    )
    assert notifications.count() == 1
    assert (
        notifications.get().titre
        == f"Ille-et-Vilaine : {attendu} valeurs des données officielles à confirmer"
    )
    valeurs_a_confirmer_notifier()  # rejouée (beat de la nuit suivante) : rien de plus
    assert notifications.count() == 1
