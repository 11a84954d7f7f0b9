"""Shared fixtures: the paths of the built binaries the tests drive."""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def lens_oracle():
    """The `lens_oracle` example, built once per run."""
    subprocess.run(["cargo", "build", "--quiet", "--example", "lens_oracle"], cwd=ROOT, check=True)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str(target / "debug" / "examples" / "lens_oracle")
