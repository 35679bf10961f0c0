"""Version des données de chaque département : le cache des chiffres du tableau de bord en dépend.

Des déclencheurs SQL (voir versions.py) incrémentent la version d'un département à chaque écriture qui
touche le suivi de ses communes, y compris les créations en masse, les QuerySet.update() et l'admin :
un chiffre mis en cache sous une version ne peut donc jamais être servi après un enregistrement."""

from django.db import models


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
    """Trace d'un suivi généré par tableau.services.suivi_demo_generer, écrite dans la même transaction.

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
