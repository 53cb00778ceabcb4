"""REST endpoints of the data (mounted under ``/api`` by ``create_app``): uploads (behind the
token).  The batch list and undo, also behind the token, are in ``routes/batches.py``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from tradeguard.api import models as m
from tradeguard.api.auth import bearer, check_token
from tradeguard.api.params import invalid, json_response, problems_doc
from tradeguard.api.services import services_of
from tradeguard.api.uploads import FORMATS, ingest_upload

router = APIRouter(tags=["data"])


@router.post("/ingest", response_model=m.IngestOut,
             summary="Upload a file of import data (needs the token)",
             description="Send the file as the raw body (with `filename` in the query) or as "
                         "multipart form field `file`. Returns the ingest report; a rejected "
                         "file gives 422 with the row-level problems. Needs "
                         "`Authorization: Bearer <token>`.",
             responses=problems_doc(401, 403, 413, 422), openapi_extra={"requestBody": {
                 "required": True, "content": {
                     "application/octet-stream": {"schema": {"type": "string",
                                                             "format": "binary"}},
                     "multipart/form-data": {"schema": {
                         "type": "object", "properties": {"file": {
                             "type": "string", "format": "binary"}}, "required": ["file"]}}}}})
async def ingest(
    request: Request,
    filename: Annotated[str | None, Query(max_length=200, description="For a raw body",
                                          openapi_examples={"csv": {
                                              "value": "april.csv"}})] = None,
    format: Annotated[str | None, Query(pattern="^(" + "|".join(FORMATS) + ")$",
                                        description="Reader (default: sniffed)",
                                        openapi_examples={"declarations": {
                                            "value": "declarations"}})] = None,
    dry_run: Annotated[bool, Query(description="Validate only; store nothing",
                                   openapi_examples={"check": {"value": True}})] = False,
    replace: Annotated[bool, Query(description="Store the file as a revision of the "
                                   "records it repeats (also a form field)")] = False,
    known_on: Annotated[dt.date | None, Query(description="Day the figures became known "
                                              "(default: the upload's date)")] = None,
) -> Any:
    check_token(request.app.state.token, bearer(request))  # before reading the body
    data, label = services_of(request).data, request.app.state.token_label
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise invalid("the form has no file", "send the file in field `file`")
        content = await upload.read()
        replace = replace or str(form.get("replace", "")).lower() in ("true", "1", "on")
        report = await ingest_upload(data, content=content, stream=None,
                                     filename=upload.filename or filename, fmt=format,
                                     dry_run=dry_run, uploaded_by=label,
                                     replace=replace, known_on=known_on)
    else:
        report = await ingest_upload(data, content=None, stream=request.stream(),
                                     filename=filename, fmt=format, dry_run=dry_run,
                                     uploaded_by=label, replace=replace, known_on=known_on)
    return json_response(report, 200)
