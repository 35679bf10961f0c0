"""Fabriques de test des réunions de club (factory_boy, Faker fr_FR) : dans un département du vrai référentiel
(departement_id) ou, avec departement=…, dans un département des fabriques du référentiel."""

from datetime import date

import factory

from clubs.constants import THEMES_SUGGERES, Format, Public
from clubs.models import ReunionClub


class ReunionClubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReunionClub
        skip_postgeneration_save = True

    departement_id = "35"
    date = factory.LazyFunction(lambda: date(date.today().year, 1, 15))
    format = factory.Iterator([Format.PRESENTIEL, Format.VISIO])
    public = factory.Iterator([p.value for p in Public])
    participants_count = factory.Faker("random_int", min=5, max=60)
    themes = factory.Faker("random_elements", elements=THEMES_SUGGERES, length=2, unique=True)
    compte_rendu = factory.Faker("paragraph", locale="fr_FR")

    @factory.post_generation
    def communes(self, create, extracted, **kwargs):
        if create and extracted:
            self.communes.set(extracted)
