"""Auth hardening (issue 14, SPEC §16): normalised usernames, TOTP and recovery codes, lockout, token expiry.

- ``users.username_key``: the username in NFKC + casefold, unique, the same on SQLite and PostgreSQL (SQLite's
  ``lower()`` folds ASCII only, so "Äbc" and "äbc" were two users). Existing rows are filled here. If two
  existing usernames fold to the same key the upgrade STOPS with the list of them, changing nothing: which
  account is the real one is for a person to decide (rename or deactivate one, then run the upgrade again).
- ``users.failed_logins`` / ``locked_until``: account lockout after repeated failures (等保 登录失败处理).
- ``users.totp_secret`` / ``totp_enabled_at`` / ``totp_last_step``: the TOTP second factor (the last accepted
  time step refuses a replayed code); ``recovery_codes``: single-use codes, stored as SHA-256.
- ``api_tokens.expires_at``: existing tokens expire 90 days after they were issued.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:40:00

"""
import unicodedata
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TOKEN_DAYS = 90


def username_key(username: str) -> str:
    """Kept in step with ledger.auth.names.username_key (a migration imports nothing from the app)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username.strip()).casefold())


def _fill_username_keys(conn) -> None:
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String),
                     sa.column("username_key", sa.String))
    rows = conn.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id)).all()
    by_key: dict[str, list[tuple[int, str]]] = {}
    for user_id, username in rows:
        by_key.setdefault(username_key(username), []).append((user_id, username))
    clashes = {key: found for key, found in by_key.items() if len(found) > 1}
    if clashes:
        listed = "; ".join(", ".join(f"#{i} {name!r}" for i, name in found) for found in clashes.values())
        raise RuntimeError("0013: these usernames differ only in case or Unicode form and cannot all stay: "
                           f"{listed}. Rename one of each group (UPDATE users SET username = ...), then upgrade again.")
    for key, found in by_key.items():
        conn.execute(users.update().where(users.c.id == found[0][0]).values(username_key=key))


def _fill_token_expiry(conn) -> None:
    tokens = sa.table("api_tokens", sa.column("id", sa.Integer), sa.column("created_at", sa.DateTime(timezone=True)),
                      sa.column("expires_at", sa.DateTime(timezone=True)))
    for token_id, created_at in conn.execute(sa.select(tokens.c.id, tokens.c.created_at)).all():
        conn.execute(tokens.update().where(tokens.c.id == token_id)
                     .values(expires_at=created_at + timedelta(days=TOKEN_DAYS)))


def upgrade():
    conn = op.get_bind()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    _fill_username_keys(conn)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('username_key', existing_type=sa.String(length=200), nullable=False)
        batch_op.create_index('uq_users_username_key', ['username_key'], unique=True)

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    _fill_token_expiry(conn)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False)

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('uq_users_username_key')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('username_key')
