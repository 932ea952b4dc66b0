"""Report photos: the type told by the bytes (never the file name), re-encoded without metadata.

Re-encoding from the decoded pixels drops everything but the picture: EXIF (GPS position,
camera serial, time), XMP, IPTC, comments and text chunks. The EXIF orientation is applied to
the pixels first, so the photo still shows the right way up.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from api.errors import InvalidReport

# Format -> (file extension, media type).
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
MEDIA_TYPES = {ext: media for ext, media in FORMATS.values()}


@dataclass(frozen=True)
class CleanPhoto:
    """A photo re-encoded without metadata."""

    data: bytes
    extension: str
    media_type: str


def sniff_format(data: bytes) -> str | None:
    """JPEG, PNG or WEBP from the file signature; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def clean_photo(data: bytes, max_pixels: int, jpeg_quality: int = 88) -> CleanPhoto:
    """Check and re-encode a photo in its own format, metadata removed.

    InvalidReport for an unsupported type, an undecodable file or more than max_pixels.
    CPU-bound: call it from a worker thread.
    """
    kind = sniff_format(data)
    if kind is None:
        raise InvalidReport("The photo must be a JPEG, PNG or WebP image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
            width, height = image.size
            if width * height > max_pixels:
                raise InvalidReport(
                    f"The photo has {width}x{height} pixels; at most {max_pixels} are accepted."
                )
            image.load()
            upright = ImageOps.exif_transpose(image)
    except InvalidReport:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidReport("The photo has too many pixels.") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InvalidReport("The photo could not be read as an image.") from exc
    return CleanPhoto(_encode(upright, kind, jpeg_quality), *FORMATS[kind])


def _encode(image: Image.Image, kind: str, jpeg_quality: int) -> bytes:
    """Only the pixels: a new image from the raw pixel data carries no metadata at all."""
    if kind == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    if kind != "JPEG" and image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        image = image.convert("RGBA")
    bare = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P":
        palette = image.getpalette()
        if palette is not None:
            bare.putpalette(palette)
    out = io.BytesIO()
    if kind == "JPEG":
        bare.save(out, "JPEG", quality=jpeg_quality, optimize=True)
    elif kind == "PNG":
        bare.save(out, "PNG", optimize=True)
    else:
        bare.save(out, "WEBP", quality=jpeg_quality)
    return out.getvalue()
