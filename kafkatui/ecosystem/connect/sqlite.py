"""What the SQLite source and sink share: `connection.url` (JDBC's name; here a file path
or `sqlite:///path`, as SQLAlchemy spells it, or `jdbc:sqlite:path`, as the JDBC
connectors' SQLite dialect does), opening it through aiosqlite, and the mapping between
SQLite's declared column types and Connect's schema types (the JDBC SqliteDatabaseDialect's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite

from kafkatui.ecosystem.connect.api import ConnectException
from kafkatui.ecosystem.connect.config import ConfigException
from kafkatui.ecosystem.connect.data import Schema

CONNECTION_URL_CONFIG = "connection.url"
CONNECTION_URL_DOC = (
    "SQLite database to connect to: a file path, sqlite:///path or jdbc:sqlite:path "
    "(the JDBC connectors' connection.url, for SQLite)."
)
VERSION = "10.8.0"  # the Confluent JDBC connector release whose configs these follow


def database_path(url: str) -> str:
    """The file a connection.url names."""
    url = url.strip()
    for prefix in ("jdbc:sqlite:", "sqlite:///", "sqlite://", "file:"):
        if url.startswith(prefix):
            return url[len(prefix) :]
    return url


def check_url(name: str, value: Any) -> None:
    if value is None or not database_path(str(value)):
        raise ConfigException(
            f"Invalid value {value} for configuration {name}: a SQLite database path is needed"
        )
    if "://" in str(value) and not str(value).startswith("sqlite:"):
        raise ConfigException(
            f"Invalid value {value} for configuration {name}: only SQLite databases "
            "(a path, sqlite:///path or jdbc:sqlite:path) are supported"
        )


async def connect(url: str, *, create: bool) -> aiosqlite.Connection:
    """A connection to the database; a source (`create=False`) refuses a file that does
    not exist rather than reading an empty database SQLite would make for it."""
    path = database_path(url)
    if not create and not Path(path).is_file():
        raise ConnectException(f"SQLite database file {path} does not exist (connection.url={url})")
    try:
        return await aiosqlite.connect(path, isolation_level=None)
    except Exception as error:  # sqlite3.OperationalError: unable to open database file
        raise ConnectException(f"Couldn't open SQLite database {path}: {error}") from error


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def schema_of_declared(declared: str, optional: bool) -> Schema:
    """A column's Connect schema from its declared type, by SQLite's affinity rules."""
    kind = declared.upper()
    if "BOOL" in kind:
        return Schema("boolean", optional)
    if "INT" in kind:
        return Schema("int64", optional)
    if any(t in kind for t in ("CHAR", "CLOB", "TEXT")) or not kind:
        return Schema("string", optional)
    if "BLOB" in kind:
        return Schema("bytes", optional)
    return Schema("float64", optional)  # REAL, FLOAT, DOUBLE, NUMERIC, DECIMAL


def schema_of_value(value: Any) -> Schema:
    """An (optional) schema for a value whose column type is unknown (a query's column)."""
    if isinstance(value, bool):
        return Schema("boolean", True)
    if isinstance(value, int):
        return Schema("int64", True)
    if isinstance(value, float):
        return Schema("float64", True)
    if isinstance(value, bytes | bytearray):
        return Schema("bytes", True)
    return Schema("string", True)


SQL_TYPES = {
    "int8": "INTEGER", "int16": "INTEGER", "int32": "INTEGER", "int64": "INTEGER",
    "float32": "REAL", "float64": "REAL", "boolean": "INTEGER", "string": "TEXT", "bytes": "BLOB",
}  # fmt: skip


def sql_type(field: str, schema: Schema) -> str:
    """The column type the sink creates for a field (SqliteDatabaseDialect.getSqlType)."""
    found = SQL_TYPES.get(schema.type)
    if found is None:
        raise ConnectException(
            f"{schema.type.upper()} (field {field}) is not a type a SQLite column can hold: "
            "flatten it first (ExtractField) or leave it out (ReplaceField)"
        )
    return found
