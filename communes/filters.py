import django_filters
from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from dsfr.forms import DsfrBaseForm

from communes.constants import Phase, StatutChefDeProjet
from territoires.models import Commune, Departement, Epci

OUI_NON = [("true", "Oui"), ("false", "Non")]


class SelectRapide(forms.Select):
    """Liste déroulante produite sans un gabarit par option : la liste des EPCI en compte plus de mille
    (plusieurs centaines de millisecondes par page sinon)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        attributs = format_html_join(
            "",
            "{}",
            (
                (format_html(" {}", cle) if valeur is True else format_html(' {}="{}"', cle, valeur),)
                for cle, valeur in widget["attrs"].items()
                if valeur is not False and valeur is not None
            ),
        )
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], mark_safe(" selected") if option["selected"] else "", option["label"])
                for _groupe, options, _index in widget["optgroups"]
                for option in options
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, attributs, options)


class CommuneFilter(django_filters.FilterSet):
    nom = django_filters.CharFilter(label="Nom de la commune", lookup_expr="icontains")
    departement = django_filters.ModelChoiceFilter(
        label="Département",
        queryset=Departement.objects.none(),
        empty_label="Tous les départements",
        widget=SelectRapide,
    )
    epci = django_filters.ModelChoiceFilter(
        label="EPCI", queryset=Epci.objects.none(), empty_label="Tous les EPCI", widget=SelectRapide
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
