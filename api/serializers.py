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


def _chiffres(field, instance):
    """Les Chiffres (tableau.indicateurs) du département ou de la région, calculés par la vue."""
    return field.context["chiffres"][instance.pk]


class CompteField(serializers.IntegerField):
    """Un compte des Chiffres du moteur d'indicateurs (tableau.indicateurs), le même que sur le site."""

    def __init__(self, lire, **kwargs):
        self.lire = lire
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance):
        return self.lire(_chiffres(self, instance))


@extend_schema_field({"type": "number", "format": "float", "nullable": True, "minimum": 0, "maximum": 100})
class PartField(serializers.Field):
    """Part (en %, une décimale) des communes PVD en cours (ni retirées ni sorties) qui comptent dans le
    compte ; null sans commune PVD en cours."""

    def __init__(self, lire, **kwargs):
        self.lire = lire
        kwargs.setdefault(
            "help_text", "Part des communes PVD en cours (ni retirées ni sorties), en % (une décimale)."
        )
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance):
        c = _chiffres(self, instance)
        return round(100 * self.lire(c) / c.en_cours, 1) if c.en_cours else None


def _compte_et_part(lire, aide):
    return CompteField(lire, help_text=aide), PartField(lire)


class IndicateursAgregesSerializer(serializers.Serializer):
    """Comptes du moteur d'indicateurs (tableau.indicateurs.DEFINITIONS, page « Définitions des
    indicateurs ») : les mêmes nombres que le tableau de bord, la note de synthèse et les exports."""

    communes_pvd_count = CompteField(lambda c: c.communes, help_text="Communes de la liste PVD en vigueur.")
    en_cours_count = CompteField(
        lambda c: c.en_cours,
        help_text="Communes PVD qui n’ont pas quitté le programme (dénominateur des parts).",
    )
    retirees_count = CompteField(lambda c: c.retirees, help_text="Communes retirées du programme.")
    sorties_count = CompteField(
        lambda c: c.sorties, help_text="Communes sorties de la liste PVD (comptées dans aucun autre chiffre)."
    )
    adhesion_signee_count, adhesion_signee_pct = _compte_et_part(
        lambda c: c.adhesion, "Communes dont la convention d’adhésion est signée."
    )
    adhesion_a_confirmer_count = CompteField(
        lambda c: c.adhesion_a_confirmer,
        help_text="Dont adhésions reprises de la liste PVD, pas encore confirmées par la préfecture.",
    )
    cadre_signee_count, cadre_signee_pct = _compte_et_part(
        lambda c: c.cadre_signee, "Communes dont la convention-cadre est signée."
    )
    cadre_non_renseignee_count = CompteField(
        lambda c: c.en_cours - c.cadre_connu, help_text="Communes sans rien de saisi sur la convention-cadre."
    )
    cadre_ort_count, cadre_ort_pct = _compte_et_part(
        lambda c: c.cadre_ort, "Communes dont la convention-cadre signée vaut ORT."
    )
    ort_signee_count, ort_signee_pct = _compte_et_part(
        lambda c: c.ort_signee, "Communes dont le territoire a une ORT signée (avec ou sans date connue)."
    )
    ort_sans_date_count = CompteField(
        lambda c: c.ort_sans_date, help_text="Dont ORT sans date de signature connue."
    )
    ort_a_confirmer_count = CompteField(
        lambda c: c.ort_a_confirmer, help_text="Dont ORT reprises de la liste ORT, pas encore confirmées."
    )
    crte_couvertes_count, crte_couvertes_pct = _compte_et_part(
        lambda c: c.crte_couvertes, "Communes dont l’EPCI est signataire d’un CRTE (périmètres officiels)."
    )
    crtes_count = CompteField(lambda c: c.crtes_count, help_text="CRTE distincts qui couvrent ces communes.")
    inscrites_crte_count, inscrites_crte_pct = _compte_et_part(
        lambda c: c.crte, "Communes dont la convention-cadre est inscrite au CRTE."
    )
    operationnelles_count, operationnelles_pct = _compte_et_part(
        lambda c: c.operationnelle, "Communes en phase opérationnelle."
    )


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
