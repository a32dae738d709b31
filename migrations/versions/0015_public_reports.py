"""The public's reports (举报) as cases for the regulator of their region, with photos; the
company's complaint and emergency numbers for the public page.

Revision ID: 0015
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('enterprise', sa.Column(
        'complaint_phone', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True))
    op.add_column('enterprise', sa.Column(
        'emergency_phone', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True))
    op.create_table('public_report',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('cylinder_id', sa.BigInteger(), nullable=True),
    sa.Column('scanned', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('enterprise_id', sa.Uuid(), nullable=True),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('contact_phone_enc', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('answered_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
              nullable=False),
    sa.ForeignKeyConstraint(['cylinder_id'], ['cylinder.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    op.create_index('ix_public_report_cylinder_id', 'public_report', ['cylinder_id'])
    op.create_index('ix_public_report_enterprise_id', 'public_report', ['enterprise_id'])
    op.create_index('ix_public_report_region_status', 'public_report',
                    ['region_code', 'status'])
    op.create_table('report_photo',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
              nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['public_report.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_report_photo_report_id', 'report_photo', ['report_id'])


def downgrade() -> None:
    op.drop_table('report_photo')
    op.drop_table('public_report')
    op.drop_column('enterprise', 'emergency_phone')
    op.drop_column('enterprise', 'complaint_phone')
