"""kio's message classes where kio cannot read what Kafka sends.

No `from __future__ import annotations` here: kio reads the fields' types themselves.
"""

from dataclasses import dataclass, field

from kio.schema.describe_transactions.v0 import response as describe_v0
from kio.static.primitive import TZAware


# Kafka answers an Empty transaction's start time as -1 (TransactionMetadata's
# txnStartTimestamp before any partition is added), which kio's reader refuses as a
# negative timestamp: the same message with the field read as nullable (-1 → None).
@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionState(describe_v0.TransactionState):
    transaction_start_time: TZAware | None = field(metadata={"kafka_type": "datetime_i64"})


@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeTransactionsResponse(describe_v0.DescribeTransactionsResponse):
    transaction_states: tuple[TransactionState, ...]
