"""Connect's group protocol bytes, as Kafka's ConnectProtocol (v0, "default", eager) and
IncrementalCooperativeConnectProtocol (v1 "compatible", v2 "sessioned", KIP-415) write
them, so a Kafka worker could read what these workers put in their Connect group.

Member metadata: version int16, then (v0) url string, config offset int64, or (v1+) url,
config offset, and the member's current assignment as nullable bytes.
Assignment: version int16, error int16, leader string, leader url string, config offset
int64, assigned [connector string, tasks [int32]] (task -1 is the connector itself:
ConnectProtocol.CONNECTOR_TASK), then (v1+) revoked in the same shape and the scheduled
rebalance delay int32 (ms)."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

CONNECTOR_TASK = -1
# connect.protocol, highest first: what a worker offers in JoinGroup (Kafka's default
# since 2.4 is "sessioned"; it differs from "compatible" only in the version number).
PROTOCOLS = (("sessioned", 2), ("compatible", 1), ("default", 0))
CONNECT_PROTOCOL_TYPE = "connect"
NO_ERROR = 0
CONFIG_MISMATCH = 1  # ConnectProtocol.Assignment.CONFIG_MISMATCH: the leader's configs are newer

Work = tuple[str, int]  # (connector, task number), CONNECTOR_TASK for the connector


def _string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return int(value)

    def string(self) -> str:
        n = self.unpack(">h")
        value = self.data[self.pos : self.pos + n].decode()
        self.pos += n
        return value

    def done(self) -> bool:
        return self.pos >= len(self.data)


def _work_array(work: Iterable[Work]) -> bytes:
    by_connector: dict[str, list[int]] = {}
    for connector, task in sorted(work):
        by_connector.setdefault(connector, []).append(task)
    out = [struct.pack(">i", len(by_connector))]
    for connector, tasks in by_connector.items():
        out += [_string(connector), struct.pack(f">i{len(tasks)}i", len(tasks), *tasks)]
    return b"".join(out)


def _read_work(reader: _Reader) -> list[Work]:
    out = []
    for _ in range(reader.unpack(">i")):
        connector = reader.string()
        out += [(connector, reader.unpack(">i")) for _ in range(reader.unpack(">i"))]
    return out


@dataclass(frozen=True)
class Assignment:
    leader: str
    leader_url: str
    config_offset: int
    assigned: tuple[Work, ...] = ()
    revoked: tuple[Work, ...] = ()
    delay_ms: int = 0
    error: int = NO_ERROR
    version: int = 2

    def connectors(self) -> list[str]:
        return [c for c, t in self.assigned if t == CONNECTOR_TASK]

    def tasks(self) -> list[Work]:
        return [w for w in self.assigned if w[1] != CONNECTOR_TASK]


@dataclass(frozen=True)
class WorkerState:
    """A member's JoinGroup metadata (ExtendedWorkerState)."""

    url: str
    config_offset: int
    owned: tuple[Work, ...] = field(default_factory=tuple)
    version: int = 2


def encode_assignment(a: Assignment) -> bytes:
    body = struct.pack(">hh", a.version, a.error) + _string(a.leader) + _string(a.leader_url)
    body += struct.pack(">q", a.config_offset) + _work_array(a.assigned)
    if a.version >= 1:
        body += _work_array(a.revoked) + struct.pack(">i", a.delay_ms)
    return body


def decode_assignment(data: bytes) -> Assignment | None:
    """None for an empty answer (a member the leader left out)."""
    if not data:
        return None
    r = _Reader(data)
    version, error = r.unpack(">h"), r.unpack(">h")
    leader, leader_url, offset = r.string(), r.string(), r.unpack(">q")
    assigned = _read_work(r)
    revoked: list[Work] = []
    delay = 0
    if version >= 1 and not r.done():
        revoked = _read_work(r)
        delay = r.unpack(">i")
    return Assignment(leader, leader_url, offset, tuple(assigned), tuple(revoked), delay, error, version)


def encode_metadata(state: WorkerState) -> bytes:
    body = struct.pack(">h", state.version) + _string(state.url) + struct.pack(">q", state.config_offset)
    if state.version >= 1:
        owned = Assignment("", "", state.config_offset, state.owned, version=state.version)
        raw = encode_assignment(owned)
        body += struct.pack(">i", len(raw)) + raw
    return body


def decode_metadata(data: bytes) -> WorkerState:
    r = _Reader(data)
    version = r.unpack(">h")
    url, offset = r.string(), r.unpack(">q")
    owned: tuple[Work, ...] = ()
    if version >= 1 and not r.done():
        n = r.unpack(">i")
        if n >= 0:
            previous = decode_assignment(data[r.pos : r.pos + n])
            owned = previous.assigned if previous is not None else ()
    return WorkerState(url, offset, owned, version)


def protocols(state: WorkerState) -> list[tuple[str, bytes]]:
    """What a worker offers in JoinGroup: its metadata under every protocol it speaks."""
    return [(name, encode_metadata(replace(state, version=v))) for name, v in PROTOCOLS]
