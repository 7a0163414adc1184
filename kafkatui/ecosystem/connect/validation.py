"""What every connector config holds besides the plugin's own (Kafka's ConnectorConfig
and SinkConnectorConfig), and `validate`, which checks a whole config and reports every
problem per field as ConfigInfos — the body of `PUT /connector-plugins/{plugin}/config/
validate`, and of POST /connectors' 400 when a config is refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kafkatui.ecosystem.connect import eos
from kafkatui.ecosystem.connect.config import (
    ConfigDef,
    ConfigException,
    ConfigType,
    ConfigValue,
    Importance,
    at_least,
    non_empty_string,
)
from kafkatui.ecosystem.connect.converters import canonical
from kafkatui.ecosystem.connect.errors import error_config_def
from kafkatui.ecosystem.connect.plugins import PluginDesc, Plugins
from kafkatui.ecosystem.connect.transforms import chain

COMMON, TRANSFORMS, PREDICATES = "Common", "Transforms", "Predicates"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"


def _converter(name: str, value: Any) -> None:
    if value is not None and canonical(str(value)) is None:
        raise ConfigException(
            f"Invalid value {value} for configuration {name}: Class {value} could not be found."
        )


def _unique(name: str, value: Any) -> None:
    """ConnectorConfig's aliases validator: no alias twice."""
    listed = [v for v in value or () if v]
    if len(set(listed)) != len(listed):
        raise ConfigException(
            f"Invalid value {','.join(listed)} for configuration {name}: Duplicate alias provided."
        )


def connector_config_def(kind: str) -> ConfigDef:
    """ConnectorConfig.configDef(), plus SinkConnectorConfig's topics and dead letter
    queue for a sink (the transforms' own keys come from chain.enrich)."""
    d = ConfigDef()
    d.define(
        "name",
        ConfigType.STRING,
        importance=Importance.HIGH,
        validators=[non_empty_string],
        documentation="Globally unique name to use for this connector.",
        group=COMMON,
        display_name="Connector name",
    )
    d.define(
        "connector.class",
        ConfigType.STRING,
        importance=Importance.HIGH,
        group=COMMON,
        display_name="Connector class",
        documentation="Name or alias of the class for this connector. Must be a subclass of "
        "kafkatui.ecosystem.connect.api.Connector (FileStreamSink, FileStreamSinkConnector or "
        "org.apache.kafka.connect.file.FileStreamSinkConnector all name the same one).",
    )
    d.define(
        "tasks.max",
        ConfigType.INT,
        1,
        Importance.HIGH,
        "Maximum number of tasks to use for this connector.",
        validators=[at_least(1)],
        group=COMMON,
        display_name="Tasks max",
    )
    d.define(
        "key.converter",
        ConfigType.CLASS,
        None,
        Importance.LOW,
        "Converter class used to convert between Kafka Connect format and the serialized form that is "
        "written to Kafka. The worker's (JsonConverter) if not set.",
        validators=[_converter],
        group=COMMON,
        display_name="Key converter class",
    )
    d.define(
        "value.converter",
        ConfigType.CLASS,
        None,
        Importance.LOW,
        "Converter class for values; the worker's (JsonConverter) if not set.",
        validators=[_converter],
        group=COMMON,
        display_name="Value converter class",
    )
    if kind == "sink":
        d.define(
            "topics",
            ConfigType.LIST,
            "",
            Importance.HIGH,
            "List of topics to consume, separated by commas",
            group=COMMON,
            display_name="Topics",
        )
        d.define(
            "topics.regex",
            ConfigType.STRING,
            "",
            Importance.HIGH,
            "Regular expression giving topics to consume (not in kafkatui's worker yet)",
            group=COMMON,
            display_name="Topics regex",
        )
    d.define(
        "transforms",
        ConfigType.LIST,
        "",
        Importance.LOW,
        "Aliases for the transformations to be applied to records.",
        validators=[_unique],
        group=TRANSFORMS,
        display_name="Transforms",
    )
    d.define(
        "predicates",
        ConfigType.LIST,
        "",
        Importance.LOW,
        "Aliases for the predicates used by transformations.",
        validators=[_unique],
        group=PREDICATES,
        display_name="Predicates",
    )
    d = d.merged(error_config_def(kind))
    return d.merged(eos.source_config_def()) if kind == "source" else d  # fmt: skip


def _sink_topics(values: dict[str, ConfigValue]) -> None:
    topics = [t for t in (values["topics"].value or []) if t]
    regex = values["topics.regex"].value or ""
    if topics and regex:
        message = "topics and topics.regex are mutually exclusive."
        values["topics"] = _with(values["topics"], message)
        values["topics.regex"] = _with(values["topics.regex"], message)
    elif regex:
        values["topics.regex"] = _with(
            values["topics.regex"], "topics.regex is not in kafkatui's worker yet; list the topics in topics"
        )
    elif not topics and not values["topics"].errors:
        message = "Must configure one of topics or topics.regex"
        values["topics"] = _with(values["topics"], message)
        values["topics.regex"] = _with(values["topics.regex"], message)


def _dlq_not_consumed(values: dict[str, ConfigValue]) -> None:
    """SinkConnectorConfig.validate: a sink may not read its own dead letter queue."""
    dlq = (values["errors.deadletterqueue.topic.name"].value or "").strip()
    topics = [t for t in (values["topics"].value or []) if t]
    if dlq and dlq in topics:
        name = "errors.deadletterqueue.topic.name"
        values[name] = _with(
            values[name],
            f"The DLQ topic '{dlq}' may not be included in the list of topics ('topics={','.join(topics)}') "
            "consumed by the connector",
        )


def _with(value: ConfigValue, message: str) -> ConfigValue:
    return ConfigValue(value.name, value.value, (*value.errors, message))


def validate(
    plugin: PluginDesc,
    props: Mapping[str, Any],
    plugins: Plugins | None = None,
    *,
    exactly_once: bool = False,
) -> dict[str, Any]:
    """ConfigInfos for `props` as a config of `plugin`: every config the worker, the
    plugin, and each transform and predicate define, each with its value and its errors
    (`exactly_once`: the worker has exactly.once.source.support=enabled)."""
    common = connector_config_def(plugin.kind)
    enriched, enrich_problems = chain.enrich(plugins or Plugins(), props)
    common = common.merged(enriched)
    values = common.validate(props)
    for name, found in enrich_problems.items():
        values[name] = ConfigValue(name, values[name].value, (*values[name].errors, *found))
    if plugin.kind == "sink":
        _sink_topics(values)
        _dlq_not_consumed(values)
    connector = plugin.cls()
    if plugin.kind == "source":
        eos.check(connector, props, values, exactly_once)
    own = connector.config_def()
    own_values = own.validate(props)
    try:
        extra = connector.validate(props)
    except Exception as error:  # a plugin's own check that breaks is a problem of the config
        extra = {"connector.class": [f"{type(error).__name__}: {error}"]}
    for name, problems in extra.items():
        target = own_values if name in own_values else values
        if name in target:
            target[name] = ConfigValue(name, target[name].value, (*target[name].errors, *problems))
    definitions = {
        **{k: common.keys[k] for k in values},
        **{k: own.keys[k] for k in own_values if k not in values},
    }
    merged = {**values, **{k: v for k, v in own_values.items() if k not in values}}
    groups: list[str] = []
    for key in definitions.values():
        if key.group and key.group not in groups:
            groups.append(key.group)
    configs = [
        {"definition": definitions[n].info(), "value": v.info(definitions[n].type)} for n, v in merged.items()
    ]
    return {
        "name": plugin.class_name,
        "error_count": sum(len(v.errors) for v in merged.values()),
        "groups": groups,
        "configs": configs,
    }


def problems(infos: dict[str, Any]) -> list[str]:
    """Every error in a ConfigInfos, as Connect's 400 lists them (one per line)."""
    return [error for config in infos["configs"] for error in config["value"]["errors"]]
