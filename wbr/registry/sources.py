"""Where raw rows come from: one model per kind of source, chosen by `kind`.

Every kind shares the keys of `SourceBase` (the store table, the date column,
column types, the unique key, incremental loading, error handling, schedule
hints). A kind that no built-in model knows but an installed connector handles
(a third-party package in the `wbr.connectors` entry-point group) is validated
as a `PluginSource`, whose own keys go under `options:` for that connector to
check. Secrets are never written here: a source names the environment variable
that holds them (`url_env`, `token_env`).
"""

from __future__ import annotations

import csv
import difflib
from enum import StrEnum
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from wbr.registry.base import NAME_PATTERN, StrictModel

CONNECTOR_GROUP = "wbr.connectors"
BUILTIN_KINDS = ("csv", "parquet", "sql", "http", "spark")
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
# Rows per batch: bounded memory for any source size, few enough round trips.
DEFAULT_BATCH_ROWS = 50_000
# A systematic problem (a changed date format) must stop a load, not quarantine it whole.
DEFAULT_MAX_REJECTED = 1_000


class ColumnType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"


class OnError(StrEnum):
    STOP = "stop"
    QUARANTINE = "quarantine"


class KeepColumns(StrEnum):
    """Which of a source's columns its raw table holds."""

    USED = "used"  # the ones metrics, filters, dimensions and the source's own keys name
    ALL = "all"  # every column, for reading the raw table directly


class Every(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


# How late the newest date may be before `wbr status` calls a source stale.
DEFAULT_MAX_DELAY_DAYS = {Every.HOUR: 1, Every.DAY: 2, Every.WEEK: 8, Every.MONTH: 35}


class Incremental(StrictModel):
    """Load only what is new: rows whose `cursor` is at or past the watermark minus `lookback`."""

    cursor: str | None = None  # default: the source's date column
    lookback: Annotated[int, Field(ge=0)] = 0  # days for a date cursor; units for a number


class Schedule(StrictModel):
    """Hints for `wbr status` and the scheduler: how often new data arrives."""

    every: Every = Every.DAY
    cron: str | None = None  # when the scheduler should refresh, e.g. "0 6 * * *"
    max_delay_days: Annotated[int, Field(ge=0)] | None = None

    @property
    def allowed_delay_days(self) -> int:
        if self.max_delay_days is not None:
            return self.max_delay_days
        return DEFAULT_MAX_DELAY_DAYS[self.every]

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a cron expression of five fields")
        return value


class SourceBase(StrictModel):
    """The keys every kind of source shares."""

    kind: str
    table: str | None = Field(default=None, pattern=NAME_PATTERN)
    date_column: str
    date_format: str | None = None  # strptime format; None reads ISO dates
    columns: dict[str, ColumnType] = Field(default_factory=dict)  # types; others inferred
    key: tuple[str, ...] = ()  # columns that identify a row: duplicates are bad rows
    incremental: Incremental | None = None
    on_error: OnError = OnError.STOP
    max_rejected: Annotated[int, Field(ge=0)] = DEFAULT_MAX_REJECTED
    batch_rows: Annotated[int, Field(ge=1)] = DEFAULT_BATCH_ROWS
    keep_columns: KeepColumns = KeepColumns.USED
    schedule: Schedule = Field(default_factory=Schedule)

    def table_name(self, source_name: str) -> str:
        return self.table or source_name

    @property
    def cursor(self) -> str | None:
        """The incremental cursor column, or None for a full reload every time."""
        if self.incremental is None:
            return None
        return self.incremental.cursor or self.date_column

    def secret_env_names(self) -> tuple[str, ...]:
        """Environment variables that hold this source's secrets."""
        return ()

    def describe(self) -> str:
        """Where the rows come from, for status tables; never a secret."""
        return self.kind


class CsvSource(SourceBase):
    """A CSV file (or a glob of files) loaded into a raw table of the store."""

    kind: Literal["csv"]
    path: str
    delimiter: str = ","  # "whitespace" for files aligned with spaces
    thousands: str | None = ","  # "1,234" in a numeric column is 1234

    def describe(self) -> str:
        return f"csv {self.path}"

    def split_header(self, line: str) -> list[str]:
        """The column names in a header line, split the way the connector splits it."""
        if self.delimiter == "whitespace":
            return line.split()
        return [name.strip() for name in next(csv.reader([line], delimiter=self.delimiter), [])]


class ParquetSource(SourceBase):
    """A Parquet file (or a glob of files), read one row group batch at a time."""

    kind: Literal["parquet"]
    path: str

    def describe(self) -> str:
        return f"parquet {self.path}"


class SqlSource(SourceBase):
    """A table or a query in any database SQLAlchemy reaches.

    Exactly one of `url` (no password in it), `url_env` (the name of the
    environment variable that holds the URL) and `store: true` (the wbr store
    itself) says where; exactly one of `source_table` and `query` says what.
    """

    kind: Literal["sql"]
    url: str | None = None
    url_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    store: bool = False
    source_table: str | None = None  # "orders" or "schema.orders"
    query: str | None = None

    @model_validator(mode="after")
    def _one_place_one_thing(self) -> SqlSource:
        places = [self.url is not None, self.url_env is not None, self.store]
        if sum(places) != 1:
            raise ValueError("give exactly one of `url`, `url_env` and `store: true`")
        if (self.source_table is None) == (self.query is None):
            raise ValueError("give exactly one of `source_table` and `query`")
        return self

    @field_validator("url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value is None:
            return value
        # SQLAlchemy only when a registry names a SQL source: `wbr --help` needs none.
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(value)
        except ArgumentError:
            raise ValueError("not a SQLAlchemy URL (e.g. postgresql://user@host/db)") from None
        if parsed.password is not None:
            raise ValueError(
                "the URL holds a password; put the whole URL in an environment variable "
                "and name it with `url_env:` instead"
            )
        return value

    def secret_env_names(self) -> tuple[str, ...]:
        return (self.url_env,) if self.url_env else ()

    def describe(self) -> str:
        where = f"${self.url_env}" if self.url_env else ("the store" if self.store else "url")
        what = self.source_table or "a query"
        return f"sql {what} in {where}"


# Keys that shape how rows are converted and checked on their way into the store;
# a `spark` source's rows never make that trip (docs/spark.md).
_SPARK_IGNORED_KEYS = (
    "date_format",
    "columns",
    "key",
    "on_error",
    "max_rejected",
    "batch_rows",
    "keep_columns",
)


class SparkSource(SourceBase):
    """A table that stays in Apache Spark: a catalog table, or Parquet files.

    `wbr ingest` moves no rows: it points the raw table (a view in Spark) at
    `spark_table` or `path`, with the date column as a DATE, and records what it
    saw, so that `wbr compute` runs its SQL where the rows are. The raw store must
    be Spark (`WBR_RAW_DATABASE_URL=spark+connect://host:15002`).
    """

    kind: Literal["spark"]
    spark_table: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$")
    path: str | None = None  # Parquet file or folder, as the Spark cluster sees it

    @model_validator(mode="after")
    def _one_place(self) -> SparkSource:
        if (self.spark_table is None) == (self.path is None):
            raise ValueError(
                "give exactly one of `spark_table` (a table in Spark's catalog, e.g. "
                "lake.orders) and `path` (Parquet files the cluster can read)"
            )
        given = [key for key in _SPARK_IGNORED_KEYS if key in self.model_fields_set]
        if given:
            raise ValueError(
                f"{', '.join(f'`{key}`' for key in given)} do(es) not apply to a `spark` source: "
                "its rows stay in Spark and are never converted or checked on the way in; "
                "cast or clean them in a Spark view and name that view in `spark_table`"
            )
        if self.incremental is not None and self.cursor != self.date_column:
            raise ValueError(
                "a `spark` source's `incremental:` window is in days of its `date_column`; "
                "remove `cursor:`"
            )
        return self

    def describe(self) -> str:
        return f"spark {self.spark_table or self.path}"


class CursorPaging(StrictModel):
    """The response names the next page: follow it until it is empty."""

    style: Literal["cursor"]
    cursor_param: str = "cursor"  # the query parameter that asks for a page
    next_path: str = "next_cursor"  # dotted path of the next cursor in the response


class PagePaging(StrictModel):
    """Numbered pages: ask for 1, 2, 3… until a page comes back short or empty."""

    style: Literal["page"]
    page_param: str = "page"
    first_page: int = 1
    size_param: str | None = "per_page"
    page_size: Annotated[int, Field(ge=1)] = 100


class NoPaging(StrictModel):
    style: Literal["none"]


Paging = Annotated[CursorPaging | PagePaging | NoPaging, Field(discriminator="style")]


class Retries(StrictModel):
    """Retries on 429 and 5xx answers and lost connections, with exponential backoff."""

    attempts: Annotated[int, Field(ge=1)] = 5
    backoff_seconds: Annotated[float, Field(ge=0)] = 0.5
    max_backoff_seconds: Annotated[float, Field(ge=0)] = 30.0


class HttpSource(SourceBase):
    """A JSON API over HTTP(S), read page by page."""

    kind: Literal["http"]
    url: str = Field(pattern=r"^https?://")
    records: str | None = None  # dotted path to the list of records; None: the body is the list
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    token_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)
    token_header: str = "Authorization"
    token_prefix: str = "Bearer "
    paging: Paging = Field(default_factory=lambda: NoPaging(style="none"))
    since_param: str | None = None  # query parameter that sends the window start
    retries: Retries = Field(default_factory=Retries)
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0

    def secret_env_names(self) -> tuple[str, ...]:
        return (self.token_env,) if self.token_env else ()

    def describe(self) -> str:
        return f"http {self.url}"


class PluginSource(SourceBase):
    """A source read by a third-party connector; its own keys go under `options`."""

    options: dict[str, Any] = Field(default_factory=dict)
    secret_envs: tuple[str, ...] = ()  # variables the connector reads secrets from

    @field_validator("kind")
    @classmethod
    def _installed(cls, value: str) -> str:
        known = installed_kinds()
        if value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "install its connector package"
            raise ValueError(
                f"no connector handles kind {value!r} (installed: {', '.join(sorted(known))}); "
                + hint
            )
        return value

    def secret_env_names(self) -> tuple[str, ...]:
        return self.secret_envs


BUILTIN_MODELS: dict[str, type[SourceBase]] = {
    "csv": CsvSource,
    "parquet": ParquetSource,
    "sql": SqlSource,
    "http": HttpSource,
    "spark": SparkSource,
}


def installed_kinds() -> set[str]:
    """Source kinds with a connector installed (built-ins register the same way)."""
    return {entry.name for entry in entry_points(group=CONNECTOR_GROUP)} | set(BUILTIN_KINDS)


def _tag(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if kind in BUILTIN_MODELS else "plugin"


if TYPE_CHECKING:
    # Every member is a SourceBase; code that needs a kind's own keys narrows
    # with isinstance, so the checker needs no more than the base.
    Source: TypeAlias = SourceBase
else:
    Source = Annotated[
        Annotated[CsvSource, Tag("csv")]
        | Annotated[ParquetSource, Tag("parquet")]
        | Annotated[SqlSource, Tag("sql")]
        | Annotated[HttpSource, Tag("http")]
        | Annotated[SparkSource, Tag("spark")]
        | Annotated[PluginSource, Tag("plugin")],
        Discriminator(_tag),
    ]


def source_model(raw: Any) -> type[SourceBase]:
    """The model that validates one `sources:` entry, chosen by its `kind:`.

    Validating with the chosen model (rather than the union) keeps pydantic's
    error locations the plain key names a YAML author wrote.
    """
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind is None:
        return CsvSource  # reports `kind` as missing, with the other keys checked as CSV
    return BUILTIN_MODELS.get(str(kind), PluginSource)


__all__ = [
    "BUILTIN_KINDS",
    "ColumnType",
    "CsvSource",
    "CursorPaging",
    "Every",
    "HttpSource",
    "Incremental",
    "NoPaging",
    "OnError",
    "PagePaging",
    "ParquetSource",
    "PluginSource",
    "Retries",
    "Schedule",
    "Source",
    "SourceBase",
    "SparkSource",
    "SqlSource",
    "installed_kinds",
    "source_model",
]
