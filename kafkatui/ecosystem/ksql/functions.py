"""ksqlDB's scalar functions (its `function/udf` packages, the common ones), by name: each
takes the evaluated arguments and gives the value; a null argument gives null unless
the function says otherwise (COALESCE, IFNULL, CONCAT). The result type, for the schema
of what a query writes, is `returns(name, argument types)`."""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable
from typing import Any

from kafkatui.ecosystem.ksql.types import BIGINT, DOUBLE, INTEGER, STRING, SqlType, array

_JAVA_FORMAT = [("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"),
                ("ss", "%S"), ("SSS", "%f"), ("EEE", "%a"), ("MMM", "%b")]  # fmt: skip


def _strftime(pattern: str) -> str:
    """Java's DateTimeFormatter letters (the common ones) as strftime's, quotes dropped."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "'":
            end = pattern.find("'", i + 1)
            out.append(pattern[i + 1 : end if end > 0 else len(pattern)])
            i = end + 1 if end > 0 else len(pattern)
            continue
        for java, python in _JAVA_FORMAT:
            if pattern.startswith(java, i):
                out.append(python)
                i += len(java)
                break
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def timestamp_to_string(ms: int, pattern: str, zone: str | None = None) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    text = moment.strftime(_strftime(pattern))
    # %f is microseconds; Java's SSS is milliseconds.
    return text.replace(moment.strftime("%f"), moment.strftime("%f")[:3]) if "SSS" in pattern else text


def string_to_timestamp(text: str, pattern: str, zone: str | None = None) -> int:
    parsed = datetime.datetime.strptime(text, _strftime(pattern)).replace(tzinfo=datetime.UTC)
    return int(parsed.timestamp() * 1000)


def _json_path(text: str, path: str) -> Any:
    try:
        node = json.loads(text)
    except ValueError:
        return None
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]|\['([^']+)'\]", path.removeprefix("$")):
        name, index, quoted = part
        try:
            node = node[int(index)] if index else node[name or quoted]
        except (KeyError, IndexError, TypeError):
            return None
    return node if isinstance(node, str) or node is None else json.dumps(node, separators=(",", ":"))


def _substring(s: str, start: int, length: int | None = None) -> str:
    # ksqlDB counts from 1; a negative start counts from the end.
    begin = start - 1 if start > 0 else max(0, len(s) + start)
    return s[begin:] if length is None else s[begin : begin + length]


def _round(x: Any, places: int = 0) -> Any:
    # Java's Math.round: half up.
    factor = 10**places
    value = math.floor(float(x) * factor + 0.5) / factor
    return int(value) if places == 0 else value


SCALAR: dict[str, tuple[Callable[..., Any], Callable[[list[SqlType]], SqlType]]] = {
    "ABS": (abs, lambda t: t[0]),
    "CEIL": (math.ceil, lambda t: t[0]),
    "FLOOR": (math.floor, lambda t: t[0]),
    "ROUND": (_round, lambda t: BIGINT if len(t) == 1 else DOUBLE),
    "SQRT": (math.sqrt, lambda t: DOUBLE),
    "EXP": (math.exp, lambda t: DOUBLE),
    "LN": (math.log, lambda t: DOUBLE),
    "POWER": (lambda a, b: float(a) ** float(b), lambda t: DOUBLE),
    "SIGN": (lambda x: (x > 0) - (x < 0), lambda t: INTEGER),
    "UCASE": (str.upper, lambda t: STRING),
    "LCASE": (str.lower, lambda t: STRING),
    "INITCAP": (lambda s: " ".join(w.capitalize() for w in s.split(" ")), lambda t: STRING),
    "TRIM": (str.strip, lambda t: STRING),
    "LTRIM": (str.lstrip, lambda t: STRING),
    "RTRIM": (str.rstrip, lambda t: STRING),
    "LEN": (len, lambda t: INTEGER),
    "LENGTH": (len, lambda t: INTEGER),
    "SUBSTRING": (_substring, lambda t: STRING),
    "REPLACE": (lambda s, a, b: s.replace(a, b), lambda t: STRING),
    "INSTR": (lambda s, sub: s.find(sub) + 1, lambda t: INTEGER),
    "LPAD": (lambda s, n, pad: (pad * n + s)[-n:] if len(s) < n else s[:n], lambda t: STRING),
    "RPAD": (lambda s, n, pad: (s + pad * n)[:n], lambda t: STRING),
    "SPLIT": (lambda s, d: s.split(d) if d else list(s), lambda t: array(STRING)),
    "ARRAY_LENGTH": (len, lambda t: INTEGER),
    "EXTRACTJSONFIELD": (_json_path, lambda t: STRING),
    "TIMESTAMPTOSTRING": (timestamp_to_string, lambda t: STRING),
    "STRINGTOTIMESTAMP": (string_to_timestamp, lambda t: BIGINT),
    "UNIX_TIMESTAMP": (None, lambda t: BIGINT),  # evaluated with the record's clock
    "MASK": (lambda s: re.sub(r"[a-z]", "x", re.sub(r"[A-Z]", "X", re.sub(r"\d", "n", s))), lambda t: STRING),
}

NULL_TOLERANT: dict[str, tuple[Callable[..., Any], Callable[[list[SqlType]], SqlType]]] = {
    "COALESCE": (lambda *a: next((x for x in a if x is not None), None), lambda t: t[0]),
    "IFNULL": (lambda a, b: b if a is None else a, lambda t: t[0]),
    "CONCAT": (lambda *a: "".join("" if x is None else str(x) for x in a), lambda t: STRING),
    "GREATEST": (lambda *a: max((x for x in a if x is not None), default=None), lambda t: t[0]),
    "LEAST": (lambda *a: min((x for x in a if x is not None), default=None), lambda t: t[0]),
}

AGGREGATES = {
    "COUNT", "SUM", "AVG", "MIN", "MAX", "LATEST_BY_OFFSET", "EARLIEST_BY_OFFSET", "COLLECT_LIST",
    "COLLECT_SET", "TOPK",
}  # fmt: skip


def known(name: str) -> bool:
    return name in SCALAR or name in NULL_TOLERANT
