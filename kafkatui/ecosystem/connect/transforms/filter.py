"""Filter and the predicates (KIP-585): `Filter` drops every record it is applied to,
so it is used with a predicate — `transforms.<alias>.predicate` names one of the
connector's `predicates`, `transforms.<alias>.negate` inverts it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kafkatui.ecosystem.connect.config import NO_DEFAULT, ConfigDef, ConfigType, Importance, non_empty_string
from kafkatui.ecosystem.connect.transforms.base import ConnectRecord, Predicate, Transformation
from kafkatui.ecosystem.connect.transforms.fields import PACKAGE
from kafkatui.ecosystem.connect.transforms.routers import java_regex, regex_validator

PREDICATES_PACKAGE = f"{PACKAGE}.predicates"


class Filter(Transformation):
    """Drops all records, filtering them from subsequent transformations in the chain."""

    class_name = f"{PACKAGE}.Filter"

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return None


class TopicNameMatches(Predicate):
    """True for a record whose topic matches `pattern` (all of it)."""

    class_name = f"{PREDICATES_PACKAGE}.TopicNameMatches"

    def config_def(self) -> ConfigDef:
        return ConfigDef().define(
            "pattern", ConfigType.STRING, NO_DEFAULT, Importance.MEDIUM,
            "A Java regular expression for matching against the name of a record's topic.",
            validators=[non_empty_string, regex_validator],
        )  # fmt: skip

    def configure(self, props: Mapping[str, Any]) -> None:
        self.pattern = java_regex(self.config_def().parse(props)["pattern"])

    def test(self, record: ConnectRecord) -> bool:
        return record.topic is not None and self.pattern.fullmatch(record.topic) is not None


class HasHeaderKey(Predicate):
    """True for a record with at least one header named `name`."""

    class_name = f"{PREDICATES_PACKAGE}.HasHeaderKey"

    def config_def(self) -> ConfigDef:
        return ConfigDef().define(
            "name", ConfigType.STRING, NO_DEFAULT, Importance.MEDIUM, "The header name.",
            validators=[non_empty_string],
        )  # fmt: skip

    def configure(self, props: Mapping[str, Any]) -> None:
        self.name = self.config_def().parse(props)["name"]

    def test(self, record: ConnectRecord) -> bool:
        return any(key == self.name for key, _ in record.headers)


class RecordIsTombstone(Predicate):
    """True for a record whose value is null."""

    class_name = f"{PREDICATES_PACKAGE}.RecordIsTombstone"

    def test(self, record: ConnectRecord) -> bool:
        return record.value is None
