"""ksqlDB's errors (io.confluent.ksql.rest.Errors): an error code is the HTTP status
times 100, plus a small number; the message is worded as ksqlDB words it, with the
place in the statement first ("line 1:8: Column 'PRICEE' cannot be resolved.")."""

from __future__ import annotations

import enum


class ErrorCode(enum.IntEnum):
    BAD_REQUEST = 40000
    BAD_STATEMENT = 40001
    QUERY_ENDPOINT = 40002
    NOT_FOUND = 40400
    SERVER_ERROR = 50000
    COMMAND_QUEUE_CATCHUP_TIMEOUT = 50301
    SERVER_SHUTTING_DOWN = 50303

    @property
    def status(self) -> int:
        return int(self) // 100


class KsqlError(Exception):
    """A statement ksqlDB refuses; `statement_text` is the statement it was in."""

    def __init__(self, message: str, code: ErrorCode = ErrorCode.BAD_STATEMENT) -> None:
        super().__init__(message)
        self.message, self.code = message, code
        self.statement_text = ""


def at(text: str, offset: int) -> str:
    """ksqlDB's NodeLocation for a character offset: 'line L:C' with C counted from 1."""
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return f"line {line}:{column}"


def located(text: str, offset: int, message: str) -> KsqlError:
    return KsqlError(f"{at(text, offset)}: {message}")
