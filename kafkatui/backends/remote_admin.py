"""Kafka's admin API through confluent-kafka's `AdminClient`, for RemoteBackend: the
calls that change or look up one thing (DescribeConfigs of a broker, ListOffsets,
DeleteRecords, ElectLeaders, AlterConsumerGroupOffsets, DeleteGroups), each awaited
without blocking the caller's loop and answering in the backend's own types.

Not here because librdkafka (confluent-kafka 2.16) does not offer them:
ListTransactions / DescribeTransactions (KIP-664), OffsetDelete and DescribeLogDirs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, ElectionType, KafkaException
from confluent_kafka import TopicPartition as CKTopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, OffsetSpec, ResourceType
from confluent_kafka.admin import ConfigSource as CKConfigSource

from kafkatui.backends.base import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP
from kafkatui.backends.confluent import kafka_error, result
from kafkatui.common.admin import ConfigEntry, ConfigType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.log.configs import TOPIC_CONFIGS

TIMEOUT_S = 10.0
ELECTION_TYPES = {"preferred": ElectionType.PREFERRED, "unclean": ElectionType.UNCLEAN}


async def broker_configs(admin: AdminClient, broker_id: int) -> list[ConfigEntry]:
    """DescribeConfigs(BROKER), which librdkafka sends to that broker itself."""
    futures = admin.describe_configs(
        [ConfigResource(ResourceType.BROKER, str(broker_id))], request_timeout=TIMEOUT_S
    )
    entries = await result(next(iter(futures.values())))
    return sorted((config_entry(e) for e in entries.values()), key=lambda e: e.name)


async def list_offsets(
    admin: AdminClient, topic: str, partitions: Sequence[int], timestamp: int
) -> dict[int, int]:
    """ListOffsets at each partition's leader; the first partition's error if one fails."""
    if timestamp == EARLIEST_TIMESTAMP:
        spec = OffsetSpec.earliest()
    elif timestamp == LATEST_TIMESTAMP:
        spec = OffsetSpec.latest()
    else:
        spec = OffsetSpec.for_timestamp(timestamp)
    futures = admin.list_offsets(
        {CKTopicPartition(topic, p): spec for p in partitions}, request_timeout=TIMEOUT_S
    )
    return {tp.partition: (await result(future)).offset for tp, future in futures.items()}


async def delete_records(admin: AdminClient, topic: str, partition: int, offset: int) -> int:
    # confluent-kafka's OFFSET_END (-1) is DeleteRecords' "up to the high watermark".
    futures = admin.delete_records([CKTopicPartition(topic, partition, offset)], request_timeout=TIMEOUT_S)
    deleted = await result(next(iter(futures.values())))
    return int(deleted.low_watermark)


async def elect_leaders(
    admin: AdminClient, election_type: str, partitions: Sequence[tuple[str, int]] | None
) -> dict[tuple[str, int], KafkaError | None]:
    kind = ELECTION_TYPES.get(election_type)
    if kind is None:
        raise KafkaError(
            ErrorCode.INVALID_REQUEST, f"the election type is preferred or unclean, not {election_type}"
        )
    wanted = None if partitions is None else [CKTopicPartition(t, p) for t, p in partitions]
    # No timeout argument: confluent-kafka 2.16's elect_leaders raises SystemError with one.
    answers = await result(admin.elect_leaders(kind, wanted))
    return {(tp.topic, tp.partition): _partition_error(error) for tp, error in answers.items()}


def _partition_error(error: Any) -> KafkaError | None:
    """One partition's outcome in an answer (librdkafka's KafkaException or KafkaError)."""
    if error is None:
        return None
    failure = kafka_error(error if isinstance(error, KafkaException) else KafkaException(error))
    if isinstance(failure, KafkaError):
        return failure
    return KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, str(error))


async def alter_group_offsets(
    admin: AdminClient, group_id: str, offsets: Mapping[tuple[str, int], int]
) -> None:
    request = ConsumerGroupTopicPartitions(
        group_id, [CKTopicPartition(t, p, offset) for (t, p), offset in sorted(offsets.items())]
    )
    futures = admin.alter_consumer_group_offsets([request], request_timeout=TIMEOUT_S)
    altered = await result(futures[group_id])
    for tp in altered.topic_partitions or []:
        failure = _partition_error(tp.error)  # e.g. UNKNOWN_MEMBER_ID while the group has members
        if failure is not None:
            raise failure


async def delete_group(admin: AdminClient, group_id: str) -> None:
    futures = admin.delete_consumer_groups([group_id], request_timeout=TIMEOUT_S)
    await result(futures[group_id])


def config_entry(entry: Any) -> ConfigEntry:
    """confluent-kafka's ConfigEntry as the engine's (types and docs of topic configs
    from Kafka's definitions; a client is not told them)."""
    definition = TOPIC_CONFIGS.get(entry.name)
    return ConfigEntry(
        name=entry.name,
        value=entry.value,
        source=_config_source(entry.source),
        is_default=bool(entry.is_default),
        read_only=bool(entry.is_read_only),
        sensitive=bool(entry.is_sensitive),
        type=definition.type if definition is not None else ConfigType.STRING,
        doc=definition.doc if definition is not None else "",
    )


def _config_source(source: Any) -> str:
    with contextlib.suppress(ValueError):
        return CKConfigSource(source).name
    return str(source)
