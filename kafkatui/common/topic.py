"""What a client checks before it asks a broker anything about a topic: Kafka's
`org.apache.kafka.common.internals.Topic.validate` for names (the brokers check the same
again), and `kafka-topics.sh`'s parsing of `--config key=value`."""

from __future__ import annotations

import re

from kafkatui.common.errors import ErrorCode, KafkaError

MAX_TOPIC_NAME_LENGTH = 249
_LEGAL_TOPIC_CHARS = re.compile(r"^[a-zA-Z0-9._-]+$")


def validate_topic_name(name: str) -> None:
    """Kafka's `Topic.validate`: legal characters, at most 249 of them, not '.' or '..'."""
    if not name:
        raise KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be empty")
    if name in (".", ".."):
        raise KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, f'Topic name cannot be "{name}"')
    if len(name) > MAX_TOPIC_NAME_LENGTH:
        raise KafkaError(
            ErrorCode.INVALID_TOPIC_EXCEPTION,
            f"Topic name is illegal, it can't be longer than {MAX_TOPIC_NAME_LENGTH} characters, "
            f"topic name: {name[:40]}…",
        )
    if not _LEGAL_TOPIC_CHARS.match(name):
        raise KafkaError(
            ErrorCode.INVALID_TOPIC_EXCEPTION,
            f'Topic name "{name}" is illegal, it contains a character other than ASCII '
            "alphanumerics, '.', '_' and '-'",
        )


def parse_config_assignment(text: str) -> tuple[str, str]:
    """Split a ``key=value`` CLI argument (``--config retention.ms=1000``) as kafka-topics does."""
    # TopicCommand splits on "\s*=\s*", dropping trailing empty parts, and wants exactly two parts.
    parts = re.split(r"\s*=\s*", text, flags=re.ASCII)
    while parts and not parts[-1]:
        parts.pop()
    if len(parts) != 2:
        raise KafkaError(
            ErrorCode.INVALID_CONFIG,
            f'Invalid topic config {text!r}: all configs to be added must be in the format "key=val".',
        )
    return parts[0].strip(), parts[1].strip()
