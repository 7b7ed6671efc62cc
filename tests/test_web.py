"""The web page and the run browser: the JSON API in-process (escaping, read-only paths, gold
against prediction, lost entities, curves), and the page in a real browser (Playwright driving
Debian's Chromium) against a real ``xlner serve --run`` on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from xlner.data import Sentence, Span  # noqa: E402
from xlner.io import write_conll  # noqa: E402

EVIL = "<script>alert(1)</script>"
EVIL_IMG = "<img/src=x/onerror=alert(2)>"  # one CoNLL token
FAKES = ["--translator", "echo", "--tagger", "caps", "--aligner", "diag"]
REPO = Path(__file__).resolve().parents[1]


def _xlner(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "xlner.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=dict(os.environ))


@pytest.fixture(scope="module")
def run_dir(plugin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of the fake backends on tiny gold (masakhaner2/hau): `heuristic` loses the
    single-word entities (score 0.4 < --min-score 0.5), types LOC and ORG as PER."""
    root = tmp_path_factory.mktemp("web-run")
    words = ["Ana", "Maria", "vive", "en", "Buenos", "Aires", "con", "Pedro", "."]
    gold = [
        Sentence(words, [Span(0, 2, "PER"), Span(4, 6, "LOC"), Span(7, 8, "PER")], "hau"),
        Sentence(["El", "Banco", "Central", EVIL, "cerró", "."], [Span(1, 3, "ORG")], "hau"),
        Sentence(["Vimos", EVIL_IMG, "hoy", "."], [], "hau"),
    ]
    write_conll(gold * 2, root / "data" / "masakhaner2" / "hau" / "test.txt")
    args = ["run", "--dataset", "masakhaner2", "--langs", "hau", "--data-dir", "data"]
    args += ["--methods", "model-transfer,heuristic", *FAKES, "--out", "run", "--quiet"]
    proc = _xlner([*args, "--scores", "--min-score", "0.5"], root)
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture(scope="module")
def client(run_dir: Path) -> Any:
    from xlner.web.routes import create_view_app
    from xlner.web.runview import RunFolder

    return TestClient(create_view_app(RunFolder(run_dir / "run", str(run_dir / "data"))))


def test_the_page_and_its_files_are_served_without_cdn(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for name in ("app.js", "style.css"):
        res = client.get(f"/static/{name}")
        assert res.status_code == 200 and res.text
    for text in (page.text, client.get("/static/app.js").text):
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text
    js = client.get("/static/app.js").text
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "eval(" not in js
    assert client.get("/v1/web").json() == {"tagging": False, "run": True}


def test_results_units_lost_and_curves(client: Any) -> None:
    res = client.get("/v1/run").json()
    assert "translator:echo" in res["signature"]
    table = res["tables"][0]
    assert table["header"][:2] == ["lang", "model-transfer"] and table["rows"][0][0] == "hau"
    assert {(u["lang"], u["slug"]) for u in res["units"]} == {
        ("hau", "heuristic"),
        ("hau", "model-transfer"),
    }
    unit = client.get("/v1/run/units/hau/heuristic?kind=all").json()
    assert unit["gold_found"] and unit["total"] == 6
    first = unit["sentences"][0]
    kinds = {(d["kind"], d["start"], d["end"]) for d in first["diffs"]}
    assert kinds == {("wrong_type", 4, 6), ("missed", 7, 8)}  # LOC typed PER; Pedro lost
    # sentences with each kind: "El Banco Central" (PER) for "Banco Central" (ORG) is a
    # spurious entity and a missed one
    assert unit["counts"] == {"missed": 4, "spurious": 2, "wrong_type": 2}
    only = client.get("/v1/run/units/hau/heuristic?kind=spurious").json()
    assert only["total"] == 2 and all("spurious" in s["kinds"] for s in only["sentences"])
    assert [round(p["threshold"], 2) for p in unit["curve"]][:2] == [0.0, 0.05]
    assert len(unit["reliability"]) == 10 and unit["ece"] is not None
    lost = client.get("/v1/run/lost/hau/heuristic").json()
    assert lost["by_reason"]["below_threshold"] >= 2
    entity = lost["sentences"][0]["lost"][0]
    assert (entity["entity"], entity["reason"]) == ("Pedro", "below_threshold")
    assert lost["sentences"][0]["source"].startswith("Ana Maria")


def test_text_comes_back_as_data_never_markup(client: Any) -> None:
    unit = client.get("/v1/run/units/hau/model-transfer?kind=all").json()
    tokens = [t for s in unit["sentences"] for t in s["tokens"]]
    assert EVIL in tokens and EVIL_IMG in tokens  # JSON strings: the page sets textContent


@pytest.mark.parametrize(
    "path",
    [
        "/v1/run/units/hau/..%2F..%2Frun.json",
        "/v1/run/units/%2E%2E/heuristic",
        "/v1/run/units/..%2Fscores/heuristic",
        "/v1/run/lost/hau/%2Fetc%2Fpasswd",
        "/v1/run/lost/%2Fetc/passwd",
        "/v1/run/units/hau/ngram",
        "/v1/run/units/hau/heuristic?kind=%3Cscript%3E",
        "/static/..%2F__init__.py",
        "/static/%2Fetc%2Fpasswd",
        "/static/runview.py",
        "/run.json",
    ],
)
def test_only_the_listed_files_are_reachable(client: Any, path: str) -> None:
    res = client.get(path)
    assert res.status_code == 404, (path, res.text)
    assert "root:" not in res.text and "signature" not in res.text


def test_the_tagging_page_is_served_with_the_api(plugin: Path) -> None:
    from xlner.methods import parse_methods
    from xlner.serve.app import create_app
    from xlner.serve.config import ServeConfig
    from xlner.serve.service import Service
    from xlner.stages import StageConfig

    stages = StageConfig(translator="echo", tagger="caps", aligner="diag")
    service = Service.build(stages, parse_methods("heuristic"), None)
    with TestClient(create_app(service, ServeConfig())) as c:
        assert c.get("/").status_code == 200
        assert c.get("/v1/web").json() == {"tagging": True, "run": False}
        assert c.get("/v1/run").status_code == 404


def test_view_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    from xlner.errors import XlnerError
    from xlner.web.runview import RunFolder

    with pytest.raises(XlnerError, match="not a run folder"):
        RunFolder(tmp_path)


# --------------------------------------------------------------------------- the browser

CHROMIUM = os.environ.get("XLNER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; it is in xlner[dev])"
    if not Path(CHROMIUM).is_file():
        return "Debian's chromium is not installed (apt-get install chromium; ./quickstart as root)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(run_dir: Path, port: int) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "xlner.cli", "serve", "--port", str(port), "--quiet"]
    cmd += ["--methods", "heuristic,model-transfer", *FAKES, "--langs", "es"]
    cmd += ["--run", str(run_dir / "run"), "--data-dir", str(run_dir / "data")]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(proc.stderr.read() if proc.stderr else "no server")
        time.sleep(0.2)


def browse(run_dir: Path, shots: Path | None = None) -> None:
    """Tag a Spanish sentence, find the entities and links, move the slider, open the run and
    find a lost entity with its reason (and take the screenshots of docs/ into ``shots``)."""
    from playwright.sync_api import expect, sync_playwright

    port = _free_port()
    proc = serve(run_dir, port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            alerts: list[str] = []
            page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
            tagged: list[str] = []
            page.on("request", lambda r: tagged.append(r.url) if "/v1/tag" in r.url else None)
            page.goto(f"http://127.0.0.1:{port}/")
            page.fill(
                "#text", f"Ana Maria vive en Buenos Aires con Pedro .\nVimos {EVIL_IMG} y {EVIL}"
            )
            page.click("#tag-button")
            tgt = page.locator("#tag-result .sentence").first.locator(".tgt-entities .entity")
            expect(tgt).to_have_count(3)  # Ana Maria, Buenos Aires (0.8), Pedro (0.4)
            assert "Ana Maria" in tgt.first.inner_text() and "PER" in tgt.first.inner_text()
            expect(page.locator("#tag-result .tok.ent").first).to_have_text("Ana")
            links = page.locator("#tag-result .sentence").first.locator("svg.links line")
            expect(links).to_have_count(9)  # the diagonal aligner: one link per word
            expect(page.locator("#tag-result .row.tgt").nth(1)).to_contain_text("onerror")
            assert (
                page.locator("img").count() == 0 and page.locator("#tag-result script").count() == 0
            )
            page.fill("#min-score", "0.5")  # fires input: filtered at once, no new request
            expect(tgt).to_have_count(2)
            lost = page.locator("#tag-result .sentence").first.locator(".lost-list li")
            expect(lost).to_have_count(1)
            expect(lost.locator(".reason")).to_have_text("below_threshold")
            assert "Pedro" in lost.inner_text()
            if shots:
                page.screenshot(path=str(shots / "web-tag.png"), full_page=True)
            page.fill("#min-score", "0.85")
            expect(tgt).to_have_count(0)
            assert len(tagged) == 1  # the slider sent no request
            page.click("#nav-run")
            expect(page.locator("table.results td").first).to_have_text("hau")
            page.select_option("#run-method", "heuristic")
            lost = page.locator("#run-lost .lost-list li").first
            expect(lost.locator(".reason")).to_have_text("below_threshold")
            assert "Pedro" in lost.inner_text()
            expect(page.locator("#run-sentences .diff").first).to_be_visible()
            page.select_option("#run-kind", "wrong_type")
            expect(page.locator("#run-sentences .diff[data-kind=wrong_type]").first).to_be_visible()
            expect(page.locator("#curve polyline")).to_have_count(3)
            expect(page.locator("#reliability polyline")).to_have_count(2)
            page.select_option("#run-kind", "all")
            expect(page.locator("#run-sentences .tok", has_text=EVIL).first).to_be_visible()
            assert page.locator("img").count() == 0 and not alerts
            page.select_option("#run-kind", "errors")
            expect(page.locator("#run-sentences .unit-sentence")).to_have_count(4)
            if shots:
                page.screenshot(path=str(shots / "web-run.png"), full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow  # a real Chromium driven by Playwright against a real server: seconds
def test_in_a_real_browser(run_dir: Path) -> None:
    missing = _browser_missing()
    if missing:
        pytest.skip(f"the browser test needs: {missing}")
    shots = os.environ.get("XLNER_SCREENSHOTS")
    browse(run_dir, Path(shots) if shots else None)
