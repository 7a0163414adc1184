"""Transactions as an operator sees them, over the wire (KIP-664, `kafka-transactions.sh
list|describe`): ListTransactions (66) asked of every broker, and DescribeTransactions
(65) of each id's coordinator, found with FindCoordinator (10, key type TRANSACTION).

confluent-kafka's AdminClient has neither call, so this module speaks them itself over a
plain TCP connection, framing and parsing with `kio` (the message classes the wire
server answers with); `kafkatui.wire` itself is a layer above the backends. As the
RemoteBackend's own clients, it speaks PLAINTEXT only.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from kafkatui.backends.kio_frames import ask
from kafkatui.backends.kio_lenient import DescribeTransactionsResponse
from kafkatui.common.admin import TransactionDescription, TransactionListing
from kafkatui.common.errors import ErrorCode, KafkaError

FIND_COORDINATOR = (10, 3)  # one key per request, the coordinator's address in the answer
DESCRIBE_TRANSACTIONS = (65, 0)
LIST_TRANSACTIONS = (66, 0)
COORDINATOR_TYPE_TRANSACTION = 1
CLIENT_ID = "kafkatui-transactions"
TIMEOUT_S = 10.0


async def _ask(address: str, api: tuple[int, int], **fields: Any) -> Any:
    response_type = DescribeTransactionsResponse if api == DESCRIBE_TRANSACTIONS else None
    return await ask(address, api, CLIENT_ID, TIMEOUT_S, response_type=response_type, **fields)


def _check(code: Any, message: str | None, about: str) -> None:
    if int(code) != 0:
        error = ErrorCode(int(code))
        raise KafkaError(error, f"{about}: {message or error.description}")


async def list_transactions(brokers: dict[int, str]) -> list[TransactionListing]:
    """Every transactional id the cluster's coordinators hold, sorted by id: what each
    broker answers for the `__transaction_state` partitions it leads (as Kafka's
    `Admin.listTransactions` asks every broker)."""
    listed: list[TransactionListing] = []
    for broker_id, address in sorted(brokers.items()):
        answer = await _ask(address, LIST_TRANSACTIONS, state_filters=(), producer_id_filters=())
        _check(answer.error_code, None, f"ListTransactions on broker {broker_id}")
        listed += [
            TransactionListing(t.transactional_id, broker_id, int(t.producer_id), t.transaction_state)
            for t in answer.transaction_states
        ]
    return sorted(listed, key=lambda t: t.transactional_id)


async def find_coordinator(bootstrap: str, transactional_id: str) -> tuple[int, str]:
    """FindCoordinator(TRANSACTION): the id's coordinator, as (broker id, host:port)."""
    address = bootstrap.split(",")[0].strip()
    answer = await _ask(
        address, FIND_COORDINATOR, key=transactional_id, key_type=COORDINATOR_TYPE_TRANSACTION
    )
    _check(answer.error_code, answer.error_message, f"the transaction coordinator of '{transactional_id}'")
    return int(answer.node_id), f"{answer.host}:{answer.port}"


async def describe_transactions(
    bootstrap: str, transactional_ids: Sequence[str]
) -> list[TransactionDescription]:
    """DescribeTransactions for each id at its coordinator, in the order asked; the
    first id the coordinator does not know is TRANSACTIONAL_ID_NOT_FOUND."""
    described = []
    for transactional_id in transactional_ids:
        node, address = await find_coordinator(bootstrap, transactional_id)
        answer = await _ask(address, DESCRIBE_TRANSACTIONS, transactional_ids=(transactional_id,))
        (state,) = answer.transaction_states
        _check(state.error_code, None, f"transactional id '{transactional_id}'")
        described.append(
            TransactionDescription(
                transactional_id,
                node,
                int(state.producer_id),
                int(state.producer_epoch),
                state.transaction_state,
                _millis(state.transaction_timeout),
                _millis(state.transaction_start_time),
                tuple(sorted((t.topic, int(p)) for t in state.topics for p in t.partitions)),
            )
        )
    return described


def _millis(value: Any) -> int:
    """kio's timedelta or datetime (None for Kafka's -1) as milliseconds."""
    if value is None:
        return -1
    if isinstance(value, datetime.timedelta):
        return round(value.total_seconds() * 1000)
    if isinstance(value, datetime.datetime):
        return round(value.timestamp() * 1000)
    return int(value)
