"""The bench JSON's one reader and writer: typed sections, the schema version inside, a
one-line error on a file of another version or shape, the rest of the file kept as read."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from xlner.bench.schema import SCHEMA_VERSION, bench_from_json, read_bench, write_bench
from xlner.errors import XlnerError
from xlner.plan import EXAMPLES


def _shipped(name: str) -> dict[str, Any]:
    text = resources.files("xlner.resources").joinpath(EXAMPLES[name]).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_shipped_files_have_no_version_and_read_as_version_1() -> None:
    data = _shipped("cpu-2core-offline")
    assert "schema_version" not in data
    bench = bench_from_json(data)
    assert bench.schema_version == 1 == SCHEMA_VERSION
    rows = data["cost_points"]["rows"]
    assert [r.sentences_per_language for r in bench.cost_points.rows] == [
        r["sentences_per_language"] for r in rows
    ]
    assert bench.machine.cores == data["machine"]["cores"]
    assert bench.validation is not None
    assert bench.validation.to_json() == data["validation"]


def test_writer_puts_the_version_inside_and_keeps_the_rest(tmp_path: Path) -> None:
    data = _shipped("cpu-2core-langs")
    path = tmp_path / "bench.json"
    written = write_bench(path, data)
    back = json.loads(path.read_text(encoding="utf-8"))
    assert back["schema_version"] == SCHEMA_VERSION
    assert {k: v for k, v in back.items() if k != "schema_version"} == data
    assert read_bench(path.read_text(encoding="utf-8"), str(path)) == written


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema_version": 2}, "schema version 2, this xlner reads version 1"),
        ({"cost_points": {"rows": []}}, "bench.cost_points has no 'methods'"),
        ({"machine": {"cores": "two"}}, 'bench.machine.cores is "two", not int'),
    ],
)
def test_a_file_of_another_version_or_shape_is_one_line(
    change: dict[str, Any], message: str
) -> None:
    data = {**_shipped("cpu-2core-offline"), **change}
    with pytest.raises(XlnerError, match=r"x\.json: ") as e:
        bench_from_json(data, "x.json")
    assert message in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(XlnerError, match="no 'cost_points'"):
        bench_from_json({"methods": {}}, "x.json")
