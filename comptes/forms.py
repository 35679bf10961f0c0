from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from dsfr.forms import DsfrBaseForm

from comptes.models import User


class ConnexionForm(DsfrBaseForm, AuthenticationForm):
    error_messages = {
        "invalid_login": "Identifiant ou mot de passe incorrect. Vérifiez les deux champs et réessayez.",
        "inactive": "Ce compte est désactivé. Contactez l’administrateur de PVD Suivi.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Identifiant"
        self.fields["password"].label = "Mot de passe"
        self._bound_fields_cache.clear()  # DsfrBaseForm a déjà construit les champs avec les anciens libellés


class PreferencesForm(DsfrBaseForm, forms.ModelForm):
    class Meta:
        model = User
        fields = ["rappels_actifs"]


class CodeForm(DsfrBaseForm):
    code = forms.CharField(
        label="Code à 6 chiffres",
        help_text="Affiché par votre application d’authentification ; ou l’un de vos codes de secours (8 chiffres).",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        error_messages={"required": "Saisissez le code affiché par votre application."},
    )


class MotDePasseOublieForm(DsfrBaseForm):
    email = forms.EmailField(
        label="Adresse électronique",
        help_text="Celle de votre compte PVD Suivi. Format attendu : nom@domaine.gouv.fr",
        max_length=254,
        error_messages={
            "required": "Saisissez l’adresse électronique de votre compte.",
            "invalid": "Saisissez une adresse électronique valide, par exemple nom@domaine.gouv.fr.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class NouveauMotDePasseForm(DsfrBaseForm, SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Nouveau mot de passe"
        self.fields[
            "new_password1"
        ].help_text = "Au moins 12 caractères, ni trop courant, ni uniquement des chiffres, ni proche de votre identifiant."
        self.fields["new_password2"].label = "Confirmez le nouveau mot de passe"
        self.fields["new_password2"].help_text = "Saisissez-le une seconde fois."
        self._bound_fields_cache.clear()
