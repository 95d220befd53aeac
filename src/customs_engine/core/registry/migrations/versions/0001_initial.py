"""Registry records and the committed ledger (submissions, debits, licence uses, IGMs).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DECIMAL = sa.String(40)  # Decimal as text (tables.DecimalText)


def upgrade() -> None:
    op.create_table(
        "registry_record",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("record_key", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False, index=True),
        sa.Column("scheme", sa.String(20)),
        sa.Column("number", sa.String(100), nullable=False, index=True),
        sa.Column("iec", sa.String(20)),
        sa.Column("issued_on", sa.Date),
        sa.Column("valid_until", sa.Date),
        sa.Column("hs_codes", sa.Text),
        sa.Column("quantity", DECIMAL),
        sa.Column("unit", sa.String(10)),
        sa.Column("value_inr", DECIMAL),
        sa.Column("country_of_origin", sa.String(2)),
        sa.Column("port_code", sa.String(10)),
        sa.Column("expected_arrival", sa.Date),
        sa.Column("fee_paid_inr", DECIMAL),
        sa.Column("name", sa.Text),
        sa.Column("country", sa.String(2)),
        sa.Column("currency", sa.String(3)),
        sa.Column("rate", DECIMAL),
        sa.Column("source", sa.Text),
    )
    op.create_table(
        "ledger_submission",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_key", sa.String(200), nullable=False, unique=True),
        sa.Column("message_id", sa.String(200), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uses_json", sa.Text, nullable=False),
    )
    op.create_table(
        "ledger_debit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "submission_id",
            sa.Integer,
            sa.ForeignKey("ledger_submission.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("scheme", sa.String(20), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("item", sa.Integer, nullable=False),
        sa.Column("quantity", DECIMAL, nullable=False),
        sa.Column("value_inr", DECIMAL, nullable=False),
    )
    op.create_index("ix_ledger_debit_licence", "ledger_debit", ["scheme", "number"])
    op.create_table(
        "ledger_licence_use",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "submission_id",
            sa.Integer,
            sa.ForeignKey("ledger_submission.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("scheme", sa.String(20), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
    )
    op.create_index("ix_ledger_licence_use_licence", "ledger_licence_use", ["scheme", "number"])
    op.create_table(
        "ledger_manifest",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "submission_id",
            sa.Integer,
            sa.ForeignKey("ledger_submission.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("igm_number", sa.String(50), index=True),
        sa.Column("port_code", sa.String(10), nullable=False),
        sa.Column("igm_date", sa.Date),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "ledger_manifest",
        "ledger_licence_use",
        "ledger_debit",
        "ledger_submission",
        "registry_record",
    ):
        op.drop_table(table)
