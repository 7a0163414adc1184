"""The kcat adapter: Debian's kcat 1.7.1 (on an old librdkafka), run as a subprocess."""

from __future__ import annotations

import queue
import re
import shutil
import signal
import subprocess
import threading
from typing import Any

from tests.wire.clients.base import (
    HEARTBEAT_INTERVAL_MS,
    POLL_S,
    SESSION_TIMEOUT_MS,
    Client,
    Member,
    Rec,
    Records,
)
from tests.wire.conftest import ServedCluster

KCAT = shutil.which("kcat") or shutil.which("kafkacat")
KCAT_FORMAT = "%p\\t%o\\t%k\\t%s\\n"  # with -Z a null key prints as NULL
_ASSIGNED = re.compile(r"rebalanced \(memberid [^)]*\): (assigned|revoked): (.*)$")


def _kcat_rec(line: str) -> Rec:
    partition, offset, key, value = line.split("\t", 3)
    return Rec(int(partition), int(offset), None if key == "NULL" else key.encode(), value.encode())


class KcatMember:
    """`kcat -G`, librdkafka's balanced consumer, in a subprocess: its records come on
    stdout, its assignments as "% Group … rebalanced …" lines on stderr (any child that
    prints those lines will do: test_client_faults.py's confluent-kafka member does)."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.stderr: list[str] = []
        self.records: list[Rec] = []
        self._assignment: set[int] = set()
        self._readers = [
            threading.Thread(target=self._pump, args=(name, stream), daemon=True)
            for name, stream in (("out", self.proc.stdout), ("err", self.proc.stderr))
        ]
        for t in self._readers:
            t.start()

    def _pump(self, name: str, stream: Any) -> None:
        for line in stream:
            self.lines.put((name, line.rstrip("\n")))

    def poll(self) -> None:
        try:
            self._take(*self.lines.get(timeout=POLL_S))
            while True:
                self._take(*self.lines.get_nowait())
        except queue.Empty:
            pass
        assert self.proc.poll() is None, f"kcat exited: {self.stderr}"

    def _take(self, name: str, line: str) -> None:
        if name == "out":
            self.records.append(_kcat_rec(line))
            return
        self.stderr.append(line)
        if found := _ASSIGNED.search(line):
            partitions = {int(p) for p in re.findall(r"\[(\d+)\]", found.group(2))}
            self._assignment = partitions if found.group(1) == "assigned" else set()

    def assignment(self) -> set[int]:
        return self._assignment

    def position(self, partition: int) -> int:
        raise NotImplementedError  # kcat does not print its positions

    def commit(self) -> None:
        pass  # kcat commits automatically, and what it consumed when it closes

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # kcat closes the consumer: commit, LeaveGroup
        assert self.proc.wait(15) == 0, self.stderr
        for t in self._readers:
            t.join(5)

    def kill(self) -> None:
        """Die without a word (SIGKILL): no commit, no LeaveGroup."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(15)
        for t in self._readers:
            t.join(5)


class KcatClient(Client):
    name = "kcat"
    cannot = {
        "admin topics": "kcat has no admin API (it lists metadata, -L, but cannot create or delete topics)",
        "admin configs": "kcat has no admin API (no DescribeConfigs or AlterConfigs)",
        "transactions": "kcat has no transactional producer (its read_committed consumer is tested in "
        "test_transactions_wire.py)",
    }

    def __init__(self, served: ServedCluster) -> None:
        super().__init__(served)
        assert KCAT is not None
        self.base = [KCAT, "-b", served.bootstrap.split(",")[0]]

    def _run(self, *args: str, stdin: str = "") -> str:
        run = subprocess.run(
            [*self.base, *args], input=stdin, capture_output=True, text=True, timeout=30, check=False
        )
        assert run.returncode == 0, run.stderr
        return run.stdout

    def produce(self, topic: str, records: Records, *, idempotent: bool = False) -> None:
        keyed = {key is not None for key, _ in records}
        assert len(keyed) == 1, "kcat reads either all keys or none"
        args = ["-P", "-t", topic, "-X", "acks=all", "-X", f"enable.idempotence={str(idempotent).lower()}"]
        if keyed == {True}:
            args += ["-K", "\t"]
        lines = [(f"{key.decode()}\t" if key is not None else "") + value.decode() for key, value in records]
        self._run(*args, stdin="\n".join(lines) + "\n")

    def read(self, topic: str, *, isolation: str = "read_uncommitted") -> list[Rec]:
        out = self._run(
            "-C",
            "-t",
            topic,
            "-o",
            "beginning",
            "-e",
            "-Z",
            "-f",
            KCAT_FORMAT,
            "-X",
            f"isolation.level={isolation}",
        )
        return [_kcat_rec(line) for line in out.splitlines()]

    def member(self, group: str, topic: str) -> Member:
        member = KcatMember(
            [
                *self.base,
                *("-G", group, "-Z", "-f", KCAT_FORMAT, "-u"),
                *("-X", "auto.offset.reset=earliest"),
                *("-X", f"session.timeout.ms={SESSION_TIMEOUT_MS}"),
                *("-X", f"heartbeat.interval.ms={HEARTBEAT_INTERVAL_MS}"),
                topic,
            ]
        )
        self._open.append(member)
        return member

    def committed(self, group: str, topic: str, partitions: int) -> dict[int, int] | None:
        return None  # kcat cannot ask for a group's offsets: its members resuming shows them
