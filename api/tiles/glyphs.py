"""GET /fonts/{fontstack}/{range}.pbf: the SDF glyphs of the map's labels, built offline by
`halo glyphs build` into HALO_MAP_GLYPHS_DIR and served by Halo (no font CDN)."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request, Response

from api.errors import problem_response
from config.map import MapSettings
from core.glyph_pbf import FONT_STACKS, encode_range

router = APIRouter(tags=["tiles"])

RANGE_PATTERN = re.compile(r"(\d{1,5})-(\d{1,5})")
LAST_RANGE_START = 65280


def range_start(text: str) -> int | None:
    """The first code point of a range 'start-end' of 256 code points, or None."""
    match = RANGE_PATTERN.fullmatch(text)
    if not match:
        return None
    start, end = int(match[1]), int(match[2])
    ok = start % 256 == 0 and end == start + 255 and start <= LAST_RANGE_START
    return start if ok else None


@router.get(
    "/fonts/{fontstack}/{glyph_range}.pbf",
    summary="Glyphs of one font stack and range of 256 code points (SDF, glyphs.proto)",
    response_class=Response,
    responses={404: problem_response("Unknown font stack or range, or glyphs not built")},
)
async def get_glyphs(request: Request, fontstack: str, glyph_range: str) -> Response:
    """The first known font of a comma-separated stack; a range the build left out is empty."""
    start = range_start(glyph_range)
    if start is None:
        raise HTTPException(404, "The range must be start-end of 256 code points, e.g. 0-255.")
    known = [name.strip() for name in fontstack.split(",") if name.strip() in FONT_STACKS]
    if not known:
        raise HTTPException(404, f"Unknown font stack; font stacks: {', '.join(FONT_STACKS)}.")
    settings: MapSettings = request.app.state.settings.map
    folder = settings.glyphs_dir / known[0]
    if not folder.is_dir():
        raise HTTPException(404, "The glyphs are not built: run `halo glyphs build`.")
    path = folder / f"{start}-{start + 255}.pbf"
    body = path.read_bytes() if path.is_file() else encode_range(known[0], start, [])
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(body, media_type="application/x-protobuf", headers=headers)
