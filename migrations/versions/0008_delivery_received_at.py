"""A delivery confirmed on a phone offline keeps two times: when it was made at the door
(delivered_at, the phone's clock) and when the service received it (received_at).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('delivery', sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE delivery SET received_at = delivered_at WHERE delivered_at IS NOT NULL")


def downgrade() -> None:
    op.drop_column('delivery', 'received_at')
