import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django_filters.fields import ModelChoiceField, ModelChoiceIterator
from dsfr.forms import DsfrBaseForm

from communes.constants import Phase, StatutChefDeProjet
from territoires.models import PVD, SORTIE, Commune, Departement, Epci

OUI_NON = [("true", "Oui"), ("false", "Non")]


class SelectRapide(forms.Select):
    """Liste déroulante produite d'un bloc, sans gabarit ni dictionnaire par option : la liste des EPCI en
    compte près de neuf cents pour un utilisateur national."""

    def render(self, name, value, attrs=None, renderer=None):
        attributs = "".join(
            f" {escape(cle)}" if valeur is True else f' {escape(cle)}="{escape(valeur)}"'
            for cle, valeur in self.build_attrs(self.attrs, attrs).items()
            if valeur is not False and valeur is not None
        )
        choisies = set(self.format_value(value))
        options = "".join(
            f'<option value="{escape(cle)}"{" selected" if str(cle) in choisies else ""}>{escape(libelle)}</option>'
            for cle, libelle in self.choices
        )
        return mark_safe(f'<select name="{escape(name)}"{attributs}>{options}</select>')


class OptionsSansObjets(ModelChoiceIterator):
    """Options lues en (clé, libellé) par une seule requête, sans construire un objet par option."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for cle, *valeurs in self.queryset.values_list("pk", *self.field.champs_libelle):
            yield (cle, " – ".join(valeurs))


class ChampChoixRapide(ModelChoiceField):
    """Choix dans une longue liste : options lues directement dans la base (champs_libelle, joints par
    « – ») et liste déroulante rendue d'un bloc."""

    iterator = OptionsSansObjets
    widget = SelectRapide

    def __init__(self, *args, champs_libelle, **kwargs):
        self.champs_libelle = champs_libelle
        super().__init__(*args, **kwargs)


class ChoixRapideFilter(django_filters.ModelChoiceFilter):
    """Filtre sur une longue liste (près de neuf cents EPCI pour la France entière)."""

    field_class = ChampChoixRapide


LISTE_EN_VIGUEUR, LISTE_SORTIES, LISTE_TOUTES = "en_vigueur", "sorties", "toutes"
CHOIX_LISTE = [
    (LISTE_EN_VIGUEUR, "Dans la liste en vigueur"),
    (LISTE_SORTIES, "Sorties de la liste"),
    (LISTE_TOUTES, "Toutes (dans la liste et sorties)"),
]


class CommuneFilter(django_filters.FilterSet):
    liste = django_filters.ChoiceFilter(
        label="Liste PVD", choices=CHOIX_LISTE, empty_label=None, method="filtrer_liste"
    )
    nom = django_filters.CharFilter(
        label="Commune, code INSEE ou EPCI",
        help_text="Accents et majuscules indifférents : « chatillon », « 35072 », « vitre communaute ».",
        max_length=100,
        method="filtrer_recherche",
    )
    departement = ChoixRapideFilter(
        label="Département",
        queryset=Departement.objects.none(),
        empty_label="Tous les départements",
        champs_libelle=("code", "nom"),
    )
    epci = ChoixRapideFilter(
        label="EPCI", queryset=Epci.objects.none(), empty_label="Tous les EPCI", champs_libelle=("nom",)
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
    is_a_renseigner = django_filters.ChoiceFilter(
        label="Suivi à renseigner", choices=OUI_NON, empty_label="Indifférent", method="filtrer_oui_non"
    )
    has_ort_signee = django_filters.ChoiceFilter(
        label="ORT signée", choices=OUI_NON, empty_label="Indifférent", method="filtrer_oui_non"
    )
    is_couverte_crte = django_filters.ChoiceFilter(
        label="Couverte par un CRTE", choices=OUI_NON, empty_label="Indifférent", method="filtrer_oui_non"
    )

    class Meta:
        model = Commune
        fields = [
            "liste",
            "nom",
            "departement",
            "epci",
            "phase",
            "chef_de_projet_statut",
            "is_retard_cadre",
            "is_risque",
            "is_a_renseigner",
            "has_ort_signee",
            "is_couverte_crte",
        ]
        form = DsfrBaseForm

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Les choix proposés se limitent au territoire de l'utilisateur.
        self.filters["departement"].queryset = Departement.objects.for_user(user)
        self.filters["epci"].queryset = Epci.objects.filter(
            Exists(Commune.objects.for_user(user).pvd_et_sorties().filter(epci=OuterRef("pk")))
        )

    @property
    def qs(self):
        # Sans choix (ou sans filtre du tout), la liste en vigueur : les communes sorties ne s'affichent que si
        # on les demande.
        if not hasattr(self, "_qs"):
            qs = super().qs
            if not (self.is_bound and self.is_valid() and self.form.cleaned_data.get("liste")):
                qs = qs.filter(PVD)
            self._qs = qs
        return self._qs

    def filtrer_liste(self, queryset, name, value):
        if value == LISTE_SORTIES:
            return queryset.filter(SORTIE)
        if value == LISTE_TOUTES:
            return queryset
        return queryset.filter(PVD)

    def filtrer_recherche(self, queryset, name, value):
        return queryset.rechercher(value)

    def filtrer_chef(self, queryset, name, value):
        return queryset.filter(chef_de_projet_statut=value)

    def filtrer_oui_non(self, queryset, name, value):
        return queryset.filter(**{name: value == "true"})
