"""``xlner serve --executor ray``: the same server on Ray Serve, one deployment per stage pool.

* **Stage pools.** A method's steps are grouped by the pool of their backend exactly as the
  batch Ray executor groups them (:func:`xlner.execute.ray.pools`: ``translator``,
  ``tagger``, ``aligner``, ``project``); each pool a served method uses is one deployment
  (``xlner-translator``, ...) whose replicas build the :class:`~xlner.serve.service.Service`
  once and load their pool's models. A replica runs one batch at a time
  (``max_ongoing_requests=1``) through its steps with
  :meth:`~xlner.serve.service.Service.run_steps` — the same call, the same
  :func:`~xlner.execute.base.run_steps`, as the local server's worker thread. Replicas are
  fixed (``--replicas``, or ``--ray-stage POOL:workers=N``) or autoscaled
  (``--min-replicas``/``--max-replicas``, ``--target-ongoing`` batches per replica).
* **Ingress.** The ``xlner-ingress`` deployment serves the very app of
  :func:`xlner.serve.app.create_app` behind Ray's HTTP proxy (``@serve.ingress``, the app
  built in the replica): the same routes, validation, errors, limits and metrics, and the
  same :class:`~xlner.serve.batcher.MicroBatcher` coalescing requests into one batch per
  language and method (``--max-batch``, ``--max-wait-ms``) and answering ``503`` past
  ``--max-queue``. Only what runs a batch differs: :class:`PoolChain` hands it from pool
  deployment to pool deployment (one handle call per pool), as many batches at once as the
  pools have replicas, where the local server runs one in its worker thread.
* Answers are the local server's, timings aside (the test says so); a backend that raises
  fails that request with the backend's own message (Ray's wrapper is taken off).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlner.batch import Batch
from xlner.data import Sentence
from xlner.errors import MissingDependencyError
from xlner.execute.ray import POOL_OF, connect, pools
from xlner.execute.ray_options import POOLS
from xlner.methods import Method
from xlner.serve.config import RayServeConfig, ServeConfig
from xlner.serve.service import Key, Service
from xlner.stages import StageConfig, Stages
from xlner.steps import ROLE_ORDER, BackendRole

APP_NAME = "xlner"
INGRESS = "xlner-ingress"


def _serve() -> Any:
    try:
        import ray
        from ray import serve
    except ImportError:
        raise MissingDependencyError("ray[serve]", "ray", "xlner serve --executor ray") from None
    return ray, serve


@dataclass(frozen=True)
class ServeSpec:
    """What every replica rebuilds its :class:`Service` from (picklable)."""

    stages: StageConfig
    methods: tuple[str, ...]
    langs: tuple[str, ...] | None
    serve: ServeConfig
    run_dir: str | None = None  # the run browser's folder (``--run``), read by the ingress
    data_dir: str | None = None

    def service(self) -> Service:
        methods = [Method.parse(m) for m in self.methods]
        langs = list(self.langs) if self.langs is not None else None
        return Service.build(self.stages, methods, langs, self.serve.max_words, load=False)

    @staticmethod
    def groups(service: Service) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        """Per method, its steps grouped by pool, in order."""
        return {name: pools(steps) for name, steps in service.steps.items()}

    @classmethod
    def pools_used(cls, service: Service) -> list[str]:
        used = {p for groups in cls.groups(service).values() for p, _ in groups}
        return [p for p in POOLS if p in used]

    @staticmethod
    def roles(service: Service, pool: str) -> list[BackendRole]:
        """The roles whose models a pool's replicas load."""
        roles = {r for plan in service.plans.values() for r in plan.roles()}
        return [r for r in ROLE_ORDER if r in roles and POOL_OF[r] == pool]


class StagePool:
    """A replica of one stage pool's deployment: the service's stages, the pool's models
    loaded at start; ``run`` takes a batch through some steps of one method."""

    def __init__(self, spec: ServeSpec, pool: str) -> None:
        from xlner.bench.experiments import role_load_seconds

        self.pool = pool
        self.service = spec.service()
        role_load_seconds(_stages(self.service), ServeSpec.roles(self.service, pool))

    def run(self, method: str, steps: Sequence[str], min_score: float, batch: Batch) -> Batch:
        return self.service.run_steps(batch, method, min_score, steps)


def _stages(service: Service) -> Stages:
    assert isinstance(service.stages, Stages)  # Service.build builds them
    return service.stages


def _cause(e: BaseException) -> BaseException:
    """The backend's own exception inside Ray's wrapper (its message is the answer's)."""
    from ray.exceptions import RayTaskError

    cause = getattr(e, "cause", None) if isinstance(e, RayTaskError) else None
    return cause if isinstance(cause, BaseException) else e


class PoolChain:
    """Runs a batch through its method's pools, one deployment handle call per pool."""

    def __init__(self, service: Service, handles: dict[str, Any]) -> None:
        self.service, self.handles = service, handles
        self.groups = ServeSpec.groups(service)

    async def run(self, key: Key, sentences: list[Sentence]) -> Batch:
        _, method, min_score = key
        batch = self.service.batch(key, sentences)
        for pool, steps in self.groups[method]:
            try:
                batch = await self.handles[pool].run.remote(method, steps, min_score, batch)
            except Exception as e:
                raise _cause(e) from None
        return batch


class Ingress:
    """The ingress replica: :func:`xlner.serve.app.create_app`'s app over :class:`PoolChain`
    (built in the replica, after the pools' handles are known)."""

    def __init__(self, spec: ServeSpec, handles: dict[str, Any], concurrency: int) -> None:
        self.spec, self.handles, self.concurrency = spec, handles, concurrency

    def __serve_build_asgi_app__(self) -> Any:
        from xlner.serve.app import create_app
        from xlner.web.runview import RunFolder

        service = self.spec.service()
        chain = PoolChain(service, self.handles)
        spec = self.spec
        run = RunFolder(Path(spec.run_dir), spec.data_dir) if spec.run_dir else None
        return create_app(service, self.spec.serve, run, chain.run, self.concurrency)


def application(spec: ServeSpec, options: RayServeConfig, cluster_cpus: float) -> Any:
    """The Ray Serve application: one deployment per stage pool the methods use, and the
    ingress bound to their handles. A replica's CPUs, unless ``--ray-stage`` sets them:
    the cluster's shared by every replica there may be (at most 1 each)."""
    _, serve = _serve()
    service = spec.service()
    used = ServeSpec.pools_used(service)
    most = {p: options.most_replicas(p) for p in used}
    replicas = sum(most.values()) + options.ingress_replicas
    cpus = min(1.0, cluster_cpus / max(1, replicas))
    drain = spec.serve.drain_seconds
    handles = {
        pool: serve.deployment(StagePool)
        .options(
            name=f"xlner-{pool}",
            graceful_shutdown_timeout_s=drain,
            **options.deployment_options(pool, cpus),
        )
        .bind(spec, pool)
        for pool in used
    }
    concurrency = max(1, sum(most.values()))  # batches in flight: one per replica there may be
    ingress = serve.deployment(serve.ingress()(Ingress)).options(
        name=INGRESS,
        num_replicas=options.ingress_replicas,
        ray_actor_options={"num_cpus": cpus},
        # every admitted request may be in flight at once (each holds a sentence at least)
        max_ongoing_requests=spec.serve.max_queue + concurrency * spec.serve.max_batch + 16,
        graceful_shutdown_timeout_s=drain,
    )
    return ingress.bind(spec, handles, concurrency)


def start(spec: ServeSpec, options: RayServeConfig, host: str, port: int) -> bool:
    """Connect to (or start) Ray, start Serve's HTTP proxy on ``host:port`` and deploy the
    application; whether this call started Ray (see :func:`stop`)."""
    from xlner.cli.serve import KEEP_ALIVE_S

    ray, serve = _serve()
    service = spec.service()  # refuses what cannot be served before Ray starts
    roles = [r for p in ServeSpec.pools_used(service) for r in ServeSpec.roles(service, p)]
    _stages(service).prepare(roles)  # build local models here, once, not in every replica
    started = connect(ray, options.address)
    try:
        quiet = {"log_level": "WARNING", "enable_access_log": False}
        serve.start(
            http_options={"host": host, "port": port, "keep_alive_timeout_s": KEEP_ALIVE_S},
            logging_config=quiet,
        )
        logging.getLogger("ray.serve").setLevel(logging.WARNING)
        app = application(spec, options, float(ray.cluster_resources().get("CPU", 1.0)))
        serve.run(app, name=APP_NAME, route_prefix="/", logging_config=quiet)
    except BaseException:
        stop(started)
        raise
    return started


def stop(started: bool) -> None:
    """Take the application down (in-flight requests finish, up to ``drain_seconds``); stop
    Serve and Ray too when :func:`start` started Ray, else leave the cluster's Serve be."""
    ray, serve = _serve()
    if not ray.is_initialized():
        return
    if started:
        serve.shutdown()
        ray.shutdown()
    else:
        serve.delete(APP_NAME)


def check_ray_serve() -> None:
    """Ray Serve is installed and builds an ingress's app in its replica (``serve.ingress()``
    without an app, as Ray 2.60 does); else a one-line error."""
    import inspect

    from xlner.errors import XlnerError

    _, serve = _serve()
    if inspect.signature(serve.ingress).parameters["app"].default is inspect.Parameter.empty:
        raise XlnerError(
            "xlner serve --executor ray needs a newer Ray Serve (one whose serve.ingress() "
            "takes no app; Ray 2.60 does): pip install -U 'xlner[ray]'"
        )
