import json

from django import forms
from dsfr.forms import DsfrBaseForm

from communes.constants import (
    MESURES_OUTRE_MER,
    MESURES_PAR_AXE,
    AxeFondsVert,
    DecisionRisque,
    MesureFondsVert,
    TypeConvention,
)
from communes.models import Action, Avenant, ChefDeProjet, Convention, Crte, Financement, Ort, Territoire
from pvd.forms import choix_vides_en_francais, montants_a_la_francaise

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SuiviForm(DsfrBaseForm, forms.ModelForm):
    """Formulaire de suivi : porte la version lue à l'ouverture, pour refuser une mise à jour perdue."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, territoire, **kwargs):
        self.territoire = territoire
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version if self.instance.pk else None
        for champ in self.fields.values():
            if isinstance(champ, forms.DateField):
                champ.widget = DATE
                champ.input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
            elif isinstance(champ.widget, forms.Textarea):
                champ.widget.attrs.setdefault("rows", 3)
        montants_a_la_francaise(self)
        choix_vides_en_francais(self)

    def adhesion(self):
        return Convention.objects.filter(
            territoire=self.territoire, type=TypeConvention.ADHESION, date_signature__isnull=False
        ).first()

    def cadre(self):
        return Convention.objects.filter(territoire=self.territoire, type=TypeConvention.CADRE).first()


class ConfirmationForm(DsfrBaseForm):
    """Confirmation d'une valeur reprise d'un fichier officiel : la version lue, rien d'autre."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class AdhesionForm(SuiviForm):
    class Meta:
        model = Convention
        fields = ["date_signature", "commentaire"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_signature"].required = True
        self.instance.territoire = self.territoire
        self.instance.type = TypeConvention.ADHESION

    def clean_date_signature(self):
        date = self.cleaned_data["date_signature"]
        cadre = self.cadre()
        if date and cadre and cadre.date_signature and cadre.date_signature < date:
            raise forms.ValidationError(
                f"La convention-cadre a été signée le {cadre.date_signature:%d/%m/%Y}, avant cette date d’adhésion."
            )
        return date


class ConventionCadreForm(SuiviForm):
    class Meta:
        model = Convention
        fields = ["date_signature", "vaut_ort", "commentaire"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.territoire = self.territoire
        self.instance.type = TypeConvention.CADRE

    def clean_date_signature(self):
        date = self.cleaned_data["date_signature"]
        adhesion = self.adhesion()
        if adhesion is None:
            raise forms.ValidationError("Enregistrez d’abord la convention d’adhésion.")
        if date and date < adhesion.date_signature:
            raise forms.ValidationError(
                f"La convention-cadre ne peut pas être signée avant la convention d’adhésion "
                f"(signée le {adhesion.date_signature:%d/%m/%Y})."
            )
        return date

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("vaut_ort")
            and not cleaned.get("date_signature")
            and "date_signature" not in self.errors
        ):
            self.add_error(
                "vaut_ort", "Une convention-cadre en élaboration ne vaut pas encore ORT : indiquez sa date."
            )
        return cleaned


class AvenantForm(SuiviForm):
    class Meta:
        model = Avenant
        fields = ["date_signature", "objet"]

    def __init__(self, *args, convention, **kwargs):
        self.convention = convention
        super().__init__(*args, **kwargs)
        self.instance.convention = convention

    def clean_date_signature(self):
        date = self.cleaned_data["date_signature"]
        if not self.convention.date_signature:
            raise forms.ValidationError("La convention n’est pas encore signée : pas d’avenant possible.")
        if date and date < self.convention.date_signature:
            raise forms.ValidationError(
                f"Un avenant ne peut pas précéder la convention (signée le {self.convention.date_signature:%d/%m/%Y})."
            )
        return date


class OrtForm(SuiviForm):
    secteurs = forms.CharField(
        label="Secteurs d’intervention",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Un secteur par ligne (ex. « Centre-bourg », « Quartier de la gare »).",
    )

    class Meta:
        model = Ort
        fields = ["date_signature", "duree_annees"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.territoire = self.territoire
        if self.instance.pk:
            self.fields["secteurs"].initial = "\n".join(s.nom for s in self.instance.secteurs.all())

    def clean_secteurs(self):
        noms = [ligne.strip() for ligne in self.cleaned_data["secteurs"].splitlines() if ligne.strip()]
        trop_longs = [n for n in noms if len(n) > 200]
        if trop_longs:
            raise forms.ValidationError("Un nom de secteur ne peut pas dépasser 200 caractères.")
        return list(dict.fromkeys(noms))

    def _save_m2m(self):
        super()._save_m2m()
        noms = self.cleaned_data["secteurs"]
        self.instance.secteurs.exclude(nom__in=noms).delete()
        existants = set(self.instance.secteurs.values_list("nom", flat=True))
        for nom in noms:
            if nom not in existants:
                self.instance.secteurs.create(nom=nom)


class ChefDeProjetForm(SuiviForm):
    class Meta:
        model = ChefDeProjet
        fields = ["statut", "nom", "employeur", "date_prise_poste", "date_depart"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.territoire = self.territoire


class CrteForm(SuiviForm):
    """Le CRTE du territoire : seuls ceux dont l'EPCI de la commune est signataire sont proposés (périmètres
    officiels, comme « Couverture par un CRTE » sur la fiche), et un autre est refusé."""

    class Meta:
        model = Territoire
        fields = ["crte", "date_inscription_crte"]

    def __init__(self, *args, commune, **kwargs):
        super().__init__(*args, **kwargs)
        self.commune = commune
        champ = self.fields["crte"]
        champ.queryset = (
            Crte.objects.filter(epcis=commune.epci_id).order_by("nom")
            if commune.epci_id
            else Crte.objects.none()
        )
        champ.required = True
        champ.empty_label = "Choisir le CRTE du territoire"
        epci = commune.epci.nom if commune.epci_id else None
        champ.error_messages["invalid_choice"] = (
            f"Ce CRTE ne couvre pas {commune.nom} : {epci} n’en est pas signataire. Choisissez un CRTE dont "
            "l’EPCI de la commune est signataire."
            if epci
            else f"{commune.nom} n’appartient à aucun EPCI : aucun CRTE ne la couvre."
        )
        if epci:
            champ.help_text = f"CRTE dont {epci} est signataire (périmètres officiels de l’ANCT)."
        if not champ.queryset.exists():
            champ.help_text = champ.error_messages["required"] = (
                f"Aucun CRTE chargé ne couvre {commune.nom} : {epci} n’est signataire d’aucun CRTE dans les "
                "périmètres officiels ; l’inscription ne peut pas être enregistrée."
                if epci
                else f"{commune.nom} n’appartient à aucun EPCI : aucun CRTE ne la couvre."
            )
        self.fields["date_inscription_crte"].required = False
        self.fields["date_inscription_crte"].help_text = (
            "Laisser vide si la convention-cadre n’est pas encore inscrite : le CRTE du territoire est alors "
            "enregistré seul."
        )

    def clean_date_inscription_crte(self):
        date = self.cleaned_data["date_inscription_crte"]
        if not date:
            return date
        cadre = self.cadre()
        if cadre is None or not cadre.date_signature:
            raise forms.ValidationError("Seule une convention-cadre signée peut être inscrite au CRTE.")
        if date and date < cadre.date_signature:
            raise forms.ValidationError(
                f"L’inscription ne peut pas précéder la signature de la convention-cadre "
                f"({cadre.date_signature:%d/%m/%Y})."
            )
        return date


class TerritoireForm(SuiviForm):
    class Meta:
        model = Territoire
        fields = ["nom", "date_retrait"]


class RisqueForm(SuiviForm):
    class Meta:
        model = Territoire
        fields = ["risque_decision", "risque_justification"]
        widgets = {
            "risque_decision": forms.RadioSelect,
            "risque_justification": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risque_decision"].choices = [
            ("", "Suivre la suggestion calculée"),
            *DecisionRisque.choices,
        ]
        self.fields["risque_decision"].required = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("risque_decision") and not (cleaned.get("risque_justification") or "").strip():
            self.add_error(
                "risque_justification", "Justifiez la décision : elle figurera dans la note régionale."
            )
        return cleaned


class ActionForm(SuiviForm):
    class Meta:
        model = Action
        fields = ["titre", "theme", "maitre_ouvrage", "cout", "statut", "date_engagement"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.territoire = self.territoire


def mesures_proposees(departement_code):
    """Axe → mesures du fonds vert que peut demander une commune de ce département (celles de l'outre-mer
    seulement outre-mer), dans l'ordre de MESURES_PAR_AXE."""
    outre_mer = departement_code.startswith("97")
    return {
        axe: [m for m in mesures if outre_mer or m not in MESURES_OUTRE_MER]
        for axe, mesures in MESURES_PAR_AXE.items()
    }


class FinancementForm(SuiviForm):
    """Ligne de financement. Les mesures du fonds vert proposées suivent l'axe choisi (côté serveur, à
    l'affichage et à la validation) ; static/js/formulaires.js filtre la liste dès que l'axe change, d'après
    data-pvd-mesures (sans JavaScript, le serveur refuse une mesure d'un autre axe)."""

    class Meta:
        model = Financement
        fields = [
            "dispositif",
            "axe_fonds_vert",
            "mesure_fonds_vert",
            "montant_demande",
            "montant_accorde",
            "annee",
        ]

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.action = action
        self.fields["axe_fonds_vert"].help_text = "Seulement pour le fonds vert."
        self.fields[
            "mesure_fonds_vert"
        ].help_text = "Seulement pour le fonds vert : les mesures proposées sont celles de l’axe choisi."
        self.fields["axe_fonds_vert"].choices = [("", "Aucun (hors fonds vert)"), *AxeFondsVert.choices]
        self.mesures = mesures_proposees(self.territoire.departement_id)
        axe = self["axe_fonds_vert"].value() or ""
        vide = ("", "Aucune (hors fonds vert)" if not axe else "Choisir une mesure de l’axe")
        libelles = dict(MesureFondsVert.choices)
        # Validation : toutes les mesures (la règle de l'axe est dans Financement.clean, avec son message) ;
        # affichage : celles de l'axe choisi, ou toutes groupées par axe tant qu'aucun axe n'est choisi.
        self.fields["mesure_fonds_vert"].choices = [vide, *MesureFondsVert.choices]
        if axe in self.mesures:
            affichees = [vide, *((m, libelles[m]) for m in self.mesures[axe])]
        else:
            affichees = [vide] + [
                (AxeFondsVert(a).label, [(m, libelles[m]) for m in mesures])
                for a, mesures in self.mesures.items()
            ]
        widget = self.fields["mesure_fonds_vert"].widget
        widget.choices = affichees
        widget.attrs["data-pvd-mesures"] = json.dumps(
            {a: [[m, libelles[m]] for m in mesures] for a, mesures in self.mesures.items()},
            ensure_ascii=False,
        )
        widget.attrs["data-pvd-axe"] = self["axe_fonds_vert"].auto_id
        widget.attrs["data-pvd-vide-axe"] = "Choisir une mesure de l’axe"
        widget.attrs["data-pvd-vide"] = "Aucune (hors fonds vert)"

    def clean_mesure_fonds_vert(self):
        mesure = self.cleaned_data["mesure_fonds_vert"]
        if mesure in MESURES_OUTRE_MER and not self.territoire.departement_id.startswith("97"):
            raise forms.ValidationError(
                f"La mesure « {MesureFondsVert(mesure).label} » est réservée aux communes d’outre-mer."
            )
        return mesure


class ImportForm(DsfrBaseForm):
    fichier = forms.FileField(
        label="Fichier CSV ou XLSX",
        help_text="CSV (UTF-8 ou Windows-1252, séparateur point-virgule ou virgule) ou classeur XLSX (première "
        "feuille), une ligne par commune ; 5 Mo au plus.",
    )
    appliquer = forms.BooleanField(
        label="Enregistrer directement les situations (sinon : simulation, rien n’est enregistré)",
        required=False,
    )

    def clean_fichier(self):
        from communes.imports import EXTENSIONS, TAILLE_MAX

        fichier = self.cleaned_data["fichier"]
        if not fichier.name.lower().endswith(EXTENSIONS):
            raise forms.ValidationError("Le fichier doit porter l’extension .csv ou .xlsx.")
        if fichier.size > TAILLE_MAX:
            raise forms.ValidationError("Fichier trop volumineux (5 Mo au plus).")
        return fichier
