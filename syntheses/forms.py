from django import forms
from dsfr.forms import DsfrBaseForm

from syntheses.constants import LectureSection
from syntheses.models import Campagne, SectionDepartementale, Synthese

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CampagneForm(DsfrBaseForm, forms.ModelForm):
    class Meta:
        model = Campagne
        fields = [
            "nom",
            "date_echeance",
            "date_limite_phase_operationnelle",
            "destinataire",
            "reference_instruction",
            "questions",
        ]
        widgets = {
            "date_echeance": DATE,
            "date_limite_phase_operationnelle": DATE,
            "questions": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for nom in ("date_echeance", "date_limite_phase_operationnelle"):
            self.fields[nom].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]

    def clean_questions(self):
        questions = self.cleaned_data["questions"]
        if not [q for q in questions.splitlines() if q.strip()]:
            raise forms.ValidationError("Indiquez au moins une question.")
        return questions


class SectionForm(DsfrBaseForm, forms.ModelForm):
    """Texte d'une section ; porte la version lue à l'ouverture pour refuser une mise à jour perdue."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = SectionDepartementale
        fields = ["dynamique", "leviers", "difficultes", "texte_libre"]
        widgets = {nom: forms.Textarea(attrs={"rows": 7}) for nom in fields}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version


class VueEnsembleForm(DsfrBaseForm, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Synthese
        fields = ["vue_ensemble", "lieu", "signataire_titre", "signataire_nom"]
        widgets = {"vue_ensemble": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version


class ConfirmationForm(DsfrBaseForm):
    """Action sans saisie (soumettre, valider, transmettre…) : le formulaire porte seulement le jeton CSRF."""


class CommentaireForm(DsfrBaseForm):
    commentaire = forms.CharField(
        label="Commentaire pour le département",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Ce que le département doit reprendre avant de soumettre à nouveau.",
        error_messages={"required": "Expliquez au département ce qu’il doit reprendre."},
    )


class MotifForm(DsfrBaseForm):
    motif = forms.CharField(
        label="Motif de la dispense",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Par exemple : pas de contribution attendue cette année.",
        error_messages={"required": "Indiquez le motif de la dispense."},
    )


class LectureForm(DsfrBaseForm):
    """Marque de la région sur une section soumise (vue de lecture), avec un commentaire facultatif."""

    lecture = forms.ChoiceField(
        label="Lecture de la section",
        choices=[(LectureSection.LUE, "Lue"), (LectureSection.ACCEPTEE, "Acceptée pour la note")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez « lue » ou « acceptée pour la note »."},
    )
    commentaire = forms.CharField(
        label="Commentaire pour le département (facultatif)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Publié dans le fil de la section, lu par le département et la région.",
    )


class ReouvertureForm(DsfrBaseForm):
    commentaire = forms.CharField(
        label="Motif de la réouverture", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RisquesForm(DsfrBaseForm):
    """Liste des communes en difficulté d'une section : une case et une justification par commune candidate
    (signalée par le suivi ou déjà retenue), plus l'ajout d'une autre commune PVD du département."""

    def __init__(self, *args, candidates, autres, retenues, suggestions, **kwargs):
        """candidates : communes annotées (with_suivi) ; autres : autres communes PVD du département ;
        retenues : {code_insee: justification} déjà confirmées ; suggestions : {code_insee: justification
        écrite par une personne} (la décision « en difficulté » prise sur la fiche de la commune). Une commune
        que seules les données signalent n'est ni cochée ni justifiée d'avance : une personne la retient et
        écrit pourquoi."""
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        for commune in self.candidates:
            code = commune.code_insee
            retenue = code in retenues if retenues is not None else code in suggestions
            self.fields[f"retenue_{code}"] = forms.BooleanField(
                label=f"Retenir {commune.nom}", required=False, initial=retenue
            )
            self.fields[f"justification_{code}"] = forms.CharField(
                label=f"Justification pour {commune.nom}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=(retenues or {}).get(code) or suggestions.get(code, ""),
            )
        self.fields["ajout_commune"] = forms.ModelChoiceField(
            label="Ajouter une autre commune du département",
            queryset=autres,
            required=False,
            empty_label="— Aucune —",
            to_field_name="code_insee",
        )
        self.fields["ajout_justification"] = forms.CharField(
            label="Justification pour la commune ajoutée",
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
        )

    def lignes(self):
        for commune in self.candidates:
            yield commune, self[f"retenue_{commune.code_insee}"], self[f"justification_{commune.code_insee}"]

    def clean(self):
        donnees = super().clean()
        communes = []
        for commune in self.candidates:
            code = commune.code_insee
            if not donnees.get(f"retenue_{code}"):
                continue
            justification = (donnees.get(f"justification_{code}") or "").strip()
            if not justification:
                self.add_error(f"justification_{code}", f"Justifiez la difficulté de {commune.nom}.")
            communes.append(
                {
                    "commune": commune,
                    "justification": justification,
                    "is_suggere": bool(commune.is_risque_suggere),
                }
            )
        ajout = donnees.get("ajout_commune")
        if ajout is not None:
            justification = (donnees.get("ajout_justification") or "").strip()
            if not justification:
                self.add_error("ajout_justification", f"Justifiez la difficulté de {ajout.nom}.")
            communes.append({"commune": ajout, "justification": justification, "is_suggere": False})
        donnees["communes"] = communes
        return donnees
