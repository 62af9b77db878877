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


def _username_keys(conn) -> dict[int, str]:
    """Each existing user's key; refuses (before any change) when two usernames fold to the same key."""
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String))
    rows = conn.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id)).all()
    by_key: dict[str, list[tuple[int, str]]] = {}
    for user_id, username in rows:
        by_key.setdefault(username_key(username), []).append((user_id, username))
    clashes = [found for found in by_key.values() if len(found) > 1]
    if clashes:
        listed = "; ".join(", ".join(f"#{i} {name!r}" for i, name in found) for found in clashes)
        raise RuntimeError("0013: these usernames differ only in case or Unicode form and cannot all stay: "
                           f"{listed}. Nothing was changed. Rename one of each group "
                           "(UPDATE users SET username = ... WHERE id = ...), then upgrade again.")
    return {found[0][0]: key for key, found in by_key.items()}


def _fill_username_keys(conn, keys: dict[int, str]) -> None:
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username_key", sa.String))
    for user_id, key in keys.items():
        conn.execute(users.update().where(users.c.id == user_id).values(username_key=key))


def _fill_token_expiry(conn) -> None:
    tokens = sa.table("api_tokens", sa.column("id", sa.Integer), sa.column("created_at", sa.DateTime(timezone=True)),
                      sa.column("expires_at", sa.DateTime(timezone=True)))
    for token_id, created_at in conn.execute(sa.select(tokens.c.id, tokens.c.created_at)).all():
        conn.execute(tokens.update().where(tokens.c.id == token_id)
                     .values(expires_at=created_at + timedelta(days=TOKEN_DAYS)))


# Plain ALTER TABLE ADD/DROP COLUMN on both databases (SQLite 3.35+), no batch table copy: rebuilding
# ``users`` fails on SQLite while foreign keys (enforced by the app's connections) point at it.
EPOCH = "1970-01-01 00:00:00"  # the server default of expires_at: a token written without one is expired


def upgrade():
    conn = op.get_bind()
    keys = _username_keys(conn)  # first: a clash stops the upgrade before anything is altered
    op.add_column('users', sa.Column('username_key', sa.String(length=200), server_default='', nullable=False))
    op.add_column('users', sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
    op.add_column('users', sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('users', sa.Column('totp_enabled_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    _fill_username_keys(conn, keys)
    op.create_index('uq_users_username_key', 'users', ['username_key'], unique=True)

    op.add_column('api_tokens', sa.Column('expires_at', sa.DateTime(timezone=True), server_default=EPOCH,
                                          nullable=False))
    _fill_token_expiry(conn)

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    op.create_index(op.f('ix_recovery_codes_user_id'), 'recovery_codes', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_recovery_codes_user_id'), table_name='recovery_codes')
    op.drop_table('recovery_codes')
    op.drop_column('api_tokens', 'expires_at')
    op.drop_index('uq_users_username_key', table_name='users')
    for column in ('totp_last_step', 'totp_enabled_at', 'totp_secret', 'locked_until', 'failed_logins',
                   'username_key'):
        op.drop_column('users', column)
