"""staff session secret instead of the session epoch

A session cookie named the account by its id and epoch; SQLite gives a removed account's id to the
next account, whose epoch starts at 0 again, so the removed account's cookie opened the new one's
session. Each account now has a random secret that the cookie must repeat.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 08:00:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

staff_accounts = sa.table(
    "staff_accounts", sa.column("id", sa.Integer), sa.column("session_secret", sa.String)
)


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_secret", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    for (staff_id,) in connection.execute(sa.select(staff_accounts.c.id)).all():
        connection.execute(
            staff_accounts.update()
            .where(staff_accounts.c.id == staff_id)
            .values(session_secret=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.alter_column("session_secret", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("session_epoch")


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_column("session_secret")
