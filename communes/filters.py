import django_filters
from dsfr.forms import DsfrBaseForm

from communes.constants import Phase, StatutChefDeProjet
from territoires.models import Commune, Departement, Epci

OUI_NON = [("true", "Oui"), ("false", "Non")]


class CommuneFilter(django_filters.FilterSet):
    nom = django_filters.CharFilter(label="Nom de la commune", lookup_expr="icontains")
    departement = django_filters.ModelChoiceFilter(
        label="Département", queryset=Departement.objects.none(), empty_label="Tous les départements"
    )
    epci = django_filters.ModelChoiceFilter(
        label="EPCI", queryset=Epci.objects.none(), empty_label="Tous les EPCI"
    )
    phase = django_filters.ChoiceFilter(label="Phase", choices=Phase.choices, empty_label="Toutes les phases")
    chef_de_projet_statut = django_filters.ChoiceFilter(
        label="Chef de projet", choices=StatutChefDeProjet.choices, empty_label="Tous", method="filtrer_chef"
    )
    is_retard_cadre = django_filters.ChoiceFilter(
        label="Échéance des 18 mois dépassée",
        choices=OUI_NON,
        empty_label="Indifférent",
        method="filtrer_oui_non",
    )
    is_risque = django_filters.ChoiceFilter(
        label="En difficulté", choices=OUI_NON, empty_label="Indifférent", method="filtrer_oui_non"
    )

    class Meta:
        model = Commune
        fields = [
            "nom",
            "departement",
            "epci",
            "phase",
            "chef_de_projet_statut",
            "is_retard_cadre",
            "is_risque",
        ]
        form = DsfrBaseForm

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Les choix proposés se limitent au territoire de l'utilisateur.
        self.filters["departement"].queryset = Departement.objects.for_user(user)
        self.filters["epci"].queryset = (
            Epci.objects.for_user(user).filter(communes__in=Commune.objects.for_user(user).pvd()).distinct()
        )

    def filtrer_chef(self, queryset, name, value):
        return queryset.filter(chef_de_projet_statut=value)

    def filtrer_oui_non(self, queryset, name, value):
        return queryset.filter(**{name: value == "true"})
