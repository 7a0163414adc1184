"""The v3 produce body as concatenated JSON, however the chunks cut it: a record split
at any byte (inside a string, a number, a literal, a multi-byte character) parses as
if it had come whole, and JSON that does not parse is one error at its record."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kafkatui.ecosystem.rest.errors import RestError
from kafkatui.ecosystem.rest.v3_records import ConcatenatedJson

RECORDS = [
    {"partition_id": 12, "value": {"type": "JSON", "data": [True, False, None, -1.5e3, "é€😀"]}},
    {"key": {"type": "STRING", "data": 'a "quoted" \\ key'}, "value": None},
    {"value": {"type": "BINARY", "data": "aGVsbG8="}},
]


class Chunks:
    """A request body arriving in the given pieces (aiohttp's StreamReader.readany)."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)

    async def readany(self) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def parse(pieces: list[bytes], limit: int = 1 << 20) -> list[Any]:
    async def run() -> list[Any]:
        body = ConcatenatedJson(Chunks(pieces), limit)  # type: ignore[arg-type]
        out: list[Any] = []
        while not body.done:
            out.extend(await body.next_values())
        return out

    return asyncio.run(run())


def test_every_cut_parses_as_the_whole() -> None:
    text = ("\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS) + "  ").encode()
    for at in range(1, len(text)):
        assert parse([text[:at], text[at:]]) == RECORDS, at
    assert parse([bytes([b]) for b in text]) == RECORDS  # one byte at a time


def test_json_that_does_not_parse_is_one_error_wherever_the_cut() -> None:
    good = json.dumps(RECORDS[2])
    text = (good + '{"value": {"type": "JSON", "data": nope}}' + good).encode()
    for at in range(1, len(text)):
        got = parse([text[:at], text[at:]])
        assert got[0] == RECORDS[2] and len(got) == 2, at
        assert isinstance(got[1], RestError) and got[1].error_code == 400 and "record 2" in got[1].message


def test_a_body_that_ends_mid_record_is_an_error() -> None:
    got = parse([json.dumps(RECORDS[0]).encode()[:-3]])
    assert len(got) == 1 and isinstance(got[0], RestError) and got[0].error_code == 400


def test_a_record_past_the_limit_ends_the_stream() -> None:
    small, large = json.dumps(RECORDS[2]), json.dumps({"value": {"type": "STRING", "data": "x" * 500}})
    for pieces in (
        [(small + large + small).encode()],
        [small.encode(), large.encode()[:300], large.encode()[300:]],
    ):
        got = parse(pieces, limit=200)
        assert got[0] == RECORDS[2] and len(got) == 2
        assert isinstance(got[1], RestError) and got[1].error_code == 413
