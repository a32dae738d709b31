"""Summary tables for the dashboards, kept current by the writes themselves.

Counting a province (a million cylinders, tens of millions of events) on every dashboard load
would scan; instead each write adds its counts to an append-only *delta* table (no row is ever
updated there, so concurrent writers never wait on a hot counter row), and the `compact_stats`
job folds the deltas into the tallies every minute. Readers sum tally + deltas, so an answer is
exact at any moment, compacted or not.

- stat_cylinder: cylinders per (owner, region, status, seized, recalled, failed, next due date).
- stat_fill: per (Asia/Shanghai day, the station's enterprise and region, kind, reason) the
  fills, refusals and, for each refusal, its reasons. Keyed by company and region rather than
  station: the dashboards ask by company or region, and a province has thousands of stations
  (20x fewer rows to add up; measured in docs/performance.md).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CYL_KEY = "owner_enterprise_id, region_code, status, seized, recalled, failed, due"
CYL_EXPR = ("owner_enterprise_id, region_code, status, seized, recalled, "
            "coalesce(last_inspection_result = 'fail', false), "
            "coalesce(next_inspection_due, DATE '9999-12-31')")
FILL_KEY = "day, enterprise_id, region_code, kind, reason"
# an event's rows in stat_fill: one for the event, and one per reason of a refusal
FILL_ROWS = """
  SELECT (e.occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS day, s.enterprise_id,
         s.region_code, e.kind, '' AS reason
  FROM {src} e JOIN station s ON s.id = e.station_id
  WHERE e.kind IN ('filled', 'fill_denied')
  UNION ALL
  SELECT (e.occurred_at AT TIME ZONE 'Asia/Shanghai')::date, s.enterprise_id, s.region_code,
         'reason', r
  FROM {src} e JOIN station s ON s.id = e.station_id,
       jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.payload -> 'reasons') =
       'array' THEN e.payload -> 'reasons' ELSE '[]'::jsonb END) AS r
  WHERE e.kind = 'fill_denied'"""

FUNCTIONS = [
    f"""
CREATE FUNCTION ct_stat_cylinder_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stat_cylinder_delta ({CYL_KEY}, n)
  SELECT {CYL_EXPR}, count(*) FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6, 7;
  RETURN NULL;
END $$""",
    f"""
CREATE FUNCTION ct_stat_cylinder_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stat_cylinder_delta ({CYL_KEY}, n)
  SELECT {CYL_EXPR}, -count(*) FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6, 7;
  RETURN NULL;
END $$""",
    f"""
CREATE FUNCTION ct_stat_cylinder_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stat_cylinder_delta ({CYL_KEY}, n) VALUES
    (OLD.owner_enterprise_id, OLD.region_code, OLD.status, OLD.seized, OLD.recalled,
     coalesce(OLD.last_inspection_result = 'fail', false),
     coalesce(OLD.next_inspection_due, DATE '9999-12-31'), -1),
    (NEW.owner_enterprise_id, NEW.region_code, NEW.status, NEW.seized, NEW.recalled,
     coalesce(NEW.last_inspection_result = 'fail', false),
     coalesce(NEW.next_inspection_due, DATE '9999-12-31'), 1);
  RETURN NULL;
END $$""",
    f"""
CREATE FUNCTION ct_stat_fill_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stat_fill_delta ({FILL_KEY}, n)
  SELECT {FILL_KEY}, count(*) FROM ({FILL_ROWS.format(src='new_rows')}) x
  GROUP BY 1, 2, 3, 4, 5;
  RETURN NULL;
END $$""",
    # folds the deltas into the tallies; safe beside concurrent writers (they only insert)
    f"""
CREATE FUNCTION ct_compact_stats() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  moved_c bigint;
  moved_f bigint;
BEGIN
  WITH moved AS (DELETE FROM stat_cylinder_delta RETURNING {CYL_KEY}, n),
       summed AS (SELECT {CYL_KEY}, sum(n) AS n FROM moved GROUP BY 1, 2, 3, 4, 5, 6, 7
                  ORDER BY 1, 2, 3, 4, 5, 6, 7),
       up AS (INSERT INTO stat_cylinder ({CYL_KEY}, n) SELECT * FROM summed
              ON CONFLICT ({CYL_KEY}) DO UPDATE SET n = stat_cylinder.n + excluded.n
              RETURNING 1)
  SELECT count(*) INTO moved_c FROM up;
  DELETE FROM stat_cylinder WHERE n = 0;
  WITH moved AS (DELETE FROM stat_fill_delta RETURNING {FILL_KEY}, n),
       summed AS (SELECT {FILL_KEY}, sum(n) AS n FROM moved GROUP BY 1, 2, 3, 4, 5
                  ORDER BY 1, 2, 3, 4, 5),
       up AS (INSERT INTO stat_fill ({FILL_KEY}, n) SELECT * FROM summed
              ON CONFLICT ({FILL_KEY}) DO UPDATE SET n = stat_fill.n + excluded.n
              RETURNING 1)
  SELECT count(*) INTO moved_f FROM up;
  RETURN moved_c + moved_f;
END $$""",
]

TRIGGERS = [
    "CREATE TRIGGER ct_stat_cylinder_insert AFTER INSERT ON cylinder REFERENCING NEW TABLE AS "
    "new_rows FOR EACH STATEMENT EXECUTE FUNCTION ct_stat_cylinder_insert()",
    "CREATE TRIGGER ct_stat_cylinder_delete AFTER DELETE ON cylinder REFERENCING OLD TABLE AS "
    "old_rows FOR EACH STATEMENT EXECUTE FUNCTION ct_stat_cylinder_delete()",
    # a row trigger with a WHEN: the many updates that change none of the counted columns
    # (every fill) never enter PL/pgSQL
    """CREATE TRIGGER ct_stat_cylinder_update AFTER UPDATE ON cylinder FOR EACH ROW
       WHEN (OLD.owner_enterprise_id IS DISTINCT FROM NEW.owner_enterprise_id
          OR OLD.region_code IS DISTINCT FROM NEW.region_code
          OR OLD.status IS DISTINCT FROM NEW.status OR OLD.seized IS DISTINCT FROM NEW.seized
          OR OLD.recalled IS DISTINCT FROM NEW.recalled
          OR OLD.last_inspection_result IS DISTINCT FROM NEW.last_inspection_result
          OR OLD.next_inspection_due IS DISTINCT FROM NEW.next_inspection_due)
       EXECUTE FUNCTION ct_stat_cylinder_update()""",
    "CREATE TRIGGER ct_stat_fill_insert AFTER INSERT ON cylinder_event REFERENCING NEW TABLE AS "
    "new_rows FOR EACH STATEMENT EXECUTE FUNCTION ct_stat_fill_insert()",
]


def _cylinder_columns() -> list[sa.Column]:
    return [sa.Column('owner_enterprise_id', sa.Uuid(), nullable=False),
            sa.Column('region_code', sa.String(length=6), nullable=False),
            sa.Column('status', sa.String(), nullable=False),
            sa.Column('seized', sa.Boolean(), nullable=False),
            sa.Column('recalled', sa.Boolean(), nullable=False),
            sa.Column('failed', sa.Boolean(), nullable=False),
            sa.Column('due', sa.Date(), nullable=False),
            sa.Column('n', sa.BigInteger(), nullable=False)]


def _fill_columns() -> list[sa.Column]:
    return [sa.Column('day', sa.Date(), nullable=False),
            sa.Column('enterprise_id', sa.Uuid(), nullable=False),
            sa.Column('region_code', sa.String(length=6), nullable=False),
            sa.Column('kind', sa.String(length=16), nullable=False),
            sa.Column('reason', sa.String(length=40), nullable=False),
            sa.Column('n', sa.BigInteger(), nullable=False)]


def upgrade() -> None:
    op.create_table('stat_cylinder', *_cylinder_columns(),
                    sa.PrimaryKeyConstraint(*CYL_KEY.split(", ")))
    op.create_table('stat_cylinder_delta', *_cylinder_columns())
    op.create_table('stat_fill', *_fill_columns(), sa.PrimaryKeyConstraint(*FILL_KEY.split(", ")))
    op.create_table('stat_fill_delta', *_fill_columns())
    for sql in FUNCTIONS + TRIGGERS:
        op.execute(sql)
    # what is already there
    op.execute(f"INSERT INTO stat_cylinder ({CYL_KEY}, n) SELECT {CYL_EXPR}, count(*) "
               "FROM cylinder GROUP BY 1, 2, 3, 4, 5, 6, 7")
    op.execute(f"INSERT INTO stat_fill ({FILL_KEY}, n) SELECT {FILL_KEY}, count(*) "
               f"FROM ({FILL_ROWS.format(src='cylinder_event')}) x GROUP BY 1, 2, 3, 4, 5")


def downgrade() -> None:
    for name, table in (("ct_stat_cylinder_insert", "cylinder"),
                        ("ct_stat_cylinder_delete", "cylinder"),
                        ("ct_stat_cylinder_update", "cylinder"),
                        ("ct_stat_fill_insert", "cylinder_event")):
        op.execute(f"DROP TRIGGER {name} ON {table}")
    for fn in ("ct_stat_cylinder_insert", "ct_stat_cylinder_delete", "ct_stat_cylinder_update",
               "ct_stat_fill_insert", "ct_compact_stats"):
        op.execute(f"DROP FUNCTION {fn}()")
    for table in ("stat_fill_delta", "stat_fill", "stat_cylinder_delta", "stat_cylinder"):
        op.drop_table(table)
