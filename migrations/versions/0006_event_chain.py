"""Tamper-evident history: each event stores a hash over its content and the previous event's
hash for the same cylinder (a chain), computed by the database on every insert, whatever path
wrote it; a narrow table keeps each cylinder's chain head (and is the per-cylinder lock).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASH_FUNCTION = """
CREATE FUNCTION ct_event_hash(prev text, cylinder_id bigint, occurred_at timestamptz, kind text,
                              actor_kind text, actor_id text, station_id uuid,
                              enterprise_id uuid, payload jsonb)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws('|', coalesce(prev, ''), cylinder_id::text,
         to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), kind,
         actor_kind, coalesce(actor_id, ''), coalesce(station_id::text, ''),
         coalesce(enterprise_id::text, ''), payload::text), 'UTF8')), 'hex')
$$"""

CHAIN_TRIGGER_FUNCTION = """
CREATE FUNCTION ct_event_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prev text;
BEGIN
  IF NEW.kind <> 'registered' THEN
    -- the head row is the chain's lock: one writer per cylinder at a time (a concurrent first
    -- insert waits on the unique key, then reads the committed head)
    INSERT INTO cylinder_chain (cylinder_id) VALUES (NEW.cylinder_id) ON CONFLICT DO NOTHING;
    SELECT head INTO prev FROM cylinder_chain WHERE cylinder_id = NEW.cylinder_id FOR UPDATE;
    IF prev IS NULL THEN
      SELECT hash INTO prev FROM cylinder_event WHERE cylinder_id = NEW.cylinder_id
      ORDER BY occurred_at DESC, id DESC LIMIT 1;
    END IF;
  END IF;
  NEW.prev_hash := prev;
  NEW.hash := ct_event_hash(prev, NEW.cylinder_id, NEW.occurred_at, NEW.kind, NEW.actor_kind,
                            NEW.actor_id, NEW.station_id, NEW.enterprise_id, NEW.payload);
  IF NEW.kind <> 'registered' THEN
    UPDATE cylinder_chain SET head = NEW.hash WHERE cylinder_id = NEW.cylinder_id;
  END IF;
  RETURN NEW;
END $$"""


def upgrade() -> None:
    # Narrow on purpose: a head update per event must not rewrite the wide cylinder row.
    op.create_table('cylinder_chain',
                    sa.Column('cylinder_id', sa.BigInteger(), nullable=False),
                    sa.Column('head', sa.String(length=64), nullable=True),
                    sa.PrimaryKeyConstraint('cylinder_id'))
    op.add_column('cylinder_event', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('cylinder_event', sa.Column('hash', sa.String(length=64), nullable=True))
    op.execute(HASH_FUNCTION)
    op.execute(CHAIN_TRIGGER_FUNCTION)
    # Events written before this revision get their chain now (the append-only trigger is
    # lifted for this one statement of the migration only).
    op.execute("ALTER TABLE cylinder_event DISABLE TRIGGER cylinder_event_append_only")
    op.execute("""
        DO $$
        DECLARE r record; prev text; last_cyl bigint := NULL; h text;
        BEGIN
          FOR r IN SELECT * FROM cylinder_event ORDER BY cylinder_id, occurred_at, id LOOP
            IF last_cyl IS DISTINCT FROM r.cylinder_id THEN prev := NULL; END IF;
            h := ct_event_hash(prev, r.cylinder_id, r.occurred_at, r.kind, r.actor_kind,
                               r.actor_id, r.station_id, r.enterprise_id, r.payload);
            UPDATE cylinder_event SET prev_hash = prev, hash = h
            WHERE cylinder_id = r.cylinder_id AND occurred_at = r.occurred_at AND id = r.id;
            INSERT INTO cylinder_chain VALUES (r.cylinder_id, h)
            ON CONFLICT (cylinder_id) DO UPDATE SET head = EXCLUDED.head;
            prev := h; last_cyl := r.cylinder_id;
          END LOOP;
        END $$""")
    op.execute("ALTER TABLE cylinder_event ENABLE TRIGGER cylinder_event_append_only")
    op.execute("""
        CREATE TRIGGER cylinder_event_chain BEFORE INSERT ON cylinder_event
        FOR EACH ROW EXECUTE FUNCTION ct_event_chain()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER cylinder_event_chain ON cylinder_event")
    op.execute("DROP FUNCTION ct_event_chain()")
    op.execute("DROP FUNCTION ct_event_hash(text, bigint, timestamptz, text, text, text, uuid, "
               "uuid, jsonb)")
    op.drop_column('cylinder_event', 'hash')
    op.drop_column('cylinder_event', 'prev_hash')
    op.drop_table('cylinder_chain')
