"""Licence changes made by regulators (suspend, reinstate, revoke, renew), applied on their
effective day, and enforcement records (penalties, summons, warnings) against companies.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0016'
down_revision: str | Sequence[str] | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table('licence_change',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('station_id', sa.Uuid(), nullable=True),
    sa.Column('licence', S(length=12), nullable=False),
    sa.Column('action', S(length=12), nullable=False),
    sa.Column('reason', S(length=500), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('number', S(length=64), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('status_before', S(length=12), nullable=True),
    sa.Column('status_after', S(length=12), nullable=False),
    sa.Column('actor', S(length=60), nullable=False),
    sa.Column('actor_role', S(length=30), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
              nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_licence_change_enterprise_id', 'licence_change', ['enterprise_id'])
    op.create_index('ix_licence_change_station_id', 'licence_change', ['station_id'])
    op.create_index('ix_licence_change_pending', 'licence_change', ['effective_on'],
                    postgresql_where=sa.text('applied_at IS NULL'))
    op.create_table('enforcement_record',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('kind', S(length=12), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('reason', S(length=1000), nullable=False),
    sa.Column('document_number', S(length=64), nullable=True),
    sa.Column('amount_yuan', sa.Integer(), nullable=True),
    sa.Column('actor', S(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
              nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_enforcement_record_enterprise_id', 'enforcement_record',
                    ['enterprise_id'])


def downgrade() -> None:
    op.drop_table('enforcement_record')
    op.drop_table('licence_change')
