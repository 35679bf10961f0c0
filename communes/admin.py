from django.contrib import admin

from communes.models import DonneesDemonstration
from pvd.admin import LectureSeuleAdmin


@admin.register(DonneesDemonstration)
class DonneesDemonstrationAdmin(LectureSeuleAdmin):
    """Traces des suivis générés : lecture seule (elles disent ce que les pages signalent)."""

    list_display = ("perimetre", "territoires_count", "created_at")
