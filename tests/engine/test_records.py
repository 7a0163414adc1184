from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafkatui.common.clients import TimestampType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.log.records import (
    HEADER_SIZE,
    Record,
    decode_batch,
    decode_varint,
    encode_batch,
    encode_varint,
    iter_headers,
    read_header,
    verify_crc,
    with_base_offset,
    with_log_append_time,
    with_partition_leader_epoch,
)

records_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2**40),
        st.one_of(st.none(), st.binary(max_size=64)),
        st.one_of(st.none(), st.binary(max_size=256)),
        st.lists(
            st.tuples(st.text(max_size=8), st.one_of(st.none(), st.binary(max_size=16))),
            max_size=3,
        ),
    ),
    min_size=1,
    max_size=20,
)


@given(records_strategy, st.integers(min_value=0, max_value=2**50))
def test_batch_round_trips(raw: list, base_offset: int) -> None:
    records = [
        Record(base_offset + i, ts, key, value, tuple(headers))
        for i, (ts, key, value, headers) in enumerate(raw)
    ]
    data = encode_batch(records)
    batch = decode_batch(data)
    assert batch.records == records
    header = batch.header
    assert header.base_offset == base_offset
    assert header.last_offset == base_offset + len(records) - 1
    assert header.records_count == len(records)
    assert header.max_timestamp == max(r.timestamp for r in records)
    assert header.size == len(data)
    verify_crc(data)


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_varint_round_trips(n: int) -> None:
    encoded = encode_varint(n)
    assert decode_varint(encoded, 0) == (n, len(encoded))


def test_known_varint_encodings_match_kafka() -> None:
    # Zig-zag: 0 -> 0, -1 -> 1, 1 -> 2, 300 -> 600 = 0xd8 0x04.
    assert encode_varint(0) == b"\x00"
    assert encode_varint(-1) == b"\x01"
    assert encode_varint(1) == b"\x02"
    assert encode_varint(300) == b"\xd8\x04"


def _batch() -> bytes:
    return encode_batch([Record(0, 1000, b"k", b"v1", ()), Record(1, 1005, None, b"v2", (("h", b"x"),))])


def test_header_layout_is_kafkas() -> None:
    data = _batch()
    header = read_header(data)
    assert header.magic == 2
    assert header.batch_length == len(data) - 12
    assert len(data) > HEADER_SIZE
    assert header.producer_id == -1 and header.base_sequence == -1


def test_rewriting_base_offset_and_epoch_keeps_crc_valid() -> None:
    data = with_partition_leader_epoch(with_base_offset(_batch(), 42), 3)
    verify_crc(data)
    batch = decode_batch(data)
    assert [r.offset for r in batch.records] == [42, 43]
    assert batch.header.partition_leader_epoch == 3


def test_log_append_time_rewrites_timestamps_and_crc() -> None:
    data = with_log_append_time(_batch(), 99_999)
    verify_crc(data)
    batch = decode_batch(data)
    assert batch.header.timestamp_type is TimestampType.LOG_APPEND_TIME
    assert [r.timestamp for r in batch.records] == [99_999, 99_999]


def test_flipped_byte_fails_crc() -> None:
    data = bytearray(_batch())
    data[-1] ^= 0xFF
    with pytest.raises(KafkaError) as info:
        verify_crc(bytes(data))
    assert info.value.code is ErrorCode.CORRUPT_MESSAGE


@pytest.mark.parametrize("cut", [0, 10, 60, 70])
def test_truncated_batch_is_corrupt(cut: int) -> None:
    with pytest.raises(KafkaError) as info:
        decode_batch(_batch()[:cut])
    assert info.value.code is ErrorCode.CORRUPT_MESSAGE


def test_wrong_magic_is_refused() -> None:
    data = bytearray(_batch())
    data[16] = 1
    with pytest.raises(KafkaError) as info:
        read_header(bytes(data))
    assert info.value.code is ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT


def test_iter_headers_walks_concatenated_batches() -> None:
    a = _batch()
    b = with_base_offset(_batch(), 2)
    assert [h.base_offset for h in iter_headers(a + b)] == [0, 2]


# --- the optional C decoder must agree with the pure-Python one -------------------------

from kafkatui.engine.log import records as records_module  # noqa: E402

needs_c = pytest.mark.skipif(records_module._recordsc is None, reason="C decoder not built")


def _decode_both(data: bytes) -> tuple[object, object]:
    header = read_header(data)
    results = []
    for decoder in ("c", "py"):
        try:
            if decoder == "c":
                c = records_module._recordsc
                assert c is not None
                results.append(
                    c.decode_records(
                        data, HEADER_SIZE, header.size, header.records_count,
                        header.base_offset, header.base_timestamp, -1,
                    )
                )  # fmt: skip
            else:
                results.append(records_module._decode_records_py(data, header, HEADER_SIZE, header.size))
        except ValueError:
            results.append("corrupt")
        except KafkaError as error:
            assert error.code is ErrorCode.CORRUPT_MESSAGE
            results.append("corrupt")
    return results[0], results[1]


@needs_c
@given(records_strategy)
def test_c_decoder_matches_python(raw: list) -> None:
    records = [Record(i, ts, key, value, tuple(h)) for i, (ts, key, value, h) in enumerate(raw)]
    c, py = _decode_both(encode_batch(records))
    assert c == py == [tuple(r) for r in records]


@needs_c
@given(
    records_strategy,
    st.integers(min_value=0, max_value=2**40),
    st.integers(min_value=-(2**40), max_value=2**40),
)
def test_c_encoder_matches_python(raw: list, base_offset: int, timestamp_shift: int) -> None:
    # Offsets with gaps (a compacted batch) and timestamps around the base (a delete horizon).
    records = [
        Record(base_offset + 3 * i, ts, key, value, tuple(h)) for i, (ts, key, value, h) in enumerate(raw)
    ]
    base_timestamp = raw[0][0] + timestamp_shift
    c = records_module._recordsc
    assert c is not None
    assert c.encode_records(records, base_offset, base_timestamp) == records_module._encode_records_py(
        records, base_offset, base_timestamp
    )


@needs_c
def test_c_encoder_refuses_what_is_not_a_record() -> None:
    c = records_module._recordsc
    assert c is not None
    for bad in ([(0, 0, "str key", None, ())], [(0, 0, None, None, [("h", "str")])], [(0, 0)]):
        with pytest.raises(TypeError):
            c.encode_records(bad, 0, 0)


@needs_c
@given(records_strategy, st.data())
def test_c_decoder_rejects_what_python_rejects(raw: list, data: st.DataObject) -> None:
    """Flip bytes in the record area: both decoders agree, or both call it corrupt."""
    records = [Record(i, ts, key, value, tuple(h)) for i, (ts, key, value, h) in enumerate(raw)]
    encoded = bytearray(encode_batch(records))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        index = data.draw(st.integers(min_value=HEADER_SIZE, max_value=len(encoded) - 1))
        encoded[index] = data.draw(st.integers(min_value=0, max_value=255))
    c, py = _decode_both(bytes(encoded))
    assert c == py


def test_negative_header_count_is_corrupt() -> None:
    # Kafka: "Found invalid number of record headers"; both decoders must refuse it.
    data = bytearray(encode_batch([Record(0, 0, None, None, ())]))
    data[-1] = 0x01  # zig-zag(-1) as the header count
    with pytest.raises(KafkaError) as info:
        decode_batch(bytes(data))
    assert info.value.code is ErrorCode.CORRUPT_MESSAGE
    with pytest.raises(KafkaError):
        records_module._decode_records_py(bytes(data), read_header(bytes(data)), HEADER_SIZE, len(data))


@needs_c
@given(records_strategy, st.integers(min_value=0, max_value=12), st.booleans(), st.data())
def test_consumer_records_from_c_match_python(
    raw: list, skip: int, log_append: bool, data: st.DataObject
) -> None:
    """decode_consumer_records: the C decoder's ConsumerRecords (below `min_offset` left
    out) are the pure-Python fallback's, field for field and type for type; a flipped
    byte is corrupt to both or to neither."""
    from kafkatui.common.clients import ConsumerRecord, TimestampType

    records = [Record(10 + i, ts, key, value, tuple(h)) for i, (ts, key, value, h) in enumerate(raw)]
    kind = TimestampType.LOG_APPEND_TIME if log_append else TimestampType.CREATE_TIME
    encoded = bytearray(encode_batch(records, timestamp_type=kind, partition_leader_epoch=7))
    if data.draw(st.booleans(), label="damaged"):
        at = data.draw(st.integers(min_value=HEADER_SIZE, max_value=len(encoded) - 1), label="at")
        encoded[at] ^= data.draw(st.integers(min_value=1, max_value=255), label="flip")
    encoded_bytes = bytes(encoded)
    header = read_header(encoded_bytes)
    outcomes = []
    for use_c in (True, False):
        saved = records_module._recordsc
        if not use_c:
            records_module._recordsc = None
        try:
            got = records_module.decode_consumer_records(
                encoded_bytes, header, ConsumerRecord, "t", 3, 10 + skip
            )
            outcomes.append([(type(r), tuple(r)) for r in got])
        except KafkaError as error:
            assert error.code is ErrorCode.CORRUPT_MESSAGE
            outcomes.append("corrupt")
        finally:
            records_module._recordsc = saved
    assert outcomes[0] == outcomes[1]
    if outcomes[0] != "corrupt" and encoded_bytes == bytes(
        encode_batch(records, timestamp_type=kind, partition_leader_epoch=7)
    ):
        ts = [r.timestamp for r in records]
        expected = [
            (
                ConsumerRecord,
                (
                    "t",
                    3,
                    r.offset,
                    max(ts) if log_append else r.timestamp,
                    kind,
                    r.key,
                    r.value,
                    r.headers,
                    7,
                ),
            )
            for r in records
            if r.offset >= 10 + skip
        ]
        assert outcomes[0] == expected
