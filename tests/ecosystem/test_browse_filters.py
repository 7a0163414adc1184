"""The jq filter's batched call (a batch's objects and arrays in one libjq call) answers
exactly what one call per value would, whatever the values: pieces of JSON that could run
into one another, two texts in one value, strings with raw newlines, program errors."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kafkatui.ecosystem.browse.filters import Decoded, JqFilter, Outcome

PIECES = [
    b'{"price": 11}', b'{"price": 3}', b"[1, 2]", b"[]", b"{}", b' {"price": 60} ',
    b'{"price": 12}{"price": 13}', b'{"price":', b"20}", b"[1", b"2]", b"1][2", b'{"a": "}',
    b'", "price": 99}', b'{"a": "x\ny"}', b'{"price": 1}\n{"price": 70}', b"{} 5", b"]", b"}",
    b"[[1]", b"]]", b'"s"', b"5", b"null", b"not json", b"", b"  ", b"\xff\xfe", b"{\"price\": nan}",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(PIECES),
    st.none(),  # a tombstone
    st.builds(Decoded, st.dictionaries(st.sampled_from(["price", "n"]), st.integers(-5, 100), max_size=2)),
)


FILTERS = {program: JqFilter(program) for program in ("select(.price > 10)", ".[0] == 1", 'has("a")')}


@settings(max_examples=100, deadline=None)
@given(st.lists(VALUES, max_size=12), st.sampled_from(sorted(FILTERS)))
def test_one_call_for_a_batch_answers_as_one_call_per_value(values: list[object], program: str) -> None:
    jq = FILTERS[program]
    assert jq.outcomes(values) == [jq.outcomes([value])[0] for value in values]


def test_pieces_that_make_json_together_are_each_not_json() -> None:
    jq = JqFilter("select(.price > 10)")
    assert jq.outcomes([b'{"price":', b"20}", b'{"price": 11}']) == [
        Outcome.NOT_JSON,
        Outcome.NOT_JSON,
        Outcome.MATCHED,
    ]
    assert jq.outcomes([b'{"price": 12}{"price": 13}', b"[1", b"2]", b'{"price": 1}']) == [
        Outcome.NOT_JSON,
        Outcome.NOT_JSON,
        Outcome.NOT_JSON,
        Outcome.NO_MATCH,
    ]
    assert jq.outcomes([b"[1]", b'{"price": 50}']) == [Outcome.FAILED, Outcome.MATCHED]  # .price of an array
    # the one call answers one per value, or not at all (then one call per value)
    assert jq._answers_together(['{"price": 11}', "[1]", "{}"]) == [1, -1, 0]
    assert jq._answers_together(['{"price": 11}{}', "[1]", "{}"]) is None
