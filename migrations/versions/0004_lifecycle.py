"""Real-name customers, deliveries with their door-step confirmation, the hazard ledger,
recall campaigns, deposits, and who handed in a cylinder for scrapping.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('handover',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('cylinder_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('id_number_enc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('id_number_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id_number_masked', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('phone_enc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('phone_masked', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_handover_cylinder_id'), 'handover', ['cylinder_id'], unique=False)
    op.create_table('recall_campaign',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ordered_by', sa.Uuid(), nullable=False),
    sa.Column('region_codes', postgresql.ARRAY(sa.String()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('criteria', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('customer',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('id_number_enc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('id_number_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id_number_masked', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('phone_enc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('phone_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('phone_masked', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('contract_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('contract_valid_until', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_customer_enterprise_id'), 'customer', ['enterprise_id'], unique=False)
    op.create_index(op.f('ix_customer_id_number_hash'), 'customer', ['id_number_hash'], unique=False)
    op.create_index(op.f('ix_customer_phone_hash'), 'customer', ['phone_hash'], unique=False)
    op.create_table('recall_item',
    sa.Column('recall_id', sa.Uuid(), nullable=False),
    sa.Column('cylinder_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['recall_id'], ['recall_campaign.id'], ),
    sa.PrimaryKeyConstraint('recall_id', 'cylinder_id')
    )
    op.create_table('delivery',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('worker_id', sa.Uuid(), nullable=False),
    sa.Column('vehicle_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('station_id', sa.Uuid(), nullable=True),
    sa.Column('codes', postgresql.ARRAY(sa.String()), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('location', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('safety_check', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('empties', postgresql.ARRAY(sa.String()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('otp_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('otp_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('customer_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('customer_confirmation', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('signature_png', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], ),
    sa.ForeignKeyConstraint(['worker_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_delivery_customer_id'), 'delivery', ['customer_id'], unique=False)
    op.create_index(op.f('ix_delivery_enterprise_id'), 'delivery', ['enterprise_id'], unique=False)
    op.create_index('ix_delivery_worker_status', 'delivery', ['worker_id', 'status'], unique=False)
    op.create_table('deposit',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('cylinder_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('amount_yuan', sa.Float(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_deposit_customer_id'), 'deposit', ['customer_id'], unique=False)
    op.create_table('hazard',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('delivery_id', sa.Uuid(), nullable=True),
    sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('found_by', sa.Uuid(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Uuid(), nullable=True),
    sa.Column('close_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_hazard_customer_id'), 'hazard', ['customer_id'], unique=False)
    op.create_index('ix_hazard_open_deadline', 'hazard', ['enterprise_id', 'status', 'deadline'], unique=False)
    op.create_index(op.f('ix_hazard_region_code'), 'hazard', ['region_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_hazard_region_code'), table_name='hazard')
    op.drop_index('ix_hazard_open_deadline', table_name='hazard')
    op.drop_index(op.f('ix_hazard_customer_id'), table_name='hazard')
    op.drop_table('hazard')
    op.drop_index(op.f('ix_deposit_customer_id'), table_name='deposit')
    op.drop_table('deposit')
    op.drop_index('ix_delivery_worker_status', table_name='delivery')
    op.drop_index(op.f('ix_delivery_enterprise_id'), table_name='delivery')
    op.drop_index(op.f('ix_delivery_customer_id'), table_name='delivery')
    op.drop_table('delivery')
    op.drop_table('recall_item')
    op.drop_index(op.f('ix_customer_phone_hash'), table_name='customer')
    op.drop_index(op.f('ix_customer_id_number_hash'), table_name='customer')
    op.drop_index(op.f('ix_customer_enterprise_id'), table_name='customer')
    op.drop_table('customer')
    op.drop_table('recall_campaign')
    op.drop_index(op.f('ix_handover_cylinder_id'), table_name='handover')
    op.drop_table('handover')
