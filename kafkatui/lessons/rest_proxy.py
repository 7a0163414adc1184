"""The REST Proxy lesson: Kafka for a program that speaks only HTTP.

The seed's "REST Proxy" section (a program that cannot speak Kafka's protocol produces
and consumes over HTTP instead) made visible. A REST Proxy runs on an in-memory cluster,
and the lesson is its HTTP client (httpx, as any program or curl would be: each request
is shown as the curl line that does the same): produce two orders with one POST, see
them as records in the partition's log, create a consumer instance and subscribe it,
read the records back over HTTP, see the instance as a real member of its consumer
group, commit, and delete the instance, which leaves the group. Each request is also a
`RestRequestServed` event, as the workbench's Events panel and REST view show them.

Told in English or Brazilian Portuguese. The same for a seed, but for the port the REST
Proxy found free; the cluster runs on a real clock, as the consumer waits for records.
"""

from __future__ import annotations

import json
import random
import shlex
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from kafkatui.backends.base import Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.events import Event, RestRequestServed
from kafkatui.ecosystem.rest.service import RestService
from kafkatui.lessons import Story

TOPIC = "orders"
GROUP = "shipping"
INSTANCE = "reader-1"
LANGUAGES = ("en", "pt")
V2 = "application/vnd.kafka.v2+json"
JSON_RECORDS = "application/vnd.kafka.json.v2+json"
PRODUCTS = ("keyboard", "mouse", "monitor", "cable", "headset", "desk")
ORDERS = 2
READ_ATTEMPTS = 20  # reads of up to 1 s each while the instance joins its group

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "intro": "A program that cannot speak Kafka's protocol (a shell script, a browser, a small "
        "service) can still produce and consume: the REST Proxy turns HTTP requests into Kafka "
        "requests, and Kafka's answers into JSON.",
        "setup": "Topic {topic} (1 partition). The REST Proxy listens on {url}; each request below is "
        "also the curl command that sends it, with REST={url}.",
        "produce": "1. Produce {count} orders with one HTTP request (embedded format json):",
        "produced": "   → {status}: partition {partition}, offset {offset}",
        "log": "2. The records in the log of {topic}-0, as the Log panel (3) shows them: the REST "
        "Proxy's producer wrote them as any Kafka client does.",
        "record": "   offset {offset}: key {key} value {value}",
        "create": "3. Create a consumer instance {instance} in group {group} (it reads json, from the "
        "earliest offset):",
        "created": "   → {status}: instance {instance}, base URI {base_uri}",
        "subscribe": "4. Subscribe it to {topic}:",
        "subscribed": "   → {status} (no content)",
        "consume": "5. Read records over HTTP (the first reads may be empty while the instance joins "
        "its group):",
        "consumed": "   offset {offset}: key {key} value {value}",
        "reads": "   ({records} records in {reads} read request(s))",
        "member": "6. The instance is a real member of group {group} ({state}): client id {client_id}, "
        "reading {partitions}. The Groups panel (7) lists it beside wire consumers.",
        "commit": "7. Commit what it read:",
        "committed": "   → {status}; the group's committed offset on {topic}-0 is now {offset} (the next "
        "to read)",
        "delete": "8. Delete the instance: it leaves the group.",
        "deleted": "   → {status}; group {group} is {state} with {members} member(s)",
        "events": "Each of the {count} requests was an event (RestRequestServed), as the Events panel (5; "
        "r for the REST view) shows them: {requests}",
        "end": "HTTP in, Kafka records out: {produced} records produced and {consumed} consumed over "
        "HTTP, through the same log and the same consumer group as any Kafka client.",
    },
    "pt": {
        "intro": "Um programa que não fala o protocolo do Kafka (um script de shell, um navegador, um "
        "serviço pequeno) ainda pode produzir e consumir: o REST Proxy transforma pedidos HTTP em "
        "pedidos Kafka, e as respostas do Kafka em JSON.",
        "setup": "Tópico {topic} (1 partição). O REST Proxy escuta em {url}; cada requisição abaixo "
        "vem também como o comando curl que a envia, com REST={url}.",
        "produce": "1. Produzir {count} pedidos com uma requisição HTTP (formato embutido json):",
        "produced": "   → {status}: partição {partition}, offset {offset}",
        "log": "2. Os registros no log de {topic}-0, como o painel Log (3) os mostra: o producer do REST "
        "Proxy os gravou como qualquer cliente Kafka.",
        "record": "   offset {offset}: chave {key} valor {value}",
        "create": "3. Criar uma instância de consumer {instance} no grupo {group} (lê json, a partir do "
        "offset mais antigo):",
        "created": "   → {status}: instância {instance}, URI base {base_uri}",
        "subscribe": "4. Inscrevê-la em {topic}:",
        "subscribed": "   → {status} (sem conteúdo)",
        "consume": "5. Ler registros por HTTP (as primeiras leituras podem vir vazias enquanto a "
        "instância entra no grupo):",
        "consumed": "   offset {offset}: chave {key} valor {value}",
        "reads": "   ({records} registros em {reads} leitura(s))",
        "member": "6. A instância é um membro de verdade do grupo {group} ({state}): client id "
        "{client_id}, lendo {partitions}. O painel Grupos (7) a lista ao lado dos consumers do "
        "protocolo.",
        "commit": "7. Confirmar (commit) o que ela leu:",
        "committed": "   → {status}; o offset confirmado do grupo em {topic}-0 agora é {offset} (o próximo a "
        "ler)",
        "delete": "8. Apagar a instância: ela sai do grupo.",
        "deleted": "   → {status}; o grupo {group} está {state} com {members} membro(s)",
        "events": "Cada uma das {count} requisições virou um evento (RestRequestServed), como o painel "
        "Eventos (5; r para a visão REST) os mostra: {requests}",
        "end": "HTTP entra, registros Kafka saem: {produced} registros produzidos e {consumed} consumidos "
        "por HTTP, pelo mesmo log e o mesmo grupo de consumers que qualquer cliente Kafka.",
    },
}


@dataclass
class RestProxyReport:
    seed: int
    language: str
    rest_url: str  # where it listened (a free port)
    topic: str
    group: str
    instance: str
    produced: list[dict[str, Any]]  # {partition, offset} per record, as the proxy answered
    log: list[dict[str, Any]]  # the records in the partition's log: offset, key, value
    consumed: list[dict[str, Any]]  # as the instance read them over HTTP
    member_client_ids: list[str]  # the group's members while the instance was subscribed
    committed_offset: int
    members_after_delete: int
    requests: list[dict[str, Any]]  # method, path, status of each RestRequestServed event
    story: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("story")
        return data


def curl(method: str, path: str, *, content_type: str | None = None, accept: str | None = None,
         body: Any = None) -> str:  # fmt: skip
    """The curl command that sends the same request (against $REST)."""
    parts = ["curl", "-s"] if method == "GET" else ["curl", "-s", "-X", method]
    if content_type:
        parts += ["-H", shlex.quote(f"Content-Type: {content_type}")]
    if accept:
        parts += ["-H", shlex.quote(f"Accept: {accept}")]
    if body is not None:
        parts += ["--data", shlex.quote(json.dumps(body, ensure_ascii=False, separators=(",", ":")))]
    parts.append(f'"$REST{path}"')  # double quotes: the shell expands $REST
    return "   $ " + " ".join(parts)


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _orders(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {"key": f"order-{n}", "value": {"product": rng.choice(PRODUCTS), "quantity": rng.randint(1, 5)}}
        for n in range(1, ORDERS + 1)
    ]


def _bytes_text(data: bytes | None) -> str:
    return "null" if data is None else data.decode("utf-8", "replace")


async def rest_proxy_scenario(
    seed: int = 1, language: str = "en", *, narrate: Callable[[str], None] | None = None
) -> RestProxyReport:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    texts = TEXTS[language]
    story = Story(narrate)

    def say(key: str, /, **values: Any) -> None:
        story.say(texts[key].format(**values))

    rng = random.Random(seed)
    # No initial rebalance delay (group.initial.rebalance.delay.ms=0, as in development):
    # the one instance joins its group at once.
    backend = await EmbeddedBackend.open(
        brokers=1, seed=seed, broker_configs={"group.initial.rebalance.delay.ms": 0}
    )
    seen: list[Event] = []
    stop_listening = backend.bus.listen(seen.append)
    service = RestService(backend)
    try:
        await backend.create_topic(TOPIC, 1, 1)
        url = await service.start(0)
        async with httpx.AsyncClient(
            base_url=url, timeout=30, headers={"User-Agent": "kafkatui-lesson"}
        ) as http:
            report = await _lesson(backend, http, url, rng, say, story.say)
        report.requests = [
            {"method": e.method, "path": e.path, "status": e.status}
            for e in seen
            if isinstance(e, RestRequestServed)
        ]
        shown = ", ".join(
            f"{r['method']} {r['path'].split('?')[0]} → {r['status']}" for r in report.requests[:3]
        )
        say("events", requests=f"{shown}, …", count=len(report.requests))
        say("end", produced=len(report.produced), consumed=len(report.consumed))
        report.seed, report.language, report.story = seed, language, story.lines
        return report
    finally:
        stop_listening()
        await service.close()
        await backend.close()


async def _lesson(
    backend: Backend,
    http: httpx.AsyncClient,
    url: str,
    rng: random.Random,
    say: Callable[..., None],
    tell: Callable[[str], None],
) -> RestProxyReport:
    say("intro")
    say("setup", topic=TOPIC, url=url)

    # 1. Produce: one POST, two records, per-record offsets in the answer.
    body = {"records": _orders(rng)}
    say("produce", count=ORDERS)
    tell(curl("POST", f"/topics/{TOPIC}", content_type=JSON_RECORDS, body=body))
    answer = await http.post(f"/topics/{TOPIC}", json=body, headers={"Content-Type": JSON_RECORDS})
    _expect(answer, 200)
    produced = [{"partition": o["partition"], "offset": o["offset"]} for o in answer.json()["offsets"]]
    for o in produced:
        say("produced", status=answer.status_code, **o)

    # 2. The log: what the proxy's producer appended, as bytes in the partition.
    say("log", topic=TOPIC)
    log = []
    for record in await backend.read_log(TOPIC, 0, 0, 100):
        entry = {"offset": record.offset, "key": _bytes_text(record.key), "value": _bytes_text(record.value)}
        log.append(entry)
        say("record", **entry)

    # 3-4. A consumer instance, subscribed.
    instance = f"/consumers/{GROUP}/instances/{INSTANCE}"
    config = {"name": INSTANCE, "format": "json", "auto.offset.reset": "earliest"}
    say("create", instance=INSTANCE, group=GROUP)
    tell(curl("POST", f"/consumers/{GROUP}", content_type=V2, body=config))
    answer = await http.post(f"/consumers/{GROUP}", json=config, headers={"Content-Type": V2})
    _expect(answer, 200)
    say("created", status=answer.status_code, instance=answer.json()["instance_id"],
        base_uri=answer.json()["base_uri"].replace(url, "$REST"))  # fmt: skip
    subscription = {"topics": [TOPIC]}
    say("subscribe", topic=TOPIC)
    tell(curl("POST", f"{instance}/subscription", content_type=V2, body=subscription))
    answer = await http.post(f"{instance}/subscription", json=subscription, headers={"Content-Type": V2})
    _expect(answer, 204)
    say("subscribed", status=answer.status_code)

    # 5. Read until both records came.
    say("consume")
    tell(curl("GET", f"{instance}/records", accept=JSON_RECORDS))
    consumed: list[dict[str, Any]] = []
    reads = 0
    while len(consumed) < len(produced) and reads < READ_ATTEMPTS:
        answer = await http.get(
            f"{instance}/records", params={"timeout": 1000}, headers={"Accept": JSON_RECORDS}
        )
        _expect(answer, 200)
        reads += 1
        for r in answer.json():
            consumed.append({"offset": r["offset"], "key": r["key"], "value": r["value"]})
            say("consumed", offset=r["offset"], key=_text(r["key"]), value=_text(r["value"]))
    say("reads", records=len(consumed), reads=reads)

    # 6. A member of its group, as any consumer.
    group = await backend.describe_group(GROUP)
    member = next(m for m in group.members if m.client_id == INSTANCE)
    say("member", group=GROUP, state=group.state, client_id=member.client_id,
        partitions=", ".join(f"{t}-{p}" for t, p in member.partitions) or "—")  # fmt: skip

    # 7. Commit what was read (an empty body: everything returned so far).
    say("commit")
    tell(curl("POST", f"{instance}/offsets", content_type=V2))
    answer = await http.post(f"{instance}/offsets", headers={"Content-Type": V2})
    _expect(answer, 200)
    group = await backend.describe_group(GROUP)
    committed = next(p.committed for p in group.partitions if (p.topic, p.partition) == (TOPIC, 0))
    say("committed", status=answer.status_code, topic=TOPIC, offset=committed)

    # 8. Delete it: it leaves the group at once (LeaveGroup), not after a session timeout.
    say("delete")
    tell(curl("DELETE", instance, content_type=V2))
    answer = await http.delete(instance, headers={"Content-Type": V2})
    _expect(answer, 204)
    after = await backend.describe_group(GROUP)
    say("deleted", status=answer.status_code, group=GROUP, state=after.state, members=len(after.members))
    return RestProxyReport(
        0, "", url, TOPIC, GROUP, INSTANCE, produced, log, consumed, [m.client_id for m in group.members],
        committed, len(after.members), [],
    )  # fmt: skip


def _expect(answer: httpx.Response, status: int) -> None:
    if answer.status_code != status:  # the proxy broke its own contract: say what it answered
        raise RuntimeError(
            f"{answer.request.method} {answer.request.url.path} answered {answer.status_code}: {answer.text}"
        )
