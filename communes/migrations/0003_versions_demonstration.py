"""La version des données de chaque département et la trace du suivi de démonstration passent de l'app
tableau à l'app communes (le suivi), sans perdre leurs lignes : l'état des modèles change d'app, les tables
sont renommées, et les anciens déclencheurs (préfixe tableau_version) sont supprimés ; les nouveaux sont
installés après la migration (communes.versions, signal post_migrate)."""

from django.db import migrations, models


def anciens_declencheurs_supprimer(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tableau\\_version\\_%' ESCAPE '\\'"
            )
            for (nom,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER IF EXISTS "{nom}"')
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
                "WHERE NOT tgisinternal AND tgname IN ('tableau_version', 'tableau_version_truncate')"
            )
            for nom, table in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER IF EXISTS "{nom}" ON {table}')
            cursor.execute(
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() AND p.proname LIKE 'tableau\\_version\\_%'"
            )
            for (signature,) in cursor.fetchall():
                cursor.execute(f"DROP FUNCTION IF EXISTS {signature}")


class Migration(migrations.Migration):
    dependencies = [
        ("communes", "0002_provenance_ort_sans_date"),
        ("tableau", "0002_donnees_demonstration"),
        ("territoires", "0005_recherche"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="VersionDepartement",
                    fields=[
                        (
                            "departement_code",
                            models.CharField(
                                max_length=3, primary_key=True, serialize=False, verbose_name="département"
                            ),
                        ),
                        ("numero", models.BigIntegerField(default=0, verbose_name="numéro")),
                        ("jeton", models.BigIntegerField(default=0, verbose_name="jeton")),
                    ],
                    options={
                        "verbose_name": "version des données d’un département",
                        "verbose_name_plural": "versions des données des départements",
                        "db_table": "tableau_versiondepartement",
                    },
                ),
                migrations.CreateModel(
                    name="DonneesDemonstration",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("perimetre", models.CharField(max_length=300, verbose_name="périmètre")),
                        (
                            "territoires_count",
                            models.PositiveIntegerField(default=0, verbose_name="territoires remplis"),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="générées le")),
                    ],
                    options={
                        "verbose_name": "suivi de démonstration généré",
                        "verbose_name_plural": "suivis de démonstration générés",
                        "db_table": "tableau_donneesdemonstration",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(anciens_declencheurs_supprimer, migrations.RunPython.noop),
        migrations.AlterModelTable(name="versiondepartement", table=None),
        migrations.AlterModelTable(name="donneesdemonstration", table=None),
        migrations.CreateModel(
            name="CommunePvd",
            fields=[],
            options={
                "verbose_name": "commune PVD et son suivi",
                "verbose_name_plural": "communes PVD et leur suivi",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("territoires.commune",),
        ),
    ]
