"""The formats' serdes: a row written in a format reads back as the same row (property
tests over the columns' types), and KAFKA's primitives are Kafka's serializers' bytes."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as hs

from kafkatui.ecosystem.ksql.formats import KeySerde, ValueSerde
from kafkatui.ecosystem.ksql.statements import Column
from kafkatui.ecosystem.ksql.types import BIGINT, BOOLEAN, DOUBLE, INTEGER, STRING

COLUMNS = [
    Column("ID", STRING, key=True), Column("N", INTEGER), Column("BIG", BIGINT), Column("X", DOUBLE),
    Column("NAME", STRING), Column("OK", BOOLEAN),
]  # fmt: skip
rows = hs.fixed_dictionaries({
    "N": hs.none() | hs.integers(-(2**31), 2**31 - 1),
    "BIG": hs.none() | hs.integers(-(2**63), 2**63 - 1),
    "X": hs.none() | hs.floats(allow_nan=False, allow_infinity=False),
    "NAME": hs.none() | hs.text(min_size=1),
    "OK": hs.none() | hs.booleans(),
})  # fmt: skip


@given(rows)
def test_json_round_trip(row: dict) -> None:
    serde = ValueSerde("JSON", COLUMNS)
    assert serde.deserialize("t", serde.serialize("t", row)) == row


@given(rows)
def test_delimited_round_trip(row: dict) -> None:
    serde = ValueSerde("DELIMITED", COLUMNS)
    back = serde.deserialize("t", serde.serialize("t", row))
    # DELIMITED has no null and no empty string apart: an empty field reads as null.
    assert back == {k: (None if v == "" else v) for k, v in row.items()}


@given(hs.integers(-(2**31), 2**31 - 1))
def test_kafka_integer_key_is_four_bytes_big_endian(n: int) -> None:
    serde = KeySerde("KAFKA", [Column("K", INTEGER, key=True)])
    assert serde.serialize("t", n) == struct.pack(">i", n)
    assert serde.deserialize("t", struct.pack(">i", n)) == n
