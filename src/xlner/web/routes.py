"""The web routes: ``/`` and its static files, and the run browser's read-only JSON API
(``/v1/run``, ``/v1/run/units/<lang>/<method>``, ``/v1/run/lost/<lang>/<method>``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from xlner.web.runview import NotFound, RunFolder

STATIC = Path(__file__).parent / "static"
#: The files served, by name: nothing else under static/ (or anywhere) is reachable.
FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
#: No script, style or image from anywhere but this server; no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def _not_found(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, 404)


def _static(name: str) -> Response:
    return Response(
        (STATIC / name).read_bytes(),
        media_type=FILES[name],
        headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"},
    )


def add_web(app: FastAPI, run: RunFolder | None, tagging: bool) -> None:
    """The page at ``/`` (tagging when the app tags, the run browser when ``run`` is given)."""
    app.state.web = {"tagging": tagging, "run": run is not None}

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return _static("index.html")

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        return _static(name) if name in FILES else _not_found(f"no file {name}")

    @app.get("/v1/web")
    async def web() -> dict[str, Any]:
        """What the page can show: tagging, a run."""
        return dict(app.state.web)

    if run is None:
        return

    @app.get("/v1/run")
    async def run_results() -> Any:
        """The run's signature, results tables and per-unit numbers."""
        return run.results()

    @app.get("/v1/run/units/{lang}/{method}")
    def run_unit(lang: str, method: str, kind: str = "all", offset: int = 0) -> Any:
        """One language x method: sentences with gold against prediction (``kind``: all,
        errors, missed, spurious, wrong_type), the confidence curve and reliability."""
        try:
            return run.sentences(lang, method, kind, max(offset, 0))
        except NotFound as e:
            return _not_found(str(e))

    @app.get("/v1/run/lost/{lang}/{method}")
    def run_lost(lang: str, method: str) -> Any:
        """The lost entities of one language x method, with sentence, translation, reason."""
        try:
            return run.lost(lang, method)
        except NotFound as e:
            return _not_found(str(e))


def create_view_app(run: RunFolder) -> FastAPI:
    """``xlner view``: the run browser alone, no model loaded."""
    from xlner.serve.app import _handlers

    app = FastAPI(title="xlner view", summary="A run's results, read-only.")
    _handlers(app)
    add_web(app, run, tagging=False)
    return app
