"""Champs et aides de formulaire communs aux applications : montants à la française, libellés des choix vides.

Le résumé des erreurs (en tête de formulaire, liens vers les champs, focus) est le gabarit
components/resume_erreurs.html, rendu par {% resume_erreurs form %} (pvd/templatetags/formulaires.py)."""

from decimal import Decimal

from django import forms

from pvd.formats import MontantIllisible, montant_lire, nombre

CHOIX_VIDE_DJANGO = "---------"
CHOIX_VIDE_OBLIGATOIRE = "Sélectionner une option"
CHOIX_VIDE_FACULTATIF = "Non renseigné"


class MontantInput(forms.TextInput):
    """Un montant s'affiche comme il se lit : « 480 000,50 » (et non « 480000.50 »)."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(
            {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false", **(attrs or {})}
        )

    def format_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            valeur = Decimal(str(value))
            return nombre(valeur, 0 if valeur == valeur.to_integral_value() else 2)
        return super().format_value(value)


class MontantField(forms.DecimalField):
    """Montant en euros saisi à la française : « 480 000,50 », « 480 000,50 € », espaces normales, insécables
    ou fines ; un texte ambigu (« 480.000 ») est refusé avec un message qui dit comment l'écrire."""

    widget = MontantInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        # Pas d'attributs min/step de <input type="number"> : le champ est un texte.
        return forms.Field.widget_attrs(self, widget)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal | int):
            return Decimal(value)
        try:
            return montant_lire(str(value))
        except MontantIllisible as erreur:
            raise forms.ValidationError(str(erreur), code="invalid") from erreur

    def validate(self, value):
        forms.Field.validate(self, value)


def montants_a_la_francaise(form):
    """Remplace les DecimalField d'un ModelForm par des MontantField (mêmes libellé, aide, validateurs)."""
    for nom, champ in list(form.fields.items()):
        if isinstance(champ, forms.DecimalField) and not isinstance(champ, MontantField):
            nouveau = MontantField(
                label=champ.label,
                required=champ.required,
                help_text=champ.help_text,
                max_digits=champ.max_digits,
                decimal_places=champ.decimal_places,
                validators=[v for v in champ.validators if not hasattr(v, "max_digits")],
            )
            nouveau.widget.attrs.update(
                {k: v for k, v in champ.widget.attrs.items() if k not in ("step", "min", "max")}
            )
            form.fields[nom] = nouveau
            form._bound_fields_cache.pop(nom, None)  # DsfrBaseForm a déjà lié l'ancien champ


def choix_vides_en_francais(form):
    """Le choix vide de Django (« --------- ») devient « Sélectionner une option » (champ obligatoire) ou
    « Non renseigné » (champ facultatif : on peut revenir à « rien de connu »)."""
    for champ in form.fields.values():
        libelle = CHOIX_VIDE_OBLIGATOIRE if champ.required else CHOIX_VIDE_FACULTATIF
        if isinstance(champ, forms.ModelChoiceField):
            if champ.empty_label == CHOIX_VIDE_DJANGO:
                champ.empty_label = libelle
        elif isinstance(champ, forms.ChoiceField):
            choix = list(champ.choices)
            if choix and choix[0] == ("", CHOIX_VIDE_DJANGO):
                champ.choices = [("", libelle), *choix[1:]]
