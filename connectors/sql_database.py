"""The SQL connector: a table or a query in any database SQLAlchemy can reach.

Rows are streamed with a server-side cursor (`stream_results`) and handed on in
batches of `batch_rows`, so memory stays bounded whatever the table's size. With
`since`, the window is filtered in the source database (`WHERE cursor >= :since`),
so an incremental load reads only what it keeps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from connectors.base import Batch, ConnectorError, Since, secret_from_env
from wbr.registry.sources import SourceBase, SqlSource

# Drivers users need not spell: psycopg 3 and PyMySQL are the drivers wbr ships
# extras for (the store's engine makes the same choice for its own URL).
_DRIVER_ALIASES = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
CONNECT_TIMEOUT_SECONDS = 10


class SqlConnector:
    kind: ClassVar[str] = "sql"

    def __init__(self, source_name: str, source: SourceBase, base_dir: Path) -> None:
        if not isinstance(source, SqlSource):
            raise ConnectorError(f"not a SQL source (kind {source.kind!r})", source=source_name)
        self.source_name = source_name
        self.source = source
        self.base_dir = base_dir

    def url(self) -> URL:
        source = self.source
        if source.url_env:
            raw = secret_from_env(source.url_env, self.source_name)
            where = f"the URL in {source.url_env}"
        elif source.url:
            raw, where = source.url, "`url`"
        else:
            raise ConnectorError("the store's URL was not supplied", source=self.source_name)
        try:
            url = make_url(raw)
        except ArgumentError:
            raise ConnectorError(
                f"{where} is not a SQLAlchemy URL", source=self.source_name
            ) from None
        driver = _DRIVER_ALIASES.get(url.drivername)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            database = Path(url.database)
            if not database.is_absolute():
                url = url.set(database=str(self.base_dir / database))
        return url.set(drivername=driver) if driver else url

    def statement(self, since: Since) -> sa.Select[Any]:
        source = self.source
        if source.query is not None:
            rows: sa.FromClause = sa.text(source.query).columns().subquery("source_rows")
        else:
            assert source.source_table is not None  # the model requires one of the two
            schema, _, name = source.source_table.rpartition(".")
            rows = sa.table(name, schema=schema or None)
        statement: sa.Select[Any] = sa.select(sa.literal_column("*")).select_from(rows)
        cursor = source.cursor
        if since is not None and cursor is not None:
            statement = statement.where(sa.column(cursor) >= sa.bindparam("since", since))
        return statement

    def extract(self, since: Since = None) -> Iterator[Batch]:
        url = self.url()
        shown = url.render_as_string(hide_password=True)
        what = f"table {self.source.source_table!r}" if self.source.source_table else "the query"
        origin = f"{what} in {shown}"
        engine = self._engine(url, shown)
        try:
            with engine.connect() as connection:
                streaming = connection.execution_options(
                    stream_results=True, max_row_buffer=self.source.batch_rows
                )
                result = streaming.execute(self.statement(since))
                try:
                    names = list(result.keys())
                    for rows in result.partitions(self.source.batch_rows):
                        # Plain tuples: pandas probes each Row for attributes otherwise.
                        frame = pd.DataFrame([tuple(row) for row in rows], columns=names)
                        yield Batch(frame, origin=origin)
                finally:
                    # Also after a lost connection, when closing the cursor fails.
                    with contextlib.suppress(Exception):
                        result.close()
        except DBAPIError as exc:
            raise ConnectorError(
                f"reading {origin} failed: {str(exc.orig).strip()}", source=self.source_name
            ) from None
        except SQLAlchemyError as exc:
            raise ConnectorError(
                f"reading {origin} failed: {exc}", source=self.source_name
            ) from None
        finally:
            engine.dispose()

    def _engine(self, url: URL, shown: str) -> Engine:
        connect_args = {}
        backend = url.get_backend_name()
        if backend in ("postgresql", "mysql", "mariadb"):
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        try:
            return sa.create_engine(url, connect_args=connect_args)
        except (NoSuchModuleError, ImportError) as exc:
            raise ConnectorError(
                f"no database driver for {shown} ({exc})",
                source=self.source_name,
                hint="Install the driver, e.g. pip install 'wbr[postgres]' or 'wbr[mysql]'",
            ) from None
