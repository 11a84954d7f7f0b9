"""A class of sessions: no student's session compiles ndarray, plotters or
the lens, however many start together; when the prebuilt libraries cannot
be used, the first cell says why; a full disk is named in the cell and
loses nothing.

The rustc engine links the libraries `ndlens install` prebuilt where they
lie; the evcxr engine seeds each session's build slot with a copy of its
own prebuilt crate, which the tests marked `evcxr` check."""

import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import BINARY, ENGINES, TEST_PREFIX, TESTED_ENGINES, Session

KERNEL_DIR = TEST_PREFIX / "share/jupyter/kernels/ndlens"
EVCXR_KERNEL_DIR = TEST_PREFIX / "share/jupyter/kernels/ndlens-evcxr"
FIRST_CELL = "let a = Array2::<f64>::zeros((100, 100)); a.sum()"
evcxr_only = pytest.mark.skipif("evcxr" not in TESTED_ENGINES, reason="the evcxr engine is not under test")


def compiled_since(cache, moment):
    """The libraries (not the cells) compiled under `cache` since `moment`."""
    return sorted(
        path.name
        for pattern in ("**/*.rlib", "**/*.rmeta")
        for path in cache.glob(pattern)
        if path.stat().st_mtime > moment and not path.name.startswith(("libctx", "libndlens_paths"))
    )


def stderr_of(messages):
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")


@pytest.mark.parametrize("kernel_name", [ENGINES[e] for e in TESTED_ENGINES])
def test_new_students_sessions_started_together_compile_no_dependency(tmp_path, monkeypatch, kernel_name):
    # Two students who never ran the kernel, each with their own cache and
    # their own cargo home, as on a hub.
    started = time.time()
    sessions = []
    for student in ("ada", "grace"):
        monkeypatch.setenv("NDLENS_CACHE_DIR", str(tmp_path / student / "cache"))
        monkeypatch.setenv("CARGO_HOME", str(tmp_path / student / "cargo"))
        sessions.append(Session(kernel_name=kernel_name))
    try:
        for session in sessions:
            assert session.result(FIRST_CELL)["text/plain"] == "0.0"
        for student in ("ada", "grace"):
            assert compiled_since(tmp_path / student, started) == []
    finally:
        for session in sessions:
            session.close()


def test_a_rustc_session_keeps_only_its_cells(tmp_path, monkeypatch):
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(tmp_path))
    session = Session()
    try:
        for n in range(5):
            session.ok(f"let v{n} = Array1::<f64>::zeros({n + 1});")
    finally:
        session.close()
    # The cells' libraries are deleted once loaded; a source or two remains.
    files = [p for p in (tmp_path / "sessions/0").rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix == ".so"], files
    assert sum(p.stat().st_size for p in files) < 1 << 20, files


@evcxr_only
def test_an_evcxr_slot_is_seeded_once_and_reused_by_the_next_session(tmp_path, monkeypatch):
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(tmp_path))
    first = Session(kernel_name=ENGINES["evcxr"])
    try:
        first.ok("let kept = 1;")
        assert (tmp_path / "sessions/0/crate/.ndlens-prebuilt").exists()
    finally:
        first.close()
    marker = tmp_path / "sessions/0/crate/target/left-by-the-first-session"
    marker.write_text("")
    second = Session(kernel_name=ENGINES["evcxr"])
    try:
        assert second.result("1 + 1")["text/plain"] == "2"
    finally:
        second.close()
    assert marker.exists(), "a current slot is not copied over again"


def install_copy(prefix, *engine):
    """The kernel installed into `prefix` without prebuilt libraries."""
    binary = BINARY if not engine else BINARY.parent.parent / "evcxr" / "release" / "ndlens"
    subprocess.run([str(binary), "install", "--prefix", str(prefix), "--no-prebuilt", *engine], check=True, capture_output=True)


@pytest.mark.parametrize("engine", TESTED_ENGINES)
def test_unreadable_prebuilt_libraries_are_named_and_the_session_builds_its_own(tmp_path, monkeypatch, engine):
    prefix = tmp_path / "prefix"
    install_copy(prefix, *(["--engine", "evcxr"] if engine == "evcxr" else []))
    kernel_dir = prefix / "share/jupyter/kernels" / ENGINES[engine]
    installed = KERNEL_DIR if engine == "rustc" else EVCXR_KERNEL_DIR
    template = "libraries" if engine == "rustc" else "crate"
    # A template whose sources cannot be read (root reads any file, so the
    # folder is not a folder).
    shutil.copytree(installed / "prebuilt" / template, kernel_dir / "prebuilt" / template, symlinks=True)
    (kernel_dir / "prebuilt/vendor").write_text("not a folder")
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share/jupyter"))
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(tmp_path / "cache"))
    session = Session(kernel_name=ENGINES[engine])
    try:
        reply, messages = session.run(FIRST_CELL)
        assert reply["content"]["status"] == "ok"
        told = stderr_of(messages)
        assert "the prebuilt session libraries cannot be read" in told, told
        assert str(kernel_dir / "prebuilt/vendor") in told
        assert "this session builds ndarray and ndlens itself" in told
        # Said once, with the first cell only.
        _, later = session.run("1 + 1")
        assert "prebuilt" not in stderr_of(later)
    finally:
        session.close()


def test_a_warmed_notebook_compiles_nothing_for_a_new_student(tmp_path, monkeypatch):
    prefix = tmp_path / "prefix"
    subprocess.run([str(BINARY), "install", "--prefix", str(prefix), "--no-warm"], check=True, capture_output=True)
    cells = [
        "let shape = (3, 4);\nlet grid = Array2::<f64>::zeros(shape);",
        "let seen = grid.t();\n%layout grid, seen",
        "#[derive(Debug)] struct Marker { at: usize }\nlet marker = Marker { at: aid(&grid) % 8 };\nmarker.at",
        "%timeit -n 10 -r 2 grid.sum()",
    ]
    notebook = tmp_path / "class.ipynb"
    notebook.write_text(json.dumps({
        # A last cell that does not compile: the ones before it are kept.
        "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
                  for c in [*cells, "let broken: u8 = \"text\";"]],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }))
    warmed = subprocess.run([str(BINARY), "warm", "--prefix", str(prefix), str(notebook)], capture_output=True, text=True)
    assert warmed.returncode == 0, warmed.stderr
    assert "5 of 5 cells, 1 failed" in warmed.stdout, warmed.stdout
    assert "cell 5 of" in warmed.stderr and "(let broken: u8" in warmed.stderr, warmed.stderr
    # A student who never ran the kernel.
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share/jupyter"))
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(tmp_path / "student"))
    session = Session()
    try:
        for cell in cells:
            reply, _ = session.run(cell)
            assert reply["content"]["status"] == "ok", (cell, reply["content"])
            assert reply["metadata"]["ndlens"]["compilations"] == 0, cell
        assert session.text("marker.at") == "0"
        # A cell of their own is compiled as always.
        reply, _ = session.run("grid.len() + 1")
        assert reply["metadata"]["ndlens"]["compilations"] == 1
    finally:
        session.close()


@pytest.fixture
def small_disk(tmp_path):
    """A file system of 16 MiB of the test's own."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16M", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder):
    """Fills the file system of `folder`; returns the file that does."""
    filler = folder / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "count=64"], capture_output=True)
    return filler


def test_a_full_disk_is_named_in_the_cell_and_nothing_is_lost(small_disk, monkeypatch):
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(small_disk))
    session = Session()
    try:
        session.ok("let before_the_disk_filled = Array1::<f64>::ones(3);")
        filler = fill(small_disk)
        reply, _ = session.run("before_the_disk_filled.sum()")
        assert reply["content"]["status"] == "error"
        assert "No space left on device" in reply["content"]["evalue"], reply["content"]["evalue"]
        # With room again, the variable is still there.
        filler.unlink()
        assert session.text("before_the_disk_filled.sum()") == "3.0"
    finally:
        session.close()


@evcxr_only
def test_a_full_disk_is_named_when_evcxr_seeds_its_slot(small_disk, monkeypatch):
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(small_disk))
    session = Session(kernel_name=ENGINES["evcxr"])
    try:
        reply, messages = session.run(FIRST_CELL)
        assert reply["content"]["status"] == "error"
        error = reply["content"]["evalue"]
        assert "copying the prebuilt session libraries failed" in error, error
        assert "No space left on device" in error, error
        # The kernel answers, with the same explanation, rather than dying.
        again, _ = session.run("1 + 1")
        assert again["content"]["status"] == "error"
        assert "No space left on device" in again["content"]["evalue"]
    finally:
        session.close()


def test_a_killed_kernels_slot_is_taken_by_the_next_session(tmp_path, monkeypatch):
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(tmp_path))
    killed = Session()
    killed.ok("let lost = 1;")
    killed.manager.shutdown_kernel(now=True)
    killed.client.stop_channels()
    time.sleep(1)
    # The lock died with the process: the next kernel takes slot 0.
    session = Session()
    try:
        assert session.result(FIRST_CELL)["text/plain"] == "0.0"
        slots = sorted(p.name for p in (tmp_path / "sessions").iterdir() if p.is_dir())
        assert slots == ["0"], slots
    finally:
        session.close()
