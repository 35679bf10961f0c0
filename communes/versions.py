"""Déclencheurs SQL qui tiennent à jour la version des données du suivi de chaque département.

Chaque INSERT, UPDATE ou DELETE d'une table que lisent les pages mises en cache (chiffres des tableaux de
bord, liste des communes) incrémente, dans la même transaction, la version du ou des départements concernés
(avant et après modification).
Les déclencheurs voient toutes les écritures : services, imports, admin, bulk_create, QuerySet.update().

Ils sont (re)créés après chaque `migrate` (signal post_migrate) : sous SQLite, une migration qui modifie
une table la reconstruit et supprime ses déclencheurs ; les recréer à chaque fois garantit qu'ils existent.
"""

from django.apps import apps
from django.db import connections

VERSIONS = "communes_versiondepartement"
PREFIXE = "communes_version"


def _sources():
    """{table: requête SQL des codes (colonne d) des départements d'une ligne, « {r} » étant NEW ou OLD}."""
    modele = apps.get_model
    commune = modele("territoires", "Commune")._meta.db_table
    territoire = modele("communes", "Territoire")._meta.db_table
    action = modele("communes", "Action")._meta.db_table
    par_territoire = f"SELECT departement_id AS d FROM {territoire} WHERE id = {{r}}.territoire_id"
    # Un EPCI peut s'étendre sur plusieurs départements : ceux de ses communes.
    par_epci = f"SELECT DISTINCT departement_id AS d FROM {commune} WHERE epci_id = {{r}}.{{colonne}}"
    sources = {
        modele("territoires", "Departement")._meta.db_table: "SELECT {r}.code AS d",
        commune: "SELECT {r}.departement_id AS d",
        modele("territoires", "Epci")._meta.db_table: par_epci.replace("{colonne}", "siren"),
        modele("communes", "Crte").epcis.through._meta.db_table: par_epci.replace("{colonne}", "epci_id"),
        territoire: "SELECT {r}.departement_id AS d",
        modele("communes", "Financement")._meta.db_table: (
            f"SELECT t.departement_id AS d FROM {action} a JOIN {territoire} t "
            f"ON t.id = a.territoire_id WHERE a.id = {{r}}.action_id"
        ),
    }
    for nom in ("Convention", "Ort", "ChefDeProjet", "Action"):
        sources[modele("communes", nom)._meta.db_table] = par_territoire
    return sources


def _sqlite(table, expression):
    def incrementer(ligne):
        return (
            f"INSERT INTO {VERSIONS} (departement_code, numero, jeton) "
            f"SELECT d, 1, random() FROM ({expression.format(r=ligne)}) AS q WHERE d IS NOT NULL "
            f"ON CONFLICT(departement_code) DO UPDATE SET numero = numero + 1, jeton = random();"
        )

    instructions = []
    for evenement, lignes in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
        nom = f"{PREFIXE}_{table}_{evenement.lower()}"
        instructions.append(f"DROP TRIGGER IF EXISTS {nom}")
        corps = " ".join(incrementer(ligne) for ligne in lignes)
        instructions.append(
            f"CREATE TRIGGER {nom} AFTER {evenement} ON {table} FOR EACH ROW BEGIN {corps} END"
        )
    return instructions


JETON_PG = "floor(random() * 1e15)::bigint"
# PostgreSQL : un déclencheur par instruction (tables de transition), pas par ligne. Une création en masse de
# 2 000 lignes incrémente une fois chaque département touché : la table des versions (une centaine de
# lignes) ne gonfle pas de versions mortes pendant un chargement.
FONCTION_PG = f"""
CREATE OR REPLACE FUNCTION {PREFIXE}_incrementer(codes text[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO {VERSIONS} (departement_code, numero, jeton)
  SELECT code, 1, {JETON_PG} FROM (SELECT DISTINCT code FROM unnest(codes) AS code WHERE code IS NOT NULL) AS c
  ON CONFLICT (departement_code) DO UPDATE
  SET numero = {VERSIONS}.numero + 1, jeton = {JETON_PG}
$$"""
FONCTION_PG_TOUT = f"""
CREATE OR REPLACE FUNCTION {PREFIXE}_tout() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {VERSIONS} SET numero = numero + 1, jeton = {JETON_PG};
  RETURN NULL;
END $$"""
EVENEMENTS_PG = {
    "insert": ("INSERT", "REFERENCING NEW TABLE AS nouvelles", ["nouvelles"]),
    "update": (
        "UPDATE",
        "REFERENCING OLD TABLE AS anciennes NEW TABLE AS nouvelles",
        ["anciennes", "nouvelles"],
    ),
    "delete": ("DELETE", "REFERENCING OLD TABLE AS anciennes", ["anciennes"]),
}


def _postgresql(table, expression):
    instructions = [
        # Anciens déclencheurs par ligne (remplacés) :
        f"DROP TRIGGER IF EXISTS {PREFIXE} ON {table}",
        f"DROP FUNCTION IF EXISTS {PREFIXE}_{table}()",
    ]
    for suffixe, (evenement, transition, lignes) in EVENEMENTS_PG.items():
        fonction = f"{PREFIXE}_{table}_{suffixe}"
        codes = " UNION ".join(
            f"SELECT q.d FROM {ligne} AS r CROSS JOIN LATERAL ({expression.format(r='r')}) AS q"
            for ligne in lignes
        )
        instructions += [
            f"""CREATE OR REPLACE FUNCTION {fonction}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM {PREFIXE}_incrementer(ARRAY({codes}));
  RETURN NULL;
END $$""",
            f"DROP TRIGGER IF EXISTS {PREFIXE}_{suffixe} ON {table}",
            f"CREATE TRIGGER {PREFIXE}_{suffixe} AFTER {evenement} ON {table} {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {fonction}()",
        ]
    return instructions + [
        f"DROP TRIGGER IF EXISTS {PREFIXE}_truncate ON {table}",
        f"CREATE TRIGGER {PREFIXE}_truncate AFTER TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {PREFIXE}_tout()",
    ]


def declencheurs_installer(*, using="default"):
    """Crée ou remplace les déclencheurs ; sans effet si les tables n'existent pas encore."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    sources = _sources()
    if VERSIONS not in tables or not set(sources) <= tables:
        return False
    if connection.vendor == "postgresql":
        instructions = [f"DROP FUNCTION IF EXISTS {PREFIXE}_incrementer(text)", FONCTION_PG, FONCTION_PG_TOUT]
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
