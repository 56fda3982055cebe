"""Run configuration: one frozen dataclass, loadable from TOML.

Precedence (highest first): command-line flags, ``FTPREP_*`` environment
variables (handled by click), the config file (``--config``, else ``ftprep.toml``
in the working directory, else ``[tool.ftprep]`` in ``pyproject.toml``), the
defaults below. Secrets (the pseudonymization key, API keys) are never read
from a config file.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TARGETS = ("azure", "openai")
EXECUTION_SETTINGS = ("workers", "batch_size", "gx_data_docs", "vault", "engine", "spark_master",
                      "spark_path_map")
ENGINES = ("local", "spark")
SECRET_KEYS = frozenset({"key", "secret", "api_key", "password", "token"})


@dataclass(frozen=True)
class PrepareConfig:
    target: str = "azure"
    model: str = "gpt-4o-mini"
    validation_fraction: float = 0.1
    seed: int = 0
    pseudonymize: bool = True
    batch_size: int = 512
    workers: int = 0  # 0: one per core
    max_line_bytes: int = 64 * 1024 * 1024
    max_depth: int = 64
    max_images: int = 10
    n_epochs: int | None = None
    price_per_million: float | None = None
    bom: bool = False
    fail_on_leak: bool = True
    template: str | None = None
    sheet: str | None = None
    record_start: str | None = None
    suite: str | None = None
    suite_mode: str = "merge"
    gx_data_docs: str | None = None
    vault: str | None = None
    engine: str = "local"  # "spark": row-level work on Spark (extra ftprep[spark])
    spark_master: str | None = None  # e.g. "local[2]"; None: the active session
    spark_path_map: str | None = None  # "LOCAL_PREFIX=SPARK_PREFIX": how Spark names the inputs
    pseudonymize_options: Mapping[str, Any] = field(default_factory=dict)
    checks: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ConfigError(f"target must be one of {', '.join(TARGETS)}")
        if not 0 <= self.validation_fraction < 1:
            raise ConfigError("validation_fraction must be in [0, 1)")
        if self.batch_size < 1 or self.workers < 0:
            raise ConfigError("batch_size must be at least 1 and workers at least 0 (0: one per core)")
        if self.suite_mode not in ("merge", "replace"):
            raise ConfigError("suite_mode must be merge or replace")
        if self.engine not in ENGINES:
            raise ConfigError(f"engine must be one of {', '.join(ENGINES)}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["pseudonymize_options"] = dict(self.pseudonymize_options)
        d["checks"] = dict(self.checks)
        return d

    def output_settings(self) -> dict[str, Any]:
        """The settings that shape the outputs (for the manifest): execution settings such as
        ``workers`` and ``batch_size`` change speed, never bytes, so they are left out."""
        d = self.to_dict()
        for name in EXECUTION_SETTINGS:
            d.pop(name, None)
        return d

    def fingerprint(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def with_overrides(self, **overrides: Any) -> PrepareConfig:
        given = {k: v for k, v in overrides.items() if v is not None}
        for name, value in given.items():  # command-line values: --price-per-million nan, ...
            _check_type(name, value, f"--{name.replace('_', '-')}")
        return replace(self, **given)


_FIELD_NAMES = {f.name for f in fields(PrepareConfig)}
_TYPE_HINTS = {f.name: str(f.type) for f in fields(PrepareConfig)}  # "int | None", "float", ...


def config_from_mapping(data: Mapping[str, Any], origin: str = "config") -> PrepareConfig:
    """Build a config from a TOML-style mapping; unknown or secret keys are errors."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name in ("pseudonymize_options", "pseudonymization") or name == "pseudonymize" and isinstance(value, Mapping):
            values["pseudonymize_options"] = dict(value)
            continue
        if name in SECRET_KEYS:
            raise ConfigError(f"{origin}: {key!r} looks like a secret; secrets come only from env vars or key files")
        if name not in _FIELD_NAMES:
            raise ConfigError(f"{origin}: unknown key {key!r}")
        if name == "pseudonymize" and value is not True:
            # a file (./ftprep.toml or pyproject.toml is read without being named) must not
            # turn pseudonymization off behind the user's back: that takes the explicit flag
            raise ConfigError(f"{origin}: 'pseudonymize' cannot be switched off in a config file; "
                              "pass --no-pseudonymize on the command line")
        _check_type(name, value, origin)
        values[name] = value
    try:
        return PrepareConfig(**values)
    except TypeError as exc:
        raise ConfigError(f"{origin}: {exc}") from None


def _check_type(name: str, value: Any, origin: str) -> None:
    """A setting of the wrong type is a one-line ConfigError (``model = 5`` crashed a run,
    ``bom = "false"`` wrote a BOM, ``price_per_million = nan`` wrote NaN into the manifest)."""
    hint = _TYPE_HINTS.get(name, "")
    optional = hint.endswith("| None")
    base = hint.removesuffix("| None").strip()
    if value is None and optional:
        return
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
        "str": isinstance(value, str),
        "Mapping[str, Any]": isinstance(value, Mapping),
    }.get(base, True)
    if not ok:
        kind = {"bool": "true or false", "int": "an integer", "float": "a finite number",
                "str": "a string", "Mapping[str, Any]": "a table"}[base]
        raise ConfigError(f"{origin}: {name!r} must be {kind}, not {type(value).__name__}"
                          + (" (nan/inf)" if isinstance(value, float) else ""))
    if base in ("int", "float") and name in _NON_NEGATIVE and value < 0:
        raise ConfigError(f"{origin}: {name!r} must not be negative")


#: settings that are counts or prices (negative values made no sense and were accepted)
_NON_NEGATIVE = frozenset(("seed", "batch_size", "workers", "max_line_bytes", "max_depth", "max_images",
                           "n_epochs", "price_per_million", "validation_fraction"))


def find_config_file(explicit: str | Path | None = None, cwd: Path | None = None) -> tuple[Path, Mapping[str, Any]] | None:
    """Locate and parse the config: explicit path, ./ftprep.toml, or [tool.ftprep] in ./pyproject.toml."""
    cwd = cwd or Path.cwd()
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        data = _read_toml(path)
        tool = data.get("tool", {}).get("ftprep") if path.name == "pyproject.toml" else None
        return path, tool if isinstance(tool, Mapping) else data
    local = cwd / "ftprep.toml"
    if local.is_file():
        return local, _read_toml(local)
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        tool = _read_toml(pyproject).get("tool", {}).get("ftprep")
        if isinstance(tool, Mapping):
            return pyproject, tool
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def load_config(explicit: str | Path | None = None, cwd: Path | None = None) -> tuple[PrepareConfig, str | None]:
    """The file-level config (or defaults) and the path it came from."""
    found = find_config_file(explicit, cwd)
    if found is None:
        return PrepareConfig(), None
    path, data = found
    return config_from_mapping(data, origin=str(path)), str(path)
