from django import forms
from dsfr.forms import DsfrBaseForm


class RechercheForm(DsfrBaseForm):
    q = forms.CharField(
        label="Commune, code INSEE, EPCI, département ou région",
        help_text="Accents et majuscules indifférents : « chatillon », « 35072 », « ille et vilaine ».",
        max_length=100,
        required=False,
        error_messages={"max_length": "Saisissez au plus %(limit_value)d caractères."},
    )
