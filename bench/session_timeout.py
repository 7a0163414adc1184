"""How long a group takes to give a killed member's partitions to the survivor, against
the session.timeout.ms that should decide it.

    python bench/session_timeout.py [--session-ms 6000] [--heartbeat-ms 1000] [--runs 3]

A served 3-broker kafkatui (in memory, free ports), a topic of 4 partitions, two
confluent-kafka members of one group: one in a subprocess that is killed (no
LeaveGroup), one here. Prints the time from the kill until the survivor owns every
partition, and its ratio to session.timeout.ms: a little above 1.0 (the session runs
out, then a rebalance) is Kafka's behaviour; well below 1.0 would mean something other
than the session timeout removed the member.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import threading
import time

from confluent_kafka import Consumer

from kafkatui.engine.cluster import Cluster
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.serve.host import ServiceHost

MEMBER = """
import sys
from confluent_kafka import Consumer
bootstrap, group, session, heartbeat = sys.argv[1:]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "session.timeout.ms": session,
              "heartbeat.interval.ms": heartbeat})
c.subscribe(["work"])
while True:
    c.poll(0.2)
    if c.assignment():
        print("assigned", flush=True)
"""


def until(check, what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")


def one_run(bootstrap: str, group: str, session_ms: int, heartbeat_ms: int) -> float:
    doomed = subprocess.Popen(
        [sys.executable, "-c", MEMBER, bootstrap, group, str(session_ms), str(heartbeat_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    survivor = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "session.timeout.ms": session_ms,
            "heartbeat.interval.ms": heartbeat_ms,
        }
    )
    try:
        assert doomed.stdout is not None
        doomed.stdout.readline()  # it has partitions
        survivor.subscribe(["work"])

        def shared() -> bool:
            survivor.poll(0.1)
            return 0 < len(survivor.assignment()) < 4

        until(shared, "the two members to share the partitions")
        doomed.kill()
        killed = time.monotonic()

        def everything() -> bool:
            survivor.poll(0.05)
            return len(survivor.assignment()) == 4

        until(everything, "the survivor to own every partition", timeout_s=session_ms / 1000 * 5)
        return time.monotonic() - killed
    finally:
        doomed.kill()
        survivor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--session-ms", type=int, default=6_000)
    parser.add_argument("--heartbeat-ms", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    def call(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(60)

    cluster = call(
        Cluster.open(None, brokers=3, seed=1, defaults=BrokerDefaults(group_initial_rebalance_delay_ms=0))
    )
    services = ServiceHost(cluster)
    bootstrap = call(services.listen_wire(0))
    call(cluster.create_topic("work", 4, 2))
    try:
        took = [one_run(bootstrap, f"crew-{n}", args.session_ms, args.heartbeat_ms) for n in range(args.runs)]
    finally:
        call(services.close())
        call(cluster.close())
        loop.call_soon_threadsafe(loop.stop)
    median = statistics.median(took)
    runs = ", ".join(f"{t:.2f}" for t in took)
    print(f"session.timeout.ms {args.session_ms} ms, heartbeat.interval.ms {args.heartbeat_ms} ms")
    print(f"kill → survivor owns everything: median {median:.2f} s ({args.runs} runs: {runs})")
    print(f"ratio to session.timeout.ms: {median / (args.session_ms / 1000):.2f}")


if __name__ == "__main__":
    main()
