"""Fabriques du suivi (factory_boy) : une commune PVD fictive et son territoire, ses actions et leurs
financements, bâtis sur les fabriques du référentiel (tests.territoires.factories)."""

import factory

from communes.constants import Dispositif, StatutAction, ThemeAction
from communes.models import Action, Financement, Territoire
from tests.territoires.factories import CommuneFactory, DepartementFactory, EpciFactory


class TerritoireFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territoire

    nom = factory.Sequence(lambda n: f"Territoire d’essai {n}")
    departement = factory.SubFactory(DepartementFactory)
    epci = factory.SubFactory(EpciFactory)


class CommunePvdFactory(CommuneFactory):
    """Une commune PVD et son territoire, du même département et du même EPCI qu'elle."""

    territoire = factory.SubFactory(
        TerritoireFactory,
        nom=factory.SelfAttribute("..nom"),
        departement=factory.SelfAttribute("..departement"),
        epci=factory.SelfAttribute("..epci"),
    )


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    territoire = factory.LazyFunction(lambda: CommunePvdFactory().territoire)
    titre = factory.Sequence(lambda n: f"Action d’essai {n}")
    theme = ThemeAction.values[0]
    maitre_ouvrage = "Commune"
    statut = StatutAction.ENGAGEE
    date_engagement = factory.Faker("date_between", start_date="-2y", end_date="today")


class FinancementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Financement

    action = factory.SubFactory(ActionFactory)
    dispositif = Dispositif.DETR
    montant_demande = 100000
    montant_accorde = 80000
    annee = factory.LazyAttribute(lambda f: f.action.date_engagement.year)
