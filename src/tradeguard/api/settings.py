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
from dataclasses import dataclass
from pathlib import Path

from tradeguard.environment import number, read_settings, text, texts
from tradeguard.errors import InputError, problem

TOKEN_ENV = "TRADEGUARD_API_TOKEN"
CONFIG_ENV = "TRADEGUARD_API_CONFIG"
MAX_UPLOAD_ENV = "TRADEGUARD_API_MAX_UPLOAD_BYTES"
TOKEN_LABEL_ENV = "TRADEGUARD_API_TOKEN_LABEL"
DEFAULT_TOKEN_LABEL = "api token"
DEFAULT_MAX_UPLOAD_BYTES = 20_000_000


@dataclass(frozen=True)
class Settings:
    token: str | None = text(None, env=TOKEN_ENV)
    max_upload_bytes: int = number(DEFAULT_MAX_UPLOAD_BYTES, env=MAX_UPLOAD_ENV)
    cors_origins: tuple[str, ...] = texts()
    token_label: str = text(DEFAULT_TOKEN_LABEL, env=TOKEN_LABEL_ENV)
    request_timeout_s: float = number(60.0)
    rate_burst: int = number(30)
    rate_per_minute: float = number(60.0)
    max_design_paths: int = number(10_000)
    max_path_months: int = number(2_000_000)
    max_batch_rows_open: int = number(1_000)
    max_batch_rows: int = number(100_000)
    max_design_flows: int = number(10)
    cpu_budget_s: float = number(8.0)


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
    return read_settings(Settings, data, where=str(path))
