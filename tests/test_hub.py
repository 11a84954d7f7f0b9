"""A small class on a real JupyterHub (JupyterHub from PyPI, its proxy from
npm): each student starts a server through the hub's REST API, opens an
ndlens kernel through it and runs the whole recipe notebook over the
kernel's websocket. `bench/hub_class.py --students 20` is the full class."""

import asyncio
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import hub_class  # noqa: E402

STUDENTS = 3


def test_a_class_on_a_hub_runs_the_recipe_without_a_failed_cell_or_a_compiled_dependency(tmp_path):
    figures = asyncio.run(hub_class.run_class(STUDENTS, tmp_path))
    assert figures["errors"] == [], (tmp_path / "hub.log").read_text()[-3000:]
    assert figures["failed cells"] == []
    assert len(figures["first cell"]) == STUDENTS
    assert figures["compiled"] == [], "sessions seed from the prebuilt libraries"
    assert figures["peak kernel PSS"] > 0
