"""The golden corpus (golden.json): statements, input records and what the query must
write, run on the TopologyTestDriver's manual clock, as ksqlDB's query-validation tests
run theirs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kafkatui.ecosystem.ksql.errors import KsqlError
from tests.ecosystem.ksql.qtt import run

CASES = json.loads((Path(__file__).parent / "golden.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden(case: dict[str, Any]) -> None:
    """A case with `error` is a statement ksqlDB refuses: its message, whole."""
    if "error" in case:
        with pytest.raises(KsqlError) as error:
            run(case["statements"], [])
        assert str(error.value) == case["error"]
        return
    result = run(case["statements"], case["inputs"])
    assert result.outputs == case["outputs"]


def test_unnamed_columns_are_named_as_ksqldb_names_them() -> None:
    result = run(
        "CREATE STREAM s (id STRING KEY, price DOUBLE, name STRING) WITH (KAFKA_TOPIC='s');"
        "SELECT id, price * 2, UCASE(name), price AS ksql_col_0 FROM s EMIT CHANGES;",
        [],
    )
    assert result.plan.names == ["ID", "KSQL_COL_1", "KSQL_COL_2", "KSQL_COL_0"]
    assert result.plan.schema == "`ID` STRING, `KSQL_COL_1` DOUBLE, `KSQL_COL_2` STRING, `KSQL_COL_0` DOUBLE"


def test_grouping_by_the_key_column_needs_no_repartition_topic() -> None:
    source = "CREATE STREAM s (id STRING KEY, price DOUBLE, name STRING) WITH (KAFKA_TOPIC='s');"
    by_key = run(source + "SELECT id, COUNT(*) FROM s GROUP BY id EMIT CHANGES;", [])
    assert "-repartition" not in str(by_key.plan.builder.build().describe())
    by_name = run(source + "SELECT name, COUNT(*) FROM s GROUP BY name EMIT CHANGES;", [])
    assert "(topic: Aggregate-GroupBy-repartition)" in str(by_name.plan.builder.build().describe())


def test_a_join_on_value_columns_repartitions_as_ksqldb_names_it() -> None:
    """ON expressions that are not the key: each stream side is rekeyed
    (`LeftSourceKeyed-SelectKey`) through `Join-left-repartition` /
    `Join-right-repartition`; the stream of a stream-table join through `Join-repartition`."""
    streams = (
        "CREATE STREAM l (a INT KEY, b INT) WITH (KAFKA_TOPIC='l');"
        "CREATE STREAM r (a INT KEY, c INT) WITH (KAFKA_TOPIC='r');"
    )
    both = str(run(streams + "SELECT l.b, c FROM l JOIN r WITHIN 1 MINUTE ON l.b = r.c EMIT CHANGES;", [])
               .plan.builder.build().describe())  # fmt: skip
    assert "Processor: LeftSourceKeyed-SelectKey" in both
    assert "(topic: Join-left-repartition)" in both and "(topic: Join-right-repartition)" in both
    keyed = str(run(streams + "SELECT * FROM l JOIN r WITHIN 1 MINUTE ON l.a = r.a EMIT CHANGES;", [])
                .plan.builder.build().describe())  # fmt: skip
    assert "-repartition" not in keyed and "Join-this-windowed" in keyed
    table = (
        "CREATE STREAM s (id INT KEY, k INT) WITH (KAFKA_TOPIC='s');"
        "CREATE TABLE t (id INT PRIMARY KEY, v INT) WITH (KAFKA_TOPIC='t');"
    )
    joined = str(run(table + "SELECT s.k, v FROM s JOIN t ON s.k = t.id EMIT CHANGES;", [])
                 .plan.builder.build().describe())  # fmt: skip
    assert "(topic: Join-repartition)" in joined and "KafkaTopic_Right-Reduce" in joined
