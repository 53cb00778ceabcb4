"""What keeps the server up under hostile or heavy use: cost limits, timeouts, a per-client
rate limit and the security headers (issue 13).

All are pure ASGI middleware or FastAPI dependencies, configured from ``api/settings.py``;
every refusal is an RFC 9457 problem that states the limit and how to stay under it.

- **Design lab** (``POST /api/designs/compare``, ``/designs``): at most ``max_design_paths``
  Monte Carlo paths, ``max_designs`` designs, ``years`` up to the scenario's own bound, and at
  most ``max_path_months`` (designs x paths x (years + warm-up) x 12) per request, else 413.
- **Batch duty**: at most ``max_batch_rows_open`` rows without the token, ``max_batch_rows``
  with it, else 413.
- **Timeouts**: a request that has not started its answer after ``request_timeout_s`` gets 503
  (uploads are bounded by the store's write wait instead).  The work in its worker thread ends
  on its own; its result is then dropped.
- **Rate limit**: a token bucket per client address for the expensive endpoints
  (``RATE_LIMITED``): ``rate_burst`` requests at once, refilled at ``rate_per_minute``; 429
  with ``Retry-After`` beyond that.  Behind a proxy every client shares the proxy's address:
  set the limits accordingly.
- **Headers**: a Content-Security-Policy that allows scripts from this server only (the desk's
  own chart scripts, which need no eval), no inline script, and
  styles only from the page itself, ``nosniff``, frame denial, no referrer, and no ``server``
  banner.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import OrderedDict
from typing import Any

from starlette.requests import Request

from tradeguard.api.problems import problem_response

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
# Paths (prefixes) whose cost justifies a per-client rate limit.
RATE_LIMITED = ("/api/designs/compare", "/api/designs/trade-off", "/api/designs/between",
                "/api/duty/batch", "/api/surges", "/designs",
                "/surges", "/api/ingest", "/data")
# Paths the request timeout leaves alone: an upload is bounded by the store's write wait.
NO_TIMEOUT = ("/api/ingest", "/data")


class Liveness:
    """Answer ``GET /healthz`` at the outermost layer, before any other middleware or route.

    The probe touches no store, no lock, no cache and no task group: it costs the event loop
    a few microseconds, so it answers at once while worker threads compute monitor reports
    (issue 13: p99 under 50 ms with 16 clients asking status at random dates).  The route of
    the same path stays in the app for the OpenAPI document.
    """

    BODY = b'{"status":"ok"}'

    def __init__(self, app: Any, path: str = "/healthz"):
        self.app, self.path = app, path

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if (scope["type"] != "http" or scope["path"] != self.path
                or scope["method"] not in ("GET", "HEAD")):
            await self.app(scope, receive, send)
            return
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(self.BODY)).encode()),
                   (b"cache-control", b"no-store"), *SECURITY_HEADERS]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body",
                    "body": self.BODY if scope["method"] == "GET" else b""})


class SecurityHeaders:
    """Add the security headers to every response and drop any ``server`` header."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in SECURITY_HEADERS}
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"server" and k.lower() not in names]
                message = {**message, "headers": headers + list(SECURITY_HEADERS)}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestTimeout:
    """503 problem when a request has not begun its answer within ``seconds``.

    Work in a worker thread cannot be interrupted: the request runs on in the background and
    its late answer is dropped, while the client has its 503 at once.  The deadline is a timer
    of the event loop, not a task per request: a task group and its cancel scope cost more
    than a memoised duty answer (docs/benchmarks.md, "REST API").
    """

    def __init__(self, app: Any, seconds: float):
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NO_TIMEOUT):
            await self.app(scope, receive, send)
            return
        state = {"started": False, "timed_out": False}
        loop = asyncio.get_running_loop()
        refusal: list[asyncio.Task] = []

        async def guarded_send(message: dict) -> None:
            if state["timed_out"]:
                return  # the client already has its 503
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        def on_deadline() -> None:
            if not state["started"]:
                state["timed_out"] = True
                refusal.append(loop.create_task(self._refuse(scope, receive, send)))

        timer = loop.call_later(self.seconds, on_deadline)
        try:
            await self.app(scope, receive, guarded_send)
        except Exception:
            if not state["timed_out"]:
                raise  # e.g. the body limit's refusal, for the middleware outside
        finally:
            timer.cancel()
            if refusal:
                await refusal[0]

    async def _refuse(self, scope: dict, receive: Any, send: Any) -> None:
        response = problem_response(
            None, 503, "timeout", "Request took too long",
            f"the server did not finish this request within {self.seconds:g} s (its request "
            "timeout); nothing was changed. Fix: ask for less (a shorter range, fewer paths or "
            "rows), or try again when the server is less busy",
            headers={"Retry-After": "10"}, limit_seconds=self.seconds)
        await response(scope, receive, send)


class _Buckets:
    """Token buckets per key, bounded in number (the oldest are forgotten first)."""

    def __init__(self, burst: int, per_minute: float, max_keys: int = 10_000):
        self.burst, self.rate = burst, per_minute / 60.0
        self.max_keys = max_keys
        self._state: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._guard = threading.Lock()

    def take(self, key: str, now: float) -> float:
        """0 if a request may go now, else the seconds until one may."""
        with self._guard:
            tokens, last = self._state.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate if self.rate else math.inf
            self._state[key] = (tokens - 1 if tokens >= 1 else tokens, now)
            while len(self._state) > self.max_keys:
                self._state.popitem(last=False)
            return wait


class RateLimit:
    """429 problem when a client (by address) asks the expensive endpoints too often."""

    def __init__(self, app: Any, burst: int, per_minute: float,
                 clock: Any = time.monotonic):
        self.app, self.clock = app, clock
        self.buckets = _Buckets(burst, per_minute)
        self.burst, self.per_minute = burst, per_minute

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if (scope["type"] != "http" or scope["method"] in ("HEAD", "OPTIONS")
                or not scope["path"].startswith(RATE_LIMITED)):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.buckets.take(client, self.clock())
        if wait > 0:
            retry = max(1, math.ceil(min(wait, 3600)))
            response = problem_response(
                None, 429, "rate-limited", "Too many requests",
                f"this client sent more than {self.burst} requests to the expensive "
                f"endpoints at once (refilled at {self.per_minute:g} a minute). Fix: wait "
                f"{retry} s, or cache the answers on your side",
                headers={"Retry-After": str(retry)}, limit_burst=self.burst,
                limit_per_minute=self.per_minute)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- cost limits

def too_large(what: str, limit: int, asked: int, fix: str, name: str) -> Exception:
    """413 problem naming the limit, what was asked, and how to stay under it."""
    from tradeguard.api.problems import ApiProblem

    return ApiProblem(413, "too-large", "Request over a cost limit",
                      f"{what}: {asked:,} asked, at most {limit:,} per request; nothing was "
                      f"run. Fix: {fix}", limit=limit, asked=asked, limit_name=name)


class CpuBudget:
    """A request's CPU-seconds, checked wherever its long work reports progress (the design
    lab calls ``progress(stage, done, total)`` after each chunk of designs and each
    back-test): past ``seconds`` the work stops there with a 413 naming the budget.

    It measures the worker thread that runs the request (``time.thread_time``), where the
    design lab's numpy kernel runs; the cost limits checked before any work bound the rest.
    Make it in that thread.
    """

    def __init__(self, seconds: float, clock: Any = time.thread_time):
        self.seconds, self.clock = seconds, clock
        self.start = clock()

    def __call__(self, stage: str, done: int, total: int) -> None:
        used = self.clock() - self.start
        if used > self.seconds:
            from tradeguard.api.problems import ApiProblem

            raise ApiProblem(
                413, "too-large", "Request over its CPU budget",
                f"this request used {used:.1f} CPU-seconds by its {stage} stage ({done} of "
                f"{total} done), over the budget of {self.seconds:g} s a request has; it was "
                "stopped and nothing was kept. Fix: ask for fewer designs, paths or years, "
                "or run it with the CLI (`tradeguard design compare`), which has no budget",
                limit_seconds=self.seconds, limit_name="cpu_budget_s")


def design_cost(designs: int, paths: int, years: int, warmup_years: int) -> int:
    """The path-months a comparison simulates (its time and memory grow with them)."""
    return designs * paths * (years + warmup_years) * 12


def check_design_request(settings: Any, designs: int, scenario: Any) -> None:
    """413 when a design-lab request is over the server's limits."""
    flows = len(scenario.flows or ())  # none given: the beef market's flows
    if flows > settings.max_design_flows:
        raise too_large("trade flows in the scenario", settings.max_design_flows, flows,
                        "simulate fewer flows (the default, the beef market, has 7)",
                        "max_design_flows")
    if scenario.paths > settings.max_design_paths:
        raise too_large("Monte Carlo paths", settings.max_design_paths, scenario.paths,
                        "ask for fewer paths (the CLI `tradeguard design compare` has no "
                        "such limit)", "max_design_paths")
    cost = design_cost(designs, scenario.paths, scenario.years, scenario.warmup_years)
    if cost > settings.max_path_months:
        raise too_large("path-months (designs x paths x (years + warm-up) x 12)",
                        settings.max_path_months, cost,
                        "compare fewer designs, fewer paths or fewer years", "max_path_months")


async def design_limits(request: Request) -> None:
    """Router dependency of the design lab: refuse a comparison over the limits before it runs.

    A body the model rejects passes here and gets its 422 from the route's own validation.
    """
    if request.method != "POST" or not request.url.path.endswith("/compare"):
        return
    from pydantic import ValidationError

    from tradeguard.api.routes.designs import CompareRequest

    try:
        parsed = CompareRequest.model_validate_json(await request.body() or b"{}")
    except ValidationError:
        return
    check_design_request(request.app.state.settings, len(parsed.designs), parsed.scenario)


def check_batch_rows(settings: Any, rows: int, has_token: bool) -> None:
    """413 when a duty batch has more rows than its caller may send."""
    limit = settings.max_batch_rows if has_token else settings.max_batch_rows_open
    if rows > limit:
        fix = ("split the batch" if has_token else
               f"split the batch, or send the token (`Authorization: Bearer <token>`) for up "
               f"to {settings.max_batch_rows:,} rows")
        raise too_large("declarations in one batch", limit, rows, fix,
                        "max_batch_rows" if has_token else "max_batch_rows_open")
