import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django_tables2.data import TableQuerysetData

from communes.constants import Phase, StatutChefDeProjet
from territoires.models import Commune, alphabetique

BADGES_PHASE = {
    Phase.LAUREATE: "fr-badge--purple-glycine",
    Phase.ADHESION_SIGNEE: "fr-badge--blue-ecume",
    Phase.CADRE_EN_ELABORATION: "fr-badge--yellow-tournesol",
    Phase.CADRE_SIGNEE: "fr-badge--info",
    Phase.OPERATIONNELLE: "fr-badge--success",
    Phase.RETIREE: "",
}


def badge_phase(phase):
    return format_html(
        '<p class="fr-badge fr-badge--sm fr-badge--no-icon {}">{}</p>',
        BADGES_PHASE[phase],
        Phase(phase).label,
    )


class PageEnDeuxTemps(TableQuerysetData):
    """Données d'un tableau paginé lues en deux requêtes : les clés de la page (tri et découpage, sans
    calculer les annotations qui ne servent pas au tri), puis ces lignes seules avec toutes leurs annotations.
    Le suivi n'est calculé que pour les lignes affichées, quelle que soit la longueur de la liste."""

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return super().__getitem__(key)
        cles = list(self.data.values_list("pk", flat=True)[key])
        lignes = {ligne.pk: ligne for ligne in self.data.filter(pk__in=cles).order_by()}
        return [lignes[cle] for cle in cles]


class CommuneTable(tables.Table):
    nom = tables.Column("Commune")
    departement = tables.Column("Département", order_by=("departement__code",))
    epci = tables.Column("EPCI")
    phase = tables.Column("Phase", accessor="phase")
    alertes = tables.Column("Alertes", accessor="is_risque", order_by=("-is_risque", "-is_retard_cadre"))
    chef_de_projet_statut = tables.Column("Chef de projet", accessor="chef_de_projet_statut", default="—")
    actions = tables.Column(
        "Actions engagées / total",
        accessor="actions_engagees_count",
        order_by=("actions_engagees_count", "actions_count"),
        attrs={"td": {"class": "pvd-nombre"}},
    )
    financement_accorde = tables.Column("Financements accordés", attrs={"td": {"class": "pvd-nombre"}})

    class Meta:
        model = Commune
        fields = (
            "nom",
            "departement",
            "epci",
            "phase",
            "alertes",
            "chef_de_projet_statut",
            "actions",
            "financement_accorde",
        )
        caption = "Communes PVD"
        empty_text = "Aucune commune PVD ne correspond à ces critères."
        per_page = 50

    def order_nom(self, queryset, is_descending):
        ordre = alphabetique("nom")
        return queryset.order_by(ordre.desc() if is_descending else ordre.asc()), True

    def order_epci(self, queryset, is_descending):
        ordre = alphabetique("epci__nom")
        return queryset.order_by(ordre.desc() if is_descending else ordre.asc(), alphabetique("nom")), True

    def render_nom(self, value, record):
        lien = format_html(
            '<a href="{}">{}</a><br><span class="fr-text--xs fr-mb-0">{}</span>',
            reverse("communes:detail", args=[record.code_insee]),
            value,
            record.code_insee,
        )
        if record.sortie_liste_id is None:
            return lien
        return format_html(
            '{}<br><p class="fr-badge fr-badge--sm fr-badge--warning">Sortie de la liste ({})</p>',
            lien,
            record.sortie_liste.millesime,
        )

    def render_phase(self, value):
        return badge_phase(value)

    def render_alertes(self, record):
        alertes = []
        if record.is_risque:
            alertes.append(("fr-badge--warning", "Difficulté"))
        if record.is_retard_cadre:
            alertes.append(("fr-badge--error", "18 mois"))
        if not alertes:
            return "—"
        return format_html_join("", '<p class="fr-badge fr-badge--sm {}">{}</p> ', alertes)

    def render_chef_de_projet_statut(self, value, record):

        return StatutChefDeProjet(value).label

    def render_actions(self, record):
        return f"{record.actions_engagees_count} / {record.actions_count}"

    def render_financement_accorde(self, value):
        return f"{value:,.0f} €".replace(",", "\u202f")
