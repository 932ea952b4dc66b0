"""Multipart form fields decoded strictly: bytes that are not UTF-8 become U+FFFD, not mojibake.

Starlette decodes a form field that is not valid in its charset as Latin-1, so "\\xff\\xfe" would
be stored as "ÿþ". Here such bytes become U+FFFD (the replacement character), which the report
form refuses with a 422 (api/reports/models.py): text is stored as the client meant it, or not
at all.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import aclosing
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser


class StrictMultiPartParser(MultiPartParser):
    """Starlette's parser, except that text fields are decoded with errors="replace"."""

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is not None:
            super().on_part_end()
            return
        self.items.append((part.field_name, bytes(part.data).decode(self._charset, "replace")))


class StrictFormRequest(Request):
    """A request whose multipart form is parsed by StrictMultiPartParser."""

    async def _get_form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> FormData:
        multipart = self.headers.get("content-type", "").startswith("multipart/form-data")
        if self._form is None and multipart:
            try:
                async with aclosing(self.stream()) as stream:
                    parser = StrictMultiPartParser(
                        self.headers,
                        stream,
                        max_files=max_files,
                        max_fields=max_fields,
                        max_part_size=max_part_size,
                    )
                    self._form = await parser.parse()
            except MultiPartException as exc:
                raise HTTPException(status_code=400, detail=exc.message) from exc
        return await super()._get_form(
            max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
        )


class StrictFormRoute(APIRoute):
    """A route whose handler sees a StrictFormRequest (use as an APIRouter's route_class)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictFormRequest(request.scope, request.receive))

        return strict_handler
