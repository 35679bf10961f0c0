"""Indicateurs publics exposés par l'API. Rien de nominatif ni de confidentiel : ni chef de projet, ni
décision ou justification sur le risque, ni commentaire."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communes.constants import Phase


class CommuneSerializer(serializers.Serializer):
    code_insee = serializers.CharField(help_text="Code INSEE de la commune.")
    nom = serializers.CharField()
    id_pvd = serializers.CharField(
        help_text="Identifiant ANCT du programme (pvd-<région>-<département>-<n>)."
    )
    departement_code = serializers.CharField(source="departement_id")
    departement_nom = serializers.CharField(source="departement.nom")
    region_code = serializers.CharField(source="departement.region_id")
    region_nom = serializers.CharField(source="departement.region.nom")
    epci_siren = serializers.CharField(source="epci_id", allow_null=True, help_text="SIREN de l’EPCI.")
    epci_nom = serializers.CharField(source="epci.nom", allow_null=True, default=None)
    phase = serializers.ChoiceField(choices=Phase.choices, help_text="Phase du cycle de vie PVD (code).")
    phase_libelle = serializers.SerializerMethodField()
    date_adhesion = serializers.DateField(
        allow_null=True, help_text="Signature de la convention d’adhésion (AAAA-MM-JJ)."
    )
    date_convention_cadre = serializers.DateField(
        source="date_cadre", allow_null=True, help_text="Signature de la convention-cadre."
    )
    convention_cadre_vaut_ort = serializers.BooleanField(
        source="has_cadre_ort", help_text="Convention-cadre signée valant ORT."
    )
    inscrite_crte = serializers.BooleanField(
        source="is_inscrit_crte", help_text="Convention-cadre inscrite au CRTE du territoire."
    )
    actions_engagees_count = serializers.IntegerField(help_text="Actions engagées ou livrées.")
    actions_count = serializers.IntegerField(help_text="Actions du plan d’actions (tous statuts).")
    financements_accordes = serializers.DecimalField(
        source="financement_accorde",
        max_digits=16,
        decimal_places=2,
        coerce_to_string=False,
        min_value=0,
        help_text="Somme des financements accordés aux actions (€).",
    )

    def get_phase_libelle(self, commune) -> str:
        return Phase(commune.phase).label


@extend_schema_field({"type": "number", "format": "float", "nullable": True, "minimum": 0, "maximum": 100})
class PartField(serializers.Field):
    """Part (en %, une décimale) des communes PVD qui comptent dans `compte` ; null sans commune PVD."""

    def __init__(self, compte, **kwargs):
        self.compte = compte
        kwargs.setdefault("help_text", "Part des communes PVD, en % (une décimale) ; null sans commune PVD.")
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance):
        total = instance.communes_pvd_count
        return round(100 * getattr(instance, self.compte) / total, 1) if total else None


class IndicateursAgregesSerializer(serializers.Serializer):
    """Comptes de communes PVD (annotations with_indicateurs) et part de chacun parmi les communes PVD."""

    communes_pvd_count = serializers.IntegerField(help_text="Communes PVD (lauréates).")
    adhesion_signee_count = serializers.IntegerField(help_text="Communes dont l’adhésion est signée.")
    adhesion_signee_pct = PartField("adhesion_signee_count")
    cadre_signee_count = serializers.IntegerField(help_text="Communes dont la convention-cadre est signée.")
    cadre_signee_pct = PartField("cadre_signee_count")
    cadre_ort_count = serializers.IntegerField(help_text="Communes dont la convention-cadre signée vaut ORT.")
    cadre_ort_pct = PartField("cadre_ort_count")
    inscrites_crte_count = serializers.IntegerField(
        help_text="Communes dont la convention-cadre est inscrite au CRTE."
    )
    inscrites_crte_pct = PartField("inscrites_crte_count")
    operationnelles_count = serializers.IntegerField(help_text="Communes en phase opérationnelle.")
    operationnelles_pct = PartField("operationnelles_count")


class _RegionIdentite(serializers.Serializer):
    code = serializers.CharField(help_text="Code INSEE de la région.")
    nom = serializers.CharField()


class _DepartementIdentite(serializers.Serializer):
    code = serializers.CharField(help_text="Code INSEE du département.")
    nom = serializers.CharField()
    region_code = serializers.CharField(source="region_id")
    region_nom = serializers.CharField(source="region.nom")


class RegionSerializer(_RegionIdentite, IndicateursAgregesSerializer):
    """Une région et les comptes de ses communes PVD."""


class DepartementSerializer(_DepartementIdentite, IndicateursAgregesSerializer):
    """Un département et les comptes de ses communes PVD."""
