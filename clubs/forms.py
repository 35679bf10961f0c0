from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from dsfr.forms import DsfrBaseForm

from clubs.constants import THEMES_SUGGERES
from clubs.models import ReunionClub
from clubs.themes import themes_decouper, themes_normaliser
from clubs.validators import (
    taille_max_octets,
    valider_extension_pdf,
    valider_signature_pdf,
    valider_taille_piece_jointe,
)
from territoires.models import Commune, alphabetique


class ReunionClubForm(DsfrBaseForm, forms.ModelForm):
    """Saisie d'une réunion par un compte départemental : les communes proposées sont les communes PVD
    de son département ; les thèmes combinent des suggestions à cocher et une saisie libre."""

    themes_suggeres = forms.MultipleChoiceField(
        label="Thèmes abordés",
        choices=[(t, t) for t in THEMES_SUGGERES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    autres_themes = forms.CharField(
        label="Autres thèmes",
        required=False,
        max_length=500,
        help_text="Saisie libre, séparés par des virgules. Exemple : Friches, Santé, Tourisme",
    )
    piece_jointe = forms.FileField(
        label="Pièce jointe (facultatif)",
        required=False,
        validators=[valider_extension_pdf, valider_signature_pdf, valider_taille_piece_jointe],
        widget=forms.FileInput(attrs={"accept": ".pdf,application/pdf", "class": "fr-upload"}),
        error_messages={"empty": "Le fichier déposé est vide."},
    )
    supprimer_piece_jointe = forms.BooleanField(label="Retirer la pièce jointe actuelle", required=False)

    class Meta:
        model = ReunionClub
        fields = ["date", "format", "public", "participants_count", "communes", "compte_rendu"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "format": forms.RadioSelect,
            "public": forms.RadioSelect,
            "communes": forms.CheckboxSelectMultiple,
            "compte_rendu": forms.Textarea(attrs={"rows": 5}),
        }
        error_messages = {
            "date": {"required": "Indiquez la date de la réunion.", "invalid": "Indiquez une date valide."},
            "format": {"required": "Indiquez le format de la réunion."},
            "public": {"required": "Indiquez le public de la réunion."},
        }

    def __init__(self, *args, departement, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.departement = departement
        self.fields["communes"].queryset = (
            Commune.objects.pvd().filter(departement=departement).order_by(alphabetique())
        )
        self.fields["communes"].help_text = "Communes PVD du département présentes ou représentées."
        self.fields["date"].help_text = ""
        self.fields["participants_count"].help_text = "Obligatoire si la réunion a déjà eu lieu."
        self.fields[
            "piece_jointe"
        ].help_text = (
            f"Compte rendu ou support au format PDF, {settings.CLUB_PIECE_JOINTE_MAX_MO} Mo au plus."
        )
        self.fields["piece_jointe"].widget.group_class = "fr-upload-group"
        self.fields["piece_jointe"].widget.attrs.update(
            {"data-taille-max": taille_max_octets(), "data-taille-max-mo": settings.CLUB_PIECE_JOINTE_MAX_MO}
        )
        self.fields["format"].choices = self.fields["format"].choices[
            1:
        ]  # pas de choix vide en boutons radio
        self.fields["public"].choices = self.fields["public"].choices[1:]
        if self.instance.pk:
            themes = self.instance.themes or []
            self.initial["themes_suggeres"] = [t for t in themes if t in THEMES_SUGGERES]
            self.initial["autres_themes"] = ", ".join(t for t in themes if t not in THEMES_SUGGERES)
        if not self.instance.piece_jointe:
            del self.fields["supprimer_piece_jointe"]
        for nom in ("format", "public", "themes_suggeres"):
            self.fields[nom].widget.inline = True
        self._bound_fields_cache.clear()  # DsfrBaseForm a déjà lié les champs avant ces changements

    def clean(self):
        donnees = super().clean()
        themes = list(donnees.get("themes_suggeres") or []) + themes_decouper(donnees.get("autres_themes"))
        try:
            self.instance.themes = themes_normaliser(themes)
        except ValidationError as erreur:
            self.add_error("autres_themes", erreur)
        if donnees.get("piece_jointe") and donnees.get("supprimer_piece_jointe"):
            self.add_error(
                "supprimer_piece_jointe",
                "Décochez « Retirer » pour remplacer la pièce jointe par le nouveau fichier.",
            )
        return donnees

    def services_kwargs(self):
        """Arguments de clubs.services.reunion_club_enregistrer() (hors user)."""
        return {
            "reunion": self.instance,
            "communes": self.cleaned_data["communes"],
            "piece_jointe": self.cleaned_data.get("piece_jointe"),
            "supprimer_piece_jointe": self.cleaned_data.get("supprimer_piece_jointe", False),
        }
