import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from pvd.formats import date_longue
from syntheses.constants import ETATS_GENERATION_ACTIFS, EtatGeneration, EtatSynthese
from syntheses.models import Campagne, Synthese

COULEURS_ETAT = {
    EtatSynthese.EN_REDACTION: "fr-badge--info",
    EtatSynthese.VALIDEE: "fr-badge--new",
    EtatSynthese.TRANSMISE: "fr-badge--success",
}


def badge_etat(synthese):
    return format_html(
        '<p class="fr-badge fr-badge--sm fr-badge--no-icon {}">{}</p>',
        COULEURS_ETAT[synthese.etat],
        synthese.get_etat_display(),
    )


class DateLongueColumn(tables.Column):
    """« 1er janvier 2024 » (DateColumn écrirait « 1 janvier 2024 »)."""

    def render(self, value):
        return date_longue(value)


class CampagneTable(tables.Table):
    nom = tables.Column("Campagne")
    date_echeance = DateLongueColumn("Échéance")
    date_limite_phase_operationnelle = DateLongueColumn("Phase opérationnelle au")
    transmises = tables.Column(
        "Notes transmises", accessor="transmises_count", attrs={"td": {"class": "pvd-nombre"}}
    )

    class Meta:
        model = Campagne
        fields = ("nom", "date_echeance", "date_limite_phase_operationnelle", "transmises")
        caption = "Campagnes de notes de synthèse"
        empty_text = "Aucune campagne n’a encore été ouverte."
        orderable = False

    def render_nom(self, value, record):
        return format_html('<a href="{}">{}</a>', reverse("syntheses:campagne", args=[record.pk]), value)

    def render_transmises(self, value, record):
        retard = (
            mark_safe(' <p class="fr-badge fr-badge--sm fr-badge--error">En retard</p>')
            if record.has_en_retard
            else ""
        )
        return format_html("{} sur {}{}", value, record.syntheses_count, retard)


class SyntheseTable(tables.Table):
    region = tables.Column("Région", order_by=("region__nom",))
    etat = tables.Column("État")
    sections = tables.Column(
        "Sections soumises ou dispensées",
        accessor="sections_pretes_count",
        attrs={"td": {"class": "pvd-nombre"}},
    )
    echeance = tables.Column("Échéance", accessor="is_en_retard", order_by=("-is_en_retard", "region__nom"))
    version = tables.Column("Dernier PDF", accessor="derniere_version_numero", orderable=False, default="—")

    class Meta:
        model = Synthese
        fields = ("region", "etat", "sections", "echeance", "version")
        caption = "Notes de synthèse régionales"
        empty_text = "Aucune note."
        row_attrs = {"class": lambda record: "pvd-ligne-retard" if record.is_en_retard else ""}

    def render_region(self, value, record):
        return format_html('<a href="{}">{}</a>', reverse("syntheses:synthese", args=[record.pk]), value.nom)

    def render_etat(self, value, record):
        return badge_etat(record)

    def render_sections(self, value, record):
        return format_html("{} / {}", value, record.sections_count)

    def render_echeance(self, value, record):
        date = f"{record.campagne.date_echeance:%d/%m/%Y}"
        if not value:
            return date
        libelle = "Transmise en retard" if record.etat == EtatSynthese.TRANSMISE else "En retard"
        return format_html('{} <p class="fr-badge fr-badge--sm fr-badge--error">{}</p>', date, libelle)

    def render_version(self, value, record):
        texte = f"Version {value}"
        if record.generation_etat in ETATS_GENERATION_ACTIFS:
            texte += " · génération en cours"
        elif record.generation_etat == EtatGeneration.FAILED:
            texte += " · dernière génération en échec"
        return texte
