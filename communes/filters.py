import django_filters
from dsfr.forms import DsfrBaseForm

from territoires.models import Commune, Departement, Epci


class CommuneFilter(django_filters.FilterSet):
    nom = django_filters.CharFilter(label="Nom de la commune", lookup_expr="icontains")
    departement = django_filters.ModelChoiceFilter(
        label="Département", queryset=Departement.objects.none(), empty_label="Tous les départements"
    )
    epci = django_filters.ModelChoiceFilter(label="EPCI", queryset=Epci.objects.none(), empty_label="Tous les EPCI")

    class Meta:
        model = Commune
        fields = ["nom", "departement", "epci"]
        form = DsfrBaseForm

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Les choix proposés se limitent au territoire de l'utilisateur.
        self.filters["departement"].queryset = Departement.objects.for_user(user)
        self.filters["epci"].queryset = Epci.objects.for_user(user).filter(
            communes__in=Commune.objects.for_user(user).pvd()
        ).distinct()
