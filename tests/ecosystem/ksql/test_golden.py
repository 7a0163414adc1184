"""The golden corpus (golden.json): statements, input records and what the query must
write, run on the TopologyTestDriver's manual clock, as ksqlDB's query-validation tests
run theirs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.ecosystem.ksql.qtt import run

CASES = json.loads((Path(__file__).parent / "golden.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden(case: dict[str, Any]) -> None:
    result = run(case["statements"], case["inputs"])
    assert result.outputs == case["outputs"]
