"""``xlner view DIR``: the run browser alone (see :mod:`xlner.cli.serve`)."""

from __future__ import annotations

from xlner.cli.serve import register_view as register
from xlner.cli.serve import view_main as main

__all__ = ["main", "register"]
