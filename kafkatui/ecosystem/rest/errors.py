"""Confluent REST Proxy's errors (`io.confluent.kafkarest.Errors` and the rest-utils
exception mappers): the HTTP status, the `error_code` in the body and Confluent's
message. A code of five digits is its status times 100 plus a number (40401 is a 404)."""

from __future__ import annotations

from kafkatui.common.errors import KafkaError
from kafkatui.ecosystem.http import HttpError

TOPIC_NOT_FOUND = 40401
PARTITION_NOT_FOUND = 40402
CONSUMER_INSTANCE_NOT_FOUND = 40403
CONSUMER_FORMAT_MISMATCH = 40601
CONSUMER_ALREADY_SUBSCRIBED = 40901
CONSUMER_ALREADY_EXISTS = 40902
ILLEGAL_STATE = 40903
KEY_SCHEMA_MISSING = 42201
VALUE_SCHEMA_MISSING = 42202
JSON_CONVERSION = 42203
INVALID_CONSUMER_CONFIG = 42204
INVALID_SCHEMA = 42205
SERIALIZATION = 42207
KAFKA_ERROR = 50002  # KafkaExceptionMapper's: any other Kafka error
KAFKA_RETRIABLE_ERROR = 50003
# rest-utils' own: a body that is not JSON, or JSON of the wrong shape (Jackson's
# JsonParseException / JsonMappingException mappers), and a violated constraint.
BAD_REQUEST = 400
UNPROCESSABLE_ENTITY = 422


class RestError(HttpError):
    """A REST Proxy error; `code` is Confluent's error_code, the status follows from it."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code if code < 1000 else code // 100, code, message)


def topic_not_found() -> RestError:
    return RestError(TOPIC_NOT_FOUND, "Topic not found.")


def partition_not_found() -> RestError:
    return RestError(PARTITION_NOT_FOUND, "Partition not found.")


def instance_not_found() -> RestError:
    return RestError(CONSUMER_INSTANCE_NOT_FOUND, "Consumer instance not found.")


def format_mismatch() -> RestError:
    return RestError(
        CONSUMER_FORMAT_MISMATCH,
        "The requested embedded data format does not match the deserializer for this consumer instance",
    )


def already_subscribed() -> RestError:
    return RestError(
        CONSUMER_ALREADY_SUBSCRIBED,
        "Consumer cannot subscribe the the specified target because it has already subscribed to "
        "other topics.",
    )


def instance_exists() -> RestError:
    return RestError(
        CONSUMER_ALREADY_EXISTS,
        "Consumer with specified consumer ID already exists in the specified consumer group.",
    )


def illegal_state(message: str) -> RestError:
    return RestError(ILLEGAL_STATE, f"Illegal state: {message}")


def key_schema_missing() -> RestError:
    return RestError(KEY_SCHEMA_MISSING, "Request includes keys but does not include key schema")


def value_schema_missing() -> RestError:
    return RestError(VALUE_SCHEMA_MISSING, "Request includes values but does not include value schema")


def conversion_failed(message: str) -> RestError:
    return RestError(JSON_CONVERSION, f"Conversion of JSON to Object failed: {message}")


def invalid_consumer_config(message: str) -> RestError:
    return RestError(INVALID_CONSUMER_CONFIG, f"Invalid consumer configuration: {message}")


def invalid_schema(message: str) -> RestError:
    return RestError(INVALID_SCHEMA, f"Invalid schema: {message}")


def serialization(message: str) -> RestError:
    return RestError(SERIALIZATION, f"Error serializing message. {message}")


def bad_request(message: str) -> RestError:
    """kafka-rest's BadRequestException, as its V2ExceptionMapper words it."""
    return RestError(BAD_REQUEST, f"Bad Request: {message}")


def unprocessable(message: str) -> RestError:
    """A constraint on the request's entity is violated (rest-utils'
    ConstraintViolationExceptionMapper: 422 with code 422)."""
    return RestError(UNPROCESSABLE_ENTITY, message)


def kafka_error_code(error: BaseException) -> int:
    """The per-record error_code of a failed send (AbstractProduceAction's
    errorCodeFromProducerException): retriable Kafka errors 50003, others 50002."""
    return KAFKA_RETRIABLE_ERROR if isinstance(error, KafkaError) and error.retriable else KAFKA_ERROR


def from_kafka(error: KafkaError) -> RestError:
    """A Kafka error met outside a produce (a commit, a read): as KafkaExceptionMapper."""
    return RestError(kafka_error_code(error), f"Kafka error: {error.name}: {error.message}")
