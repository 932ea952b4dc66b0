"""Device registration for push messages: register, update and unsubscribe a device.

A device names the districts it follows (never where it is), the threat levels it wants, its
language and quiet hours. Registration answers a device id and a device secret, once; update
and delete need the secret as `Authorization: Bearer <secret>`. Paths carry the device id,
never the push token, so no token reaches an access log.
"""

from __future__ import annotations

import uuid
from datetime import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from starlette.types import Receive, Scope, Send

from api.deps import AppSettings, Conn
from api.errors import MissingDeviceSecret, UnknownDevice, problem_response
from core.device_tokens import (
    EXPO_TOKEN_PATTERN,
    generate_device_secret,
    hash_device_secret,
    looks_like_expo_token,
    token_sealer,
)


class SharedPathRoute(APIRoute):
    """A route whose 405 answer lists every method of its path (PUT and DELETE share
    /devices/{device_id}; Starlette would name only the first route's methods)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            methods = {
                m
                for r in router.routes
                if getattr(r, "path", None) == self.path
                for m in getattr(r, "methods", ())
            }
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(methods))})
        await super().handle(scope, receive, send)


router = APIRouter(prefix="/api/v1/devices", tags=["push"], route_class=SharedPathRoute)

MAX_FOLLOWED_DISTRICTS = 3  # also enforced by push.register_device / push.update_device

REGISTER_SQL = (
    "SELECT push.register_device(%(id)s, %(lookup)s, %(sealed)s, %(secret)s, %(platform)s,"
    " %(language)s, %(levels)s::text[], %(quiet_start)s::time, %(quiet_end)s::time,"
    " %(daily_cap)s::smallint, %(districts)s::integer[])"
)
UPDATE_SQL = (
    "SELECT push.update_device(%(id)s, %(secret)s, %(lookup)s, %(sealed)s, %(platform)s,"
    " %(language)s, %(levels)s::text[], %(quiet_start)s::time, %(quiet_end)s::time,"
    " %(daily_cap)s::smallint, %(districts)s::integer[])"
)
DELETE_SQL = "SELECT push.delete_device(%s, %s)"

device_secret_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="DeviceSecret",
    description="The device secret returned once by POST /api/v1/devices.",
)

ThreatLevel = Literal["critical", "high", "info"]
DistrictId = Annotated[int, Field(ge=1, le=2_147_483_647)]


def _unique(values: list[object]) -> list[object]:
    return list(dict.fromkeys(values))


class QuietHours(BaseModel):
    """Local times (of the followed districts' city) between which nothing visible is pushed;
    may wrap past midnight (22:00-07:00). Silent refreshes still arrive."""

    model_config = ConfigDict(extra="forbid")

    start: time = Field(description="Local start time, e.g. 22:00")
    end: time = Field(description="Local end time, e.g. 07:00")

    @model_validator(mode="after")
    def _local_and_not_empty(self) -> QuietHours:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are local times without an offset")
        if self.start == self.end:
            raise ValueError("quiet hours need a start different from the end")
        return self


class DevicePreferences(BaseModel):
    """What a device wants to hear about, and how."""

    model_config = ConfigDict(extra="forbid")

    platform: Literal["ios", "android", "web"]
    language: Literal["sv", "en"] = "sv"
    followed_district_ids: Annotated[
        list[DistrictId],
        Field(max_length=MAX_FOLLOWED_DISTRICTS, description="Districts (ref ids) to follow"),
        AfterValidator(_unique),
    ] = []
    threat_levels: Annotated[
        list[ThreatLevel],
        Field(max_length=3, description="Incident threat levels to push; [] for none"),
        AfterValidator(_unique),
    ] = ["critical", "high"]
    quiet_hours: QuietHours | None = None
    daily_cap: Annotated[
        int | None, Field(ge=1, le=50, description="At most this many a day (server cap applies)")
    ] = None


class DeviceRegistration(DevicePreferences):
    """A device's push token and preferences (POST and PUT bodies)."""

    expo_push_token: SecretStr = Field(
        description="The Expo push token, ExponentPushToken[...]; stored sealed, never returned.",
        json_schema_extra={"pattern": EXPO_TOKEN_PATTERN.pattern},
    )

    @field_validator("expo_push_token")
    @classmethod
    def _expo_token(cls, value: SecretStr) -> SecretStr:
        if not looks_like_expo_token(value.get_secret_value()):
            raise ValueError("not an Expo push token (ExponentPushToken[...])")
        return value


class Device(DevicePreferences):
    """A registered device's preferences (its token is never returned)."""

    device_id: uuid.UUID


class RegisteredDevice(Device):
    """A new registration: the device secret is shown this once and stored only as a hash."""

    device_secret: str = Field(description="Send as `Authorization: Bearer` to update or delete.")


async def _device_secret(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(device_secret_scheme)],
) -> bytes:
    if credentials is None or not credentials.credentials:
        raise MissingDeviceSecret(
            "Send the device secret as `Authorization: Bearer <secret>`.",
            {"WWW-Authenticate": "Bearer"},
        )
    return hash_device_secret(credentials.credentials)


DeviceSecretHash = Annotated[bytes, Depends(_device_secret)]
BODY_RESPONSES: dict[int | str, dict[str, object]] = {
    400: problem_response("The body is not JSON"),
    422: problem_response("Invalid token or preferences, or an unknown district"),
}
SECRET_RESPONSES: dict[int | str, dict[str, object]] = {
    401: problem_response("Device secret missing"),
    404: problem_response("No such device, or the secret does not match"),
}


def _parameters(
    body: DeviceRegistration, device_id: uuid.UUID, settings: AppSettings
) -> dict[str, object]:
    sealer = token_sealer(settings.push.token_key_bytes())
    token = body.expo_push_token.get_secret_value()
    quiet = body.quiet_hours
    return {
        "id": device_id,
        "lookup": sealer.lookup(token),
        "sealed": sealer.seal(token, device_id),
        "platform": body.platform,
        "language": body.language,
        "levels": list(body.threat_levels),
        "quiet_start": quiet.start if quiet else None,
        "quiet_end": quiet.end if quiet else None,
        "daily_cap": body.daily_cap,
        "districts": list(body.followed_district_ids),
    }


def _preferences(body: DeviceRegistration) -> dict[str, object]:
    return body.model_dump(exclude={"expo_push_token"})


@router.post(
    "",
    status_code=201,
    summary="Register a device for push messages",
    responses=BODY_RESPONSES,
)
async def register_device(
    body: DeviceRegistration, conn: Conn, settings: AppSettings
) -> RegisteredDevice:
    """Store the device's sealed push token and preferences; answer its id and secret. The
    same token registering again replaces its earlier registration."""
    device_id = uuid.uuid4()
    secret = generate_device_secret()
    params = _parameters(body, device_id, settings)
    await conn.execute(REGISTER_SQL, {**params, "secret": hash_device_secret(secret)})
    return RegisteredDevice.model_validate(
        {**_preferences(body), "device_id": device_id, "device_secret": secret}
    )


@router.put(
    "/{device_id}",
    summary="Replace a device's token and preferences",
    responses={**BODY_RESPONSES, **SECRET_RESPONSES},
)
async def update_device(
    device_id: uuid.UUID,
    body: DeviceRegistration,
    secret: DeviceSecretHash,
    conn: Conn,
    settings: AppSettings,
) -> Device:
    """Replace the push token, language, districts, threat levels, quiet hours and cap."""
    params = _parameters(body, device_id, settings)
    cur = await conn.execute(UPDATE_SQL, {**params, "secret": secret})
    row = await cur.fetchone()
    if row is None or not row[0]:
        raise UnknownDevice("No device has this id, or the secret does not match.")
    return Device.model_validate({**_preferences(body), "device_id": device_id})


@router.delete(
    "/{device_id}",
    status_code=204,
    summary="Unsubscribe: delete a device and everything about it",
    responses=SECRET_RESPONSES,
)
async def delete_device(device_id: uuid.UUID, secret: DeviceSecretHash, conn: Conn) -> Response:
    """Delete the device's token, districts, preferences and queued messages."""
    cur = await conn.execute(DELETE_SQL, (device_id, secret))
    row = await cur.fetchone()
    if row is None or not row[0]:
        raise UnknownDevice("No device has this id, or the secret does not match.")
    return Response(status_code=204)
