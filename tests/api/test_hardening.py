"""Issue 13: cost limits, headers, bounded parameters, the store busy, the work off the loop."""

from __future__ import annotations

import threading

import pytest

from tests.api.conftest import AS_OF, TOKEN, make_client

ROW = {"tariff_line": "0202.30", "origin": "US", "date": "2021-03-20",
       "customs_value": 1000000, "quantity": 1000}


@pytest.fixture
def fresh_app(bundled_store):
    """An app of its own (its caches and rate buckets start empty)."""
    from tradeguard.api.app import create_app

    return create_app(bundled_store, token=TOKEN, cors_origins=())


# ------------------------------------------------------------------ cost limits

def test_design_lab_refuses_too_many_paths_with_the_limit(client):
    r = client.post("/api/designs/compare", json={"designs": [{"id": "x"}],
                                                  "scenario": {"paths": 200_000, "years": 40}})
    body = r.json()
    assert r.status_code == 413 and body["type"] == "urn:tradeguard:problem:too-large"
    assert body["limit"] == 10_000 and body["asked"] == 200_000
    assert body["limit_name"] == "max_design_paths" and "10,000" in body["detail"]


def test_design_lab_refuses_too_many_path_months(client):
    r = client.post("/api/designs/compare", json={"designs": [{"id": f"d{i}"} for i in range(20)],
                                                  "scenario": {"paths": 5_000, "years": 40}})
    body = r.json()
    assert r.status_code == 413 and body["limit_name"] == "max_path_months"
    assert body["asked"] == 20 * 5_000 * (40 + 3) * 12 and body["limit"] == 2_000_000


def test_design_lab_over_twenty_designs_is_invalid_before_anything_runs(client):
    r = client.post("/api/designs/compare", json={"designs": [{"id": "x"}] * 21})
    assert r.status_code == 422


def test_duty_batch_rows_without_a_token_are_capped_and_the_token_lifts_the_cap(client):
    rows = [ROW] * 1_001
    r = client.post("/api/duty/batch", json={"as_of": "2021-03-20", "declarations": rows})
    assert r.status_code == 413 and r.json()["limit"] == 1_000
    assert "send the token" in r.json()["detail"]
    wrong = client.post("/api/duty/batch", json={"as_of": "2021-03-20", "declarations": rows},
                        headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 413  # a wrong token counts as none
    ok = client.post("/api/duty/batch", json={"as_of": "2021-03-20", "declarations": rows},
                     headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and len(ok.json()["rows"]) == 1_001


def test_the_limits_are_documented_in_openapi(client):
    paths = client.get("/openapi.json").json()["paths"]
    compare = paths["/api/designs/compare"]["post"]
    assert "10,000 paths, 10 trade flows and 2,000,000 path-months" in compare["description"]
    assert {"413", "429", "503"} <= set(compare["responses"])
    batch = paths["/api/duty/batch"]["post"]
    assert "At most 1,000 rows without the token, 100,000 with it" in batch["description"]
    assert "503" in paths["/api/status"]["get"]["responses"]


def test_the_rate_limit_refuses_a_client_past_its_burst_with_retry_after(bundled_store):
    from tradeguard.api.app import create_app
    from tradeguard.api.guards import RateLimit

    app = create_app(bundled_store, token=TOKEN, cors_origins=())
    for mw in app.user_middleware:
        if mw.cls is RateLimit:
            mw.kwargs.update(burst=2, per_minute=1, clock=lambda: 1000.0)  # time stands still
    client = make_client(app, raise_server_exceptions=False)
    body = {"as_of": "2021-03-20", "declarations": [ROW]}
    codes = [client.post("/api/duty/batch", json=body).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    last = client.post("/api/duty/batch", json=body)
    assert last.headers["retry-after"] == "60" and last.json()["limit_burst"] == 2
    assert client.get("/api/rules").status_code == 200  # cheap endpoints are not limited


def test_a_request_past_its_timeout_gets_503_and_the_server_goes_on(fresh_app, monkeypatch):
    from tradeguard.api.guards import RequestTimeout

    for mw in fresh_app.user_middleware:
        if mw.cls is RequestTimeout:
            mw.kwargs.update(seconds=0.2)
    release = threading.Event()
    monitor = fresh_app.state.services.monitor
    monkeypatch.setattr(monitor, "_compute", lambda as_of: release.wait(30) and None)
    # The test client returns only once the app's call ends, which waits for the abandoned
    # work; a real server has sent the 503 already. Release the work soon after the deadline
    # so the test does not wait out the 30 s.
    threading.Timer(1.0, release.set).start()
    with make_client(fresh_app, raise_server_exceptions=False) as client:
        r = client.get("/api/status", params={"as_of": "2019-06-30"})
        assert r.status_code == 503 and r.json()["type"] == "urn:tradeguard:problem:timeout"
        assert r.headers["retry-after"] == "10"
        assert client.get("/healthz").json() == {"status": "ok"}


# ------------------------------------------------------------------ headers and docs

def test_every_answer_has_the_security_headers_and_no_server_banner(client):
    for path in ("/healthz", "/", "/api/status", "/api/rules/nope", "/docs"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "server" not in r.headers


def test_the_desk_pages_have_no_script_the_policy_would_block(client):
    for path in ("/", "/rules", "/quotas", "/data", "/duty", "/designs", "/docs",
                 "/measures/cptpp.beef_safeguard"):
        page = client.get(path).text.lower()
        # Only the package's chart scripts, and charts' data (JSON, never run): no inline code.
        for tag in page.split("<script")[1:]:
            head = tag.split(">")[0]
            assert head.startswith((' src="/static/', ' type="application/json"')), (path, head)
        assert "javascript:" not in page, path
        assert " onclick=" not in page and " onload=" not in page, path
    assert '<script src="/static/charts.js" defer>' in client.get(
        "/measures/cptpp.beef_safeguard").text


def test_the_api_docs_are_served_without_a_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "http://" not in page.text.replace(
        "http://www.w3.org", "")
    assert "/api/designs/compare" in page.text and "/openapi.json" in page.text


# ------------------------------------------------------------------ bounded parameters

@pytest.mark.parametrize("path", ["/", "/quotas", "/measures/cptpp.beef_safeguard",
                                  "/api/status", "/api/quotas"])
def test_a_date_beyond_the_window_is_refused_never_a_500(client, path):
    r = client.get(path, params={"as_of": "9999-12-31"})
    assert r.status_code == 422
    page = client.get(path, params={"as_of": "2199-12-31"})  # the window's edge answers
    assert page.status_code == 200


def test_a_bad_limit_in_the_config_file_is_refused_by_name(tmp_path, monkeypatch):
    from tradeguard.api.settings import CONFIG_ENV, load_settings
    from tradeguard.errors import InputError

    config = tmp_path / "api.toml"
    config.write_text("max_design_paths = -1\n")
    monkeypatch.setenv(CONFIG_ENV, str(config))
    with pytest.raises(InputError, match="`max_design_paths` must be a positive number"):
        load_settings()
    config.write_text("max_design_paths = 50\nrequest_timeout_s = 5\n")
    settings = load_settings()
    assert settings.max_design_paths == 50 and settings.request_timeout_s == 5.0


# ------------------------------------------------------------------ the store and the loop

def test_a_busy_store_is_a_503_that_names_the_writer(store_copy, monkeypatch):
    import subprocess
    import sys

    from tradeguard.api.app import create_app

    monkeypatch.setenv("TRADEGUARD_STORE_READ_WAIT", "0.2")
    hold = ("import sys; from pathlib import Path; from tradeguard.data.access import holding\n"
            "with holding(Path(sys.argv[1]), 'write'):\n"
            "    print('holding', flush=True); sys.stdin.readline()\n")
    child = subprocess.Popen([sys.executable, "-c", hold, str(store_copy)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "holding"
        client = make_client(create_app(store_copy, token=TOKEN),
                             raise_server_exceptions=False)
        r = client.get("/api/status", params={"as_of": "2019-06-30"})
    finally:
        child.stdin.close()
        child.wait(timeout=60)
    assert r.status_code == 503 and r.json()["type"] == "urn:tradeguard:problem:store-busy"
    assert f"pid {child.pid}" in r.json()["detail"] and r.headers["retry-after"] == "5"
    assert client.get("/api/status", params={"as_of": "2019-06-30"}).status_code == 200


def test_concurrent_requests_for_one_report_compute_it_once(fresh_app, monkeypatch):
    monitor = fresh_app.state.services.monitor
    real = monitor._compute
    calls: list[object] = []
    gate = threading.Event()

    def counted(as_of):
        calls.append(as_of)
        gate.wait(30)
        return real(as_of)

    monkeypatch.setattr(monitor, "_compute", counted)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(monitor.report(AS_OF)))
               for _ in range(6)]
    for t in threads:
        t.start()
    while not calls:
        threads[0].join(timeout=0.01)
    gate.set()
    for t in threads:
        t.join(timeout=120)
    assert calls == [AS_OF] and len(results) == 6
    assert all(r is results[0] for r in results)  # one report, shared


def test_the_report_cache_is_bounded(fresh_app, monkeypatch):
    import datetime as dt

    from tradeguard.api.services.cache import CACHE_SIZE

    monitor = fresh_app.state.services.monitor
    monkeypatch.setattr(monitor, "_compute", lambda as_of: object())
    for i in range(CACHE_SIZE + 7):
        monitor.report(dt.date(2019, 1, 1) + dt.timedelta(days=i))
    assert len(monitor.cache) == CACHE_SIZE


def test_the_event_loop_answers_while_a_report_is_computed(fresh_app, monkeypatch):
    monitor = fresh_app.state.services.monitor
    started, release = threading.Event(), threading.Event()

    def slow(as_of):
        started.set()
        release.wait(30)
        return monitor.__class__._compute(monitor, as_of)

    monkeypatch.setattr(monitor, "_compute", slow)
    with make_client(fresh_app, raise_server_exceptions=False) as client:
        answers: dict[str, int] = {}
        worker = threading.Thread(target=lambda: answers.update(
            status=client.get("/api/status", params={"as_of": "2019-06-30"}).status_code))
        worker.start()
        assert started.wait(60)
        assert client.get("/healthz").status_code == 200  # while the monitor still runs
        assert client.get("/api/rules").status_code == 200
        assert "status" not in answers
        release.set()
        worker.join(timeout=120)
    assert answers == {"status": 200}


# ------------------------------------------------------------------ the upload form

def _form_body(*parts: tuple[str, bytes], close: bool = True) -> tuple[bytes, str]:
    boundary = "b0undary"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'.encode()
        + (b'; filename="x.csv"\r\nContent-Type: text/csv' if name == "file" else b"")
        + b"\r\n\r\n" + value + b"\r\n" for name, value in parts)
    if close:
        body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_the_desk_upload_checks_the_token_before_it_reads_the_file(client):
    # A wrong token, then a file part that is cut off (no closing boundary): were the form
    # parsed first, this would be a parse error; the token is refused first.
    body, ctype = _form_body(("token", b"wrong"), ("file", b"a,b\n" * 1000), close=False)
    r = client.post("/data", content=body, headers={"content-type": ctype})
    assert r.status_code == 403
    body, ctype = _form_body(("file", b"a,b\n"), ("token", TOKEN.encode()))
    late = client.post("/data", content=body, headers={"content-type": ctype})
    assert late.status_code == 401 and "first field `token`" in late.text


def test_the_desk_form_sends_the_token_before_the_file(client):
    page = client.get("/data").text
    assert page.index('name="token"') < page.index('name="file"')


def test_a_streamed_body_over_the_limit_is_413_through_the_timeout_guard(bundled_store):
    # The request timeout runs the app in a task group; the body limit's refusal must still
    # reach it as itself (a chunked body has no Content-Length to refuse up front).
    from tradeguard.api.app import create_app

    client = make_client(create_app(bundled_store, token=TOKEN, max_upload_bytes=4096),
                         raise_server_exceptions=False)

    def chunks():
        for _ in range(10):
            yield b"x" * 1024

    r = client.post("/api/duty/batch", content=chunks(),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["type"] == "urn:tradeguard:problem:too-large"


# ------------------------------------------------------------------ liveness, CPU budget

def test_healthz_answers_before_any_other_layer_with_the_security_headers():
    import anyio

    from tradeguard.api.guards import Liveness

    async def broken_app(scope, receive, send):  # the store, locks and routes behind it
        raise AssertionError("the probe reached the app")

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/healthz", "headers": []}
    # In a thread of its own: the sync Playwright of the browser tests, when it ran earlier in
    # this worker, keeps an event loop running in the main thread.
    probe = threading.Thread(target=anyio.run, args=(Liveness(broken_app), scope, None, send))
    probe.start()
    probe.join(timeout=60)
    start, body = sent
    headers = dict(start["headers"])
    assert start["status"] == 200 and body["body"] == b'{"status":"ok"}'
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"x-content-type-options"] == b"nosniff"


def test_a_design_request_past_its_cpu_budget_stops_with_413_naming_the_budget():
    from tradeguard.api.guards import CpuBudget
    from tradeguard.api.problems import ApiProblem

    now = [100.0]
    budget = CpuBudget(8.0, clock=lambda: now[0])
    now[0] = 107.5
    budget("simulate", 1, 2)  # within the budget: goes on
    now[0] = 108.5
    with pytest.raises(ApiProblem) as refused:
        budget("back-test", 3, 20)
    assert refused.value.status == 413 and refused.value.extra["limit_name"] == "cpu_budget_s"
    assert "8.5 CPU-seconds by its back-test stage (3 of 20 done)" in refused.value.detail


def test_design_lab_refuses_more_flows_than_the_limit(client):
    flows = [{"partner": "AU", "line": "020130", "regime": "jaepa"}] * 11
    r = client.post("/api/designs/compare", json={"designs": [{"id": "x"}],
                                                  "scenario": {"paths": 10, "years": 1,
                                                               "flows": flows}})
    body = r.json()
    assert r.status_code == 413 and body["limit_name"] == "max_design_flows"
    assert (body["limit"], body["asked"]) == (10, 11)
