"""Signed customer tokens: how a site that embeds the chat says who the customer is.

An HS256 JWT whose ``sub`` is the customer id, signed with
``CUSTOMER_TOKEN_SECRET``. Unset, a random secret is made once and kept in the
data directory, so ``supportgraph token C0001`` works for local demos.
"""

from __future__ import annotations

import secrets
import time

import jwt

from server.settings import Settings

ALGORITHM = "HS256"


def token_secret(settings: Settings) -> str:
    """``CUSTOMER_TOKEN_SECRET``, or the data directory's generated one."""
    if settings.customer_token_secret:
        return settings.customer_token_secret.get_secret_value()
    path = settings.data_dir / "customer_token_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def mint_customer_token(secret: str, customer_id: str, minutes: int = 60) -> str:
    """A token for ``customer_id`` valid for ``minutes``."""
    now = int(time.time())
    claims = {"sub": customer_id, "iat": now, "exp": now + minutes * 60}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_customer_token(secret: str, token: str) -> str:
    """The customer id in a valid token; ``jwt.InvalidTokenError`` otherwise."""
    claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    return str(claims["sub"])
