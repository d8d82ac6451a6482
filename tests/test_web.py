"""`urbanrural serve` (issue 16): the page in headless Chromium (upload a real NBS export and a
GBK file, see their row ledgers, run, see the report, download results.xlsx and compare it with
the CLI's for the same spec), a malformed file's message in the page, 413 past the size limit
with the server still up, unguessable job ids, a failing and a killed job, the zip, the token,
shutdown, and the job folders' lifecycle. The servers run in threads of this process on
127.0.0.1 with a free port; each job runs in its own process as in production."""

import http.client
import json
import os
import secrets
import shutil
import signal
import threading
import time
import urllib.parse
import zipfile
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")

from urbanrural.cli import build_parser, main  # noqa: E402
from urbanrural.data import read  # noqa: E402
from urbanrural.data.errors import DataError  # noqa: E402
from urbanrural.outputs.destination import read_marker  # noqa: E402
from urbanrural.web.app import APP_CSP, JsonFormatter, create_app, report_csp  # noqa: E402
from urbanrural.web.jobs import JobStore, WebConfig, build_spec, portable_spec  # noqa: E402
from urbanrural.web.queue import JobQueue  # noqa: E402

from .conftest import DATA  # noqa: E402

WEB = DATA / "web"
GDP = WEB / "fen_sheng_nian_du_gdp_zh.csv"  # NBS 分省年度数据 export, UTF-8
GBK = WEB / "province_urban_unit_employment_gbk_crlf.csv"  # NBS export, GBK + CRLF
BAD = WEB / "unknown_region.csv"  # 'Bejing' on row 3
RURAL = WEB / "province_rural_households_en.csv"  # NBS English export, 2004–2012
PAYLOAD = DATA / "payload" / "framework.yaml"  # every label a script (tests/data/payload)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Server:
    """A uvicorn server of :func:`create_app` in a thread, on a free loopback port."""

    def __init__(self, config: WebConfig):
        self.app = create_app(config)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=0,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def queue(self) -> JobQueue:
        return self.app.state.jobs["queue"]

    def request(self, method: str, path: str, body=None, headers=None, *, chunked=False):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        return resp.status, dict(resp.getheaders()), data

    def json(self, method: str, path: str, payload=None):
        status, _, data = self.request(method, path, json.dumps(payload or {}).encode(),
                                       {"Content-Type": "application/json"})
        return status, json.loads(data) if data else None

    def new_job(self) -> str:
        status, body = self.json("POST", "/api/jobs")
        assert status == 201
        return body["id"]

    def upload(self, job: str, path: Path, *, kind="data", name=None):
        status, _, data = self.request("PUT", f"/api/jobs/{job}/uploads/{kind}", path.read_bytes(),
                                       {"X-File-Name": urllib.parse.quote(name or path.name)})
        return status, json.loads(data)

    def wait(self, job: str, until=("done", "failed"), timeout=60.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            status, body = self.json("GET", f"/api/jobs/{job}")
            assert status == 200
            if body["state"] in until:
                return body
            assert time.monotonic() < deadline, body
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(WebConfig(root=tmp_path_factory.mktemp("web") / "jobs", workers=2,
                           max_upload_bytes=100_000, grace_seconds=5))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def coverage_job(server):
    """One job through the API: the NBS export and the GBK file beside the bundled data, the
    coverage section only."""
    job = server.new_job()
    assert server.upload(job, GDP)[0] == 200 and server.upload(job, GBK)[0] == 200
    status, body = server.json("POST", f"/api/jobs/{job}/run", {"sections": ["coverage"]})
    assert status == 202, body
    assert server.wait(job)["state"] == "done"
    return job


def test_ledger_of_each_upload_is_the_data_layers(server):
    job = server.new_job()
    for path, used in ((GDP, 589), (GBK, 527)):
        status, entry = server.upload(job, path)
        rep = read(path).report
        check = entry["check"]
        assert status == 200 and check["ok"] and check["balanced"]
        # 527 = 17 years (2008–2024) × 31 provinces, the count of ../shared/data/nbs_portal/
        # README.md for original_01.csv; 589 = 19 years × 31 provinces (2006–2024)
        assert check["values_used"] == rep.rows_used == used
        assert check["set_aside"] == len(rep.set_aside)
        assert dict(map(tuple, check["reasons"])) == dict(rep.reasons())
    assert server.upload(job, GBK)[1]["check"]["encoding"] == "gb18030"
    status, entry = server.upload(job, BAD)
    assert status == 200 and not entry["check"]["ok"]
    assert "Bejing" in entry["check"]["message"] and "row 3" in entry["check"]["message"]
    status, body = server.json("POST", f"/api/jobs/{job}/run", {"sections": ["coverage"]})
    assert status == 400 and "unknown_region.csv" in body["error"]["detail"]
    # the three good uploads got distinct names: the second GBK upload is "... (2).csv"
    names = [u["name"] for u in server.json("GET", f"/api/jobs/{job}")[1]["uploads"]]
    assert names[2] == "province_urban_unit_employment_gbk_crlf (2).csv"


def test_upload_names_are_never_paths(server, tmp_path):
    job = server.new_job()
    status, entry = server.upload(job, GDP, name="../../../escape.csv")
    assert status == 200 and entry["name"] == "escape.csv"
    folder = server.app.state.store.folder(job)
    assert sorted(p.name for p in (folder / "uploads").iterdir()) == ["data-1.csv"]
    assert not (server.app.state.store.root.parent / "escape.csv").exists()
    assert server.upload(job, GDP, name="data.exe")[0] == 415


def test_oversized_upload_is_413_and_the_server_stays_up(server):
    job = server.new_job()
    big = b"x" * 100_001
    status, _, data = server.request("PUT", f"/api/jobs/{job}/uploads/data", big,
                                     {"X-File-Name": "big.csv"})
    assert status == 413 and "limit of 0.0954 MB" in json.loads(data)["error"]["en"]
    # no Content-Length (chunked): counted as it streams in, refused past the limit
    chunks = (big[i:i + 8192] for i in range(0, len(big), 8192))
    status, _, _ = server.request("PUT", f"/api/jobs/{job}/uploads/data", chunks,
                                  {"X-File-Name": "big.csv"}, chunked=True)
    assert status == 413
    assert list((server.app.state.store.folder(job) / "uploads").iterdir()) == []
    assert server.request("GET", "/health")[0] == 200
    assert server.upload(job, GDP)[0] == 200


def test_job_ids_are_unguessable_and_only_the_id_opens_a_job(server, coverage_job):
    assert len(coverage_job) == 32 and coverage_job != server.new_job()
    for other in (secrets.token_urlsafe(24), "..%2F..%2Fetc", coverage_job[:-1]):
        assert server.request("GET", f"/api/jobs/{other}")[0] == 404
        assert server.request("GET", f"/jobs/{other}/report")[0] == 404
    draft = server.new_job()
    assert server.request("GET", f"/jobs/{draft}/output.zip")[0] == 404  # not done
    # a job runs once, and takes no upload once it has started
    assert server.json("POST", f"/api/jobs/{coverage_job}/run", {})[0] == 409
    assert server.upload(coverage_job, GDP)[0] == 409


def test_report_is_served_with_a_csp_of_its_own_scripts(server, coverage_job):
    status, headers, html = server.request("GET", f"/jobs/{coverage_job}/report")
    csp = headers["content-security-policy"]
    assert status == 200 and csp == report_csp(html)
    assert csp.startswith("sandbox allow-scripts;") and "allow-same-origin" not in csp
    script_src = csp.split("script-src ")[1].split(";")[0].split()
    assert len(script_src) == html.count(b"<script>") == 3 and "'unsafe-inline'" not in script_src
    status, headers, page = server.request("GET", "/")
    assert headers["content-security-policy"] == APP_CSP and b"<script>" not in page
    assert b'sandbox="allow-scripts"' in page


def test_zip_holds_exactly_the_files_the_job_wrote(server, coverage_job):
    folder = server.app.state.store.folder(coverage_job)
    written = read_marker(folder / "output")["files"]
    status, headers, data = server.request("GET", f"/jobs/{coverage_job}/output.zip")
    names = zipfile.ZipFile(__import__("io").BytesIO(data)).namelist()
    assert status == 200 and sorted(names) == sorted(written)
    assert {"index.html", "results.xlsx", "analysis.yaml"} <= set(names)
    assert not any(n.startswith(("uploads", "job", ".")) for n in names)
    status, _, data = server.request("GET", f"/jobs/{coverage_job}/figures.zip")
    figs = zipfile.ZipFile(__import__("io").BytesIO(data)).namelist()
    assert figs == sorted(f for f in written if f.startswith("figures/"))
    assert server.request("GET", f"/jobs/{coverage_job}/files/job.json")[0] == 404


def test_a_job_that_fails_shows_the_data_error_and_the_server_keeps_serving(server, coverage_job):
    """The spec of a run names its files and their fingerprint: another file uploaded under
    the same name stops the run with the data layer's message."""
    _, _, spec = server.request("GET", f"/jobs/{coverage_job}/files/analysis.yaml")
    job = server.new_job()
    tmp = server.app.state.store.root.parent / "analysis.yaml"
    tmp.write_bytes(spec)
    assert server.upload(job, tmp, kind="spec")[1]["check"]["ok"]
    server.upload(job, RURAL, name=GDP.name)  # other data under the recorded name
    server.upload(job, GBK)
    status, body = server.json("POST", f"/api/jobs/{job}/run", {})
    assert status == 202, body
    failed = server.wait(job)
    assert failed["state"] == "failed"
    assert "changed since this analysis was written" in failed["error"]["detail"]
    assert str(server.app.state.store.root) not in failed["error"]["detail"]
    assert not (server.app.state.store.folder(job) / "output").exists()
    assert server.request("GET", "/health")[0] == 200


def test_a_killed_job_is_reported_failed(server):
    job = server.new_job()
    server.upload(job, GDP)
    assert server.json("POST", f"/api/jobs/{job}/run", {})[0] == 202  # the full default run
    server.wait(job, until=("running",))
    deadline = time.monotonic() + 10
    while (pid := server.queue.pid(job)) is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    failed = server.wait(job)
    assert failed["state"] == "failed" and "SIGKILL" in failed["error"]["en"]
    assert server.request("GET", f"/jobs/{job}/files/results.xlsx")[0] == 404
    assert server.request("GET", "/health")[0] == 200


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="no chromium here")
def test_the_page_in_headless_chromium(server, tmp_path, monkeypatch):
    """A person's path: a malformed file shows the data layer's message; then the NBS export
    and the GBK file are read (ledgers), the coverage section runs, the report opens in the
    sandboxed frame without a console error, and the results.xlsx downloaded equals, table by
    table, the CLI's from the analysis.yaml downloaded beside it."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    assert CHROMIUM, "chromium must be installed in CI"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        page = browser.new_page(accept_downloads=True)
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/")
        page.wait_for_selector("body[data-ready='1']")
        assert page.locator("h1 .zh").is_visible() and not page.locator("h1 .en").is_visible()
        page.set_input_files("#files", str(BAD))
        bad = page.locator(".ledger.bad")
        bad.wait_for()
        assert "Bejing" in bad.inner_text() and "row 3" in bad.inner_text()
        # a framework whose every label is a script: shown as text, never run (no dialog)
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.set_input_files("#framework-file", str(PAYLOAD))
        page.wait_for_selector("#custom-frameworks label")
        assert '<script>alert("fw-zh")</script>' in page.locator(".ledger >> nth=1").inner_text()
        page.click("#reset")
        page.set_input_files("#files", [str(GDP), str(GBK)])
        page.wait_for_selector(".ledger[data-status='200'] >> nth=1")
        used = page.locator(".ledger p[data-used]").evaluate_all("ps => ps.map(p => p.dataset.used)")
        assert used == ["589", "527"]
        page.evaluate("document.querySelectorAll('input[name=section]').forEach("
                      "i => { i.checked = i.value === 'coverage'; })")
        page.click("#run")
        page.wait_for_selector("#status[data-state='done']", timeout=60_000)
        assert page.evaluate("document.getElementById('bar').value") == 1
        assert page.get_attribute("#report", "sandbox") == "allow-scripts"
        frame = page.frame_locator("#report")
        frame.locator("body[data-ready='1']").wait_for(timeout=30_000)
        assert frame.locator("section").count() >= 1
        downloads = {}
        for link in ("#dl-xlsx", "#dl-spec"):
            with page.expect_download() as info:
                page.click(link)
            d = info.value
            downloads[d.suggested_filename] = tmp_path / d.suggested_filename
            d.save_as(downloads[d.suggested_filename])
        page.click("#langbtn")
        assert page.locator("h1 .en").is_visible() and not page.locator("h1 .zh").is_visible()
        assert errors == [] and dialogs == []
        browser.close()
    # the CLI, from the downloaded spec and the same two files under the names uploaded
    cli = tmp_path / "cli"
    cli.mkdir()
    for f in (GDP, GBK):
        shutil.copy(f, cli / f.name)
    shutil.copy(downloads["analysis.yaml"], cli / "analysis.yaml")
    monkeypatch.chdir(cli)
    assert main(["report", "--spec", "analysis.yaml", "--out", "out"]) == 0
    web = pd.read_excel(downloads["results.xlsx"], sheet_name=None, engine="calamine")
    ours = pd.read_excel(cli / "out" / "results.xlsx", sheet_name=None, engine="calamine")
    assert list(web) == list(ours) and len(web) >= 2
    for sheet in web:
        pd.testing.assert_frame_equal(web[sheet], ours[sheet], check_exact=True, obj=sheet)


def test_token_guards_everything_but_health(tmp_path):
    srv = Server(WebConfig(root=tmp_path / "jobs", token="s3cret-token", workers=1))
    try:
        assert srv.request("GET", "/health")[0] == 200
        assert srv.request("GET", "/")[0] == 401
        assert srv.request("GET", "/?token=wrong")[0] == 401
        assert srv.request("POST", "/api/jobs", b"{}", {"Content-Type": "application/json"})[0] == 401
        status, headers, _ = srv.request("GET", "/?token=s3cret-token")
        cookie = headers["set-cookie"]
        assert status == 303 and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert srv.request("GET", "/", headers={"Cookie": cookie.split(";")[0]})[0] == 200
        assert srv.request("POST", "/api/jobs", b"{}", {
            "Content-Type": "application/json", "Authorization": "Bearer s3cret-token"})[0] == 201
        # a form of another site cannot make a job (no JSON without a CORS preflight), and a
        # name of another site resolving to 127.0.0.1 (DNS rebinding) is not answered
        assert srv.request("POST", "/api/jobs", b"a=1", {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Bearer s3cret-token"})[0] == 415
        assert srv.request("GET", "/health", headers={"Host": "evil.example"})[0] == 400
    finally:
        srv.stop()


def test_shutdown_fails_queued_and_running_jobs_and_marks_nothing_done(tmp_path):
    store = JobStore(tmp_path / "jobs")
    jobs = []
    for _ in range(2):
        job = store.create()
        (store.folder(job) / "run.json").write_text(json.dumps(
            {"spec": {"sections": ["coverage", "national", "provinces"]}, "names": {}}))
        jobs.append(job)
    pool = JobQueue(store, workers=1, queue_size=4)
    for job in jobs:
        pool.submit(job)
    deadline = time.monotonic() + 20
    while store.load(jobs[0])["state"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    pool.shutdown(grace_seconds=0)
    first, second = (store.load(j) for j in jobs)
    assert first["state"] == "failed" and "shut down while this job ran" in first["error"]["en"]
    assert second["state"] == "failed" and "before this job started" in second["error"]["en"]
    assert not (store.folder(jobs[0]) / "output").exists()


def test_job_folders_recovered_and_expired(tmp_path):
    root = tmp_path / "jobs"
    store = JobStore(root, ttl_seconds=60)
    running, old, fresh = store.create(), store.create(), store.create()
    store.update(running, state="running")
    (root / "not-a-job").mkdir()
    assert JobStore(root).recover() == [running]
    assert store.load(running)["state"] == "failed"
    later = store.load(fresh)["updated"] + 61
    assert sorted(store.sweep(now=later - 30)) == []
    assert sorted(store.sweep(now=later + 1)) == sorted([running, old, fresh])
    assert (root / "not-a-job").is_dir()  # not a job: never removed
    foreign = tmp_path / "someone-elses"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("x")
    with pytest.raises(Exception, match="did not put there"):
        JobStore(foreign)


def test_serve_command_flags():
    from urbanrural.commands.serve import config_from_args

    args = build_parser().parse_args(["serve", "--root", "jobs", "--max-upload-mb", "0.5"])
    assert (args.host, args.port, args.workers) == ("127.0.0.1", 8000, 2)
    config = config_from_args(args)
    assert config.max_upload_bytes == 524_288 and config.root == Path("jobs")


def test_spec_from_uploads_records_the_names_the_user_gave(tmp_path):
    """The run gets the stored paths; the record (analysis.yaml, the page) the user's names."""
    store = JobStore(tmp_path / "jobs")
    folder = store.folder(store.create())
    shutil.copy(GDP, folder / "uploads" / "data-1.csv")
    shutil.copy(PAYLOAD, folder / "uploads" / "framework-2.yaml")
    ok = {"ok": True}
    job = {"uploads": [{"name": "分省年度数据.csv", "kind": "data", "stored": "data-1.csv", "check": ok},
                       {"name": "mine.yaml", "kind": "framework", "stored": "framework-2.yaml",
                        "check": ok}]}
    spec, names, changed = build_spec(job, folder, {"frameworks": ["mine.yaml", "common_prosperity"],
                                                    "sections": ["coverage"]})
    data, fw = str(folder / "uploads" / "data-1.csv"), str(folder / "uploads" / "framework-2.yaml")
    assert spec.data == "china_provinces" and spec.with_data == (data,)
    assert spec.frameworks == (fw, "common_prosperity") and spec.sections == ("coverage",)
    record = portable_spec(spec, names)
    assert record.with_data == ("分省年度数据.csv",)
    assert record.frameworks == ("mine.yaml", "common_prosperity")
    alone, _, _ = build_spec(job, folder, {"use_bundled": False})
    assert alone.data == data and alone.with_data == ()
    with pytest.raises(DataError, match="unknown option"):
        build_spec(job, folder, {"years": [2010, 2020]})
    (folder / "uploads" / "spec-3.yaml").write_text("with_data: [other.csv]\n", encoding="utf-8")
    job["uploads"].append({"name": "analysis.yaml", "kind": "spec", "stored": "spec-3.yaml",
                           "check": ok})
    with pytest.raises(DataError, match="not named in the uploaded analysis.yaml"):
        build_spec(job, folder, {})  # 分省年度数据.csv is not in that spec
    job["uploads"][0]["name"] = "elsewhere.csv"
    (folder / "uploads" / "spec-3.yaml").write_text("with_data: [elsewhere.csv, other.csv]\n")
    with pytest.raises(DataError, match="names the file 'other.csv' for with_data; upload it"):
        build_spec(job, folder, {})


def test_logs_are_one_json_object_per_line():
    import logging

    record = logging.LogRecord("urbanrural.web", logging.INFO, __file__, 1, "job_done", (), None)
    record.fields = {"event": "job_done", "job": "abcdefgh", "seconds": 1.5}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["event"] == "job_done" and parsed["seconds"] == 1.5 and parsed["level"] == "info"
    assert parsed["ts"].endswith("Z")
