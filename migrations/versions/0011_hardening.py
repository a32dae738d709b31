"""Refusals of scans that name no registered cylinder count as refusals (UNREGISTERED).

A never-issued code scanned at a station is refused and kept in unregistered_scan, but the
dashboard tallies (migration 0007) counted only refusals recorded as cylinder events: the
forgeries a regulator most needs to see were missing from every count. Each insert into
unregistered_scan now adds, like a fill_denied event, one refusal and its reason to
stat_fill_delta, keyed by the station's company and region; rows already there are counted
once here.

Revision ID: 0011
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL_KEY = "day, enterprise_id, region_code, kind, reason"
# a refused unregistered scan's rows in stat_fill: the refusal, and its one reason
ROWS = """
  SELECT (u.scanned_at AT TIME ZONE 'Asia/Shanghai')::date AS day, s.enterprise_id,
         s.region_code, k.kind, k.reason
  FROM {src} u JOIN station s ON s.id = u.station_id,
       LATERAL (VALUES ('fill_denied', ''), ('reason', left(u.reason, 40))) AS k(kind, reason)"""


def upgrade() -> None:
    op.execute(f"""
CREATE FUNCTION ct_stat_unregistered_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stat_fill_delta ({FILL_KEY}, n)
  SELECT {FILL_KEY}, count(*) FROM ({ROWS.format(src='new_rows')}) x GROUP BY 1, 2, 3, 4, 5;
  RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER ct_stat_unregistered_insert AFTER INSERT ON unregistered_scan "
               "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
               "EXECUTE FUNCTION ct_stat_unregistered_insert()")
    op.execute(f"INSERT INTO stat_fill_delta ({FILL_KEY}, n) SELECT {FILL_KEY}, count(*) "
               f"FROM ({ROWS.format(src='unregistered_scan')}) x GROUP BY 1, 2, 3, 4, 5")


def downgrade() -> None:
    op.execute("DROP TRIGGER ct_stat_unregistered_insert ON unregistered_scan")
    op.execute("DROP FUNCTION ct_stat_unregistered_insert()")
    op.execute(f"INSERT INTO stat_fill_delta ({FILL_KEY}, n) SELECT {FILL_KEY}, -count(*) "
               f"FROM ({ROWS.format(src='unregistered_scan')}) x GROUP BY 1, 2, 3, 4, 5")
