"""Every cylinder's chain head exists from its registration on.

Before, a `registered` event left no head row, so the first later event of each cylinder (its
first fill, most often) looked the registration's hash up in `cylinder_event` itself: a query over
every monthly partition, planned once for all of them, which cost about 0.5 ms an event, four
times the rest of the trigger (docs/performance.md, issue 20). Now the registrations' heads are
written once per statement, by the statement trigger that already follows every insert of events
(the statistics'), set-based: a bulk import's COPY writes all its heads in one statement, not one
per row (a row's insert cost the import 17 %), and a fill's statement pays one more look at its
own few rows. A later event reads the head by the narrow table's key. The look-up stays for a
cylinder that has no head row (none after this revision's back-fill): the chain is the same.

Revision ID: 0021
Revises: 0011
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0021'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAIN_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION ct_event_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prev text;
BEGIN
  IF NEW.kind <> 'registered' THEN
    -- the head row is the chain's lock: one writer per cylinder at a time
    SELECT head INTO prev FROM cylinder_chain WHERE cylinder_id = NEW.cylinder_id FOR UPDATE;
    IF NOT FOUND THEN
      -- no head row (a cylinder written before its registration kept one): a concurrent first
      -- insert waits on the unique key, then reads the committed head
      INSERT INTO cylinder_chain (cylinder_id) VALUES (NEW.cylinder_id) ON CONFLICT DO NOTHING;
      SELECT head INTO prev FROM cylinder_chain WHERE cylinder_id = NEW.cylinder_id FOR UPDATE;
      IF prev IS NULL THEN
        SELECT hash INTO prev FROM cylinder_event WHERE cylinder_id = NEW.cylinder_id
        ORDER BY occurred_at DESC, id DESC LIMIT 1;
      END IF;
    END IF;
  END IF;
  NEW.prev_hash := prev;
  NEW.hash := ct_event_hash(prev, NEW.cylinder_id, NEW.occurred_at, NEW.kind, NEW.actor_kind,
                            NEW.actor_id, NEW.station_id, NEW.enterprise_id, NEW.payload);
  IF NEW.kind <> 'registered' THEN
    UPDATE cylinder_chain SET head = NEW.hash WHERE cylinder_id = NEW.cylinder_id;
  END IF;  -- (a registration's head: the statement trigger below)
  RETURN NEW;
END $$"""

FILL_KEY = "day, enterprise_id, region_code, kind, reason"
# as revision 0013 wrote them
FILL_ROWS = """
  SELECT (e.occurred_at AT TIME ZONE tz)::date AS day, s.enterprise_id,
         s.region_code, e.kind, '' AS reason
  FROM new_rows e JOIN station s ON s.id = e.station_id
  WHERE e.kind IN ('filled', 'fill_denied')
  UNION ALL
  SELECT (e.occurred_at AT TIME ZONE tz)::date, s.enterprise_id, s.region_code,
         'reason', r
  FROM new_rows e JOIN station s ON s.id = e.station_id,
       jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.payload -> 'reasons') =
       'array' THEN e.payload -> 'reasons' ELSE '[]'::jsonb END) AS r
  WHERE e.kind = 'fill_denied'"""
STATISTICS = f"""
  INSERT INTO stat_fill_delta ({FILL_KEY}, n)
  SELECT {FILL_KEY}, count(*) FROM ({FILL_ROWS}) x
  GROUP BY 1, 2, 3, 4, 5;"""

AFTER_INSERT_FUNCTION = f"""
CREATE FUNCTION ct_event_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text := ct_time_zone();
BEGIN
  -- the statement's registrations are their chains' heads (a cylinder's first event; one
  -- with a head already, kept: a registration never moves a chain on)
  INSERT INTO cylinder_chain (cylinder_id, head)
  SELECT DISTINCT ON (cylinder_id) cylinder_id, hash FROM new_rows WHERE kind = 'registered'
  ORDER BY cylinder_id, occurred_at, id
  ON CONFLICT (cylinder_id) DO UPDATE SET head = EXCLUDED.head
  WHERE cylinder_chain.head IS NULL;
  -- the fill statistics' deltas (revision 0013's ct_stat_fill_insert)
  {STATISTICS}
  RETURN NULL;
END $$"""

OLD_STATISTICS_FUNCTION = f"""
CREATE FUNCTION ct_stat_fill_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text := ct_time_zone();
BEGIN
  {STATISTICS}
  RETURN NULL;
END $$"""

# as revision 0006 wrote it
OLD_CHAIN_TRIGGER_FUNCTION = """
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
    op.execute(CHAIN_TRIGGER_FUNCTION)
    op.execute(AFTER_INSERT_FUNCTION)
    op.execute("DROP TRIGGER ct_stat_fill_insert ON cylinder_event")
    op.execute("DROP FUNCTION ct_stat_fill_insert()")
    op.execute("CREATE TRIGGER cylinder_event_inserted AFTER INSERT ON cylinder_event "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION ct_event_inserted()")
    # the heads the old trigger left unwritten: each cylinder's newest event (its registration,
    # when that is all it has)
    op.execute("""
        INSERT INTO cylinder_chain (cylinder_id, head)
        SELECT DISTINCT ON (cylinder_id) cylinder_id, hash FROM cylinder_event
        ORDER BY cylinder_id, occurred_at DESC, id DESC
        ON CONFLICT (cylinder_id) DO UPDATE SET head = EXCLUDED.head
        WHERE cylinder_chain.head IS NULL""")


def downgrade() -> None:
    # the head rows stay: the old trigger reads a head where there is one
    op.execute("DROP TRIGGER cylinder_event_inserted ON cylinder_event")
    op.execute("DROP FUNCTION ct_event_inserted()")
    op.execute(OLD_STATISTICS_FUNCTION)
    op.execute("CREATE TRIGGER ct_stat_fill_insert AFTER INSERT ON cylinder_event "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION ct_stat_fill_insert()")
    op.execute(OLD_CHAIN_TRIGGER_FUNCTION)
