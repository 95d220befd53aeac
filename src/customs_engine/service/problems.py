"""RFC 9457 problem documents: every error of the service is one, never a stack trace."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:customs-engine:problem:"


class ProblemDocument(BaseModel):
    """What every error of the service answers (``application/problem+json``): the OpenAPI
    description's ``Problem`` schema. Never built: :func:`problem_response` writes the body."""

    model_config = ConfigDict(
        title="Problem",
        extra="allow",
        json_schema_extra={
            "description": "An RFC 9457 problem document. Some carry more members: errors (422: "
            "[{loc, msg}]), formats (400 unknown-format), limit (413 body-too-large)."
        },
    )

    type: str = Field(
        description=f"about:blank, or {TYPE_BASE}<kind> (unauthorized, forbidden, not-found, "
        "unknown-format, body-too-large, unsupported-media-type, invalid-request, "
        "registry-unavailable, internal-error, ...)"
    )
    title: str = Field(description="the HTTP status phrase")
    status: int
    detail: str = Field(description="what went wrong, for a person to read")
    instance: str | None = Field(None, description="the path of the request")


class Problem(Exception):
    """An error answered as a problem document (raised anywhere in a request)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers
        self.extensions = extensions

    def response(self, instance: str | None = None) -> JSONResponse:
        return problem_response(
            self.status,
            self.detail,
            kind=self.kind,
            instance=instance,
            headers=self.headers,
            **self.extensions,
        )


class BodyTooLarge(Problem):
    def __init__(self, limit: int):
        super().__init__(
            413,
            f"the request body is above the {limit}-byte limit",
            kind="body-too-large",
            limit=limit,
        )


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """``type`` is ``about:blank`` (the status says it all) or a ``urn:customs-engine:problem:``
    name; ``title`` is the status phrase."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": TYPE_BASE + kind if kind else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)
