"""Benchmarks: projection throughput, and the cost of each transfer pipeline per stage."""
