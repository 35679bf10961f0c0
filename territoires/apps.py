from django.apps import AppConfig
from django.db.backends.signals import connection_created

from pvd.formats import cle_alphabetique
from territoires.constants import COLLATION_FR


def comparer(a, b):
    cle_a, cle_b = cle_alphabetique(a), cle_alphabetique(b)
    return (cle_a > cle_b) - (cle_a < cle_b)


def collation_sqlite(sender, connection, **kwargs):
    """SQLite n'a pas de collation française : celle de PostgreSQL (COLLATION_FR) y est déclarée, pour que
    les mêmes requêtes trient de la même façon."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(COLLATION_FR, comparer)


class TerritoiresConfig(AppConfig):
    name = "territoires"
    verbose_name = "Territoires (référentiel)"

    def ready(self):
        connection_created.connect(collation_sqlite)
