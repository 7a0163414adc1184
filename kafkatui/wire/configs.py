"""DescribeConfigs (key 32): a topic's configs (its overrides over Kafka's defaults, from
the engine's `TopicConfig.entries`) and a broker's (`Cluster.broker_configs` and its
listener, read-only: kafkatui has no dynamic broker configs).

AlterConfigs (key 33, the old non-incremental API, deprecated by KIP-339): the configs
sent replace a topic's whole set of overrides; every override not named goes back to its
default, as Kafka's `ConfigurationControlManager.legacyAlterConfigs` does (a null value
removes one too). Validated by the engine's `TopicConfig` like IncrementalAlterConfigs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kafkatui.common.acl import AclOperation
from kafkatui.common.admin import ConfigEntry, ConfigSource, ConfigType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.wire import auth
from kafkatui.wire.api import Api, RequestContext
from kafkatui.wire.codec import build, nested, response_class

API_KEY = 32
ALTER_CONFIGS = 33
TOPIC = 2  # ConfigResource.Type
BROKER = 4
# DescribeConfigsResponse.ConfigSource and .ConfigType as Kafka numbers them.
SOURCES = {
    ConfigSource.DYNAMIC_TOPIC_CONFIG: 1,
    ConfigSource.STATIC_BROKER_CONFIG: 4,
    ConfigSource.DEFAULT_CONFIG: 5,
}
TYPES = {t: i for i, t in enumerate(ConfigType, start=1)}


def _broker_entries(ctx: RequestContext, broker_id: int) -> list[ConfigEntry]:
    """The broker's settings (the engine's) and, as only the server knows it, its listener."""
    host, port = ctx.server.addresses[broker_id]
    listeners = ConfigEntry(
        "listeners", f"PLAINTEXT://{host}:{port}", ConfigSource.STATIC_BROKER_CONFIG, False, True, False,
        ConfigType.LIST, "",
    )  # fmt: skip
    return sorted([*ctx.cluster.broker_configs(broker_id), listeners], key=lambda e: e.name)


def check_config_access(ctx: RequestContext, operation: AclOperation, resource_type: int, name: str) -> None:
    """DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic, or on the cluster for a broker's
    configs (KafkaApis: TOPIC_ or CLUSTER_AUTHORIZATION_FAILED)."""
    if resource_type == TOPIC:
        auth.check_topic(ctx, operation, name)
    elif resource_type == BROKER:
        auth.check_cluster(ctx, operation)


async def handle(ctx: RequestContext, request: Any) -> Any:
    cls = response_class(API_KEY, ctx.version)
    result_cls = nested(cls, "DescribeConfigsResult")
    entry_cls = nested(cls, "DescribeConfigsResourceResult")
    synonym_cls = nested(cls, "DescribeConfigsSynonym")
    synonyms = getattr(request, "include_synonyms", False)
    docs = getattr(request, "include_documentation", False)

    def entry(
        name: str, value: str | None, source: int, read_only: bool, sensitive: bool, kind: int, doc: str
    ) -> Any:
        return build(
            entry_cls,
            name=name,
            value=value,
            read_only=read_only,
            config_source=source,
            is_default=source == 5,
            is_sensitive=sensitive,
            synonyms=(build(synonym_cls, name=name, value=value, source=source),) if synonyms else (),
            config_type=kind,
            documentation=doc if docs else None,
        )

    def config_entry(e: ConfigEntry) -> Any:
        return entry(
            e.name, e.value, SOURCES[ConfigSource(e.source)], e.read_only, e.sensitive, TYPES[e.type], e.doc
        )

    results = []
    for resource in request.resources:
        wanted = None if resource.configuration_keys is None else set(resource.configuration_keys)
        try:
            check_config_access(
                ctx, AclOperation.DESCRIBE_CONFIGS, int(resource.resource_type), resource.resource_name
            )
            if resource.resource_type == TOPIC:
                entries = ctx.cluster.topic(resource.resource_name).config.entries()
                configs = [config_entry(e) for e in entries]
            elif resource.resource_type == BROKER:
                broker_id = int(resource.resource_name or ctx.broker_id)
                if broker_id not in ctx.server.addresses:
                    raise KafkaError(ErrorCode.INVALID_REQUEST, f"there is no broker {broker_id}")
                configs = [config_entry(e) for e in _broker_entries(ctx, broker_id)]
            else:
                raise KafkaError(
                    ErrorCode.INVALID_REQUEST, f"resource type {resource.resource_type} is not supported"
                )
        except (KafkaError, ValueError) as error:
            failure = (
                error if isinstance(error, KafkaError) else KafkaError(ErrorCode.INVALID_REQUEST, str(error))
            )
            results.append(
                build(
                    result_cls,
                    error_code=failure,
                    error_message=failure.message,
                    resource_type=resource.resource_type,
                    resource_name=resource.resource_name,
                    configs=(),
                )
            )
            continue
        if wanted is not None:
            configs = [c for c in configs if c.name in wanted]
        results.append(
            build(
                result_cls,
                error_code=ErrorCode.NONE,
                error_message=None,
                resource_type=resource.resource_type,
                resource_name=resource.resource_name,
                configs=tuple(configs),
            )
        )
    return build(cls, throttle_time=0, results=tuple(results))


async def alter_resource_configs(
    ctx: RequestContext,
    api_key: int,
    request: Any,
    changes_of: Callable[[RequestContext, str, Any], dict[str, str | None]],
) -> Any:
    """AlterConfigs and IncrementalAlterConfigs: per resource, the topic's changed
    overrides (`changes_of` reads the request's configs) through the controller, or only
    checked (`validate_only`); broker configs are fixed here (INVALID_REQUEST)."""
    cls = response_class(api_key, ctx.version)
    result_cls = nested(cls, "AlterConfigsResourceResponse")
    results = []
    for r in request.resources:
        error: KafkaError | None = None
        try:
            check_config_access(ctx, AclOperation.ALTER_CONFIGS, int(r.resource_type), r.resource_name)
            if int(r.resource_type) != TOPIC:
                raise KafkaError(
                    ErrorCode.INVALID_REQUEST,
                    "only topic configs can be altered here (broker configs are fixed)",
                )
            changes = changes_of(ctx, r.resource_name, r.configs)
            if request.validate_only:
                ctx.cluster.topic(r.resource_name).config.with_changes(changes)
            else:
                await ctx.cluster.alter_topic_configs(r.resource_name, changes)
        except KafkaError as failure:
            error = failure
        results.append(
            build(
                result_cls, error_code=error or ErrorCode.NONE,
                error_message=error.message if error else None, resource_type=r.resource_type,
                resource_name=r.resource_name,
            )
        )  # fmt: skip
    return build(cls, throttle_time=0, responses=tuple(results))


def _replacement(ctx: RequestContext, name: str, configs: Any) -> dict[str, str | None]:
    """AlterConfigs' configs as changes: the named ones become the topic's overrides and
    every other override goes back to its default."""
    wanted: dict[str, str | None] = {c.name: c.value for c in configs}
    current = ctx.cluster.topic(name).config.overrides
    return {name: None for name in current if name not in wanted} | wanted


async def alter_configs(ctx: RequestContext, request: Any) -> Any:
    return await alter_resource_configs(ctx, ALTER_CONFIGS, request, _replacement)


APIS = [
    Api(API_KEY, "DescribeConfigs", 1, 4, handle),
    Api(ALTER_CONFIGS, "AlterConfigs", 0, 2, alter_configs),
]
