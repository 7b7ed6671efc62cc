"""Options of the Ray executor, parsed without importing Ray (``xlner --help`` stays fast)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xlner.errors import XlnerError

#: The actor pools of a Ray run; each step runs in the pool of its backend's kind.
POOLS = ("translator", "tagger", "aligner", "project")
_KEYS = {"num_cpus": float, "num_gpus": float, "workers": int, "memory": float}


@dataclass
class PoolOptions:
    workers: int = 1  # actors in the pool
    num_cpus: float | None = None  # None: the cluster's CPUs shared by the run's pools
    num_gpus: float = 0.0
    memory: float | None = None  # bytes
    resources: dict[str, float] = field(default_factory=dict)  # custom Ray resources

    def remote_args(self, default_cpus: float = 1.0) -> dict[str, Any]:
        cpus = default_cpus if self.num_cpus is None else self.num_cpus
        out: dict[str, Any] = {"num_cpus": cpus, "num_gpus": self.num_gpus}
        if self.memory:
            out["memory"] = self.memory
        if self.resources:
            out["resources"] = dict(self.resources)
        return out


@dataclass
class RayOptions:
    address: str | None = None  # None: start a local instance
    pools: dict[str, PoolOptions] = field(default_factory=dict)
    max_in_flight: int | None = None  # chunks in flight per pool (None: Ray Data's default)

    def pool(self, name: str) -> PoolOptions:
        return self.pools.get(name, PoolOptions())

    @classmethod
    def parse(cls, address: str | None, workers: int, stages: list[str]) -> RayOptions:
        """``--ray-stage translator:num_gpus=1,workers=2`` (repeatable); any other key is a
        custom Ray resource (``translator:gpu_node=1``)."""
        pools = {p: PoolOptions(workers=workers) for p in POOLS}
        for item in stages:
            name, sep, rest = item.partition(":")
            if name not in POOLS or not sep:
                raise XlnerError(
                    f"--ray-stage {item!r}: expected POOL:KEY=VALUE,.. with POOL one of "
                    f"{', '.join(POOLS)}"
                )
            for kv in rest.split(","):
                key, eq, value = kv.partition("=")
                key = key.strip()
                if not key or not eq:
                    raise XlnerError(
                        f"--ray-stage {item!r}: expected KEY=VALUE, got {kv!r} (keys: "
                        f"{', '.join(_KEYS)} or a custom resource name)"
                    )
                try:
                    if key in _KEYS:
                        setattr(pools[name], key, _KEYS[key](value))
                    else:
                        pools[name].resources[key] = float(value)
                except ValueError:
                    raise XlnerError(f"--ray-stage {item!r}: {key} must be a number") from None
        return cls(address or None, pools)
