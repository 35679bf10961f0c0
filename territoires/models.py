import re

from django.db import models
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Collate
from django.utils import timezone

from comptes.models import territory_q
from pvd.formats import texte_recherche
from territoires.constants import COLLATION_FR, EpciType, Zone


def count_subquery(queryset):
    """Sous-requête COUNT corrélée : un compte par ligne, sans jointure qui multiplie les lignes."""
    sous_requete = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(sous_requete, output_field=IntegerField()), 0)


# Dans la liste PVD en vigueur (le dernier chargement) ; une commune sortie de la liste garde son identifiant.
PVD = Q(id_pvd__isnull=False, sortie_liste__isnull=True)
SORTIE = Q(id_pvd__isnull=False, sortie_liste__isnull=False)


# Un code INSEE de commune, entier ou son début (« 350 », « 35072 », « 2A004 ») ; un code de département ou
# de région (« 35 », « 2A », « 974 »).
DEBUT_CODE_INSEE = re.compile(r"^(\d{3,5}|2[AB]\d{1,3})$")
CODE_TERRITOIRE = re.compile(r"^(\d{2,3}|2[AB])$")


def mots_recherche(texte):
    """Les mots cherchés, sous la forme des colonnes nom_recherche (voir pvd.formats.texte_recherche)."""
    return texte_recherche(texte).split()


def nom_contient(champ, mots):
    """Chaque mot est dans le champ (une colonne nom_recherche) : « chatillon vendelais » trouve
    « chatillon en vendelais ». Sous PostgreSQL, un index GIN pg_trgm sert chaque LIKE '%mot%'."""
    condition = Q()
    for mot in mots:
        condition &= Q(**{f"{champ}__contains": mot})
    return condition


def alphabetique(champ="nom"):
    """Expression d'ordre alphabétique français du champ (voir COLLATION_FR)."""
    return Collate(champ, COLLATION_FR)


class RegionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(territory_q(user, region_path="code", departement_path="departements__code"))


class Region(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    nom = models.CharField("nom", max_length=100)
    zone = models.CharField("zone", max_length=5, choices=Zone.choices)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = "région"
        ordering = [alphabetique()]

    def __str__(self):
        return self.nom


class DepartementQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(territory_q(user, region_path="region_id", departement_path="code"))


class Departement(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    nom = models.CharField("nom", max_length=100)
    region = models.ForeignKey(
        Region, verbose_name="région", on_delete=models.PROTECT, related_name="departements"
    )
    zone = models.CharField("zone", max_length=5, choices=Zone.choices)

    objects = DepartementQuerySet.as_manager()

    class Meta:
        verbose_name = "département"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} – {self.nom}"


class EpciQuerySet(models.QuerySet):
    def for_user(self, user):
        """Les EPCI dont au moins une commune est dans le territoire de l'utilisateur."""
        communes = Commune.objects.for_user(user).filter(epci=OuterRef("pk"))
        return self.filter(Exists(communes))


class Epci(models.Model):
    siren = models.CharField("SIREN", max_length=9, primary_key=True)
    nom = models.CharField("nom", max_length=200)
    nom_recherche = models.CharField(
        "nom pour la recherche",
        max_length=200,
        editable=False,
        default="",
        help_text="Nom en minuscules, sans accents, tirets ni apostrophes (calculé depuis le nom).",
    )
    type = models.CharField("nature juridique", max_length=5, choices=EpciType.choices)
    population = models.PositiveIntegerField("population totale", null=True, blank=True)

    objects = EpciQuerySet.as_manager()

    class Meta:
        verbose_name = "EPCI"
        verbose_name_plural = "EPCI"
        ordering = [alphabetique()]

    def __str__(self):
        return self.nom

    def save(self, *args, **kwargs):
        # Règle de la ligne : la forme de recherche suit le nom (le chargement du référentiel la calcule aussi,
        # ses créations en masse ne passant pas par save()).
        self.nom_recherche = texte_recherche(self.nom)
        if kwargs.get("update_fields") is not None and "nom" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "nom_recherche"}
        super().save(*args, **kwargs)


class CommuneQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(
            territory_q(user, region_path="departement__region_id", departement_path="departement_id")
        )

    def rechercher(self, texte):
        """Les communes dont le nom ou le nom de l'EPCI contient chaque mot cherché (accents, casse, tirets et
        apostrophes ignorés : « chatillon », « CHÂTILLON » trouvent « Châtillon-en-Vendelais »), ou dont le
        code INSEE commence par le texte (« 35072 », « 2a004 »). Mêmes résultats sous SQLite et PostgreSQL :
        la comparaison porte sur les colonnes nom_recherche, calculées en Python (docs/fonctionnalites.md)."""
        mots = mots_recherche(texte)
        if not mots:
            return self
        condition = nom_contient("nom_recherche", mots) | Q(
            epci__in=Epci.objects.filter(nom_contient("nom_recherche", mots)).values("pk")
        )
        code = (texte or "").strip().upper()
        if DEBUT_CODE_INSEE.match(code):
            condition |= Q(code_insee__startswith=code)
        return self.filter(condition)

    def pvd(self):
        """Les communes de la liste PVD en vigueur."""
        return self.filter(PVD)

    def sorties(self):
        """Les communes sorties de la liste PVD (dernier chargement), avec leur suivi et leur historique."""
        return self.filter(SORTIE)

    def pvd_et_sorties(self):
        """Toutes les communes qui ont un suivi PVD : dans la liste en vigueur ou sorties depuis."""
        return self.filter(id_pvd__isnull=False)

    def with_territoire(self):
        return self.select_related("departement__region", "epci", "sortie_liste")


class Commune(models.Model):
    code_insee = models.CharField("code INSEE", max_length=5, primary_key=True)
    nom = models.CharField("nom", max_length=100)
    nom_recherche = models.CharField(
        "nom pour la recherche",
        max_length=100,
        editable=False,
        default="",
        help_text="Nom en minuscules, sans accents, tirets ni apostrophes (calculé depuis le nom).",
    )
    departement = models.ForeignKey(
        Departement, verbose_name="département", on_delete=models.PROTECT, related_name="communes"
    )
    epci = models.ForeignKey(
        Epci, verbose_name="EPCI", on_delete=models.SET_NULL, null=True, blank=True, related_name="communes"
    )
    population = models.PositiveIntegerField("population", null=True, blank=True)
    # NULL (et non "") pour les communes jamais lauréates : la contrainte d'unicité ne les compare pas.
    id_pvd = models.CharField(  # noqa: DJ001
        "identifiant PVD",
        max_length=20,
        null=True,
        blank=True,
        help_text="Identifiant ANCT (pvd-<région>-<département>-<n>) ; vide si la commune n’a jamais été "
        "lauréate. Une commune sortie de la liste le garde.",
    )
    sortie_liste = models.ForeignKey(
        "territoires.ChargementListe",
        verbose_name="sortie de la liste PVD",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communes_sorties",
        help_text="Chargement de la liste PVD dont la commune est absente ; vide si elle est dans la liste.",
    )
    territoire = models.ForeignKey(
        "communes.Territoire",
        verbose_name="territoire PVD",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communes",
    )
    date_adhesion_liste = models.DateField(
        "signature de la convention d’adhésion (liste ANCT)",
        null=True,
        blank=True,
        help_text="Date publiée par l’ANCT dans la liste des communes PVD.",
    )

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = "commune"
        ordering = [alphabetique()]
        constraints = [
            # Un identifiant n'est porté que par une commune de la liste en vigueur : une commune entrée peut
            # reprendre celui d'une commune sortie.
            models.UniqueConstraint(
                fields=["id_pvd"], condition=Q(sortie_liste__isnull=True), name="id_pvd_unique_dans_la_liste"
            ),
        ]

    def __str__(self):
        return f"{self.nom} ({self.code_insee})"

    def save(self, *args, **kwargs):
        # Règle de la ligne : la forme de recherche suit le nom (voir Epci.save()).
        self.nom_recherche = texte_recherche(self.nom)
        if kwargs.get("update_fields") is not None and "nom" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "nom_recherche"}
        super().save(*args, **kwargs)

    @property
    def is_pvd(self):
        """Dans la liste PVD en vigueur."""
        return self.id_pvd is not None and self.sortie_liste_id is None

    @property
    def is_sortie(self):
        return self.id_pvd is not None and self.sortie_liste_id is not None


class ChargementListe(models.Model):
    """Un chargement de la liste PVD de l'ANCT qui l'a changée : millésime, fichier, communes entrées,
    sorties et dates d'adhésion modifiées (listes de {"code_insee", "nom"…}, dans l'ordre alphabétique)."""

    millesime = models.CharField("millésime", max_length=7, help_text="AAAA-MM, date de la liste ANCT.")
    charge_le = models.DateTimeField("chargée le", default=timezone.now)
    fichier = models.CharField("fichier", max_length=255)
    format = models.CharField("format", max_length=100)
    communes_count = models.PositiveIntegerField("communes de la liste")
    entrees = models.JSONField("communes entrées", default=list, blank=True)
    sorties = models.JSONField("communes sorties", default=list, blank=True)
    dates_modifiees = models.JSONField("dates d’adhésion ajoutées ou corrigées", default=list, blank=True)
    est_premiere = models.BooleanField("premier chargement", default=False)

    class Meta:
        verbose_name = "chargement de la liste PVD"
        verbose_name_plural = "chargements de la liste PVD"
        ordering = ["-charge_le", "-pk"]

    def __str__(self):
        return f"liste PVD ANCT {self.millesime}"

    @property
    def source(self):
        """Libellé de provenance des valeurs reprises de cette liste."""
        return f"liste PVD ANCT {self.millesime}"
