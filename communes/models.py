"""Suivi des communes PVD : territoire (binôme commune(s)–EPCI), conventions, ORT, chef de projet, CRTE,
actions et leurs financements. La phase est calculée en base (voir querysets.py), jamais saisie."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from simple_history.models import HistoricalRecords

from communes.constants import (
    ETATS_IMPORT_ACTIFS,
    MESURES_PAR_AXE,
    STATUTS_ENGAGES,
    AxeFondsVert,
    DecisionRisque,
    Dispositif,
    EtatImport,
    MesureFondsVert,
    ModeImport,
    StatutAction,
    StatutChefDeProjet,
    ThemeAction,
    TypeConvention,
)
from communes.querysets import CommunePvdQuerySet, suivi_annotations
from comptes.models import agent_du_departement, territory_q
from territoires.models import Commune

MONTANT = {
    "max_digits": 14,
    "decimal_places": 2,
    "validators": [MinValueValidator(0, "Le montant ne peut pas être négatif.")],
}


def pas_dans_le_futur(valeur):
    if valeur and valeur > timezone.localdate():
        raise ValidationError("La date ne peut pas être dans le futur.")


class Versioned(models.Model):
    """Numéro de version incrémenté à chaque enregistrement : refuse la modification d'une valeur
    que quelqu'un d'autre a changée entre-temps (voir services.suivi_enregistrer)."""

    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        abstract = True


class Provenance(models.Model):
    """Valeur reprise d'un fichier officiel : sa source et son millésime, « à confirmer » tant que le
    département ne l'a pas confirmée ou corrigée (voir services.valeur_confirmer et suivi_enregistrer)."""

    source = models.CharField(
        "source",
        max_length=100,
        blank=True,
        help_text="Fichier officiel d’où vient la valeur (ex. « liste ORT DGALN/ANCT 2024-09 ») ; "
        "vide si la valeur a été saisie par une personne.",
    )
    a_confirmer = models.BooleanField(
        "à confirmer",
        default=False,
        help_text="Valeur reprise d’un fichier officiel que le département n’a encore ni confirmée ni corrigée.",
    )
    confirme_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="confirmée par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirme_le = models.DateTimeField("confirmée le", null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_saisie(self):
        """Saisie par une personne (et non reprise d'un fichier officiel)."""
        return not self.source


class Crte(models.Model):
    code = models.CharField("identifiant ANCT", max_length=30, primary_key=True)
    nom = models.CharField("nom", max_length=200)
    departement = models.ForeignKey(
        "territoires.Departement",
        verbose_name="département chef de file",
        on_delete=models.PROTECT,
        related_name="crtes",
    )
    epcis = models.ManyToManyField(
        "territoires.Epci", verbose_name="EPCI signataires", related_name="crtes", blank=True
    )

    class Meta:
        verbose_name = "CRTE"
        verbose_name_plural = "CRTE"
        ordering = ["nom"]

    def __str__(self):
        return self.nom


class CommunePvd(Commune):
    """Une commune du référentiel vue avec son suivi PVD. Le référentiel (app territoires) ne connaît pas le
    suivi : ce modèle mandataire, sans table, lui ajoute les annotations du suivi (communes.querysets)."""

    objects = CommunePvdQuerySet.as_manager()

    class Meta:
        proxy = True
        verbose_name = "commune PVD et son suivi"
        verbose_name_plural = "communes PVD et leur suivi"


class TerritoireQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(
            territory_q(user, region_path="departement__region_id", departement_path="departement_id")
        )

    def with_suivi(self):

        return self.annotate(**suivi_annotations(prefix=""))

    def cadre_ort_propose(self):
        """Les territoires dont la liste ORT laisse supposer une convention-cadre valant ORT que personne n'a
        encore confirmée ni saisie : ORT reprise d'un fichier officiel, pas de convention-cadre, et une
        adhésion signée au plus tard à la date de l'ORT (une ORT plus ancienne n'est pas la convention-cadre
        PVD). Ces propositions ne comptent jamais comme des conventions-cadres signées."""
        ort = Ort.objects.filter(territoire=OuterRef("pk")).exclude(source="")
        adhesion = Convention.objects.filter(
            territoire=OuterRef("pk"), type=TypeConvention.ADHESION, date_signature__isnull=False
        )
        return self.filter(
            Exists(ort),
            ~Exists(Convention.objects.filter(territoire=OuterRef("pk"), type=TypeConvention.CADRE)),
            Exists(adhesion.filter(territoire__ort__date_signature__isnull=True))
            | Exists(adhesion.filter(date_signature__lte=OuterRef("ort__date_signature"))),
        )


class Territoire(Versioned):
    """Le binôme commune(s)–EPCI qui signe les conventions PVD."""

    nom = models.CharField("nom", max_length=200)
    departement = models.ForeignKey(
        "territoires.Departement",
        verbose_name="département",
        on_delete=models.PROTECT,
        related_name="territoires_pvd",
    )
    epci = models.ForeignKey(
        "territoires.Epci",
        verbose_name="EPCI",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="territoires_pvd",
    )
    date_retrait = models.DateField(
        "retrait du programme",
        null=True,
        blank=True,
        validators=[pas_dans_le_futur],
        help_text="À renseigner seulement si le territoire a quitté le programme.",
    )
    crte = models.ForeignKey(
        Crte,
        verbose_name="CRTE",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="territoires_pvd",
    )
    date_inscription_crte = models.DateField(
        "inscription de la convention-cadre au CRTE", null=True, blank=True, validators=[pas_dans_le_futur]
    )
    risque_decision = models.CharField(
        "décision sur le risque",
        max_length=20,
        choices=DecisionRisque.choices,
        blank=True,
        help_text="Laisser vide pour suivre la suggestion calculée.",
    )
    risque_justification = models.TextField("justification", blank=True)
    risque_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="décidé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    risque_decided_at = models.DateTimeField("décidé le", null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["version"])
    objects = TerritoireQuerySet.as_manager()

    class Meta:
        verbose_name = "territoire PVD"
        verbose_name_plural = "territoires PVD"
        ordering = ["nom"]

    def __str__(self):
        return self.nom

    def can_edit(self, user):
        """Seuls les agents du département du territoire modifient son suivi."""
        return agent_du_departement(user, self.departement_id)

    def clean(self):
        if self.risque_decision and not self.risque_justification.strip():
            raise ValidationError({"risque_justification": "Justifiez la décision sur le risque."})

    def risque_decision_signer(self, user):
        """Qui a pris la décision sur le risque, et quand ; sans décision, ni justification ni auteur."""
        if self.risque_decision:
            self.risque_decided_by, self.risque_decided_at = user, timezone.now()
        else:
            self.risque_justification, self.risque_decided_by, self.risque_decided_at = "", None, None
        if self.date_inscription_crte and not self.crte_id:
            raise ValidationError({"crte": "Indiquez le CRTE où la convention-cadre est inscrite."})


class Convention(Provenance, Versioned):
    territoire = models.ForeignKey(Territoire, on_delete=models.CASCADE, related_name="conventions")
    type = models.CharField("type", max_length=10, choices=TypeConvention.choices)
    date_signature = models.DateField(
        "date de signature",
        null=True,
        blank=True,
        validators=[pas_dans_le_futur],
        help_text="Vide tant que la convention-cadre est en élaboration.",
    )
    vaut_ort = models.BooleanField(
        "vaut ORT", default=False, help_text="La convention-cadre vaut convention d’ORT."
    )
    commentaire = models.TextField("commentaire", blank=True)
    date_liste_ecartee = models.DateField(
        "date de la liste PVD écartée",
        null=True,
        blank=True,
        help_text="Date d’adhésion proposée par la liste PVD que la préfecture a choisi de ne pas retenir.",
    )

    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = "convention"
        constraints = [
            models.UniqueConstraint(fields=["territoire", "type"], name="convention_unique_par_type"),
            models.CheckConstraint(
                name="seule_convention_cadre_vaut_ort",
                condition=models.Q(type=TypeConvention.CADRE) | models.Q(vaut_ort=False),
            ),
        ]

    def __str__(self):
        return self.get_type_display()

    def clean(self):
        if self.type == TypeConvention.ADHESION and not self.date_signature:
            raise ValidationError(
                {"date_signature": "Indiquez la date de signature de la convention d’adhésion."}
            )
        if self.type == TypeConvention.ADHESION and self.vaut_ort:
            raise ValidationError({"vaut_ort": "Seule une convention-cadre peut valoir ORT."})


class Avenant(Versioned):
    convention = models.ForeignKey(Convention, on_delete=models.CASCADE, related_name="avenants")
    date_signature = models.DateField("date de signature", validators=[pas_dans_le_futur])
    objet = models.CharField("objet", max_length=300)

    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = "avenant"
        ordering = ["date_signature"]

    def __str__(self):
        return f"Avenant du {self.date_signature:%d/%m/%Y}"


class Ort(Provenance, Versioned):
    territoire = models.OneToOneField(Territoire, on_delete=models.CASCADE, related_name="ort")
    date_signature = models.DateField(
        "date de signature",
        null=True,
        blank=True,
        validators=[pas_dans_le_futur],
        help_text="Vide si l’ORT est signée mais que sa date n’est pas connue.",
    )
    duree_annees = models.PositiveSmallIntegerField(
        "durée (années)", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )

    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = "ORT"
        verbose_name_plural = "ORT"

    def __str__(self):
        if self.date_signature is None:
            return "ORT signée, date inconnue"
        return f"ORT signée le {self.date_signature:%d/%m/%Y}"


class SecteurIntervention(models.Model):
    ort = models.ForeignKey(Ort, on_delete=models.CASCADE, related_name="secteurs")
    nom = models.CharField("nom du secteur", max_length=200)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "secteur d’intervention"
        ordering = ["nom"]
        constraints = [models.UniqueConstraint(fields=["ort", "nom"], name="secteur_unique_par_ort")]

    def __str__(self):
        return self.nom


class ChefDeProjet(Versioned):
    territoire = models.OneToOneField(Territoire, on_delete=models.CASCADE, related_name="chef_de_projet")
    statut = models.CharField("statut", max_length=12, choices=StatutChefDeProjet.choices)
    nom = models.CharField("nom", max_length=150, blank=True)
    employeur = models.CharField("employeur", max_length=200, blank=True, help_text="Commune, EPCI…")
    date_prise_poste = models.DateField(
        "prise de poste", null=True, blank=True, validators=[pas_dans_le_futur]
    )
    date_depart = models.DateField("départ", null=True, blank=True, validators=[pas_dans_le_futur])

    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = "chef de projet PVD"
        verbose_name_plural = "chefs de projet PVD"

    def __str__(self):
        return self.get_statut_display()

    def clean(self):
        errors = {}
        if self.statut == StatutChefDeProjet.EN_POSTE and not self.date_prise_poste:
            errors["date_prise_poste"] = "Indiquez la date de prise de poste du chef de projet en poste."
        if self.statut == StatutChefDeProjet.EN_POSTE and self.date_depart:
            errors["date_depart"] = "Un chef de projet en poste n’a pas de date de départ."
        if self.date_prise_poste and self.date_depart and self.date_depart < self.date_prise_poste:
            errors["date_depart"] = "Le départ ne peut pas précéder la prise de poste."
        if errors:
            raise ValidationError(errors)


class Action(Versioned):
    territoire = models.ForeignKey(Territoire, on_delete=models.CASCADE, related_name="actions")
    titre = models.CharField("titre", max_length=300)
    theme = models.CharField("thème", max_length=30, choices=ThemeAction.choices)
    maitre_ouvrage = models.CharField("maître d’ouvrage", max_length=200)
    cout = models.DecimalField("coût total (€)", null=True, blank=True, **MONTANT)
    statut = models.CharField(
        "statut", max_length=20, choices=StatutAction.choices, default=StatutAction.EN_MATURATION
    )
    date_engagement = models.DateField(
        "date d’engagement",
        null=True,
        blank=True,
        validators=[pas_dans_le_futur],
        help_text="Obligatoire pour une action engagée ou livrée.",
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["version", "created_at"])

    class Meta:
        verbose_name = "action"
        ordering = ["titre"]

    def __str__(self):
        return self.titre

    def clean(self):
        if self.statut in STATUTS_ENGAGES and not self.date_engagement:
            raise ValidationError(
                {"date_engagement": "Indiquez la date d’engagement d’une action engagée ou livrée."}
            )


class Financement(Versioned):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="financements")
    dispositif = models.CharField("dispositif", max_length=30, choices=Dispositif.choices)
    axe_fonds_vert = models.CharField(
        "axe du fonds vert", max_length=1, choices=AxeFondsVert.choices, blank=True
    )
    mesure_fonds_vert = models.CharField(
        "mesure du fonds vert", max_length=30, choices=MesureFondsVert.choices, blank=True
    )
    montant_demande = models.DecimalField("montant demandé (€)", null=True, blank=True, **MONTANT)
    montant_accorde = models.DecimalField("montant accordé (€)", null=True, blank=True, **MONTANT)
    annee = models.PositiveSmallIntegerField(
        "année",
        validators=[MinValueValidator(2020, "Le programme a commencé en 2020."), MaxValueValidator(2040)],
    )

    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = "ligne de financement"
        verbose_name_plural = "lignes de financement"
        ordering = ["annee", "dispositif"]

    def __str__(self):
        return f"{self.get_dispositif_display()} {self.annee}"

    def clean(self):
        errors = {}
        if self.dispositif == Dispositif.FONDS_VERT:
            if not self.axe_fonds_vert:
                errors["axe_fonds_vert"] = "Choisissez l’axe du fonds vert."
            if not self.mesure_fonds_vert:
                errors["mesure_fonds_vert"] = "Choisissez la mesure du fonds vert."
            elif self.axe_fonds_vert and self.mesure_fonds_vert not in MESURES_PAR_AXE.get(
                self.axe_fonds_vert, []
            ):
                errors["mesure_fonds_vert"] = (
                    f"La mesure « {self.get_mesure_fonds_vert_display()} » n’appartient pas à "
                    f"l’{self.get_axe_fonds_vert_display()}."
                )
        elif self.dispositif and (self.axe_fonds_vert or self.mesure_fonds_vert):
            errors["axe_fonds_vert"] = "L’axe et la mesure ne concernent que le fonds vert."
        if self.montant_demande is None and self.montant_accorde is None:
            errors["montant_demande"] = "Indiquez au moins le montant demandé ou le montant accordé."
        if (
            self.montant_demande is not None
            and self.montant_accorde is not None
            and self.montant_accorde > self.montant_demande
        ):
            errors["montant_accorde"] = "Le montant accordé dépasse le montant demandé."
        if self.annee and self.annee > timezone.localdate().year + 1:
            errors["annee"] = "L’année ne peut pas dépasser l’an prochain."
        if errors:
            raise ValidationError(errors)


# --- Version des données et suivi de démonstration --------------------------------------------------------
# Version des données du suivi de chaque département : les pages mises en cache (chiffres des tableaux de bord,
# liste des communes) en dépendent. Des déclencheurs SQL (communes/versions.py) incrémentent la version d'un
# département à chaque écriture qui touche le suivi de ses communes, y compris les créations en masse, les
# QuerySet.update() et l'admin : une page mise en cache sous une version n'est jamais servie après un
# enregistrement.


class VersionDepartementQuerySet(models.QuerySet):
    def jetons(self, codes):
        """{code du département: jeton de sa version} ; un département jamais modifié n'a pas de ligne."""
        return dict(self.filter(departement_code__in=codes).values_list("departement_code", "jeton"))


class VersionDepartement(models.Model):
    departement_code = models.CharField("département", max_length=3, primary_key=True)
    numero = models.BigIntegerField("numéro", default=0)
    # Tiré au hasard à chaque écriture : une version annulée (rollback) ne revient jamais à l'identique.
    jeton = models.BigIntegerField("jeton", default=0)

    objects = VersionDepartementQuerySet.as_manager()

    class Meta:
        verbose_name = "version des données d’un département"
        verbose_name_plural = "versions des données des départements"

    def __str__(self):
        return f"{self.departement_code} : {self.numero}"


class DonneesDemonstrationQuerySet(models.QuerySet):
    def perimetres(self):
        """Périmètres du suivi généré, dans l'ordre de génération ; [] sur une instance aux données réelles.
        Une seule requête, sur une table de quelques lignes au plus."""
        return list(self.order_by("pk").values_list("perimetre", flat=True))


class DonneesDemonstration(models.Model):
    """Trace d'un suivi généré par communes.demo.suivi_demo_generer, écrite dans la même transaction.

    Tant qu'une ligne existe, chaque page et chaque note PDF disent que le suivi affiché est de démonstration.
    Le référentiel officiel seul (charger_referentiel) n'en écrit jamais : une instance sans suivi généré n'a
    pas de bandeau. Le suivi généré ne s'efface pas (il se mêle à ce que les agents saisissent ensuite) :
    repartir des seules données officielles, c'est une base neuve (voir docs/referentiel.md)."""

    perimetre = models.CharField("périmètre", max_length=300)
    territoires_count = models.PositiveIntegerField("territoires remplis", default=0)
    created_at = models.DateTimeField("générées le", auto_now_add=True)

    objects = DonneesDemonstrationQuerySet.as_manager()

    class Meta:
        verbose_name = "suivi de démonstration généré"
        verbose_name_plural = "suivis de démonstration générés"

    def __str__(self):
        return f"{self.perimetre} ({self.territoires_count} territoires)"


class ImportQuerySet(models.QuerySet):
    def for_user(self, user):
        """Chacun ne voit que ses propres imports (le fichier déposé est le sien) : celui d'un autre → 404."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(user=user)


class Import(models.Model):
    """Job d'import d'un fichier de situations (CSV ou XLSX) : file d'attente → en cours → terminé / échec.

    Le worker lit et contrôle le fichier sans transaction d'écriture, puis, en mode enregistrement et sans
    aucune erreur, applique toutes les lignes dans une seule transaction courte (voir communes.imports)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandé par",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    fichier = models.FileField("fichier", upload_to="imports/%Y/%m/")
    nom_fichier = models.CharField("nom du fichier", max_length=255)
    mode = models.CharField("mode", max_length=15, choices=ModeImport.choices, default=ModeImport.SIMULATION)
    simulation = models.ForeignKey(
        "self",
        verbose_name="simulation d’origine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Simulation réussie dont cet enregistrement reprend le fichier.",
    )
    etat = models.CharField("état", max_length=10, choices=EtatImport.choices, default=EtatImport.QUEUED)
    lignes_total = models.PositiveIntegerField("lignes du fichier", default=0)
    lignes_traitees = models.PositiveIntegerField("lignes traitées", default=0)
    etape = models.CharField("étape", max_length=100, blank=True)
    rapport = models.JSONField(
        "rapport",
        default=dict,
        blank=True,
        help_text="erreurs et notes par ligne ([ligne, colonne, message]), communes mises à jour, durées.",
    )
    applique = models.BooleanField("enregistré", default=False)
    erreur = models.TextField("motif de l’échec", blank=True)
    task_id = models.CharField("tâche Celery", max_length=50, blank=True)
    adresse_ip = models.GenericIPAddressField(
        "adresse IP", null=True, blank=True, help_text="Adresse du dépôt, pour le journal de sécurité."
    )
    created_at = models.DateTimeField("demandé le", default=timezone.now)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    objects = ImportQuerySet.as_manager()

    class Meta:
        verbose_name = "import de situations"
        verbose_name_plural = "imports de situations"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Import {self.pk} ({self.nom_fichier}, {self.get_etat_display()})"

    @property
    def is_active(self):
        return self.etat in ETATS_IMPORT_ACTIFS

    @property
    def is_simulation(self):
        return self.mode == ModeImport.SIMULATION

    @property
    def progression(self):
        """Pourcentage des lignes traitées (0 tant que le fichier n'est pas lu)."""
        if self.etat == EtatImport.DONE:
            return 100
        if not self.lignes_total:
            return 0
        return min(99, int(100 * self.lignes_traitees / self.lignes_total))

    @property
    def erreurs(self):
        return self.rapport.get("erreurs", [])

    @property
    def notes(self):
        return self.rapport.get("notes", [])

    @property
    def communes_count(self):
        return len(self.rapport.get("communes", []))

    @property
    def is_importable(self):
        """Simulation réussie, sans erreur : « Importer ce fichier » l'enregistre sans nouveau dépôt."""
        return self.is_simulation and self.etat == EtatImport.DONE and not self.erreurs

    @property
    def duree(self):
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
