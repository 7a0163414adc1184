"""What the controller does when a replica can no longer be trusted to hold its data: its
broker was fenced (KIP-631), its log directory went offline (KIP-112), or it came back
with another directory than the one its replicas were in (KIP-858's directory ids: a
new, emptied or foreign database is a new incarnation, KIP-966's "not eligible").

Pure functions on the image: the records a change needs, which `Controller` commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

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
    *,
    not_eligible: Collection[int] = (),
    unclean: bool = False,
) -> MetadataRecord:
    """A PartitionChangeRecord; a new leader means a new leader epoch. The eligible
    leader replicas follow the new ISR (`target_elr`); `not_eligible` may have lost data
    and leave them; an unclean election empties them (the new leader's log is the truth)."""
    change: dict[str, object] = {"topic_id": topic.topic_id, "partition": p.partition, "isr": list(isr)}
    if leader != p.leader:
        change.update(leader=leader, leader_epoch=p.leader_epoch + 1)
    if directories is not None:
        change["directories"] = list(directories)
    if unclean:
        elr: list[int] = []
        last_known: list[int] = []
    else:
        elr, last_known = target_elr(topic, p, isr, not_eligible)
    if tuple(elr) != p.eligible_leader_replicas:
        change["eligible_leader_replicas"] = elr
    if tuple(last_known) != p.last_known_elr:
        change["last_known_elr"] = last_known
    return MetadataRecord(PARTITION_CHANGE, change)


def target_elr(
    topic: TopicInfo, p: PartitionInfo, isr: Sequence[int], not_eligible: Collection[int] = ()
) -> tuple[list[int], list[int]]:
    """KIP-966 (Kafka's `PartitionChangeBuilder.maybePopulateTargetElr`): with the ISR at
    min.insync.replicas or more the ELR and last known ELR are empty; below it, the
    replicas leaving the ISR join the ELR (the high watermark stopped when the ISR fell
    below, so they hold every committed record) and those that may not hold them leave
    it for the last known ELR. Both in assignment order."""
    if len(isr) >= topic.effective_min_isr:
        return [], []
    candidates = (set(p.isr) | set(p.eligible_leader_replicas)) - set(isr)
    elr = [b for b in p.replicas if b in candidates and b not in not_eligible]
    dropped = (set(p.last_known_elr) | (candidates & set(not_eligible))) - set(isr) - set(elr)
    return elr, [b for b in p.replicas if b in dropped]


def _changes(p: PartitionInfo, record: MetadataRecord) -> bool:
    """Whether `record` changes anything of `p` but its ISR (which callers compare)."""
    return (
        any(k not in ("topic_id", "partition", "isr") for k in record.data)
        or tuple(record.data["isr"]) != p.isr
    )


def unclean_candidates(image: MetadataImage, p: PartitionInfo, live: set[int]) -> list[int]:
    """Live replicas an unclean election may pick, in assignment order, those rebuilding
    their log (they hold least) last."""
    building = rebuilding(image, p)
    live_replicas = [b for b in p.replicas if b in live]
    return [b for b in live_replicas if b not in building] + [b for b in live_replicas if b in building]


def without_replica(
    image: MetadataImage, broker_id: int, *, lost_data: bool = False, damaged: bool = False
) -> tuple[list[MetadataRecord], list[tuple[str, int, tuple[int, ...]]]]:
    """Take `broker_id` out of every ISR and elect new leaders where it led (`elect`).

    An offline partition keeps its last in-sync replica to come back to (Kafka's
    behaviour before KIP-966 emptied the ISR instead; kept, so a partition's ISR still
    names who has the data), unless `lost_data`: that replica came back as a new
    incarnation or its log dir is damaged, so there is nothing to come back to, the ISR
    is left empty and the replica leaves the ELR. A `damaged` log dir keeps its place in
    the ISR (for after a repair) but leaves the ELR too: what it holds is not known.
    Returns the records and the partitions whose ISR shrank (name, partition, old ISR)."""
    live = eligible_brokers(image, exclude=broker_id)
    not_eligible = (broker_id,) if lost_data or damaged else ()
    records: list[MetadataRecord] = []
    shrunk: list[tuple[str, int, tuple[int, ...]]] = []
    for topic in image.topics.values():
        for p in topic.partitions:
            if broker_id not in p.replicas:
                continue
            isr = [b for b in p.isr if b != broker_id]
            leader, unclean = p.leader, False
            if leader == broker_id or leader == -1:
                leader, isr, unclean = elect(image, topic, p, isr, live, not_eligible)
            if leader == -1 and not isr and broker_id in p.isr and not lost_data:
                isr = [broker_id]  # Kafka 3.x keeps the last in-sync replica to come back to
            record = partition_change(topic, p, isr, leader, not_eligible=not_eligible, unclean=unclean)
            if not _changes(p, record):
                continue
            records.append(record)
            if tuple(isr) != p.isr:
                shrunk.append((topic.name, p.partition, p.isr))
    return records, shrunk


def elect(
    image: MetadataImage,
    topic: TopicInfo,
    p: PartitionInfo,
    isr: Sequence[int],
    live: set[int],
    not_eligible: Collection[int] = (),
) -> tuple[int, list[int], bool]:
    """Kafka's `PartitionChangeBuilder.electAnyLeader` for a partition that needs a
    leader: the first live ISR member in assignment order; with none, a live eligible
    leader replica (KIP-966: a clean election, it holds every committed record, and it
    is the ISR alone); only then, with `unclean.leader.election.enable`, any live
    replica, those rebuilding their log last. Returns (leader or -1, ISR, unclean)."""
    in_sync = [b for b in p.replicas if b in isr and b in live]
    if in_sync:
        return in_sync[0], list(isr), False
    excluded = set(not_eligible) | set(rebuilding(image, p))
    eligible = [b for b in p.replicas if b in p.eligible_leader_replicas and b in live and b not in excluded]
    if eligible:
        return eligible[0], [eligible[0]], False
    if topic.config.get("unclean.leader.election.enable"):
        candidates = unclean_candidates(image, p, live)
        if candidates:
            return candidates[0], [candidates[0]], True
    return -1, list(isr), False


def leaders_for_offline(image: MetadataImage, broker_id: int) -> list[MetadataRecord]:
    """A broker is eligible again (unfenced, or its log dir back online): offline
    partitions whose last in-sync replica or one of whose eligible leader replicas
    (KIP-966) it is get it as leader again; with `unclean.leader.election.enable` any
    offline partition it holds a replica of (unless its replica is rebuilding: it has
    nothing to lead with)."""
    records = []
    for topic in image.topics.values():
        unclean = bool(topic.config.get("unclean.leader.election.enable"))
        for p in topic.partitions:
            if p.leader != -1 or broker_id not in p.replicas:
                continue
            if broker_id in p.isr:
                records.append(partition_change(topic, p, p.isr, broker_id))
            elif broker_id in p.eligible_leader_replicas:
                records.append(partition_change(topic, p, [broker_id], broker_id))
            elif unclean and broker_id not in rebuilding(image, p):
                # An out-of-sync replica leads: what it lacks is lost.
                records.append(partition_change(topic, p, [broker_id], broker_id, unclean=True))
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
