import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from clubs.constants import StatutReunion, StatutRythme
from clubs.models import ReunionClub
from clubs.services import rythme_motifs

BADGES_RYTHME = {
    StatutRythme.CONFORME: "fr-badge--success",
    StatutRythme.EN_COURS: "fr-badge--info",
    StatutRythme.EN_DEFAUT: "fr-badge--error",
    StatutRythme.SANS_OBJET: "fr-badge--no-icon",
}
BADGES_REUNION = {StatutReunion.TENUE: "fr-badge--success", StatutReunion.PREVUE: "fr-badge--new"}


def badge(texte, classe):
    return format_html('<p class="fr-badge fr-badge--sm {}">{}</p>', classe, texte)


def oui_non(valeur):
    if valeur:
        return badge("Oui", "fr-badge--success fr-badge--no-icon")
    return badge("Non", "fr-badge--warning fr-badge--no-icon")


class ReunionClubTable(tables.Table):
    date = tables.DateColumn(
        "d/m/Y", verbose_name="Date", linkify=True, attrs={"td": {"class": "pvd-nowrap"}}
    )
    statut = tables.Column("Statut", empty_values=(), orderable=False)
    departement = tables.Column("Département", order_by=("departement__code",))
    format = tables.Column("Format")
    public = tables.Column("Public")
    participants_count = tables.Column("Participants", attrs={"td": {"class": "pvd-nombre"}})
    communes_count = tables.Column("Communes", attrs={"td": {"class": "pvd-nombre"}})
    themes = tables.Column("Thèmes", orderable=False)
    piece_jointe = tables.Column("PDF", orderable=False)

    class Meta:
        model = ReunionClub
        fields = (
            "date",
            "statut",
            "departement",
            "format",
            "public",
            "participants_count",
            "communes_count",
            "themes",
            "piece_jointe",
        )
        caption = "Réunions des clubs PVD"
        attrs = {"class": "pvd-multiligne"}
        empty_text = "Aucune réunion ne correspond à ces critères."
        per_page = 50
        order_by = ("-date",)

    def render_statut(self, record):
        return badge(record.get_statut_display(), BADGES_REUNION[record.statut])

    def render_departement(self, record):
        return f"{record.departement.code} – {record.departement.nom}"

    def render_themes(self, value):
        return format_html('<span class="fr-text--sm">{}</span>', ", ".join(value))

    def render_piece_jointe(self, record):
        return format_html(
            '<a class="fr-link fr-link--sm" href="{}">Télécharger<span class="fr-sr-only"> le PDF de la '
            "réunion du {}</span></a>",
            reverse("clubs:piece_jointe", args=[record.pk]),
            record.date.strftime("%d/%m/%Y"),
        )


class RythmeTable(tables.Table):
    """Une ligne par département, annotée par clubs.services.rythme_clubs()."""

    nom = tables.Column(
        "Département",
        order_by=("code",),
        linkify=("tableau:departement", {"code": tables.A("code")}),
        attrs={"td": {"class": "pvd-nowrap"}},
    )
    region = tables.Column("Région", order_by=("region__nom",))
    reunions_count = tables.Column("Réunions tenues", attrs={"td": {"class": "pvd-nombre"}})
    has_reunion_s1 = tables.Column("1er semestre")
    has_deux_reunions = tables.Column("Deux réunions")
    reunions_prevues_count = tables.Column("Prévues", attrs={"td": {"class": "pvd-nombre"}})
    communes_jamais_representees_count = tables.Column(
        "Communes jamais représentées", attrs={"td": {"class": "pvd-nombre"}}
    )
    statut = tables.Column("Situation")

    class Meta:
        fields = (
            "nom",
            "region",
            "reunions_count",
            "has_reunion_s1",
            "has_deux_reunions",
            "reunions_prevues_count",
            "communes_jamais_representees_count",
            "statut",
        )
        empty_text = "Aucun département."
        attrs = {"class": "pvd-multiligne"}
        row_attrs = {
            "class": lambda record: "pvd-ligne-defaut" if record.statut == StatutRythme.EN_DEFAUT else ""
        }

    def __init__(self, *args, annee, aujourd_hui, avec_region=True, **kwargs):
        self.annee, self.aujourd_hui = annee, aujourd_hui
        super().__init__(*args, exclude=() if avec_region else ("region",), **kwargs)
        self.caption = f"Rythme des clubs PVD en {annee}, par département"

    def render_nom(self, value, record):
        return f"{record.code} – {value}"

    def render_has_reunion_s1(self, value, record):
        return "—" if record.statut == StatutRythme.SANS_OBJET else oui_non(value)

    def render_has_deux_reunions(self, value, record):
        return "—" if record.statut == StatutRythme.SANS_OBJET else oui_non(value)

    def render_communes_jamais_representees_count(self, value, record):
        return f"{value} sur {record.communes_pvd_count}"

    def render_statut(self, value, record):
        statut = StatutRythme(value)
        motifs = rythme_motifs(record, self.annee, aujourd_hui=self.aujourd_hui)
        detail = format_html('<span class="pvd-motif">{}</span>', " ; ".join(motifs)) if motifs else ""
        return format_html("{}{}", badge(statut.label, BADGES_RYTHME[statut]), detail)


class RythmeRegionTable(tables.Table):
    """Synthèse par région (dictionnaires de clubs.services.rythme_par_region())."""

    region__nom = tables.Column("Région")
    departements_count = tables.Column("Départements", attrs={"td": {"class": "pvd-nombre"}})
    conformes_count = tables.Column("Conformes", attrs={"td": {"class": "pvd-nombre"}})
    en_cours_count = tables.Column("En cours", attrs={"td": {"class": "pvd-nombre"}})
    en_defaut_count = tables.Column("En défaut", attrs={"td": {"class": "pvd-nombre"}})
    sans_objet_count = tables.Column("Sans objet (sans commune PVD)", attrs={"td": {"class": "pvd-nombre"}})

    class Meta:
        orderable = False
        empty_text = "Aucune région."

    def __init__(self, *args, annee, **kwargs):
        self.annee = annee
        super().__init__(*args, **kwargs)
        self.caption = f"Rythme des clubs PVD en {annee}, par région"

    def render_region__nom(self, value, record):
        url = reverse("clubs:rythme") + "?" + urlencode({"annee": self.annee, "region": record["region_id"]})
        return format_html('<a class="fr-link" href="{}">{}</a>', url, value)

    def render_en_defaut_count(self, value):
        if value:
            return format_html(
                "{}{}", value, badge("À relancer", "fr-badge--error fr-badge--no-icon pvd-ml-1w")
            )
        return value
