"""The ASGI application of ``customs serve`` (FastAPI on uvicorn).

FastAPI rather than bare Starlette: the engine's models are already pydantic, and FastAPI turns the
routes and their query parameters into the OpenAPI document at ``/docs`` with no second
description to keep in step; it is Starlette underneath, so the body limit and metrics are plain
ASGI middleware. The Swagger UI files are served from the ``fastapi-offline`` package: no page
of the service loads anything from the internet.

Every run goes through :class:`~customs_engine.service.runs.Validator` (the runner of
``customs validate``); every error is an RFC 9457 problem document (:mod:`.problems`).
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Protocol, runtime_checkable

from fastapi import FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.responses import Response as HttpResponse
from pydantic import BeforeValidator
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match, Router
from starlette.staticfiles import StaticFiles

from customs_engine import __version__
from customs_engine.core.batch.inputs import Limits, shown_name
from customs_engine.core.dates import parse_iso_date
from customs_engine.core.formats import ResponseWriter
from customs_engine.core.ledger.run_state import LedgerError
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.registry.database import database_reason
from customs_engine.core.registry.store import SqlRegistry
from customs_engine.core.response import Response
from customs_engine.service.headers import SecurityHeaders
from customs_engine.service.metrics import Metrics, Tally
from customs_engine.service.problems import MEDIA_TYPE as PROBLEM_TYPE
from customs_engine.service.problems import (
    BodyTooLarge,
    Problem,
    ProblemDocument,
    problem_response,
)
from customs_engine.service.results import ResultStore, Spool
from customs_engine.service.runs import MEDIA_TYPES, Tee, Upload, Validator, uploads_source
from customs_engine.service.tokens import Scope, TokenInfo, TokenStore

log = logging.getLogger("customs_engine.service")

DEFAULT_MAX_BODY = 64 * 1024 * 1024
DEFAULT_RETENTION_DAYS = 30.0
#: the console keeps the token a user typed in this cookie (HttpOnly, SameSite=Strict)
TOKEN_COOKIE = "customs_token"
JSONL_TYPES = (
    "application/jsonl",
    "application/x-ndjson",
    "application/json-lines",
    "application/x-jsonlines",
)
PURGE_EVERY = 300.0  # seconds between retention sweeps in one process
ENV = {
    "db": "CUSTOMS_DB",
    "require_token": "CUSTOMS_SERVE_REQUIRE_TOKEN",
    "max_body": "CUSTOMS_SERVE_MAX_BODY",
    "retention_days": "CUSTOMS_SERVE_RETENTION_DAYS",
    "config_path": "CUSTOMS_SERVE_CONFIG",
}


@dataclass(frozen=True)
class Settings:
    """What ``customs serve`` was told (handed to uvicorn's worker processes by environment)."""

    db: str | None = None
    require_token: bool = False
    max_body: int = DEFAULT_MAX_BODY
    retention_days: float = DEFAULT_RETENTION_DAYS
    config_path: str | None = None

    def to_env(self) -> dict[str, str]:
        env = {
            ENV["require_token"]: "1" if self.require_token else "0",
            ENV["max_body"]: str(self.max_body),
            ENV["retention_days"]: str(self.retention_days),
        }
        if self.db:
            env[ENV["db"]] = self.db
        if self.config_path:
            env[ENV["config_path"]] = self.config_path
        return env

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            db=env.get(ENV["db"]) or None,
            require_token=env.get(ENV["require_token"], "0") == "1",
            max_body=int(env.get(ENV["max_body"], DEFAULT_MAX_BODY)),
            retention_days=float(env.get(ENV["retention_days"], DEFAULT_RETENTION_DAYS)),
            config_path=env.get(ENV["config_path"]) or None,
        )


@dataclass
class Service:
    """Everything one process of the service shares between requests."""

    settings: Settings
    validator: Validator
    tokens: TokenStore
    results: ResultStore
    metrics: Metrics = field(default_factory=Metrics)
    _last_purge: float = 0.0

    @classmethod
    def open(
        cls, settings: Settings, host: PluginHost, config: dict[str, Any] | None = None
    ) -> Service:
        registry = SqlRegistry.open(settings.db)
        service = cls(
            settings,
            Validator(host, registry, Limits.from_env(), config or {}),
            TokenStore(registry.engine),
            ResultStore(registry.engine, timedelta(days=settings.retention_days)),
        )
        service.purge_if_due()
        return service

    def close(self) -> None:
        self.validator.registry.close()

    def purge_if_due(self) -> None:
        now = time.monotonic()
        if self._last_purge and now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        removed = self.results.purge()
        if removed:
            log.info(
                "removed %d validations older than %s days", removed, self.settings.retention_days
            )

    def validate(
        self,
        uploads: Sequence[Upload],
        *,
        as_of: date | None,
        commit: bool,
        answer: ResponseWriter | None = None,
    ) -> str:
        """One run of the uploaded files (one for the API, one or more from the console), each
        response written to ``answer`` as it completes; stored, counted; returns the validation
        id. The responses are kept on disk until they are stored, never all in memory."""
        tally = Tally()
        with Spool() as spool:
            writers = (spool, tally) if answer is None else (spool, tally, answer)
            try:
                self.validator.run_uploads(
                    uploads, as_of=as_of, commit=commit, writer=Tee(*writers)
                )
            except LedgerError as exc:
                done = "committed" if commit else "checked"
                raise Problem(
                    503,
                    f"stopped at {exc}. The messages before it were {done}; nothing "
                    "of this message was stored. Send the file again once the database "
                    "is back: committed messages are replayed, never debited twice.",
                    kind="registry-unavailable",
                ) from exc
            validation_id = self.results.save(uploads_source(uploads), spool, committed=commit)
        self.metrics.observe_responses(tally)
        self.purge_if_due()
        return validation_id


# -- authentication ----------------------------------------------------------------------------


def presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        kind, _, value = header.partition(" ")
        if kind.lower() != "bearer" or not value.strip():
            raise Problem(
                401,
                "the Authorization header must read 'Bearer <token>'",
                kind="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return value.strip()
    return request.cookies.get(TOKEN_COOKIE)


async def authorise(request: Request, needed: Scope | None) -> TokenInfo | None:
    """The caller's token (checked when presented); a :class:`Problem` when ``needed`` (or the
    service's ``--require-token``) calls for a scope the caller does not have."""
    service: Service = request.app.state.service
    if needed is None and service.settings.require_token:
        needed = "validate"
    token = presented_token(request)
    info = await run_in_threadpool(service.tokens.check, token) if token else None
    if token and info is None:
        raise Problem(
            401,
            "the token is unknown or revoked",
            kind="unauthorized",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if needed is None:
        return info
    if info is None:
        raise Problem(
            401,
            f"this needs a bearer token with the {needed} scope "
            f"(customs tokens create --scope {needed})",
            kind="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not info.allows(needed):
        raise Problem(
            403,
            f"token {info.token_id} has the {info.scope} scope; this needs {needed}",
            kind="forbidden",
        )
    return info


# -- request bodies and answers ----------------------------------------------------------------


async def receive_body(request: Request, limit: int) -> str:
    """The request body in a temporary file (its path); :class:`BodyTooLarge` as soon as it
    passes ``limit``, without reading the rest."""
    handle, path = tempfile.mkstemp(prefix="customs-upload-")
    try:
        size = 0
        with os.fdopen(handle, "wb") as sink:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(limit)
                sink.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return path


#: a request body that is a form upload, not a file: the API takes the file itself as the body.
#: Only multipart/form-data: ``application/x-www-form-urlencoded`` is what curl sends by default
#: with ``--data-binary @FILE``, so such a body is read as the raw file, as any other type is.
FORM_TYPE = "multipart/form-data"


def refuse_forms(request: Request) -> None:
    """A multipart form upload (``curl -F``, an HTML file upload) would be read as a file that
    is not a message and answered "rejected": refused with 415 instead, before anything is read
    or stored."""
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind == FORM_TYPE:
        raise Problem(
            415,
            f"a {FORM_TYPE} body is a form upload, not a file: send the file itself as the "
            "request body (curl --data-binary @FILE, with ?name=FILE to name it); the web "
            "console at / takes form uploads",
            kind="unsupported-media-type",
        )


#: what an upload that names no file is shown as
UNNAMED = "upload"


def given_name(request: Request, name: str | None) -> str:
    """The file name the client gave: ``?name=``, else the Content-Disposition filename; never a
    path; empty when it gave none."""
    if not name:
        disposition = request.headers.get("content-disposition", "")
        for part in disposition.split(";"):
            key, _, value = part.strip().partition("=")
            if key.lower() == "filename":
                name = value.strip().strip('"')
    return PureWindowsPath(PurePosixPath(name or "").name).name.strip()


def upload_name(request: Request, name: str | None) -> str:
    """The name an upload is shown (and its kind recognised) by: the name given
    (:func:`given_name`), else ``upload``; control characters written as escapes (``\\x00``),
    as the CLI shows a file's name (a NUL could never be stored)."""
    given = given_name(request, name)
    return shown_name(given) if given else UNNAMED


def wants_json_lines(accept: str) -> bool:
    """Whether an ``Accept`` header prefers JSON Lines to JSON: a JSON Lines type with a quality
    above 0 and no lower than JSON's (``application/json``, else ``application/*`` or ``*/*``).
    Other formats are asked for with ``?format=``."""
    quality: dict[str, float] = {}
    for entry in accept.split(","):
        kind, *params = (part.strip() for part in entry.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        kind = kind.lower()
        quality[kind] = max(q, quality.get(kind, 0.0))
    lines = max((quality.get(kind, 0.0) for kind in JSONL_TYPES), default=0.0)
    json = quality.get("application/json", quality.get("application/*", quality.get("*/*", 0.0)))
    return lines > 0 and lines >= json


def output_format(request: Request, fmt: str | None) -> str:
    service: Service = request.app.state.service
    if fmt is None:
        fmt = "jsonl" if wants_json_lines(request.headers.get("accept", "")) else "json"
    formats = service.validator.host.output_formats()
    if fmt not in formats:
        raise Problem(
            400,
            f"format {fmt!r} is not one of {', '.join(formats)}",
            kind="unknown-format",
            formats=formats,
        )
    return fmt


def answer(body: bytes, fmt: str, status: int, validation_id: str) -> HttpResponse:
    location = f"/v1/validations/{validation_id}"
    return HttpResponse(
        body,
        status_code=status,
        media_type=MEDIA_TYPES.get(fmt, "application/octet-stream"),
        headers={"Location": location, "X-Validation-Id": validation_id},
    )


def parse_as_of(value: str | None) -> date | None:
    if value is None or value == "":
        return None
    try:
        return parse_iso_date(value)
    except ValueError as exc:
        raise Problem(400, f"as_of: {exc}", kind="bad-parameter") from exc


# -- middleware --------------------------------------------------------------------------------

Scope_ = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope_, Receive, Send], Awaitable[None]]


@runtime_checkable
class ProblemPages(Protocol):
    """A route whose errors are pages for people (the console's), not problem documents."""

    async def problem_page(self, request: Request, problem: Problem) -> HttpResponse: ...


class BodyLimit:
    """413 for a body above the limit: at once from Content-Length, else as soon as the bytes
    received pass it (the rest is never read). A request refused from its Content-Length is
    given the route it was sent to (``scope["route"]``, as routing would), so the metrics count
    it there rather than as unmatched, and a console route answers it with its own page."""

    def __init__(self, app: ASGIApp, limit: int, router: Router | None = None):
        self.app = app
        self.limit = limit
        self.router = router

    async def __call__(self, scope: Scope_, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            route = self._route(scope)
            if route is not None:
                scope["route"] = route
            problem = BodyTooLarge(self.limit)
            response = (
                await route.problem_page(Request(scope, receive), problem)
                if isinstance(route, ProblemPages)
                else problem.response(scope.get("path"))
            )
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> MutableMapping[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)

    def _route(self, scope: Scope_) -> BaseRoute | None:
        return _matching(self.router.routes, scope) if self.router is not None else None


def _matching(routes: Sequence[BaseRoute], scope: Scope_) -> BaseRoute | None:
    """The route routing would pick for ``scope``. A router added with ``include_router`` is one
    entry of its parent's routes in recent FastAPI releases (its routes are not copied in): the
    route is looked for among its own."""
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            included = getattr(route, "original_router", None)
            if isinstance(included, Router):
                return _matching(included.routes, {**scope, **child})
            return route
    return None


class HeadAsGet:
    """HEAD wherever GET is (RFC 9110 §9.3.2; FastAPI's routes answer GET alone): the GET's
    answer, status and headers (Content-Length too), without its body. The request goes on as a
    GET in a copy of the scope (the server reads the original's method to send no body); the
    route it reached is copied back, so the metrics count it there."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope_, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return
        as_get = {**scope, "method": "GET"}

        async def headers_only(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(as_get, receive, headers_only)
        finally:
            if "route" in as_get:
                scope["route"] = as_get["route"]


class Measure:
    """Counts every request and times it, labelled by route template (not by raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope_, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe_request(
                scope.get("method", ""), template, status, time.perf_counter() - started
            )


# -- the application ---------------------------------------------------------------------------


def create_app(service: Service) -> FastAPI:
    app = FastAPI(
        title="customs-engine",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        description="Checks Indian import customs messages (IGM, Bill of Entry) "
        "before they are filed. Errors are RFC 9457 problem documents.",
    )
    app.state.service = service
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodyLimit, limit=service.settings.max_body, router=app.router)
    app.add_middleware(Measure, metrics=service.metrics)
    app.add_middleware(SecurityHeaders)
    _handlers(app)
    _api(app)
    _docs(app)
    _openapi(app)
    from customs_engine.service.console import router as console_router
    from customs_engine.service.console import static_files

    app.include_router(console_router)
    app.mount("/static", static_files(), name="static")
    return app


def app_from_env() -> FastAPI:
    """The factory uvicorn's worker processes call (``customs serve --workers N``)."""
    from customs_engine.cli import load_config

    settings = Settings.from_env()
    host = PluginHost.from_entry_points()
    return create_app(Service.open(settings, host, load_config(settings.config_path)))


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response(request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"nothing at {request.url.path}"
        return problem_response(
            exc.status_code,
            detail,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(error.get("loc", ())), "msg": error.get("msg", "")}
            for error in exc.errors()
        ]
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem_response(
            422,
            f"invalid request: {where}",
            kind="invalid-request",
            instance=request.url.path,
            errors=jsonable_encoder(errors),
        )

    @app.exception_handler(SQLAlchemyError)
    @app.exception_handler(LedgerError)
    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        # the registry database failed under any request (a token's look-up, a stored result,
        # the registry, the console): 503, which tells a client to send again, not 500
        log.warning(
            "registry database failed answering %s %s: %s",
            request.method,
            request.url.path,
            database_reason(exc),
        )
        return problem_response(
            503,
            "the registry database does not answer: send the request again once it is back "
            "(messages already committed are replayed, never debited twice)",
            kind="registry-unavailable",
            instance=request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unexpected error answering %s %s", request.method, request.url.path, exc_info=exc
        )
        return problem_response(
            500,
            "the service failed to answer; the error is in its log",
            kind="internal-error",
            instance=request.url.path,
        )


# -- what the OpenAPI description says that the routes cannot -----------------------------------

#: every error is a problem document (:class:`ProblemDocument`, added by :func:`_openapi`)
PROBLEM_CONTENT = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
#: when a route answers each error status
PROBLEM_WHEN: dict[int | str, str] = {
    400: "an unknown output format (formats lists those there are)",
    401: "no token where one is needed, or a malformed, unknown or revoked one "
    "(WWW-Authenticate: Bearer)",
    403: "the token's scope does not allow it (commit=true needs the commit scope)",
    404: "nothing by that name (a stored validation: or older than the retention period)",
    413: "the body is above the limit (customs serve --max-body)",
    415: "a multipart/form-data body: send the file itself as the body",
    422: "a malformed query parameter (errors lists each: loc, msg)",
    503: "the registry database does not answer: send the request again once it is back "
    "(committed messages are replayed, never debited twice)",
    "default": "any other error (405 with Allow, 500): a problem document too",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's error answers, for ``responses=``: problem documents (and ``default``)."""
    answered: list[int | str] = [*statuses, "default"]
    return {
        status: {"description": PROBLEM_WHEN[status], "content": PROBLEM_CONTENT}
        for status in answered
    }


#: the request body of POST /v1/validations: the file itself (Swagger UI offers a file picker)
UPLOAD_BODY = {
    "required": True,
    "description": "The file itself (curl --data-binary @FILE): a message in any input format, "
    "gzip/bzip2/xz compressed or not, or a zip/tar archive. Any Content-Type but "
    "multipart/form-data.",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}
#: a bearer token (customs tokens create): needed for commit=true (commit scope), and for every
#: call under --require-token; otherwise optional (the empty requirement)
TOKEN_OPTIONAL: list[dict[str, list[str]]] = [{"bearer": []}, {}]
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A token of customs tokens create: the commit scope for commit=true; any "
    "scope for every call when the service runs with --require-token.",
}
#: where a validation's answer is kept
STORED_HEADERS = {
    "Location": {"description": "/v1/validations/{id}", "schema": {"type": "string"}},
    "X-Validation-Id": {"description": "the stored validation's id", "schema": {"type": "string"}},
}
#: the answer in the other output formats (format=, or Accept for JSON Lines)
OTHER_FORMATS = {
    media_type: {"schema": {"type": "string"}}
    for media_type in sorted({*MEDIA_TYPES.values(), "application/octet-stream"})
    if media_type != "application/json"
}


def _query_date(value: object) -> object:
    """A date query value read as the CLI reads one (YYYY-MM-DD, strictly; empty: none). A
    malformed one fails validation: 422 invalid-request, as every malformed query value."""
    if value is None or value == "":
        return None
    return parse_iso_date(value) if isinstance(value, str) else value


QueryDate = Annotated[date | None, BeforeValidator(_query_date)]


def _api(app: FastAPI) -> None:
    @app.post(
        "/v1/validations",
        status_code=201,
        tags=["validations"],
        summary="Validate one file (any input format) or a zip/tar archive",
        responses={
            201: {
                "model": Response | list[Response],
                "description": "the responses exactly as customs validate writes them: one "
                "object for one message, else an array (format=json); other formats as they "
                "write them",
                "headers": STORED_HEADERS,
                "content": OTHER_FORMATS,
            },
            **problems(400, 401, 403, 413, 415, 422, 503),
        },
        openapi_extra={"requestBody": UPLOAD_BODY, "security": TOKEN_OPTIONAL},
    )
    async def create_validation(
        request: Request,
        format: str | None = Query(
            None, description="Output format (default json; jsonl when Accept asks for JSON Lines)"
        ),
        as_of: Annotated[QueryDate, Query(description="Rules in force on YYYY-MM-DD")] = None,
        commit: bool = Query(False, description="Persist IGMs and debits (commit scope)"),
        name: str | None = Query(
            None,
            description="File name (else Content-Disposition); an archive or compressed file "
            "is known by it, as by customs validate (by its first bytes when none is given)",
        ),
    ) -> HttpResponse:
        service: Service = request.app.state.service
        await authorise(request, "commit" if commit else None)
        fmt = output_format(request, format)
        refuse_forms(request)
        shown = upload_name(request, name)
        named = bool(given_name(request, name))
        path = await receive_body(request, service.settings.max_body)
        body = io.BytesIO()
        try:
            validation_id = await run_in_threadpool(
                service.validate,
                [Upload(path, shown, named)],
                as_of=as_of,
                commit=commit,
                answer=service.validator.writer(fmt, body),
            )
        finally:
            os.unlink(path)
        return answer(body.getvalue(), fmt, 201, validation_id)

    @app.get(
        "/v1/validations/{validation_id}",
        tags=["validations"],
        summary="A stored validation's responses (kept for the retention period)",
        responses={
            200: {
                "model": Response | list[Response],
                "description": "the responses as the POST answered them, in any format",
                "content": OTHER_FORMATS,
            },
            **problems(400, 401, 403, 404, 503),
        },
        openapi_extra={"security": TOKEN_OPTIONAL},
    )
    async def get_validation(
        request: Request, validation_id: str, format: str | None = None
    ) -> HttpResponse:
        service: Service = request.app.state.service
        await authorise(request, None)
        fmt = output_format(request, format)
        stored = await run_in_threadpool(service.results.get, validation_id)
        if stored is None:
            raise Problem(
                404,
                f"no stored validation {validation_id} (unknown, or older than "
                f"the {service.settings.retention_days:g}-day retention)",
                kind="not-found",
            )
        body = service.validator.render(stored.responses, fmt)
        return answer(body, fmt, 200, validation_id)

    @app.get(
        "/v1/rules",
        tags=["reference"],
        summary="Every rule of every loaded plugin",
        responses=problems(401, 403, 404),
        openapi_extra={"security": TOKEN_OPTIONAL},
    )
    async def rules(request: Request, scheme: str | None = None) -> list[dict[str, Any]]:
        await authorise(request, None)
        host = request.app.state.service.validator.host
        selected = [
            rule.model_dump(mode="json")
            for rule in host.rules.values()
            if scheme is None or rule.scheme == scheme.lower()
        ]
        if scheme is not None and not selected:  # never an empty list that reads as "no rules"
            loaded = ", ".join(sorted({rule.scheme for rule in host.rules.values()}))
            raise Problem(
                404,
                f"no loaded plugin declares scheme {scheme!r}; loaded schemes: {loaded}",
                kind="unknown-scheme",
            )
        return selected

    @app.get(
        "/v1/plugins",
        tags=["reference"],
        summary="Loaded plugins, versions, hooks",
        responses=problems(401, 403),
        openapi_extra={"security": TOKEN_OPTIONAL},
    )
    async def plugins(request: Request) -> list[dict[str, Any]]:
        await authorise(request, None)
        host = request.app.state.service.validator.host
        return [
            {"name": i.name, "version": i.version, "module": i.module, "hooks": list(i.hooks)}
            for i in host.plugin_infos()
        ]

    @app.get(
        # a path: CBIC notification numbers (exchange rates) contain "/", e.g. 12/2026-CUS(NT)
        "/v1/registry/{number:path}",
        tags=["reference"],
        summary="A registry number: its rows, committed debits and what remains",
        responses=problems(401, 403, 404, 503),
        openapi_extra={"security": TOKEN_OPTIONAL},
    )
    async def registry_number(request: Request, number: str) -> dict[str, Any]:
        await authorise(request, None)
        service: Service = request.app.state.service
        found = await run_in_threadpool(registry_entry, service.validator.registry, number)
        if found is None:
            raise Problem(404, f"{number} is not in the registry", kind="not-found")
        return found

    @app.get(
        "/healthz",
        tags=["operations"],
        summary="Liveness and database reachability",
        responses=problems(503),
    )
    async def healthz(request: Request) -> dict[str, str]:
        service: Service = request.app.state.service
        try:
            await run_in_threadpool(_ping, service.validator.registry)
        except SQLAlchemyError as exc:
            raise Problem(
                503, "the registry database does not answer", kind="registry-unavailable"
            ) from exc
        return {"status": "ok", "version": __version__}

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses=problems(),
    )
    async def metrics(request: Request) -> HttpResponse:
        body, content_type = request.app.state.service.metrics.render()
        return HttpResponse(body, media_type=content_type)


def _ping(registry: SqlRegistry) -> None:
    with registry.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def registry_entry(registry: SqlRegistry, number: str) -> dict[str, Any] | None:
    """A number's registry rows, each with its ledger entries (debits, reversals, bonds: signed,
    in order) and the remaining balance (JSON)."""
    records = registry.records(number=number)
    if not records:
        return None
    rows = []
    for record in records:
        row = record.model_dump(mode="json")
        entries = (
            registry.entries_of(record.scheme or "", record.number)
            if record.kind in ("authorisation", "registration")
            else []
        )
        row["entries"] = [
            {
                "kind": e.kind,
                "message_id": e.message_id,
                "function": e.function,
                "item": e.item,
                "quantity": str(e.quantity),
                "unit": e.unit,
                "value_inr": f"{e.value_inr:.2f}",
                "at": e.created_at.isoformat(timespec="seconds") if e.created_at else None,
                "run": e.run_id,
            }
            for e in entries
        ]
        spent_q = sum((e.quantity for e in entries), start=Decimal(0))
        spent_v = sum((e.value_inr for e in entries), start=Decimal(0))
        row["remaining_quantity"] = (
            None if record.quantity is None else str(record.quantity - spent_q)
        )
        row["remaining_value"] = (
            None if record.value_inr is None else f"{record.value_inr - spent_v:.2f}"
        )
        rows.append(row)
    return {"number": number, "records": rows}


def _openapi(app: FastAPI) -> None:
    """The OpenAPI description as FastAPI derives it from the routes, with what they refer to:
    the problem document's schema and the bearer scheme."""
    derive = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        described = derive()  # kept as app.openapi_schema: completed once, here
        components = described.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = ProblemDocument.model_json_schema()
        components["securitySchemes"] = {"bearer": BEARER_SCHEME}
        return described

    app.openapi = openapi  # type: ignore[method-assign]


def _docs(app: FastAPI) -> None:
    """The Swagger UI at ``/docs``, from the files ``fastapi-offline`` ships (Swagger UI 5: the
    OpenAPI 3.1 description FastAPI writes is one Swagger UI 4 cannot render); no CDN."""
    static = resources.files("fastapi_offline") / "static"
    app.mount("/_swagger", StaticFiles(directory=str(static)), name="swagger")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="customs-engine API",
            swagger_js_url="/_swagger/swagger-ui-bundle.js",
            swagger_css_url="/_swagger/swagger-ui.css",
            swagger_favicon_url="/_swagger/favicon.png",
        )
