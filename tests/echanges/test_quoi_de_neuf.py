"""« Ce qui a changé depuis votre dernière visite » : exactement les lignes d'historique écrites depuis la
visite précédente, dans le territoire de l'utilisateur, visibilité des commentaires comprise, en un nombre
constant de requêtes.

Territoires réels : Ille-et-Vilaine (35, commune 35012) et Côtes-d'Armor (22) en Bretagne (53) ; Ain (01)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from communes.constants import TypeConvention
from communes.models import Action, Convention, Financement, Territoire
from echanges.constants import Visibilite
from echanges.models import VisiteUtilisateur
from echanges.quoi_de_neuf import changements_depuis
from echanges.services import commentaire_publier, visite_enregistrer
from pvd.formats import nombre
from syntheses.models import SectionDepartementale
from syntheses.services import section_dispenser
from territoires.models import Commune
from tests.syntheses_outils import campagne

pytestmark = pytest.mark.django_db


def territoire(code_insee):
    return Territoire.objects.get(communes__code_insee=code_insee)


def commune_de(departement):
    return (
        Commune.objects.pvd()
        .filter(departement=departement, territoire__isnull=False)
        .order_by("nom")
        .first()
    )


@pytest.fixture
def avant(user_national):
    """Des changements avant la visite précédente (qui ne doivent pas apparaître), puis la date de visite."""
    action = Action.objects.create(
        territoire=territoire("35012"), titre="Halles", theme="commerce", maitre_ouvrage="Commune"
    )
    c = campagne(user=user_national)
    depuis = timezone.now()
    return {"action": action, "campagne": c, "depuis": depuis}


def test_exactement_les_changements_depuis_la_visite(avant, user_regional, user_departemental):
    depuis = avant["depuis"]
    action = avant["action"]
    action.titre = "Halles couvertes"
    action.save()
    Financement.objects.create(action=action, dispositif="detr", montant_demande=1000, annee=2024)
    c22 = commune_de("22")
    Convention.objects.create(
        territoire=c22.territoire, type=TypeConvention.CADRE, date_signature=datetime.date(2024, 2, 1)
    )
    Action.objects.create(
        territoire=commune_de("01").territoire, titre="Ailleurs", theme="habitat", maitre_ouvrage="x"
    )
    section = SectionDepartementale.objects.get(synthese__campagne=avant["campagne"], departement="56")
    section_dispenser(section=section, user=user_regional, motif="Pas de contribution.")
    commune = Commune.objects.get(code_insee="35012")
    commentaire_publier(
        auteur=user_departemental, texte="Pour la région", visibilite=Visibilite.REGION, commune=commune
    )
    commentaire_publier(
        auteur=user_departemental, texte="Interne", visibilite=Visibilite.DEPARTEMENT, commune=commune
    )

    resultat = {
        d["code"]: (comptes, [c.quoi for c in changements])
        for d, comptes, changements in changements_depuis(user_regional, depuis)
    }
    assert set(resultat) == {"22", "35", "56"}  # pas l'Ain (autre région)
    assert (
        sorted(resultat["35"][1])
        == sorted(
            [
                f"{commune.nom} : action (modification)",
                f"{commune.nom} : ligne de financement (création)",
                f"Commentaire sur {commune.nom} (création)",  # le commentaire « département seulement » n'y est pas
            ]
        )
    )
    assert resultat["22"][1] == [f"{c22.nom} : convention (création)"]
    assert resultat["56"][1] == ["Section Morbihan : dispense de la section"]
    assert resultat["35"][0] == {"suivi": 2, "sections": 0, "pieces": 0, "commentaires": 1}
    # Le département voit aussi son commentaire interne, et seulement son département.
    dept = {d["code"]: [c.quoi for c in ch] for d, _, ch in changements_depuis(user_departemental, depuis)}
    assert set(dept) == {"35"} and len(dept["35"]) == 4


def _requetes(user, depuis):
    with CaptureQueriesContext(connection) as ctx:
        changements_depuis(user, depuis)
    return len(ctx)


def test_nombre_de_requetes_constant(avant, user_regional, user_departemental):
    depuis = avant["depuis"]
    avant["action"].save()
    une = _requetes(user_regional, depuis)
    for i, commune in enumerate(
        Commune.objects.pvd().filter(departement__region="53", territoire__isnull=False)[:20]
    ):
        Action.objects.create(
            territoire=commune.territoire, titre=f"A{i}", theme="habitat", maitre_ouvrage="x"
        )
        commentaire_publier(auteur=user_regional, texte=f"C{i}", visibilite=Visibilite.TOUS, commune=commune)
    assert _requetes(user_regional, depuis) == une


def test_la_page_part_de_la_connexion_precedente(client, user_regional, demo_password):
    client.post(reverse("login"), {"username": "demo-region", "password": demo_password})
    premiere = VisiteUtilisateur.objects.get(user=user_regional)
    client.logout()
    client.post(reverse("login"), {"username": "demo-region", "password": demo_password})
    visite = VisiteUtilisateur.objects.get(user=user_regional)
    assert visite.precedente == premiere.derniere and visite.derniere > premiere.derniere
    reponse = client.get(reverse("echanges:quoi_de_neuf"))
    assert reponse.status_code == 200 and reponse.context["depuis"] == visite.precedente


def test_visite_enregistrer(user_national):
    t0 = timezone.now() - datetime.timedelta(days=2)
    visite_enregistrer(user=user_national, maintenant=t0)
    visite_enregistrer(user=user_national, maintenant=t0 + datetime.timedelta(days=1))
    v = VisiteUtilisateur.objects.get(user=user_national)
    assert (v.precedente, v.derniere) == (t0, t0 + datetime.timedelta(days=1))


def test_le_bloc_de_la_page_d_arrivee_liste_les_departements_qui_ont_change(avant, client, user_regional):
    """Le tableau de bord régional : par département, le nombre de changements depuis la visite précédente,
    le même que la page « Ce qui a changé »."""
    avant["action"].save()
    client.force_login(user_regional)
    page = client.get(reverse("tableau:region", args=["53"]))
    resume = page.context["resume"]
    attendu = {d["code"]: sum(c.values()) for d, c, _ in changements_depuis(user_regional, resume["depuis"])}
    assert attendu and {d["code"]: total for d, total, _ in resume["departements"]} == attendu
    html = page.content.decode()
    for d, total, _ in resume["departements"]:
        assert f"{escape(d['nom'])} ({d['code']})</a> : {nombre(total)} changement" in html
