"""The upload token: endpoints that change data need it (``api/settings.py``)."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from tradeguard.api.problems import ApiProblem


def check_token(configured: str | None, given: str | None) -> None:
    """401 without a token, 403 with a wrong one, 403 while uploads are disabled."""
    if not configured:
        raise ApiProblem(403, "forbidden", "Uploads are disabled",
                         "no upload token is configured on this server, so endpoints that "
                         "change data are disabled. Fix: set TRADEGUARD_API_TOKEN (or `token` "
                         "in the API config file) and restart the server")
    if not given:
        raise ApiProblem(401, "unauthorized", "Token required",
                         "this endpoint changes data and needs the upload token. Fix: send "
                         "`Authorization: Bearer <token>`", headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.encode(), configured.encode()):
        raise ApiProblem(403, "forbidden", "Wrong token",
                         "the token does not match; nothing was changed. Fix: check the token")


def valid_token(request: Request) -> bool:
    """Whether the request carries the configured token (a wrong one counts as none)."""
    configured, given = request.app.state.token, bearer(request)
    return bool(configured and given
                and hmac.compare_digest(given.encode(), configured.encode()))


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-token") or None
