"""Filtres et tris de l'API. Une valeur mal formée est refusée (400) avec un message en français ; un code
bien formé mais inconnu donne une liste vide."""

import re

from django.core.exceptions import ValidationError as ErreurDeValidation
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from communes.constants import Phase
from territoires.models import Commune, Departement, Region

CODE_REGION = r"^[0-9]{2}$"
CODE_DEPARTEMENT = r"^(?:[0-9]{2}|2[AB]|97[1-6])$"
CODE_INSEE = r"^(?:[0-9]{2}|2[AB])[0-9]{3}$"
SIREN = r"^[0-9]{9}$"


class Tri(filters.OrderingFilter):
    """Le tri demandé, complété par la clé primaire : l'ordre est total, les pages ne se chevauchent pas."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.order_by(*[self.get_ordering_value(param) for param in value], "pk")


def _code(expression, message, **kwargs):
    def valider(valeur):
        # fullmatch : « 35\n » est refusé (en Python, $ accepte un saut de ligne final).
        if not re.fullmatch(expression, valeur):
            raise ErreurDeValidation(message)

    return filters.CharFilter(validators=[valider], strip=False, **kwargs)


def _code_region(field_name):
    return _code(
        CODE_REGION,
        "Code de région attendu (2 chiffres, ex. 53).",
        field_name=field_name,
        label="Code INSEE de la région.",
    )


LIBELLES_TRI_AGREGES = {
    "communes_pvd_count": "communes PVD",
    "operationnelles_count": "communes en phase opérationnelle",
}


class CommuneApiFilter(filters.FilterSet):
    departement = _code(
        CODE_DEPARTEMENT,
        "Code de département attendu (ex. 35, 2A, 971).",
        field_name="departement_id",
        label="Code INSEE du département.",
    )
    region = _code_region("departement__region_id")
    epci = _code(SIREN, "SIREN d’EPCI attendu (9 chiffres).", field_name="epci_id", label="SIREN de l’EPCI.")
    phase = filters.ChoiceFilter(choices=Phase.choices, label="Phase du cycle de vie PVD.")
    tri = Tri(
        label="Tri (préfixe « - » : ordre décroissant)",
        field_labels={
            "code_insee": "code INSEE",
            "departement_id": "code du département",
            "date_adhesion": "date d’adhésion",
            "actions_engagees_count": "actions engagées",
            "financement_accorde": "financements accordés",
        },
        fields=[
            ("code_insee", "code_insee"),
            ("nom", "nom"),
            ("departement_id", "departement"),
            ("phase", "phase"),
            ("date_adhesion", "date_adhesion"),
            ("actions_engagees_count", "actions_engagees_count"),
            ("financement_accorde", "financements_accordes"),
        ],
    )

    class Meta:
        model = Commune
        fields = ["departement", "region", "epci", "phase"]


def tri_agreges():
    """Tri des départements et des régions : code, nom, communes PVD, communes en phase opérationnelle."""
    return Tri(
        label="Tri (préfixe « - » : ordre décroissant)",
        fields=[
            ("code", "code"),
            ("nom", "nom"),
            ("communes_pvd_count", "communes_pvd_count"),
            ("operationnelles_count", "operationnelles_count"),
        ],
        field_labels=LIBELLES_TRI_AGREGES,
    )


class DepartementApiFilter(filters.FilterSet):
    region = _code_region("region_id")
    tri = tri_agreges()

    class Meta:
        model = Departement
        fields = ["region"]


class RegionApiFilter(filters.FilterSet):
    tri = tri_agreges()

    class Meta:
        model = Region
        fields = []


class FiltresApi(DjangoFilterBackend):
    """Filtres django-filter, plus stricts : un paramètre de filtre présent mais vide est refusé (400) au
    lieu d'être ignoré en silence."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            vides = [nom for nom in filterset_class.base_filters if request.query_params.get(nom, None) == ""]
            if vides:
                raise ValidationError(
                    {nom: ["Valeur vide : donnez une valeur ou retirez le paramètre."] for nom in vides}
                )
        return super().filter_queryset(request, queryset, view)
