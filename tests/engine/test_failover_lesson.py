from __future__ import annotations

from kafkatui.lessons.failover import failover_scenario


async def test_failover_keeps_everything_below_the_high_watermark() -> None:
    lines: list[str] = []
    report = await failover_scenario(seed=4, records=40, narrate=lines.append)
    assert report.read == report.produced == 40
    assert report.lost_below_high_watermark == 0
    crashed = [p for p in report.partitions if p.leader_before == report.crashed_broker]
    assert crashed and all(p.leader_after not in (report.crashed_broker, -1) for p in crashed)
    assert any("crashes" in line for line in lines)
    again = await failover_scenario(seed=4, records=40)
    assert again.to_json() == report.to_json()
