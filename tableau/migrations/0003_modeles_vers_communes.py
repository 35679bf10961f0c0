"""Les modèles de l'app tableau passent à l'app communes (voir communes 0003) : seul l'état change ici."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tableau", "0002_donnees_demonstration"),
        ("communes", "0003_versions_demonstration"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="VersionDepartement"),
                migrations.DeleteModel(name="DonneesDemonstration"),
            ],
            database_operations=[],
        ),
    ]
