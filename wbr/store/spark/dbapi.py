"""A PEP 249 driver over a Spark Connect session: just what SQLAlchemy needs.

Statements go to `SparkSession.sql` with their parameters as typed values
(Spark's named parameter markers, `:name`, the same style SQLAlchemy's
"named" paramstyle writes), so no value is ever quoted into SQL text here.
Results come back as Arrow and are turned into tuples of Python values
(dates as `datetime.date`). Spark SQL has no transactions over these reads:
commit and rollback do nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql.connect.session import SparkSession

apilevel = "2.0"
threadsafety = 1  # a session per connection; connections are not shared between threads
paramstyle = "named"
# Spark Connect's client retries an unreachable server for 10 minutes by default; a
# command should say the server is down sooner (about 10 s), so connecting retries less.
CONNECT_RETRIES = 3
MAX_BACKOFF_MS = 5_000


class Warning(Exception):  # PEP 249 names it so
    pass


class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


def _session(remote: str) -> SparkSession:
    with warnings.catch_warnings():
        # pyspark warns at import that it does not yet "fully support" pandas 3;
        # nothing here goes through pandas (results come back as Arrow).
        warnings.simplefilter("ignore", FutureWarning)
        # When its retries run out it warns, then raises: the error says it all.
        warnings.simplefilter("ignore", UserWarning)
        from pyspark.sql.connect.client.retries import DefaultPolicy
        from pyspark.sql.connect.session import SparkSession

        try:
            session = SparkSession.builder.remote(remote).create()
            policy = DefaultPolicy(max_retries=CONNECT_RETRIES, max_backoff=MAX_BACKOFF_MS)
            session.client.set_retry_policies([policy])
            session.sql("SELECT 1").collect()  # the connection is made on first use
            # Connected: a long computation keeps the client's patient default.
            session.client.set_retry_policies([DefaultPolicy()])
        except Exception as error:  # grpc errors have no common base worth naming
            first_line = (str(error).strip().splitlines() or [""])[0]
            if not first_line or first_line.startswith("<"):  # a grpc object's repr
                first_line = "no answer (connection refused or timed out)"
            where = remote.split("/;")[0]  # never echo a token from the options
            raise OperationalError(
                f"cannot reach Spark Connect at {where}: {first_line}"
            ) from error
        return session


def connect(remote: str) -> Connection:
    """A connection to the Spark Connect server at `remote` (`sc://host:port/;...`)."""
    return Connection(_session(remote))


class Connection:
    def __init__(self, session: SparkSession) -> None:
        self.session = session
        self.closed = False

    def cursor(self) -> Cursor:
        if self.closed:
            raise InterfaceError("the connection is closed")
        return Cursor(self)

    def commit(self) -> None:
        """Nothing to commit: Spark SQL statements take effect when they run."""

    def rollback(self) -> None:
        """Nothing to roll back (see `commit`)."""

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            # Ends the server-side session: its temporary views go with it.
            self.session.stop()


Description = tuple[str, Any, None, None, None, None, bool]


class Cursor:
    arraysize = 1000

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: list[Description] | None = None
        self.rowcount = -1
        self._rows: list[tuple[Any, ...]] = []
        self._position = 0

    def execute(self, operation: str, parameters: Mapping[str, Any] | None = None) -> None:
        session = self.connection.session
        try:
            frame = session.sql(operation, args=dict(parameters) if parameters else None)
            table = frame.toArrow()
        except Exception as error:  # pyspark's AnalysisException, grpc errors, ...
            raise _translate(error) from error
        self.description = [
            (field.name, field.type, None, None, None, None, field.nullable)
            for field in table.schema
        ] or None
        columns = [column.to_pylist() for column in table.columns]
        self._rows = list(zip(*columns, strict=True)) if columns else []
        self._position = 0
        self.rowcount = len(self._rows)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Mapping[str, Any]]) -> None:
        for parameters in seq_of_parameters:
            self.execute(operation, parameters)

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._position >= len(self._rows):
            return None
        row = self._rows[self._position]
        self._position += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        size = self.arraysize if size is None else size
        rows = self._rows[self._position : self._position + size]
        self._position += len(rows)
        return rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._rows[self._position :]
        self._position = len(self._rows)
        return rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row

    def close(self) -> None:
        self._rows = []

    def setinputsizes(self, sizes: Any) -> None:
        pass

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        pass


def _translate(error: Exception) -> DatabaseError:
    """A pyspark error as the PEP 249 kind SQLAlchemy wraps (and our CLI reports)."""
    name = type(error).__name__
    text = str(error).strip().splitlines()[0] if str(error).strip() else name
    if "Analysis" in name or "Parse" in name:
        return ProgrammingError(text)
    if "Grpc" in name or "Connect" in name:
        return OperationalError(text)
    return DatabaseError(text)
