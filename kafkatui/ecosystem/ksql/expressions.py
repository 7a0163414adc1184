"""ksqlDB expressions compiled to Python: a sqlglot tree becomes a closure over a row (a
dict of column name → value) and the type it gives, checked as ksqlDB checks them
(unknown columns and functions, arithmetic on non-numbers) with the place in the
statement. SQL's three-valued logic: a comparison with a null is null, and WHERE keeps
a row only when its condition is true.

After a GROUP BY the same expressions read the aggregate's row instead: `replacements`
maps an aggregate call or a GROUP BY expression (by its SQL text) to the column that
holds its value there."""

from __future__ import annotations

import decimal
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from kafkatui.ecosystem.ksql import functions as fn
from kafkatui.ecosystem.ksql.errors import KsqlError, at
from kafkatui.ecosystem.ksql.types import (
    BIGINT,
    BOOLEAN,
    DOUBLE,
    INTEGER,
    STRING,
    SqlType,
    coerce,
    wider,
)  # fmt: skip

Row = dict[str, Any]
Evaluator = Callable[[Row], Any]

_DATATYPES = {
    "INT": INTEGER, "BIGINT": BIGINT, "DOUBLE": DOUBLE, "FLOAT": DOUBLE, "TEXT": STRING, "VARCHAR": STRING,
    "STRING": STRING, "BOOLEAN": BOOLEAN, "TIMESTAMP": SqlType("TIMESTAMP"), "DATE": SqlType("DATE"),
}  # fmt: skip
_COMPARE = {
    exp.EQ: operator.eq, exp.NEQ: operator.ne, exp.GT: operator.gt, exp.GTE: operator.ge,
    exp.LT: operator.lt, exp.LTE: operator.le,
}  # fmt: skip
_ARITH = {exp.Add: operator.add, exp.Sub: operator.sub, exp.Mul: operator.mul, exp.Mod: operator.mod}


def column_name(identifier: exp.Expression) -> str:
    """ksqlDB's rule: an unquoted name is upper-cased, a quoted one kept as written."""
    ident = identifier if isinstance(identifier, exp.Identifier) else identifier.this
    return ident.name if getattr(ident, "quoted", False) else ident.name.upper()


def sql_of(node: exp.Expression) -> str:
    """An expression as ksqlDB prints it in messages: upper-cased names, spaced operators."""
    return node.sql(dialect="spark").upper()


def _offset(node: exp.Expression) -> int:
    ident = node if isinstance(node, exp.Identifier) else node.find(exp.Identifier)
    return (ident.meta.get("start") if ident is not None else None) or 0


@dataclass
class Compiled:
    evaluate: Evaluator
    type: SqlType


@dataclass
class Scope:
    """The columns an expression may name (`schema`) and, after a GROUP BY, what replaces
    aggregate calls and grouped expressions."""

    schema: dict[str, SqlType]
    text: str
    replacements: dict[str, tuple[str, SqlType]] = field(default_factory=dict)
    clock: Callable[[], int] = lambda: 0
    # A join's row holds each source's columns as ALIAS_COLUMN: `sources` maps an alias
    # to its columns' names, so `a.col` and an unambiguous `col` find theirs.
    sources: dict[str, list[str]] = field(default_factory=dict)

    def resolve(self, qualifier: str | None, name: str) -> str | list[str]:
        """A column's name in the row: itself without a join; in a join `ALIAS_NAME`, or
        the candidates' names (qualified) when `name` alone is ambiguous or unknown."""
        if not self.sources or (qualifier is None and name in self.schema):
            return name  # the join's own ROWTIME, ROWKEY
        if qualifier is not None:
            return (
                f"{qualifier}_{name}" if name in self.sources.get(qualifier, []) else [f"{qualifier}.{name}"]
            )
        found = [f"{alias}_{name}" for alias, names in self.sources.items() if name in names]
        if len(found) == 1:
            return found[0]
        return [f"{alias}.{name}" for alias, names in self.sources.items() if name in names]


class ExpressionCompiler:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def error(self, node: exp.Expression, message: str) -> KsqlError:
        return KsqlError(f"{at(self.scope.text, _offset(node))}: {message}")

    def compile(self, node: exp.Expression) -> Compiled:
        replaced = self.scope.replacements.get(sql_of(node))
        if replaced is not None:
            name, kind = replaced
            return Compiled(lambda row: row.get(name), kind)
        method = getattr(self, f"_{type(node).__name__.lower()}", None)
        if method is None:
            raise self.error(node, f"Unsupported expression: {node.sql(dialect='spark')}")
        return method(node)

    def predicate(self, node: exp.Expression) -> Callable[[Row], bool]:
        compiled = self.compile(node)
        if compiled.type != BOOLEAN:
            raise self.error(
                node,
                f"Type error in WHERE expression: Should evaluate to boolean but is {sql_of(node)} "
                f"({compiled.type}) instead.",
            )
        evaluate = compiled.evaluate
        return lambda row: evaluate(row) is True

    # --- leaves ----------------------------------------------------------------------
    def _column(self, node: exp.Column) -> Compiled:
        name = column_name(node.this)
        if self.scope.sources:
            qualifier = column_name(node.args["table"]) if node.table else None
            resolved = self.scope.resolve(qualifier, name)
            if isinstance(resolved, list):
                if len(resolved) > 1:
                    raise KsqlError(
                        f"{at(self.scope.text, _offset(node))}: Column '{name}' is ambiguous. "
                        f"Could be any of: {', '.join(resolved)}"
                    )
                shown = resolved[0] if resolved else name
                raise KsqlError(f"{at(self.scope.text, _offset(node))}: Column '{shown}' cannot be resolved.")
            name = resolved
        # without a join `s.col` names the one source: the qualifier is its name or alias
        kind = self.scope.schema.get(name)
        if kind is None:
            raise KsqlError(f"{at(self.scope.text, _offset(node))}: Column '{name}' cannot be resolved.")
        return Compiled(lambda row: row.get(name), kind)

    def _literal(self, node: exp.Literal) -> Compiled:
        if node.is_string:
            value = node.this
            return Compiled(lambda row: value, STRING)
        text = node.this
        if re.fullmatch(r"\d+", text):
            number = int(text)
            return Compiled(lambda row: number, INTEGER if number < 2**31 else BIGINT)
        if "e" in text.lower():
            number_f = float(text)
            return Compiled(lambda row: number_f, DOUBLE)
        # ksqlDB reads 1.5 as a DECIMAL literal; DOUBLE here keeps arithmetic simple.
        number_f = float(text)
        return Compiled(lambda row: number_f, DOUBLE)

    def _null(self, node: exp.Null) -> Compiled:
        return Compiled(lambda row: None, STRING)

    def _boolean(self, node: exp.Boolean) -> Compiled:
        value = bool(node.this)
        return Compiled(lambda row: value, BOOLEAN)

    def _paren(self, node: exp.Paren) -> Compiled:
        return self.compile(node.this)

    def _alias(self, node: exp.Alias) -> Compiled:
        return self.compile(node.this)

    # --- operators -------------------------------------------------------------------
    def _arith(self, node: exp.Binary, op: Callable[[Any, Any], Any], symbol: str) -> Compiled:
        left, right = self.compile(node.this), self.compile(node.expression)
        if symbol == "+" and left.type == STRING and right.type == STRING:
            a, b = left.evaluate, right.evaluate
            return Compiled(
                lambda row: None if (x := a(row)) is None or (y := b(row)) is None else x + y, STRING
            )
        if not (left.type.numeric and right.type.numeric):
            raise self.error(
                node,
                f"Error processing expression: {sql_of(node)}. Unsupported arithmetic types. "
                f"{left.type} {right.type}",
            )
        kind = wider(left.type, right.type)
        a, b = left.evaluate, right.evaluate
        integral = kind.base in ("INTEGER", "BIGINT")

        def evaluate(row: Row) -> Any:
            x, y = a(row), b(row)
            if x is None or y is None:
                return None
            if symbol == "/":
                if y == 0:
                    return None  # ksqlDB: division by zero is null (and logged)
                return int(x / y) if integral else x / y
            if isinstance(x, decimal.Decimal) != isinstance(y, decimal.Decimal):
                x, y = float(x), float(y)
            return op(x, y)

        return Compiled(evaluate, kind)

    def _add(self, node: exp.Add) -> Compiled:
        return self._arith(node, operator.add, "+")

    def _sub(self, node: exp.Sub) -> Compiled:
        return self._arith(node, operator.sub, "-")

    def _mul(self, node: exp.Mul) -> Compiled:
        return self._arith(node, operator.mul, "*")

    def _div(self, node: exp.Div) -> Compiled:
        return self._arith(node, operator.truediv, "/")

    def _mod(self, node: exp.Mod) -> Compiled:
        return self._arith(node, operator.mod, "%")

    def _neg(self, node: exp.Neg) -> Compiled:
        inner = self.compile(node.this)
        evaluate = inner.evaluate
        return Compiled(lambda row: None if (v := evaluate(row)) is None else -v, inner.type)

    def _dpipe(self, node: exp.DPipe) -> Compiled:
        a, b = self.compile(node.this).evaluate, self.compile(node.expression).evaluate
        return Compiled(
            lambda row: None if (x := a(row)) is None or (y := b(row)) is None else f"{x}{y}", STRING
        )

    def _compare(self, node: exp.Binary) -> Compiled:
        left, right = self.compile(node.this), self.compile(node.expression)
        if left.type.numeric != right.type.numeric and STRING in (left.type, right.type):
            raise self.error(
                node,
                f"Error processing expression: {sql_of(node)}. Cannot compare {left.type} to {right.type}",
            )
        op = _COMPARE[type(node)]
        a, b = left.evaluate, right.evaluate
        return Compiled(
            lambda row: None if (x := a(row)) is None or (y := b(row)) is None else op(x, y), BOOLEAN
        )

    _eq = _neq = _gt = _gte = _lt = _lte = _compare

    def _and(self, node: exp.And) -> Compiled:
        a, b = self.compile(node.this).evaluate, self.compile(node.expression).evaluate

        def evaluate(row: Row) -> Any:
            x, y = a(row), b(row)
            if x is False or y is False:
                return False
            return None if x is None or y is None else True

        return Compiled(evaluate, BOOLEAN)

    def _or(self, node: exp.Or) -> Compiled:
        a, b = self.compile(node.this).evaluate, self.compile(node.expression).evaluate

        def evaluate(row: Row) -> Any:
            x, y = a(row), b(row)
            if x is True or y is True:
                return True
            return None if x is None or y is None else False

        return Compiled(evaluate, BOOLEAN)

    def _not(self, node: exp.Not) -> Compiled:
        inner = self.compile(node.this).evaluate
        return Compiled(lambda row: None if (v := inner(row)) is None else not v, BOOLEAN)

    def _is(self, node: exp.Is) -> Compiled:
        inner = self.compile(node.this).evaluate
        return Compiled(lambda row: inner(row) is None, BOOLEAN)

    def _like(self, node: exp.Like) -> Compiled:
        inner = self.compile(node.this).evaluate
        pattern = node.expression.this if isinstance(node.expression, exp.Literal) else None
        if pattern is None:
            raise self.error(node, "LIKE needs a string literal pattern")
        regex = re.compile(
            "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern), re.S
        )
        return Compiled(lambda row: None if (v := inner(row)) is None else bool(regex.fullmatch(v)), BOOLEAN)

    def _in(self, node: exp.In) -> Compiled:
        inner = self.compile(node.this).evaluate
        options = [self.compile(e).evaluate for e in node.expressions]
        return Compiled(
            lambda row: None if (v := inner(row)) is None else any(v == o(row) for o in options), BOOLEAN
        )

    def _between(self, node: exp.Between) -> Compiled:
        v, lo, hi = (self.compile(n).evaluate for n in (node.this, node.args["low"], node.args["high"]))

        def evaluate(row: Row) -> Any:
            x, a, b = v(row), lo(row), hi(row)
            return None if x is None or a is None or b is None else a <= x <= b

        return Compiled(evaluate, BOOLEAN)

    def _case(self, node: exp.Case) -> Compiled:
        branches = [(self.predicate(i.this), self.compile(i.args["true"])) for i in node.args["ifs"]]
        default = self.compile(node.args["default"]) if node.args.get("default") else None
        subject = self.compile(node.this).evaluate if node.this else None
        if subject is not None:  # CASE x WHEN v THEN …: compare to each value
            branches = [
                ((lambda value: lambda row: subject(row) == value(row))(self.compile(i.this).evaluate),
                 self.compile(i.args["true"]))
                for i in node.args["ifs"]
            ]  # fmt: skip
        kind = branches[0][1].type if branches else STRING

        def evaluate(row: Row) -> Any:
            for condition, result in branches:
                if condition(row):
                    return result.evaluate(row)
            return None if default is None else default.evaluate(row)

        return Compiled(evaluate, kind)

    def _if(self, node: exp.If) -> Compiled:
        condition = self.predicate(node.this)
        yes = self.compile(node.args["true"])
        no = (
            self.compile(node.args["false"])
            if node.args.get("false")
            else Compiled(lambda row: None, yes.type)
        )
        return Compiled(lambda row: yes.evaluate(row) if condition(row) else no.evaluate(row), yes.type)

    def _cast(self, node: exp.Cast) -> Compiled:
        inner = self.compile(node.this).evaluate
        to: exp.DataType = node.args["to"]
        name = to.this.name if hasattr(to.this, "name") else str(to.this)
        if name == "DECIMAL":
            params = [int(p.this.this) for p in to.expressions]
            kind = SqlType("DECIMAL", *([*params, 10, 0])[:2])
        elif name in _DATATYPES:
            kind = _DATATYPES[name]
        else:
            raise self.error(node, f"Cast to {to.sql()} is not supported")

        def evaluate(row: Row) -> Any:
            try:
                return coerce(inner(row), kind)
            except (ValueError, TypeError, decimal.InvalidOperation):
                return None

        return Compiled(evaluate, kind)

    _trycast = _cast

    def _jsonextract(self, node: exp.JSONExtract) -> Compiled:
        """`s->f`: a STRUCT's field (the parser reads `->` as JSON extraction)."""
        inner = self.compile(node.this)
        field_name = (
            column_name(node.expression)
            if isinstance(node.expression, exp.Column)
            else str(node.expression.name).upper()
        )
        fields = dict(inner.type.fields)
        if inner.type.base != "STRUCT" or field_name not in fields:
            raise self.error(node, f"Could not find field '{field_name}' in '{sql_of(node.this)}'.")
        evaluate = inner.evaluate
        return Compiled(
            lambda row: None if (s := evaluate(row)) is None else s.get(field_name), fields[field_name]
        )

    def _bracket(self, node: exp.Bracket) -> Compiled:
        inner = self.compile(node.this)
        index = self.compile(node.expressions[0]).evaluate
        evaluate = inner.evaluate
        if inner.type.base == "ARRAY":

            def element(row: Row) -> Any:  # fmt: skip
                items, i = evaluate(row), index(row)
                if items is None or i is None:
                    return None
                position = i - 1 if i > 0 else len(items) + i  # ksqlDB counts from 1; -1 is the last
                return items[position] if 0 <= position < len(items) else None

            return Compiled(element, inner.type.items[0])
        if inner.type.base == "MAP":
            return Compiled(
                lambda row: None if (m := evaluate(row)) is None else m.get(index(row)), inner.type.items[1]
            )
        raise self.error(node, f"'{sql_of(node.this)}' is neither an ARRAY nor a MAP")

    def _anonymous(self, node: exp.Anonymous) -> Compiled:
        name = str(node.this).upper()
        if name in fn.AGGREGATES:
            raise self.error(node, f"Use of aggregate function {name} requires a GROUP BY clause.")
        args = [self.compile(a) for a in node.expressions]
        kinds = [a.type for a in args]
        if name == "UNIX_TIMESTAMP" and not args:
            clock = self.scope.clock
            return Compiled(lambda row: clock(), BIGINT)
        if name in fn.NULL_TOLERANT:
            call, returns = fn.NULL_TOLERANT[name]
            evaluators = [a.evaluate for a in args]
            return Compiled(lambda row: call(*(e(row) for e in evaluators)), returns(kinds))
        if name not in fn.SCALAR:
            raise KsqlError(f"Can't find any functions with the name '{name}'")
        call, returns = fn.SCALAR[name]
        evaluators = [a.evaluate for a in args]

        def evaluate(row: Row) -> Any:
            values = [e(row) for e in evaluators]
            if any(v is None for v in values):
                return None
            try:
                return call(*values)
            except (ValueError, TypeError, ArithmeticError):
                return None  # ksqlDB logs a processing error and gives null

        return Compiled(evaluate, returns(kinds))
