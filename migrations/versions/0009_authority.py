"""Who took a seizure, a recall or a station lock, so that only their side may lift it
(a regulator's action is never undone by the company it binds).

Rows from before are given their taker's current role where the history names the user; a
taker that cannot be found is left NULL, which the permission rule treats as a regulator.

Revision ID: 0009
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('cylinder', sa.Column('seized_by', sa.String(length=32), nullable=True))
    op.add_column('station', sa.Column('locked_by', sa.Uuid(), nullable=True))
    op.add_column('station', sa.Column('locked_by_role', sa.String(length=32), nullable=True))
    op.add_column('recall_campaign',
                  sa.Column('ordered_by_role', sa.String(length=32), nullable=True))
    op.execute("UPDATE recall_campaign r SET ordered_by_role = u.role FROM app_user u "
               "WHERE u.id = r.ordered_by")
    # The newest seizure event of each seized cylinder names its user.
    op.execute("""
        UPDATE cylinder c SET seized_by = u.role
        FROM (SELECT DISTINCT ON (e.cylinder_id) e.cylinder_id, e.actor_id
              FROM cylinder_event e JOIN cylinder s ON s.id = e.cylinder_id AND s.seized
              WHERE e.kind = 'seized' ORDER BY e.cylinder_id, e.occurred_at DESC, e.id DESC) last
        JOIN app_user u ON u.id::text = last.actor_id
        WHERE c.id = last.cylinder_id
    """)


def downgrade() -> None:
    op.drop_column('recall_campaign', 'ordered_by_role')
    op.drop_column('station', 'locked_by_role')
    op.drop_column('station', 'locked_by')
    op.drop_column('cylinder', 'seized_by')
