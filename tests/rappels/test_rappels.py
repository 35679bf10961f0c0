"""Rappels par e-mail (app rappels/) : destinataires (et eux seuls), contenu en français, envoi unique,
désinscription, bornes de dates ; et un vrai `celery beat` + worker qui les produit.

Territoires réels : Ille-et-Vilaine (35) et Côtes-d'Armor (22) en Bretagne (53), Ain (01) en
Auvergne-Rhône-Alpes (84)."""

import datetime
import email
import email.policy
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from communes.constants import TypeConvention
from communes.models import Convention, Territoire
from communes.querysets import mois_apres
from comptes.constants import Role
from comptes.models import User
from pvd.celery import app
from rappels import services
from rappels.constants import TypeRappel
from rappels.jetons import jeton_desinscription
from rappels.models import Rappel
from rappels.services import (
    convention_cadre_destinataires,
    rappels_campagne_envoyer,
    rappels_club_envoyer,
    rappels_convention_cadre_envoyer,
)
from syntheses.constants import EtatSection
from syntheses.models import Campagne, SectionDepartementale, Synthese
from syntheses.services import campagne_creer
from tests.clubs.factories import ReunionClubFactory
from tests.processus import BASE_DIR, arreter, commande_worker, process_env

ECHEANCE = datetime.date(2023, 6, 25)


@pytest.fixture
def agents(db, user_departemental, user_regional, user_national):
    """Un agent par territoire, avec une adresse : 35 (compte de démo), 22, 01 ; régions 53 et 84."""

    def agent(username, **valeurs):
        return User.objects.create(username=username, email=f"{username}@example.gouv.fr", **valeurs)

    return {
        "35": user_departemental,
        "22": agent("agent-22", role=Role.DEPARTEMENTAL, departement_id="22"),
        "01": agent("agent-01", role=Role.DEPARTEMENTAL, departement_id="01"),
        "53": user_regional,
        "84": agent("agent-84", role=Role.REGIONAL, region_id="84"),
        "national": user_national,
    }


def destinataires():
    return sorted(adresse for message in mail.outbox for adresse in message.to)


def message_de(user):
    messages = [m for m in mail.outbox if m.to == [user.email]]
    assert len(messages) == 1, [m.subject for m in messages]
    return messages[0]


def html_de(message):
    ((html, type_mime),) = message.alternatives
    assert type_mime == "text/html"
    return html


def lien_desinscription(message):
    return re.search(r"Ne plus recevoir ces rappels \(un clic\) : (\S+)", message.body).group(1)


# --- Campagne ---------------------------------------------------------------------------------------------


@pytest.fixture
def campagne(user_national):
    return campagne_creer(
        nom="Campagne 2023",
        date_echeance=ECHEANCE,
        date_limite_phase_operationnelle=datetime.date(2024, 1, 1),
        questions="Quelle dynamique ?",
        user=user_national,
    )


def test_campagne_rappelle_les_sections_non_soumises_a_leur_departement_seulement(agents, campagne):
    SectionDepartementale.objects.filter(synthese__campagne=campagne, departement="22").update(
        etat=EtatSection.SOUMISE
    )
    envoyes = rappels_campagne_envoyer(aujourd_hui=ECHEANCE - datetime.timedelta(days=7))

    # 35 et 01 : leur section ; 22 (soumise) : rien ; régions 53 et 84 : leur note ; national : rien.
    assert destinataires() == sorted(agents[c].email for c in ("35", "01", "53", "84"))
    assert envoyes == 4
    message = message_de(agents["35"])
    assert message.subject == (
        "[PVD Suivi] Note de synthèse « Campagne 2023 » : section Ille-et-Vilaine à remettre avant le 25 juin 2023"
    )
    assert "Bonjour Claire Morvan," in message.body
    assert "La section Ille-et-Vilaine (35)" in message.body and "Bretagne" in message.body
    section = SectionDepartementale.objects.get(synthese__campagne=campagne, departement="35")
    assert f"http://127.0.0.1:8000/syntheses/sections/{section.pk}/" in message.body
    assert "Côtes-d" not in message.body and "Ain" not in message.subject
    assert "Ille-et-Vilaine" in html_de(message) and 'lang="fr"' in html_de(message)
    assert message_de(agents["01"]).subject.endswith("section Ain à remettre avant le 25 juin 2023")

    note = message_de(agents["53"])
    assert note.subject == (
        "[PVD Suivi] Note de synthèse « Campagne 2023 » : note Bretagne à transmettre avant le 25 juin 2023"
    )
    # Sections bretonnes pas encore soumises : 29, 35, 56 ; pas 22 (soumise), aucun département d'ailleurs.
    assert (
        "Ille-et-Vilaine (35)" in note.body and "Finistère (29)" in note.body and "Morbihan (56)" in note.body
    )
    assert (
        "Côtes-d’Armor" not in note.body and "Côtes-d'Armor" not in note.body and "Ain (01)" not in note.body
    )
    assert set(Rappel.objects.values_list("type", "user__username")) == {
        (TypeRappel.CAMPAGNE_SECTION, "demo-departement"),
        (TypeRappel.CAMPAGNE_SECTION, "agent-01"),
        (TypeRappel.CAMPAGNE_NOTE, "demo-region"),
        (TypeRappel.CAMPAGNE_NOTE, "agent-84"),
    }


def test_campagne_bornes_n_jours_avant_pas_n_plus_un_ni_apres_l_echeance(agents, campagne, settings):
    settings.RAPPEL_CAMPAGNE_JOURS = 7
    assert rappels_campagne_envoyer(aujourd_hui=ECHEANCE - datetime.timedelta(days=8)) == 0
    assert rappels_campagne_envoyer(aujourd_hui=ECHEANCE + datetime.timedelta(days=1)) == 0
    assert mail.outbox == []
    # Le jour même de l'échéance, le rappel part encore (la tâche a pu être arrêtée les jours d'avant).
    assert rappels_campagne_envoyer(aujourd_hui=ECHEANCE) == 5


def test_campagne_ni_section_dispensee_ni_note_transmise(agents, campagne):
    SectionDepartementale.objects.filter(synthese__campagne=campagne, departement="35").update(dispensee=True)
    Synthese.objects.filter(campagne=campagne, region="84").update(etat="transmise")
    rappels_campagne_envoyer(aujourd_hui=ECHEANCE - datetime.timedelta(days=3))
    # 35 dispensée ; note 84 transmise : ni la région ni la section de l'Ain (01) ne sont rappelées.
    assert destinataires() == sorted([agents["22"].email, agents["53"].email])


def test_campagne_un_seul_envoi_meme_relancee(agents, campagne):
    jour = ECHEANCE - datetime.timedelta(days=5)
    assert rappels_campagne_envoyer(aujourd_hui=jour) == 5
    assert rappels_campagne_envoyer(aujourd_hui=jour) == 0
    assert rappels_campagne_envoyer(aujourd_hui=jour + datetime.timedelta(days=1)) == 0
    assert len(mail.outbox) == 5 and Rappel.objects.count() == 5


def test_la_contrainte_seule_empeche_le_second_envoi(agents, campagne, monkeypatch):
    """Deux tâches concurrentes ont lu « rien d'envoyé » avant que l'une n'écrive : la contrainte
    d'unicité décide, pas la lecture préalable."""
    jour = ECHEANCE - datetime.timedelta(days=5)
    assert rappels_campagne_envoyer(aujourd_hui=jour) == 5
    monkeypatch.setattr(services, "_deja_envoyes", lambda **kwargs: set())
    assert rappels_campagne_envoyer(aujourd_hui=jour) == 0
    assert len(mail.outbox) == 5 and Rappel.objects.count() == 5


def test_echec_d_envoi_rien_n_est_enregistre_et_le_rappel_repart(agents, campagne, monkeypatch):
    jour = ECHEANCE - datetime.timedelta(days=5)
    envoyer = services.EmailMultiAlternatives.send

    def en_panne(message, *args, **kwargs):
        if message.to == [agents["35"].email]:
            raise ConnectionRefusedError("serveur SMTP injoignable")
        return envoyer(message, *args, **kwargs)

    monkeypatch.setattr(services.EmailMultiAlternatives, "send", en_panne)
    assert rappels_campagne_envoyer(aujourd_hui=jour) == 4  # les autres partent
    assert not Rappel.objects.filter(user=agents["35"]).exists()
    monkeypatch.setattr(services.EmailMultiAlternatives, "send", envoyer)
    assert rappels_campagne_envoyer(aujourd_hui=jour) == 1
    assert Rappel.objects.filter(user=agents["35"]).count() == 1


# --- Échéance des 18 mois de la convention-cadre --------------------------------------------------------

# Aucune adhésion de la liste réelle n'a son échéance dans la fenêtre de ce jour (la dernière date de 2024).
AUJOURD_HUI = datetime.date(2026, 6, 1)


def adhesion(code_insee, *, echeance):
    """Fixe la date d'adhésion du territoire de la commune pour que ses 18 mois tombent à `echeance`."""
    territoire = Territoire.objects.get(communes__code_insee=code_insee)
    Convention.objects.update_or_create(
        territoire=territoire,
        type=TypeConvention.ADHESION,
        defaults={"date_signature": mois_apres(echeance, -18)},
    )
    assert mois_apres(mois_apres(echeance, -18), 18) == echeance
    return territoire


def jour(n):
    return AUJOURD_HUI + datetime.timedelta(days=n)


def test_convention_cadre_un_email_par_agent_avec_les_communes_de_son_departement(agents, settings):
    settings.RAPPEL_CONVENTION_CADRE_JOURS = 60
    adhesion("35012", echeance=jour(10))  # Bain-de-Bretagne
    adhesion("35136", echeance=jour(60))  # Janzé : dernier jour de la fenêtre
    adhesion("35049", echeance=jour(61))  # Cancale : un jour trop tard
    adhesion("35004", echeance=jour(-2))  # Val-Couesnon : déjà dépassée (alerte de la fiche, pas de rappel)
    signee = adhesion("35093", echeance=jour(20))  # Dinard : convention-cadre signée
    Convention.objects.create(territoire=signee, type=TypeConvention.CADRE, date_signature=jour(-30))
    retire = adhesion("35085", echeance=jour(20))  # Combourg : territoire retiré
    Territoire.objects.filter(pk=retire.pk).update(date_retrait=jour(-100))
    en_elaboration = adhesion("35095", echeance=jour(0))  # Dol-de-Bretagne : en élaboration, échéance ce jour
    Convention.objects.create(territoire=en_elaboration, type=TypeConvention.CADRE)
    adhesion("01034", echeance=jour(30))  # Belley (Ain)

    assert rappels_convention_cadre_envoyer(aujourd_hui=AUJOURD_HUI) == 2
    assert destinataires() == sorted([agents["35"].email, agents["01"].email])
    message = message_de(agents["35"])
    assert message.subject == (
        "[PVD Suivi] Ille-et-Vilaine : convention-cadre à signer avant l’échéance des 18 mois pour 3 communes"
    )
    for nom in ("Dol-de-Bretagne (35095)", "Bain-de-Bretagne (35012)", "Janzé (35136)"):
        assert nom in message.body and nom.split(" (")[0] in html_de(message)
    for absente in ("Cancale", "Val-Couesnon", "Dinard", "Combourg", "Belley"):
        assert absente not in message.body
    assert "échéance le 11 juin 2026 (dans 10 jours)" in message.body
    assert "échéance le 1er juin 2026 (aujourd’hui)" in message.body
    assert "adhésion signée le 11 décembre 2024" in message.body
    assert "http://127.0.0.1:8000/communes/35012/" in message.body
    assert (
        message.body.index("Dol-de-Bretagne")
        < message.body.index("Bain-de-Bretagne")
        < message.body.index("Janzé")
    )
    belley = message_de(agents["01"])
    assert belley.subject.endswith("Ain : convention-cadre à signer avant l’échéance des 18 mois pour Belley")
    assert "Bain-de-Bretagne" not in belley.body


def test_convention_cadre_une_fois_par_territoire_puis_seulement_les_nouvelles(agents):
    adhesion("35012", echeance=jour(10))
    assert rappels_convention_cadre_envoyer(aujourd_hui=AUJOURD_HUI) == 1
    assert rappels_convention_cadre_envoyer(aujourd_hui=AUJOURD_HUI) == 0
    adhesion("35136", echeance=jour(40))
    assert rappels_convention_cadre_envoyer(aujourd_hui=jour(1)) == 1
    dernier = mail.outbox[-1]
    assert "Janzé" in dernier.body and "Bain-de-Bretagne" not in dernier.body
    assert dernier.subject.endswith("pour Janzé")


def test_convention_cadre_meme_nombre_de_requetes_pour_1_et_pour_12_communes(
    agents, django_assert_num_queries
):
    adhesion("35012", echeance=jour(10))
    with django_assert_num_queries(2) as une:
        assert len(convention_cadre_destinataires(aujourd_hui=AUJOURD_HUI)[0][1]) == 1
    for i, code in enumerate(
        ["35136", "35049", "35004", "35093", "35085", "35095", "35019", "35023", "35037", "35069", "35072"]
    ):
        adhesion(code, echeance=jour(i))
    with django_assert_num_queries(len(une.captured_queries)):
        assert len(convention_cadre_destinataires(aujourd_hui=AUJOURD_HUI)[0][1]) == 12


# --- Club départemental PVD -------------------------------------------------------------------------------


def test_club_rappel_aux_departements_sans_reunion_prevue_dans_le_semestre(agents, settings):
    settings.RAPPEL_CLUB_JOURS = 90
    aujourd_hui = datetime.date(2026, 11, 2)
    ReunionClubFactory(departement_id="22", date=datetime.date(2026, 12, 10))  # prévue : pas de rappel
    ReunionClubFactory(departement_id="01", date=datetime.date(2026, 10, 15))  # tenue, rien de prévu
    ReunionClubFactory(
        departement_id="35", date=datetime.date(2027, 1, 12)
    )  # prévue, mais au semestre suivant
    assert rappels_club_envoyer(aujourd_hui=aujourd_hui) == 2
    assert destinataires() == sorted([agents["35"].email, agents["01"].email])
    message = message_de(agents["35"])
    assert message.subject == (
        "[PVD Suivi] Ille-et-Vilaine : aucune réunion du club PVD prévue d’ici le 31 décembre 2026"
    )
    assert "fin du second semestre (31 décembre 2026)" in message.body
    assert "http://127.0.0.1:8000/clubs/reunions/nouvelle/" in message.body
    assert "1 réunion a déjà été tenue ce semestre." in message_de(agents["01"]).body
    assert Rappel.objects.get(user=agents["35"]).cle == "club:35:2026-S2"


def test_club_bornes_et_une_fois_par_semestre(agents, settings):
    settings.RAPPEL_CLUB_JOURS = 90
    # 31 décembre - 90 jours = 2 octobre.
    assert rappels_club_envoyer(aujourd_hui=datetime.date(2026, 10, 1)) == 0
    assert rappels_club_envoyer(aujourd_hui=datetime.date(2026, 10, 2)) == 3
    assert rappels_club_envoyer(aujourd_hui=datetime.date(2026, 12, 30)) == 0
    # Une réunion datée d'aujourd'hui compte comme prévue.
    ReunionClubFactory(departement_id="35", date=datetime.date(2027, 4, 10))
    assert rappels_club_envoyer(aujourd_hui=datetime.date(2027, 4, 10)) == 2  # nouveau semestre : 22 et 01
    assert sorted(Rappel.objects.filter(user=agents["22"]).values_list("cle", flat=True)) == [
        "club:22:2026-S2",
        "club:22:2027-S1",
    ]


# --- Désinscription et préférences ------------------------------------------------------------------------


def test_compte_desinscrit_ne_recoit_rien(agents, campagne):
    User.objects.filter(pk=agents["35"].pk).update(rappels_actifs=False)
    User.objects.filter(pk=agents["01"].pk).update(email="")
    User.objects.filter(pk=agents["22"].pk).update(is_active=False)
    rappels_campagne_envoyer(aujourd_hui=ECHEANCE)
    assert destinataires() == sorted([agents["53"].email, agents["84"].email])


def test_lien_de_desinscription_en_un_clic(client, agents, campagne):
    rappels_campagne_envoyer(aujourd_hui=ECHEANCE)
    message = message_de(agents["35"])
    lien = lien_desinscription(message)
    assert lien.startswith("http://127.0.0.1:8000/rappels/desinscription/")
    assert lien in html_de(message)
    assert message.extra_headers["List-Unsubscribe"] == f"<{lien}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    reponse = client.get(lien.removeprefix("http://127.0.0.1:8000"))  # sans être connecté
    assert reponse.status_code == 200
    texte = reponse.content.decode()
    assert "Rappels par e-mail désactivés" in texte and "demo-departement" in texte
    assert 'href="/compte/"' in texte
    agents["35"].refresh_from_db()
    assert agents["35"].rappels_actifs is False
    # Un jeton falsifié ou celui d'un autre usage : 404, rien ne change.
    assert client.get(reverse("rappels:desinscription", args=["faux:jeton"])).status_code == 404

    mail.outbox.clear()
    autre = Campagne.objects.create(
        nom="Campagne 2024", date_echeance=ECHEANCE, date_limite_phase_operationnelle=ECHEANCE, questions="?"
    )
    note = Synthese.objects.create(campagne=autre, region_id="53")
    SectionDepartementale.objects.create(synthese=note, departement_id="35")
    rappels_campagne_envoyer(aujourd_hui=ECHEANCE)
    assert agents["35"].email not in destinataires() and agents["53"].email in destinataires()


def test_desinscription_en_un_clic_depuis_la_messagerie_par_post(client, agents):
    jeton = jeton_desinscription(agents["22"])
    client.handler.enforce_csrf_checks = True
    reponse = client.post(reverse("rappels:desinscription", args=[jeton]), {"List-Unsubscribe": "One-Click"})
    assert reponse.status_code == 200
    agents["22"].refresh_from_db()
    assert agents["22"].rappels_actifs is False


def test_page_mon_compte_depuis_l_en_tete(client, user_departemental):
    client.force_login(user_departemental)
    accueil = client.get(reverse("communes:liste")).content.decode()
    assert f'href="{reverse("compte")}"' in accueil and ">Mon compte</a>" in accueil
    page = client.get(reverse("compte"))
    assert page.status_code == 200
    texte = page.content.decode()
    assert "Mes préférences" in texte and "Recevoir les rappels par e-mail" in texte
    assert 'name="rappels_actifs"' in texte and "checked" in texte
    assert "Ille-et-Vilaine (35)" in texte

    reponse = client.post(reverse("compte"), {}, follow=True)  # case décochée
    assert reponse.redirect_chain == [(reverse("compte"), 302)]
    assert "vous ne recevrez plus de rappels par e-mail" in reponse.content.decode()
    user_departemental.refresh_from_db()
    assert user_departemental.rappels_actifs is False
    client.post(reverse("compte"), {"rappels_actifs": "on"})
    user_departemental.refresh_from_db()
    assert user_departemental.rappels_actifs is True


def test_mon_compte_exige_la_connexion(client):
    reponse = client.get(reverse("compte"))
    assert reponse.status_code == 302 and reponse.url.startswith(reverse("login"))


def test_planification_beat_chaque_jour_a_7_heures_heure_de_paris(settings):
    from celery.schedules import crontab

    import communes.tasks  # noqa: F401
    import comptes.tasks  # noqa: F401
    import echanges.tasks  # noqa: F401
    import rappels.tasks  # noqa: F401 (enregistre les tâches, comme l'autodiscover du worker)
    import syntheses.tasks  # noqa: F401
    import tableau.tasks  # noqa: F401

    assert set(settings.CELERY_BEAT_SCHEDULE) == {
        "rappels_campagne_envoyer",
        "rappels_convention_cadre_envoyer",
        "rappels_club_envoyer",
        "generations-reprendre",  # reprise des jobs PDF (toutes les minutes), à côté des rappels
        "evenements-securite-purger",  # purge du journal de sécurité, chaque nuit
        "notifications-resume-quotidien",  # résumé quotidien des notifications (echanges), à 7 h 30
        "notifications-valeurs-a-confirmer",  # valeurs des fichiers officiels à confirmer, chaque nuit
        "chiffres-prechauffer",  # chiffres des tableaux de bord calculés d'avance (chaque minute)
        "imports-abandonnes-clore",  # imports de situations perdus (worker arrêté) : échec, toutes les 5 min
    }
    for nom, entree in settings.CELERY_BEAT_SCHEDULE.items():
        assert entree["task"] in app.tasks
        if nom.startswith("rappels_"):
            assert entree["task"] == f"rappels.{nom}_task"
            assert entree["schedule"] == crontab(hour=7, minute=0)
    assert settings.CELERY_BEAT_SCHEDULE["notifications-resume-quotidien"]["schedule"] == crontab(
        hour=7, minute=30
    )
    assert settings.CELERY_TIMEZONE == "Europe/Paris"


# --- Un vrai celery beat et un vrai worker --------------------------------------------------------------


def _emails_deposes(dossier):
    """Messages écrits par le backend « fichier » de Django (un fichier par connexion, séparateur de 79 -)."""
    messages = []
    for fichier in sorted(Path(dossier).glob("*.log")):
        for bloc in fichier.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if bloc.strip():
                messages.append(email.message_from_bytes(bloc.lstrip(), policy=email.policy.default))
    return messages


@pytest.fixture
def campagne_du_beat(django_db_setup, django_db_blocker):
    """Campagne validée en base (le worker la lit), échéance dans 3 jours ; effacée à la fin avec les rappels."""
    with django_db_blocker.unblock():
        debut = Rappel.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        campagne = campagne_creer(
            nom="Campagne du beat",
            date_echeance=timezone.localdate() + datetime.timedelta(days=3),
            date_limite_phase_operationnelle=timezone.localdate() + datetime.timedelta(days=200),
            questions="Quelle dynamique ?",
        )
        section = SectionDepartementale.objects.get(synthese__campagne=campagne, departement="35")
        note = Synthese.objects.get(campagne=campagne, region="53")
    yield {"section": section, "note": note}
    with django_db_blocker.unblock():
        Rappel.objects.filter(pk__gt=debut).delete()
        Campagne.objects.filter(pk=section.synthese.campagne_id).delete()


def test_un_vrai_celery_beat_envoie_les_rappels_une_seule_fois(campagne_du_beat, django_db_blocker, tmp_path):
    boite = tmp_path / "emails"
    boite.mkdir()
    env = process_env(
        VAR_DIR=str(tmp_path),  # broker filesystem:// (VAR_DIR/celery-tests) et état de beat à part
        EMAIL_URL="filemail://",
        EMAIL_FILE_PATH=str(boite),
        RAPPELS_INTERVALLE_S="1",
        CONN_MAX_AGE="0",
    )
    for sous_dossier in ("queue", "processed", "control"):
        (tmp_path / "celery-tests" / sous_dossier).mkdir(parents=True)
    lancements = {
        "worker": commande_worker(nom=f"rappels-{tmp_path.name}"),
        "beat": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pvd",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(tmp_path / "celerybeat-schedule"),
        ],
    }
    processus, journaux = {}, {}
    try:
        for nom, commande in lancements.items():
            journaux[nom] = tmp_path / f"{nom}.log"
            with journaux[nom].open("w") as sortie:
                processus[nom] = subprocess.Popen(
                    commande, cwd=BASE_DIR, env=env, stdout=sortie, stderr=subprocess.STDOUT
                )

        def journal():
            return "\n".join(f"--- {n}\n{p.read_text()[-4000:]}" for n, p in journaux.items())

        section, note = campagne_du_beat["section"], campagne_du_beat["note"]
        attendus = {("demo-departement", f"section:{section.pk}"), ("demo-region", f"synthese:{note.pk}")}
        limite = time.monotonic() + 120
        while True:
            with django_db_blocker.unblock():
                faits = set(
                    Rappel.objects.filter(user__username__in=["demo-departement", "demo-region"]).values_list(
                        "user__username", "cle"
                    )
                )
            # Rappels enregistrés, et beat a relancé la tâche au moins deux fois depuis : rien ne repart.
            executions = journaux["worker"].read_text().count("rappels.rappels_campagne_envoyer_task[")
            if attendus <= faits and executions >= 6:
                break
            for nom, p in processus.items():
                if p.poll() is not None:
                    pytest.fail(f"{nom} s'est arrêté :\n{journal()}")
            if time.monotonic() > limite:
                pytest.fail(f"rappels non produits ({faits}, {executions} exécutions) :\n{journal()}")
            time.sleep(0.5)
    finally:
        for p in processus.values():
            arreter(p)

    assert "Scheduler: Sending due task rappels_campagne_envoyer" in journaux["beat"].read_text()
    messages = [(str(m["To"]).strip(), str(m["Subject"]).strip(), m) for m in _emails_deposes(boite)]
    sujet = "[PVD Suivi] Note de synthèse « Campagne du beat » : section Ille-et-Vilaine à remettre avant le "
    section_35 = [
        m for a, s, m in messages if a == "demo-departement@example.gouv.fr" and s.startswith(sujet)
    ]
    assert len(section_35) == 1, [s for _, s, _ in messages]
    corps = section_35[0].get_body(("plain",)).get_content()
    assert "Bonjour Claire Morvan," in corps and "/rappels/desinscription/" in corps
    note_53 = [
        m for a, s, m in messages if a == "demo-region@example.gouv.fr" and "note Bretagne à transmettre" in s
    ]
    assert len(note_53) == 1
    with django_db_blocker.unblock():
        assert (
            Rappel.objects.filter(user__username="demo-departement", cle=f"section:{section.pk}").count() == 1
        )
