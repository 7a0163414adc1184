"""The idempotence lesson: lose acknowledgements, let the producer retry, count copies.

The seed's "exactly once per partition" made measurable. Three brokers, one partition
replicated three times, acks=all. A producer sends one record at a time; for a few of
them (chosen by the seed) the leader appends the batch and replicates it, but the
response never reaches the producer (`EngineControls.drop_next_ack`), so it sends the
batch again after retry.backoff.ms.

The same schedule runs twice. With `enable.idempotence=false` each retry is a new batch
to the broker and the log holds the record twice. With `enable.idempotence=true`
(KIP-98) the batch carries the producer id, epoch and sequence numbers it had the first
time; the leader finds that sequence range among the producer's last five batches,
answers with the first offsets and appends nothing. Deterministic for a seed: the
cluster runs on a ManualClock.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from kafkatui.backends.base import Feature
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.common.events import AckLost, DuplicateBatchDropped, Event, ProducerIdsAllocated
from kafkatui.lessons import Story, close_lesson

TOPIC = "payments"


@dataclass
class IdempotenceRun:
    """One pass of the schedule, with idempotence off or on."""

    idempotence: bool
    sent: int
    acked: int
    acks_lost: int
    records_in_log: int
    duplicates_in_log: int
    duplicates_dropped: int  # retried batches the leader recognised and did not append
    producer_id: int
    story: list[str] = field(default_factory=list)


@dataclass
class IdempotenceReport:
    seed: int
    records: int
    lost_ack_records: list[str]
    off: IdempotenceRun
    on: IdempotenceRun

    def to_json(self, *, story: bool = False) -> dict[str, object]:
        data = asdict(self)
        if not story:
            for run in ("off", "on"):
                data[run].pop("story")
        return data


def lost_ack_schedule(seed: int, records: int) -> list[int]:
    """Which sends lose their acknowledgement (about one in five, at least one)."""
    rng = random.Random(seed)
    return sorted(rng.sample(range(records), max(1, records // 5)))


async def idempotence_run(
    idempotent: bool,
    seed: int,
    records: int,
    lost: list[int],
    narrate: Callable[[str], None] | None = None,
) -> IdempotenceRun:
    clock = ManualClock()
    story = Story(narrate, clock, lambda ms: f"t={ms:>5} ms")
    say = story.say

    backend = await EmbeddedBackend.open(brokers=3, clock=clock, seed=seed)
    try:
        await backend.create_topic(TOPIC, 1, 3, configs={"min.insync.replicas": "2"})
        lose_acks = backend.engine_controls(Feature.LOST_ACKS)
        scenario = backend.engine_controls(Feature.SCENARIO)
        config = ProducerConfig(acks="all", linger_ms=0, enable_idempotence=idempotent)
        flag = str(idempotent).lower()
        say(f"enable.idempotence={flag}, acks=all, retry.backoff.ms={config.retry_backoff_ms}")

        def on_event(event: Event) -> None:
            if isinstance(event, AckLost):
                say(
                    f"the ack for offset {event.base_offset} is lost on its way back: the producer will retry"
                )
            elif isinstance(event, DuplicateBatchDropped):
                say(
                    f"leader {event.broker_id} already has producer {event.producer_id}'s sequence "
                    f"{event.base_sequence} (offset {event.base_offset}): duplicate dropped, answered with "
                    "the first offset"
                )
            elif isinstance(event, ProducerIdsAllocated):
                say(f"InitProducerId: broker {event.broker_id} got producer ids from the controller")

        stop_listening = backend.bus.listen(on_event)
        producer = backend.producer(config)
        futures = []
        acks_lost = 0
        for i in range(records):
            if i in lost:
                lose_acks.drop_next_ack(TOPIC)
                acks_lost += 1
            future = await producer.send(TOPIC, f"r{i}")
            futures.append(future)
            while not future.done():  # 10 ms at a time, settled, so the story repeats exactly
                await scenario.settle()
                if not future.done():
                    await clock.advance(10)
            if future.exception() is None:
                where = future.result().offset
                say(f"r{i} acknowledged at offset {where}" + (" (after a retry)" if i in lost else ""))
        await producer.close()
        consumer = backend.consumer(ConsumerConfig(auto_offset_reset="earliest", max_poll_records=10_000))
        consumer.assign([(TOPIC, 0)])
        stored = Counter(r.value for r in await consumer.poll(0))
        # The producer id as the brokers know it: in every batch it wrote (-1 without idempotence).
        producer_id = (await backend.read_log(TOPIC, 0, 0, 1))[0].batch.producer_id
        run = IdempotenceRun(
            idempotent, records, sum(f.exception() is None for f in futures), acks_lost,
            sum(stored.values()), sum(n - 1 for n in stored.values()),
            backend.idempotence(TOPIC).duplicates_dropped, producer_id, story.lines,
        )  # fmt: skip
        say(
            f"sent {run.sent}, acked {run.acked}, records in the log {run.records_in_log}, "
            f"duplicates in the log {run.duplicates_in_log}, duplicates dropped by the broker "
            f"{run.duplicates_dropped}"
        )
        stop_listening()
        return run
    finally:
        await close_lesson(backend)


async def idempotence_scenario(
    seed: int = 1, *, records: int = 20, narrate: Callable[[str], None] | None = None
) -> IdempotenceReport:
    """The same lost-ack schedule without and with idempotence."""
    lost = lost_ack_schedule(seed, records)
    if narrate is not None:
        narrate(f"{records} records; the acks of {', '.join(f'r{i}' for i in lost)} will be lost")
    runs = []
    for idempotent in (False, True):
        if narrate is not None:
            narrate(f"--- enable.idempotence={str(idempotent).lower()} ---")
        runs.append(await idempotence_run(idempotent, seed, records, lost, narrate))
    return IdempotenceReport(seed, records, [f"r{i}" for i in lost], runs[0], runs[1])
