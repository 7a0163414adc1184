"""Per-connector client overrides (KIP-458): a connector config's `consumer.override.*`
keys set its sink tasks' consumer configs, as Kafka 3.x's default
`connector.client.config.override.policy=All` allows. Only the group-membership timers
are taken so far: a connector that tolerates a shorter session.timeout.ms sees its tasks
move sooner when a worker dies (its dead consumers leave the sink's group sooner)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from kafkatui.common.clients import ConsumerConfig
from kafkatui.common.errors import ErrorCode, KafkaError

CONSUMER_PREFIX = "consumer.override."  # ConnectorConfig.CONNECTOR_CLIENT_CONSUMER_OVERRIDES_PREFIX
_INT_CONFIGS = ("session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms")


def with_consumer_overrides(config: ConsumerConfig, connector: Mapping[str, str]) -> ConsumerConfig:
    """`config` with the connector's `consumer.override.<name>` values for the timers."""
    changes: dict[str, int] = {}
    for name in _INT_CONFIGS:
        text = connector.get(CONSUMER_PREFIX + name)
        if text is None:
            continue
        try:
            changes[name.replace(".", "_")] = int(text)
        except ValueError:
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"Invalid value {text} for configuration {name}: Not a number of type INT",
            ) from None
    return dataclasses.replace(config, **changes) if changes else config
