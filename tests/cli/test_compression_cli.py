"""`kafkatui produce --compression-type` (kcat's -z): the records arrive compressed and
read back as sent."""

from __future__ import annotations

from tests.cli.conftest import CliFn


def test_produce_compressed_then_consume(cli: CliFn) -> None:
    cli("topic", "create", "logs", "--partitions", "1").ok()
    cli("produce", "logs", "-z", "zstd", "--linger-ms", "0", input="one\ntwo\nthree\n").ok()
    consumed = cli("consume", "logs", "--from-beginning", "--timeout", "0.2", "--format", "json").ok()
    assert [r["value"] for r in consumed.json_lines()] == ["one", "two", "three"]


def test_an_unknown_codec_is_one_clear_error(cli: CliFn) -> None:
    cli("topic", "create", "logs").ok()
    cli("produce", "logs", "-z", "brotli", "--value", "x").assert_error("INVALID_CONFIG", "compression.type")
