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
from urbanrural.web.jobs import (  # noqa: E402
    REASONS_ZH,
    JobStore,
    WebConfig,
    build_spec,
    portable_spec,
    reason_zh,
)
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
        assert {r: n for r, n, _ in check["reasons"]} == dict(rep.reasons())
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
    stored = server.app.state.store.folder(coverage_job) / "report-csp.txt"
    assert stored.read_text(encoding="utf-8") == csp  # hashed when the run wrote the page
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
    while os.getpgid(pid) != pid:  # a group of its own: stopping it stops what it started
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
        bad.locator("button.remove").click()  # removed from the job and from the page
        bad.wait_for(state="detached")
        assert page.locator(".ledger").count() == 0 and not page.is_disabled("#run")
        # a framework whose every label is a script: shown as text, never run (no dialog)
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.set_input_files("#framework-file", str(PAYLOAD))
        page.wait_for_selector("#custom-frameworks label")
        assert '<script>alert("fw-zh")</script>' in page.locator(".ledger >> nth=0").inner_text()
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
    store = JobStore(root, ttl_seconds=120, draft_ttl_seconds=60)
    running, old, fresh = store.create(), store.create(), store.create()
    store.update(running, state="running")
    (store.folder(running) / "output").mkdir()  # half-written by the run that was cut off
    (store.folder(running) / ".urbanrural-staging").mkdir()
    (root / "not-a-job").mkdir()
    assert JobStore(root).recover() == [running]
    assert store.load(running)["state"] == "failed"
    assert sorted(p.name for p in store.folder(running).iterdir()) == ["job.json", "uploads"]
    later = store.load(fresh)["updated"] + 61
    assert sorted(store.sweep(now=later - 30)) == []
    # drafts go after their hour (here 60 s), the failed job after the longer TTL (120 s)
    assert sorted(store.sweep(now=later + 1)) == sorted([old, fresh])
    assert store.sweep(now=later + 61) == [running]
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
    # the years of the page reach the spec, as --years does on the command line
    cut, _, _ = build_spec(job, folder, {"years": [2010, 2020]})
    assert cut.years == (2010, 2020)
    with pytest.raises(DataError, match="years"):
        build_spec(job, folder, {"years": [2010]})
    with pytest.raises(DataError, match="unknown option"):
        build_spec(job, folder, {"year": [2010, 2020]})
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


# --------------------------------------------------------------------------- the referee's
# findings of issue 16 (each test failed before its fix)

def _parquet_zeros(path: Path, rows: int, columns: int = 1) -> Path:
    """A zstd Parquet of ``rows`` zeros: a few KB on disk (the referee's 228 KB file held 50
    million of them and took 5.3 GB of the server to read)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    zeros = pa.array(np.zeros(rows, dtype=np.int8))
    pq.write_table(pa.table({f"c{i}": zeros for i in range(columns)}), path, compression="zstd")
    return path


def _alias_bomb(depth: int = 7, fanout: int = 8) -> bytes:
    """The referee's 808-byte framework: each level lists the one below 8 times by alias."""
    lines = ["id: bomb", "name_zh: 炸弹", "name_en: bomb",
             "leaf: &l0 {id: x0, name_zh: a, name_en: a, direction: benefit, source: gdp}"]
    for i in range(1, depth + 1):
        kids = ", ".join([f"*l{i - 1}"] * fanout)
        lines.append(f"n{i}: &l{i} {{id: x{i}, name_zh: a, name_en: a, indicators: [{kids}]}}")
    return ("\n".join(lines) + f"\nnodes: [*l{depth}]\n").encode()


def test_parquet_and_yaml_bombs_are_refused_in_a_bounded_process(tmp_path):
    # the bomb is 190 KB: a server that takes uploads of that size
    server = Server(WebConfig(root=tmp_path / "jobs", workers=1, max_upload_bytes=400_000))
    try:
        _bombs(server, tmp_path)
    finally:
        server.stop()


def _bombs(server, tmp_path):
    job = server.new_job()
    # one cell past the Parquet limit of 50 million cells (ReadLimits.max_parquet_cells)
    bomb = _parquet_zeros(tmp_path / "zeros.parquet", 1_000_001, columns=50)
    assert bomb.stat().st_size < 400_000
    status, entry = server.upload(job, bomb)
    assert status == 200 and not entry["check"]["ok"]
    assert "declares 1,000,001 rows × 50 columns" in entry["check"]["message"]
    yaml_bomb = tmp_path / "bomb.yaml"
    yaml_bomb.write_bytes(_alias_bomb())
    status, entry = server.upload(job, yaml_bomb, kind="framework")
    assert status == 200 and not entry["check"]["ok"]
    assert "YAML aliases (*name, line 5) are not allowed" in entry["check"]["message"]
    # the check runs in a process of its own under a memory limit: with 1 MiB to spare the
    # reader fails there, and the server only reports it
    queue, saved = server.queue, server.queue.check_memory_bytes
    queue.check_memory_bytes = 1 << 20
    try:
        result = queue.check(server.app.state.store.folder(job) / "uploads" / "data-1.parquet",
                             "data", "zeros.parquet")
    finally:
        queue.check_memory_bytes = saved
    assert not result["ok"] and "memory" in result["message"]
    assert server.request("GET", "/health")[0] == 200


def test_parallel_uploads_cannot_pass_max_files_and_refused_ones_leave_nothing(tmp_path):
    srv = Server(WebConfig(root=tmp_path / "jobs", workers=1, max_files=2))
    try:
        job = srv.new_job()
        results = []
        threads = [threading.Thread(target=lambda i=i: results.append(
            srv.upload(job, BAD, name=f"bad-{i}.csv")[0])) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(results) == [200, 200, 413, 413, 413, 413]  # before: 6 of 6 accepted
        folder = srv.app.state.store.folder(job)
        assert len(srv.app.state.store.load(job)["uploads"]) == 2
        assert len(list((folder / "uploads").iterdir())) == 2
        assert srv.upload(job, GDP)[0] == 413
        assert len(list((folder / "uploads").iterdir())) == 2
        assert [p.name for p in folder.iterdir() if p.name.startswith(".check")] == []
    finally:
        srv.stop()


def test_drafts_and_bytes_under_the_root_are_bounded(tmp_path):
    srv = Server(WebConfig(root=tmp_path / "jobs", workers=1, max_drafts=2,
                           max_root_bytes=8_000))
    try:
        first = srv.new_job()
        srv.new_job()
        status, body = srv.json("POST", "/api/jobs")
        assert status == 503 and "too many jobs not yet run" in body["error"]["en"]
        # the root holds ~0.5 KB; GDP (5.4 KB) fits once, not twice
        assert srv.upload(first, GDP)[0] == 200
        status, body = srv.upload(first, GDP)
        assert status == 503 and "storage for jobs is full" in body["error"]["en"]
        assert len(list((srv.app.state.store.folder(first) / "uploads").iterdir())) == 1
        # sent in chunks (no size declared): refused once it is in, and not kept
        data = GDP.read_bytes()
        status, _, _ = srv.request("PUT", f"/api/jobs/{first}/uploads/data",
                                   (data[i:i + 4096] for i in range(0, len(data), 4096)),
                                   {"X-File-Name": "gdp.csv"}, chunked=True)
        assert status == 503
        assert len(list((srv.app.state.store.folder(first) / "uploads").iterdir())) == 1
    finally:
        srv.stop()


def test_an_unreadable_upload_can_be_removed_or_replaced(server):
    job = server.new_job()
    bad = server.upload(job, BAD)[1]
    good = server.upload(job, GDP)[1]
    status, body = server.json("POST", f"/api/jobs/{job}/run", {"sections": ["coverage"]})
    assert status == 400 and "remove it (✕ beside it)" in body["error"]["detail"]
    status, _, data = server.request("DELETE", f"/api/jobs/{job}/uploads/{bad['n']}")
    assert status == 200 and [u["name"] for u in json.loads(data)["uploads"]] == [GDP.name]
    assert server.request("DELETE", f"/api/jobs/{job}/uploads/{bad['n']}")[0] == 404
    folder = server.app.state.store.folder(job)
    assert sorted(p.name for p in (folder / "uploads").iterdir()) == [f"data-{good['n']}.csv"]
    # a corrected file under the same name takes the place of the one that failed
    again = server.upload(job, BAD)[1]
    status, entry = server.upload(job, GBK, name=BAD.name)
    assert status == 200 and entry["check"]["ok"] and entry["name"] == BAD.name  # not "(2)"
    uploads = server.json("GET", f"/api/jobs/{job}")[1]["uploads"]
    assert [u["name"] for u in uploads] == [GDP.name, BAD.name] and again["n"] not in \
        [u["n"] for u in uploads]
    assert len(list((folder / "uploads").iterdir())) == 2


def test_run_options_are_capped_json_and_echo_little(server):
    job = server.new_job()
    path = f"/api/jobs/{job}/run"
    status, _, data = server.request("POST", path, b'{"sections": ["coverage"]}',
                                     {"Content-Type": "text/plain"})
    assert status == 415  # before: accepted
    big = json.dumps({"sections": ["x" * 70_000]}).encode()
    status, _, data = server.request("POST", path, big, {"Content-Type": "application/json"})
    assert status == 413 and "64 KB" in json.loads(data)["error"]["en"]
    chunks = (big[i:i + 8192] for i in range(0, len(big), 8192))
    status, _, _ = server.request("POST", path, chunks, {"Content-Type": "application/json"},
                                  chunked=True)
    assert status == 413
    status, body = server.json("POST", path, {"y" * 5000: 1})
    assert status == 400 and len(body["error"]["detail"]) < 400
    assert server.json("GET", f"/api/jobs/{job}")[1]["state"] == "draft"


def test_framework_errors_and_hosts_are_answered_in_both_languages(server):
    for method, path, code in (("GET", "/no/such/page", 404), ("DELETE", "/health", 405)):
        status, _, data = server.request(method, path)
        error = json.loads(data)["error"]
        assert status == code and error["zh"] and error["en"] and error["zh"] != error["en"]
    status, _, data = server.request("GET", "/health", headers={"Host": "evil.example"})
    assert status == 400 and "本机" in json.loads(data)["error"]["zh"]
    assert server.request("GET", "/health", headers={"Host": "localhost:1"})[0] == 200


def test_english_only_reasons_of_the_data_layer_get_a_chinese_gloss(server):
    """Every reason in the gloss is a text the data layer writes (a reworded reason fails
    here), and every reason of the NBS export's ledger is bilingual or glossed."""
    sources = "".join((Path(__file__).parents[1] / "src" / "urbanrural" / "data" / f)
                      .read_text(encoding="utf-8") for f in ("readers.py", "catalog.py"))
    for reason in REASONS_ZH:
        assert repr(reason)[1:-1] in sources or f'"{reason}"' in sources, reason
    job = server.new_job()
    check = server.upload(job, GDP)[1]["check"]
    assert check["reasons"] and all(zh or reason_zh(r) is None and "/" in r
                                    for r, _, zh in check["reasons"])
    assert {r: zh for r, _, zh in check["reasons"]}.get("blank line", "空行") == "空行"
    assert all(row["reason_zh"] == reason_zh(row["reason"]) for row in check["rows"])


def test_a_job_that_raises_shows_a_program_error_without_server_paths(server, tmp_path):
    """A Parquet file whose urbanrural metadata names a field the reader does not know makes
    the reader raise TypeError (not a DataError): the job fails as a program error, its message
    names the file as the user named it, never the server's path, and the server serves on."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = server.app.state.store
    job = store.create()
    data = store.folder(job) / "uploads" / "data-1.parquet"
    meta = json.dumps({"indicators": {"gdp": {str(data): 1}}})
    table = pa.table({"region": ["北京"], "year": [2020], "indicator": ["gdp"], "value": [1.0]})
    pq.write_table(table.replace_schema_metadata({"urbanrural": meta}), data)
    (store.folder(job) / "run.json").write_text(json.dumps(
        {"spec": {"data": str(data), "sections": ["coverage"]}, "names": {str(data): "mine.parquet"}}))
    server.queue.submit(job)
    failed = server.wait(job)
    assert failed["state"] == "failed" and "program error" in failed["error"]["en"]
    detail = failed["error"]["detail"]
    assert detail.startswith("TypeError") and "mine.parquet" in detail
    assert str(store.root) not in detail and "data-1.parquet" not in detail
    assert server.request("GET", "/health")[0] == 200


def test_a_job_past_its_time_limit_is_stopped_and_failed(tmp_path):
    store = JobStore(tmp_path / "jobs")
    job = store.create()
    (store.folder(job) / "run.json").write_text(json.dumps(
        {"spec": {"sections": ["coverage", "national", "provinces"]}, "names": {}}))
    pool = JobQueue(store, workers=1, job_timeout_seconds=0.5, job_memory_bytes=4 << 30)
    try:
        pool.submit(job)
        deadline = time.monotonic() + 30
        while store.load(job)["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        pool.shutdown(grace_seconds=0)
    failed = store.load(job)
    assert failed["state"] == "failed" and "longer than the limit of 0.5 s" in failed["error"]["en"]
    assert not (store.folder(job) / "output").exists()


def test_serving_off_loopback_needs_a_token_or_the_explicit_flag():
    from urbanrural.commands.serve import no_token_refusal, run

    args = build_parser().parse_args(["serve", "--host", "0.0.0.0", "--root", "x"])
    assert not args.insecure_no_token
    os.environ.pop("URBANRURAL_WEB_TOKEN", None)
    assert run(args) == 2  # refused before anything starts (before: a warning, then served)
    refusal = no_token_refusal("0.0.0.0", None, insecure=False)
    assert "--insecure-no-token" in refusal and "访问令牌" in refusal
    assert no_token_refusal("0.0.0.0", None, insecure=True) is None
