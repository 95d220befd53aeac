"""The web console at ``/``: recent validations with their findings (and legal references), fees,
debits and credits, filtered by status and rule and paged; a page per validation (paged) and per
authorisation; a form that takes one or more files by picking or drag and drop; a token box to
sign in with a token and out again. Server-rendered with Jinja2; the few lines of script (drag
and drop, the upload's progress) and the style sheet ship in this package.

The console's errors are pages for people: the message above the upload form (the form's date
and commit box kept), or the token form when the console cannot be shown without a token — never
the API's JSON problem documents, which ``/v1`` keeps (:class:`ConsoleRoute`).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.responses import Response as HttpResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from customs_engine.core.batch.summary import STATUSES
from customs_engine.service.app import (
    TOKEN_COOKIE,
    Service,
    authorise,
    parse_as_of,
    registry_entry,
    upload_name,
)
from customs_engine.service.problems import Problem
from customs_engine.service.runs import Upload
from customs_engine.service.tokens import TokenInfo

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
#: messages on one page of the list, and responses on one page of a validation
PAGE_SIZE = 100


def static_files() -> StaticFiles:
    return StaticFiles(directory=str(HERE / "static"))


# -- errors as pages ---------------------------------------------------------------------------


class ConsoleRoute(APIRoute):
    """A route of the console: what it refuses is answered with :func:`problem_page`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, HttpResponse]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> HttpResponse:
            try:
                return await handler(request)
            except Problem as problem:
                return await problem_page(request, problem)
            except StarletteHTTPException as exc:  # the form parser's: too many files or parts
                return await problem_page(request, Problem(exc.status_code, str(exc.detail)))
            except RequestValidationError as exc:  # a query parameter that is not a number
                where = "; ".join(
                    f"{error.get('loc', ('?',))[-1]}: {error.get('msg', '')}"
                    for error in exc.errors()
                )
                return await problem_page(request, Problem(400, f"invalid request: {where}"))

        return answer

    async def problem_page(self, request: Request, problem: Problem) -> HttpResponse:
        """Also the page of a body refused from its size before the route ran (``BodyLimit``)."""
        return await problem_page(request, problem)


router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)


async def problem_page(request: Request, problem: Problem) -> HttpResponse:
    """What the console shows for ``problem``: the console with the message above the upload
    form; the token form when the console itself needs a token the caller does not have; a
    plain page with a way back when the registry database fails (the console cannot be read)."""
    if problem.status >= 500:
        response = _page(request, "error.html", problem.status, problem=problem)
    else:
        try:
            viewer = await authorise(request, None)
        except Problem as refused:
            shown = problem if problem.status in (401, 403) else refused
            response = _token_page(request, shown)
        else:
            kept: Mapping[str, Any] = getattr(request.state, "kept", {})
            response = await _index(request, viewer, problem=problem, **kept)
    response.headers.update(problem.headers or {})
    return response


def _token_page(request: Request, problem: Problem) -> HTMLResponse:
    return _page(
        request,
        "token.html",
        problem.status,
        problem=problem,
        holds_token=TOKEN_COOKIE in request.cookies,
    )


def _page(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
    service: Service = request.app.state.service
    problem = context.get("problem")
    context.update(
        require_token=service.settings.require_token,
        retention_days=f"{service.settings.retention_days:g}",
        statuses=STATUSES,
        problem_title=_title(problem.status) if isinstance(problem, Problem) else "",
    )
    return templates.TemplateResponse(request, name, context, status_code=code)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# -- paging ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paging:
    """One page of ``total`` entries, with the links to the pages either side of it."""

    page: int
    total: int
    link: Callable[[int], str]
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def first(self) -> int:
        return self.offset + 1

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def newer(self) -> str | None:
        return self.link(min(self.page - 1, self.pages)) if self.page > 1 else None

    @property
    def older(self) -> str | None:
        return self.link(self.page + 1) if self.page < self.pages else None


def _link(path: str, **params: str | None) -> Callable[[int], str]:
    def link(page: int) -> str:
        query = {key: value for key, value in params.items() if value}
        if page > 1:
            query["page"] = str(page)
        return f"{path}?{urlencode(query)}" if query else path

    return link


# -- pages -------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def index(
    request: Request,
    status: str | None = None,
    rule: str | None = None,
    page: int = Query(1, ge=1),
) -> HTMLResponse:
    viewer = await authorise(request, None)
    status = (status or "").strip().lower() or None
    if status is not None and status not in STATUSES:
        raise Problem(
            400,
            f"there is no status {status!r} to filter by: choose {', '.join(STATUSES)}",
            kind="bad-parameter",
        )
    rule = (rule or "").strip().upper() or None
    return await _index(request, viewer, status=status, rule=rule, page=page)


async def _index(
    request: Request,
    viewer: TokenInfo | None,
    *,
    status: str | None = None,
    rule: str | None = None,
    page: int = 1,
    problem: Problem | None = None,
    as_of: str = "",
    commit: bool = False,
) -> HTMLResponse:
    service: Service = request.app.state.service
    total = await run_in_threadpool(service.results.count, status=status, rule=rule)
    paging = Paging(page, total, _link("/", status=status, rule=rule))
    rows = await run_in_threadpool(
        service.results.recent, status=status, rule=rule, offset=paging.offset, limit=PAGE_SIZE
    )
    return _page(
        request,
        "index.html",
        problem.status if problem else 200,
        viewer=viewer,
        rows=rows,
        paging=paging,
        status=status,
        rule=rule,
        problem=problem,
        as_of=as_of,
        commit=commit,
    )


@router.post("/upload")
async def upload(request: Request) -> RedirectResponse:
    """Every file picked or dropped, validated as one run (as ``customs validate`` with several
    paths), then the validation's page."""
    service: Service = request.app.state.service
    form = await request.form()
    commit = form.get("commit") == "on"
    as_of = str(form.get("as_of") or "")
    request.state.kept = {"as_of": as_of, "commit": commit}  # shown again if this is refused
    await authorise(request, "commit" if commit else None)
    picked = [
        item for item in form.getlist("file") if isinstance(item, UploadFile) and item.filename
    ]
    if not picked:
        raise Problem(
            400, "no file chosen: pick one or more files, or drop them on the page", kind="no-file"
        )
    day = parse_as_of(as_of or None)
    uploads: list[Upload] = []
    try:
        for item in picked:
            handle, path = tempfile.mkstemp(prefix="customs-upload-")
            uploads.append(Upload(path, upload_name(request, item.filename)))
            with os.fdopen(handle, "wb") as sink:
                await run_in_threadpool(shutil.copyfileobj, item.file, sink)
        validation_id = await run_in_threadpool(service.validate, uploads, as_of=day, commit=commit)
    finally:
        for received in uploads:
            os.unlink(received.path)
    return RedirectResponse(f"/validations/{validation_id}", status_code=303)


@router.get("/validations/{validation_id}", response_class=HTMLResponse)
async def validation(
    request: Request, validation_id: str, page: int = Query(1, ge=1)
) -> HTMLResponse:
    viewer = await authorise(request, None)
    service: Service = request.app.state.service
    offset = (page - 1) * PAGE_SIZE
    stored = await run_in_threadpool(
        service.results.page, validation_id, offset=offset, limit=PAGE_SIZE
    )
    if stored is None:
        raise Problem(
            404,
            f"no stored validation {validation_id} (unknown, or older than the "
            f"{service.settings.retention_days:g}-day retention)",
            kind="not-found",
        )
    paging = Paging(page, stored.messages, _link(f"/validations/{validation_id}"))
    return _page(request, "validation.html", viewer=viewer, stored=stored, paging=paging)


@router.get("/authorisations/{number:path}", response_class=HTMLResponse)
async def authorisation(request: Request, number: str) -> HTMLResponse:
    viewer = await authorise(request, None)
    service: Service = request.app.state.service
    entry = await run_in_threadpool(registry_entry, service.validator.registry, number)
    if entry is None:
        raise Problem(404, f"{number} is not in the registry", kind="not-found")
    return _page(request, "authorisation.html", viewer=viewer, entry=entry)


# -- the token ---------------------------------------------------------------------------------


@router.post("/token")
async def remember_token(request: Request) -> RedirectResponse:
    """The console's sign-in: the token typed in is kept in an HttpOnly, SameSite=Strict cookie
    (``Secure`` too when the console is reached over HTTPS) until the browser closes or the user
    signs out."""
    form = await request.form()
    token = str(form.get("token") or "").strip()
    service: Service = request.app.state.service
    if not token:
        raise Problem(400, "no token given: paste one that customs tokens create printed")
    if await run_in_threadpool(service.tokens.check, token) is None:
        raise Problem(401, "the token is unknown or revoked", kind="unauthorized")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> RedirectResponse:
    """Forget the token this browser holds (a wrong, revoked or too narrow one too)."""
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(
        TOKEN_COOKIE, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response
