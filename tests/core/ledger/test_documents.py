"""The run's document table is bounded by the size of what it holds, not by a count."""

from __future__ import annotations

from decimal import Decimal

from customs_engine.core.ledger.documents import DocumentTable, DocumentVersion
from customs_engine.core.models import Function

ACCOUNT = ("IMS", "IMS-1", 1, "NOS")


def version(message_id: str, key: str, body_size: int, function: Function = Function.ORIGINAL):
    return DocumentVersion(
        message_id=message_id,
        kind="bill_of_entry",
        function=function,
        key=key,
        body="x" * body_size,
    )


def test_large_documents_go_to_the_temporary_database_past_the_byte_bound() -> None:
    table = DocumentTable(in_memory_bytes=10_000)
    for n in range(6):  # about 3 KiB each: three fit
        table.record(version(f"BE-{n}", f"BE-{n}#a", 2000), [(ACCOUNT, Decimal(n + 1), Decimal(1))])
    assert len(table._recent) == 3 and table._db is not None
    assert sum(size for _, size in table._recent.values()) <= 10_000
    for n in (0, 5):  # one in memory, one in the database
        assert table.version(f"BE-{n}") == version(f"BE-{n}", f"BE-{n}#a", 2000)
        assert table.has_key(f"BE-{n}", f"BE-{n}#a") and not table.has_key(f"BE-{n}", "other")
        assert table.holdings(f"BE-{n}") == {ACCOUNT: (Decimal(n + 1), Decimal(1))}
    assert table.version("BE-missing") is None and table.holdings("BE-missing") == {}
    table.close()


def test_a_count_no_longer_bounds_memory() -> None:
    """Many small documents stay in memory; one huge one does not push them out."""
    table = DocumentTable(in_memory_bytes=100_000)
    for n in range(50):
        table.record(version(f"BE-{n}", f"BE-{n}#a", 10), [])
    table.record(version("BE-big", "BE-big#a", 200_000), [])
    assert len(table._recent) == 50
    assert table.version("BE-big") == version("BE-big", "BE-big#a", 200_000)
    table.close()


def test_an_amendment_of_a_spilled_document_keeps_every_key_and_nets_its_holdings() -> None:
    table = DocumentTable(in_memory_bytes=0)
    table.record(version("BE-1", "BE-1#a", 100), [(ACCOUNT, Decimal(5), Decimal(50))])
    table.record(
        version("BE-1", "BE-1#b", 100, Function.AMENDMENT),
        [(ACCOUNT, Decimal(-5), Decimal(-50)), (ACCOUNT, Decimal(3), Decimal(30))],
    )
    assert table.version("BE-1") == version("BE-1", "BE-1#b", 100, Function.AMENDMENT)
    assert table.has_key("BE-1", "BE-1#a") and table.has_key("BE-1", "BE-1#b")
    assert table.holdings("BE-1") == {ACCOUNT: (Decimal(3), Decimal(30))}
    table.close()


def test_holdings_handed_out_are_copies() -> None:
    table = DocumentTable()
    table.record(version("BE-1", "BE-1#a", 10), [(ACCOUNT, Decimal(1), Decimal(1))])
    table.holdings("BE-1").clear()
    assert table.holdings("BE-1") == {ACCOUNT: (Decimal(1), Decimal(1))}
