"""``xlner serve``: tag text over HTTP with any method, models loaded once."""

from __future__ import annotations

import argparse
from typing import Any

from xlner.cli._common import add_command, names, positive, stage_config, stage_options

#: Idle keep-alive connections are closed after this long: longer than clients' usual pools
#: keep them (httpx: 5 s), so a client rarely sends on a connection being closed.
KEEP_ALIVE_S = 15
#: How often a Python thread hands on the GIL in the server (Python's default: 5 ms).
SWITCH_INTERVAL_S = 0.0005


def register(sub: Any) -> None:
    sp = add_command(
        sub,
        "serve",
        main,
        "tag text over HTTP (FastAPI + uvicorn): models loaded once, requests batched",
        "Serve POST /v1/tag (one document or a list: {lang, text | tokens, method, min_score}), "
        "GET /v1/health, /v1/info, /metrics (Prometheus) and the OpenAPI page /docs. Every "
        "method runs the same stages, plan and steps as `xlner tag`, with models built once; "
        "concurrent requests are coalesced into batches per language and method. The aligner "
        "defaults to simalign:e5-small: a corpus-level aligner (eflomal) cannot align one "
        "request's sentences and is refused. The web page at / tags text and draws the "
        "translation and word links; --run DIR adds the run browser (see also xlner view). "
        "With --executor ray the same app runs on Ray Serve behind Ray's HTTP proxy, one "
        "deployment per stage pool (translator, tagger, aligner, project) with --replicas or "
        "autoscaling. Needs `pip install 'xlner[serve]'` (and 'xlner[ray]' for Ray).",
    )
    sp.add_argument(
        "--methods",
        default="heuristic",
        help="comma list of methods served (the first is the default of a request)",
    )
    sp.add_argument("--langs", help="comma list of languages served (default: any supported)")
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--run", metavar="DIR", help="also browse this run folder (xlner run --out)")
    sp.add_argument("--data-dir", help="where the run's datasets are (its gold; --run)")
    g = sp.add_argument_group("batching and limits")
    g.add_argument("--max-batch", type=positive, default=32, help="sentences per batch")
    g.add_argument(
        "--max-wait-ms",
        type=float,
        default=10.0,
        help="how long a sentence may wait for others to fill its batch",
    )
    g.add_argument(
        "--max-queue",
        type=positive,
        default=256,
        help="sentences waiting for a batch; past it, 503 with Retry-After at once",
    )
    g.add_argument("--max-body-kb", type=positive, default=1000, help="request body size")
    g.add_argument("--max-documents", type=positive, default=64, help="documents per request")
    g.add_argument("--max-words", type=positive, default=1000, help="words per document")
    g.add_argument(
        "--drain-seconds",
        type=float,
        default=30.0,
        help="on SIGTERM, how long in-flight requests may take to finish",
    )
    g.add_argument(
        "--cpu-threads",
        type=positive,
        help="threads of each encoder on a CPU (default: the cores less one, shared by the "
        "--replicas, at least 1: the HTTP event loop keeps a core, so no encoder's threads "
        "wait for a preempted one)",
    )
    g.add_argument("--log-level", default="warning", help="uvicorn's log level")
    _ray_options(sp.add_argument_group("Ray Serve (--executor ray)"))
    stage_options(sp)


def _ray_options(r: Any) -> None:
    r.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="local: uvicorn in this process; ray: Ray Serve deployments, one per stage pool, "
        "behind Ray's HTTP proxy (a local Ray instance unless --address)",
    )
    r.add_argument("--address", help="Ray cluster: auto, ray://host:10001, or host:6379")
    r.add_argument(
        "--replicas",
        type=positive,
        help="replicas of each stage pool: Ray Serve deployments (default 1), or, locally, "
        "sets of the models in this process, each batch on one (default 2 on 2+ cores)",
    )
    r.add_argument("--min-replicas", type=int, help="autoscale each pool from this many ...")
    r.add_argument("--max-replicas", type=positive, help="... up to this many replicas")
    r.add_argument(
        "--target-ongoing",
        type=float,
        help="autoscaling: batches queued or running per replica to aim at (default 1)",
    )
    r.add_argument(
        "--ray-stage",
        action="append",
        default=[],
        metavar="POOL:KEY=VALUE,..",
        help="resources of one pool's replicas, e.g. translator:num_gpus=1,workers=2 "
        "(workers: its replicas); repeatable",
    )


RAY_FLAGS = ("address", "min_replicas", "max_replicas", "target_ongoing", "ray_stage")


def ray_serve_config(args: argparse.Namespace) -> Any:
    """The Ray Serve options (``None`` for the local server); a bad combination or a missing
    Ray is an error here, before any model loads."""
    from xlner.errors import XlnerError

    given = [f"--{k.replace('_', '-')}" for k in RAY_FLAGS if getattr(args, k)]
    if args.executor != "ray":
        if given:
            raise XlnerError(f"{', '.join(given)} need --executor ray")
        return None
    from xlner.execute.ray_options import RayOptions
    from xlner.serve.config import RayServeConfig
    from xlner.serve.ray_serve import check_ray_serve

    if args.replicas and (args.min_replicas is not None or args.max_replicas):
        raise XlnerError("give --replicas, or --min-replicas/--max-replicas (autoscaling)")
    if args.target_ongoing and args.min_replicas is None and not args.max_replicas:
        raise XlnerError("--target-ongoing needs --min-replicas or --max-replicas")
    replicas = args.replicas or 1
    cfg = RayServeConfig(
        address=args.address or None,
        replicas=replicas,
        min_replicas=args.min_replicas,
        max_replicas=args.max_replicas,
        target_ongoing=args.target_ongoing or 1.0,
        pools=RayOptions.parse(None, replicas, args.ray_stage).pools if args.ray_stage else {},
    )
    check_ray_serve()
    return cfg


def main(args: argparse.Namespace) -> int:
    import os
    import sys

    from xlner.errors import MissingDependencyError
    from xlner.methods import parse_methods
    from xlner.models.loading import THREADS_ENV, cpu_threads
    from xlner.serve.config import ServeConfig
    from xlner.serve.service import Service, serve_stage_config
    from xlner.web.runview import RunFolder

    try:  # the dependencies, checked before anything loads
        import uvicorn  # noqa: F401

        from xlner.serve.app import create_app  # noqa: F401
    except ImportError as e:
        raise MissingDependencyError(e.name or "fastapi", "serve", "xlner serve") from None
    ray_cfg = ray_serve_config(args)
    cfg = ServeConfig(
        max_batch=args.max_batch,
        max_wait_ms=args.max_wait_ms,
        max_queue=args.max_queue,
        max_body_bytes=args.max_body_kb * 1000,
        max_documents=args.max_documents,
        max_words=args.max_words,
        drain_seconds=args.drain_seconds,
    )
    stages = serve_stage_config(stage_config(args), args.aligner is not None)
    stages.show_progress = False
    methods = parse_methods(args.methods)
    langs = names(args.langs) if args.langs else None
    print(f"xlner serve: loading {', '.join(m.name for m in methods)} ...", file=sys.stderr)
    if ray_cfg is not None:
        return _serve_on_ray(args, stages, [m.name for m in methods], langs, cfg, ray_cfg)
    run = RunFolder(args.run, args.data_dir) if args.run else None
    replicas = args.replicas or (2 if cpu_threads() >= 2 else 1)
    threads = str(args.cpu_threads or max(1, (cpu_threads() - 1) // replicas))
    saved = {k: os.environ.get(k) for k in (THREADS_ENV, "OMP_NUM_THREADS")}
    os.environ.update(dict.fromkeys(saved, threads))  # for the models about to load
    try:
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(int(threads))
        service = Service.build(stages, methods, langs, cfg.max_words)
        _serve_locally(args, service, cfg, run, service.replicas(replicas - 1))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    print("xlner serve: stopped (in-flight requests answered)", file=sys.stderr)
    return 0


def _serve_locally(
    args: argparse.Namespace, service: Any, cfg: Any, run: Any, replicas: list[Any]
) -> None:
    import signal
    import sys

    import uvicorn

    from xlner.serve.app import create_app

    app = create_app(service, cfg, run, replicas=replicas)
    print(
        f"xlner serve: http://{args.host}:{args.port}/ (API: /v1/tag, docs: /docs)",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn drains on SIGTERM, then raises the signal again for the handler it found:
    # a no-op one, so that a drained server exits 0
    signal.signal(signal.SIGTERM, lambda *_: None)
    # the stage threads hold the GIL in turns (spaCy, the aligner's bookkeeping): with
    # Python's 5 ms switch interval the event loop waited its turn behind them, and requests
    # queued before reaching the batcher (p95 4.5 s at 55 requests/s where the batches took
    # 1.9 s); 0.5 ms lets it read and answer requests between their turns (p95 2.2 s)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            timeout_graceful_shutdown=int(cfg.drain_seconds) or None,
            timeout_keep_alive=KEEP_ALIVE_S,
        )
    finally:
        sys.setswitchinterval(interval)


def _serve_on_ray(
    args: argparse.Namespace,
    stages: Any,
    methods: list[str],
    langs: list[str] | None,
    cfg: Any,
    ray_cfg: Any,
) -> int:
    """Deploy on Ray Serve, then wait for SIGTERM or Ctrl-C and take it down."""
    import signal
    import sys
    import threading

    from xlner.serve import ray_serve

    spec = ray_serve.ServeSpec(
        stages, tuple(methods), tuple(langs) if langs else None, cfg, args.run, args.data_dir
    )
    if args.run:  # a bad folder is refused here, not in the ingress replica
        from xlner.web.runview import RunFolder

        RunFolder(args.run, args.data_dir)
    started = ray_serve.start(spec, ray_cfg, args.host, args.port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # after ray.init, which sets its own
        signal.signal(sig, lambda *_: stop.set())
    try:
        where = f"Ray at {ray_cfg.address}" if ray_cfg.address else "a local Ray instance"
        print(
            f"xlner serve: http://{args.host}:{args.port}/ (API: /v1/tag, docs: /docs; Ray "
            f"Serve on {where})",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        ray_serve.stop(started)
    print("xlner serve: stopped (Ray Serve application deleted)", file=sys.stderr)
    return 0


def register_view(sub: Any) -> None:
    sp = add_command(
        sub,
        "view",
        view_main,
        "browse a run's results in a web page (read-only; no model loaded)",
        "Serve the run browser over a run folder (xlner run --out DIR): the results table, per "
        "language x method the sentences with gold against prediction, the lost entities with "
        "their reasons, the confidence curve and reliability plot. Open the printed address. "
        "Needs `pip install 'xlner[serve]'`.",
    )
    sp.add_argument("run", metavar="DIR", help="the run folder")
    sp.add_argument("--data-dir", help="where the run's datasets are (for the gold)")
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--log-level", default="warning", help="uvicorn's log level")


def view_main(args: argparse.Namespace) -> int:
    import sys

    from xlner.errors import MissingDependencyError
    from xlner.web.runview import RunFolder

    try:
        import uvicorn

        from xlner.web.routes import create_view_app
    except ImportError as e:
        raise MissingDependencyError(e.name or "fastapi", "serve", "xlner view") from None
    app = create_view_app(RunFolder(args.run, args.data_dir))
    print(f"xlner view: http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
