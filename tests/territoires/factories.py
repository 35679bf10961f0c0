"""Fabriques du référentiel (factory_boy) : un petit territoire fictif quand le vrai référentiel n'est pas ce
qui est testé. Codes qui n'existent pas au COG (« E » pour essai) : ils ne se mêlent jamais aux vrais."""

import factory

from territoires.constants import EpciType, Zone
from territoires.models import Commune, Departement, Epci, Region


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"E{n % 100:02d}")
    nom = factory.LazyAttribute(lambda r: f"Région d’essai {r.code}")
    zone = Zone.METRO


class DepartementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Departement
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"E{n % 100:02d}")
    nom = factory.LazyAttribute(lambda d: f"Département d’essai {d.code}")
    region = factory.SubFactory(RegionFactory)
    zone = Zone.METRO


class EpciFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Epci

    siren = factory.Sequence(lambda n: f"9{n:08d}")
    nom = factory.Sequence(lambda n: f"Communauté de communes d’essai {n}")
    type = EpciType.CC
    population = 20000


class CommuneFactory(factory.django.DjangoModelFactory):
    """Une commune PVD (dans la liste en vigueur), avec son département et son EPCI."""

    class Meta:
        model = Commune

    code_insee = factory.Sequence(lambda n: f"E{n % 10000:04d}")
    nom = factory.Sequence(lambda n: f"Bourg-d’Essai-{n}")
    departement = factory.SubFactory(DepartementFactory)
    epci = factory.SubFactory(EpciFactory)
    population = 3500
    id_pvd = factory.LazyAttribute(
        lambda c: f"pvd-{c.departement.region_id}-{c.departement.code}-{c.code_insee}"
    )
