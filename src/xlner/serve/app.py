"""The HTTP layer (FastAPI): routes, request and response models, errors as one-line JSON.

``POST /v1/tag`` takes one document or a list; ``GET /v1/health``, ``GET /v1/info``,
``GET /metrics`` (Prometheus text); OpenAPI at ``/docs``; the web page at ``/``
(:mod:`xlner.web`). Every refusal is ``{"error": "<one line>"}`` with a 4xx status: 400
malformed JSON, unknown language or method; 413 a body, document list or document too large;
422 a document that does not match the schema or has no words; 503 with ``Retry-After`` when
the queue is full.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xlner.batch import Batch
from xlner.data import Sentence
from xlner.errors import XlnerError
from xlner.execute.base import Backends
from xlner.serve.batcher import MicroBatcher, Overloaded
from xlner.serve.chain import StageChain
from xlner.serve.config import ServeConfig
from xlner.serve.metrics import Metrics
from xlner.serve.service import Key, RequestError, Service
from xlner.web.routes import add_web
from xlner.web.runview import RunFolder

# --------------------------------------------------------------------------- models


class DocumentIn(BaseModel):
    """One document: ``text`` (one sentence per line, tokenised as ``xlner tag`` does) or
    ``tokens`` (one pre-tokenised sentence)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"lang": "es", "text": "Juan vive en Madrid."}]},
    )
    lang: str = Field(min_length=1, max_length=32, description="ISO code of the text's language")
    text: str | None = Field(None, description="one sentence per line")
    tokens: list[str] | None = Field(None, description="one sentence, already split into words")
    method: str | None = Field(None, description="a served method (default: the first)")
    min_score: float = Field(0.0, ge=0.0, le=1.0, description="drop entities below this score")


class EntityOut(BaseModel):
    start: int = Field(description="first word")
    end: int = Field(description="one past the last word")
    label: str
    score: float | None
    text: str
    char_start: int | None = Field(None, description="character offset in the document")
    char_end: int | None = None


class LostOut(EntityOut):
    entity: int = Field(description="index of the English entity that was not projected")
    reason: str


class SentenceOut(BaseModel):
    tokens: list[str]
    offsets: list[tuple[int, int]] | None = Field(description="each token's characters")
    entities: list[EntityOut]
    translation: str | None = Field(None, description="projection: the English translation")
    translation_tokens: list[str] | None = None
    translation_entities: list[EntityOut] | None = None
    links: list[tuple[int, int]] | None = Field(
        None, description="(English word, target word) links (+bt: back-translation words)"
    )
    lost: list[LostOut] | None = Field(None, description="English entities not projected")


class DocumentOut(BaseModel):
    lang: str
    method: str
    text: str | None
    sentences: list[SentenceOut]
    seconds: dict[str, float] = Field(description="seconds per stage of the batches it rode in")
    wall_seconds: float = Field(description="from admission to answer, queue included")
    batch_sentences: list[int] = Field(description="size of each batch it rode in")
    signature: str


class BackendFailed(Exception):
    """A backend raised on a request: that request is answered ``500``, the server goes on."""


class Error(BaseModel):
    error: str


# --------------------------------------------------------------------------- middleware


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": " ".join(message.split())}, status, headers=headers)


class BodyLimit:
    """Read a request body up to ``max_bytes`` (else ``413`` at once) and hand it on."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        too_big = _error(413, f"request body over {self.max_bytes} bytes")
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if length.isdigit() and int(length) > self.max_bytes:
            await too_big(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunks.append(msg.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await too_big(scope, receive, send)
                return
            more = msg.get("more_body", False)
        body: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

        async def replay() -> Message:
            return body.pop() if body else await receive()

        await self.app(scope, replay, send)


class CountRequests:
    """Every ``/v1/tag`` answer into the metrics: status and latency."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/tag":
            await self.app(scope, receive, send)
            return
        start, status = time.monotonic(), [500]

        async def sending(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                status[0] = msg["status"]
            await send(msg)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.request(status[0], time.monotonic() - start)


# --------------------------------------------------------------------------- the app


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    errors = exc.errors()
    first: dict[str, Any] = dict(errors[0]) if errors else {"msg": "invalid request"}
    if first.get("type") == "json_invalid":
        ctx: dict[str, Any] = first.get("ctx") or {}
        return 400, f"malformed JSON: {ctx.get('error', first['msg'])}"
    where = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return 422, f"{where + ': ' if where else ''}{first['msg']}{more}"


def create_app(
    service: Service,
    cfg: ServeConfig,
    run: RunFolder | None = None,
    run_batch: Callable[[Key, list[Sentence]], Awaitable[Batch]] | None = None,
    concurrency: int = 1,
    replicas: Sequence[Backends] = (),
) -> FastAPI:
    """The app of one process: ``service``'s stages behind one :class:`MicroBatcher`, the web
    page at ``/`` (with the run browser over ``run`` when given). Batches run through the
    stage pipeline of :class:`~xlner.serve.chain.StageChain`, or through ``run_batch`` (Ray
    Serve: the stage deployments, ``concurrency`` batches at once); ``replicas``: more sets of
    the models for the stage pipeline (:meth:`Service.replicas`)."""
    metrics = Metrics()
    chain = StageChain(service, replicas) if run_batch is None else None
    batcher: MicroBatcher[Any, Any]
    if chain is not None:  # this process: the stage pipeline, one batch per model at once
        batcher = MicroBatcher(
            chain.run, cfg.max_batch, cfg.max_wait_s, cfg.max_queue, metrics.batch_done,
            chain.depth, pipelined=True, entries=chain.replicas,
        )  # fmt: skip
    else:
        assert run_batch is not None
        batcher = MicroBatcher(
            run_batch, cfg.max_batch, cfg.max_wait_s, cfg.max_queue, metrics.batch_done,
            concurrency,
        )  # fmt: skip

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await batcher.close(cfg.drain_seconds)  # after uvicorn let in-flight requests finish
        if chain is not None:
            chain.close()

    app = FastAPI(
        title="xlner",
        version=service.info()["version"],
        summary="Cross-lingual NER over HTTP: model transfer or translate-test projection.",
        lifespan=lifespan,
    )
    app.state.batcher, app.state.metrics, app.state.service = batcher, metrics, service
    app.state.chain = chain
    app.add_middleware(BodyLimit, max_bytes=cfg.max_body_bytes)
    app.add_middleware(CountRequests, metrics=metrics)
    _handlers(app)
    info = {**service.info(), "limits": asdict(cfg)}
    errors: dict[int | str, dict[str, Any]] = {
        code: {"model": Error} for code in (400, 413, 422, 500, 503)
    }

    @app.post("/v1/tag", response_model=DocumentOut | list[DocumentOut], responses=errors)
    async def tag(body: DocumentIn | list[DocumentIn]) -> Any:
        """Tag one document (answered as an object) or a list (answered as a list)."""
        given = body if isinstance(body, list) else [body]
        if not given:
            raise RequestError(422, "an empty list: give at least one document")
        if len(given) > cfg.max_documents:
            raise RequestError(413, f"{len(given)} documents; at most {cfg.max_documents}")
        docs = [service.document(d.lang, d.method, d.text, d.tokens, d.min_score) for d in given]
        start = time.monotonic()
        try:
            rows = await batcher.submit([(d.key, s) for d in docs for s in d.sentences])
        except (Overloaded, XlnerError):
            raise
        except Exception as e:  # a backend failed on this request: this request fails
            raise BackendFailed(f"the request failed: {type(e).__name__}: {e}") from e
        wall = time.monotonic() - start
        out, at = [], 0
        for d in docs:
            answer = service.answer(d, rows[at : at + len(d.sentences)], wall)
            out.append(answer)
            at += len(d.sentences)
        metrics.add_documents(len(docs))
        # built to DocumentOut's schema (see the tests); returned as is, not validated again
        return JSONResponse(out if isinstance(body, list) else out[0])

    _status_routes(app, batcher, metrics, info)
    add_web(app, run, tagging=True)
    return app


def _status_routes(
    app: FastAPI, batcher: MicroBatcher[Any, Any], metrics: Metrics, info: dict[str, Any]
) -> None:
    @app.get("/v1/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "queue": batcher.waiting, "running": batcher.running}

    @app.get("/v1/info")
    async def get_info() -> dict[str, Any]:
        """Methods, languages, stages and their signatures, version, limits."""
        return info

    @app.get("/metrics", response_class=PlainTextResponse)
    async def get_metrics() -> str:
        return metrics.render(batcher.waiting, batcher.running)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(*_validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestError)
    async def refused(request: Request, exc: RequestError) -> JSONResponse:
        return _error(exc.status, str(exc))

    @app.exception_handler(Overloaded)
    async def overloaded(request: Request, exc: Overloaded) -> JSONResponse:
        return _error(503, str(exc), {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(XlnerError)
    async def xlner_error(request: Request, exc: XlnerError) -> JSONResponse:
        return _error(400, str(exc))

    @app.exception_handler(BackendFailed)
    async def failed(request: Request, exc: BackendFailed) -> JSONResponse:
        return _error(500, str(exc))
