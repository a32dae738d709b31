"""Regulators' inspections of stations, companies and delivery points (findings, photos,
deadline, re-inspection) and major hazards followed under the five-fixed rule (五定).

Revision ID: 0019
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0019'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table('supervision_visit',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject', S(length=16), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('station_id', sa.Uuid(), nullable=True),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('region_code', S(length=6), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('inspector_id', sa.Uuid(), nullable=False),
    sa.Column('inspector_name', S(length=60), nullable=False),
    sa.Column('department', S(length=16), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('findings', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('rectify_by', sa.Date(), nullable=True),
    sa.Column('status', S(length=12), nullable=False),
    sa.Column('reinspection_of', sa.Uuid(), nullable=True),
    sa.Column('reinspected_by_visit', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
              nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['inspector_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['reinspection_of'], ['supervision_visit.id'], ),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_supervision_visit_enterprise_id', 'supervision_visit', ['enterprise_id'])
    op.create_index('ix_supervision_visit_region_code', 'supervision_visit', ['region_code'])
    op.create_table('supervision_photo',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('media_type', S(length=20), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
              nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['supervision_visit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_supervision_photo_visit_id', 'supervision_photo', ['visit_id'])
    op.create_table('major_hazard',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', S(length=6), nullable=False),
    sa.Column('item', S(length=64), nullable=False),
    sa.Column('description', S(length=1000), nullable=False),
    sa.Column('responsible_person', S(length=60), nullable=True),
    sa.Column('measures', S(length=2000), nullable=True),
    sa.Column('funds_yuan', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('contingency_plan', S(length=2000), nullable=True),
    sa.Column('status', S(length=12), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', S(length=60), nullable=True),
    sa.Column('close_note', S(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
              nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['visit_id'], ['supervision_visit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_major_hazard_visit_id', 'major_hazard', ['visit_id'])
    op.create_index('ix_major_hazard_enterprise_id', 'major_hazard', ['enterprise_id'])


def downgrade() -> None:
    op.drop_table('major_hazard')
    op.drop_table('supervision_photo')
    op.drop_table('supervision_visit')
