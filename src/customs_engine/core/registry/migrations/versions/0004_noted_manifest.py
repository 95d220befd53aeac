"""Submissions record the manifest a Bill of Entry was noted against by its B/L when that
manifest had no IGM number yet, so that cancelling the manifest voids the Bill of Entry.

Bills of Entry committed before keep no such link (nothing to recover it from but their bodies).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_submission") as batch:
        batch.add_column(sa.Column("noted_manifest", sa.String(200)))
        batch.create_index("ix_ledger_submission_noted_manifest", ["noted_manifest"])


def downgrade() -> None:
    with op.batch_alter_table("ledger_submission") as batch:
        batch.drop_index("ix_ledger_submission_noted_manifest")
        batch.drop_column("noted_manifest")
