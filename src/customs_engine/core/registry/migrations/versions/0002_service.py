"""Service tables: API tokens (hashed) and stored validation results of ``customs serve``.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_id", sa.String(32), nullable=False, unique=True),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "service_validation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("validation_id", sa.String(32), nullable=False, unique=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("committed", sa.Boolean, nullable=False),
        sa.Column("messages", sa.Integer, nullable=False),
    )
    op.create_table(
        "service_validation_message",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "validation_id",
            sa.Integer,
            sa.ForeignKey("service_validation.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("service_validation_message", "service_validation", "service_token"):
        op.drop_table(table)
