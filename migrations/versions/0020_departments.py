"""Regulators' departments (市场监管, 住建/城管, 交通, 应急, 消防) and cases handed between them
(线索移交). Regulators recorded before are the market regulator's, as they were.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020'
down_revision: str | Sequence[str] | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column('app_user', sa.Column('department', S(length=16), nullable=True))
    op.execute("UPDATE app_user SET department = 'market' WHERE role = 'regulator'")
    op.add_column('public_report', sa.Column('department', S(length=16), nullable=False,
                                             server_default='market'))
    op.alter_column('public_report', 'department', server_default=None)
    op.create_table('case_handover',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('from_department', S(length=16), nullable=False),
    sa.Column('to_department', S(length=16), nullable=False),
    sa.Column('note', S(length=1000), nullable=False),
    sa.Column('actor', S(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
              nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['public_report.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_case_handover_report_id', 'case_handover', ['report_id'])


def downgrade() -> None:
    op.drop_table('case_handover')
    op.drop_column('public_report', 'department')
    op.drop_column('app_user', 'department')
