"""API tokens: created, listed and revoked with ``customs tokens``, checked by ``customs serve``.

A token reads ``ce_<id>_<secret>``. Only the SHA-256 digest of the secret is stored (the secret is
256 random bits, so a plain digest cannot be reversed or guessed); checking looks the row up by its
public id and compares digests with :func:`hmac.compare_digest` (constant time). The token itself
is shown once, when created, and never logged.

Scopes nest: ``admin`` ⊃ ``commit`` ⊃ ``validate``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from customs_engine.core.registry.database import storable
from customs_engine.core.registry.tables import ServiceTokenRow

Scope = Literal["validate", "commit", "admin"]
SCOPES: tuple[Scope, ...] = ("validate", "commit", "admin")
PREFIX = "ce_"


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    scope: Scope
    name: str | None
    created_at: datetime
    revoked_at: datetime | None

    def allows(self, needed: Scope) -> bool:
        return self.revoked_at is None and SCOPES.index(self.scope) >= SCOPES.index(needed)


class TokenError(Exception):
    """A token command that cannot be done (unknown id)."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _info(row: ServiceTokenRow) -> TokenInfo:
    scope: Scope = row.scope if row.scope in SCOPES else "validate"  # type: ignore[assignment]
    return TokenInfo(row.token_id, scope, row.name, row.created_at, row.revoked_at)


class TokenStore:
    """Tokens in the registry database."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def create(self, scope: Scope, name: str | None = None) -> tuple[str, TokenInfo]:
        """A new token: (the token, to show once; what is stored about it)."""
        if scope not in SCOPES:
            raise TokenError(f"unknown scope {scope!r} (one of {', '.join(SCOPES)})")
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        row = ServiceTokenRow(
            token_id=token_id,
            secret_sha256=_digest(secret),
            scope=scope,
            name=name,
            created_at=datetime.now(UTC),
        )
        with Session(self.engine) as session, session.begin():
            session.add(row)
            session.flush()
            info = _info(row)
        return f"{PREFIX}{token_id}_{secret}", info

    def list(self) -> list[TokenInfo]:
        with Session(self.engine) as session:
            return [
                _info(row)
                for row in session.scalars(select(ServiceTokenRow).order_by(ServiceTokenRow.id))
            ]

    def revoke(self, token_id: str) -> TokenInfo:
        with Session(self.engine) as session, session.begin():
            row = session.scalars(
                select(ServiceTokenRow).where(ServiceTokenRow.token_id == token_id)
            ).first()
            if row is None:
                raise TokenError(f"no token with id {token_id!r}")
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
            session.flush()
            return _info(row)

    def check(self, token: str) -> TokenInfo | None:
        """The token's record when it is genuine and not revoked; else ``None``."""
        token_id, secret = _split(token)
        if not storable(token_id):  # (a quoted cookie can hold one: "\000") no token has it
            return None
        with Session(self.engine) as session:
            row = session.scalars(
                select(ServiceTokenRow).where(ServiceTokenRow.token_id == token_id)
            ).first()
            stored = row.secret_sha256 if row is not None else _digest("")
            genuine = hmac.compare_digest(stored, _digest(secret))
            if row is None or not genuine or row.revoked_at is not None:
                return None
            return _info(row)


def _split(token: str) -> tuple[str, str]:
    body = token.removeprefix(PREFIX) if token.startswith(PREFIX) else ""
    token_id, _, secret = body.partition("_")
    return token_id, secret
