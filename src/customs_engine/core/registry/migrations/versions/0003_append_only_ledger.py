"""Append-only ledger: entries (debit, reversal, bond) replace the debit table; submissions record
the document's function, run, body, noted IGM and BE number.

Every existing debit becomes a ``debit`` entry of an ``original`` (its quantity in the unit of the
registry row it was debited against), so every balance is what it was.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DECIMAL = sa.String(40)  # Decimal as text (tables.DecimalText)


def upgrade() -> None:
    with op.batch_alter_table("ledger_submission") as batch:
        batch.add_column(
            sa.Column("function", sa.String(20), nullable=False, server_default="original")
        )
        batch.add_column(sa.Column("run_id", sa.String(64)))
        batch.add_column(sa.Column("body", sa.Text))
        batch.add_column(sa.Column("igm_number", sa.String(50)))
        batch.add_column(sa.Column("document_number", sa.String(50)))
        batch.create_index("ix_ledger_submission_igm_number", ["igm_number"])
        batch.create_index("ix_ledger_submission_document_number", ["document_number"])
    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "submission_id",
            sa.Integer,
            sa.ForeignKey("ledger_submission.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("message_id", sa.String(200), nullable=False, index=True),
        sa.Column("function", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("scheme", sa.String(20), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("item", sa.Integer, nullable=False),
        sa.Column("quantity", DECIMAL, nullable=False),
        sa.Column("unit", sa.String(10)),
        sa.Column("value_inr", DECIMAL, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(64)),
    )
    op.create_index("ix_ledger_entry_account", "ledger_entry", ["scheme", "number"])
    # every debit committed by the previous release, in its order, as an entry of an original
    op.execute(
        "INSERT INTO ledger_entry (id, submission_id, message_id, function, kind, scheme, number,"
        " item, quantity, unit, value_inr, created_at, run_id)"
        " SELECT d.id, d.submission_id, s.message_id, 'original', 'debit', d.scheme, d.number,"
        " d.item, d.quantity, r.unit, d.value_inr, s.committed_at, NULL"
        " FROM ledger_debit d JOIN ledger_submission s ON s.id = d.submission_id"
        " LEFT JOIN registry_record r ON r.record_key = 'licence:' || d.scheme || ':' || d.number"
        " ORDER BY d.id"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('ledger_entry', 'id'),"
            " COALESCE((SELECT MAX(id) FROM ledger_entry), 0) + 1, false)"
        )
    # a manifest's number, for IGM cancellations (Bills of Entry committed before carry no body)
    op.execute(
        "UPDATE ledger_submission SET igm_number = (SELECT m.igm_number FROM"
        " ledger_manifest m WHERE m.submission_id = ledger_submission.id)"
        " WHERE kind = 'manifest'"
    )
    op.drop_index("ix_ledger_debit_licence", table_name="ledger_debit")
    op.drop_table("ledger_debit")


def downgrade() -> None:
    raise NotImplementedError("the append-only ledger cannot be folded back into debits")
