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
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.engine.controller.scram import ScramDeletion, ScramUpsertion
from kafkatui.engine.metadata.scram import CODE_OF
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class

DESCRIBE_KEY = 50
ALTER_KEY = 51


async def handle_describe(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(DESCRIBE_KEY, ctx.version)
    result, info = nested(cls, "DescribeUserScramCredentialsResult"), nested(cls, "CredentialInfo")
    if not auth.authorize_cluster(ctx, AclOperation.DESCRIBE):
        error = auth.denied(ResourceType.CLUSTER, AclOperation.DESCRIBE, "")
        return build(cls, throttle_time=0, error_code=error, error_message=error.message, results=())
    known = ctx.cluster.metadata.scram
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
                for m, c in sorted(known[name].items())
            )
            results.append(build(result, user=name, error_code=ErrorCode.NONE, error_message=None,
                                 credential_infos=infos))  # fmt: skip
    return build(cls, throttle_time=0, error_code=ErrorCode.NONE, error_message=None, results=tuple(results))


async def handle_alter(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(ALTER_KEY, ctx.version)
    result = nested(cls, "AlterUserScramCredentialsResult")
    keys = [(d.name, d.mechanism) for d in request.deletions] + [
        (u.name, u.mechanism) for u in request.upsertions
    ]
    if not auth.authorize_cluster(ctx, AclOperation.ALTER):  # every user refused (ControllerApis)
        error = auth.denied(ResourceType.CLUSTER, AclOperation.ALTER, "")
        return build(cls, throttle_time=0, results=tuple(
            build(result, user=name, error_code=error, error_message=error.message)
            for name in dict.fromkeys(k[0] for k in keys)
        ))  # fmt: skip
    alter = ctx.cluster.quorum.through_active(ctx.cluster.controller.scram.alter_credentials)
    try:
        errors = await alter(
            [ScramDeletion(d.name, d.mechanism) for d in request.deletions],
            [
                ScramUpsertion(u.name, u.mechanism, u.iterations, u.salt, u.salted_password)
                for u in request.upsertions
            ],
        )
    except KafkaError as failed:  # NOT_CONTROLLER, or the metadata log's disk
        errors = {name: failed for name in dict.fromkeys(k[0] for k in keys)}
    results = [
        build(
            result,
            user=name,
            error_code=ErrorCode.NONE if error is None else error.code,
            error_message=None if error is None else error.message,
        )
        for name, error in errors.items()
    ]
    return build(cls, throttle_time=0, results=tuple(results))


APIS = [
    Api(DESCRIBE_KEY, "DescribeUserScramCredentials", 0, 0, handle_describe),
    Api(ALTER_KEY, "AlterUserScramCredentials", 0, 0, handle_alter),
]
