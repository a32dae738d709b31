"""Inspection agencies (气瓶检验机构): the agency, its inspectors (app_user.agency_id) and its
register of inspections, valve conversions and scrappings. The inspections and conversions
already in the history are copied into the register with no agency: they were recorded before
agencies were registered (by a company, under a free-text agency name) and stay history only.

Revision ID: 0012
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | Sequence[str] | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        'agency',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', _str(length=200), nullable=False),
        sa.Column('credit_code', _str(length=18), nullable=False),
        sa.Column('region_code', _str(length=6), nullable=False),
        sa.Column('approval_number', _str(length=64), nullable=False),
        sa.Column('approval_valid_from', sa.Date(), nullable=True),
        sa.Column('approval_valid_until', sa.Date(), nullable=False),
        sa.Column('approval_status', _str(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('credit_code'),
    )
    op.create_index(op.f('ix_agency_region_code'), 'agency', ['region_code'], unique=False)
    op.add_column('app_user', sa.Column('agency_id', sa.Uuid(), nullable=True))
    op.create_index(op.f('ix_app_user_agency_id'), 'app_user', ['agency_id'], unique=False)
    op.create_foreign_key('app_user_agency_id_fkey', 'app_user', 'agency', ['agency_id'], ['id'])
    op.create_table(
        'inspection',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('cylinder_id', sa.BigInteger(), nullable=False),
        sa.Column('kind', _str(length=20), nullable=False),
        sa.Column('agency_id', sa.Uuid(), nullable=True),
        sa.Column('agency_name', _str(length=200), nullable=False),
        sa.Column('inspector_id', sa.Uuid(), nullable=True),
        sa.Column('inspected_on', sa.Date(), nullable=False),
        sa.Column('result', _str(length=12), nullable=True),
        sa.Column('next_due', sa.Date(), nullable=True),
        sa.Column('report_number', _str(length=64), nullable=True),
        sa.Column('event_id', sa.BigInteger(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_inspection_cylinder_id'), 'inspection', ['cylinder_id'],
                    unique=False)
    op.create_index('ix_inspection_agency_time', 'inspection', ['agency_id', 'recorded_at'],
                    unique=False)
    op.create_index('ux_inspection_agency_report', 'inspection',
                    ['agency_id', 'kind', 'report_number'], unique=True,
                    postgresql_where=sa.text('agency_id IS NOT NULL'))
    # The history keeps its events untouched (append-only, hash-chained); the register gets a
    # copy of each with agency_id NULL: not recorded by a registered agency.
    op.execute(
        "INSERT INTO inspection (cylinder_id, kind, agency_id, agency_name, inspected_on, result, "
        "next_due, report_number, event_id, recorded_at) "
        "SELECT cylinder_id, 'inspection', NULL, left(coalesce(payload->>'agency', ''), 200), "
        "coalesce(CAST(payload->>'inspected_on' AS date), "
        "CAST(occurred_at AT TIME ZONE 'Asia/Shanghai' AS date)), payload->>'result', "
        "CAST(payload->>'next_due' AS date), left(payload->>'report_number', 64), id, "
        "coalesce(recorded_at, occurred_at) FROM cylinder_event WHERE kind = 'inspected' "
        "ORDER BY occurred_at, id")
    op.execute(
        "INSERT INTO inspection (cylinder_id, kind, agency_id, agency_name, inspected_on, "
        "report_number, event_id, recorded_at) "
        "SELECT cylinder_id, 'valve_conversion', NULL, left(coalesce(payload->>'agency', ''), 200), "
        "CAST(occurred_at AT TIME ZONE 'Asia/Shanghai' AS date), "
        "left(payload->>'report_number', 64), id, coalesce(recorded_at, occurred_at) "
        "FROM cylinder_event WHERE kind = 'valve_converted' ORDER BY occurred_at, id")


def downgrade() -> None:
    op.drop_index('ux_inspection_agency_report', table_name='inspection',
                  postgresql_where=sa.text('agency_id IS NOT NULL'))
    op.drop_index('ix_inspection_agency_time', table_name='inspection')
    op.drop_index(op.f('ix_inspection_cylinder_id'), table_name='inspection')
    op.drop_table('inspection')
    op.drop_constraint('app_user_agency_id_fkey', 'app_user', type_='foreignkey')
    op.drop_index(op.f('ix_app_user_agency_id'), table_name='app_user')
    op.drop_column('app_user', 'agency_id')
    op.drop_index(op.f('ix_agency_region_code'), table_name='agency')
    op.drop_table('agency')
