"""What the controller does when a replica can no longer be trusted to hold its data: its
broker was fenced (KIP-631), its log directory went offline (KIP-112), or it came back
with another directory than the one its replicas were in (KIP-858's directory ids: a
new, emptied or foreign database is a new incarnation, KIP-966's "not eligible").

Pure functions on the image: the records a change needs, which `Controller` commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafkatui.engine.metadata.image import (
    PARTITION_CHANGE,
    MetadataImage,
    MetadataRecord,
    PartitionInfo,
    TopicInfo,
)


def eligible_brokers(image: MetadataImage, exclude: int | None = None) -> set[int]:
    """Brokers that may lead or be in an ISR: registered, not fenced, log dir online."""
    return {b for b, info in image.brokers.items() if not info.fenced and info.dir_online and b != exclude}


def rebuilding(image: MetadataImage, p: PartitionInfo) -> tuple[int, ...]:
    """Replicas of `p` that are new incarnations still refetching their log: out of the
    ISR, on another directory than the one they were last in sync on."""
    out = []
    for b in p.replicas:
        info = image.brokers.get(b)
        if (
            b not in p.isr
            and info is not None
            and info.directory_id
            and p.directory_of(b) != info.directory_id
        ):
            out.append(b)
    return tuple(out)


def partition_change(
    topic: TopicInfo,
    p: PartitionInfo,
    isr: Sequence[int],
    leader: int,
    directories: Sequence[str] | None = None,
) -> MetadataRecord:
    """A PartitionChangeRecord; a new leader means a new leader epoch."""
    change: dict[str, object] = {"topic_id": topic.topic_id, "partition": p.partition, "isr": list(isr)}
    if leader != p.leader:
        change.update(leader=leader, leader_epoch=p.leader_epoch + 1)
    if directories is not None:
        change["directories"] = list(directories)
    return MetadataRecord(PARTITION_CHANGE, change)


def unclean_candidates(image: MetadataImage, p: PartitionInfo, live: set[int]) -> list[int]:
    """Live replicas an unclean election may pick, in assignment order, those rebuilding
    their log (they hold least) last."""
    building = rebuilding(image, p)
    live_replicas = [b for b in p.replicas if b in live]
    return [b for b in live_replicas if b not in building] + [b for b in live_replicas if b in building]


def without_replica(
    image: MetadataImage, broker_id: int, *, lost_data: bool = False
) -> tuple[list[MetadataRecord], list[tuple[str, int, tuple[int, ...]]]]:
    """Take `broker_id` out of every ISR and elect new leaders where it led: the first
    eligible in-sync replica in assignment order; with none, the partition goes offline
    unless `unclean.leader.election.enable` lets an out-of-sync replica lead.

    An offline partition keeps its last in-sync replica to come back to (Kafka's
    behaviour), unless `lost_data`: that replica came back as a new incarnation, so
    there is nothing to come back to and the ISR is left empty. Returns the records and
    the partitions whose ISR shrank (name, partition, old ISR)."""
    live = eligible_brokers(image, exclude=broker_id)
    records: list[MetadataRecord] = []
    shrunk: list[tuple[str, int, tuple[int, ...]]] = []
    for topic in image.topics.values():
        unclean = bool(topic.config.get("unclean.leader.election.enable"))
        for p in topic.partitions:
            if broker_id not in p.replicas:
                continue
            isr = [b for b in p.isr if b != broker_id]
            leader = p.leader
            if leader == broker_id or leader == -1:
                candidates = [b for b in p.replicas if b in isr and b in live]
                if not candidates and unclean:
                    candidates = unclean_candidates(image, p, live)
                    isr = candidates[:1]
                leader = candidates[0] if candidates else -1
            if leader == -1 and not isr and broker_id in p.isr and not lost_data:
                isr = [broker_id]  # Kafka keeps the last in-sync replica to come back to
            if leader == p.leader and tuple(isr) == p.isr:
                continue
            records.append(partition_change(topic, p, isr, leader))
            if tuple(isr) != p.isr:
                shrunk.append((topic.name, p.partition, p.isr))
    return records, shrunk


def leaders_for_offline(image: MetadataImage, broker_id: int) -> list[MetadataRecord]:
    """A broker is eligible again (unfenced, or its log dir back online): offline
    partitions whose last in-sync replica it is get it as leader again; with
    `unclean.leader.election.enable` any offline partition it holds a replica of
    (unless its replica is rebuilding: it has nothing to lead with)."""
    records = []
    for topic in image.topics.values():
        unclean = bool(topic.config.get("unclean.leader.election.enable"))
        for p in topic.partitions:
            if p.leader != -1 or broker_id not in p.replicas:
                continue
            if broker_id in p.isr:
                isr = list(p.isr)
            elif unclean and broker_id not in rebuilding(image, p):
                isr = [broker_id]  # an out-of-sync replica leads: what it lacks is lost
            else:
                continue
            records.append(partition_change(topic, p, isr, broker_id))
    return records


def adopt_directory(image: MetadataImage, broker_id: int, directory_id: str) -> list[MetadataRecord]:
    """Record `directory_id` for the broker's replicas that have no directory yet (logs
    from before directory ids, kept by the same database)."""
    records = []
    for topic in image.topics.values():
        for p in topic.partitions:
            if broker_id in p.replicas and p.directory_of(broker_id) == "":
                dirs = with_directory(p, broker_id, directory_id)
                records.append(partition_change(topic, p, p.isr, p.leader, dirs))
    return records


def with_directory(p: PartitionInfo, broker_id: int, directory_id: str) -> list[str]:
    """`p`'s directories with `broker_id`'s replica on `directory_id`."""
    dirs = [p.directories[i] if i < len(p.directories) else "" for i in range(len(p.replicas))]
    dirs[p.replicas.index(broker_id)] = directory_id
    return dirs
