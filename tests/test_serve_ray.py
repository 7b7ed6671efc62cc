"""`xlner serve --executor ray`: the Ray Serve application (one deployment per stage pool,
the local server's app as the ingress, Ray's HTTP proxy) answers exactly as the local server
does, timings aside: one document, lists, concurrent requests, errors, a raising backend."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")
ray = pytest.importorskip("ray")
pytest.importorskip("ray.serve")
pytestmark = pytest.mark.slow  # a Ray instance and its deployments take tens of seconds

from xlner.serve.config import RayServeConfig, ServeConfig  # noqa: E402
from xlner.stages import StageConfig  # noqa: E402

from .test_serve import SENTENCES, make_app  # noqa: E402

METHODS = "heuristic,model-transfer,ngram"
STAGES = {"translator": "boom", "tagger": "caps", "aligner": "diag"}
#: Fields that time the request, not what it answers.
TIMINGS = ("seconds", "wall_seconds", "batch_sentences")

REQUESTS: list[Any] = [
    {"lang": "es", "text": "Hola Ana Maria .\n\nAdios Pedro"},
    [
        {"lang": "es", "tokens": ["Ana", "come"], "method": "model-transfer"},
        {"lang": "es", "text": "Ana Maria come", "method": "ngram:greedy"},
        {"lang": "eu", "text": "Ana Maria Bilbon bizi da .", "min_score": 0.5},
    ],
    {"lang": "es", "text": "Ana come con Pedro", "min_score": 0.5},
    {"lang": "es", "text": "Ana BOOM come"},  # the backend raises: 500, its message
    b'{"lang": "es", "text": ',
    {"lang": "zzzz", "text": "Ana"},
    {"lang": "es", "text": "Ana", "method": "ner"},
    {"lang": "es", "text": "  \n "},
    {"lang": "es", "text": "Ana", "extra": 1},
    [{"lang": "es", "text": "Ana"}] * 5,
    {"lang": "es", "text": "a " * 21},
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _strip(x: Any) -> Any:
    if isinstance(x, list):
        return [_strip(d) for d in x]
    if isinstance(x, dict):
        return {k: v for k, v in x.items() if k not in TIMINGS}
    return x


async def _send(c: Any) -> list[tuple[int, Any]]:
    out = []
    for body in REQUESTS:
        if isinstance(body, bytes):
            headers = {"content-type": "application/json"}
            r = await c.post("/v1/tag", content=body, headers=headers)
        else:
            r = await c.post("/v1/tag", json=body)
        out.append((r.status_code, _strip(r.json())))
    together = await asyncio.gather(
        *(c.post("/v1/tag", json={"lang": "es", "text": s}) for s in SENTENCES)
    )
    out += [(r.status_code, _strip(r.json())) for r in together]
    info = (await c.get("/v1/info")).json()
    info.pop("started")
    out.append((200, info))
    return out


def test_the_command_serves_on_ray_and_stops_on_sigterm(plugin: Path, tmp_path: Path) -> None:
    """`xlner serve --executor ray` starts a local Ray instance, answers over Ray's proxy,
    and on SIGTERM takes the application down, stops Ray and exits 0 (first in this file:
    no other Ray instance runs yet)."""
    port = _free_port()
    cmd = [sys.executable, "-m", "xlner.cli", "serve", "--executor", "ray", "--quiet"]
    cmd += ["--port", str(port), "--methods", "heuristic", "--translator", "echo"]
    cmd += ["--tagger", "caps", "--aligner", "diag"]
    cmd += ["--translation-cache", str(tmp_path / "tr.sqlite")]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    try:
        assert proc.stderr is not None
        lines = []
        while not any("xlner serve: http" in x for x in lines):  # deployed, handlers set
            lines.append(proc.stderr.readline())
            assert lines[-1], "".join(lines)  # the command ended
        r = httpx.post(f"{url}/v1/tag", json={"lang": "es", "text": "Ana come"}, timeout=30)
        assert r.status_code == 200 and r.json()["sentences"][0]["entities"][0]["text"] == "Ana"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        rc = proc.returncode
        assert rc == 0 and "stopped" in err, err[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def ray_serve_url(plugin: Path) -> Iterator[str]:
    """The application on a local Ray instance (2 CPUs), Ray's proxy on a free port."""
    from ray import serve

    from xlner.serve import ray_serve

    env = {"PYTHONPATH": os.environ["PYTHONPATH"], "XLNER_CACHE": os.environ["XLNER_CACHE"]}
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": env})
    cfg = ServeConfig(max_batch=16, max_wait_ms=50, max_documents=4, max_words=20)
    spec = ray_serve.ServeSpec(StageConfig(**STAGES), tuple(METHODS.split(",")), None, cfg)
    port = _free_port()
    try:
        started = ray_serve.start(spec, RayServeConfig(), "127.0.0.1", port)
        assert not started  # Ray was running: start() leaves it to us
        yield f"http://127.0.0.1:{port}"
    finally:
        serve.shutdown()
        ray.shutdown()


def test_ray_serve_answers_as_the_local_server(plugin: Path, ray_serve_url: str) -> None:
    from ray import serve

    status = serve.status().applications["xlner"]
    pools = sorted(d.removeprefix("xlner-") for d in status.deployments)
    assert pools == ["aligner", "ingress", "project", "tagger", "translator"]

    async def on_ray() -> list[tuple[int, Any]]:
        async with httpx.AsyncClient(base_url=ray_serve_url, timeout=60) as c:
            return await _send(c)

    async def local() -> list[tuple[int, Any]]:
        cfg = ServeConfig(max_batch=16, max_wait_ms=50, max_documents=4, max_words=20)
        app = make_app(cfg, methods=METHODS, **STAGES)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            got = await _send(c)
        await app.state.batcher.close()
        app.state.chain.close()  # the stage pipeline's worker threads
        return got

    start = time.monotonic()
    got = asyncio.run(on_ray())
    seconds = time.monotonic() - start
    expected = asyncio.run(local())
    assert [s for s, _ in got] == [s for s, _ in expected]
    codes = [200, 200, 200, 500, 400, 400, 400, 422, 422, 413, 413]
    assert [s for s, _ in got[: len(REQUESTS)]] == codes
    for (_, a), (_, b), body in zip(got, expected, [*REQUESTS, *SENTENCES, "info"]):
        assert a == b, body
    assert "cannot translate BOOM" in got[3][1]["error"]
    assert seconds < 60


def test_ray_serve_batches_and_counts(plugin: Path, ray_serve_url: str) -> None:
    """Concurrent requests ride in shared batches on Ray too; /metrics and /v1/health are
    the ingress's."""

    async def go() -> tuple[list[Any], str, Any]:
        async with httpx.AsyncClient(base_url=ray_serve_url, timeout=60) as c:
            got = await asyncio.gather(
                *(c.post("/v1/tag", json={"lang": "es", "text": s}) for s in SENTENCES)
            )
            return list(got), (await c.get("/metrics")).text, (await c.get("/v1/health")).json()

    got, metrics, health = asyncio.run(go())
    assert all(r.status_code == 200 for r in got)
    assert max(r.json()["batch_sentences"][0] for r in got) > 1
    assert set(got[0].json()["seconds"]) >= {"translate", "tag_source", "align"}
    assert 'xlner_requests_total{status="200"}' in metrics
    assert health["status"] == "ok" and health["queue"] == 0
