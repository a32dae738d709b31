"""An audit trail of every change that is not a cylinder event (station locks, licence changes,
users and keys, customers, webhooks, …): append-only and hash-chained by the database, one chain
for the whole trail, so `cylinder-trace verify` finds an edited, deleted or inserted entry.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0017'
down_revision: str | Sequence[str] | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASH_FUNCTION = """
CREATE FUNCTION ct_audit_hash(prev text, id bigint, at timestamptz, actor text, actor_role text,
                              action text, subject_kind text, subject_id text,
                              enterprise_id uuid, region_code text, before jsonb, after jsonb)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws('|', coalesce(prev, ''), id::text,
         to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor, actor_role,
         action, subject_kind, subject_id, coalesce(enterprise_id::text, ''),
         coalesce(region_code, ''), coalesce(before::text, ''), coalesce(after::text, '')),
         'UTF8')), 'hex')
$$"""

CHAIN_FUNCTION = """
CREATE FUNCTION ct_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prev text;
BEGIN
  -- the one head row is the trail's lock: audited writes are rare, so one chain is cheap
  INSERT INTO audit_chain (id) VALUES (1) ON CONFLICT DO NOTHING;
  SELECT head INTO prev FROM audit_chain WHERE id = 1 FOR UPDATE;
  NEW.prev_hash := prev;
  NEW.hash := ct_audit_hash(prev, NEW.id, NEW.at, NEW.actor, NEW.actor_role, NEW.action,
                            NEW.subject_kind, NEW.subject_id, NEW.enterprise_id,
                            NEW.region_code, NEW.before, NEW.after);
  UPDATE audit_chain SET head = NEW.hash WHERE id = 1;
  RETURN NEW;
END $$"""

FORBID = """
CREATE FUNCTION ct_forbid_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    IF coalesce(current_setting('cylinder_trace.allow_truncate', true), '') = 'on' THEN
      RETURN NULL;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_entry is append-only (% refused)', TG_OP
      USING ERRCODE = 'insufficient_privilege';
END $$"""


def upgrade() -> None:
    op.create_table('audit_chain',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('head', sa.String(length=64), nullable=True),
                    sa.PrimaryKeyConstraint('id'))
    op.create_table('audit_entry',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
              nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('actor_role', sa.String(length=30), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_kind', sa.String(length=30), nullable=False),
    sa.Column('subject_id', sa.String(length=60), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('hash', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_audit_entry_subject', 'audit_entry', ['subject_kind', 'subject_id'])
    op.create_index('ix_audit_entry_enterprise_id', 'audit_entry', ['enterprise_id'])
    op.execute(HASH_FUNCTION)
    op.execute(CHAIN_FUNCTION)
    op.execute(FORBID)
    op.execute("CREATE TRIGGER audit_entry_chain BEFORE INSERT ON audit_entry "
               "FOR EACH ROW EXECUTE FUNCTION ct_audit_chain()")
    op.execute("CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
               "FOR EACH ROW EXECUTE FUNCTION ct_forbid_audit_change()")
    op.execute("CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
               "FOR EACH STATEMENT EXECUTE FUNCTION ct_forbid_audit_change()")


def downgrade() -> None:
    op.drop_table('audit_entry')
    op.drop_table('audit_chain')
    op.execute("DROP FUNCTION ct_forbid_audit_change()")
    op.execute("DROP FUNCTION ct_audit_chain()")
    op.execute("DROP FUNCTION ct_audit_hash(text, bigint, timestamptz, text, text, text, text, "
               "text, uuid, text, jsonb, jsonb)")
