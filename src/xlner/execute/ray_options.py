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
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    memory: float | None = None  # bytes

    def remote_args(self) -> dict[str, Any]:
        out: dict[str, Any] = {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus}
        if self.memory:
            out["memory"] = self.memory
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
        """``--ray-stage translator:num_gpus=1,workers=2`` (repeatable)."""
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
                if key not in _KEYS or not eq:
                    raise XlnerError(
                        f"--ray-stage {item!r}: unknown setting {kv!r}; use {', '.join(_KEYS)}"
                    )
                try:
                    setattr(pools[name], key, _KEYS[key](value))
                except ValueError:
                    raise XlnerError(f"--ray-stage {item!r}: {key} must be a number") from None
        return cls(address or None, pools)
