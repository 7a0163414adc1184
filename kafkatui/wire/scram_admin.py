"""DescribeUserScramCredentials (key 50) and AlterUserScramCredentials (key 51), KIP-554:
SASL/SCRAM users managed over the wire, so confluent-kafka's AdminClient and
`kafka-configs.sh --entity-type users` work on the same users as `kafkatui user`.

The client salts and hashes the password itself (Alter carries salt and SaltedPassword);
the broker keeps StoredKey and ServerKey only. Checks and messages as Kafka's
`ScramControlManager` and `ControllerApis`; with an authorizer, Describe needs DESCRIBE
and Alter ALTER on the CLUSTER (CLUSTER_AUTHORIZATION_FAILED).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kafkatui.common.acl import AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class
from kafkatui.wire.security.credentials import (
    MAX_ITERATIONS,
    MIN_ITERATIONS,
    SCRAM_SHA_256,
    SCRAM_SHA_512,
    CredentialStore,
    ScramCredential,
    from_salted_password,
)

DESCRIBE_KEY = 50
ALTER_KEY = 51
MECHANISM_CODES = {1: SCRAM_SHA_256, 2: SCRAM_SHA_512}  # org.apache.kafka.clients.admin.ScramMechanism
ALTERED_TWICE = "A user credential cannot be altered twice in the same request"
NOT_THERE = "Attempt to delete a user credential that does not exist"
CODE_OF = {name: code for code, name in MECHANISM_CODES.items()}


def _store(ctx: RequestContext) -> CredentialStore:
    return ctx.server.listener.credentials  # type: ignore[attr-defined]


async def handle_describe(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(DESCRIBE_KEY, ctx.version)
    result, info = nested(cls, "DescribeUserScramCredentialsResult"), nested(cls, "CredentialInfo")
    if not auth.authorize_cluster(ctx, AclOperation.DESCRIBE):
        error = auth.denied(ResourceType.CLUSTER, AclOperation.DESCRIBE, "")
        return build(cls, throttle_time=0, error_code=error, error_message=error.message, results=())
    store = _store(ctx)
    known = store.users()
    asked = [u.name for u in request.users] if request.users else sorted(known)
    twice = {name for name, n in Counter(asked).items() if n > 1}
    results = []
    for name in dict.fromkeys(asked):
        if name in twice:
            results.append(build(result, user=name, error_code=ErrorCode.DUPLICATE_RESOURCE,
                                 error_message="Cannot describe SCRAM credentials for the same user twice "
                                 "in a single request", credential_infos=()))  # fmt: skip
        elif name not in known:
            results.append(build(result, user=name, error_code=ErrorCode.RESOURCE_NOT_FOUND,
                                 error_message="Attempt to describe a user credential that does not exist",
                                 credential_infos=()))  # fmt: skip
        else:
            infos = tuple(
                build(info, mechanism=CODE_OF[m], iterations=c.iterations)
                for m in known[name]
                if (c := store.get(name, m)) is not None
            )
            results.append(build(result, user=name, error_code=ErrorCode.NONE, error_message=None,
                                 credential_infos=infos))  # fmt: skip
    return build(cls, throttle_time=0, error_code=ErrorCode.NONE, error_message=None, results=tuple(results))


async def handle_alter(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(ALTER_KEY, ctx.version)
    result = nested(cls, "AlterUserScramCredentialsResult")
    store = _store(ctx)
    keys = [(d.name, d.mechanism) for d in request.deletions] + [
        (u.name, u.mechanism) for u in request.upsertions
    ]
    if not auth.authorize_cluster(ctx, AclOperation.ALTER):  # every user refused (ControllerApis)
        error = auth.denied(ResourceType.CLUSTER, AclOperation.ALTER, "")
        return build(cls, throttle_time=0, results=tuple(
            build(result, user=name, error_code=error, error_message=error.message)
            for name in dict.fromkeys(k[0] for k in keys)
        ))  # fmt: skip
    twice = {k for k, n in Counter(keys).items() if n > 1}
    errors: dict[str, tuple[ErrorCode, str]] = {}
    upserts: dict[tuple[str, str], ScramCredential] = {}
    deletions: set[tuple[str, str]] = set()

    def check(name: str, code: int) -> str | None:
        if not name:
            errors.setdefault(name, (ErrorCode.UNACCEPTABLE_CREDENTIAL, "Username must not be empty"))
        elif code not in MECHANISM_CODES:
            errors.setdefault(name, (ErrorCode.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism"))
        elif (name, code) in twice:
            errors.setdefault(name, (ErrorCode.DUPLICATE_RESOURCE, ALTERED_TWICE))
        else:
            return MECHANISM_CODES[code]
        return None

    for d in request.deletions:
        mechanism = check(d.name, d.mechanism)
        if mechanism is None:
            continue
        if store.get(d.name, mechanism) is None:
            errors.setdefault(d.name, (ErrorCode.RESOURCE_NOT_FOUND, NOT_THERE))
        else:
            deletions.add((d.name, mechanism))
    for u in request.upsertions:
        mechanism = check(u.name, u.mechanism)
        if mechanism is None:
            continue
        if u.iterations < MIN_ITERATIONS:
            errors.setdefault(u.name, (ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too few iterations"))
        elif u.iterations > MAX_ITERATIONS:
            errors.setdefault(u.name, (ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too many iterations"))
        else:
            upserts[(u.name, mechanism)] = from_salted_password(
                mechanism, u.salted_password, u.salt, u.iterations
            )
    # A user with any error has none of its changes applied (Kafka answers per user).
    store.alter(
        {k: v for k, v in upserts.items() if k[0] not in errors}, {k for k in deletions if k[0] not in errors}
    )
    results = [
        build(
            result,
            user=name,
            error_code=errors.get(name, (ErrorCode.NONE, None))[0],
            error_message=errors.get(name, (ErrorCode.NONE, None))[1],
        )
        for name in dict.fromkeys(k[0] for k in keys)
    ]
    return build(cls, throttle_time=0, results=tuple(results))


APIS = [
    Api(DESCRIBE_KEY, "DescribeUserScramCredentials", 0, 0, handle_describe),
    Api(ALTER_KEY, "AlterUserScramCredentials", 0, 0, handle_alter),
]
