"""`xlner serve`: the API contract, batch equivalence with `xlner tag`, overload, a raising
backend, SIGTERM drain. In-process through httpx's ASGI transport, except the drain test,
which runs the real command on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from xlner.errors import XlnerError  # noqa: E402
from xlner.methods import parse_methods  # noqa: E402
from xlner.serve.config import ServeConfig  # noqa: E402
from xlner.stages import StageConfig  # noqa: E402

SENTENCES = [
    f"Ana Maria {w} en Buenos Aires con Pedro {i} ." for i, w in enumerate(["vive", "come"] * 16)
]
FAKES = {"translator": "echo", "tagger": "caps", "aligner": "diag"}


def make_app(
    cfg: ServeConfig | None = None,
    methods: str = "heuristic,model-transfer,ngram",
    langs: list[str] | None = None,
    **stages: Any,
) -> Any:
    from xlner.serve.app import create_app
    from xlner.serve.service import Service

    stage_cfg = StageConfig(**{**FAKES, **stages})
    cfg = cfg or ServeConfig()
    service = Service.build(stage_cfg, parse_methods(methods), langs, cfg.max_words)
    return create_app(service, cfg)


@asynccontextmanager
async def client(app: Any) -> AsyncIterator[Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c
    await app.state.batcher.close()
    if app.state.chain is not None:
        app.state.chain.close()  # its worker threads (the lifespan closes it in a server)


def run(coro: Callable[[Any], Coroutine[Any, Any, Any]], app: Any) -> Any:
    async def main() -> Any:
        async with client(app) as c:
            return await coro(c)

    return asyncio.run(main())


@pytest.fixture(scope="module")
def app(plugin: Path) -> Any:
    return make_app()


def test_one_document_and_a_list(app: Any) -> None:
    async def go(c: Any) -> tuple[Any, Any]:
        one = await c.post(
            "/v1/tag", json={"lang": "es", "text": "Hola Ana Maria .\n\nAdios Pedro"}
        )
        many = await c.post(
            "/v1/tag",
            json=[
                {"lang": "es", "tokens": ["Ana", "come"], "method": "model-transfer"},
                {"lang": "es", "text": "Ana Maria come", "method": "ngram:greedy"},
            ],
        )
        return one, many

    one, many = run(go, app)
    assert one.status_code == 200, one.text
    doc = one.json()
    assert doc["method"] == "heuristic" and len(doc["sentences"]) == 2  # blank line skipped
    first, second = doc["sentences"]
    assert first["tokens"] == ["Hola", "Ana", "Maria", "."]
    assert second["offsets"] == [[18, 23], [24, 29]]  # offsets into the document
    ent = second["entities"][0]
    assert (ent["label"], ent["text"], ent["char_start"], ent["char_end"]) == (
        "PER",
        "Adios Pedro",
        18,
        29,
    )
    assert first["translation"] == "Hola Ana Maria."  # echo of the detokenised words
    assert first["translation_entities"][0]["text"] == "Hola Ana Maria"
    assert first["links"] == [[0, 0], [1, 1], [2, 2], [3, 3]]
    assert first["lost"] == []
    assert "translate" in doc["seconds"] and "align" in doc["seconds"]
    assert "translator:echo" in doc["signature"] and "aligner:diag" in doc["signature"]
    assert many.status_code == 200 and isinstance(many.json(), list)
    mt, ngram = many.json()
    assert mt["method"] == "model-transfer" and mt["sentences"][0]["offsets"] is None
    assert mt["sentences"][0]["entities"][0]["text"] == "Ana"
    assert "translation" not in mt["sentences"][0] or mt["sentences"][0]["translation"] is None
    assert ngram["method"] == "ngram"
    from xlner.serve.app import DocumentOut

    for d in [doc, mt, ngram]:  # every answer matches the documented schema (OpenAPI)
        assert DocumentOut.model_validate(d).model_dump(mode="json", exclude_unset=True) == d


def test_lost_entities_and_min_score(plugin: Path) -> None:
    async def go(c: Any) -> Any:
        return await c.post(
            "/v1/tag", json={"lang": "es", "text": "Ana come con Pedro", "min_score": 0.5}
        )

    res = run(go, make_app(methods="heuristic"))
    assert res.status_code == 200
    sent = res.json()["sentences"][0]
    assert sent["entities"] == []  # single capitalised words score 0.4
    assert {x["reason"] for x in sent["lost"]} == {"below_threshold"}
    assert res.json()["signature"].split("|")[1] == "min_score:0.5"


ERRORS = [
    (b'{"lang": "es", "text": ', 400, "malformed JSON"),
    ({"lang": "zzzz", "text": "Ana"}, 400, "zzzz"),
    ({"lang": "es", "text": "Ana", "method": "bogus"}, 400, "unknown method"),
    ({"lang": "es", "text": "Ana", "method": "ner"}, 400, "not served"),
    ({"lang": "es", "text": "  \n "}, 422, "empty text"),
    ({"lang": "es", "text": "Ana", "tokens": ["Ana"]}, 422, "either"),
    ({"lang": "es"}, 422, "either"),
    ({"lang": "es", "tokens": []}, 422, "tokens"),
    ({"lang": "es", "text": "Ana", "extra": 1}, 422, "extra"),
    ({"lang": "es", "text": "Ana", "min_score": 2}, 422, "min_score"),
    ({"text": "Ana"}, 422, "lang"),
    ([], 422, "empty list"),
    ([{"lang": "es", "text": "Ana"}] * 5, 413, "at most 4"),
    ({"lang": "es", "text": "a " * 21}, 413, "at most 20"),
    ({"lang": "es", "text": "a" * 3000}, 413, "bytes"),
]


@pytest.mark.parametrize(("body", "status", "words"), ERRORS)
def test_errors_are_one_line_json(plugin: Path, body: Any, status: int, words: str) -> None:
    app = make_app(ServeConfig(max_documents=4, max_words=20, max_body_bytes=2000))

    async def go(c: Any) -> Any:
        if isinstance(body, bytes):
            return await c.post(
                "/v1/tag", content=body, headers={"content-type": "application/json"}
            )
        return await c.post("/v1/tag", json=body)

    res = run(go, app)
    assert res.status_code == status, res.text
    err = res.json()["error"]
    assert words in err and "\n" not in err and list(res.json()) == ["error"]


def test_languages_served_and_unknown_paths(plugin: Path) -> None:
    app = make_app(langs=["es", "eu"])

    async def go(c: Any) -> list[Any]:
        return [
            await c.post("/v1/tag", json={"lang": "gl", "text": "Ana"}),
            await c.get("/nowhere"),
            await c.get("/v1/health"),
            await c.get("/v1/info"),
            await c.get("/openapi.json"),
            await c.get("/docs"),
        ]

    gl, missing, health, info, openapi, docs = run(go, app)
    assert gl.status_code == 400 and "not served" in gl.json()["error"]
    assert missing.status_code == 404 and "error" in missing.json()
    assert health.json()["status"] == "ok"
    i = info.json()
    assert i["methods"] == ["heuristic", "model-transfer", "ngram"]
    assert i["languages"] == ["es", "eu"] and i["stages"]["aligner"] == "diag"
    assert i["limits"]["max_batch"] == 32 and i["version"]
    assert "/v1/tag" in openapi.json()["paths"] and docs.status_code == 200


def test_corpus_level_aligner_is_refused(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(XlnerError, match="simalign:e5-small"):
        make_app(aligner="eflomal")
    make_app(aligner="eflomal", methods="model-transfer")  # no aligner needed: served
    from xlner.cli import main

    rc = main(["serve", "--translator", "echo", "--tagger", "caps", "--aligner", "eflomal"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and "per-sentence aligner" in err[-1]


def test_default_aligner_is_per_sentence() -> None:
    from xlner.serve.service import DEFAULT_ALIGNER, serve_stage_config

    assert serve_stage_config(StageConfig(), False).aligner == DEFAULT_ALIGNER
    assert serve_stage_config(StageConfig(aligner="diag"), True).aligner == "diag"


def test_metrics(app: Any) -> None:
    async def go(c: Any) -> Any:
        await c.post("/v1/tag", json={"lang": "es", "text": "Ana"})
        await c.post("/v1/tag", json={"lang": "es"})
        return await c.get("/metrics")

    text = run(go, app).text
    assert 'xlner_requests_total{status="200"}' in text
    assert 'xlner_requests_total{status="422"}' in text
    for name in ("xlner_request_seconds_bucket", "xlner_queue_depth", "xlner_batch_sentences_sum"):
        assert name in text


# --------------------------------------------------------------------------- batching


def _tag_with_xlner_tag(tmp: Path, method: str, stages: dict[str, Any]) -> list[Any]:
    from xlner.methods import Method
    from xlner.tagging import TagConfig, tag_file

    src, out = tmp / "in.txt", tmp / "out.jsonl"
    src.write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    cfg = TagConfig(src, out, Method.parse(method), "es", stages=StageConfig(**stages))
    tag_file(cfg)
    return [json.loads(x)["spans"] for x in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("method", ["heuristic", "ngram", "model-transfer"])
def test_concurrent_equals_single_equals_xlner_tag(
    plugin: Path, tiny: dict[str, Path], tmp_path: Path, method: str
) -> None:
    """32 concurrent requests (coalesced into batches) = 32 requests one at a time =
    `xlner tag` on the same lines; model transfer with a tiny random HF tagger."""
    stages = {**FAKES, "mt_tagger": f"hf:{tiny['tagger']}", "device": "cpu"}
    app = make_app(ServeConfig(max_batch=16, max_wait_ms=50), methods=method, **stages)

    async def go(c: Any) -> tuple[list[Any], list[Any]]:
        def body(s: str) -> dict[str, str]:
            return {"lang": "es", "text": s}

        together = await asyncio.gather(*(c.post("/v1/tag", json=body(s)) for s in SENTENCES))
        alone = [await c.post("/v1/tag", json=body(s)) for s in SENTENCES]
        return list(together), alone

    together, alone = run(go, app)
    assert all(r.status_code == 200 for r in together + alone)
    sizes = [r.json()["batch_sentences"][0] for r in together]
    assert max(sizes) > 1 and all(r.json()["batch_sentences"] == [1] for r in alone)
    ents_together = [r.json()["sentences"][0]["entities"] for r in together]
    ents_alone = [r.json()["sentences"][0]["entities"] for r in alone]
    assert ents_together == ents_alone
    expected = _tag_with_xlner_tag(tmp_path, method, stages)
    assert ents_together == expected
    if method != "model-transfer":
        assert any(ents_together)


def test_overload_answers_503_at_once_and_loses_nothing(plugin: Path) -> None:
    cfg = ServeConfig(max_batch=2, max_wait_ms=0, max_queue=4)
    app = make_app(cfg, methods="heuristic", translator="slow:0.2")

    async def go(c: Any) -> tuple[list[Any], list[float], str]:
        async def one(i: int) -> tuple[Any, float]:
            start = time.monotonic()
            r = await c.post("/v1/tag", json={"lang": "es", "text": f"Overload {i} Ana"})
            return r, time.monotonic() - start

        got = await asyncio.gather(*(one(i) for i in range(30)))
        metrics = (await c.get("/metrics")).text
        return [r for r, _ in got], [t for _, t in got], metrics

    answers, seconds, metrics = run(go, app)
    codes = [r.status_code for r in answers]
    assert set(codes) <= {200, 503} and codes.count(503) > 0 and codes.count(200) >= 4
    for r, t in zip(answers, seconds):
        if r.status_code == 503:
            assert int(r.headers["Retry-After"]) >= 1 and "capacity" in r.json()["error"]
            assert t < 1.0  # refused at once, not after waiting
    assert f'xlner_requests_total{{status="200"}} {codes.count(200)}' in metrics
    assert f'xlner_requests_total{{status="503"}} {codes.count(503)}' in metrics
    assert "xlner_queue_depth 0" in metrics


def test_a_raising_backend_fails_that_request_only(plugin: Path) -> None:
    app = make_app(
        ServeConfig(max_batch=8, max_wait_ms=100), methods="heuristic", translator="boom"
    )

    async def go(c: Any) -> tuple[list[Any], Any]:
        texts = [f"Ana {i} come" for i in range(7)] + ["Ana BOOM come"]
        got = await asyncio.gather(
            *(c.post("/v1/tag", json={"lang": "es", "text": t}) for t in texts)
        )
        after = await c.post("/v1/tag", json={"lang": "es", "text": "Ana after"})
        return list(got), after

    got, after = run(go, app)
    assert [r.status_code for r in got] == [200] * 7 + [500]
    assert "cannot translate BOOM" in got[-1].json()["error"]
    assert after.status_code == 200


# --------------------------------------------------------------------------- SIGTERM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow  # a real server process, stopped with SIGTERM mid-request
def test_sigterm_drains_in_flight_requests(plugin: Path, tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "xlner.cli", "serve", "--port", str(port), "--quiet"]
    cmd += ["--translator", "slow:2", "--tagger", "caps", "--aligner", "diag"]
    cmd += ["--max-batch", "3", "--max-wait-ms", "1000", "--drain-seconds", "20"]
    cmd += ["--translation-cache", str(tmp_path / "tr.sqlite")]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
            time.sleep(0.2)
        results: list[Any] = [None] * 6

        def send(i: int) -> None:
            body = {"lang": "es", "text": f"Drain {i} Ana"}
            results[i] = httpx.post(f"{url}/v1/tag", json=body, timeout=30)

        threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        while True:  # until all six are admitted: one batch of 3 runs (2 s), one waits
            health = httpx.get(f"{url}/v1/health", timeout=5).json()
            if health["queue"] + health["running"] == 6:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(timeout=30)
        assert [r.status_code for r in results] == [200] * 6
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_batcher_answers_every_item_once_in_batches_of_one_key() -> None:
    """Many concurrent submissions over three keys: each item is answered once, with its own
    row; no batch mixes keys or exceeds max_batch; the queue bound refuses whole requests."""
    import random

    from xlner.serve.batcher import MicroBatcher, Overloaded

    batches: list[tuple[str, list[int]]] = []
    key_of: dict[int, str] = {}

    def run_batch(key: str, items: list[int]) -> list[int]:
        batches.append((key, items))
        time.sleep(0.002)
        return [x * 2 for x in items]

    async def main() -> tuple[list[Any], int]:
        b: MicroBatcher[str, list[int]] = MicroBatcher(run_batch, 5, 0.005, 40)
        rng = random.Random(0)

        async def request(r: int) -> Any:
            items = [(rng.choice("abc"), r * 100 + i) for i in range(rng.randint(1, 6))]
            key_of.update((item, key) for key, item in items)
            await asyncio.sleep(rng.random() * 0.05)
            try:
                got = await b.submit(items)
            except Overloaded:
                return None
            return [(res[row], item) for (res, row), (_, item) in zip(got, items)]

        out = await asyncio.gather(*(request(r) for r in range(120)))
        await b.close()
        return list(out), b.waiting

    answers, waiting = asyncio.run(main())
    assert waiting == 0 and any(a is None for a in answers) and any(answers)
    for a in answers:
        for doubled, item in a or []:
            assert doubled == 2 * item
    run_items = [x for _, items in batches for x in items]
    answered = [item for a in answers for _, item in a or []]
    assert sorted(run_items) == sorted(answered)  # each admitted item ran exactly once
    assert all(1 <= len(items) <= 5 for _, items in batches)
    assert all(key_of[x] == key for key, items in batches for x in items)


# --------------------------------------------------------------------------- --executor ray


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--address", "auto"], "--address need --executor ray"),
        (["--replicas", "2", "--ray-stage", "tagger:num_cpus=1"], "--ray-stage need"),
        (["--executor", "ray", "--replicas", "2", "--max-replicas", "3"], "autoscaling"),
        (["--executor", "ray", "--min-replicas", "3", "--max-replicas", "2"], "above"),
        (["--executor", "ray", "--target-ongoing", "2"], "needs --min-replicas"),
        (["--executor", "ray", "--ray-stage", "gpu:num_cpus=1"], "POOL"),
    ],
)
def test_ray_options_are_checked_before_anything_loads(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad combination of Ray options: one line, exit 2, before models or Ray start (the
    translator named does not exist: reaching it would be another error)."""
    from xlner.cli import main

    rc = main(["serve", "--translator", "no-such-translator", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and words in err[0], err


def test_ray_serve_config_replicas_and_autoscaling() -> None:
    from xlner.execute.ray_options import PoolOptions
    from xlner.serve.config import RayServeConfig

    fixed = RayServeConfig(replicas=2, pools={"translator": PoolOptions(workers=3, num_gpus=1)})
    assert fixed.deployment_options("tagger", 0.5) == {
        "ray_actor_options": {"num_cpus": 0.5, "num_gpus": 0.0},
        "max_ongoing_requests": 1,
        "num_replicas": 2,
    }
    assert fixed.deployment_options("translator", 0.5)["num_replicas"] == 3
    assert fixed.most_replicas("translator") == 3 and not fixed.autoscaling
    auto = RayServeConfig(max_replicas=4, target_ongoing=2)
    assert auto.deployment_options("aligner", 1.0)["autoscaling_config"] == {
        "min_replicas": 1,
        "max_replicas": 4,
        "initial_replicas": 1,
        "target_ongoing_requests": 2,
    }
    assert auto.most_replicas("aligner") == 4
    with pytest.raises(XlnerError, match="above"):
        RayServeConfig(min_replicas=5, max_replicas=2)


def test_batcher_runs_a_coroutine_function_several_batches_at_once() -> None:
    """With a coroutine ``run`` (the Ray Serve path) up to ``concurrency`` batches are in
    flight; each item is still answered once, with its own row."""
    from xlner.serve.batcher import MicroBatcher

    in_flight, most = [0], [0]

    async def run_batch(key: str, items: list[int]) -> list[int]:
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])
        await asyncio.sleep(0.02)
        in_flight[0] -= 1
        return [x + 1 for x in items]

    async def main() -> list[Any]:
        b: MicroBatcher[str, list[int]] = MicroBatcher(run_batch, 2, 0.0, 100, concurrency=3)
        got = await asyncio.gather(*(b.submit([("k", i)]) for i in range(20)))
        assert b.running == 0 and b.waiting == 0
        await b.close()
        return [res[row] for [(res, row)] in got]

    assert asyncio.run(main()) == [i + 1 for i in range(20)]
    assert most[0] == 3
    with pytest.raises(ValueError, match="concurrency"):
        MicroBatcher(lambda k, items: items, 2, 0.0, 10, concurrency=2)


def test_pipelined_batcher_forms_the_next_batch_when_the_first_stage_is_free() -> None:
    """``pipelined``: a batch leaves the queue only once the previous one has called
    ``entered()`` (left the first stage), so batches fill while it works; up to
    ``concurrency`` batches are in later stages; each item is answered once."""
    from xlner.serve.batcher import MicroBatcher

    log: list[tuple[str, int]] = []
    in_flight, most = [0], [0]

    async def run_batch(key: str, items: list[int], entered: Callable[[], None]) -> list[int]:
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])
        log.append(("first", len(items)))
        await asyncio.sleep(0.03)  # the first stage
        entered()
        entered()  # a second call changes nothing
        await asyncio.sleep(0.1)  # later stages, overlapping the next batch's first
        in_flight[0] -= 1
        return [x * 2 for x in items]

    async def main() -> list[Any]:
        b: MicroBatcher[str, list[int]] = MicroBatcher(
            run_batch, 8, 0.0, 100, concurrency=3, pipelined=True
        )
        first = asyncio.ensure_future(b.submit([("k", 0)]))
        await asyncio.sleep(0.005)  # batch 1 (one item) is in its first stage
        rest = await asyncio.gather(*(b.submit([("k", i)]) for i in range(1, 9)))
        got = [await first, *rest]
        assert b.running == 0 and b.waiting == 0
        await b.close()
        return [res[row] for [(res, row)] in got]

    assert asyncio.run(main()) == [2 * i for i in range(9)]
    assert log[0] == ("first", 1) and log[1] == ("first", 8)  # the 8 waited, then went together
    assert most[0] == 2
    with pytest.raises(ValueError, match="coroutine"):
        MicroBatcher(lambda k, items, entered: items, 2, 0.0, 10, pipelined=True)


def test_stage_chain_overlaps_batches_one_batch_per_backend(
    plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local server's stage pipeline: batch 2 is translated while batch 1 is in a later
    stage (the later stage waits for that, so without the overlap this test times out), and
    no backend serves two batches at once."""
    import xlner.serve.chain as chain_mod
    from xlner.serve.chain import StageChain
    from xlner.serve.service import Service
    from xlner.text import tokenize

    service = Service.build(StageConfig(**FAKES), parse_methods("heuristic"), None)
    chain = StageChain(service)
    groups = [seg.group for seg in chain.segments["heuristic"]]
    assert groups[0] == "translate" and "align" in groups and chain.depth == len(groups)
    second_translated = threading.Event()
    busy: dict[str, int] = {}
    real = chain_mod.run_steps

    def run_steps(batch: Any, steps: Any, *args: Any) -> Any:
        group = {s.role for s in steps}
        name = "translate" if "translator" in group else ",".join(sorted(group))
        assert not busy.get(name), f"{name} runs two batches at once"
        busy[name] = 1
        try:
            if name == "translate" and batch.sentences[0].id == "b2":
                second_translated.set()
            if "aligner" in group and batch.sentences[0].id == "b1":
                assert second_translated.wait(10), "batch 2 was not translated meanwhile"
            return real(batch, steps, *args)
        finally:
            busy[name] = 0

    monkeypatch.setattr(chain_mod, "run_steps", run_steps)
    from xlner.data import Sentence

    def sents(name: str) -> list[Sentence]:
        words, offsets = tokenize("Ana vive en Buenos Aires .", "es")
        return [Sentence(words, None, "es", name, None, offsets)]

    async def main() -> list[Any]:
        key = ("es", "heuristic", 0.0)
        one = asyncio.ensure_future(chain.run(key, sents("b1")))
        await asyncio.sleep(0.01)
        two = asyncio.ensure_future(chain.run(key, sents("b2")))
        return list(await asyncio.gather(one, two))

    b1, b2 = asyncio.run(main())
    chain.close()
    assert b1.outputs["heuristic"] == b2.outputs["heuristic"] and any(b1.outputs["heuristic"][0])


def test_replicas_align_two_batches_at_once_and_share_the_translator(
    plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--replicas 2``: a second set of models, the translator shared; two batches are in the
    aligner at once (each waits there for the other: without the replica this test times
    out), each on its own replica, and both answers equal a batch's alone."""
    import xlner.serve.chain as chain_mod
    from xlner.data import Sentence
    from xlner.serve.chain import StageChain
    from xlner.serve.service import Service
    from xlner.text import tokenize

    service = Service.build(StageConfig(**FAKES), parse_methods("heuristic"), None)
    (copy,) = service.replicas(1)
    assert copy.backend("translator") is service.stages.backend("translator")
    assert copy.backend("aligner") is not service.stages.backend("aligner")
    chain = StageChain(service, [copy])
    assert chain.replicas == 2 and chain.depth == 2 * len(chain.segments["heuristic"])
    in_aligner = threading.Barrier(2, timeout=10)
    used: list[int] = []
    real = chain_mod.run_steps

    def run_steps(batch: Any, steps: Any, backends: Any, *args: Any) -> Any:
        if any(s.role == "aligner" for s in steps):
            used.append(id(backends.inner.backend("aligner")))
            in_aligner.wait()  # both batches are here at once
        return real(batch, steps, backends, *args)

    monkeypatch.setattr(chain_mod, "run_steps", run_steps)
    words, offsets = tokenize("Ana vive en Buenos Aires .", "es")

    async def main() -> list[Any]:
        key = ("es", "heuristic", 0.0)
        runs = [
            chain.run(key, [Sentence(words, None, "es", name, None, offsets)])
            for name in ("b1", "b2")
        ]
        return list(await asyncio.gather(*runs))

    b1, b2 = asyncio.run(main())
    chain.close()
    assert len(set(used)) == 2  # one aligner each
    alone = service.run_steps(
        service.batch(("es", "heuristic", 0.0), [Sentence(words, None, "es", "x", None, offsets)]),
        "heuristic",
        0.0,
    )
    assert b1.outputs == b2.outputs == alone.outputs and any(alone.outputs["heuristic"][0])
