"""The SELECT of a ksqlDB statement: the clauses only ksqlDB has (WINDOW …, PARTITION BY
…, EMIT CHANGES|FINAL, and LIMIT after EMIT) are read from tokens and blanked out of the
text with spaces of the same length, so what sqlglot parses (Spark's dialect: backquoted
identifiers, `||`, `->` and `[ ]`) keeps every offset, and its positions are the
statement's."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.errors import ParseError

from kafkatui.ecosystem.ksql.errors import KsqlError, at
from kafkatui.ecosystem.ksql.lexer import Token, tokenize
from kafkatui.ecosystem.ksql.statements import JoinClause, Query, WindowSpec, Within


class Ksql(Spark):
    """Spark's dialect with every function left by name (`Anonymous`): ksqlDB's function
    names are ksqlDB's, and `functions.py` gives them ksqlDB's meaning."""

    class Parser(Spark.Parser):
        FUNCTIONS: dict = {}
        FUNCTION_PARSERS = {
            k: v for k, v in Spark.Parser.FUNCTION_PARSERS.items() if k in ("CAST", "TRY_CAST")
        }
        NO_PAREN_FUNCTIONS: dict = {}


DIALECT = Ksql
UNITS = {
    "MILLISECOND": 1, "SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000,
    "WEEK": 7 * 86_400_000,
}  # fmt: skip
CLAUSE_ENDS = {"WHERE", "GROUP", "HAVING", "EMIT", "LIMIT", "WINDOW", "PARTITION"}


def duration(tokens: list[Token], pos: int, text: str) -> tuple[int, int]:
    """`1 HOUR`, `30 SECONDS` … in ms, and the position after it."""
    number, unit = tokens[pos], tokens[pos + 1]
    if number.kind != "number":
        raise KsqlError(f"{at(text, number.offset)}: mismatched input '{number.text}' expecting a number")
    name = unit.value[:-1] if unit.value.endswith("S") else unit.value
    if unit.kind != "ident" or name not in UNITS:
        raise KsqlError(
            f"{at(text, unit.offset)}: mismatched input '{unit.text}' expecting "
            "MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS"
        )
    return int(float(number.value) * UNITS[name]), pos + 2


def _window(tokens: list[Token], pos: int, text: str) -> tuple[WindowSpec, int]:
    """WINDOW TUMBLING (SIZE d [, RETENTION d] [, GRACE PERIOD d]) | HOPPING (SIZE d,
    ADVANCE BY d, …) | SESSION (d, …); `pos` is at the kind."""
    kind = tokens[pos]
    if not kind.is_word("TUMBLING", "HOPPING", "SESSION"):
        raise KsqlError(
            f"{at(text, kind.offset)}: mismatched input '{kind.text}' "
            "expecting {'TUMBLING', 'HOPPING', 'SESSION'}"
        )
    if tokens[pos + 1].text != "(":
        raise KsqlError(f"{at(text, tokens[pos + 1].offset)}: missing '(' at '{tokens[pos + 1].text}'")
    pos += 2
    size = advance = None
    grace = None
    while tokens[pos].text != ")":
        token = tokens[pos]
        if token.is_word("SIZE"):
            size, pos = duration(tokens, pos + 1, text)
        elif token.is_word("ADVANCE") and tokens[pos + 1].is_word("BY"):
            advance, pos = duration(tokens, pos + 2, text)
        elif token.is_word("GRACE") and tokens[pos + 1].is_word("PERIOD"):
            grace, pos = duration(tokens, pos + 2, text)
        elif token.is_word("RETENTION"):
            _, pos = duration(tokens, pos + 1, text)
        elif kind.value == "SESSION" and token.kind == "number" and size is None:
            size, pos = duration(tokens, pos, text)
        else:
            raise KsqlError(f"{at(text, token.offset)}: mismatched input '{token.text}' expecting ')'")
        if tokens[pos].text == ",":
            pos += 1
    if size is None:
        raise KsqlError(f"{at(text, kind.offset)}: {kind.value} window needs a SIZE")
    if kind.value == "HOPPING" and advance is None:
        raise KsqlError(f"{at(text, kind.offset)}: HOPPING window needs ADVANCE BY")
    if advance is not None and not 0 < advance <= size:
        raise KsqlError(
            f"{at(text, kind.offset)}: Window advancement interval should be more than zero "
            f"and less than window duration"
        )
    return WindowSpec(kind.value, size, advance or size, grace), pos + 1


def _within(tokens: list[Token], pos: int, text: str) -> tuple[Within, int]:
    """WITHIN d | WITHIN (before, after), then [GRACE PERIOD g]; `pos` is after WITHIN."""
    if tokens[pos].text == "(":
        before, pos = duration(tokens, pos + 1, text)
        if tokens[pos].text != ",":
            raise KsqlError(
                f"{at(text, tokens[pos].offset)}: mismatched input '{tokens[pos].text}' expecting ','"
            )
        after, pos = duration(tokens, pos + 1, text)
        if tokens[pos].text != ")":
            raise KsqlError(f"{at(text, tokens[pos].offset)}: missing ')' at '{tokens[pos].text}'")
        pos += 1
    else:
        before, pos = duration(tokens, pos, text)
        after = before
    grace = None
    if tokens[pos].is_word("GRACE") and tokens[pos + 1].is_word("PERIOD"):
        grace, pos = duration(tokens, pos + 2, text)
    return Within(before, after, grace), pos


def parse_query(text: str, offset: int) -> Query:
    """The SELECT that starts at `offset` in the statement `text` and runs to its end."""
    tokens = [t for t in tokenize(text) if t.offset >= offset]
    blanks: list[tuple[int, int]] = []
    window = emit = None
    limit: int | None = None
    partition_text: str | None = None
    withins: dict[int, Within] = {}  # by the join's index: WITHIN follows its JOIN
    joins_seen = 0
    depth, i = 0, 0
    while tokens[i].kind != "eof":
        token = tokens[i]
        if token.text in ("(", "["):
            depth += 1
        elif token.text in (")", "]"):
            depth -= 1
        elif depth == 0 and token.is_word("WINDOW"):
            window, j = _window(tokens, i + 1, text)
            blanks.append((token.offset, tokens[j].offset))
            i = j
            continue
        elif depth == 0 and token.is_word("JOIN"):
            joins_seen += 1
        elif depth == 0 and token.is_word("WITHIN"):
            withins[joins_seen - 1], j = _within(tokens, i + 1, text)
            blanks.append((token.offset, tokens[j].offset))
            i = j
            continue
        elif depth == 0 and token.is_word("EMIT"):
            what = tokens[i + 1]
            if not what.is_word("CHANGES", "FINAL"):
                raise KsqlError(
                    f"{at(text, what.offset)}: mismatched input '{what.text}' "
                    "expecting {'CHANGES', 'FINAL'}"
                )
            emit = what.value
            blanks.append((token.offset, tokens[i + 2].offset))
            i += 2
            continue
        elif depth == 0 and token.is_word("PARTITION") and tokens[i + 1].is_word("BY"):
            j = i + 2
            inner = 0
            while tokens[j].kind != "eof" and not (inner == 0 and tokens[j].value in CLAUSE_ENDS):
                inner += tokens[j].text in "([" and tokens[j].kind == "symbol"
                inner -= tokens[j].text in ")]" and tokens[j].kind == "symbol"
                j += 1
            partition_text = text[tokens[i + 2].offset : tokens[j].offset]
            blanks.append((token.offset, tokens[j].offset))
            i = j
            continue
        elif depth == 0 and token.is_word("LIMIT") and tokens[i + 1].kind == "number":
            limit = int(tokens[i + 1].value)
            blanks.append((token.offset, tokens[i + 2].offset))
            i += 2
            continue
        i += 1
    core = list(text)
    for start, end in blanks:
        core[start:end] = " " * (end - start)
    sql = "".join(core)
    sql = "".join(c if c == "\n" else " " for c in sql[:offset]) + sql[offset:]
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except ParseError as error:
        raise _syntax_error(text, error) from None
    if not isinstance(tree, exp.Select):
        raise KsqlError(
            f"{at(text, offset)}: mismatched input '{text[offset:].split()[0]}' expecting 'SELECT'"
        )
    source = tree.args.get("from_") or tree.args.get("from")
    if source is None:
        raise KsqlError(f"{at(text, len(text))}: mismatched input '<EOF>' expecting 'FROM'")
    table = source.this
    if not isinstance(table, exp.Table):
        raise KsqlError(f"{at(text, offset)}: FROM must name a stream or a table")
    name = _name(table)
    joins = [
        _join(join, withins.get(index), text, offset)
        for index, join in enumerate(tree.args.get("joins") or [])
    ]
    partition_by: list[exp.Expression] = []
    if partition_text is not None:
        partition_by = list(sqlglot.parse_one(f"SELECT {partition_text}", read=DIALECT).expressions)
    return Query(
        tree, text, offset, name, _start(table.this) or offset, window, emit, partition_by, limit,
        _alias(table) or name, joins,
    )  # fmt: skip


def _name(table: exp.Table) -> str:
    return table.this.name if table.this.quoted else table.this.name.upper()


def _alias(table: exp.Table) -> str | None:
    alias = table.args.get("alias")
    if alias is None or alias.this is None:
        return None
    ident = alias.this
    return ident.name if ident.quoted else ident.name.upper()


JOIN_TYPES = {"": "INNER", "LEFT": "LEFT", "RIGHT": "RIGHT", "FULL": "FULL"}


def _join(join: exp.Join, within: Within | None, text: str, offset: int) -> JoinClause:
    table = join.this
    if not isinstance(table, exp.Table):
        raise KsqlError(f"{at(text, _start(join) or offset)}: JOIN must name a stream or a table")
    side, kind = (join.side or "").upper(), (join.kind or "").upper()
    if kind in ("CROSS", "SEMI", "ANTI") or side not in JOIN_TYPES:
        raise KsqlError(f"{at(text, _start(table.this) or offset)}: mismatched input '{kind or side}'")
    on = join.args.get("on")
    if on is None:
        raise KsqlError(
            f"{at(text, _start(table.this) or offset)}: missing 'ON' at the join of {_name(table)}"
        )
    name = _name(table)
    return JoinClause(name, _alias(table) or name, _start(table.this) or offset, JOIN_TYPES[side], on, within)


def _start(node: exp.Expression) -> int | None:
    meta = node.meta if isinstance(node, exp.Identifier) else getattr(node.find(exp.Identifier), "meta", {})
    return meta.get("start")


def _syntax_error(text: str, error: ParseError) -> KsqlError:
    """sqlglot's first error as ANTLR words it: the token it stopped at, where."""
    first = error.errors[0] if error.errors else {}
    highlight = first.get("highlight") or "<EOF>"
    line, col = first.get("line", 1), first.get("col", 1)
    column = max(1, col - len(highlight) + 1)
    if first.get("description", "").startswith("Required keyword"):
        return KsqlError(f"line {line}:{col + 1}: mismatched input '<EOF>'")
    return KsqlError(f"line {line}:{column}: mismatched input '{highlight}'")
