"""Subject name strategies (Confluent's io.confluent.kafka.serializers.subject): which
subject a topic's keys or values are registered under."""

from __future__ import annotations

from enum import StrEnum


class SubjectNameStrategy(StrEnum):
    TOPIC = "TopicNameStrategy"  # <topic>-key / <topic>-value (the default)
    RECORD = "RecordNameStrategy"  # the record's full name, whatever the topic
    TOPIC_RECORD = "TopicRecordNameStrategy"  # <topic>-<record full name>

    def subject(self, topic: str, *, is_key: bool, record_name: str | None) -> str:
        if self is SubjectNameStrategy.TOPIC:
            return f"{topic}-{'key' if is_key else 'value'}"
        if not record_name:
            raise ValueError(
                f"{self.value} needs a named record type (an Avro record, a Protobuf message, a JSON title)"
            )
        return record_name if self is SubjectNameStrategy.RECORD else f"{topic}-{record_name}"
