"""ksqlDB's SQL types (SqlTypes): INTEGER, BIGINT, DOUBLE, DECIMAL(p, s), STRING
(VARCHAR), BOOLEAN, TIMESTAMP, DATE, TIME, BYTES, ARRAY<T>, MAP<K, V>, STRUCT<name T, …>,
read from tokens, printed as DESCRIBE prints them, and `coerce`, which makes a value read
from a topic or written in SQL into the type (None where it cannot, as ksqlDB's JSON
deserializer fails the row)."""

from __future__ import annotations

import base64
import datetime
import decimal
from dataclasses import dataclass, field
from typing import Any

from kafkatui.ecosystem.ksql.errors import KsqlError, at
from kafkatui.ecosystem.ksql.lexer import Token

ALIASES = {"INT": "INTEGER", "VARCHAR": "STRING"}
SIMPLE = {"INTEGER", "BIGINT", "DOUBLE", "STRING", "BOOLEAN", "TIMESTAMP", "DATE", "TIME", "BYTES"}
NUMERIC_ORDER = ["INTEGER", "BIGINT", "DECIMAL", "DOUBLE"]


@dataclass(frozen=True)
class SqlType:
    base: str
    precision: int = 0
    scale: int = 0
    items: tuple[SqlType, ...] = ()  # ARRAY: (element,), MAP: (key, value)
    fields: tuple[tuple[str, SqlType], ...] = field(default=())

    def __str__(self) -> str:
        if self.base == "DECIMAL":
            return f"DECIMAL({self.precision}, {self.scale})"
        if self.base == "ARRAY":
            return f"ARRAY<{self.items[0]}>"
        if self.base == "MAP":
            return f"MAP<{self.items[0]}, {self.items[1]}>"
        if self.base == "STRUCT":
            return "STRUCT<" + ", ".join(f"`{n}` {t}" for n, t in self.fields) + ">"
        return self.base

    @property
    def numeric(self) -> bool:
        return self.base in NUMERIC_ORDER

    @property
    def described(self) -> str:
        """DESCRIBE's name: VARCHAR(STRING) for strings, as ksqlDB's CLI prints it."""
        return "VARCHAR(STRING)" if self.base == "STRING" else str(self)


INTEGER, BIGINT, DOUBLE, STRING, BOOLEAN, TIMESTAMP = (
    SqlType("INTEGER"), SqlType("BIGINT"), SqlType("DOUBLE"), SqlType("STRING"), SqlType("BOOLEAN"),
    SqlType("TIMESTAMP"),
)  # fmt: skip


def array(of: SqlType) -> SqlType:
    return SqlType("ARRAY", items=(of,))


def wider(a: SqlType, b: SqlType) -> SqlType:
    """The type of an arithmetic result (ksqlDB widens INTEGER < BIGINT < DECIMAL < DOUBLE)."""
    return a if NUMERIC_ORDER.index(a.base) >= NUMERIC_ORDER.index(b.base) else b


class TypeReader:
    """Reads a type from tokens at `pos` (the statement's text is for the error's place)."""

    def __init__(self, tokens: list[Token], text: str) -> None:
        self.tokens, self.text = tokens, text

    def read(self, pos: int) -> tuple[SqlType, int]:
        token = self.tokens[pos]
        name = ALIASES.get(token.value, token.value) if token.kind == "ident" else ""
        if name in SIMPLE:
            if name == "STRING" and self.tokens[pos + 1].text == "(":  # VARCHAR(n): length ignored, as ksqlDB
                pos = self._expect(pos + 3, ")") - 1
            return SqlType(name), pos + 1
        if name == "DECIMAL":
            self._expect(pos + 1, "(")
            precision = self._number(pos + 2)
            self._expect(pos + 3, ",")
            scale = self._number(pos + 4)
            self._expect(pos + 5, ")")
            if not precision >= 1 or not 0 <= scale <= precision:
                raise KsqlError(
                    f"{at(self.text, token.offset)}: DECIMAL precision must be >= 1 "
                    f"and scale between 0 and the precision: DECIMAL({precision}, {scale})"
                )
            return SqlType("DECIMAL", precision, scale), pos + 6
        if name == "ARRAY":
            self._expect(pos + 1, "<")
            element, pos = self.read(pos + 2)
            return array(element), self._expect(pos, ">")
        if name == "MAP":
            self._expect(pos + 1, "<")
            key, pos = self.read(pos + 2)
            pos = self._expect(pos, ",")
            value, pos = self.read(pos)
            return SqlType("MAP", items=(key, value)), self._expect(pos, ">")
        if name == "STRUCT":
            pos = self._expect(pos + 1, "<")
            fields: list[tuple[str, SqlType]] = []
            while self.tokens[pos].text != ">":
                field_name = self.tokens[pos].value
                kind, pos = self.read(pos + 1)
                fields.append((field_name, kind))
                if self.tokens[pos].text == ",":
                    pos += 1
            return SqlType("STRUCT", fields=tuple(fields)), pos + 1
        raise KsqlError(f"{at(self.text, token.offset)}: Unknown type: {token.text}")

    def _expect(self, pos: int, symbol: str) -> int:
        token = self.tokens[pos]
        if token.text != symbol:
            raise KsqlError(
                f"{at(self.text, token.offset)}: mismatched input '{token.text}' expecting '{symbol}'"
            )
        return pos + 1

    def _number(self, pos: int) -> int:
        token = self.tokens[pos]
        if token.kind != "number":
            raise KsqlError(
                f"{at(self.text, token.offset)}: mismatched input '{token.text}' expecting a number"
            )
        return int(token.value)


def coerce(value: Any, kind: SqlType) -> Any:
    """`value` (as JSON or DELIMITED text gives it) as a value of `kind`; ValueError if it
    cannot be (ksqlDB: the row fails to deserialize)."""
    if value is None:
        return None
    base = kind.base
    if base in ("INTEGER", "BIGINT"):
        if isinstance(value, bool):
            raise ValueError(f"Can't convert type. sourceType: BooleanNode, requiredType: {kind}")
        if isinstance(value, float) and not value.is_integer():
            return int(value)
        return int(value)
    if base == "DOUBLE":
        return float(value)
    if base == "DECIMAL":
        number = decimal.Decimal(str(value))
        return number.quantize(decimal.Decimal(1).scaleb(-kind.scale), rounding=decimal.ROUND_HALF_UP)
    if base == "STRING":
        if isinstance(value, (dict, list)):
            import json

            return json.dumps(value, separators=(",", ":"))
        return (
            value
            if isinstance(value, str)
            else ("true" if value is True else "false" if value is False else str(value))
        )
    if base == "BOOLEAN":
        if isinstance(value, str):
            if value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise ValueError(f"Can't convert type. sourceType: TextNode, requiredType: {kind}")
        return bool(value)
    if base in ("TIMESTAMP", "TIME"):
        if isinstance(value, str):
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=datetime.UTC)
            return int(parsed.timestamp() * 1000)
        return int(value)
    if base == "DATE":
        if isinstance(value, str):
            return (datetime.date.fromisoformat(value) - datetime.date(1970, 1, 1)).days
        return int(value)
    if base == "BYTES":
        return base64.b64decode(value) if isinstance(value, str) else bytes(value)
    if base == "ARRAY":
        if not isinstance(value, list):
            raise ValueError(f"Can't convert type. requiredType: {kind}")
        return [coerce(v, kind.items[0]) for v in value]
    if base == "MAP":
        if not isinstance(value, dict):
            raise ValueError(f"Can't convert type. requiredType: {kind}")
        return {str(k): coerce(v, kind.items[1]) for k, v in value.items()}
    if base == "STRUCT":
        if not isinstance(value, dict):
            raise ValueError(f"Can't convert type. requiredType: {kind}")
        upper = {str(k).upper(): v for k, v in value.items()}
        return {n: coerce(value.get(n, upper.get(n.upper())), t) for n, t in kind.fields}
    return value
