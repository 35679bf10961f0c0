"""Un petit jeu de données fictif (fabriques), quand le vrai référentiel n'est pas ce qui est testé : un
département d'essai, deux communes PVD, leurs actions et financements ; le moteur d'indicateurs et la liste des
communes en rendent compte exactement."""

import pytest
from django.urls import reverse

from communes.constants import StatutAction
from communes.models import CommunePvd
from tableau.indicateurs import chiffres_calculer
from tests.communes.factories import ActionFactory, CommunePvdFactory, FinancementFactory
from tests.territoires.factories import DepartementFactory

pytestmark = pytest.mark.django_db


def test_un_departement_fictif_compte_ses_communes_actions_et_financements():
    departement = DepartementFactory()
    premiere, seconde = CommunePvdFactory.create_batch(2, departement=departement)
    FinancementFactory(action__territoire=premiere.territoire, montant_accorde=80000)
    FinancementFactory(action__territoire=premiere.territoire, montant_accorde=20000)
    ActionFactory(territoire=seconde.territoire, statut=StatutAction.EN_MATURATION, date_engagement=None)

    c = chiffres_calculer([departement.code])[departement.code]
    assert (c.communes, c.territoires) == (2, 2)
    assert (
        c.actions_engagees == 2
    )  # une action par financement, engagées ; l'action en maturation ne compte pas
    assert c.financements_accordes == 100000 * 100  # en centimes
    suivi = {c.code_insee: c for c in CommunePvd.objects.filter(departement=departement).with_suivi()}
    assert suivi[premiere.code_insee].actions_engagees_count == 2
    assert suivi[seconde.code_insee].actions_engagees_count == 0


def test_la_liste_nationale_montre_la_commune_fictive(client, user_national):
    commune = CommunePvdFactory()
    client.force_login(user_national)
    html = client.get(reverse("communes:liste"), {"nom": commune.nom}).content.decode()
    assert commune.nom in html and commune.epci.nom in html
