"""The abuse corpus and the requests that carry it: every scalar input of every operation in the
app's OpenAPI schema (path, query, header, multipart field, JSON field at any depth) gets every
payload in turn, the other inputs keeping valid values."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

SQL_INJECTION = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "1; DROP TABLE raw.incidents; --",
    "'; DROP SCHEMA risk CASCADE; --",
    "'); DELETE FROM raw.user_reports; --",
    "1 UNION SELECT key_sha256::text FROM ops.api_keys --",
    "$$; TRUNCATE ops.job_runs; $$",
    "1' AND pg_sleep(10) IS NULL --",
    "1); SELECT pg_terminate_backend(pg_backend_pid()); --",
    "'||(SELECT version())||'",
    "\\'; COPY ops.api_keys TO PROGRAM 'id'; --",
    "%s",
    "%(lat)s",
    "{0}{1}",
    "${jndi:ldap://127.0.0.1/x}",
    "ST_GeomFromText('POINT(0 0)')",
    "18.07,59.33) OR (1=1",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
]
NUMBERS = [
    "NaN",
    "-nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e309",
    "-1e309",
    "1e-400",
    "4.9e-324",
    "0",
    "-0",
    "-1",
    "1.5",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1" + "0" * 400,
    "0x1F",
    "1_000",
    "+7",
    " 7 ",
    "\u0663",  # Arabic-Indic digit three
    "\uff11\uff12",  # fullwidth digits
    "½",
]
UNICODE = [
    "",
    " ",
    "\u202eevil\u202c",  # right-to-left override
    "zero\u200bwidth\u200d\ufeff",
    "nul\x00byte",
    "\x00",
    "e\u0301\u0301\u0301",
    "💣🔥",
    "\U0001d573\U0001d586\U0001d591\U0001d594",  # mathematical letters
    "\u0130\u0131\u017f\u212a",  # dotted I, dotless i, long s, Kelvin sign
    "\r\nX-Injected: 1",
    "\t\x0b\x0c",
    "Ω" * 3000,
    "A" * 9000,
]
# Bytes that are not UTF-8: overlong '/' and NUL, an encoded surrogate, invalid, truncated.
RAW_BYTES = [b"\xc0\xaf", b"\xc0\x80", b"\xed\xa0\x80", b"\xff\xfe", b"\xe2\x82"]
# JSON tokens Python's json module reads although they are not JSON, and out-of-range numbers.
JSON_TOKENS = ["NaN", "Infinity", "-Infinity", "1e309", "-1e999", "1" + "0" * 400, "-0", "1e2"]
HUGE_BODY_TEXT = "x" * 200_000


@dataclass(frozen=True)
class Payload:
    """One abusive value: text, raw bytes, or (JSON only) a literal token in the JSON text."""

    label: str
    value: str | bytes
    json_token: bool = False


def payloads(in_body: bool) -> list[Payload]:
    """The corpus; bodies also get raw JSON tokens and a 200 kB value."""
    texts = [*SQL_INJECTION, *NUMBERS, *UNICODE]
    result = [Payload(repr(t)[:60], t) for t in texts]
    result += [Payload(repr(b), b) for b in RAW_BYTES]
    if in_body:
        result += [Payload(f"json {t[:20]}", t, json_token=True) for t in JSON_TOKENS]
        result.append(Payload("200 kB text", HUGE_BODY_TEXT))
    return result


@dataclass(frozen=True)
class Target:
    """One input of one operation: where it goes and its (dotted) name."""

    method: str
    path: str
    location: str  # path, query, header, form, json
    name: str
    binary: bool = False


def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Follow a $ref, and pick the non-null branch of an `anyOf [X, null]`."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        branches = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return resolve(branches[0], spec) if branches else schema
    return schema


def body_fields(
    schema: dict[str, Any], spec: dict[str, Any], prefix: str = ""
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The scalar leaves of a body schema as dotted names (arrays: their first element)."""
    schema = resolve(schema, spec)
    for name, prop in schema.get("properties", {}).items():
        prop = resolve(prop, spec)
        dotted = f"{prefix}{name}"
        if prop.get("type") == "object" or "properties" in prop:
            yield from body_fields(prop, spec, dotted + ".")
        elif prop.get("type") == "array":
            yield f"{dotted}.0", resolve(prop.get("items", {}), spec)
        else:
            yield dotted, prop


def is_binary(schema: dict[str, Any]) -> bool:
    """A file part (OpenAPI 3.0 `format: binary`, 3.1 `contentMediaType`)."""
    return schema.get("format") == "binary" or "contentMediaType" in schema


def targets(spec: dict[str, Any]) -> list[Target]:
    """Every input of every operation, in path order."""
    found = []
    for path, operations in sorted(spec["paths"].items()):
        for method, op in operations.items():
            for param in op.get("parameters", []):
                found.append(Target(method, path, param["in"], param["name"]))
            content = op.get("requestBody", {}).get("content", {})
            for media, kind in (("multipart/form-data", "form"), ("application/json", "json")):
                if media in content:
                    for name, prop in body_fields(content[media]["schema"], spec):
                        binary = is_binary(prop)
                        found.append(Target(method, path, kind, name, binary))
    return found


def now_iso(minutes_ago: int = 10) -> str:
    """A recent UTC time with offset, ISO 8601."""
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def value_from_schema(
    name: str, schema: dict[str, Any], spec: dict[str, Any], known: dict[str, Any]
) -> Any:
    """A valid value: the test's own for known names, else the schema's default or example."""
    leaf = name.rsplit(".", 1)[-1]
    if leaf in known:
        value = known[leaf]
        return value() if callable(value) else value
    schema = resolve(schema, spec)
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind, fmt = schema.get("type"), schema.get("format")
    if fmt == "date-time":
        return now_iso()
    if fmt == "uuid":
        return str(uuid.uuid4())
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "array":
        return [value_from_schema(leaf, schema.get("items", {}), spec, known)]
    if kind == "object" or "properties" in schema:
        return {
            n: value_from_schema(n, p, spec, known) for n, p in schema.get("properties", {}).items()
        }
    return "valid"


def set_dotted(body: dict[str, Any], dotted: str, value: Any) -> None:
    """Set body['a']['b'] (or body['a'][0]) for 'a.b' (or 'a.0')."""
    *parents, last = dotted.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


Sender = Callable[..., Any]


def _text(value: Any) -> str | bytes:
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _header(value: str | bytes) -> str | bytes:
    """Header values go as bytes when they are not ASCII (h11 refuses CR, LF and NUL)."""
    if isinstance(value, str) and not value.isascii():
        return value.encode("utf-8")
    return value


def request_for(
    spec: dict[str, Any], target: Target, payload: Payload, known: dict[str, Any]
) -> dict[str, Any]:
    """httpx.Client.request keyword arguments: valid inputs, the payload in `target`."""
    op = spec["paths"][target.path][target.method]
    url, query, headers = target.path, [], {}
    for param in op.get("parameters", []):
        name, where = param["name"], param["in"]
        hit = (where, name) == (target.location, target.name)
        value = _text(
            payload.value if hit else value_from_schema(name, param["schema"], spec, known)
        )
        if where == "path":
            url = url.replace("{" + name + "}", quote(value, safe=""))
        elif where == "query":
            query.append((name, value))
        elif where == "header":
            headers[name] = _header(value)
    if query:
        url += "?" + urlencode(query, quote_via=quote)
    request: dict[str, Any] = {"method": target.method.upper(), "url": url, "headers": headers}
    content = op.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        request["files"] = form_parts(
            spec, content["multipart/form-data"]["schema"], target, payload, known
        )
    elif "application/json" in content:
        headers["Content-Type"] = "application/json"
        request["content"] = json_body(
            spec, content["application/json"]["schema"], target, payload, known
        )
    return request


def form_parts(
    spec: dict[str, Any],
    schema: dict[str, Any],
    target: Target,
    payload: Payload,
    known: dict[str, Any],
) -> dict[str, Any]:
    """Multipart parts: the valid fields (no file), the payload as a field or a file."""
    parts: dict[str, Any] = {}
    for name, prop in body_fields(schema, spec):
        if name == target.name and target.location == "form":
            data = payload.value
            if is_binary(prop):
                raw = data.encode("utf-8") if isinstance(data, str) else data
                parts[name] = ("photo.jpg", raw, "image/jpeg")
            else:
                parts[name] = (None, data)
        elif not is_binary(prop):
            parts[name] = (None, _text(value_from_schema(name, prop, spec, known)))
    return parts


def json_body(
    spec: dict[str, Any],
    schema: dict[str, Any],
    target: Target,
    payload: Payload,
    known: dict[str, Any],
) -> bytes:
    """A JSON body: valid values, the payload at the target's dotted name (a raw token or
    invalid UTF-8 spliced into the text)."""
    body = value_from_schema("", schema, spec, known)
    if target.location != "json":
        return json.dumps(body).encode()
    marker = f"__abuse_{uuid.uuid4().hex}__"
    set_dotted(
        body,
        target.name,
        payload.value if isinstance(payload.value, str) and not payload.json_token else marker,
    )
    text = json.dumps(body, ensure_ascii=False).encode("utf-8")
    if payload.json_token:
        return text.replace(f'"{marker}"'.encode(), _text_bytes(payload.value))
    if isinstance(payload.value, bytes):
        return text.replace(marker.encode(), payload.value)
    return text


def _text_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value
