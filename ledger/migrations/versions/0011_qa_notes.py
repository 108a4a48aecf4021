"""QA queue in the API: the inspector's note, the queue's order.

Adds ``qa_items.note`` (the note of the ``qa.reviewed``: the API's QA queue shows it with
the verdict; items reviewed before this change keep none) and an index on
``(ended_at, qa_id)``: the queue pages oldest call first and the QA report counts the
items of calls ended in a span of days.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("qa_items") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True,
                                   comment="the inspector's note (qa.reviewed); 0011"))
    op.create_index(op.f("ix_qa_items_ended_at_qa_id"), "qa_items", ["ended_at", "qa_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_qa_items_ended_at_qa_id"), table_name="qa_items")
    with op.batch_alter_table("qa_items") as batch:
        batch.drop_column("note")
