"""Confluent Schema Registry's errors (`io.confluent.kafka.schemaregistry.rest.exceptions.
Errors`): the HTTP status, the error code in the body and Confluent's message."""

from __future__ import annotations

from http import HTTPStatus

from kafkatui.ecosystem.http import HttpError

SUBJECT_NOT_FOUND = 40401
VERSION_NOT_FOUND = 40402
SCHEMA_NOT_FOUND = 40403
SUBJECT_SOFT_DELETED = 40404
SUBJECT_NOT_SOFT_DELETED = 40405
SCHEMAVERSION_SOFT_DELETED = 40406
SCHEMAVERSION_NOT_SOFT_DELETED = 40407
SUBJECT_COMPATIBILITY_NOT_CONFIGURED = 40408
SUBJECT_MODE_NOT_CONFIGURED = 40409
INCOMPATIBLE_SCHEMA = 409  # Confluent's clients and docs know 409; 40901 is the newer twin
INVALID_SCHEMA = 42201
INVALID_VERSION = 42202
INVALID_COMPATIBILITY_LEVEL = 42203
INVALID_MODE = 42204
OPERATION_NOT_PERMITTED = 42205
REFERENCE_EXISTS = 42206
ID_DOES_NOT_MATCH = 42207  # IMPORT mode's; kafkatui's registry never answers it
INVALID_SUBJECT = 42208
SCHEMA_TOO_LARGE = 42209
STORE_ERROR = 50001
OPERATION_TIMEOUT = 50002
REQUEST_FORWARDING_FAILED = 50003  # a follower registry's; kafkatui runs one registry
UNKNOWN_LEADER = 50004


def error_name(code: int) -> str:
    """Confluent's name for an error code (its Errors constants without `_ERROR_CODE`),
    or the HTTP status's for the plain ones (404 NOT_FOUND, 415 UNSUPPORTED_MEDIA_TYPE)
    that rest-utils answers itself."""
    for name, value in globals().items():
        if name.isupper() and isinstance(value, int) and value == code:
            return name
    try:
        return HTTPStatus(code).name
    except ValueError:
        return f"ERROR_{code}"


class RegistryError(HttpError):
    """A Schema Registry error; `code` is Confluent's error_code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(_status(code), code, message)


def _status(code: int) -> int:
    return code if code < 1000 else code // 100


def subject_not_found(subject: str) -> RegistryError:
    return RegistryError(SUBJECT_NOT_FOUND, f"Subject '{subject}' not found.")


def version_not_found(version: int | str) -> RegistryError:
    return RegistryError(VERSION_NOT_FOUND, f"Version {version} not found.")


def schema_not_found(schema_id: int | None = None) -> RegistryError:
    return RegistryError(
        SCHEMA_NOT_FOUND, "Schema not found" if schema_id is None else f"Schema {schema_id} not found"
    )


def subject_soft_deleted(subject: str) -> RegistryError:
    return RegistryError(
        SUBJECT_SOFT_DELETED, f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"
    )


def subject_not_soft_deleted(subject: str) -> RegistryError:
    return RegistryError(
        SUBJECT_NOT_SOFT_DELETED,
        f"Subject '{subject}' was not deleted first before being permanently deleted",
    )


def version_soft_deleted(subject: str, version: int) -> RegistryError:
    return RegistryError(
        SCHEMAVERSION_SOFT_DELETED,
        f"Subject '{subject}' Version {version} was soft deleted.Set permanent=true to delete permanently",
    )


def version_not_soft_deleted(subject: str, version: int) -> RegistryError:
    return RegistryError(
        SCHEMAVERSION_NOT_SOFT_DELETED,
        f"Subject '{subject}' Version {version} was not deleted first before being permanently deleted",
    )


def invalid_schema(message: str) -> RegistryError:
    return RegistryError(INVALID_SCHEMA, message)


def invalid_version(version: str) -> RegistryError:
    return RegistryError(
        INVALID_VERSION,
        f"The specified version '{version}' is not a valid version id. "
        'Allowed values are between [1, 2^31-1] and the string "latest"',
    )


def invalid_compatibility(level: object) -> RegistryError:
    return RegistryError(
        INVALID_COMPATIBILITY_LEVEL,
        f"Invalid compatibility level {level!r}. Valid values are none, backward, forward, full, "
        "backward_transitive, forward_transitive, and full_transitive",
    )


def invalid_mode(mode: object) -> RegistryError:
    return RegistryError(
        INVALID_MODE, f"Invalid mode {mode!r}. Valid values are: READWRITE, READONLY, IMPORT"
    )


def not_permitted(message: str) -> RegistryError:
    return RegistryError(OPERATION_NOT_PERMITTED, message)


def read_only(subject: str | None) -> RegistryError:
    where = f"Subject {subject}" if subject else "The registry"
    return not_permitted(f"{where} is in read-only mode")


def reference_exists(subject: str, version: int) -> RegistryError:
    return RegistryError(
        REFERENCE_EXISTS,
        "One or more references exist to the schema "
        f"{{magic=1,keytype=SCHEMA,subject={subject},version={version}}}.",
    )


def invalid_subject(subject: str) -> RegistryError:
    return RegistryError(INVALID_SUBJECT, f"The specified subject '{subject}' is not a valid.")


def schema_too_large(size: int, limit: int) -> RegistryError:
    return RegistryError(
        SCHEMA_TOO_LARGE,
        f"Register operation failed because schema is too large ({size:,} bytes stored; "
        f"the _schemas topic takes records up to {limit:,} bytes)",
    )
