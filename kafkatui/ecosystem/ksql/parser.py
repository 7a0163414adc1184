"""ksqlDB's own statements over the tokens (a small recursive reader of SqlBase.g4's
statement rules); each SELECT inside goes to `select.parse_query`. `parse(text)` gives
one `Statement` per `;`-separated statement, or the first `KsqlError`, worded as
ksqlDB's parser words it."""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

from kafkatui.ecosystem.ksql import statements as st
from kafkatui.ecosystem.ksql.errors import KsqlError, at
from kafkatui.ecosystem.ksql.lexer import Token, split_statements, tokenize
from kafkatui.ecosystem.ksql.select import DIALECT, parse_query
from kafkatui.ecosystem.ksql.types import TypeReader

STATEMENT_STARTS = (
    "SELECT", "CREATE", "INSERT", "DROP", "SHOW", "LIST", "DESCRIBE", "EXPLAIN", "TERMINATE", "PRINT",
    "SET", "UNSET",
)  # fmt: skip


def parse(text: str) -> list[st.Statement]:
    return [parse_one(statement) for statement, _ in split_statements(text)]


def parse_one(text: str) -> st.Statement:
    try:
        return _Reader(text).statement()
    except KsqlError as error:
        error.statement_text = text
        raise


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    # --- tokens ----------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def error(self, expecting: str, token: Token | None = None) -> KsqlError:
        token = token or self.token
        return KsqlError(
            f"{at(self.text, token.offset)}: mismatched input '{token.text}' expecting {expecting}"
        )

    def accept(self, *words: str) -> bool:
        if self.token.is_word(*words) or (self.token.kind == "symbol" and self.token.text in words):
            self.pos += 1
            return True
        return False

    def expect(self, *words: str) -> Token:
        token = self.token
        if not self.accept(*words):
            raise self.error(" or ".join(f"'{w}'" for w in words))
        return token

    def name(self) -> str:
        token = self.token
        if token.kind not in ("ident", "quoted"):
            raise self.error("an identifier")
        self.pos += 1
        return token.value

    def end(self) -> None:
        if self.token.kind != "eof":
            raise KsqlError(
                f"{at(self.text, self.token.offset)}: extraneous input '{self.token.text}' expecting ';'"
            )

    # --- statements --------------------------------------------------------------------
    def statement(self) -> st.Statement:
        first = self.token
        word = first.value if first.kind == "ident" else first.text
        if word not in STATEMENT_STARTS:
            raise self.error("{" + ", ".join(f"'{w}'" for w in STATEMENT_STARTS) + "}")
        if word == "SELECT":
            return st.Select(self.text, parse_query(self.text, first.offset))
        self.pos += 1
        return getattr(self, f"_{word.lower()}")()

    def _create(self) -> st.Statement:
        or_replace = self.accept("OR") and bool(self.expect("REPLACE"))
        source = self.accept("SOURCE")
        kind = self.expect("STREAM", "TABLE").value
        if_not_exists = self.accept("IF") and bool(self.expect("NOT")) and bool(self.expect("EXISTS"))
        name = self.name()
        columns: list[st.Column] = []
        if self.accept("("):
            columns = self._columns(kind)
        properties = self._with() if self.token.is_word("WITH") else {}
        if self.accept("AS"):
            if columns:
                raise self.error("'AS' after no column list", self.tokens[self.pos - 1])
            if not self.token.is_word("SELECT"):
                raise self.error("'SELECT'")
            query = parse_query(self.text, self.token.offset)
            return st.CreateAsSelect(self.text, kind, name, properties, query, or_replace, if_not_exists)
        self.end()
        return st.CreateSource(self.text, kind, name, columns, properties, or_replace, if_not_exists, source)

    def _columns(self, kind: str) -> list[st.Column]:
        columns: list[st.Column] = []
        reader = TypeReader(self.tokens, self.text)
        while True:
            name = self.name()
            sql_type, self.pos = reader.read(self.pos)
            key = False
            if self.accept("PRIMARY"):
                self.expect("KEY")
                key = True
                if kind == "STREAM":
                    raise KsqlError(
                        f"{at(self.text, self.tokens[self.pos - 2].offset)}: "
                        "Column `" + name + "` is a 'PRIMARY KEY' column: please use 'KEY' for streams.\n"
                        "Tables have PRIMARY KEYs, which are unique and NON NULL.\n"
                        "Streams have KEYs, which have no uniqueness or NON NULL constraints."
                    )
            elif self.accept("KEY"):
                key = True
                if kind == "TABLE":
                    raise KsqlError(
                        f"{at(self.text, self.tokens[self.pos - 1].offset)}: "
                        "Column `" + name + "` is a 'KEY' column: please use 'PRIMARY KEY' for tables.\n"
                        "Tables have PRIMARY KEYs, which are unique and NON NULL.\n"
                        "Streams have KEYs, which have no uniqueness or NON NULL constraints."
                    )
            if any(c.name == name for c in columns):
                raise KsqlError(f"Duplicate column names:\n\t{name}")
            columns.append(st.Column(name, sql_type, key))
            if self.accept(")"):
                return columns
            self.expect(",")

    def _with(self) -> dict[str, Any]:
        self.expect("WITH")
        self.expect("(")
        properties: dict[str, Any] = {}
        while True:
            key = self.name()
            self.expect("=")
            token = self.token
            if token.kind not in ("string", "number", "ident"):
                raise self.error("a value")
            self.pos += 1
            properties[key.upper()] = int(token.value) if token.kind == "number" else token.value
            if self.accept(")"):
                return properties
            self.expect(",")

    def _insert(self) -> st.Statement:
        self.expect("INTO")
        target_offset = self.token.offset
        target = self.name()
        columns: list[str] = []
        if self.token.text == "(" and not self.tokens[self.pos + 1].is_word("SELECT"):
            self.pos += 1
            while True:
                columns.append(self.name())
                if self.accept(")"):
                    break
                self.expect(",")
        if self.accept("VALUES"):
            start = self.token.offset
            try:
                tree = sqlglot.parse_one(
                    "SELECT " + self.text[start:].strip().removeprefix("(").removesuffix(")"), read=DIALECT
                )
            except sqlglot.errors.ParseError:
                raise KsqlError(f"{at(self.text, start)}: mismatched input expecting VALUES (…)") from None
            values = list(tree.expressions) if isinstance(tree, exp.Select) else []
            return st.InsertValues(self.text, target, columns, values, target_offset)
        if not self.token.is_word("SELECT"):
            raise self.error("{'SELECT', 'VALUES'}")
        return st.InsertInto(self.text, target, parse_query(self.text, self.token.offset))

    def _drop(self) -> st.Statement:
        kind = self.expect("STREAM", "TABLE").value
        if_exists = self.accept("IF") and bool(self.expect("EXISTS"))
        name = self.name()
        delete_topic = self.accept("DELETE") and bool(self.expect("TOPIC"))
        self.end()
        return st.Drop(self.text, kind, name, if_exists, delete_topic)

    def _show(self) -> st.Statement:
        what = self.expect("STREAMS", "TABLES", "TOPICS", "QUERIES", "PROPERTIES").value
        extended = self.accept("EXTENDED")
        self.end()
        return st.Show(self.text, what, extended)

    _list = _show

    def _describe(self) -> st.Statement:
        extended = self.accept("EXTENDED")
        if self.token.is_word("STREAMS", "TABLES") and self.tokens[self.pos + 1].kind == "eof":
            what = self.name()
            return st.Show(self.text, what, extended)
        offset = self.token.offset
        name = self.name()
        extended = self.accept("EXTENDED") or extended
        self.end()
        return st.Describe(self.text, name, extended, offset)

    def _explain(self) -> st.Statement:
        if self.token.is_word("SELECT"):
            return st.Explain(self.text, None, parse_query(self.text, self.token.offset))
        query_id = self.name()
        self.end()
        return st.Explain(self.text, query_id, None)

    def _terminate(self) -> st.Statement:
        if self.accept("ALL"):
            self.end()
            return st.Terminate(self.text, None)
        query_id = self.name()
        self.end()
        return st.Terminate(self.text, query_id)

    def _print(self) -> st.Statement:
        token = self.token
        if token.kind not in ("ident", "quoted", "string"):
            raise self.error("a topic name")
        self.pos += 1
        # An unquoted topic keeps its case for PRINT (topics are case-sensitive).
        topic = token.text if token.kind == "ident" else token.value
        from_beginning = self.accept("FROM") and bool(self.expect("BEGINNING"))
        interval, limit = 1, None
        while self.token.kind != "eof":
            if self.accept("INTERVAL", "SAMPLE"):
                interval = int(self.expect_number())
            elif self.accept("LIMIT"):
                limit = int(self.expect_number())
            else:
                raise KsqlError(
                    f"{at(self.text, self.token.offset)}: extraneous input '{self.token.text}' expecting ';'"
                )
        return st.Print(self.text, topic, from_beginning, limit, interval)

    def expect_number(self) -> str:
        token = self.token
        if token.kind != "number":
            raise self.error("a number")
        self.pos += 1
        return token.value

    def _set(self) -> st.Statement:
        name = self._string()
        self.expect("=")
        value = self._string()
        self.end()
        return st.SetProperty(self.text, name, value)

    def _unset(self) -> st.Statement:
        name = self._string()
        self.end()
        return st.UnsetProperty(self.text, name)

    def _string(self) -> str:
        token = self.token
        if token.kind != "string":
            raise self.error("a STRING")
        self.pos += 1
        return token.value
