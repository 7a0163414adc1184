"""The failover lesson's lost-disk scenario (issue 17's first row as a story): a broker
killed, its database deleted, back at once while the controller still counts it a
leader and in sync. It must come back as a new incarnation that neither leads nor counts
as in sync until it has refetched everything, and no acknowledged record may be lost.
The story's key facts in both languages; deterministic for a seed."""

from __future__ import annotations

import pytest

from kafkatui.lessons.lost_disk import lost_disk_scenario


@pytest.mark.parametrize("seed", [1, 3])
async def test_the_empty_replica_never_wins_and_nothing_is_lost(seed: int) -> None:
    report = await lost_disk_scenario(seed, records=45)
    assert report.acknowledged == report.produced == 45
    assert report.led  # it was a leader when it was killed
    assert report.records_before == 45  # a copy of every partition: replication factor 3
    assert report.records_after_restart == 0  # a new, empty database
    assert "new" in report.new_incarnation
    assert not report.led_while_rebuilding and not report.in_isr_while_rebuilding
    assert report.preferred_election == "PREFERRED_LEADER_NOT_AVAILABLE"
    assert report.records_refetched == 45 and report.rejoined_isr_after_ms > 0
    assert report.leads_again == report.led  # once caught up, safe to lead again
    assert (report.read_back, report.lost) == (45, 0)


async def test_the_story_in_english() -> None:
    report = await lost_disk_scenario(2)
    text = "\n".join(report.story)
    b = report.broker
    assert f"broker {b} is killed (kill -9)" in text
    assert f"the file broker-{b}.db" in text
    assert "before the controller has missed its heartbeats (broker.session.timeout.ms=9000)" in text
    assert f"this is a new incarnation of broker {b} (KIP-858), and it holds no records" in text
    assert f"not the empty broker {b}" in text  # its partition has another leader
    assert f"broker {b} is rebuilding: 0 of" in text
    assert f"refused, PREFERRED_LEADER_NOT_AVAILABLE: broker {b} is not in the ISR" in text
    assert text.count(f"broker {b} caught up") == 3  # one ISR rejoined per partition
    assert "holds all 60 records again and is in every ISR" in text
    assert report.story[-1] == "read back: 60 of the 60 acknowledged records; lost: 0"


async def test_the_story_in_portuguese_tells_the_same_facts() -> None:
    english = await lost_disk_scenario(2)
    report = await lost_disk_scenario(2, language="pt")
    text = "\n".join(report.story)
    b = report.broker
    assert f"o broker {b} é morto (kill -9)" in text
    assert f"é uma nova encarnação do broker {b} (KIP-858), sem nenhum registro" in text
    assert f"não o broker {b}, que está vazio" in text
    assert f"o broker {b} está se reconstruindo: 0 de" in text
    assert f"recusada, PREFERRED_LEADER_NOT_AVAILABLE: o broker {b} não está no ISR" in text
    assert text.count(f"o broker {b} alcançou o líder") == 3
    assert report.story[-1] == "lidos de volta: 60 dos 60 registros confirmados; perdidos: 0"
    assert len(report.story) == len(english.story) and report.to_json() == english.to_json()


async def test_same_seed_same_story() -> None:
    first = await lost_disk_scenario(4, records=30)
    second = await lost_disk_scenario(4, records=30)
    assert first.story == second.story and first.to_json() == second.to_json()
