"""processing.guarantee=exactly_once_v2: word count killed mid-run (its task cancelled,
a transaction open) and started again. Read read_committed, the output holds each
word's counts exactly once, 1, 2, … n, none skipped, none twice, n as counted by the
test; the store restored from the changelog agrees. at_least_once, the same kill may
repeat counts (that test is in test_runtime.py)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from kafkatui.common.clients import ConsumerConfig
from kafkatui.ecosystem.streams import Serdes
from kafkatui.ecosystem.streams.examples import word_count
from tests.ecosystem.streams.conftest import Served, until
from tests.ecosystem.streams.test_runtime import REPARTITION, app, counts, lines, produce_lines


async def committed_output(served: Served) -> dict[str, list[int]]:
    ends = await served.ends(word_count.OUTPUT)
    reader = served.backend.consumer(
        ConsumerConfig(
            auto_offset_reset="earliest", enable_auto_commit=False, isolation_level="read_committed"
        )
    )
    reader.assign_topic(word_count.OUTPUT)
    found: dict[str, list[int]] = defaultdict(list)
    idle = 0
    position = dict.fromkeys(ends, 0)
    while any(position[p] < ends[p] - 1 for p in ends) and idle < 20:
        records = await reader.poll(100)
        idle = 0 if records else idle + 1
        for r in records:
            found[bytes(r.key).decode()].append(Serdes.long().deserialize("", bytes(r.value)))
            position[r.partition] = r.offset
    await reader.close()
    return found


async def test_a_kill_mid_run_leaves_no_duplicate_and_no_gap(served: Served, tmp_path: Path) -> None:
    await served.backend.create_topic(word_count.INPUT, 2, 1)
    reference = await produce_lines(served, lines(0, 5_000))
    eos = {"processing.guarantee": "exactly_once_v2", "commit.interval.ms": 100}
    first = app(served, tmp_path / "state", **eos)
    await first.start()
    await until(lambda: len(first.committed) >= 2 and first.metrics()["process-total"] > 8_000, "a commit")
    first.kill()
    await first.wait()
    second = app(served, tmp_path / "state", **eos)
    await second.start()
    await until(lambda: served.caught_up(second, word_count.INPUT, REPARTITION), "the restart to catch up")
    assert counts(second) == dict(reference)
    await second.close()
    output = await committed_output(served)
    assert set(output) == set(reference)
    wrong = {w: seq for w, seq in output.items() if seq != list(range(1, reference[w] + 1))}
    assert not wrong, (
        f"{len(wrong)} words with duplicated or missing counts, e.g. {next(iter(wrong.items()))}"
    )
