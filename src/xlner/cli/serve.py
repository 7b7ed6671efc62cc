"""``xlner serve``: tag text over HTTP with any method, models loaded once."""

from __future__ import annotations

import argparse
from typing import Any

from xlner.cli._common import add_command, names, positive, stage_config, stage_options

#: Idle keep-alive connections are closed after this long: longer than clients' usual pools
#: keep them (httpx: 5 s), so a client rarely sends on a connection being closed.
KEEP_ALIVE_S = 15


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
        "Needs `pip install 'xlner[serve]'`.",
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
    g.add_argument("--log-level", default="warning", help="uvicorn's log level")
    stage_options(sp)


def main(args: argparse.Namespace) -> int:
    import signal
    import sys

    from xlner.errors import MissingDependencyError
    from xlner.methods import parse_methods
    from xlner.serve.config import ServeConfig
    from xlner.serve.service import Service, serve_stage_config
    from xlner.web.runview import RunFolder

    try:
        import uvicorn

        from xlner.serve.app import create_app
    except ImportError as e:
        raise MissingDependencyError(e.name or "fastapi", "serve", "xlner serve") from None
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
    run = RunFolder(args.run, args.data_dir) if args.run else None
    service = Service.build(stages, methods, langs, cfg.max_words)
    app = create_app(service, cfg, run)
    print(
        f"xlner serve: http://{args.host}:{args.port}/ (API: /v1/tag, docs: /docs)",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn drains on SIGTERM, then raises the signal again for the handler it found:
    # a no-op one, so that a drained server exits 0
    signal.signal(signal.SIGTERM, lambda *_: None)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=int(cfg.drain_seconds) or None,
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    print("xlner serve: stopped (in-flight requests answered)", file=sys.stderr)
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
