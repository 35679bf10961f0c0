"""Notes de synthèse régionales : une campagne (échéance nationale), une note par région, une section par
département ; trace des transitions ; génération du PDF par un job Celery et versions du PDF."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from comptes.constants import Role
from comptes.models import agent_du_departement, territory_q
from syntheses.constants import (
    ETATS_GENERATION_ACTIFS,
    ETATS_SECTION_MODIFIABLES,
    ActionTransition,
    EtatGeneration,
    EtatSection,
    EtatSynthese,
    LectureSection,
)


class TransitionInterdite(ValidationError):
    """L'action n'est pas possible dans l'état actuel de la note ou de la section (message en français)."""


class CampagneQuerySet(models.QuerySet):
    def for_user(self, user):
        """Les campagnes sont nationales : tout compte actif les voit (le contenu reste restreint)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self

    def with_avancement(self, today=None):
        today = today or timezone.localdate()
        syntheses = Synthese.objects.filter(campagne=OuterRef("pk"))
        return self.annotate(
            syntheses_count=Count("syntheses", distinct=True),
            transmises_count=Count(
                "syntheses", filter=Q(syntheses__etat=EtatSynthese.TRANSMISE), distinct=True
            ),
            is_echue=Case(
                When(date_echeance__lt=today, then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            ),
            has_en_retard=Exists(
                syntheses.exclude(etat=EtatSynthese.TRANSMISE).filter(campagne__date_echeance__lt=today)
            ),
        )


class Campagne(models.Model):
    nom = models.CharField("nom", max_length=120, unique=True, help_text="Par exemple « Campagne 2023 ».")
    date_echeance = models.DateField(
        "date d’échéance", help_text="Date à laquelle chaque région transmet sa note au ministère."
    )
    date_limite_phase_operationnelle = models.DateField(
        "échéance de la phase opérationnelle",
        help_text="Les communes en difficulté sont celles qui risquent de ne pas atteindre la phase "
        "opérationnelle avant cette date.",
    )
    destinataire = models.CharField(
        "destinataire des notes",
        max_length=200,
        blank=True,
        help_text="Par exemple « Madame la ministre déléguée chargée des collectivités territoriales et de la "
        "ruralité ».",
    )
    reference_instruction = models.CharField(
        "référence de l’instruction",
        max_length=300,
        blank=True,
        help_text="Par exemple « Instruction du 6 juin 2023 relative au passage en phase opérationnelle du "
        "programme Petites villes de demain ».",
    )
    questions = models.TextField(
        "questions posées",
        help_text="Une question par ligne ; elles guident la rédaction des sections départementales.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ouverte par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("ouverte le", auto_now_add=True)

    objects = CampagneQuerySet.as_manager()

    class Meta:
        verbose_name = "campagne"
        ordering = ["-date_echeance", "nom"]

    def __str__(self):
        return self.nom

    @property
    def annee(self):
        return self.date_echeance.year

    @property
    def questions_list(self):
        return [q.strip() for q in self.questions.splitlines() if q.strip()]

    def clean(self):
        if (
            self.date_echeance
            and self.date_limite_phase_operationnelle
            and self.date_limite_phase_operationnelle < self.date_echeance
        ):
            raise ValidationError(
                {
                    "date_limite_phase_operationnelle": "L’échéance de la phase opérationnelle ne peut pas "
                    "précéder la date d’échéance de la note."
                }
            )


class SyntheseQuerySet(models.QuerySet):
    def for_user(self, user):
        """Région : ses notes ; département : la note de sa région (il n'y voit que sa section)."""
        return self.filter(
            territory_q(user, region_path="region_id", departement_path="region__departements__code")
        )

    def with_avancement(self, today=None):
        """Sections prêtes (soumises ou dispensées), retard sur l'échéance de la campagne."""
        today = today or timezone.localdate()
        pretes = Q(sections__etat=EtatSection.SOUMISE) | Q(sections__dispensee=True)
        return self.annotate(
            sections_count=Count("sections", distinct=True),
            sections_pretes_count=Count("sections", filter=pretes, distinct=True),
            sections_soumises_count=Count(
                "sections", filter=Q(sections__etat=EtatSection.SOUMISE), distinct=True
            ),
            is_en_retard=Case(
                When(
                    Q(campagne__date_echeance__lt=today) & ~Q(etat=EtatSynthese.TRANSMISE),
                    then=Value(True),
                ),
                When(
                    Q(etat=EtatSynthese.TRANSMISE, transmise_le__date__gt=F("campagne__date_echeance")),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=models.BooleanField(),
            ),
        )

    def with_derniere_version(self):
        """Numéro du dernier PDF et état de la dernière génération (sous-requêtes, sans N+1)."""
        versions = VersionPdf.objects.filter(synthese=OuterRef("pk")).order_by("-numero")
        generations = Generation.objects.filter(synthese=OuterRef("pk")).order_by("-created_at", "-pk")
        return self.annotate(
            derniere_version_numero=Subquery(versions.values("numero")[:1]),
            derniere_version_pk=Subquery(versions.values("pk")[:1]),
            generation_etat=Subquery(generations.values("etat")[:1]),
        )


class Synthese(models.Model):
    campagne = models.ForeignKey(Campagne, on_delete=models.CASCADE, related_name="syntheses")
    region = models.ForeignKey(
        "territoires.Region", verbose_name="région", on_delete=models.PROTECT, related_name="syntheses"
    )
    etat = models.CharField(
        "état", max_length=20, choices=EtatSynthese.choices, default=EtatSynthese.EN_REDACTION
    )
    vue_ensemble = models.TextField(
        "vue d’ensemble régionale",
        blank=True,
        help_text="Synthèse de la région : dynamique d’ensemble, points saillants, demandes au ministère.",
    )
    lieu = models.CharField(
        "lieu de signature", max_length=100, blank=True, help_text="Par exemple « Rennes »."
    )
    signataire_nom = models.CharField("nom du signataire", max_length=150, blank=True)
    signataire_titre = models.CharField(
        "titre du signataire",
        max_length=200,
        blank=True,
        help_text="Par exemple « Le préfet de la région Bretagne ».",
    )
    validee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    validee_le = models.DateTimeField("validée le", null=True, blank=True)
    transmise_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    transmise_le = models.DateTimeField("transmise le", null=True, blank=True)
    # À la transmission, la note est figée : ses chiffres (instantane) et le document (html_transmis), d'où le
    # PDF définitif est produit ; un changement du suivi ensuite ne change plus la note transmise.
    instantane = models.JSONField(
        "chiffres figés", null=True, blank=True, help_text="Chiffres de la note au moment de la transmission."
    )
    html_transmis = models.TextField("document transmis", blank=True, editable=False)
    version = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = SyntheseQuerySet.as_manager()

    class Meta:
        verbose_name = "note de synthèse régionale"
        verbose_name_plural = "notes de synthèse régionales"
        ordering = ["campagne", "region__nom"]
        constraints = [
            models.UniqueConstraint(fields=["campagne", "region"], name="synthese_unique_par_region"),
        ]

    def __str__(self):
        return f"Note de synthèse {self.region} — {self.campagne}"

    def can_consolidate(self, user):
        """Les agents de la région consolident, valident et transmettent la note."""
        return user.is_authenticated and user.role == Role.REGIONAL and user.region_id == self.region_id

    def can_generate(self, user):
        """Produire et télécharger le PDF : la région, le national (pas un département : le PDF contient
        les sections des autres départements)."""
        return user.is_authenticated and (user.sees_everything or self.can_consolidate(user))

    @property
    def is_modifiable(self):
        return self.etat == EtatSynthese.EN_REDACTION

    @property
    def signature_manquante(self):
        """Ce qui manque à la signature de la lettre (lieu, titre et nom du signataire) : la note transmise est
        la lettre signée du préfet de région, elle ne part pas sans."""
        return [
            libelle
            for champ, libelle in (
                ("lieu", "le lieu de signature"),
                ("signataire_titre", "le titre du signataire"),
                ("signataire_nom", "le nom du signataire"),
            )
            if not getattr(self, champ).strip()
        ]


class SectionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(
            territory_q(user, region_path="synthese__region_id", departement_path="departement_id")
        )


class SectionDepartementale(models.Model):
    synthese = models.ForeignKey(Synthese, on_delete=models.CASCADE, related_name="sections")
    departement = models.ForeignKey(
        "territoires.Departement",
        verbose_name="département",
        on_delete=models.PROTECT,
        related_name="sections_synthese",
    )
    etat = models.CharField("état", max_length=20, choices=EtatSection.choices, default=EtatSection.A_REDIGER)
    dynamique = models.TextField(
        "dynamique observée", blank=True, help_text="Comment le programme avance dans le département."
    )
    leviers = models.TextField(
        "leviers qui produisent des effets",
        blank=True,
        help_text="Ce qui fait avancer les communes : ingénierie, financements, animation…",
    )
    difficultes = models.TextField("difficultés rencontrées", blank=True)
    texte_libre = models.TextField("autres éléments", blank=True, help_text="Facultatif.")
    commentaire_renvoi = models.TextField("commentaire de la région", blank=True)
    dispensee = models.BooleanField("dispensée", default=False)
    dispense_motif = models.TextField("motif de la dispense", blank=True)
    risques_confirmes_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    risques_confirmes_le = models.DateTimeField(
        "liste des communes en difficulté confirmée le", null=True, blank=True
    )
    soumise_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    soumise_le = models.DateTimeField("soumise le", null=True, blank=True)
    lecture = models.CharField(
        "lecture par la région", max_length=10, choices=LectureSection.choices, default="", blank=True
    )
    lecture_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lecture_le = models.DateTimeField("lue le", null=True, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = SectionQuerySet.as_manager()

    class Meta:
        verbose_name = "section départementale"
        verbose_name_plural = "sections départementales"
        ordering = ["synthese", "departement__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["synthese", "departement"], name="section_unique_par_departement"
            ),
        ]

    def __str__(self):
        return f"Section {self.departement}"

    @property
    def is_prete(self):
        return self.dispensee or self.etat == EtatSection.SOUMISE

    @property
    def etat_affiche(self):
        return "Dispensée" if self.dispensee else self.get_etat_display()

    def can_edit(self, user):
        """Seuls les agents du département rédigent sa section, tant qu'elle n'est ni soumise ni dispensée."""
        return (
            agent_du_departement(user, self.departement_id)
            and self.etat in ETATS_SECTION_MODIFIABLES
            and not self.dispensee
            and self.synthese.is_modifiable
        )


class CommuneRisque(models.Model):
    """Commune que le département retient, pour la note, comme risquant de ne pas atteindre la phase
    opérationnelle à l'échéance de la campagne, avec sa justification."""

    section = models.ForeignKey(
        SectionDepartementale, on_delete=models.CASCADE, related_name="communes_risque"
    )
    commune = models.ForeignKey("territoires.Commune", on_delete=models.PROTECT, related_name="+")
    justification = models.TextField("justification")
    is_suggere = models.BooleanField(
        "signalée par le calcul",
        default=False,
        help_text="La commune était signalée en difficulté par le suivi.",
    )

    class Meta:
        verbose_name = "commune en difficulté"
        verbose_name_plural = "communes en difficulté"
        ordering = ["commune__nom"]
        constraints = [
            models.UniqueConstraint(fields=["section", "commune"], name="commune_risque_unique_par_section"),
        ]

    def __str__(self):
        return str(self.commune)


class Transition(models.Model):
    """Trace du travail sur la note : qui, quand, quel changement d'état, avec quel commentaire."""

    synthese = models.ForeignKey(Synthese, on_delete=models.CASCADE, related_name="transitions")
    section = models.ForeignKey(
        SectionDepartementale, on_delete=models.CASCADE, null=True, blank=True, related_name="transitions"
    )
    action = models.CharField("action", max_length=20, choices=ActionTransition.choices)
    etat_avant = models.CharField("état avant", max_length=20, blank=True)
    etat_apres = models.CharField("état après", max_length=20, blank=True)
    commentaire = models.TextField("commentaire", blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="par", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField("le", default=timezone.now)

    class Meta:
        verbose_name = "transition"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.get_action_display()

    def _libelle(self, etat):
        choix = EtatSection if self.section_id else EtatSynthese
        if etat == "dispensee":
            return "Dispensée"
        if self.action == ActionTransition.LECTURE:
            return LectureSection(etat if etat != "non_lue" else "").label
        return choix(etat).label if etat in choix.values else etat

    @property
    def etat_avant_label(self):
        return self._libelle(self.etat_avant) if self.etat_avant else ""

    @property
    def etat_apres_label(self):
        return self._libelle(self.etat_apres) if self.etat_apres else ""


def _chemin_pdf(instance, filename):
    synthese = instance.synthese
    return f"syntheses/{synthese.campagne_id}/{synthese.region_id}/{filename}"


class VersionPdf(models.Model):
    """Un PDF produit ; le même contenu (même somme SHA-256) ne crée jamais une deuxième version."""

    synthese = models.ForeignKey(Synthese, on_delete=models.CASCADE, related_name="versions")
    numero = models.PositiveIntegerField("version")
    fichier = models.FileField("fichier", upload_to=_chemin_pdf, max_length=300)
    sha256 = models.CharField("somme SHA-256", max_length=64)
    source_sha256 = models.CharField(
        "somme SHA-256 de la source",
        max_length=64,
        blank=True,
        db_index=True,
        help_text="HTML d'impression et ressources du rendu : une source identique redonne ce PDF.",
    )
    taille = models.PositiveIntegerField("taille (octets)")
    pages_count = models.PositiveIntegerField("pages")
    etat_synthese = models.CharField("état de la note", max_length=20, choices=EtatSynthese.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandée par",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField("produite le", default=timezone.now)

    class Meta:
        verbose_name = "version du PDF"
        verbose_name_plural = "versions du PDF"
        ordering = ["-numero"]
        constraints = [
            models.UniqueConstraint(fields=["synthese", "sha256"], name="version_pdf_unique_par_contenu"),
            models.UniqueConstraint(fields=["synthese", "numero"], name="version_pdf_numero_unique"),
        ]

    def __str__(self):
        return f"Version {self.numero}"

    @property
    def nom_fichier(self):
        return f"note-synthese-{self.synthese.region_id}-v{self.numero}.pdf"


class Lot(models.Model):
    """Génération des notes de toutes les régions d'une campagne en une fois (groupe Celery)."""

    campagne = models.ForeignKey(Campagne, on_delete=models.CASCADE, related_name="lots")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandé par",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField("demandé le", default=timezone.now)

    class Meta:
        verbose_name = "lot de génération"
        verbose_name_plural = "lots de génération"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Lot du {self.created_at:%d/%m/%Y %H:%M}"


class GenerationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(territory_q(user, region_path="synthese__region_id", departement_path=None))


class Generation(models.Model):
    """Job de génération du PDF d'une note : file d'attente → en cours → terminé / échec."""

    synthese = models.ForeignKey(Synthese, on_delete=models.CASCADE, related_name="generations")
    lot = models.ForeignKey(Lot, on_delete=models.SET_NULL, null=True, blank=True, related_name="generations")
    etat = models.CharField(
        "état", max_length=10, choices=EtatGeneration.choices, default=EtatGeneration.QUEUED
    )
    progression = models.PositiveSmallIntegerField("progression (%)", default=0)
    etape = models.CharField("étape", max_length=100, blank=True)
    erreur = models.TextField("motif de l’échec", blank=True)
    tentatives = models.PositiveSmallIntegerField("tentatives", default=0)
    sent_at = models.DateTimeField("remise au broker le", null=True, blank=True)
    task_id = models.CharField(
        "tâche Celery",
        max_length=50,
        blank=True,
        help_text="Message qui exécute le job : sa redistribution par le broker reprend le job en cours.",
    )
    worker = models.CharField(
        "worker",
        max_length=200,
        blank=True,
        help_text="Nœud Celery qui exécute le job : s'il redémarre, le job qu'il laissait en cours est repris.",
    )
    version = models.ForeignKey(
        VersionPdf, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_nouvelle_version = models.BooleanField("nouvelle version", default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandée par",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField("demandée le", default=timezone.now)
    started_at = models.DateTimeField("commencée le", null=True, blank=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        verbose_name = "génération du PDF"
        verbose_name_plural = "générations du PDF"
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Au plus une génération en attente ou en cours par note (pas de doublon dans la file).
            models.UniqueConstraint(
                fields=["synthese"],
                condition=Q(etat__in=ETATS_GENERATION_ACTIFS),
                name="generation_active_unique_par_synthese",
            ),
        ]

    def __str__(self):
        return f"Génération {self.pk} ({self.get_etat_display()})"

    @property
    def is_active(self):
        return self.etat in ETATS_GENERATION_ACTIFS

    @property
    def duree(self):
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
