"""Jetons d'accès des systèmes partenaires à l'API en lecture seule."""

import hashlib

from django.db import models


def jeton_hacher(jeton):
    """Empreinte SHA-256 (hexadécimale) d'un jeton : seule elle est conservée en base."""
    return hashlib.sha256(jeton.encode()).hexdigest()


class JetonApiQuerySet(models.QuerySet):
    def actifs(self):
        return self.filter(is_active=True)

    def par_jeton(self, jeton):
        """Le jeton actif correspondant à la valeur présentée, ou None."""
        return self.actifs().filter(jeton_hash=jeton_hacher(jeton)).first()


class JetonApi(models.Model):
    partenaire = models.CharField(
        "partenaire", max_length=200, help_text="Système ou organisme qui utilise ce jeton."
    )
    jeton_hash = models.CharField("empreinte SHA-256 du jeton", max_length=64, unique=True, editable=False)
    prefixe = models.CharField(
        "début du jeton",
        max_length=12,
        editable=False,
        help_text="Premiers caractères du jeton, pour le reconnaître sans le conserver.",
    )
    is_active = models.BooleanField(
        "actif", default=True, help_text="Décocher pour révoquer le jeton : il est refusé aussitôt."
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    last_used_at = models.DateTimeField("dernier usage", null=True, blank=True, editable=False)

    objects = JetonApiQuerySet.as_manager()

    class Meta:
        verbose_name = "jeton d’API"
        verbose_name_plural = "jetons d’API"
        ordering = ["partenaire", "-created_at"]

    def __str__(self):
        return f"{self.partenaire} ({self.prefixe}…)"
