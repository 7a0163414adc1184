"""DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554) with
confluent-kafka's AdminClient: a user made over the wire can log in at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from kafkatui.wire.security.credentials import MECHANISMS, CredentialStore
from kafkatui.wire.security.listener import ListenerConfig, SecurityProtocol
from tests.wire.conftest import ServedCluster
from tests.wire.security_clients import connection_errors, secured


def sasl(user: str, password: str, mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
    return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": mechanism, "sasl.username": user,
            "sasl.password": password}  # fmt: skip


@pytest.fixture(scope="module")
def served() -> Iterator[ServedCluster]:
    store = CredentialStore()
    store.add("alice", "alice-secret", MECHANISMS)
    with secured(ListenerConfig.for_protocol(SecurityProtocol.SASL_PLAINTEXT), users=store) as s:
        yield s


def admin(served: ServedCluster) -> AdminClient:
    return AdminClient({"bootstrap.servers": served.bootstrap, **sasl("alice", "alice-secret")})


def test_a_user_altered_over_the_wire_logs_in(served: ServedCluster) -> None:
    client = admin(served)
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
    for future in client.alter_user_scram_credentials(
        [UserScramCredentialUpsertion("carol", info, b"carol-pw", b"a-salt-of-carol")]
    ).values():
        assert future.result(10) is None
    assert not connection_errors(served.bootstrap, sasl("carol", "carol-pw"))
    assert not connection_errors(served.bootstrap, sasl("carol", "carol-pw", "PLAIN"))
    assert connection_errors(served.bootstrap, sasl("carol", "wrong"))
    described = client.describe_user_scram_credentials(["carol"])["carol"].result(10)
    assert [(i.mechanism, i.iterations) for i in described.scram_credential_infos] == [
        (ScramMechanism.SCRAM_SHA_512, 8192)
    ]
    for future in client.alter_user_scram_credentials(
        [UserScramCredentialDeletion("carol", ScramMechanism.SCRAM_SHA_512)]
    ).values():
        future.result(10)
    assert connection_errors(served.bootstrap, sasl("carol", "carol-pw"))


def test_kafkas_answers_for_what_cannot_be_done(served: ServedCluster) -> None:
    client = admin(served)
    with pytest.raises(KafkaException, match="does not exist"):
        client.alter_user_scram_credentials(
            [UserScramCredentialDeletion("nobody", ScramMechanism.SCRAM_SHA_256)]
        )["nobody"].result(10)
    with pytest.raises(KafkaException, match="Too few iterations"):
        client.alter_user_scram_credentials(
            [
                UserScramCredentialUpsertion(
                    "dave", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 100), b"pw"
                )
            ]
        )["dave"].result(10)
    with pytest.raises(KafkaException, match="does not exist"):
        client.describe_user_scram_credentials(["nobody"])["nobody"].result(10)
