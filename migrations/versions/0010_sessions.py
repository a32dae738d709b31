"""Server-side sessions (the token's jti names a row every request checks), disabling users and
station keys, attempts at a delivery's customer code, and the deployment's root secret kept in
the database so every instance signs and verifies with the same key.

Revision ID: 0010
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'user_session',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_reason', sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_user_session_user_id', 'user_session', ['user_id'])
    op.create_table(
        'deployment_key',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('secret', sa.String(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    for table in ('app_user', 'api_key'):
        op.add_column(table, sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column('disabled_by_role', sa.String(length=24), nullable=True))
    # Accounts already switched off (active = false) count as disabled by a platform admin.
    op.execute("UPDATE app_user SET disabled_at = now(), disabled_by_role = 'platform_admin' "
               "WHERE NOT active")
    op.add_column('delivery', sa.Column('otp_attempts', sa.Integer(), server_default='0',
                                        nullable=False))
    op.add_column('delivery', sa.Column('otp_sends', sa.Integer(), server_default='0',
                                        nullable=False))
    op.execute("UPDATE delivery SET otp_sends = 1 WHERE otp_hash IS NOT NULL")


def downgrade() -> None:
    op.drop_column('delivery', 'otp_sends')
    op.drop_column('delivery', 'otp_attempts')
    for table in ('api_key', 'app_user'):
        op.drop_column(table, 'disabled_by_role')
        op.drop_column(table, 'disabled_at')
    op.drop_table('deployment_key')
    op.drop_index('ix_user_session_user_id', table_name='user_session')
    op.drop_table('user_session')
