import django_filters
from django.utils import timezone
from dsfr.forms import DsfrBaseForm

from clubs.constants import PREMIERE_ANNEE, Format, Public, StatutReunion, StatutRythme
from clubs.models import ReunionClub, annee_bornes
from clubs.services import rythme_clubs
from comptes.constants import Role
from territoires.models import Departement, Region


def annees_choices():
    courante = timezone.localdate().year
    return [(str(a), str(a)) for a in range(courante + 1, PREMIERE_ANNEE - 1, -1)]


class ReunionClubFilter(django_filters.FilterSet):
    annee = django_filters.ChoiceFilter(
        label="Année", choices=annees_choices, method="filtrer_annee", empty_label="Toutes les années"
    )
    statut = django_filters.ChoiceFilter(
        label="Statut",
        choices=StatutReunion.choices,
        method="filtrer_statut",
        empty_label="Prévues et tenues",
    )
    departement = django_filters.ModelChoiceFilter(
        label="Département", queryset=Departement.objects.none(), empty_label="Tous les départements"
    )
    format = django_filters.ChoiceFilter(
        label="Format", choices=Format.choices, empty_label="Tous les formats"
    )
    public = django_filters.ChoiceFilter(
        label="Public", choices=Public.choices, empty_label="Tous les publics"
    )
    theme = django_filters.CharFilter(label="Thème contenant", method="filtrer_theme")

    class Meta:
        model = ReunionClub
        fields = ["annee", "statut", "departement", "format", "public", "theme"]
        form = DsfrBaseForm

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.role == Role.DEPARTEMENTAL:
            del self.filters["departement"]
        else:
            self.filters["departement"].queryset = Departement.objects.for_user(user)

    def filtrer_annee(self, queryset, name, value):
        return queryset.filter(date__range=annee_bornes(int(value)))

    def filtrer_statut(self, queryset, name, value):
        return queryset.tenues() if value == StatutReunion.TENUE else queryset.prevues()

    def filtrer_theme(self, queryset, name, value):
        return queryset.filter(themes__icontains=value.strip())


class RythmeFilter(django_filters.FilterSet):
    """Filtres de la table du rythme ; l'année choisie (par défaut l'année en cours) sert au calcul."""

    annee = django_filters.ChoiceFilter(
        label="Année", choices=annees_choices, method="garder", empty_label=None
    )
    region = django_filters.ModelChoiceFilter(
        label="Région", queryset=Region.objects.none(), empty_label="Toutes les régions"
    )
    statut = django_filters.ChoiceFilter(
        label="Situation", choices=StatutRythme.choices, empty_label="Toutes les situations"
    )

    class Meta:
        model = Departement
        fields = ["annee", "region", "statut"]
        form = DsfrBaseForm

    def __init__(self, data=None, *args, user, aujourd_hui=None, **kwargs):
        self.aujourd_hui = aujourd_hui or timezone.localdate()
        data = data.copy() if data is not None else {}
        data.setdefault("annee", str(self.aujourd_hui.year))
        super().__init__(data, *args, **kwargs)
        if user.sees_everything:
            self.filters["region"].queryset = Region.objects.for_user(user)
        else:
            del self.filters["region"]

    @property
    def annee_choisie(self):
        if self.is_valid() and self.form.cleaned_data.get("annee"):
            return int(self.form.cleaned_data["annee"])
        return self.aujourd_hui.year

    def garder(self, queryset, name, value):
        return queryset  # l'année sert au calcul (filter_queryset), pas au filtrage des lignes

    def filter_queryset(self, queryset):
        queryset = rythme_clubs(queryset, self.annee_choisie, aujourd_hui=self.aujourd_hui)
        return super().filter_queryset(queryset)
