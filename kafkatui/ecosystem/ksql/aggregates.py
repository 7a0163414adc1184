"""ksqlDB's aggregate functions (its `function/udaf` package): each keeps a JSON-able
state in the query's store, updated per row and turned into the column's value. Nulls
are skipped, as ksqlDB's UDAFs skip them (COUNT(*) counts rows)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kafkatui.ecosystem.ksql.errors import KsqlError
from kafkatui.ecosystem.ksql.types import BIGINT, DOUBLE, SqlType, array


@dataclass(frozen=True)
class AggregateFunction:
    name: str
    init: Callable[[], Any]
    add: Callable[[Any, Any], Any]
    result: Callable[[Any], Any]
    returns: SqlType
    # Two states as one, for session windows that merge (Kafka's Merger); the second is
    # the later session's.
    merge: Callable[[Any, Any], Any] = lambda a, b: b
    # A value taken back, for a table's aggregate (ksqlDB's TableUdaf#undo); None: the
    # function cannot aggregate a table.
    undo: Callable[[Any, Any], Any] | None = None


def _sum(state: Any, value: Any) -> Any:
    return state if value is None else state + value


def _avg(state: list, value: Any) -> list:
    return state if value is None else [state[0] + value, state[1] + 1]


def _unsum(state: Any, value: Any) -> Any:
    return state if value is None else state - value


def _unavg(state: list, value: Any) -> list:
    return state if value is None else [state[0] - value, state[1] - 1]


def _unlist(state: list, value: Any) -> list:
    if value is None or value not in state:
        return state
    index = state.index(value)
    return state[:index] + state[index + 1 :]


def _plus(a: Any, b: Any) -> Any:
    return a + b


def _min(state: Any, value: Any) -> Any:
    return value if state is None or (value is not None and value < state) else state


def _max(state: Any, value: Any) -> Any:
    return value if state is None or (value is not None and value > state) else state


def make(name: str, arg_type: SqlType | None, params: list[Any]) -> AggregateFunction:
    """The aggregate `name` over an argument of `arg_type` (None for COUNT(*))."""
    if name == "COUNT":
        return AggregateFunction(
            name, lambda: 0, lambda s, v: s + 1 if v is not None else s, lambda s: s, BIGINT, _plus,
            lambda s, v: s - 1 if v is not None else s,
        )  # fmt: skip
    assert arg_type is not None
    if name in ("SUM", "AVG") and not arg_type.numeric:
        raise KsqlError(f"Function '{name}' does not accept parameters ({arg_type}).")
    if name == "SUM":
        return AggregateFunction(name, lambda: 0, _sum, lambda s: s, arg_type, _plus, _unsum)
    if name == "AVG":
        return AggregateFunction(
            name, lambda: [0, 0], _avg, lambda s: s[0] / s[1] if s[1] else None, DOUBLE,
            lambda a, b: [a[0] + b[0], a[1] + b[1]], _unavg,
        )  # fmt: skip
    if name == "MIN":
        return AggregateFunction(name, lambda: None, _min, lambda s: s, arg_type, _min)
    if name == "MAX":
        return AggregateFunction(name, lambda: None, _max, lambda s: s, arg_type, _max)
    if name == "LATEST_BY_OFFSET":
        return AggregateFunction(
            name, lambda: None, lambda s, v: s if v is None else v, lambda s: s, arg_type,
            lambda a, b: a if b is None else b,
        )  # fmt: skip
    if name == "EARLIEST_BY_OFFSET":
        return AggregateFunction(
            name,
            lambda: [False, None],
            lambda s, v: s if s[0] or v is None else [True, v],
            lambda s: s[1],
            arg_type,
            lambda a, b: a if a[0] else b,
        )
    if name == "COLLECT_LIST":
        return AggregateFunction(
            name, list, lambda s, v: s if v is None else [*s, v], lambda s: s, array(arg_type),
            lambda a, b: [*a, *b], _unlist,
        )  # fmt: skip
    if name == "COLLECT_SET":
        return AggregateFunction(
            name, list, lambda s, v: s if v is None or v in s else [*s, v], lambda s: s, array(arg_type),
            lambda a, b: [*a, *(v for v in b if v not in a)], _unlist,
        )  # fmt: skip
    if name == "TOPK":
        k = int(params[0]) if params else 1
        return AggregateFunction(
            name, list, lambda s, v: s if v is None else sorted([*s, v], reverse=True)[:k], lambda s: s,
            array(arg_type), lambda a, b: sorted([*a, *b], reverse=True)[:k],
        )  # fmt: skip
    raise KsqlError(f"Can't find any functions with the name '{name}'")
