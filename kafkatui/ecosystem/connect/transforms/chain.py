"""A connector's transformation chain, configured as Kafka's ConnectorConfig does:
`transforms=a,b`, `transforms.a.type=<class>`, the transform's own configs under
`transforms.a.`, and `transforms.a.predicate` / `transforms.a.negate` naming one of
`predicates=p` (`predicates.p.type`, its configs under `predicates.p.`).

`enrich` is ConnectorConfig.enrich: the per-alias ConfigKeys (group "Transforms: a") a
validation reports on, each with its problems; `build` makes the chain a task runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kafkatui.ecosystem.connect.config import (
    NO_DEFAULT,
    ConfigDef,
    ConfigException,
    ConfigKey,
    ConfigType,
    Importance,
    parse,
)
from kafkatui.ecosystem.connect.plugins import Plugins, TransformDesc, UnknownPlugin
from kafkatui.ecosystem.connect.transforms.base import ConnectRecord, Predicate, Transformation

PREDICATE, NEGATE = "predicate", "negate"  # PredicatedTransformation's implicit configs


def aliases(props: Mapping[str, Any], config: str) -> list[str]:
    """The unique aliases in `transforms` or `predicates`, in order."""
    raw = props.get(config)
    if raw is None:
        return []
    try:
        listed = parse(ConfigKey(config, ConfigType.LIST, "", Importance.LOW, ""), raw)
    except ConfigException:
        return []
    return list(dict.fromkeys(a for a in listed if a))


def _prefixed(prefix: str, props: Mapping[str, Any]) -> dict[str, Any]:
    return {k[len(prefix) :]: v for k, v in props.items() if k.startswith(prefix)}


def _find(plugins: Plugins, kind: str, name: str) -> TransformDesc:
    return plugins.find_transformation(name) if kind == "transforms" else plugins.find_predicate(name)


def enrich(plugins: Plugins, props: Mapping[str, Any]) -> tuple[ConfigDef, dict[str, list[str]]]:
    """The transforms' and predicates' ConfigKeys for `props`, and the problems no single
    key's validator sees (a type that is no such plugin, a negate without a predicate, a
    predicate alias not in `predicates`), per config name."""
    d = ConfigDef()
    problems: dict[str, list[str]] = {}
    defined_predicates = set(aliases(props, "predicates"))
    for config, kind, group in (
        ("transforms", "Transformation", "Transforms"),
        ("predicates", "Predicate", "Predicates"),
    ):
        for alias in aliases(props, config):
            prefix = f"{config}.{alias}."
            type_config = f"{prefix}type"
            d.keys[type_config] = ConfigKey(
                type_config, ConfigType.CLASS, NO_DEFAULT, Importance.HIGH,
                f"Class for the '{alias}' {kind.lower()}.", group=f"{group}: {alias}",
                display_name=f"{kind} type for {alias}", order=len(d.keys) + 1,
            )  # fmt: skip
            if config == "transforms":
                d.define(
                    f"{prefix}{PREDICATE}",
                    ConfigType.STRING,
                    "",
                    Importance.MEDIUM,
                    "The alias of a predicate used to determine whether to apply this transformation.",
                    group=f"{group}: {alias}",
                )
                d.define(
                    f"{prefix}{NEGATE}",
                    ConfigType.BOOLEAN,
                    False,
                    Importance.MEDIUM,
                    "Whether the configured predicate should be negated.",
                    group=f"{group}: {alias}",
                )
                predicate = str(props.get(f"{prefix}{PREDICATE}") or "").strip()
                if f"{prefix}{NEGATE}" in props and not predicate:
                    problems.setdefault(type_config, []).append(
                        f"Config '{prefix}{NEGATE}' was provided but there is no config "
                        f"'{prefix}{PREDICATE}' defining a predicate to be negated."
                    )
                if predicate and predicate not in defined_predicates:
                    problems.setdefault(f"{prefix}{PREDICATE}", []).append(
                        f"Invalid value {predicate} for configuration {prefix}{PREDICATE}: "
                        f"no predicate {predicate} in predicates ({props.get('predicates') or ''})"
                    )
            if type_config not in props:
                continue  # the missing type is the type key's own problem
            try:
                desc = _find(plugins, config, str(props[type_config]))
            except UnknownPlugin as error:
                problems.setdefault(type_config, []).append(
                    f"Invalid value {props[type_config]} for configuration {type_config}: {error}"
                )
                continue
            for name, key in desc.cls().config_def().keys.items():
                if config == "transforms" and name in (PREDICATE, NEGATE):
                    continue  # the implicit configs mask the transform's own
                d.keys[f"{prefix}{name}"] = ConfigKey(
                    f"{prefix}{name}", key.type, key.default, key.importance, key.documentation,
                    key.validators, f"{group}: {alias}", key.display_name, order=len(d.keys) + 1,
                )  # fmt: skip
    return d, problems


@dataclass
class TransformationStage:
    """One transform, applied only where its predicate (negated or not) holds
    (PredicatedTransformation)."""

    alias: str
    transform: Transformation
    predicate: Predicate | None = None
    negate: bool = False

    @property
    def class_name(self) -> str:
        return self.transform.class_name or type(self.transform).__qualname__

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        if self.predicate is not None and self.predicate.test(record) == self.negate:
            return record
        return self.transform.apply(record)

    def close(self) -> None:
        self.transform.close()
        if self.predicate is not None:
            self.predicate.close()


def _type_of(props: Mapping[str, Any], prefix: str) -> str:
    if f"{prefix}type" not in props:
        raise ConfigException(f'Missing required configuration "{prefix}type" which has no default value.')
    return str(props[f"{prefix}type"])


def build(plugins: Plugins, props: Mapping[str, Any]) -> list[TransformationStage]:
    """The configured chain (ConnectorConfig.transformations); ConfigException or
    UnknownPlugin if a transform or predicate cannot be made."""
    predicates: dict[str, Predicate] = {}
    for alias in aliases(props, "predicates"):
        prefix = f"predicates.{alias}."
        predicate = plugins.find_predicate(_type_of(props, prefix)).cls()
        predicate.configure(_prefixed(prefix, props))
        predicates[alias] = predicate
    chain: list[TransformationStage] = []
    for alias in aliases(props, "transforms"):
        prefix = f"transforms.{alias}."
        transform = plugins.find_transformation(_type_of(props, prefix)).cls()
        own = _prefixed(prefix, props)
        predicate_alias = str(own.pop(PREDICATE, "") or "").strip()
        negate = parse(
            ConfigKey(f"{prefix}{NEGATE}", ConfigType.BOOLEAN, False, Importance.LOW, ""),
            own.pop(NEGATE, False),
        )
        own.pop("type", None)
        transform.configure(own)
        if predicate_alias and predicate_alias not in predicates:
            raise ConfigException(
                f"Invalid value {predicate_alias} for configuration {prefix}{PREDICATE}: no such predicate"
            )
        chain.append(TransformationStage(alias, transform, predicates.get(predicate_alias), bool(negate)))
    return chain
