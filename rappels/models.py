"""Trace des rappels envoyés : une ligne par (type, destinataire, objet). La contrainte d'unicité garantit
qu'un rappel part une seule fois, même si la tâche tourne deux fois ou en même temps (voir services)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from rappels.constants import TypeRappel


class Rappel(models.Model):
    type = models.CharField("type", max_length=20, choices=TypeRappel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="destinataire",
        on_delete=models.CASCADE,
        related_name="rappels",
    )
    cle = models.CharField(
        "objet",
        max_length=60,
        help_text="section:<id>, synthese:<id>, territoire:<id> ou club:<département>:<année>-S<semestre>.",
    )
    sent_at = models.DateTimeField("envoyé le", default=timezone.now)

    class Meta:
        verbose_name = "rappel envoyé"
        verbose_name_plural = "rappels envoyés"
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["type", "user", "cle"], name="rappel_unique_par_objet"),
        ]

    def __str__(self):
        return f"{self.get_type_display()} — {self.cle}"
