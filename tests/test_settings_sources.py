"""Every documented configuration variable is read from the environment and from local.env,
by every settings section alike, the environment first (config/base.py)."""

from __future__ import annotations

import json
import operator
import os
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from config.base import HaloSettings, halo_home
from config.settings import REPO_ROOT, Settings

# A name in the docs: HALO_ variables, and the few read under their usual names.
VARIABLE = re.compile(r"\b(HALO_[A-Z0-9_]*[A-Z0-9]|DATABASE_URL|SENTRY_DSN|EXPO_ACCESS_TOKEN)\b")

# Documented, read by the database scripts, compose or the tests rather than by Halo's settings.
SCRIPT_VARIABLES = {
    "HALO_LOCAL_DB_PORT": "db/localdb.sh",
    "HALO_DEBIAN_MIRROR": "db/localdb.sh",
    "HALO_LOCAL_REPLICA": "db/localdb.sh",
    "HALO_LOCAL_REPLICA_PORT": "db/localdb.sh",
    "HALO_LOCAL_ROOTFS": "db/localdb.sh",
    "HALO_LOCAL_DATA_ROOT": "db/localdb.sh",
    "HALO_DB_OWNER_PASSWORD": "docker-compose.yml",
    "HALO_DB_API_PASSWORD": "docker-compose.yml",
    "HALO_DB_ANALYST_PASSWORD": "docker-compose.yml",
    "HALO_DB_PORT": "docker-compose.yml",
    "HALO_TEST_ARTIFACTS": "tests/test_web_map_stockholm.py",
}
# Files that read documented variables themselves (compose, the stack test, benchmarks, the
# tests, the build-info module): a variable read only there needs no settings field.
OUTSIDE_SETTINGS = (
    "docker-compose.yml",
    ".env.example",
    "deploy/**/*",
    "bench/*.py",
    "tests/**/*.py",
    "config/version.py",
)
# Named in docs/scaling.md as a plan ("Not done"); a field once it exists, tested as any other.
PLANNED = {"HALO_API_READ_DATABASE_URL"}

# Values a generic rule would get wrong (cross-field rules, formats); every other variable
# gets a value derived from its field's default and bounds.
SAMPLES = {
    "HALO_ENV": "test",
    "HALO_PUSH_CRITICAL_MIN_SEVERITY": "0.9",
    "HALO_PUSH_HIGH_MIN_SEVERITY": "0.7",
    "HALO_PUSH_INFO_MIN_SEVERITY": "0.2",
    "HALO_PUSH_TOKEN_KEY": "rxntPhrQaI4eDDUdC7hImxJtS0iiNwt5qoBudXd0wfI=",
    "HALO_PUSH_EXPO_BASE_URL": "http://127.0.0.1:9",
    "HALO_MAP_REDIS_URL": "redis://127.0.0.1:9/0",
    "HALO_MAP_CENTER": "[18.0, 59.3, 12]",
}
# Always in the test's local.env: what Settings needs to be built at all (in "test" mode too).
BASE_FILE = {
    "DATABASE_URL": "postgresql://owner@127.0.0.1:9/base",
    "HALO_API_DATABASE_URL": "postgresql://api@127.0.0.1:9/base",
    "HALO_CLIENT_HASH_SALT": "a-salt-of-the-settings-test",
    "HALO_PUSH_TOKEN_KEY": "/ph5gglIc23N5U9sqlfWM9ldS+T9O13vw3/KyWo9Y4M=",
}


def documented_variables() -> set[str]:
    """Names in the README's configuration section and in every docs page."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    texts = [section] + [p.read_text(encoding="utf-8") for p in (REPO_ROOT / "docs").glob("*.md")]
    return {name for text in texts for name in VARIABLE.findall(text)}


def sections() -> list[type[HaloSettings]]:
    """Settings and each section it holds."""
    held = [info.annotation for info in Settings.model_fields.values()]
    return [Settings] + [c for c in held if isinstance(c, type) and issubclass(c, HaloSettings)]


def env_names(cls: type[HaloSettings], name: str, info: FieldInfo) -> list[str]:
    alias = info.validation_alias
    if alias is None:
        return [f"{cls.model_config.get('env_prefix', '')}{name}".upper()]
    choices = getattr(alias, "choices", [alias])
    return [str(choice) for choice in choices]


def readers() -> dict[str, tuple[type[HaloSettings], str, FieldInfo]]:
    """Each variable name -> the section and field that read it."""
    found: dict[str, tuple[type[HaloSettings], str, FieldInfo]] = {}
    for cls in sections():
        for name, info in cls.model_fields.items():
            if isinstance(info.annotation, type) and issubclass(info.annotation, HaloSettings):
                continue
            for variable in env_names(cls, name, info):
                assert variable not in found, f"{variable} is read by two fields"
                found[variable] = (cls, name, info)
    return found


BOUNDS = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}


def _within(value: float, info: FieldInfo) -> bool:
    """Whether the value passes the field's ge/gt/le/lt bounds."""
    return all(
        check(value, getattr(bound, attr))
        for bound in info.metadata
        for attr, check in BOUNDS.items()
        if getattr(bound, attr, None) is not None
    )


def _number(default: float | None, kind: type, info: FieldInfo) -> str:
    base = default if default is not None else 1
    steps = (1, -1) if kind is int else (base * 0.5 or 0.5, -base * 0.5)
    for step in steps:
        if _within(base + step, info):
            return str(kind(base + step))
    raise AssertionError(f"no sample value within the bounds of {info}")


def _tuple(default: tuple[Any, ...]) -> str:
    if all(isinstance(item, str) for item in default):
        return json.dumps([*default, "Sample"])
    return json.dumps([default[0] - 0.1, *default[1:]])


def without_none(annotation: Any) -> Any:
    """`str | None` -> `str`; anything else as it is."""
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(kinds) == 1:
            return kinds[0]
    return annotation


def sample_value(variable: str, info: FieldInfo, tmp: Path) -> str:
    """A valid value other than the default, as it would be written in local.env."""
    if variable in SAMPLES:
        return SAMPLES[variable]
    default = info.get_default(call_default_factory=True)
    kind = without_none(info.annotation)
    if kind is bool:
        return "false" if default else "true"
    if kind in (int, float):
        return _number(default, kind, info)
    if typing.get_origin(kind) is Literal:
        return next(str(v) for v in typing.get_args(kind) if v != default)
    if typing.get_origin(kind) is tuple:
        return _tuple(default)
    if typing.get_origin(kind) is list:
        return "192.0.2.0/24"
    if kind is Path:
        return str(tmp / variable.lower())
    if kind in (str, SecretStr):
        return f"sample-{variable.lower()}"
    raise AssertionError(f"{variable}: no sample rule for {info.annotation}")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A HALO_HOME with the base local.env, and no configuration in the environment."""
    for name in list(os.environ):
        if VARIABLE.fullmatch(name):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HALO_HOME", str(tmp_path))
    write_local_env(tmp_path, BASE_FILE)
    yield tmp_path


def write_local_env(home: Path, values: dict[str, str]) -> None:
    lines = [
        f"{name}={json.dumps(value) if ' ' in value else value}" for name, value in values.items()
    ]
    (home / "local.env").write_text("\n".join(lines) + "\n", encoding="utf-8")


def read(cls: type[HaloSettings], field: str) -> object:
    settings: BaseModel = cls()
    return getattr(settings, field)


def test_every_documented_variable_is_read_from_local_env_and_from_the_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_name = readers()
    unread: list[str] = []
    tested: list[str] = []
    outside_settings_text = "\n".join(
        path.read_text(encoding="utf-8")
        for pattern in OUTSIDE_SETTINGS
        for path in sorted(REPO_ROOT.glob(pattern))
        if path.is_file() and path.name != Path(__file__).name
    )
    for variable in sorted(documented_variables()):
        if variable == "HALO_HOME" or (variable in PLANNED and variable not in by_name):
            continue
        if variable in SCRIPT_VARIABLES:
            assert variable in (REPO_ROOT / SCRIPT_VARIABLES[variable]).read_text()
            continue
        if variable not in by_name and variable in outside_settings_text:
            continue  # read by compose, the stack test, a benchmark or the tests, not Halo
        if variable not in by_name:
            unread.append(variable)
            continue
        cls, field, info = by_name[variable]
        value = sample_value(variable, info, home)
        baseline = read(cls, field)
        write_local_env(home, {**BASE_FILE, variable: value})
        from_file = read(cls, field)
        write_local_env(home, {k: v for k, v in BASE_FILE.items() if k != variable})
        monkeypatch.setenv(variable, value)
        from_env = read(cls, field)
        monkeypatch.delenv(variable)
        write_local_env(home, BASE_FILE)
        assert from_file == from_env != baseline, f"{variable}={value}"
        tested.append(variable)
    assert unread == [], "documented but read by no settings field"
    # Every section is covered by the docs (a lost docs page would show here).
    assert {by_name[v][0] for v in tested} == set(sections())


def test_the_environment_wins_over_local_env(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_local_env(home, {**BASE_FILE, "HALO_BACKUP_RETENTION": "3", "HALO_MAP_GZIP_LEVEL": "2"})
    monkeypatch.setenv("HALO_MAP_GZIP_LEVEL", "4")
    settings = Settings()  # type: ignore[call-arg]
    # The nested sections read local.env too (this gave 7, the default, before).
    assert settings.backup.retention == 3
    assert settings.map.gzip_level == 4


def test_halo_home_locates_local_env(home: Path) -> None:
    assert halo_home() == home
    assert Settings().database_url == BASE_FILE["DATABASE_URL"]  # type: ignore[call-arg]
