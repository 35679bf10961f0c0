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
