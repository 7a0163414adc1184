"""The Partitions panel's cells for a broker whose database was lost (a new incarnation
rebuilding its replicas) or damaged (its log dir offline), on a real data dir."""

from __future__ import annotations

from pathlib import Path

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clock import ManualClock
from kafkatui.engine.cluster import Cluster
from kafkatui.tui.panels.partitions import Role, cell_text, elr_text, replica_role
from tests.engine.test_storage_faults import TOPIC, new_data_dir, remove_database


def cells(backend: EmbeddedBackend, broker_id: int) -> list[tuple[Role, str]]:
    broker = next(b for b in backend.brokers() if b.broker_id == broker_id)
    out = []
    for p in backend.describe_topic(TOPIC).partitions:
        role = replica_role(p, broker)
        out.append((role, cell_text(p, broker, role).splitlines()[0]))
    return out


async def test_a_new_incarnation_shows_rebuilding_until_in_sync(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await new_data_dir(data, 300)
    remove_database(data / "broker-2.db")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        backend = EmbeddedBackend(cluster)
        assert any("new incarnation" in n for n in backend.notices)
        assert cells(backend, 2) == [(Role.OUT_OF_SYNC, "rebuilding · new db")] * 3
        await cluster.advance_until(lambda: all(2 in p.isr for p in cluster.describe_topic(TOPIC).partitions))
        assert {role for role, _ in cells(backend, 2)} <= {Role.IN_SYNC, Role.LEADER}


async def test_an_offline_log_dir_shows_offline(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await new_data_dir(data, 300)
    (data / "broker-2.db").write_bytes(b"not a database\n" * 100)
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        backend = EmbeddedBackend(cluster)
        view = next(b for b in backend.brokers() if b.broker_id == 2)
        assert view.running and view.log_dir_offline is not None
        assert cells(backend, 2) == [(Role.OFFLINE, "log dir offline")] * 3
        assert any("is offline" in n and "broker repair 2" in n for n in backend.notices)


async def test_a_lost_leader_database_shows_who_may_lead_and_who_may_not(tmp_path: Path) -> None:
    """KIP-966: the leader's database lost while its followers were stopped, the second
    one with the ISR below min.insync.replicas: that one is the ELR, the new incarnation
    of the leader is in the last known ELR, and nobody leads until the ELR is back."""
    from tests.engine.test_eligible_leader_replicas import TOPIC as T
    from tests.engine.test_eligible_leader_replicas import new_cluster, produce
    from tests.engine.test_eligible_leader_replicas import remove_database as remove

    data = tmp_path / "data"
    async with await new_cluster(data) as cluster:
        leader, first, second = cluster.describe_topic(T).partitions[0].replicas
        await produce(cluster, range(10))
        await cluster.stop_broker(first)
        await cluster.stop_broker(second)
    remove(data / f"broker-{leader}.db")
    async with await Cluster.open(data, clock=ManualClock()) as cluster:
        backend = EmbeddedBackend(cluster)
        [p] = backend.describe_topic(T).partitions
        assert elr_text(p) == f"no leader · ELR {second}"
        shown = {}
        for b in backend.brokers():
            role = replica_role(p, b)
            shown[b.broker_id] = (role, cell_text(p, b, role, 2).splitlines()[0])
        assert shown == {
            leader: (Role.OUT_OF_SYNC, "rebuilding · last known ELR"),
            first: (Role.OFFLINE, "offline"),
            second: (Role.OFFLINE, "down · eligible (ELR)"),
        }
