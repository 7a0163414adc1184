"""ksqlDB's statements as the parser reads them, and its errors worded as ksqlDB's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from kafkatui.ecosystem.ksql import statements as st
from kafkatui.ecosystem.ksql.errors import KsqlError
from kafkatui.ecosystem.ksql.lexer import split_statements
from kafkatui.ecosystem.ksql.parser import parse, parse_one


def test_create_stream_with_columns_keys_and_properties() -> None:
    statement = parse_one(
        "CREATE STREAM sales (id STRING KEY, client_id VARCHAR, price DOUBLE, tags ARRAY<STRING>, "
        "amount DECIMAL(4, 2), m MAP<STRING, INT>, s STRUCT<a INT, `b` STRING>) "
        "WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON', PARTITIONS=3)"
    )
    assert isinstance(statement, st.CreateSource)
    assert [(c.name, str(c.type), c.key) for c in statement.columns] == [
        ("ID", "STRING", True),
        ("CLIENT_ID", "STRING", False),
        ("PRICE", "DOUBLE", False),
        ("TAGS", "ARRAY<STRING>", False),
        ("AMOUNT", "DECIMAL(4, 2)", False),
        ("M", "MAP<STRING, INTEGER>", False),
        ("S", "STRUCT<`A` INTEGER, `b` STRING>", False),
    ]
    assert statement.properties == {"KAFKA_TOPIC": "sales", "VALUE_FORMAT": "JSON", "PARTITIONS": 3}


def test_select_keeps_ksqldb_clauses_beside_the_sqlglot_core() -> None:
    statement = parse_one(
        "SELECT client_id, AVG(price) FROM sales WINDOW HOPPING (SIZE 1 HOUR, ADVANCE BY 10 MINUTES, "
        "GRACE PERIOD 5 SECONDS) WHERE price > 1 GROUP BY client_id EMIT CHANGES LIMIT 3"
    )
    assert isinstance(statement, st.Select)
    query = statement.query
    assert query.source == "SALES"
    assert query.window == st.WindowSpec("HOPPING", 3_600_000, 600_000, 5_000)
    assert (query.emit, query.limit) == ("CHANGES", 3)
    assert query.select.args["where"] is not None and query.select.args["group"] is not None


def test_every_statement_kind() -> None:
    kinds = [
        type(s).__name__
        for s in parse(
            "CREATE TABLE t AS SELECT a, COUNT(*) FROM s GROUP BY a; INSERT INTO s (a, b) VALUES ('x', 2);"
            "INSERT INTO s2 SELECT * FROM s; SHOW STREAMS; LIST TOPICS; DESCRIBE EXTENDED s;"
            "PRINT 'sales' FROM BEGINNING LIMIT 2; SET 'auto.offset.reset'='earliest';"
            "UNSET 'auto.offset.reset'; TERMINATE CSAS_X_1; EXPLAIN SELECT * FROM s EMIT CHANGES;"
            "DROP STREAM IF EXISTS s DELETE TOPIC; SELECT * FROM s PARTITION BY a EMIT CHANGES"
        )
    ]
    assert kinds == [
        "CreateAsSelect", "InsertValues", "InsertInto", "Show", "Show", "Describe", "Print", "SetProperty",
        "UnsetProperty", "Terminate", "Explain", "Drop", "Select",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELEC a FROM s", "line 1:1: mismatched input 'SELEC' expecting {'SELECT'"),
        ("SELECT a FROM s WHERE", "line 1:22: mismatched input '<EOF>'"),
        ("SELECT * FROM s EMIT NOW", "line 1:22: mismatched input 'NOW' expecting {'CHANGES', 'FINAL'}"),
        ("DROP s", "line 1:6: mismatched input 's' expecting 'STREAM' or 'TABLE'"),
        ("CREATE STREAM s (a INT PRIMARY KEY) WITH (KAFKA_TOPIC='x')",
         "line 1:24: Column `A` is a 'PRIMARY KEY' column: please use 'KEY' for streams."),
        ("SELECT * FROM s WINDOW TUMBLING (SIZE 1 FORTNIGHT) EMIT CHANGES",
         "line 1:41: mismatched input 'FORTNIGHT' expecting MILLISECONDS"),
    ],
)  # fmt: skip
def test_syntax_errors_say_where_as_ksqldb_does(text: str, message: str) -> None:
    with pytest.raises(KsqlError) as error:
        parse_one(text)
    assert error.value.message.startswith(message)
    assert error.value.statement_text == text


def test_a_semicolon_inside_a_string_or_a_comment_does_not_split() -> None:
    text = "INSERT INTO s (a) VALUES ('x;y'); -- a; comment\nSHOW STREAMS"
    assert [s for s, _ in split_statements(text)] == ["INSERT INTO s (a) VALUES ('x;y')", "SHOW STREAMS"]


words = hs.text("abcdefgh;' -\n", min_size=0, max_size=30)


@given(
    hs.lists(hs.sampled_from(["SHOW STREAMS", "LIST TOPICS", "INSERT INTO s (a) VALUES ('p;q')"]), max_size=6)
)
def test_split_gives_back_each_statement_in_order(chosen: list[str]) -> None:
    text = ";\n".join(chosen) + (";" if chosen else "")
    pieces = split_statements(text)
    assert [s for s, _ in pieces] == chosen
    assert all(text[offset : offset + len(s)] == s for s, offset in pieces)
