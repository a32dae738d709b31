"""Fill authorizations (one open per cylinder, by a partial unique index), fills, and scans of
unknown codes kept as evidence.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fill_authorization',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('cylinder_id', sa.BigInteger(), nullable=False),
    sa.Column('station_id', sa.Uuid(), nullable=False),
    sa.Column('operator_id', sa.Uuid(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_fill_authorization_open_expiry', 'fill_authorization', ['expires_at'], unique=False, postgresql_where=sa.text("status = 'open'"))
    op.create_index('ux_fill_authorization_open', 'fill_authorization', ['cylinder_id'], unique=True, postgresql_where=sa.text("status = 'open'"))
    op.create_table('unregistered_scan',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('station_id', sa.Uuid(), nullable=False),
    sa.Column('scanned_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('scan', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('rfid', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_unregistered_scan_station_time', 'unregistered_scan', ['station_id', 'scanned_at'], unique=False)
    op.create_table('fill',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('authorization_id', sa.Uuid(), nullable=False),
    sa.Column('cylinder_id', sa.BigInteger(), nullable=False),
    sa.Column('station_id', sa.Uuid(), nullable=False),
    sa.Column('operator_id', sa.Uuid(), nullable=True),
    sa.Column('net_kg', sa.Float(), nullable=False),
    sa.Column('gross_kg', sa.Float(), nullable=True),
    sa.Column('gas_batch', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('flags', postgresql.ARRAY(sa.String()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('filled_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['authorization_id'], ['fill_authorization.id'], ),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('authorization_id')
    )
    op.create_index('ix_fill_cylinder_time', 'fill', ['cylinder_id', 'filled_at'], unique=False)
    op.create_index('ix_fill_flagged', 'fill', ['filled_at'], unique=False, postgresql_where=sa.text("flags <> '{}'"))
    op.create_index('ix_fill_station_time', 'fill', ['station_id', 'filled_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_fill_station_time', table_name='fill')
    op.drop_index('ix_fill_flagged', table_name='fill', postgresql_where=sa.text("flags <> '{}'"))
    op.drop_index('ix_fill_cylinder_time', table_name='fill')
    op.drop_table('fill')
    op.drop_index('ix_unregistered_scan_station_time', table_name='unregistered_scan')
    op.drop_table('unregistered_scan')
    op.drop_index('ux_fill_authorization_open', table_name='fill_authorization', postgresql_where=sa.text("status = 'open'"))
    op.drop_index('ix_fill_authorization_open_expiry', table_name='fill_authorization', postgresql_where=sa.text("status = 'open'"))
    op.drop_table('fill_authorization')
