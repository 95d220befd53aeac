"""A registry database lost in the middle of a run stops it with a clear message, no traceback,
and leaves every committed message whole (SPEC §8; the brief: nothing stored is half-written)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from customs_engine.cli import main
from customs_engine.core.ledger.run_state import LedgerError
from customs_engine.core.registry import SqlRegistry
from customs_engine.core.registry import store as store_module
from tests.conftest import MESSAGES, PG_URL, REGISTRY_CSV
from tests.core.helpers import authorisation, boe, engine, with_licence


def bill(message_id: str, quantity: int):  # type: ignore[no-untyped-def]
    return boe(
        message_id=message_id,
        items=[
            with_licence("AUTH-1", quantity=Decimal(quantity), value_inr=Decimal(quantity * 10000))
        ],
    )


def _terminate(name: str) -> None:
    """The server drops the connections of the application ``name``."""
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": name},
        )
    admin.dispose()


@pytest.mark.postgres
def test_a_connection_lost_while_a_message_is_committed_is_a_ledger_error_naming_it(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"customs-lost-{uuid.uuid4().hex[:8]}"
    store = SqlRegistry.open(f"{pg_url}&application_name={name}")
    store.replace_records([authorisation(quantity="100")], "test")
    run = engine(registry=store.snapshot(), store=store, commit=True)
    run.validate_message(bill("BE-1", 10))
    real_write = store_module._write

    def lost_while_writing(*args, **kwargs):  # type: ignore[no-untyped-def]
        _terminate(name)  # inside the message's transaction, past the pool's check
        real_write(*args, **kwargs)

    monkeypatch.setattr(store_module, "_write", lost_while_writing)
    with pytest.raises(LedgerError, match=r"<api>, message 1 \(BE-2\): registry database failed"):
        run.validate_message(bill("BE-2", 10))
    store.close()
    again = SqlRegistry.open(pg_url)
    assert again.uses("TESTAUTH", "AUTH-1") == ["BE-1"]  # BE-1 whole, nothing of BE-2
    assert again.debited("TESTAUTH", "AUTH-1")[0] == 10
    again.close()


@pytest.mark.postgres
def test_connections_the_server_dropped_between_messages_are_replaced(pg_url: str) -> None:
    """A restart or failover of PostgreSQL between two messages (or two requests of ``customs
    serve``) costs nothing: the pool finds its dropped connections out before use."""
    name = f"customs-lost-{uuid.uuid4().hex[:8]}"
    store = SqlRegistry.open(f"{pg_url}&application_name={name}")
    store.replace_records([authorisation(quantity="100")], "test")
    run = engine(registry=store.snapshot(), store=store, commit=True)
    run.validate_message(bill("BE-1", 10))
    _terminate(name)
    run.validate_message(bill("BE-2", 10))
    store.close()
    again = SqlRegistry.open(pg_url)
    assert again.uses("TESTAUTH", "AUTH-1") == ["BE-1", "BE-2"]
    assert again.debited("TESTAUTH", "AUTH-1")[0] == 20
    again.close()


def test_the_cli_stops_with_exit_2_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:///{tmp_path / 'customs.db'}"
    CliRunner().invoke(
        main,
        [
            "registry",
            "import",
            "--db",
            db,
            str(REGISTRY_CSV),
        ],
    )
    lost = {"yes": False}
    real_write, real_debited = store_module._write, store_module._debited

    def write_then_lose(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_write(*args, **kwargs)
        lost["yes"] = True  # the connection goes once the first message is committed

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        if lost["yes"]:
            raise OperationalError("SELECT …", {}, Exception("server closed the connection"))
        return real_debited(*args, **kwargs)

    monkeypatch.setattr(store_module, "_write", write_then_lose)
    monkeypatch.setattr(store_module, "_debited", failing)
    result = CliRunner().invoke(
        main,
        [
            "validate",
            "--db",
            db,
            "--commit",
            "--format",
            "jsonl",
            str(MESSAGES / "02-be-laptops-ims.xml"),
            str(MESSAGES / "03-be-laptops-ims-exceeded.xml"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "stopped at" in result.stderr and "03-be-laptops-ims-exceeded.xml" in result.stderr
    assert "server closed the connection" in result.stderr
    assert "Traceback" not in result.output
    # the first message's response was written and its debit committed, whole
    assert len(result.stdout.splitlines()) == 1
    store = SqlRegistry.open(db)
    assert [e.message_id for e in store.entries_of("IMS", "IMS-2026-00042")] == ["BE-INNSA1-000123"]
    store.close()


def test_the_end_of_a_failed_messages_reads_does_not_hide_which_message_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The message's reads end (``message_done``) on a connection that is dead by then: that
    second failure replaced the first, and the stop named no message."""
    run = engine([authorisation()])

    def lost(*args: object, **kwargs: object) -> None:
        raise LedgerError("server closed the connection unexpectedly")

    def cannot_end() -> None:
        raise LedgerError("Can't reconnect until invalid transaction is rolled back")

    monkeypatch.setattr(run, "_complete", lost)
    monkeypatch.setattr(run.run, "message_done", cannot_end)
    (parsed,) = run.parse(b"<x/>", "be.xml")
    with pytest.raises(LedgerError) as stopped:
        run.complete(parsed, run.assess(parsed), "be.xml")
    assert str(stopped.value) == "be.xml, message 1: server closed the connection unexpectedly"


def test_sqlalchemys_link_is_not_part_of_what_the_database_said() -> None:
    from customs_engine.core.registry.database import database_reason

    said = database_reason(
        RuntimeError(
            "Can't reconnect until invalid transaction is rolled back. (Background on this "
            "error at: https://sqlalche.me/e/21/8s2b)"
        )
    )
    assert said == "Can't reconnect until invalid transaction is rolled back."
