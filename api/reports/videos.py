"""Report videos: the type told by the bytes and by ffprobe (never the client's MIME claim),
the length checked, and the clip re-muxed by ffmpeg without any metadata.

Re-muxing copies the first video and the first audio stream only (no data streams: some
cameras keep a GPS track there), drops global, stream and chapter metadata (QuickTime's
`com.apple.quicktime.location.ISO6709`, `©xyz`, creation time, camera make and model) and
writes a bit-exact container without an encoder tag. The pixels are not re-encoded (cheap,
and no quality loss). A poster frame is taken from the clean clip and re-encoded as a JPEG
by the photo path (so it carries no metadata either).

CPU- and disk-bound: call `clean_video` from a worker thread. Every run of ffmpeg/ffprobe
has a wall-clock limit; the scratch folder is removed whatever happens.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from api.errors import InvalidReport
from api.reports.photos import clean_photo

# Container -> (file extension, media type, ffmpeg muxer, ffprobe format names accepted).
CONTAINERS = {
    "MP4": ("mp4", "video/mp4", "mp4", {"mov,mp4,m4a,3gp,3g2,mj2"}),
    "WEBM": ("webm", "video/webm", "webm", {"matroska,webm"}),
}
VIDEO_MEDIA_TYPES = {ext: media for ext, media, _muxer, _names in CONTAINERS.values()}
# Codecs each output container can carry without re-encoding.
CODECS = {
    "MP4": ({"h264", "hevc", "mpeg4", "av1"}, {"aac", "mp3", "alac", "opus"}),
    "WEBM": ({"vp8", "vp9", "av1"}, {"opus", "vorbis"}),
}
# A clip a little longer than the limit by container rounding is still "at most N s".
DURATION_TOLERANCE_S = 0.5
POSTER_MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class CleanVideo:
    """A clip re-muxed without metadata, and its poster frame (JPEG bytes)."""

    data: bytes
    extension: str
    media_type: str
    duration_s: float
    poster: bytes


def sniff_container(data: bytes) -> str | None:
    """MP4 (ISO base media, QuickTime included) or WebM from the file signature; else None."""
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return "MP4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "WEBM"
    return None


def _run(command: list[str], timeout_s: float) -> subprocess.CompletedProcess[bytes]:
    try:
        # The program comes from the settings, the paths from our own scratch folder; no shell.
        return subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise InvalidReport("The video took too long to process.") from exc
    except FileNotFoundError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(f"{command[0]} is missing: apt-get install ffmpeg") from exc


def probe(path: Path, ffprobe: str, timeout_s: float) -> dict[str, object]:
    """ffprobe's view of a file (format and streams), or InvalidReport when it is no video."""
    answer = _run(
        [
            ffprobe,
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
        timeout_s,
    )
    if answer.returncode != 0:
        raise InvalidReport("The video could not be read.")
    try:
        parsed: dict[str, object] = json.loads(answer.stdout)
    except ValueError as exc:
        raise InvalidReport("The video could not be read.") from exc
    return parsed


def _duration(info: dict[str, object]) -> float | None:
    fmt = info.get("format")
    raw = fmt.get("duration") if isinstance(fmt, dict) else None
    try:
        return float(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def _first_codec(info: dict[str, object], kind: str) -> str | None:
    streams = info.get("streams")
    for stream in streams if isinstance(streams, list) else []:
        if isinstance(stream, dict) and stream.get("codec_type") == kind:
            codec = stream.get("codec_name")
            return str(codec) if codec else None
    return None


def check_video(info: dict[str, object], container: str, max_seconds: float) -> float:
    """The clip's duration; InvalidReport unless ffprobe agrees with the signature, there is
    a video stream in a codec the container carries, and it is short enough."""
    fmt = info.get("format")
    format_name = fmt.get("format_name") if isinstance(fmt, dict) else None
    if format_name not in CONTAINERS[container][3]:
        raise InvalidReport("The video must be an MP4, MOV or WebM file.")
    video_codecs, _audio = CODECS[container]
    codec = _first_codec(info, "video")
    if codec is None:
        raise InvalidReport("The file has no video in it.")
    if codec not in video_codecs:
        raise InvalidReport(f"Video encoded as {codec} is not accepted here.")
    duration = _duration(info)
    if duration is None or duration <= 0:
        raise InvalidReport("The video's length could not be read.")
    if duration > max_seconds + DURATION_TOLERANCE_S:
        raise InvalidReport(f"The video is {duration:.0f} s long; at most {max_seconds:g} s.")
    return duration


def remux_command(ffmpeg: str, source: Path, target: Path, muxer: str, audio: bool) -> list[str]:
    """ffmpeg copying the first video (and audio) stream into `target`, with no metadata."""
    command = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-i", str(source), "-map", "0:v:0"]
    if audio:
        command += ["-map", "0:a:0"]
    command += [
        "-c",
        "copy",
        "-map_metadata",
        "-1",
        "-map_metadata:s",
        "-1",
        "-map_chapters",
        "-1",
        "-dn",
        "-sn",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-flags:a",
        "+bitexact",
    ]
    if muxer == "mp4":
        command += ["-movflags", "+faststart"]
    return [*command, "-f", muxer, str(target)]


def clean_video(
    data: bytes, max_seconds: float, ffmpeg: str, ffprobe: str, timeout_s: float
) -> CleanVideo:
    """Check and re-mux a clip without metadata, with its poster frame.

    InvalidReport for an unsupported or unreadable file, a clip longer than max_seconds, or
    a codec the container cannot carry.
    """
    container = sniff_container(data)
    if container is None:
        raise InvalidReport("The video must be an MP4, MOV or WebM file.")
    extension, media_type, muxer, _names = CONTAINERS[container]
    with tempfile.TemporaryDirectory(prefix="halo-video-") as scratch:
        folder = Path(scratch)
        source = folder / "upload"
        source.write_bytes(data)
        info = probe(source, ffprobe, timeout_s)
        duration = check_video(info, container, max_seconds)
        # Audio the container cannot carry as it is is left out rather than re-encoded.
        audio = _first_codec(info, "audio") in CODECS[container][1]
        target = folder / f"clean.{extension}"
        answer = _run(remux_command(ffmpeg, source, target, muxer, audio), timeout_s)
        if answer.returncode != 0 or not target.is_file():
            raise InvalidReport("The video could not be read.")
        poster = _poster(ffmpeg, target, folder / "poster.jpg", duration, timeout_s)
        return CleanVideo(target.read_bytes(), extension, media_type, duration, poster)


def _poster(ffmpeg: str, clip: Path, target: Path, duration: float, timeout_s: float) -> bytes:
    """One frame near the start (at 1 s, or mid-clip when shorter), as a clean JPEG."""
    at = min(1.0, duration / 2)
    command = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-ss", f"{at:.3f}", "-i", str(clip), "-frames:v", "1", "-map_metadata", "-1"]
    command += ["-f", "image2", "-c:v", "mjpeg", str(target)]
    answer = _run(command, timeout_s)
    if answer.returncode != 0 or not target.is_file():
        raise InvalidReport("No frame of the video could be read.")
    return clean_photo(target.read_bytes(), POSTER_MAX_PIXELS).data
