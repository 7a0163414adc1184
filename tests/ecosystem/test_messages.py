"""Reading compatibility messages back (the CLI shows their sentences), from kafkatui's
registry and in Confluent's own wording, and naming Confluent's error codes."""

from __future__ import annotations

from kafkatui.ecosystem.registry import errors
from kafkatui.ecosystem.registry.compatibility import CompatibilityLevel, Reason, messages, read_messages
from kafkatui.ecosystem.registry.schemas import Incompatibility


def test_our_messages_read_back_with_their_versions() -> None:
    said = messages(
        CompatibilityLevel.BACKWARD_TRANSITIVE,
        [
            (
                1,
                [
                    Incompatibility(
                        "TYPE_MISMATCH", "/fields/1", "`price` changed type (the old schema's data)"
                    )
                ],
            ),
            (2, [Incompatibility("READER_FIELD_MISSING_DEFAULT_VALUE", "", "field `qty` was added")]),
        ],
    )
    reasons, level = read_messages(said)
    assert level == "BACKWARD_TRANSITIVE"
    assert reasons == [
        Reason("TYPE_MISMATCH", "`price` changed type (the old schema's data)", 1),
        Reason("READER_FIELD_MISSING_DEFAULT_VALUE", "field `qty` was added", 2),
    ]


def test_confluents_wording_and_a_409_text() -> None:
    text = (
        'Schema being registered is incompatible with an earlier schema for subject "orders-value", '
        "details: [{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'qty' at path "
        "'/fields/2' in the new schema has no default value and is missing in the old schema', "
        "additionalInfo:'qty'}, {oldSchemaVersion: 3}, {compatibility: 'BACKWARD'}]"
    )
    reasons, level = read_messages(text)
    assert level == "BACKWARD"
    assert reasons == [
        Reason(
            "READER_FIELD_MISSING_DEFAULT_VALUE",
            "The field 'qty' at path '/fields/2' in the new schema has no default value and is missing "
            "in the old schema",
            3,
        )
    ]
    assert read_messages("no items here") == ([], None)


def test_error_names() -> None:
    assert errors.error_name(40401) == "SUBJECT_NOT_FOUND"
    assert errors.error_name(409) == "INCOMPATIBLE_SCHEMA"
    assert errors.error_name(50004) == "UNKNOWN_LEADER"
    assert errors.error_name(415) == "UNSUPPORTED_MEDIA_TYPE"  # rest-utils' own, by HTTP status
    assert errors.error_name(99999) == "ERROR_99999"


def test_every_level_says_what_it_promises() -> None:
    assert all(level.meaning for level in CompatibilityLevel)
    assert (
        "previous" in CompatibilityLevel.BACKWARD.meaning
        and "every" in CompatibilityLevel.FULL_TRANSITIVE.meaning
    )
