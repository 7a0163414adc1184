"""The listener with raw frames: ApiVersions, and bad input that must never take it down."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import socket
import struct
import time
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kio.schema.api_versions.v0.request import ApiVersionsRequest as ApiVersionsV0
from kio.schema.api_versions.v3.request import ApiVersionsRequest as ApiVersionsV3
from kio.serial import entity_reader
from kio.static.primitive import Records, i16, i32

from kafkatui.backends import kio_frames
from kafkatui.common.errors import ErrorCode
from kafkatui.engine.log.records import Record, encode_batch
from kafkatui.wire.codec import nested, request_class, response_class
from kafkatui.wire.dispatch import APIS
from tests.wire.conftest import ServedCluster

TIMEOUT_S = 5


def connect(served: ServedCluster, broker_id: int = 1) -> socket.socket:
    host, port = served.server.addresses[broker_id]
    return socket.create_connection((host, port), timeout=TIMEOUT_S)


def request_frame(body: object, correlation_id: int = 7, client_id: str = "test") -> bytes:
    return kio_frames.request_frame(body, correlation_id, client_id)


def read_frame(sock: socket.socket) -> bytes | None:
    """One response frame, or None if the server closed the connection."""
    data = b""
    while len(data) < 4:
        chunk = sock.recv(4 - len(data))
        if not chunk:
            return None
        data += chunk
    (size,) = struct.unpack(">i", data)
    body = b""
    while len(body) < size:
        chunk = sock.recv(size - len(body))
        if not chunk:
            return None
        body += chunk
    return body


def api_versions(served: ServedCluster, version: int = 3) -> object:
    """Ask ApiVersions on a fresh connection; ApiVersions responses use header v0."""
    request = (
        ApiVersionsV3(client_software_name="t", client_software_version="1")
        if version == 3
        else ApiVersionsV0()
    )
    with connect(served) as sock:
        sock.sendall(request_frame(request, correlation_id=42))
        frame = read_frame(sock)
    assert frame is not None
    (correlation_id,) = struct.unpack_from(">i", frame)
    assert correlation_id == 42
    body, _ = entity_reader(response_class(18, version))(frame, 4)
    return body


def test_api_versions_lists_every_api_it_serves(served: ServedCluster) -> None:
    for version in (0, 3):
        body = api_versions(served, version)
        assert body.error_code == 0
        advertised = {k.api_key: (k.min_version, k.max_version) for k in body.api_keys}
        served_versions = {key: (a.min_version, a.max_version) for key, a in APIS.items()}
        # Produce v0-2 are advertised, not served, as Kafka 4 does (KAFKA-18659), so old
        # librdkafka (kcat 1.7.1) compresses; a v1 request still closes the connection.
        assert advertised == {**served_versions, 0: (0, served_versions[0][1])}
        assert advertised[18] == (0, 3)


def test_api_versions_v3_writes_no_default_tagged_fields(served: ServedCluster) -> None:
    """kcat 1.7.1 fails with 'Read underflow' if SupportedFeatures & co. are written at
    their defaults: the body must end with an empty tagged-field section (one 0 byte)."""
    request = ApiVersionsV3(client_software_name="t", client_software_version="1")
    with connect(served) as sock:
        sock.sendall(request_frame(request))
        frame = read_frame(sock)
    assert frame is not None and frame.endswith(b"\x00\x00\x00\x00\x00")  # throttle 0, no tags


def test_unsupported_api_versions_version_gets_a_v0_answer_with_the_list(served: ServedCluster) -> None:
    frame = struct.pack(">hhih", 18, 99, 5, -1)  # ApiVersions v99, client id null
    with connect(served) as sock:
        sock.sendall(struct.pack(">i", len(frame)) + frame)
        answer = read_frame(sock)
    assert answer is not None
    body, _ = entity_reader(response_class(18, 0))(answer, 4)
    assert body.error_code == 35  # UNSUPPORTED_VERSION
    assert {k.api_key for k in body.api_keys} == set(APIS)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xde\xad\xbe\xef" * 8, id="garbage"),
        pytest.param(struct.pack(">i", -5), id="negative-size"),
        pytest.param(struct.pack(">i", 1 << 30), id="oversize"),
        pytest.param(struct.pack(">ihhi", 8, 999, 0, 1), id="unknown-api-key"),
        pytest.param(struct.pack(">ihhi", 8, 0, 1, 1), id="unsupported-produce-version"),
        pytest.param(struct.pack(">ihhih", 10, 3, 1, 1, 30000), id="truncated-metadata-request"),
        pytest.param(struct.pack(">i", 100) + b"\x00\x03" * 5, id="truncated-frame"),
    ],
)
def test_bad_input_closes_the_connection_and_the_server_keeps_serving(
    served: ServedCluster, data: bytes
) -> None:
    with connect(served) as sock:
        sock.sendall(data)
        if data.endswith(b"\x00\x03" * 5):  # a frame cut short: the client gives up
            sock.shutdown(socket.SHUT_WR)
        assert read_frame(sock) is None
    assert api_versions(served).error_code == 0
    assert served.server.stats.internal_errors == 0


_frames = st.one_of(
    st.binary(max_size=64),
    st.builds(
        lambda key, version, rest: struct.pack(">hhi", key, version, 1) + rest,
        st.sampled_from(sorted(APIS)),
        st.integers(-1, 20),
        st.binary(max_size=48),
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=_frames)
def test_random_frames_never_take_the_server_down(served: ServedCluster, frame: bytes) -> None:
    with connect(served) as sock:
        sock.settimeout(1)
        sock.sendall(struct.pack(">i", len(frame)) + frame)
        sock.shutdown(socket.SHUT_WR)
        # An answer (maybe an error) then the close; or a valid request that waits (a
        # Fetch with a long max_wait_ms): the client gives up, as a real one would.
        with contextlib.suppress(TimeoutError):
            while read_frame(sock) is not None:
                pass
    assert api_versions(served).error_code == 0
    assert served.server.stats.internal_errors == 0  # bad input is the client's error, never a crash


st.register_type_strategy(Records, st.binary(max_size=100).map(Records))
_request_classes = [
    request_class(key, version)
    for key, api in sorted(APIS.items())
    for version in range(api.min_version, api.max_version + 1)
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=st.sampled_from(_request_classes).flatmap(st.from_type))
def test_well_formed_requests_with_random_fields_never_hit_a_handler_bug(
    served: ServedCluster, request: object
) -> None:
    """Every advertised (API, version) with random field values: an answer, an error or a
    close, never an internal error (2,500 examples found two; this keeps them fixed)."""
    try:
        frame = request_frame(request)
    except Exception:  # kio cannot write it (a value out of its range): not a request
        return
    before = served.server.stats.internal_errors
    with connect(served) as sock:
        sock.settimeout(0.3)
        sock.sendall(frame)
        with contextlib.suppress(TimeoutError, ConnectionError):
            read_frame(sock)
    assert served.server.stats.internal_errors == before


def offset_for_leader_epoch(served: ServedCluster, broker_id: int, current: int, epoch: int) -> object:
    request_cls = request_class(23, 4)
    topic_cls = nested(request_cls, "OffsetForLeaderTopic")
    partition_cls = nested(request_cls, "OffsetForLeaderPartition")
    request = request_cls(
        replica_id=-1,
        topics=(
            topic_cls(
                topic="epochs",
                partitions=(partition_cls(partition=0, current_leader_epoch=current, leader_epoch=epoch),),
            ),
        ),
    )
    with connect(served, broker_id) as sock:
        sock.sendall(request_frame(request))
        frame = read_frame(sock)
    assert frame is not None
    body, _ = entity_reader(response_class(23, 4))(frame, 5)  # header v1: correlation id + tags
    return body.topics[0].partitions[0]


def test_offset_for_leader_epoch_answers_where_an_epoch_ends_and_fences_old_epochs(
    served: ServedCluster,
) -> None:
    served.call(served.cluster.create_topic("epochs", 1, 3))
    leader = served.cluster.topic("epochs").partitions[0].leader
    for _ in range(3):
        served.call(
            served.cluster.leader("epochs", 0).produce(
                "epochs", 0, encode_batch([Record(0, 0, None, b"x")]), acks=-1
            )
        )
    answer = offset_for_leader_epoch(served, leader, 0, 0)
    assert int(answer.error_code) == 0 and answer.leader_epoch == 0 and answer.end_offset == 3
    served.call(served.cluster.stop_broker(leader))  # a new leader, epoch 1
    new_leader = served.cluster.topic("epochs").partitions[0].leader
    fenced = offset_for_leader_epoch(served, new_leader, 0, 0)
    assert int(fenced.error_code) == ErrorCode.FENCED_LEADER_EPOCH.value
    answer = offset_for_leader_epoch(served, new_leader, 1, 0)
    assert int(answer.error_code) == 0 and answer.end_offset == 3  # epoch 0 ended at 3


# --- mutated produce requests against acknowledged records ------------------------------------

LEDGER = "ledger"


def _produce_frame(records: bytes, acks: int = -1, partition: int = 0) -> bytes:
    cls = request_class(0, 9)
    topic_cls = nested(cls, "TopicProduceData")
    partition_cls = nested(cls, "PartitionProduceData")
    body = cls(
        transactional_id=None,
        acks=i16(acks),
        timeout=datetime.timedelta(seconds=5),
        topic_data=(
            topic_cls(
                name=LEDGER, partition_data=(partition_cls(index=i32(partition), records=Records(records)),)
            ),
        ),
    )
    return request_frame(body)


def _mutate(frame: bytes, data: st.DataObject) -> bytes:
    """A byte flipped, a run cut out, or the frame cut short (its length prefix kept)."""
    body = bytearray(frame[4:])
    kind = data.draw(st.sampled_from(["flip", "cut", "truncate"]))
    at = data.draw(st.integers(0, len(body) - 1))
    if kind == "flip":
        body[at] ^= data.draw(st.integers(1, 255))
    elif kind == "cut":
        del body[at : at + data.draw(st.integers(1, 16))]
    else:
        del body[at:]
    return struct.pack(">i", len(body)) + bytes(body)


@pytest.fixture
def ledger(served: ServedCluster) -> list[tuple[int, bytes | None]]:
    """A 3-replica topic with five acknowledged records: (offset, value) as read back."""
    served.call(served.cluster.create_topic(LEDGER, 1, 3))
    for i in range(5):
        batch = encode_batch([Record(0, 1_000, b"k", f"acked-{i}".encode())])
        served.call(served.cluster.leader(LEDGER, 0).produce(LEDGER, 0, batch, acks=-1))
    return _ledger_records(served)


def _ledger_records(served: ServedCluster) -> list[tuple[int, bytes | None]]:
    batches = served.call(served.cluster.read_log(LEDGER, 0, 0, 1_000))
    return [(r.offset, r.value) for b in batches for r in b.records]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_produce_requests_never_change_acknowledged_records(
    served: ServedCluster, ledger: list[tuple[int, bytes | None]], data: st.DataObject
) -> None:
    """A valid Produce to the topic, mutated: refused (an error answer or a close) or, if
    still valid, appended after the acknowledged records, which stay as they were."""
    leader = served.cluster.topic(LEDGER).partitions[0].leader
    valid = encode_batch([Record(0, 1_000, b"k", b"fuzz")])
    frame = _mutate(_produce_frame(valid), data)
    with connect(served, leader) as sock:
        sock.settimeout(1)
        sock.sendall(frame)
        sock.shutdown(socket.SHUT_WR)
        with contextlib.suppress(TimeoutError, ConnectionError):
            while read_frame(sock) is not None:
                pass
    assert served.server.stats.internal_errors == 0
    assert _ledger_records(served)[: len(ledger)] == ledger


def test_a_stopped_broker_refuses_connections_and_drops_its_open_ones(served: ServedCluster) -> None:
    """Like a dead process: clients notice at once, instead of connecting to a broker
    that never answers; started again, it listens on the same port."""
    request = request_frame(ApiVersionsV0())
    with connect(served, 2) as idle:
        served.call(served.cluster.stop_broker(2))
        with contextlib.suppress(ConnectionResetError):  # closed or reset, unasked
            assert read_frame(idle) is None
    with pytest.raises(ConnectionRefusedError):
        connect(served, 2)
    with connect(served, 1) as other:  # the others serve on
        other.sendall(request)
        assert read_frame(other) is not None
    served.call(served.cluster.start_broker(2))
    deadline = time.monotonic() + TIMEOUT_S
    while True:  # the listener reopens just after the broker starts
        try:
            with connect(served, 2) as again:
                again.sendall(request)
                assert read_frame(again) is not None
            break
        except ConnectionRefusedError:
            assert time.monotonic() < deadline, "broker 2 did not listen again"
            time.sleep(0.01)


def metadata(served: ServedCluster, topic: str, version: int = 12) -> object:
    request_cls = request_class(3, version)
    topic_cls = nested(request_cls, "MetadataRequestTopic")
    request = request_cls(
        topics=(topic_cls(name=topic, topic_id=uuid.UUID(int=0)),),
        allow_auto_topic_creation=False,
        include_topic_authorized_operations=False,
    )
    with connect(served) as sock:
        sock.sendall(request_frame(request))
        frame = read_frame(sock)
    assert frame is not None
    body, _ = entity_reader(response_class(3, version))(frame, 5)  # header v1
    return body


def test_metadata_names_the_cluster_and_replicas_on_an_offline_log_dir(served: ServedCluster) -> None:
    """The cluster id is the one in the metadata log (not a constant), and a replica whose
    broker is up but whose log dir failed is listed offline (KIP-112), as Kafka's
    `KRaftMetadataCache.getOfflineReplicas` does."""
    served.call(served.cluster.create_topic("dirs", 1, 3))
    before = metadata(served, "dirs")
    assert before.cluster_id == served.cluster.metadata.cluster_id and len(before.cluster_id) == 22
    assert before.topics[0].partitions[0].offline_replicas == ()

    async def fail_disk() -> None:
        served.cluster.brokers[2].storage.fail("disk I/O error (test)", damaged=False)
        for _ in range(200):  # the controller hears of it through the broker's callback
            if not served.cluster.metadata.brokers[2].dir_online:
                break
            await asyncio.sleep(0.01)

    served.call(fail_disk())
    partition = metadata(served, "dirs").topics[0].partitions[0]
    assert served.cluster.brokers[2].running
    assert partition.offline_replicas == (2,) and partition.leader_id in (1, 3)
