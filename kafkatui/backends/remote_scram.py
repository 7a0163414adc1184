"""Describe/AlterUserScramCredentials (KIP-554) through confluent-kafka's `AdminClient`,
for RemoteBackend, in `common/scram.py`'s types. librdkafka salts and hashes the
password itself, so it never crosses the wire."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from confluent_kafka import KafkaException
from confluent_kafka import admin as ck

from kafkatui.backends.confluent import kafka_error, result
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.scram import UserScramDeletion, UserScramUpsertion

TIMEOUT_S = 10.0


def _mechanism(name: str) -> ck.ScramMechanism:
    try:
        return ck.ScramMechanism[name.replace("-", "_")]
    except KeyError:
        raise KafkaError(ErrorCode.UNSUPPORTED_SASL_MECHANISM, f"unknown SCRAM mechanism {name}") from None


async def describe(admin: ck.AdminClient) -> dict[str, dict[str, int]]:
    future = admin.describe_user_scram_credentials(request_timeout=TIMEOUT_S)
    described = await result(future)
    return {
        user: {i.mechanism.name.replace("_", "-"): i.iterations for i in d.scram_credential_infos}
        for user, d in sorted(described.items())
    }


async def alter(
    admin: ck.AdminClient, upsertions: Sequence[UserScramUpsertion], deletions: Sequence[UserScramDeletion]
) -> dict[str, KafkaError | None]:
    changes: list[ck.UserScramCredentialAlteration] = [
        ck.UserScramCredentialDeletion(d.user, _mechanism(d.mechanism)) for d in deletions
    ]
    changes += [
        ck.UserScramCredentialUpsertion(
            u.user, ck.ScramCredentialInfo(_mechanism(u.mechanism), u.iterations), u.password.encode()
        )
        for u in upsertions
    ]
    futures = admin.alter_user_scram_credentials(changes, request_timeout=TIMEOUT_S)
    outcomes: dict[str, KafkaError | None] = {}
    for user, future in futures.items():
        try:
            await asyncio.wrap_future(future)
            outcomes[user] = None
        except KafkaException as error:
            outcomes[user] = kafka_error(error)
    return outcomes
