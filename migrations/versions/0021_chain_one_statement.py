"""The chain trigger takes, reads and moves a cylinder's chain head in one statement.

The trigger of 0006 ran three statements for every event but a registration: an INSERT ... ON
CONFLICT DO NOTHING (the head row as the chain's lock), a SELECT ... FOR UPDATE of the head and
an UPDATE to the new hash; on the fill hot path they were the largest part of PostgreSQL's
time a request. One UPDATE does all three: it locks the head row, and its SET expressions all
read the row as it was, so `prev_head = head, head = hash(head, ...)` keeps the old head beside
the new one and RETURNING hands both back (PostgreSQL 15 has no RETURNING OLD). Under READ
COMMITTED a concurrent writer's UPDATE waits for the row and recomputes its SET on the newer
version, so a cylinder's events still form one line. Only a cylinder's first event after its
registration finds no head row: it seeds the row with the registration's hash, as before.

Revision ID: 0021
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_STATEMENT = """
CREATE OR REPLACE FUNCTION ct_event_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prev text;
  h text;
BEGIN
  IF NEW.kind = 'registered' THEN
    NEW.prev_hash := NULL;
    NEW.hash := ct_event_hash(NULL, NEW.cylinder_id, NEW.occurred_at, NEW.kind, NEW.actor_kind,
                              NEW.actor_id, NEW.station_id, NEW.enterprise_id, NEW.payload);
    RETURN NEW;
  END IF;
  FOR attempt IN 1..2 LOOP
    UPDATE cylinder_chain SET prev_head = head,
           head = ct_event_hash(head, NEW.cylinder_id, NEW.occurred_at, NEW.kind,
                                NEW.actor_kind, NEW.actor_id, NEW.station_id,
                                NEW.enterprise_id, NEW.payload)
     WHERE cylinder_id = NEW.cylinder_id
    RETURNING prev_head, head INTO prev, h;
    IF FOUND THEN
      NEW.prev_hash := prev;
      NEW.hash := h;
      RETURN NEW;
    END IF;
    -- the first event after the registration: the head row starts at the newest event's
    -- hash (a concurrent first insert waits on the key, then the UPDATE above reads its head)
    INSERT INTO cylinder_chain (cylinder_id, head)
    SELECT NEW.cylinder_id, (SELECT hash FROM cylinder_event WHERE cylinder_id = NEW.cylinder_id
                             ORDER BY occurred_at DESC, id DESC LIMIT 1)
    ON CONFLICT DO NOTHING;
  END LOOP;
  RAISE EXCEPTION 'no chain head for cylinder %', NEW.cylinder_id;
END $$"""

THREE_STATEMENTS = """
CREATE OR REPLACE FUNCTION ct_event_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prev text;
BEGIN
  IF NEW.kind <> 'registered' THEN
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
    op.add_column('cylinder_chain', sa.Column('prev_head', sa.String(length=64), nullable=True))
    op.execute(ONE_STATEMENT)


def downgrade() -> None:
    op.execute(THREE_STATEMENTS)
    op.drop_column('cylinder_chain', 'prev_head')
