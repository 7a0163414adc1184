"""Bad statements: each a clear error worded as ksqlDB's, with the place in the statement."""

from __future__ import annotations

import pytest

from kafkatui.ecosystem.ksql.errors import KsqlError
from tests.ecosystem.ksql.qtt import run

SALES = (
    "CREATE STREAM sales (id STRING KEY, client_id STRING, price DOUBLE) "
    "WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON');"
)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT PRICEE FROM sales EMIT CHANGES", "line 1:8: Column 'PRICEE' cannot be resolved."),
        ("SELECT *\n  FROM nowhere EMIT CHANGES", "line 2:8: NOWHERE does not exist."),
        ("SELECT price + client_id FROM sales EMIT CHANGES",
         "line 1:8: Error processing expression: PRICE + CLIENT_ID. "
         "Unsupported arithmetic types. DOUBLE STRING"),
        ("SELECT client_id, price, COUNT(*) FROM sales GROUP BY client_id EMIT CHANGES",
         "Non-aggregate SELECT expression(s) not part of GROUP BY: PRICE"),
        ("SELECT * FROM sales WHERE price EMIT CHANGES",
         "line 1:27: Type error in WHERE expression: "
         "Should evaluate to boolean but is PRICE (DOUBLE) instead."),
        ("SELECT NOPE(price) FROM sales EMIT CHANGES", "Can't find any functions with the name 'NOPE'"),
        ("SELECT SUM(client_id) FROM sales GROUP BY id EMIT CHANGES",
         "Function 'SUM' does not accept parameters (STRING)."),
        ("SELECT * FROM sales WINDOW TUMBLING (SIZE 1 MINUTE) EMIT CHANGES",
         "WINDOW clause requires a GROUP BY clause."),
    ],
)  # fmt: skip
def test_query_errors(query: str, message: str) -> None:
    with pytest.raises(KsqlError) as error:
        run(SALES + query + ";", [])
    assert message in error.value.message


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("CREATE TABLE t (id STRING, v INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');",
         "Tables require a PRIMARY KEY."),
        ("CREATE STREAM s (id STRING KEY, v INT) WITH (VALUE_FORMAT='JSON');",
         'Missing required property "KAFKA_TOPIC"'),
        ("CREATE STREAM s (id STRING KEY, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='XML');",
         "Unknown format: XML"),
        ("CREATE STREAM s (id STRING KEY, a INT, b INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='KAFKA');",
         "The 'KAFKA' format only supports a single field."),
        ("CREATE STREAM s (id STRING KEY, v INT) WITH (KAFKA_TOPIC='s', TIMESTAMP='t');",
         "The TIMESTAMP column set in the WITH clause does not exist in the schema: 't'"),
    ],
)  # fmt: skip
def test_declaration_errors(statement: str, message: str) -> None:
    with pytest.raises(KsqlError) as error:
        run(statement + "SELECT * FROM s EMIT CHANGES;", [])
    assert message in error.value.message


def test_a_table_is_aggregated_only_by_functions_that_take_a_value_back() -> None:
    with pytest.raises(KsqlError) as error:
        run(
            "CREATE TABLE t (id STRING PRIMARY KEY, g STRING, v INT) WITH (KAFKA_TOPIC='t');"
            "SELECT g, COUNT(*), MAX(v) FROM t GROUP BY g EMIT CHANGES;",
            [],
        )
    assert error.value.message == (
        "line 1:1: The aggregation function(s) MAX cannot be applied to a table source, "
        "only to a stream source."
    )
