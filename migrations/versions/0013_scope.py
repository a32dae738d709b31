"""The statistics count days in the configured time zone, not a zone written into the trigger.

The service sets ``cylinder_trace.timezone`` (a custom setting) on each of its connections from
``settings.timezone`` (db.session_options); the fill trigger reads it once per statement.
A connection that did not set it (psql, a bulk load) counts in the setting's documented
default, Asia/Shanghai.

Revision ID: 0013
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | Sequence[str] | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL_KEY = "day, enterprise_id, region_code, kind, reason"
# as in 0007, with the zone as a parameter
FILL_ROWS = """
  SELECT (e.occurred_at AT TIME ZONE {zone})::date AS day, s.enterprise_id,
         s.region_code, e.kind, '' AS reason
  FROM new_rows e JOIN station s ON s.id = e.station_id
  WHERE e.kind IN ('filled', 'fill_denied')
  UNION ALL
  SELECT (e.occurred_at AT TIME ZONE {zone})::date, s.enterprise_id, s.region_code,
         'reason', r
  FROM new_rows e JOIN station s ON s.id = e.station_id,
       jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.payload -> 'reasons') =
       'array' THEN e.payload -> 'reasons' ELSE '[]'::jsonb END) AS r
  WHERE e.kind = 'fill_denied'"""

TIME_ZONE = """
CREATE FUNCTION ct_time_zone() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('cylinder_trace.timezone', true), ''), 'Asia/Shanghai')
$$"""


def _fill_insert(zone: str, declare: str = "") -> str:
    return f"""
CREATE OR REPLACE FUNCTION ct_stat_fill_insert() RETURNS trigger LANGUAGE plpgsql AS $$
{declare}BEGIN
  INSERT INTO stat_fill_delta ({FILL_KEY}, n)
  SELECT {FILL_KEY}, count(*) FROM ({FILL_ROWS.format(zone=zone)}) x
  GROUP BY 1, 2, 3, 4, 5;
  RETURN NULL;
END $$"""


def upgrade() -> None:
    op.execute(TIME_ZONE)
    op.execute(_fill_insert("tz", "DECLARE\n  tz text := ct_time_zone();\n"))


def downgrade() -> None:
    op.execute(_fill_insert("'Asia/Shanghai'"))
    op.execute("DROP FUNCTION ct_time_zone()")
