"""sealed webhook secrets: each subscription's signing secret sealed under the gateway's data key

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:00:00

The secrets were stored in clear, and so were in every backup of the gateway's database. The column
is widened for the sealed token, and each secret in clear is sealed under the gateway's data key
(``SORTES_GATEWAY_DATA_KEY_FILE``, by default ``<data>/keys/gateway-data-keys``; created when missing,
as the gateway creates it at start), bound to its subscription. A token is told from a secret in
clear by its dots (a secret is URL-safe base64, which has none).
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from shared.crypto import ensure_key_file
from shared.settings import data_dir, env_str

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _data_key_file() -> Path:
    return Path(env_str("SORTES_GATEWAY_DATA_KEY_FILE", str(data_dir() / "keys" / "gateway-data-keys")))


def upgrade() -> None:
    with op.batch_alter_table('webhook_subscriptions') as batch:
        batch.alter_column('secret', existing_type=sa.String(length=100), type_=sa.String(length=400),
                           existing_nullable=False)
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, secret FROM webhook_subscriptions")).all()
    clear = [(row.id, row.secret) for row in rows if "." not in row.secret]
    if not clear:
        return
    keys = ensure_key_file(_data_key_file())
    for subscription_id, secret in clear:
        connection.execute(sa.text("UPDATE webhook_subscriptions SET secret = :sealed WHERE id = :id"), {
            "id": subscription_id,
            "sealed": keys.encrypt(secret, context=f"webhook_subscriptions.secret:{subscription_id}")})


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, secret FROM webhook_subscriptions")).all()
    sealed = [(row.id, row.secret) for row in rows if "." in row.secret]
    if sealed:
        keys = ensure_key_file(_data_key_file())
        for subscription_id, token in sealed:
            connection.execute(sa.text("UPDATE webhook_subscriptions SET secret = :secret WHERE id = :id"), {
                "id": subscription_id,
                "secret": keys.decrypt(token, context=f"webhook_subscriptions.secret:{subscription_id}")})
    with op.batch_alter_table('webhook_subscriptions') as batch:
        batch.alter_column('secret', existing_type=sa.String(length=400), type_=sa.String(length=100),
                           existing_nullable=False)
