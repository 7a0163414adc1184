"""The REST Proxy against Kafka's own protocol, in one run.

    python bench/rest.py [--records 100000] [--batch 500]

One `kafkatui serve` (one broker, in memory, one partition per topic). The same
100-byte records are produced twice: by confluent-kafka over the wire (acks=1,
linger.ms=5) and through the REST Proxy's v2 `POST /topics/{t}` with the binary embedded
format, `--batch` records per request, one request at a time (as a simple HTTP-only
program does). The ratio rest/wire is the part of the wire rate an HTTP client keeps
(goal ≥ 0.3; Confluent's proxy is well below its wire clients too). Then v2 consume: a
consumer instance reading everything back with `GET .../records`.

The machine's other load moves wall-clock rates from run to run, so each path also
prints the CPU `kafkatui serve` spent on it per record (its utime + stime from /proc, on
Linux) and the ratio of those (wire/rest: the share of the wire path's rate the REST
path would keep on a machine that runs only the broker).

Then v3 streaming produce: one `POST /v3/clusters/{id}/topics/{t}/records` whose chunked
body is every record as concatenated JSON (`{"partition_id": 0, "value": {"type":
"BINARY", "data": ...}}`), the answer one delivery report per record.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
from confluent_kafka.admin import AdminClient, NewTopic
from wire import confluent_produce  # the same wire baseline as bench/wire.py

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


def server_cpu(proc: subprocess.Popen[str]) -> float:
    """Seconds of CPU the server process has used (0 where /proc is not there)."""
    try:
        with open(f"/proc/{proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rest_produce(http: httpx.Client, topic: str, values: list[bytes], batch: int) -> float:
    encoded = [base64.b64encode(v).decode() for v in values]
    started = time.perf_counter()
    for at in range(0, len(encoded), batch):
        body = {"records": [{"value": v, "partition": 0} for v in encoded[at : at + batch]]}
        answer = http.post(f"/topics/{topic}", json=body, headers={"Content-Type": BINARY, "Accept": V2})
        answer.raise_for_status()
        assert all(o["error_code"] is None for o in answer.json()["offsets"]), answer.text
    return time.perf_counter() - started


def rest_v3_stream(http: httpx.Client, topic: str, values: list[bytes], chunk: int) -> float:
    cluster_id = http.get("/v3/clusters").json()["data"][0]["cluster_id"]
    records = [
        json.dumps({"partition_id": 0, "value": {"type": "BINARY", "data": base64.b64encode(v).decode()}})
        for v in values
    ]

    def body() -> Iterator[bytes]:
        for at in range(0, len(records), chunk):
            yield "".join(records[at : at + chunk]).encode()

    started = time.perf_counter()
    answer = http.post(
        f"/v3/clusters/{cluster_id}/topics/{topic}/records",
        content=body(),
        headers={"Content-Type": "application/json"},
    )
    answer.raise_for_status()
    elapsed = time.perf_counter() - started
    reports = [json.loads(line) for line in answer.text.splitlines()]
    assert len(reports) == len(values) and all(r["error_code"] == 200 for r in reports), reports[:3]
    assert [r["offset"] for r in reports] == sorted(r["offset"] for r in reports)
    return elapsed


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
        for future in admin.create_topics([NewTopic(t, 1, 1) for t in ("wire", "rest", "v3")]).values():
            future.result(10)
        cpu = [server_cpu(proc)]
        wire_s = confluent_produce(bootstrap, "wire", values)
        cpu.append(server_cpu(proc))
        with httpx.Client(base_url=rest, timeout=60) as http:
            rest_s = rest_produce(http, "rest", values, args.batch)
            cpu.append(server_cpu(proc))
            v3_s = rest_v3_stream(http, "v3", values, args.batch)
            cpu.append(server_cpu(proc))
            read_s = rest_consume(http, "rest", args.records)
    finally:
        proc.terminate()
        proc.wait(10)
    wire_rate, rest_rate, v3_rate, read_rate = (args.records / s for s in (wire_s, rest_s, v3_s, read_s))
    wire_cpu, rest_cpu, v3_cpu = ((b - a) / args.records * 1e6 for a, b in itertools.pairwise(cpu))
    print(f"{args.records:,} records of 100 bytes, one partition, kafkatui serve in memory, "
          f"{os.cpu_count()} cores")  # fmt: skip
    print(f"  {'':<33} {'rate':>10}         {'rest/wire':>9}   server CPU/record  rest/wire")
    print(f"  {'confluent-kafka over the wire':<33} {wire_rate:>10,.0f} rec/s {'':>9}   {wire_cpu:>8.1f} µs")
    for label, rate, used in (
        (f"REST v2 produce, {args.batch} per request", rest_rate, rest_cpu),
        ("REST v3 streaming produce", v3_rate, v3_cpu),
    ):
        cpu_ratio = wire_cpu / used if used else float("nan")
        print(
            f"  {label:<33} {rate:>10,.0f} rec/s {rate / wire_rate:>9.2f}   {used:>8.1f} µs"
            f"        {cpu_ratio:>9.2f}"
        )
    print(f"  REST v2 consume (GET records)     {read_rate:>10,.0f} rec/s")


if __name__ == "__main__":
    main()
