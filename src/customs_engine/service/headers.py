"""Security headers on every answer of the service (ASGI middleware).

The console's pages load only their own style sheet, script and icon, and have no inline script
or style, so their Content-Security-Policy allows nothing but the service itself. The Swagger UI
at ``/docs`` starts itself with an inline script (FastAPI's page), so it is allowed inline script
and style, and nothing from elsewhere either. No page may be framed (clickjacking), no answer is
sniffed into another type, and no address of the service is sent on as a referrer. Answers are
never stored by a browser or proxy cache (they hold findings, licences and ledger balances),
except the static files, which hold none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

#: for everything but /docs: the service's own files only, never framed
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: the Swagger UI page starts itself with an inline script and inline styles
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS = "/docs"
#: files that hold no data of the registry: a browser may keep them
CACHEABLE = ("/static/", "/_swagger/")
ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def headers_for(path: str) -> list[tuple[bytes, bytes]]:
    """The headers added to an answer for ``path`` (a header the route set itself is kept)."""
    policy = DOCS_POLICY if path == DOCS else POLICY
    added = [*ALWAYS, (b"content-security-policy", policy.encode())]
    if not path.startswith(CACHEABLE):
        added.append((b"cache-control", b"no-store"))
    return added


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = headers_for(scope.get("path", ""))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in added if name not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)
