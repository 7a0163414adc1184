"""Each single message transform and predicate on records, as Kafka's tests of
connect-transforms check them: schemaless values (dicts) and Structs with their schema,
source and sink records, configured the way a connector config names them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kafkatui.ecosystem.connect.api import SinkRecord, SourceRecord
from kafkatui.ecosystem.connect.config import ConfigException
from kafkatui.ecosystem.connect.data import DataException, Schema
from kafkatui.ecosystem.connect.plugins import Plugins, UnknownPlugin
from kafkatui.ecosystem.connect.transforms.chain import TransformationStage, build
from kafkatui.ecosystem.connect.transforms.routers import date_format

PLUGINS = Plugins()
SMT = "org.apache.kafka.connect.transforms"
TS = 1_796_630_400_123  # 2026-12-07T08:00:00.123Z

PERSON = Schema(
    "struct",
    name="person",
    fields=(("id", Schema("int64")), ("name", Schema("string")), ("email", Schema("string", optional=True))),
)
ALICE = {"id": 7, "name": "alice", "email": "a@example.com"}


def sink(value: Any = None, schema: Schema | None = None, **more: Any) -> SinkRecord:
    fields: dict[str, Any] = {
        "topic": "people", "kafka_partition": 2, "kafka_offset": 41, "key": None, "key_schema": None,
        "value": value, "value_schema": schema, "timestamp": TS, "headers": (),
    }  # fmt: skip
    fields.update(more)
    return SinkRecord(**fields)


def source(value: Any = None, schema: Schema | None = None, **more: Any) -> SourceRecord:
    return SourceRecord({"file": "f"}, {"position": 1}, more.pop("topic", "people"), value, schema, **more)


def chain(**props: str) -> list[TransformationStage]:
    """A transform chain from a connector config (`t` is `transforms.t.`)."""
    config = {"transforms": "t"}
    for name, value in props.items():
        name = name.replace("__", ".")
        config[name if name.startswith(("predicates", "transforms")) else f"transforms.t.{name}"] = value
    return build(PLUGINS, config)


def run(stages: list[TransformationStage], record: Any) -> Any:
    for stage in stages:
        record = stage.apply(record)
        if record is None:
            return None
    return record


# --- InsertField ----------------------------------------------------------------------


def test_insert_field_value_schemaless_adds_the_record_metadata() -> None:
    t = chain(type="InsertField$Value", **{"topic.field": "t", "partition.field": "p", "offset.field": "o",
              "timestamp.field": "ts", "static.field": "origin", "static.value": "kafkatui"})  # fmt: skip
    out = run(t, sink({"name": "alice"}))
    assert out.value == {"name": "alice", "t": "people", "p": 2, "o": 41, "ts": TS, "origin": "kafkatui"}
    assert out.value_schema is None and out.key is None


def test_insert_field_with_a_schema_extends_the_struct_and_its_schema() -> None:
    t = chain(type=f"{SMT}.InsertField$Value", **{"topic.field": "topic!", "timestamp.field": "ts"})
    out = run(t, sink(ALICE, PERSON))
    assert [n for n, _ in out.value_schema.fields] == ["id", "name", "email", "topic", "ts"]
    assert dict(out.value_schema.fields)["topic"] == Schema("string")  # '!' : required
    ts = dict(out.value_schema.fields)["ts"]
    assert (ts.type, ts.optional, ts.name) == ("int64", True, "org.apache.kafka.connect.data.Timestamp")
    assert out.value == {**ALICE, "topic": "people", "ts": TS}
    assert out.value_schema.name == "person"


def test_insert_field_key_works_on_the_key_and_a_tombstone_passes() -> None:
    t = chain(type="InsertField$Key", **{"partition.field": "p"})
    assert run(t, sink("v", key={"id": 1})).key == {"id": 1, "p": 2}
    tombstone = sink(None)
    assert run(chain(type="InsertField$Value", **{"topic.field": "t"}), tombstone) is tombstone


def test_insert_field_offset_is_only_for_sink_records() -> None:
    t = chain(type="InsertField$Value", **{"offset.field": "o"})
    with pytest.raises(DataException, match="Offset insertion is only supported for sink connectors"):
        run(t, source({"a": 1}))


def test_insert_field_refuses_a_value_that_is_no_map() -> None:
    with pytest.raises(DataException, match=r"Only Map objects supported .* found: str"):
        run(chain(type="InsertField$Value", **{"topic.field": "t"}), sink("text"))


# --- ReplaceField ---------------------------------------------------------------------


def test_replace_field_include_exclude_and_renames_schemaless() -> None:
    out = run(chain(type="ReplaceField$Value", include="id,name,email", exclude="email", renames="name:who"),
              sink({**ALICE, "extra": 1}))  # fmt: skip
    assert out.value == {"id": 7, "who": "alice"}


def test_replace_field_with_a_schema_renames_in_the_schema_too() -> None:
    out = run(chain(type="ReplaceField$Value", exclude="email", renames="id:person_id"), sink(ALICE, PERSON))
    assert out.value_schema.fields == (("person_id", Schema("int64")), ("name", Schema("string")))
    assert out.value == {"person_id": 7, "name": "alice"}
    assert out.value_schema.name == "person"


def test_replace_field_still_takes_the_names_kip_629_deprecated() -> None:
    out = run(chain(type="ReplaceField$Value", whitelist="id,name", blacklist="name"), sink(ALICE))
    assert out.value == {"id": 7}


def test_replace_field_refuses_a_rename_without_a_colon() -> None:
    with pytest.raises(ConfigException, match="Invalid rename mapping: oops"):
        chain(type="ReplaceField$Value", renames="a:b,oops")


@given(st.dictionaries(st.text("abcdefgh", min_size=1, max_size=4), st.integers(), max_size=6),
       st.sampled_from(["a", "b", "c"]), st.sampled_from(["x1", "y2"]))  # fmt: skip
def test_replace_field_renaming_there_and_back_is_the_identity(
    value: dict[str, int], old: str, new: str
) -> None:
    value.pop(new, None)  # a rename onto an existing field would merge them
    there = chain(type="ReplaceField$Value", renames=f"{old}:{new}")
    back = chain(type="ReplaceField$Value", renames=f"{new}:{old}")
    assert run(back, run(there, sink(value))).value == value


# --- MaskField ------------------------------------------------------------------------


def test_mask_field_empties_each_type_and_leaves_the_rest() -> None:
    value = {"n": 5, "f": 1.5, "s": "secret", "b": True, "l": [1], "m": {"k": 1}, "keep": "x"}
    out = run(chain(type="MaskField$Value", fields="n,f,s,b,l,m,absent"), sink(value))
    assert out.value == {"n": 0, "f": 0.0, "s": "", "b": False, "l": [], "m": {}, "keep": "x", "absent": None}


def test_mask_field_with_a_replacement_on_a_struct() -> None:
    out = run(chain(type="MaskField$Value", fields="email,id", replacement="0"), sink(ALICE, PERSON))
    assert out.value == {"id": 0, "name": "alice", "email": "0"} and out.value_schema == PERSON
    with pytest.raises(DataException, match="Unable to convert \\*\\*\\* \\(str\\) to number"):
        run(chain(type="MaskField$Value", fields="id", replacement="***"), sink(ALICE, PERSON))


def test_mask_field_refuses_a_tombstone_as_kafka_does() -> None:
    with pytest.raises(DataException, match=r"\[mask fields\], found: null"):
        run(chain(type="MaskField$Value", fields="a"), sink(None))


def test_mask_field_needs_fields() -> None:
    with pytest.raises(ConfigException, match='Missing required configuration "fields"'):
        chain(type="MaskField$Value")


# --- ValueToKey, ExtractField ---------------------------------------------------------


def test_value_to_key_schemaless_and_with_a_schema() -> None:
    t = chain(type="ValueToKey", fields="id")
    assert run(t, sink(ALICE)).key == {"id": 7}
    out = run(t, sink(ALICE, PERSON))
    assert out.key == {"id": 7} and out.key_schema == Schema("struct", fields=(("id", Schema("int64")),))
    with pytest.raises(DataException, match="Field does not exist: nope"):
        run(chain(type="ValueToKey", fields="nope"), sink(ALICE, PERSON))


def test_extract_field_takes_the_field_and_its_schema() -> None:
    out = run(chain(type="ExtractField$Value", field="name"), sink(ALICE, PERSON))
    assert (out.value, out.value_schema) == ("alice", Schema("string"))
    assert run(chain(type="ExtractField$Key", field="id"), sink("v", key={"id": 3})).key == 3
    assert run(chain(type="ExtractField$Value", field="name"), sink(None)).value is None
    with pytest.raises(DataException, match="Unknown field: nope"):
        run(chain(type="ExtractField$Value", field="nope"), sink(ALICE, PERSON))


def test_value_to_key_then_extract_field_keys_a_record_by_a_value_field() -> None:
    """The usual pair in a connector config: `transforms=createKey,extractInt`."""
    stages = build(PLUGINS, {
        "transforms": "createKey,extractId",
        "transforms.createKey.type": f"{SMT}.ValueToKey", "transforms.createKey.fields": "id",
        "transforms.extractId.type": f"{SMT}.ExtractField$Key", "transforms.extractId.field": "id",
    })  # fmt: skip
    out = run(stages, sink(ALICE, PERSON))
    assert (out.key, out.key_schema) == (7, Schema("int64"))


# --- routers --------------------------------------------------------------------------


def test_timestamp_router_formats_the_topic_from_the_timestamp_in_utc() -> None:
    assert run(chain(type="TimestampRouter"), sink("v")).topic == "people-20261207"
    t = chain(type="TimestampRouter", **{"topic.format": "${timestamp}.${topic}",
              "timestamp.format": "yyyy-MM-dd'T'HH:mm:ss.SSS"})  # fmt: skip
    assert run(t, sink("v")).topic == "2026-12-07T08:00:00.123.people"
    with pytest.raises(DataException, match="Timestamp missing on record"):
        run(chain(type="TimestampRouter"), source("v"))


def test_timestamp_router_refuses_a_pattern_simpledateformat_refuses() -> None:
    with pytest.raises(ConfigException, match="Illegal pattern character 'q'"):
        chain(type="TimestampRouter", **{"timestamp.format": "yyyyqq"})


def test_java_date_formats() -> None:
    assert date_format("yy/M/d h a EEE MMM")(TS) == "26/12/7 8 AM Mon Dec"
    assert date_format("''yyyy'' 'at' HH")(TS) == "'2026' at 08"


def test_regex_router_renames_a_matching_topic_only() -> None:
    t = chain(type="RegexRouter", regex="(.*)-(\\d+)", replacement="$1_v$2")
    assert run(t, sink("v", topic="orders-2")).topic == "orders_v2"
    assert run(t, sink("v", topic="orders-2x")).topic == "orders-2x"  # matches() is the whole topic
    named = chain(type="RegexRouter", regex="(?<base>[a-z]+)\\.raw", replacement="${base}.clean \\$")
    assert run(named, sink("v", topic="sales.raw")).topic == "sales.clean $"


def test_regex_router_refuses_a_bad_regex() -> None:
    with pytest.raises(ConfigException, match="Invalid regex"):
        chain(type="RegexRouter", regex="(", replacement="x")


@given(st.from_regex(r"[a-z][a-z0-9._-]{0,20}", fullmatch=True))
def test_regex_router_prefixing_then_stripping_is_the_identity(topic: str) -> None:
    there = chain(type="RegexRouter", regex="(.*)", replacement="dc1.$1")
    back = chain(type="RegexRouter", regex="dc1\\.(.*)", replacement="$1")
    routed = run(there, sink("v", topic=topic))
    assert routed.topic == f"dc1.{topic}"
    assert run(back, routed).topic == topic


# --- Filter and predicates ------------------------------------------------------------


def test_filter_with_topic_name_matches_drops_only_matching_topics() -> None:
    t = chain(type="Filter", predicate="isLog", predicates="isLog",
              predicates__isLog__type="TopicNameMatches", predicates__isLog__pattern="log-.*")  # fmt: skip
    assert run(t, sink("v", topic="log-app")) is None
    kept = sink("v", topic="people")
    assert run(t, kept) is kept


def test_negated_has_header_key_drops_records_without_the_header() -> None:
    t = chain(type="Filter", predicate="traced", negate="true", predicates="traced",
              predicates__traced__type=f"{SMT}.predicates.HasHeaderKey",
              predicates__traced__name="trace-id")  # fmt: skip
    assert run(t, sink("v")) is None
    with_header = sink("v", headers=(("trace-id", b"1"),))
    assert run(t, with_header) is with_header


def test_record_is_tombstone_lets_a_transform_skip_tombstones() -> None:
    t = chain(type="ExtractField$Value", field="name", predicate="tomb", negate="true", predicates="tomb",
              predicates__tomb__type="RecordIsTombstone")  # fmt: skip
    assert run(t, sink({"name": "a"})).value == "a"
    assert run(chain(type="Filter", predicate="tomb", predicates="tomb",
                     predicates__tomb__type="RecordIsTombstone"), sink(None)) is None  # fmt: skip


def test_filter_without_predicate_drops_everything() -> None:
    assert run(chain(type="Filter"), sink("v")) is None


def test_an_unknown_transform_class_is_refused() -> None:
    with pytest.raises(UnknownPlugin, match=r"Class com\.example\.Nope could not be found"):
        chain(type="com.example.Nope")
