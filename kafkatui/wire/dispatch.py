"""Every API this server speaks, by key (what ApiVersions advertises)."""

from __future__ import annotations

from kafkatui.wire import (
    acls,
    admin,
    api_versions,
    cluster_admin,
    configs,
    fetch,
    group_admin,
    group_offsets,
    groups,
    leader_epochs,
    list_offsets,
    metadata,
    produce,
    producer_ids,
    sasl,
    scram_admin,
    topic_partitions,
    transaction_admin,
    transactions,
)
from kafkatui.wire.api import Api

APIS: dict[int, Api] = {
    a.key: a
    for module in (
        produce,
        fetch,
        list_offsets,
        metadata,
        api_versions,
        admin,
        groups,
        group_offsets,
        configs,
        group_admin,
        producer_ids,
        cluster_admin,
        leader_epochs,
        transactions,
        transaction_admin,
        topic_partitions,
        sasl,
        scram_admin,
        acls,
    )
    for a in module.APIS
}
