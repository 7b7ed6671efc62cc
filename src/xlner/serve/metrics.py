"""``GET /metrics``: Prometheus text exposition, written by hand (no client library): requests
by status, request latency and batch size histograms, queue depth."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Histogram:
    def __init__(self, name: str, help: str, buckets: Sequence[float]) -> None:
        self.name, self.help, self.buckets = name, help, tuple(buckets)
        self.counts = [0] * len(self.buckets)
        self.count = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        for i, b in enumerate(self.buckets):
            if value <= b:
                self.counts[i] += 1
        self.count += 1
        self.sum += value

    def render(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for b, n in zip(self.buckets, self.counts):
            out.append(f'{self.name}_bucket{{le="{b:g}"}} {n}')
        out.append(f'{self.name}_bucket{{le="+Inf"}} {self.count}')
        out += [f"{self.name}_sum {self.sum:.6f}", f"{self.name}_count {self.count}"]
        return out


class Metrics:
    """Counters of one server process (updated from the event loop and the worker thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()  # status code -> requests to /v1/tag
        self.documents = 0
        self.latency = Histogram(
            "xlner_request_seconds", "Latency of /v1/tag requests.", LATENCY_BUCKETS
        )
        self.batch = Histogram("xlner_batch_sentences", "Sentences per batch.", BATCH_BUCKETS)
        self.batch_seconds = Histogram("xlner_batch_seconds", "Seconds per batch.", LATENCY_BUCKETS)

    def request(self, status: int, seconds: float, documents: int = 0) -> None:
        with self._lock:
            self.requests[str(status)] += 1
            self.documents += documents
            self.latency.observe(seconds)

    def add_documents(self, n: int) -> None:
        with self._lock:
            self.documents += n

    def batch_done(self, size: int, seconds: float) -> None:
        with self._lock:
            self.batch.observe(size)
            self.batch_seconds.observe(seconds)

    def render(self, waiting: int, running: int) -> str:
        with self._lock:
            lines = [
                "# HELP xlner_requests_total Requests to /v1/tag by HTTP status.",
                "# TYPE xlner_requests_total counter",
            ]
            lines += [
                f'xlner_requests_total{{status="{k}"}} {v}'
                for k, v in sorted(self.requests.items())
            ]
            lines += [
                "# HELP xlner_documents_total Documents answered.",
                "# TYPE xlner_documents_total counter",
                f"xlner_documents_total {self.documents}",
                "# HELP xlner_queue_depth Sentences waiting for a batch.",
                "# TYPE xlner_queue_depth gauge",
                f"xlner_queue_depth {waiting}",
                "# HELP xlner_running_sentences Sentences in the batch running now.",
                "# TYPE xlner_running_sentences gauge",
                f"xlner_running_sentences {running}",
            ]
            for h in (self.latency, self.batch, self.batch_seconds):
                lines += h.render()
        return "\n".join(lines) + "\n"
