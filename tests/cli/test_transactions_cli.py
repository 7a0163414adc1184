"""`produce --transactional-id [--abort]` and `consume --isolation-level`."""

from __future__ import annotations

import json

from tests.cli.conftest import CliFn


def values(cli: CliFn, *extra: str) -> list[str]:
    out = (
        cli("consume", "ledger", "--from-beginning", "--timeout", "0", "--format", "json", *extra).ok().stdout
    )
    return [json.loads(line)["value"] for line in out.splitlines()]


def test_a_committed_transaction_is_read_and_an_aborted_one_only_without_read_committed(cli: CliFn) -> None:
    cli("topic", "create", "ledger", "-p", "1").ok()
    done = cli("produce", "ledger", "--transactional-id", "tx-1", input="a:1\nb:2\n").ok()
    assert "transaction tx-1 committed" in done.stderr
    aborted = cli("produce", "ledger", "--transactional-id", "tx-1", "--abort", input="c:3\n").ok()
    assert "aborted" in aborted.stderr
    assert values(cli) == ["a:1", "b:2", "c:3"]  # read_uncommitted: everything in the log
    assert values(cli, "--isolation-level", "read_committed") == ["a:1", "b:2"]


def test_abort_needs_a_transactional_id_and_acks_must_be_all(cli: CliFn) -> None:
    cli("topic", "create", "ledger").ok()
    result = cli("produce", "ledger", "--value", "v", "--abort")
    assert result.exit_code == 2 and "--transactional-id" in result.stdout + result.stderr
    cli("produce", "ledger", "--value", "v", "--transactional-id", "t", "--acks", "1").assert_error(
        "INVALID_CONFIG", "acks"
    )
