"""Server settings: the upload token, the request-size limit and CORS origins.

Read from the environment first, then from a TOML file (``$TRADEGUARD_API_CONFIG``, else
``<user config dir>/tradeguard/api.toml``)::

    token = "a long random string"      # none by default: uploads are disabled
    token_label = "customs desk"        # recorded as the uploader of every batch (default "api token")
    max_upload_bytes = 20_000_000       # default 20 MB
    cors_origins = []                   # default: CORS off
    request_timeout_s = 60              # a request without an answer by then gets 503
    rate_burst = 30                     # expensive endpoints: requests at once per client
    rate_per_minute = 60                # ... refilled at this rate
    max_design_paths = 10_000           # design lab: Monte Carlo paths per request
    max_path_months = 2_000_000         # design lab: designs x paths x (years + warm-up) x 12
    max_batch_rows_open = 1_000         # duty batch rows without the token
    max_batch_rows = 100_000            # duty batch rows with the token
    max_design_flows = 10               # design lab: trade flows simulated per request
    cpu_budget_s = 8                    # design lab: CPU-seconds a request may use

Environment: ``TRADEGUARD_API_TOKEN``, ``TRADEGUARD_API_TOKEN_LABEL``,
``TRADEGUARD_API_MAX_UPLOAD_BYTES``; the cost limits only in the file (their defaults hold
every request without a token well under 1 GiB and 10 CPU-seconds; see ``api/guards.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tradeguard.environment import env_whole_number
from tradeguard.errors import InputError, problem

TOKEN_ENV = "TRADEGUARD_API_TOKEN"
CONFIG_ENV = "TRADEGUARD_API_CONFIG"
MAX_UPLOAD_ENV = "TRADEGUARD_API_MAX_UPLOAD_BYTES"
TOKEN_LABEL_ENV = "TRADEGUARD_API_TOKEN_LABEL"
DEFAULT_TOKEN_LABEL = "api token"
DEFAULT_MAX_UPLOAD_BYTES = 20_000_000


@dataclass(frozen=True)
class Settings:
    token: str | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    token_label: str = DEFAULT_TOKEN_LABEL
    request_timeout_s: float = 60.0
    rate_burst: int = 30
    rate_per_minute: float = 60.0
    max_design_paths: int = 10_000
    max_path_months: int = 2_000_000
    max_batch_rows_open: int = 1_000
    max_batch_rows: int = 100_000
    max_design_flows: int = 10
    cpu_budget_s: float = 8.0


def config_path() -> Path:
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("tradeguard")) / "api.toml"


def load_settings() -> Settings:
    """Settings from the environment, then the config file, then the defaults."""
    import tomllib

    data: dict = {}
    path = config_path()
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(problem("the API config file cannot be read", where=str(path),
                                     why=str(exc), fix="correct the TOML or remove the file")) from exc
    token = os.environ.get(TOKEN_ENV) or data.get("token") or None
    limit = (env_whole_number(MAX_UPLOAD_ENV, DEFAULT_MAX_UPLOAD_BYTES)
             or data.get("max_upload_bytes"))
    origins = data.get("cors_origins") or ()
    label = os.environ.get(TOKEN_LABEL_ENV) or data.get("token_label") or DEFAULT_TOKEN_LABEL
    limits = {}
    for name in _LIMITS:
        if name in data:
            limits[name] = _positive(data[name], name, path)
    return Settings(token=str(token) if token else None, token_label=str(label),
                    max_upload_bytes=int(limit) if limit else DEFAULT_MAX_UPLOAD_BYTES,
                    cors_origins=tuple(str(o) for o in origins), **limits)


_LIMITS = {"request_timeout_s": float, "rate_burst": int, "rate_per_minute": float,
           "max_design_paths": int, "max_path_months": int, "max_batch_rows_open": int,
           "max_batch_rows": int, "max_design_flows": int, "cpu_budget_s": float}


def _positive(value: object, name: str, path: Path) -> float | int:
    kind = _LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InputError(problem(f"`{name}` must be a positive number", where=str(path),
                                 why=f"it is {value!r}", fix=f"write e.g. {name} = 100"))
    return kind(value)
