"""The SQLAlchemy dialect for Spark SQL over Spark Connect: `spark+connect://host:port`.

It only overrides what differs from SQLAlchemy's defaults: backtick quoting,
the driver (`wbr.store.spark.dbapi`), reflection through Spark's catalog, and
no transactions. Query parameters of the URL are passed to Spark Connect as
connection options (`spark+connect://host:443?token=...&use_ssl=true`).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.engine import URL, default
from sqlalchemy.engine.interfaces import ReflectedColumn
from sqlalchemy.sql import compiler

from wbr.errors import ConfigError

DEFAULT_PORT = 15002  # Spark Connect's own default
DEFAULT_SCHEMA = "default"

# Spark type names (as Arrow and DESCRIBE report them) → SQLAlchemy types.
_TYPES: dict[str, type[sqltypes.TypeEngine[Any]]] = {
    "date": sqltypes.Date,
    "timestamp": sqltypes.DateTime,
    "timestamp_ntz": sqltypes.DateTime,
    "boolean": sqltypes.Boolean,
    "tinyint": sqltypes.Integer,
    "smallint": sqltypes.Integer,
    "int": sqltypes.Integer,
    "bigint": sqltypes.BigInteger,
    "float": sqltypes.Float,
    "double": sqltypes.Float,
    "string": sqltypes.Text,
}


def column_type(spark_type: str) -> sqltypes.TypeEngine[Any]:
    """The SQLAlchemy type of a Spark column type name (`decimal(12,2)` is a number)."""
    name = spark_type.strip().lower()
    if name.startswith("decimal"):
        return sqltypes.Float()
    if name.startswith(("varchar", "char")):
        return sqltypes.Text()
    return _TYPES.get(name, sqltypes.Text)()


class SparkIdentifierPreparer(compiler.IdentifierPreparer):
    def __init__(self, dialect: default.DefaultDialect, **kwargs: Any) -> None:
        super().__init__(dialect, **{"initial_quote": "`", "escape_quote": "`", **kwargs})

    def _requires_quotes(self, value: str) -> bool:
        # Spark's reserved words differ by version and ANSI mode: quote every name.
        return True


class SparkConnectDialect(default.DefaultDialect):
    name = "spark"
    driver = "connect"
    supports_statement_cache = True
    supports_native_boolean = True
    supports_native_decimal = True
    supports_alter = False
    supports_sequences = False
    supports_default_values = False
    supports_empty_insert = False
    postfetch_lastrowid = False
    max_identifier_length = 128
    default_paramstyle = "named"
    preparer = SparkIdentifierPreparer  # type: ignore[assignment]  # a subclass; mypy disagrees

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        from wbr.store.spark import dbapi

        return dbapi

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        options = "".join(f";{key}={value}" for key, value in sorted(url.query.items()))
        remote = f"sc://{url.host or '127.0.0.1'}:{url.port or DEFAULT_PORT}/{options}"
        return [remote], {}

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        from wbr.store.spark import dbapi

        try:
            return dbapi.connect(*cargs, **cparams)
        except dbapi.OperationalError as error:
            # Not a DBAPI error, so SQLAlchemy passes it on unwrapped and the CLI
            # prints it as a message, without a traceback.
            raise ConfigError(
                f"{error}; check WBR_RAW_DATABASE_URL and that the server is running"
            ) from None

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        version = str(_session(connection).version)
        return tuple(int(part) for part in version.split("-")[0].split(".") if part.isdigit())

    def _get_default_schema_name(self, connection: Any) -> str:
        return DEFAULT_SCHEMA

    def get_default_isolation_level(self, dbapi_conn: Any) -> Any:
        return None  # no transactions

    def do_rollback(self, dbapi_connection: Any) -> None:
        pass

    def do_commit(self, dbapi_connection: Any) -> None:
        pass

    def do_ping(self, dbapi_connection: Any) -> bool:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        return True

    def has_table(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        name = table_name if schema is None else f"{schema}.{table_name}"
        return bool(_session(connection).catalog.tableExists(name))

    def get_columns(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedColumn]:
        name = table_name if schema is None else f"{schema}.{table_name}"
        fields = _session(connection).table(name).schema.fields
        return [
            {
                "name": field.name,
                "type": column_type(field.dataType.simpleString()),
                "nullable": field.nullable,
                "default": None,
            }
            for field in fields
        ]

    def get_table_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        tables = _session(connection).catalog.listTables(schema or DEFAULT_SCHEMA)
        return [table.name for table in tables]

    def get_view_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        tables = _session(connection).catalog.listTables(schema or DEFAULT_SCHEMA)
        return [table.name for table in tables if table.tableType in ("VIEW", "TEMPORARY")]

    def get_pk_constraint(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        return {"constrained_columns": [], "name": None}

    def get_foreign_keys(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[Any]:
        return []

    def get_indexes(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[Any]:
        return []


def _session(connection: Any) -> Any:
    """The Spark session behind a SQLAlchemy connection (or a raw DBAPI one)."""
    dbapi_connection = getattr(connection, "connection", connection)
    dbapi_connection = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
    return dbapi_connection.session


dialect = SparkConnectDialect
