"""The REST Proxy against Kafka's own protocol, in one run.

    python bench/rest.py [--records 100000] [--batch 500]

One `kafkatui serve` (one broker, in memory, one partition per topic). The same
100-byte records are produced twice: by confluent-kafka over the wire (acks=1,
linger.ms=5) and through the REST Proxy's v2 `POST /topics/{t}` with the binary embedded
format, `--batch` records per request, one request at a time (as a simple HTTP-only
program does). The ratio rest/wire is the part of the wire rate an HTTP client keeps
(goal ≥ 0.3; Confluent's proxy is well below its wire clients too). Then v2 consume: a
consumer instance reading everything back with `GET .../records`.

The v3 streaming produce the issue names is not built yet; when it is, it gets a row here.
"""

from __future__ import annotations

import argparse
import base64
import subprocess
import sys
import time

import httpx
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

V2 = "application/vnd.kafka.v2+json"
BINARY = "application/vnd.kafka.binary.v2+json"


def serve() -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [
            sys.executable, "-c", "from kafkatui.cli.main import run; run()", "--memory", "serve",
            "--brokers", "1", "--port-base", "0", "--group-initial-rebalance-delay-ms", "0",
            "--schema-registry-port", "0", "--rest-port", "0", "--no-connect",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    bootstrap = rest = None
    for line in proc.stdout:
        if line.startswith("bootstrap servers: "):
            bootstrap = line.split(": ", 1)[1].strip()
        elif line.startswith("rest proxy: "):
            rest = line.split(": ", 1)[1].strip()
        if bootstrap and rest:
            return proc, bootstrap, rest
    raise SystemExit("kafkatui serve did not start with a REST Proxy")


def wire_produce(bootstrap: str, topic: str, values: list[bytes]) -> float:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 5})
    started = time.perf_counter()
    for value in values:
        while True:
            try:
                producer.produce(topic, value, partition=0)
                break
            except BufferError:
                producer.poll(0.005)
    assert producer.flush(120) == 0
    return time.perf_counter() - started


def rest_produce(http: httpx.Client, topic: str, values: list[bytes], batch: int) -> float:
    encoded = [base64.b64encode(v).decode() for v in values]
    started = time.perf_counter()
    for at in range(0, len(encoded), batch):
        body = {"records": [{"value": v, "partition": 0} for v in encoded[at : at + batch]]}
        answer = http.post(f"/topics/{topic}", json=body, headers={"Content-Type": BINARY, "Accept": V2})
        answer.raise_for_status()
        assert all(o["error_code"] is None for o in answer.json()["offsets"]), answer.text
    return time.perf_counter() - started


def rest_consume(http: httpx.Client, topic: str, count: int) -> float:
    headers = {"Content-Type": V2, "Accept": V2}
    created = http.post(
        "/consumers/bench",
        json={"name": "r1", "format": "binary", "auto.offset.reset": "earliest"},
        headers=headers,
    )
    created.raise_for_status()
    base = created.json()["base_uri"]
    http.post(f"{base}/subscription", json={"topics": [topic]}, headers=headers).raise_for_status()
    seen = 0
    started = time.perf_counter()
    while seen < count:
        answer = http.get(f"{base}/records", params={"max_bytes": 8_000_000}, headers={"Accept": BINARY})
        answer.raise_for_status()
        seen += len(answer.json())
    elapsed = time.perf_counter() - started
    http.delete(base, headers=headers)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="records per REST produce request")
    args = parser.parse_args()
    values = [(b"%08d" % n) + b"x" * 92 for n in range(args.records)]  # 100 bytes each
    proc, bootstrap, rest = serve()
    try:
        admin = AdminClient({"bootstrap.servers": bootstrap})
        for future in admin.create_topics([NewTopic(t, 1, 1) for t in ("wire", "rest")]).values():
            future.result(10)
        wire_s = wire_produce(bootstrap, "wire", values)
        with httpx.Client(base_url=rest, timeout=60) as http:
            rest_s = rest_produce(http, "rest", values, args.batch)
            read_s = rest_consume(http, "rest", args.records)
    finally:
        proc.terminate()
        proc.wait(10)
    wire_rate, rest_rate, read_rate = (args.records / s for s in (wire_s, rest_s, read_s))
    print(f"{args.records:,} records of 100 bytes, one partition, kafkatui serve in memory")
    print(f"  confluent-kafka over the wire     {wire_rate:>10,.0f} rec/s")
    label = f"REST v2 produce, {args.batch} per request"
    print(f"  {label:<33} {rest_rate:>10,.0f} rec/s   rest/wire {rest_rate / wire_rate:.2f}")
    print(f"  REST v2 consume (GET records)     {read_rate:>10,.0f} rec/s")


if __name__ == "__main__":
    main()
