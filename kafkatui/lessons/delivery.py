"""The delivery lesson: at-most-once, at-least-once, exactly-once, counted.

The seed's "Tres formatos de entrega". A processor reads orders, writes one receipt per
order, and commits its consumer group's offsets. It crashes once, in the middle of a
batch — after the work that matters for the mode and before the rest — and a new
instance takes over from the committed offsets:

- **at-most-once** commits the batch's offsets *before* writing the receipts: the crash
  loses the receipts of that batch, and the new instance never reads those orders again.
- **at-least-once** writes the receipts (acks=all) *then* commits: the crash comes
  before the commit, so the new instance reads the batch again and writes its receipts
  twice.
- **exactly-once** writes the receipts and the offsets in one transaction
  (transactional.id, send_offsets_to_transaction with the consumer's group metadata,
  KIP-447) and reads receipts with read_committed: the crash leaves the transaction
  open, the new instance's init_transactions fences the old one and aborts it, and the
  batch is done again — once, as far as any read_committed reader can tell.

The processor is a member of its group (subscribe), a static one (group.instance.id,
KIP-345): the new instance takes the crashed one's place at once, and the crashed one's
member id is fenced, so its offsets would be refused too (KIP-447's zombie check).

Deterministic for a seed (ManualClock): the seed picks the batch that crashes.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from kafkatui.backends.base import Backend, ConsumerClient, ConsumerRecord, Feature, ProducerClient
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.lessons import Story, close_lesson

MODES = ("at-most-once", "at-least-once", "exactly-once")
INPUT, OUTPUT, GROUP = "orders", "receipts", "billing"
INSTANCE = "billing-processor-1"  # group.instance.id: the processor's place in its group
ORDERS = 20
BATCH = 5


@dataclass
class DeliveryReport:
    mode: str
    seed: int
    crashed_in_batch: int
    input: int
    output: int  # receipts a reader sees (read_committed for exactly-once)
    lost: int  # orders without a receipt
    duplicated: int  # receipts beyond the first for an order
    story: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("story")
        return data


def _processor(backend: Backend, mode: str) -> tuple[ConsumerClient, ProducerClient]:
    consumer = backend.consumer(
        ConsumerConfig(
            group_id=GROUP, auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=BATCH,
            isolation_level="read_committed", group_instance_id=INSTANCE,
        ),
    )  # fmt: skip
    consumer.subscribe([INPUT])
    transactional_id = "billing-processor" if mode == "exactly-once" else None
    producer = backend.producer(ProducerConfig(acks="all", linger_ms=0, transactional_id=transactional_id))
    return consumer, producer


async def _poll(backend: Backend, consumer: ConsumerClient) -> list[ConsumerRecord]:
    """One poll while the cluster's clock moves: a first poll joins the group, which
    waits group.initial.rebalance.delay.ms of cluster time."""
    polling = asyncio.ensure_future(consumer.poll(0))
    await backend.engine_controls(Feature.SCENARIO).advance_until(polling.done, limit_ms=60_000)
    return await polling


async def delivery_scenario(
    mode: str, seed: int = 1, *, narrate: Callable[[str], None] | None = None
) -> DeliveryReport:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    crash_batch = random.Random(seed).randrange(1, ORDERS // BATCH)
    clock = ManualClock()
    story = Story(narrate)
    say = story.say
    backend = await EmbeddedBackend.open(brokers=3, clock=clock, seed=seed)
    try:
        await backend.create_topic(INPUT, 1, 3)
        await backend.create_topic(OUTPUT, 1, 3)
        async with backend.producer(ProducerConfig(acks="all", linger_ms=0)) as source:
            for i in range(ORDERS):
                await source.send_and_wait(INPUT, f"order-{i}")
        say(f"{ORDERS} orders in {INPUT}; the processor reads {BATCH} at a time ({mode})")
        say(f"it will crash in batch {crash_batch}, after its first receipt")

        consumer, producer = _processor(backend, mode)
        transactional = mode == "exactly-once"
        if transactional:
            await producer.init_transactions()
        batch_no = 0
        crashed = False
        while True:
            records = await _poll(backend, consumer)
            if not records:
                break
            end = records[-1].offset + 1
            if transactional:
                producer.begin_transaction()
            if mode == "at-most-once":
                await consumer.commit({(INPUT, 0): end})  # first the offsets...
            for n, record in enumerate(records):
                if batch_no == crash_batch and n == 1 and not crashed:
                    crashed = True
                    say(f"batch {batch_no} (offsets {records[0].offset}..{end - 1}): crash!")
                    break
                await producer.send_and_wait(OUTPUT, f"receipt-{(record.value or b'').decode()}")
            if crashed:
                break
            if mode == "at-least-once":
                await consumer.commit({(INPUT, 0): end})  # ...or the offsets after the work
            elif transactional:
                await producer.send_offsets_to_transaction({(INPUT, 0): end}, consumer.group_metadata())
                await producer.commit_transaction()
            batch_no += 1
        producer.abort()  # the crashed instance's sender stops; no commit, no LeaveGroup
        crashed_member = consumer.group_metadata()
        await consumer.close()  # a static member sends no LeaveGroup (KIP-345): its heartbeats just stop

        group = await backend.describe_group(GROUP)  # -1: nothing committed
        committed = next((p.committed for p in group.partitions if (p.topic, p.partition) == (INPUT, 0)), -1)
        say(f"a new instance starts at the committed offset {max(committed, 0)}")
        consumer, producer = _processor(backend, mode)
        if transactional:
            await producer.init_transactions()  # fences the crashed one; its transaction is aborted
        records = await _poll(backend, consumer)
        taken = consumer.group_metadata()
        fenced = crashed_member.member_id != taken.member_id
        say(
            f"it takes {INSTANCE}'s place in {GROUP} (generation {taken.generation_id}, a new member id"
            + ("; the crashed member's is fenced)" if fenced else ")")
        )
        while records:
            end = records[-1].offset + 1
            if transactional:
                producer.begin_transaction()
            for record in records:
                await producer.send_and_wait(OUTPUT, f"receipt-{(record.value or b'').decode()}")
            if transactional:
                await producer.send_offsets_to_transaction({(INPUT, 0): end}, consumer.group_metadata())
                await producer.commit_transaction()
            else:
                await consumer.commit({(INPUT, 0): end})
            records = await _poll(backend, consumer)
        await producer.close()
        await consumer.close()

        reader = backend.consumer(
            ConsumerConfig(
                auto_offset_reset="earliest",
                isolation_level="read_committed" if transactional else "read_uncommitted",
            ),
        )
        reader.assign([(OUTPUT, 0)])
        receipts: Counter[str] = Counter()
        while batch := await reader.poll(0):
            receipts.update((r.value or b"").decode() for r in batch)
        lost = sum(1 for i in range(ORDERS) if receipts[f"receipt-order-{i}"] == 0)
        duplicated = sum(n - 1 for n in receipts.values() if n > 1)
        say(f"receipts a reader sees: {sum(receipts.values())}; lost {lost}, duplicated {duplicated}")
        return DeliveryReport(
            mode, seed, crash_batch, ORDERS, sum(receipts.values()), lost, duplicated, story.lines
        )
    finally:
        await close_lesson(backend)
