"""The failover lesson: a partition leader dies; a consumer keeps reading from the new one.

Three brokers, a topic with three partitions replicated three times. Records are
produced with acks=all; a consumer reads half of them; the broker leading partition 0
crashes; the controller elects in-sync followers; the consumer goes on from the new
leaders, and more records arrive. Nothing below the high watermark before the crash is
lost, because every in-sync replica had it. Told in English or Brazilian Portuguese;
deterministic for a seed (ManualClock). Its second scenario, a broker that comes back
with an empty database, is `lessons/lost_disk.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from kafkatui.backends.base import Backend, BrokerState, Feature
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.common.events import ControllerElected, Event, IsrShrunk, LeaderElected
from kafkatui.lessons import Story, close_lesson

TOPIC = "orders"
LANGUAGES = ("en", "pt")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "produced": "produced {count} records with acks=all; the consumer has read {read}",
        "partition": "  {topic}-{partition}: leader broker {leader}, ISR {isr}, HW {hw}",
        "crash": "broker {broker} crashes",
        "leads": "  {topic}-{partition}: broker {leader} leads (epoch {epoch})",
        "controller": "  broker {broker} is the controller now (epoch {epoch})",
        "isr": "  {topic}-{partition}: ISR is now {isr}",
        "fenced": "the controller fenced broker {broker} after {waited} ms without its heartbeats "
        "(broker.session.timeout.ms={timeout})",
        "more": "produced {count} more; the consumer read {read} in all, from the new leaders",
        "lost": "records below the pre-crash high watermark that were lost: {lost}",
    },
    "pt": {
        "produced": "produzidos {count} registros com acks=all; o consumidor já leu {read}",
        "partition": "  {topic}-{partition}: líder broker {leader}, ISR {isr}, HW {hw}",
        "crash": "o broker {broker} cai",
        "leads": "  {topic}-{partition}: o broker {leader} passa a liderar (época {epoch})",
        "controller": "  o broker {broker} agora é o controller (época {epoch})",
        "isr": "  {topic}-{partition}: o ISR agora é {isr}",
        "fenced": "o controller isolou (fenced) o broker {broker} depois de {waited} ms sem seus heartbeats "
        "(broker.session.timeout.ms={timeout})",
        "more": "produzidos mais {count}; o consumidor leu {read} no total, dos novos líderes",
        "lost": "registros abaixo do high watermark de antes da queda que se perderam: {lost}",
    },
}


@dataclass
class Telling:
    """How a failover lesson tells its story (this one and `lost_disk.py`): in one of
    `LANGUAGES`, on a manual clock, every line kept in `story`."""

    texts: dict[str, str]
    clock: ManualClock
    story: Story

    @classmethod
    def begin(
        cls, language: str, texts: dict[str, dict[str, str]], narrate: Callable[[str], None] | None
    ) -> Telling:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        return cls(texts[language], ManualClock(), Story(narrate))

    def say(self, key: str, **values: object) -> None:
        self.story.say(self.texts[key].format(topic=TOPIC, **values))


async def open_orders(seed: int, clock: ManualClock) -> EmbeddedBackend:
    """Where both failover lessons start: three brokers, and TOPIC with three partitions
    replicated three times, min.insync.replicas=2 (so acks=all means two copies at least)."""
    backend = await EmbeddedBackend.open(brokers=3, clock=clock, seed=seed)
    try:
        await backend.create_topic(TOPIC, 3, 3, configs={"min.insync.replicas": "2"})
    except BaseException:
        await close_lesson(backend)
        raise
    return backend


@dataclass
class PartitionFailover:
    partition: int
    leader_before: int
    leader_after: int
    high_watermark_before_crash: int


@dataclass
class FailoverReport:
    seed: int
    crashed_broker: int
    produced: int
    read: int
    lost_below_high_watermark: int
    partitions: list[PartitionFailover]
    story: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("story")
        return data


async def failover_scenario(
    seed: int = 1,
    *,
    records: int = 60,
    language: str = "en",
    narrate: Callable[[str], None] | None = None,
) -> FailoverReport:
    telling = Telling.begin(language, TEXTS, narrate)
    clock, story, say = telling.clock, telling.story, telling.say
    backend = await open_orders(seed, clock)
    try:

        def on_event(event: Event) -> None:
            if isinstance(event, LeaderElected):
                say("leads", partition=event.partition, leader=event.leader, epoch=event.leader_epoch)
            elif isinstance(event, ControllerElected) and event.controller_id != -1:
                say("controller", broker=event.controller_id, epoch=event.epoch)
            elif isinstance(event, IsrShrunk):
                say("isr", partition=event.partition, isr=list(event.isr))

        producer = backend.producer(ProducerConfig(acks="all", linger_ms=0))
        consumer = backend.consumer(
            ConsumerConfig(auto_offset_reset="earliest", max_poll_records=records // 2)
        )
        consumer.assign_topic(TOPIC)
        half = records // 2
        for i in range(half):
            await producer.send_and_wait(TOPIC, f"o{i}", key=f"customer-{i % 7}")
        seen: list[bytes | None] = []
        while len(seen) < half // 2 and (batch := await consumer.poll(0)):
            seen.extend(r.value for r in batch)
        before = backend.describe_topic(TOPIC).partitions
        say("produced", count=half, read=len(seen))
        for p in before:
            say("partition", partition=p.partition, leader=p.leader, isr=list(p.isr), hw=p.high_watermark)
        victim = before[0].leader
        say("crash", broker=victim)
        stop_listening = backend.bus.listen(on_event)
        await backend.engine_controls(Feature.STOP_BROKER).stop_broker(victim, crash=True)
        waited = await backend.engine_controls(Feature.SCENARIO).advance_until(
            lambda: _state(backend, victim) is BrokerState.STOPPED
        )
        stop_listening()
        say("fenced", broker=victim, waited=waited, timeout=backend.broker_session_timeout_ms)
        for i in range(half, records):
            await producer.send_and_wait(TOPIC, f"o{i}", key=f"customer-{i % 7}")
        while batch := await consumer.poll(0):
            seen.extend(r.value for r in batch)
        after = backend.describe_topic(TOPIC).partitions
        below_hw = []
        for p in before:
            consumer_check = backend.consumer(ConsumerConfig(auto_offset_reset="earliest"))
            consumer_check.assign([(TOPIC, p.partition)])
            kept = []
            while batch := await consumer_check.poll(0):
                kept.extend(r.offset for r in batch)
            below_hw.append(p.high_watermark - len([o for o in kept if o < p.high_watermark]))
        say("more", count=records - half, read=len(seen))
        report = FailoverReport(
            seed,
            victim,
            records,
            len(seen),
            sum(below_hw),
            [
                PartitionFailover(b.partition, b.leader, a.leader, b.high_watermark)
                for b, a in zip(before, after, strict=True)
            ],
            story.lines,
        )
        say("lost", lost=report.lost_below_high_watermark)
        await producer.close()
        return report
    finally:
        await close_lesson(backend)


def _state(backend: Backend, broker_id: int) -> BrokerState:
    return next(b.state for b in backend.brokers() if b.broker_id == broker_id)
