"""Cylinder registry and its append-only, month-partitioned event log.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE cylinder_event_id_seq AS bigint")
    op.create_table('cylinder_event',
    sa.Column('id', sa.BigInteger(), server_default=sa.text("nextval('cylinder_event_id_seq')"), nullable=False),
    sa.Column('cylinder_id', sa.BigInteger(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('actor_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('station_id', sa.Uuid(), nullable=True),
    sa.Column('enterprise_id', sa.Uuid(), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.PrimaryKeyConstraint('cylinder_id', 'occurred_at', 'id'),
    postgresql_partition_by='RANGE (occurred_at)'
    )
    op.create_index('ix_cylinder_event_kind_time', 'cylinder_event', ['kind', 'occurred_at'], unique=False)
    op.create_index('ix_cylinder_event_station_time', 'cylinder_event', ['station_id', 'occurred_at'], unique=False)
    op.create_table('cylinder',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('rfid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('external_code', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('owner_enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('manufacturer', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('serial_number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('water_capacity_l', sa.Float(), nullable=False),
    sa.Column('tare_kg', sa.Float(), nullable=False),
    sa.Column('max_fill_kg', sa.Float(), nullable=False),
    sa.Column('manufacture_date', sa.Date(), nullable=False),
    sa.Column('design_life_years', sa.Integer(), nullable=True),
    sa.Column('valve_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('smart_valve_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('refurbished', sa.Boolean(), nullable=False),
    sa.Column('insurance_policy', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('insurance_valid_until', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('seized', sa.Boolean(), nullable=False),
    sa.Column('recalled', sa.Boolean(), nullable=False),
    sa.Column('filled', sa.Boolean(), nullable=False),
    sa.Column('location_kind', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('location_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('last_inspection_date', sa.Date(), nullable=True),
    sa.Column('last_inspection_result', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('next_inspection_due', sa.Date(), nullable=True),
    sa.Column('entrusted_to_enterprise_id', sa.Uuid(), nullable=True),
    sa.Column('entrusted_until', sa.Date(), nullable=True),
    sa.Column('last_fill_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_fill_station_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['owner_enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('external_code'),
    sa.UniqueConstraint('manufacturer', 'serial_number', name='uq_cylinder_manufacturer_serial'),
    sa.UniqueConstraint('rfid')
    )
    op.create_index('ix_cylinder_owner_status', 'cylinder', ['owner_enterprise_id', 'status'], unique=False)
    op.create_index('ix_cylinder_region_due', 'cylinder', ['region_code', 'next_inspection_due'], unique=False)
    op.execute("ALTER SEQUENCE cylinder_event_id_seq OWNED BY cylinder_event.id")
    # Events are evidence: no UPDATE or DELETE, ever; TRUNCATE only where a session
    # explicitly asks for it (the test suite's clean-up), never in the service.
    op.execute("""
        CREATE FUNCTION ct_forbid_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'cylinder_event is append-only (% refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""")
    op.execute("""
        CREATE TRIGGER cylinder_event_append_only BEFORE UPDATE OR DELETE ON cylinder_event
        FOR EACH ROW EXECUTE FUNCTION ct_forbid_event_change()""")
    op.execute("""
        CREATE FUNCTION ct_forbid_event_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF coalesce(current_setting('cylinder_trace.allow_truncate', true), '') <> 'on' THEN
                RAISE EXCEPTION 'cylinder_event is append-only (TRUNCATE refused)'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER cylinder_event_no_truncate BEFORE TRUNCATE ON cylinder_event
        FOR EACH STATEMENT EXECUTE FUNCTION ct_forbid_event_truncate()""")
    # Monthly partitions, created ahead by this function (called here and by a daily job);
    # a default partition catches anything outside them so no write is ever refused.
    op.execute("""
        CREATE FUNCTION ct_ensure_event_partitions(first_month date, months_ahead int)
        RETURNS int LANGUAGE plpgsql AS $$
        DECLARE
            m date := date_trunc('month', first_month)::date;
            last date := (date_trunc('month', now()) + make_interval(months => months_ahead))::date;
            made int := 0;
            name text;
        BEGIN
            WHILE m <= last LOOP
                name := 'cylinder_event_' || to_char(m, 'YYYYMM');
                IF to_regclass(name) IS NULL THEN
                    EXECUTE format(
                        'CREATE TABLE %I PARTITION OF cylinder_event FOR VALUES FROM (%L) TO (%L)',
                        name, m, (m + interval '1 month')::date);
                    made := made + 1;
                END IF;
                m := (m + interval '1 month')::date;
            END LOOP;
            RETURN made;
        END $$""")
    op.execute("CREATE TABLE cylinder_event_default PARTITION OF cylinder_event DEFAULT")
    op.execute("SELECT ct_ensure_event_partitions((date_trunc('month', now()) - interval '12 months')::date, 12)")
    # Partial indexes that the rules and the dashboards filter on.
    op.execute("CREATE INDEX ix_cylinder_open_state ON cylinder (owner_enterprise_id) "
               "WHERE seized OR recalled OR status <> 'active'")


def downgrade() -> None:
    op.drop_table("cylinder_event")
    op.drop_table("cylinder")
    op.execute("DROP FUNCTION ct_ensure_event_partitions(date, int)")
    op.execute("DROP FUNCTION ct_forbid_event_truncate()")
    op.execute("DROP FUNCTION ct_forbid_event_change()")
