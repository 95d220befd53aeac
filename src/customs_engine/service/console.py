"""The web console at ``/``: recent validations with their findings (and legal references), fees
and debits, filtered by status and rule; a page per validation and per authorisation; a form that
takes a file by picking or drag and drop. Server-rendered with Jinja2; the few lines of script
(drag and drop) and the style sheet ship in this package."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
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

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    return StaticFiles(directory=str(HERE / "static"))


def _page(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
    service: Service = request.app.state.service
    context.update(require_token=service.settings.require_token, statuses=STATUSES)
    return templates.TemplateResponse(request, name, context, status_code=code)


async def _allowed(request: Request) -> HTMLResponse | None:
    """``None`` when the caller may see the console, else the page asking for a token."""
    try:
        await authorise(request, None)
    except Problem as problem:
        if problem.status in (401, 403):
            return _page(request, "token.html", code=problem.status, reason=problem.detail)
        raise
    return None


@router.get("/", response_class=HTMLResponse)
async def index(
    request: Request, status: str | None = None, rule: str | None = None
) -> HTMLResponse:
    refused = await _allowed(request)
    if refused is not None:
        return refused
    service: Service = request.app.state.service
    status = status if status in STATUSES else None
    rule = (rule or "").strip().upper() or None
    rows = await run_in_threadpool(service.results.recent, status=status, rule=rule)
    return _page(request, "index.html", rows=rows, status=status, rule=rule)


@router.post("/upload")
async def upload(request: Request) -> RedirectResponse:
    service: Service = request.app.state.service
    form = await request.form()
    commit = form.get("commit") == "on"
    await authorise(request, "commit" if commit else None)
    picked = form.get("file")
    if not isinstance(picked, UploadFile) or not picked.filename:
        raise Problem(400, "no file chosen: pick a file or drop one on the page", kind="no-file")
    day = parse_as_of(str(form.get("as_of") or "") or None)
    name = upload_name(request, picked.filename)
    handle, path = tempfile.mkstemp(prefix="customs-upload-")
    try:
        with os.fdopen(handle, "wb") as sink:
            await run_in_threadpool(shutil.copyfileobj, picked.file, sink)
        validation_id, _responses = await run_in_threadpool(
            service.validate, path, name, as_of=day, commit=commit
        )
    finally:
        os.unlink(path)
    return RedirectResponse(f"/validations/{validation_id}", status_code=303)


@router.get("/validations/{validation_id}", response_class=HTMLResponse)
async def validation(request: Request, validation_id: str) -> HTMLResponse:
    refused = await _allowed(request)
    if refused is not None:
        return refused
    service: Service = request.app.state.service
    stored = await run_in_threadpool(service.results.get, validation_id)
    if stored is None:
        raise Problem(404, f"no stored validation {validation_id}", kind="not-found")
    responses = [response.to_json_dict() for response in stored.responses]
    return _page(request, "validation.html", stored=stored, responses=responses)


@router.get("/authorisations/{number:path}", response_class=HTMLResponse)
async def authorisation(request: Request, number: str) -> HTMLResponse:
    refused = await _allowed(request)
    if refused is not None:
        return refused
    service: Service = request.app.state.service
    entry = await run_in_threadpool(registry_entry, service.validator.registry, number)
    if entry is None:
        raise Problem(404, f"{number} is not in the registry", kind="not-found")
    return _page(request, "authorisation.html", entry=entry)


@router.post("/token")
async def remember_token(request: Request) -> RedirectResponse:
    """The console's sign-in: the token typed in is kept in an HttpOnly cookie."""
    form = await request.form()
    token = str(form.get("token") or "").strip()
    service: Service = request.app.state.service
    if not token or await run_in_threadpool(service.tokens.check, token) is None:
        raise Problem(401, "the token is unknown or revoked", kind="unauthorized")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
    return response
