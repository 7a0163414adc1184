"""AlterConfigs (key 33, the old non-incremental API): the configs sent replace a topic's
whole set of overrides, checked like any config change; validate_only changes nothing."""

from __future__ import annotations

import pytest

from tests.wire.conftest import ServedCluster


def overrides(served: ServedCluster, topic: str) -> dict[str, str]:
    return dict(served.cluster.topic(topic).config.overrides)


def test_confluent_alter_configs_replaces_every_override(served: ServedCluster) -> None:
    ck_admin = pytest.importorskip("confluent_kafka.admin")
    served.call(
        served.cluster.create_topic("ledger", 1, 1, {"retention.ms": "1000", "cleanup.policy": "compact"})
    )
    admin = ck_admin.AdminClient({"bootstrap.servers": served.bootstrap})
    resource = ck_admin.ConfigResource(
        ck_admin.ResourceType.TOPIC, "ledger", set_config={"retention.ms": "5000"}
    )
    admin.alter_configs([resource], validate_only=True)[resource].result(10)
    assert overrides(served, "ledger") == {"retention.ms": "1000", "cleanup.policy": "compact"}
    admin.alter_configs([resource])[resource].result(10)
    # cleanup.policy was not named: it goes back to its default, as Kafka's AlterConfigs does.
    assert overrides(served, "ledger") == {"retention.ms": "5000"}
    bad = ck_admin.ConfigResource(ck_admin.ResourceType.TOPIC, "ledger", set_config={"retention.ms": "soon"})
    with pytest.raises(ck_admin.KafkaException) as refused:
        admin.alter_configs([bad])[bad].result(10)
    assert refused.value.args[0].name() == "INVALID_CONFIG"
    assert overrides(served, "ledger") == {"retention.ms": "5000"}  # nothing half-applied
    missing = ck_admin.ConfigResource(ck_admin.ResourceType.TOPIC, "nosuch", set_config={"retention.ms": "1"})
    with pytest.raises(ck_admin.KafkaException) as refused:
        admin.alter_configs([missing])[missing].result(10)
    assert refused.value.args[0].name() == "UNKNOWN_TOPIC_OR_PART"


def test_kafka_python_alter_configs_without_incremental(served: ServedCluster) -> None:
    kafka_admin = pytest.importorskip("kafka.admin")
    served.call(served.cluster.create_topic("orders", 1, 1, {"retention.ms": "1000"}))
    admin = kafka_admin.KafkaAdminClient(bootstrap_servers=served.bootstrap)
    try:
        topic = kafka_admin.ConfigResourceType.TOPIC
        change = kafka_admin.ConfigResource(topic, "orders", configs={"max.message.bytes": "2000000"})
        result = admin.alter_configs([change], incremental=False, raise_on_unknown=False, validate_only=True)
        assert result == {"topic": {"orders": "OK"}}
        assert overrides(served, "orders") == {"retention.ms": "1000"}
        result = admin.alter_configs([change], incremental=False, raise_on_unknown=False)
        assert result == {"topic": {"orders": "OK"}}
        # kafka-python re-sends the other dynamic configs itself, so retention.ms stays.
        assert overrides(served, "orders") == {"retention.ms": "1000", "max.message.bytes": "2000000"}
        bad = kafka_admin.ConfigResource(topic, "orders", configs={"cleanup.policy": "never"})
        result = admin.alter_configs([bad], incremental=False, raise_on_unknown=False)
        assert "InvalidConfigurationError" in result["topic"]["orders"]
    finally:
        admin.close()
