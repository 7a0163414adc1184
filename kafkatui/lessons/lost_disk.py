"""The failover lesson's second scenario: a broker comes back with an empty database.

Issue 17's first row, told as a story. Three brokers, a topic with three partitions
replicated three times, min.insync.replicas=2; records produced with acks=all, so each
one is on every in-sync replica. One broker is killed, its database deleted (a replaced
disk, a container restarted with an empty volume), and it restarts at once, before the
controller has missed its heartbeats: to the controller it still leads a partition and
is in every ISR. An empty replica that led would make the others truncate their logs to
match it, and acknowledged records would be gone. kafkatui does what Kafka does (KIP-858
directory ids, KIP-966 eligible leader replicas): the database is not the one the
broker's replicas were in, so the broker is a new incarnation, out of every ISR and
every leadership at once, refused as preferred leader while it has nothing; it refetches
each partition from its leader and rejoins the ISR when caught up. Then every
acknowledged record is read back. Told in English or Brazilian Portuguese; deterministic
for a seed (ManualClock).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from kafkatui.backends.base import Backend, Feature
from kafkatui.common.admin import PartitionDescription
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.common.events import Event, IsrExpanded, IsrShrunk, LeaderElected, LogDirNewIncarnation
from kafkatui.lessons import close_lesson
from kafkatui.lessons.failover import TOPIC, Telling, open_orders

LATENCY_MS = 20  # per fetch between brokers once the damage is done: the refetch takes a moment

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "and": "and",
        "intro": "Topic {topic}: 3 partitions, each kept by 3 brokers (replication factor 3), "
        "min.insync.replicas=2.",
        "produced": "produced {count} records with acks=all: each one was acknowledged only once every "
        "in-sync replica had it ({acked} acknowledged)",
        "partition": "  {topic}-{partition}: leader broker {leader}, ISR {isr}: {copies}",
        "copy": "{count} records on broker {broker}",
        "copy_more": "{count} on broker {broker}",
        "latency": "from now on each fetch between brokers takes {ms} ms, so we can watch what happens",
        "kill": "broker {broker} is killed (kill -9); it leads {led} and keeps a copy of {followed}",
        "delete": "its database is deleted (in a data dir, the file broker-{broker}.db): a replaced disk, "
        "or a container restarted with an empty volume",
        "restart": "broker {broker} restarts at once, before the controller has missed its heartbeats "
        "(broker.session.timeout.ms={timeout}): to the controller it still leads {led} and is in every ISR",
        "incarnation": "  the controller sees that broker {broker}'s database is new (the file was missing "
        "or empty): this is a new incarnation of broker {broker} (KIP-858), and it holds no records",
        "isr": "  {topic}-{partition}: ISR is now {isr}",
        "leads": "  {topic}-{partition}: broker {leader} leads now (epoch {epoch}), not the empty broker "
        "{broker}",
        "why": "an empty replica must neither lead nor count as in sync: the other replicas would cut their "
        "logs to match it, and acknowledged records would be gone",
        "rebuilding": "  {topic}-{partition}: leader broker {leader}, ISR {isr}; broker {broker} is "
        "rebuilding: {has} of {hw} records",
        "preferred": "a preferred leader election would give {partitions} back to broker {broker}, its first "
        "replica:",
        "refused": "  refused, {error}: broker {broker} is not in the ISR",
        "elected": "  elected: broker {broker} leads {partitions}",
        "refetch": "broker {broker} refetches each partition from its leader:",
        "caught_up": "  {topic}-{partition}: broker {broker} caught up ({count} records): ISR is now {isr}",
        "rejoined": "{ms} ms after its restart broker {broker} holds all {count} records again and is in "
        "every ISR",
        "again": "the preferred leader election again, now that it is safe:",
        "leads_again": "  {topic}-{partition}: broker {leader} leads again (epoch {epoch}), with every "
        "record",
        "read": "read back: {read} of the {acked} acknowledged records; lost: {lost}",
    },
    "pt": {
        "and": "e",
        "intro": "Tópico {topic}: 3 partições, cada uma guardada por 3 brokers (fator de replicação 3), "
        "min.insync.replicas=2.",
        "produced": "produzidos {count} registros com acks=all: cada um só foi confirmado depois que todas "
        "as réplicas em sincronia (o ISR) o tinham ({acked} confirmados)",
        "partition": "  {topic}-{partition}: líder broker {leader}, ISR {isr}: {copies}",
        "copy": "{count} registros no broker {broker}",
        "copy_more": "{count} no broker {broker}",
        "latency": "daqui em diante cada fetch entre brokers leva {ms} ms, para dar para ver o que acontece",
        "kill": "o broker {broker} é morto (kill -9); ele lidera {led} e guarda uma cópia de {followed}",
        "delete": "o banco de dados dele é apagado (num data dir, o arquivo broker-{broker}.db): um disco "
        "trocado, ou um contêiner reiniciado com um volume vazio",
        "restart": "o broker {broker} volta na hora, antes de o controller sentir falta dos heartbeats "
        "(broker.session.timeout.ms={timeout}): para o controller ele ainda lidera {led} e está em todos "
        "os ISR",
        "incarnation": "  o controller vê que o banco do broker {broker} é novo (o arquivo sumiu ou está "
        "vazio): é uma nova encarnação do broker {broker} (KIP-858), sem nenhum registro",
        "isr": "  {topic}-{partition}: o ISR agora é {isr}",
        "leads": "  {topic}-{partition}: quem lidera agora é o broker {leader} (época {epoch}), não o broker "
        "{broker}, que está vazio",
        "why": "uma réplica vazia não pode liderar nem contar como sincronizada: as outras réplicas "
        "cortariam seus logs para ficar iguais a ela, e registros confirmados sumiriam",
        "rebuilding": "  {topic}-{partition}: líder broker {leader}, ISR {isr}; o broker {broker} está se "
        "reconstruindo: {has} de {hw} registros",
        "preferred": "uma eleição do líder preferido devolveria {partitions} ao broker {broker}, a primeira "
        "réplica:",
        "refused": "  recusada, {error}: o broker {broker} não está no ISR",
        "elected": "  eleito: o broker {broker} lidera {partitions}",
        "refetch": "o broker {broker} busca de novo cada partição no líder dela:",
        "caught_up": "  {topic}-{partition}: o broker {broker} alcançou o líder ({count} registros): o ISR "
        "agora é {isr}",
        "rejoined": "{ms} ms depois de voltar, o broker {broker} tem de novo todos os {count} registros e "
        "está em todos os ISR",
        "again": "de novo a eleição do líder preferido, agora que é seguro:",
        "leads_again": "  {topic}-{partition}: o broker {leader} volta a liderar (época {epoch}), com todos "
        "os registros",
        "read": "lidos de volta: {read} dos {acked} registros confirmados; perdidos: {lost}",
    },
}


@dataclass
class LostDiskReport:
    seed: int
    broker: int  # the broker whose database was lost
    led: list[int]  # the partitions it led when it was killed
    produced: int
    acknowledged: int
    records_before: int  # records its replicas held before the loss (all partitions)
    records_after_restart: int  # and right after the restart: 0, a new and empty database
    new_incarnation: str  # why the controller took it for one (LogDirNewIncarnation)
    led_while_rebuilding: bool
    in_isr_while_rebuilding: bool
    preferred_election: str  # what a preferred leader election answered meanwhile
    rejoined_isr_after_ms: int
    records_refetched: int  # its replicas once back in every ISR
    leads_again: list[int]  # after the preferred leader election that is safe
    read_back: int
    lost: int
    story: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("story")
        return data


async def lost_disk_scenario(
    seed: int = 1,
    *,
    records: int = 60,
    language: str = "en",
    narrate: Callable[[str], None] | None = None,
) -> LostDiskReport:
    telling = Telling.begin(language, TEXTS, narrate)
    texts, clock, story, say = telling.texts, telling.clock, telling.story, telling.say

    def names(partitions: Sequence[int]) -> str:
        shown = [f"{TOPIC}-{p}" for p in partitions]
        return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} {texts['and']} {shown[-1]}"

    backend = await open_orders(seed, clock)
    try:
        faults = backend.engine_controls(Feature.STOP_BROKER)
        scenario = backend.engine_controls(Feature.SCENARIO)
        say("intro")
        producer = backend.producer(ProducerConfig(acks="all", linger_ms=0))
        acked = []
        for i in range(records):
            await producer.send_and_wait(TOPIC, f"o{i}", key=f"customer-{i % 7}")  # raises unless acked
            acked.append(f"o{i}")
        await producer.close()
        say("produced", count=records, acked=len(acked))
        before = backend.describe_topic(TOPIC).partitions
        for p in before:
            say(
                "partition", partition=p.partition, leader=p.leader, isr=list(p.isr), copies=_copies(p, texts)
            )
        brokers = sorted(b.broker_id for b in backend.brokers())
        victim = random.Random(seed).choice(brokers)
        led = [p.partition for p in before if p.leader == victim]
        followed = [p.partition for p in before if p.leader != victim]
        network = backend.engine_controls(Feature.NETWORK)
        for a, b in itertools.combinations(brokers, 2):
            await network.set_latency(a, b, LATENCY_MS)
        say("latency", ms=LATENCY_MS)

        say("kill", broker=victim, led=names(led), followed=names(followed))
        await faults.stop_broker(victim, crash=True)
        await backend.engine_controls(Feature.LOSE_DATABASE).lose_database(victim)
        say("delete", broker=victim)
        say("restart", broker=victim, timeout=backend.broker_session_timeout_ms, led=names(led))
        heard: list[Event] = []
        stop_listening = backend.bus.listen(heard.append)
        await faults.start_broker(victim)
        restarted_at = clock.now_ms()
        await scenario.settle()
        stop_listening()
        # The reason first: the controller acts on it, all at the same instant.
        incarnation = [e for e in heard if isinstance(e, LogDirNewIncarnation) and e.broker_id == victim]
        if incarnation:
            say("incarnation", broker=victim)
        for event in heard:
            if isinstance(event, IsrShrunk):
                say("isr", partition=event.partition, isr=list(event.isr))
            elif isinstance(event, LeaderElected):
                say("leads", partition=event.partition, leader=event.leader, epoch=event.leader_epoch,
                    broker=victim)  # fmt: skip
        say("why")
        rebuilding = backend.describe_topic(TOPIC).partitions
        for p in rebuilding:
            say(
                "rebuilding", partition=p.partition, leader=p.leader, isr=list(p.isr), broker=victim,
                has=_records_on(p, victim), hw=p.high_watermark,
            )  # fmt: skip
        preferred = [p.partition for p in rebuilding if p.replicas[0] == victim]
        say("preferred", partitions=names(preferred), broker=victim)
        answered = await backend.elect_leaders("preferred", [(TOPIC, p) for p in preferred])
        refusals = sorted({error.name for error in answered.values() if error is not None})
        if refusals:
            say("refused", error=", ".join(refusals), broker=victim)
        else:
            say("elected", broker=victim, partitions=names(preferred))

        say("refetch", broker=victim)

        caught_up: list[tuple[int, int, int, list[int]]] = []  # (time, partition, records, ISR)

        def on_caught_up(event: Event) -> None:
            if isinstance(event, IsrExpanded) and event.added == victim:
                has = _records_on(backend.describe_topic(TOPIC).partitions[event.partition], victim)
                caught_up.append((event.timestamp_ms, event.partition, has, list(event.isr)))

        stop_listening = backend.bus.listen(on_caught_up)
        await scenario.advance_until(
            lambda: all(victim in p.isr for p in backend.describe_topic(TOPIC).partitions), step_ms=1
        )
        stop_listening()
        # Fetchers that wake in the same millisecond finish in the order SQLite answers:
        # told by time, then partition.
        for _, partition, has, isr in sorted(caught_up):
            say("caught_up", partition=partition, broker=victim, count=has, isr=isr)
        rejoined_after = (max(caught_up)[0] if caught_up else clock.now_ms()) - restarted_at
        healed = backend.describe_topic(TOPIC).partitions
        refetched = sum(_records_on(p, victim) for p in healed)
        say("rejoined", ms=rejoined_after, broker=victim, count=refetched)

        say("again")

        def on_elected(event: Event) -> None:
            if isinstance(event, LeaderElected):
                say("leads_again", partition=event.partition, leader=event.leader, epoch=event.leader_epoch)

        stop_listening = backend.bus.listen(on_elected)
        await backend.elect_leaders("preferred", [(TOPIC, p) for p in preferred])
        await scenario.settle()
        stop_listening()
        leads_again = [p.partition for p in backend.describe_topic(TOPIC).partitions if p.leader == victim]

        read = await _read_back(backend)
        lost = [v for v in acked if v not in read]
        say("read", read=len(set(acked) & read), acked=len(acked), lost=len(lost))
        return LostDiskReport(
            seed, victim, led, records, len(acked), sum(_records_on(p, victim) for p in before),
            sum(_records_on(p, victim) for p in rebuilding),
            incarnation[0].reason if incarnation else "",
            any(p.leader == victim for p in rebuilding), any(victim in p.isr for p in rebuilding),
            ", ".join(refusals) or "elected", rejoined_after, refetched, leads_again,
            len(set(acked) & read), len(lost), story.lines,
        )  # fmt: skip
    finally:
        await close_lesson(backend)


def _records_on(partition: PartitionDescription, broker_id: int) -> int:
    """How many records the broker's replica of the partition holds (its log end)."""
    return next(r.log_end_offset for r in partition.replica_states if r.broker_id == broker_id)


def _copies(partition: PartitionDescription, texts: dict[str, str]) -> str:
    first, *more = partition.replica_states
    return ", ".join(
        [
            texts["copy"].format(count=first.log_end_offset, broker=first.broker_id),
            *(texts["copy_more"].format(count=r.log_end_offset, broker=r.broker_id) for r in more),
        ]
    )


async def _read_back(backend: Backend) -> set[str]:
    """Every record of the topic, as a consumer reading from the beginning sees it."""
    consumer = backend.consumer(ConsumerConfig(auto_offset_reset="earliest", max_poll_records=10_000))
    consumer.assign_topic(TOPIC)
    read: set[str] = set()
    while batch := await consumer.poll(0):
        read.update((r.value or b"").decode() for r in batch)
    await consumer.close()
    return read
