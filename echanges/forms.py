import re

from django import forms
from django.conf import settings
from dsfr.forms import DsfrBaseForm
from dsfr.utils import dsfr_input_class_attr

from comptes.constants import Role
from echanges.constants import Frequence, TypeNotification, TypePiece, Visibilite
from echanges.models import Commentaire


class FiltreNotificationsForm(forms.Form):
    etat = forms.ChoiceField(
        label="Afficher",
        required=False,
        choices=[("", "Toutes"), ("non_lues", "Non lues"), ("lues", "Lues")],
    )


class PreferencesNotificationForm(DsfrBaseForm):
    """Une liste de choix par type de notification (page « Mon compte »)."""

    def __init__(self, *args, initial_frequences=None, **kwargs):
        super().__init__(*args, **kwargs)
        for type, libelle in TypeNotification.choices:
            self.fields[type] = forms.ChoiceField(
                label=libelle, choices=Frequence.choices, initial=(initial_frequences or {}).get(type)
            )
        self._bound_fields_cache.clear()
        for visible in self.visible_fields():
            dsfr_input_class_attr(visible)


def visibilites_pour(user):
    """Visibilités qu'un auteur peut choisir : celles qui l'incluent lui-même."""
    if user.role == Role.DEPARTEMENTAL:
        return list(Visibilite.choices)
    if user.role == Role.REGIONAL:
        return [c for c in Visibilite.choices if c[0] != Visibilite.DEPARTEMENT]
    return [c for c in Visibilite.choices if c[0] == Visibilite.TOUS]


MENTION = re.compile(r"@([\w.+-]+)")


class CommentaireForm(DsfrBaseForm, forms.ModelForm):
    """Nouveau commentaire : texte et visibilité ; les @identifiants doivent pouvoir lire le commentaire.

    lecteurs(visibilité) → queryset des comptes qui le liront (fourni par la vue)."""

    class Meta:
        model = Commentaire
        fields = ["texte", "visibilite"]
        widgets = {"texte": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "texte": "Mentionnez une personne avec @ suivi de son identifiant (par exemple @demo-region) : "
            "elle est prévenue."
        }

    def __init__(self, *args, user, lecteurs, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.lecteurs = user, lecteurs
        if "visibilite" in self.fields:
            choix = visibilites_pour(user)
            self.fields["visibilite"].choices = choix
            valeurs = [valeur for valeur, _ in choix]
            self.fields["visibilite"].initial = (
                Visibilite.REGION if Visibilite.REGION in valeurs else valeurs[0]
            )
        self._bound_fields_cache.clear()

    def clean(self):
        donnees = super().clean()
        texte, visibilite = donnees.get("texte", ""), donnees.get("visibilite")
        noms = {m.rstrip(".") for m in MENTION.findall(texte or "")}
        if not noms or not visibilite:
            donnees["mentionnes"] = []
            return donnees
        lecteurs = {u.username: u for u in self.lecteurs(visibilite).filter(username__in=noms)}
        inconnus = sorted(noms - set(lecteurs))
        if inconnus:
            self.add_error(
                "texte",
                "Personne ne peut être mentionné ici sous "
                + ", ".join(f"@{n}" for n in inconnus)
                + " : ce compte n’existe pas ou ne peut pas lire ce commentaire avec la visibilité choisie.",
            )
        donnees["mentionnes"] = [lecteurs[n] for n in sorted(lecteurs) if lecteurs[n].pk != self.user.pk]
        return donnees


class CommentaireModifierForm(CommentaireForm):
    """Modification par l'auteur (15 minutes) : le texte seulement ; la visibilité ne change pas."""

    class Meta(CommentaireForm.Meta):
        fields = ["texte"]

    def clean(self):
        self.cleaned_data["visibilite"] = self.instance.visibilite
        return super().clean()


class PieceJointeForm(DsfrBaseForm):
    type = forms.ChoiceField(label="Type de document", choices=TypePiece.choices)
    titre = forms.CharField(
        label="Titre", max_length=200, help_text="Par exemple « Convention signée le 12 mai 2021 »."
    )
    fichier = forms.FileField(
        label="Fichier",
        help_text="PDF, ODT, DOCX, PNG ou JPEG, au plus {} Mo.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.odt,.docx,.png,.jpg,.jpeg"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fichier"].help_text = self.fields["fichier"].help_text.format(
            settings.PIECES_JOINTES_MAX_MO
        )
        self._bound_fields_cache.clear()


class NouvelleVersionForm(DsfrBaseForm):
    fichier = PieceJointeForm.base_fields["fichier"]
