"""login attempts per client, for throttling the staff console login

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_attempts")),
    )
    op.create_index(op.f("ix_login_attempts_last_at"), "login_attempts", ["last_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_attempts_last_at"), table_name="login_attempts")
    op.drop_table("login_attempts")
