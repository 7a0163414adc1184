"""Workbench consumers over the wire: real confluent-kafka consumers in a group, each
polled by its own thread, as the Groups panel starts, pauses and stops them.

librdkafka heartbeats from its own background thread, so pausing (no more polls) is
Kafka's real failure mode: the member stays while its lag grows, until
max.poll.interval.ms passes and it leaves. A crash (gone without LeaveGroup) has no
equivalent: librdkafka's close always leaves, so `RemoteBackend` refuses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from confluent_kafka import Consumer, KafkaException

from kafkatui.backends.base import ConsumerStatus, ConsumerView
from kafkatui.backends.confluent import client_conf, kafka_error
from kafkatui.common.errors import ErrorCode, KafkaError

# As the embedded backend's, so a pause shows within a lesson's attention span.
SESSION_TIMEOUT_MS = 10_000
MAX_POLL_INTERVAL_MS = 30_000
POLL_TIMEOUT_S = 0.5
# librdkafka's assignors (it has no eager "sticky").
ASSIGNORS = ("range", "roundrobin", "cooperative-sticky")


class WorkbenchConsumer:
    """One workbench consumer: subscribe() and a poll loop on a thread; what the UI shows
    of it is copied out after every poll, so the UI never calls into librdkafka."""

    def __init__(self, consumer_id: int, bootstrap: str, group_id: str, topic: str, assignor: str) -> None:
        if assignor not in ASSIGNORS:
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"Invalid value {assignor} for configuration partition.assignment.strategy: "
                f"librdkafka offers {', '.join(ASSIGNORS)}",
            )
        if not group_id.strip():
            raise KafkaError(ErrorCode.INVALID_GROUP_ID, "a consumer group needs a non-empty group.id")
        self.consumer_id = consumer_id
        self.client_id = f"consumer-{consumer_id}"
        self.group_id = group_id
        self.topic = topic
        self.assignor = assignor
        self.status = ConsumerStatus.POLLING
        self.error = ""
        self.member_id = ""
        self.partitions: tuple[tuple[str, int], ...] = ()
        self.positions: tuple[tuple[str, int, int], ...] = ()
        self._committed: dict[tuple[str, int], int] = {}
        conf = client_conf(
            bootstrap,
            **{
                "group.id": group_id,
                "client.id": self.client_id,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": SESSION_TIMEOUT_MS,
                "max.poll.interval.ms": MAX_POLL_INTERVAL_MS,
                "partition.assignment.strategy": assignor,
            },
        )
        self._consumer = Consumer(conf)
        self._consumer.subscribe([topic])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"kafkatui-{self.client_id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self.status is ConsumerStatus.PAUSED:
                    self._stop.wait(POLL_TIMEOUT_S)
                    continue
                try:
                    message = self._consumer.poll(POLL_TIMEOUT_S)
                    error = message.error() if message is not None else None
                    self.error = "" if error is None else f"{error.name()}: {error.str()}"
                    self._observe()
                except KafkaException as failure:
                    found = kafka_error(failure)
                    self.error = f"{getattr(found, 'name', '')}: {getattr(found, 'message', found)}"
        finally:
            with contextlib.suppress(KafkaException):
                self._consumer.commit(asynchronous=False)  # nothing consumed yet: "no offset"
            with contextlib.suppress(KafkaException, RuntimeError):
                self._consumer.close()  # LeaveGroup

    def _observe(self) -> None:
        self.member_id = self._consumer.memberid() or ""
        assigned = self._consumer.assignment()
        partitions = tuple(sorted((tp.topic, tp.partition) for tp in assigned))
        if partitions != self.partitions:
            # A partition it has read nothing from yet starts at the group's committed
            # offset: asked once per new assignment (OffsetFetch), not at every poll.
            self._committed = {
                (tp.topic, tp.partition): tp.offset
                for tp in (self._consumer.committed(assigned, timeout=5) if assigned else [])
                if tp.offset >= 0
            }
            self.partitions = partitions
        at = {
            (tp.topic, tp.partition): tp.offset for tp in self._consumer.position(assigned) if tp.offset >= 0
        }
        known = {**self._committed, **at}
        self.positions = tuple(sorted((t, p, o) for (t, p), o in known.items() if (t, p) in partitions))

    def view(self) -> ConsumerView:
        joined = bool(self.member_id) and self.status is not ConsumerStatus.CRASHED
        phase = "stable" if self.partitions else ("syncing" if self.member_id else "joining")
        return ConsumerView(
            self.consumer_id, self.client_id, self.group_id, self.topic, self.assignor, self.status,
            self.member_id, -1, joined, self.partitions, self.error, phase, self.positions,
        )  # fmt: skip

    def pause(self) -> bool:
        """Stop polling (heartbeats go on in librdkafka), or poll again; True if paused."""
        paused = self.status is ConsumerStatus.POLLING
        self.status = ConsumerStatus.PAUSED if paused else ConsumerStatus.POLLING
        return paused

    async def stop(self) -> None:
        """Commit what it read, LeaveGroup, and wait for its thread."""
        self._stop.set()
        await asyncio.to_thread(self._thread.join, 30)


def as_view(consumers: dict[int, WorkbenchConsumer], group_id: str | None) -> list[ConsumerView]:
    return [c.view() for c in consumers.values() if group_id is None or c.group_id == group_id]


def member_consumer(consumers: dict[int, WorkbenchConsumer], member_id: str) -> WorkbenchConsumer | None:
    return next((c for c in consumers.values() if c.member_id and c.member_id == member_id), None)
