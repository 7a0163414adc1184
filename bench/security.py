"""confluent-kafka producing over PLAINTEXT, SSL and SASL_SSL to `kafkatui serve`, in one run.

    python bench/security.py [--records 200000] [--size 100]

Each protocol gets its own `kafkatui serve --brokers 1` process on a fresh data dir
(`kafkatui certs create` and `kafkatui user add` first), and one confluent-kafka
producer (acks=1, linger.ms=5, batch.num.messages=10000) sends the records to one
partition; the time runs from the first produce() to the end of flush(). SASL_SSL logs
in with SCRAM-SHA-512 once per connection, so it should cost about what SSL costs.
`ssl/plaintext` is the ratio of the rates (the goal: at least 0.6): TLS is the price of
encryption in transit, paid by both processes on the same machine's cores.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

KAFKATUI = [sys.executable, "-c", "from kafkatui.cli.main import run; run()"]
PASSWORD = "bench-secret"


def kafkatui(data_dir: Path, *args: str) -> None:
    subprocess.run([*KAFKATUI, "--data-dir", str(data_dir), *args], check=True, capture_output=True)


def serve(data_dir: Path, security: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*KAFKATUI, "--data-dir", str(data_dir), "serve", "--brokers", "1", "--port-base", "0",
         "--security", security, "--no-schema-registry", "--no-rest-proxy", "--no-connect"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("bootstrap servers: "):
            return proc, line.removeprefix("bootstrap servers: ").strip()
    raise SystemExit(f"kafkatui serve --security {security} did not start")


def client_conf(security: str, data_dir: Path) -> dict[str, str]:
    conf = {"security.protocol": security.upper()}
    if "ssl" in security:
        conf["ssl.ca.location"] = str(data_dir / "certs" / "ca.pem")
    if "sasl" in security:
        conf |= {"sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "bench", "sasl.password": PASSWORD}
    return conf


def produce(bootstrap: str, conf: dict[str, str], values: list[bytes]) -> float:
    base = {"bootstrap.servers": bootstrap, **conf}
    admin = AdminClient(base)
    for future in admin.create_topics([NewTopic("bench", 1, 1)]).values():
        future.result(30)
    producer = Producer({**base, "acks": "1", "linger.ms": 5, "batch.num.messages": 10_000,
                         "queue.buffering.max.messages": len(values) + 1})  # fmt: skip
    producer.list_topics("bench", timeout=10)  # connected and authenticated before the clock starts
    started = time.perf_counter()
    for value in values:
        producer.produce("bench", value, partition=0)
        producer.poll(0)
    left = producer.flush(120)
    elapsed = time.perf_counter() - started
    if left:
        raise SystemExit(f"{left} records not delivered")
    consumer = Consumer({**base, "group.id": "bench-check"})
    _, high = consumer.get_watermark_offsets(TopicPartition("bench", 0), timeout=10)
    consumer.close()
    if high != len(values):
        raise SystemExit(f"the partition holds {high} records, not {len(values)}")
    return elapsed


def run(security: str, values: list[bytes]) -> float:
    with tempfile.TemporaryDirectory(prefix="kafkatui-bench-security-") as tmp:
        data_dir = Path(tmp) / "data"
        if "ssl" in security:
            kafkatui(data_dir, "certs", "create")
        if "sasl" in security:
            # The user is a metadata record: this makes the (1-broker) cluster serve opens.
            kafkatui(data_dir, "--brokers", "1", "user", "add", "bench", "--password", PASSWORD,
                     "--mechanism", "SCRAM-SHA-512")  # fmt: skip
        proc, bootstrap = serve(data_dir, security)
        try:
            return produce(bootstrap, client_conf(security, data_dir), values)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()
    payload = os.urandom(args.size // 2).hex().encode()[: args.size]
    values = [payload] * args.records
    rates: dict[str, float] = {}
    for security in ("plaintext", "ssl", "sasl_ssl"):
        elapsed = run(security, values)
        rates[security] = args.records / elapsed
        print(f"{security.upper():>15}: {rates[security]:>10,.0f} records/s ({elapsed:.2f} s)")
    print(f"{'ssl/plaintext':>15}: {rates['ssl'] / rates['plaintext']:.2f} (goal >= 0.6)")
    print(f"{'sasl_ssl/plain':>15}: {rates['sasl_ssl'] / rates['plaintext']:.2f}")


if __name__ == "__main__":
    main()
