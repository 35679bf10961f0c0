"""Déclencheurs SQL qui tiennent à jour la version des données de chaque département.

Chaque INSERT, UPDATE ou DELETE d'une table dont dépendent les chiffres du tableau de bord incrémente,
dans la même transaction, la version du ou des départements concernés (avant et après modification).
Les déclencheurs voient toutes les écritures : services, imports, admin, bulk_create, QuerySet.update().

Ils sont (re)créés après chaque `migrate` (signal post_migrate) : sous SQLite, une migration qui modifie
une table la reconstruit et supprime ses déclencheurs ; les recréer à chaque fois garantit qu'ils existent.
"""

from django.apps import apps
from django.db import connections

VERSIONS = "tableau_versiondepartement"


def _sources():
    """{table: expression SQL du code du département d'une ligne, « {r} » étant NEW ou OLD}."""
    Commune = apps.get_model("territoires", "Commune")
    Territoire = apps.get_model("communes", "Territoire")
    Action = apps.get_model("communes", "Action")
    territoire = Territoire._meta.db_table
    par_territoire = f"(SELECT departement_id FROM {territoire} WHERE id = {{r}}.territoire_id)"
    sources = {
        Commune._meta.db_table: "{r}.departement_id",
        territoire: "{r}.departement_id",
        apps.get_model("communes", "Financement")._meta.db_table: (
            f"(SELECT t.departement_id FROM {Action._meta.db_table} a JOIN {territoire} t "
            f"ON t.id = a.territoire_id WHERE a.id = {{r}}.action_id)"
        ),
    }
    for nom in ("Convention", "Ort", "ChefDeProjet", "Action"):
        sources[apps.get_model("communes", nom)._meta.db_table] = par_territoire
    return sources


def _sqlite(table, expression):
    def incrementer(ligne):
        return (
            f"INSERT INTO {VERSIONS} (departement_code, numero, jeton) "
            f"SELECT d, 1, random() FROM (SELECT {expression.format(r=ligne)} AS d) WHERE d IS NOT NULL "
            f"ON CONFLICT(departement_code) DO UPDATE SET numero = numero + 1, jeton = random();"
        )

    instructions = []
    for evenement, lignes in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
        nom = f"tableau_version_{table}_{evenement.lower()}"
        instructions.append(f"DROP TRIGGER IF EXISTS {nom}")
        corps = " ".join(incrementer(ligne) for ligne in lignes)
        instructions.append(
            f"CREATE TRIGGER {nom} AFTER {evenement} ON {table} FOR EACH ROW BEGIN {corps} END"
        )
    return instructions


JETON_PG = "floor(random() * 1e15)::bigint"
FONCTION_PG = f"""
CREATE OR REPLACE FUNCTION tableau_version_incrementer(code text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO {VERSIONS} (departement_code, numero, jeton)
  SELECT code, 1, {JETON_PG} WHERE code IS NOT NULL
  ON CONFLICT (departement_code) DO UPDATE
  SET numero = {VERSIONS}.numero + 1, jeton = {JETON_PG}
$$"""
FONCTION_PG_TOUT = f"""
CREATE OR REPLACE FUNCTION tableau_version_tout() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {VERSIONS} SET numero = numero + 1, jeton = {JETON_PG};
  RETURN NULL;
END $$"""


def _postgresql(table, expression):
    fonction = f"tableau_version_{table}"
    return [
        f"""CREATE OR REPLACE FUNCTION {fonction}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM tableau_version_incrementer({expression.format(r="OLD")}); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM tableau_version_incrementer({expression.format(r="NEW")}); END IF;
  RETURN NULL;
END $$""",
        f"DROP TRIGGER IF EXISTS tableau_version ON {table}",
        f"CREATE TRIGGER tableau_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {fonction}()",
        f"DROP TRIGGER IF EXISTS tableau_version_truncate ON {table}",
        f"CREATE TRIGGER tableau_version_truncate AFTER TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION tableau_version_tout()",
    ]


def declencheurs_installer(*, using="default"):
    """Crée ou remplace les déclencheurs ; sans effet si les tables n'existent pas encore."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    sources = _sources()
    if VERSIONS not in tables or not set(sources) <= tables:
        return False
    if connection.vendor == "postgresql":
        instructions = [FONCTION_PG, FONCTION_PG_TOUT]
        for table, expression in sources.items():
            instructions += _postgresql(table, expression)
    elif connection.vendor == "sqlite":
        instructions = [i for table, expression in sources.items() for i in _sqlite(table, expression)]
    else:
        raise NotImplementedError(f"Base non prise en charge : {connection.vendor}")
    with connection.cursor() as cursor:
        for instruction in instructions:
            cursor.execute(instruction)
    return True


def declencheurs_post_migrate(sender, using="default", **kwargs):
    declencheurs_installer(using=using)
