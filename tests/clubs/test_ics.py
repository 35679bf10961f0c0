"""Flux iCalendar d'un département : contenu relu avec icalendar, accès par session ou par jeton."""

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from clubs.ics import jeton_calendrier
from comptes.models import User
from territoires.models import Departement
from tests.clubs.factories import ReunionClubFactory

pytestmark = pytest.mark.django_db


def ics(code):
    return reverse("clubs:ics", args=[code])


@pytest.fixture
def reunions():
    futur = timezone.localdate() + timedelta(days=20)
    tenue = ReunionClubFactory(
        departement_id="35",
        date=date(2026, 3, 12),
        format="presentiel",
        public="elus_et_chefs",
        participants_count=27,
        themes=["ORT", "Fonds vert", "Friches; santé, commerce"],
        compte_rendu="Ordre du jour : ORT, fonds vert.\nSuite ; relance des communes « en retard ».",
    )
    prevue = ReunionClubFactory(
        departement_id="35",
        date=futur,
        format="visio",
        public="elus",
        participants_count=None,
        themes=[],
        compte_rendu="",
    )
    autre = ReunionClubFactory(departement_id="29", date=date(2026, 4, 2))
    return tenue, prevue, autre


def lire(reponse):
    assert reponse.status_code == 200
    assert reponse["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(reponse.content)


def test_le_flux_se_relit_avec_icalendar(client, user_departemental, reunions):
    tenue, prevue, autre = reunions
    client.force_login(user_departemental)
    cal = lire(client.get(ics("35")))
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["X-WR-CALNAME"]) == "Club PVD – Ille-et-Vilaine (35)"
    evenements = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(evenements) == {f"reunion-club-{tenue.pk}@pvd-suivi", f"reunion-club-{prevue.pk}@pvd-suivi"}
    e = evenements[f"reunion-club-{tenue.pk}@pvd-suivi"]
    assert e.decoded("DTSTART") == date(2026, 3, 12)
    assert e.decoded("DTEND") == date(2026, 3, 13)  # journée entière
    assert str(e["SUMMARY"]) == "Club PVD Ille-et-Vilaine – Élus et chefs de projet (présentiel)"
    description = str(e["DESCRIPTION"])
    assert "Statut : tenue" in description and "Participants : 27" in description
    assert "Thèmes : ORT, Fonds vert, Friches; santé, commerce" in description
    assert description.endswith(
        "Ordre du jour : ORT, fonds vert.\nSuite ; relance des communes « en retard »."
    )
    assert [str(c) for c in e["CATEGORIES"].cats] == ["ORT", "Fonds vert", "Friches; santé, commerce"]
    assert str(e["URL"]).endswith(reverse("clubs:reunion", args=[tenue.pk]))
    p = evenements[f"reunion-club-{prevue.pk}@pvd-suivi"]
    assert p.decoded("DTSTART") == prevue.date
    assert "Statut : prévue" in str(p["DESCRIPTION"]) and "Participants" not in str(p["DESCRIPTION"])
    # Lignes repliées à 75 octets et fins de ligne CRLF (RFC 5545).
    brut = client.get(ics("35")).content
    assert all(len(ligne) <= 75 for ligne in brut.split(b"\r\n"))


def test_flux_d_un_departement_sans_reunion(client, user_national):
    client.force_login(user_national)
    cal = lire(client.get(ics("2A")))
    assert cal.walk("VEVENT") == []
    assert "Corse-du-Sud" in str(cal["X-WR-CALNAME"])


def test_acces_au_flux_par_la_session(client, reunions):
    for username, code, statut in [
        ("demo-departement", "35", 200),
        ("demo-departement", "29", 404),
        ("demo-region", "29", 200),
        ("demo-region", "01", 404),
        ("demo-national", "01", 200),
    ]:
        client.force_login(User.objects.get(username=username))
        assert client.get(ics(code)).status_code == statut, (username, code)
    assert client.get(ics("99")).status_code == 404


def test_abonnement_par_jeton_sans_session(client, user_departemental, reunions):
    client.force_login(user_departemental)
    lien = client.get(reverse("clubs:calendrier")).context["abonnements"][0][1]
    adresse = urlsplit(lien)
    assert adresse.path == ics("35") and adresse.query.startswith("jeton=")
    anonyme = Client()
    cal = lire(anonyme.get(f"{adresse.path}?{adresse.query}"))
    assert len(cal.walk("VEVENT")) == 2
    # Sans jeton, un client de calendrier anonyme est renvoyé vers la connexion.
    assert anonyme.get(ics("35")).status_code == 302


def test_un_jeton_ne_vaut_que_pour_son_departement_et_son_utilisateur(
    user_departemental, user_regional, reunions
):
    anonyme = Client()
    d35, d29 = Departement.objects.get(code="35"), Departement.objects.get(code="29")
    jeton = jeton_calendrier(user_departemental, d35)
    assert anonyme.get(ics("35"), {"jeton": jeton}).status_code == 200
    assert anonyme.get(ics("29"), {"jeton": jeton}).status_code == 403
    assert anonyme.get(ics("35"), {"jeton": jeton[:-2] + "xy"}).status_code == 403
    assert anonyme.get(ics("35"), {"jeton": "n-importe-quoi"}).status_code == 403
    # Un jeton fabriqué pour un département hors territoire ne donne rien.
    assert anonyme.get(ics("29"), {"jeton": jeton_calendrier(user_departemental, d29)}).status_code == 403
    # Le régional s'abonne aux départements de sa région.
    assert anonyme.get(ics("29"), {"jeton": jeton_calendrier(user_regional, d29)}).status_code == 200


def test_le_jeton_est_revoque_par_un_nouveau_mot_de_passe_ou_la_desactivation(user_departemental, reunions):
    anonyme = Client()
    d35 = Departement.objects.get(code="35")
    jeton = jeton_calendrier(user_departemental, d35)
    user_departemental.set_password("Un-autre-mot-de-passe-2026")
    user_departemental.save()
    assert anonyme.get(ics("35"), {"jeton": jeton}).status_code == 403
    jeton = jeton_calendrier(user_departemental, d35)
    assert anonyme.get(ics("35"), {"jeton": jeton}).status_code == 200
    user_departemental.is_active = False
    user_departemental.save()
    assert anonyme.get(ics("35"), {"jeton": jeton}).status_code == 403
