"""A class of sessions: every new session's build slot is seeded from the
libraries `ndlens install` prebuilt, so that no student's session compiles
ndarray, plotters or the lens; and when the prebuilt libraries cannot be
used, the first cell says why."""

import os
import shutil
import subprocess
import time

import pytest

from conftest import BINARY, TEST_PREFIX, Session

KERNEL_DIR = TEST_PREFIX / "share/jupyter/kernels/ndlens"
FIRST_CELL = "let a = Array2::<f64>::zeros((100, 100)); a.sum()"


def compiled_since(cache, moment):
    """The dependencies (not the cells' own crate) compiled into the slots
    under `cache` since `moment`."""
    return sorted(
        path.name
        for path in cache.glob("sessions/*/crate/target/**/deps/*.rlib")
        if path.stat().st_mtime > moment and not path.name.startswith("libctx")
    )


def stderr_of(messages):
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")


def test_new_students_sessions_started_together_compile_no_dependency(tmp_path, monkeypatch):
    # Two students who never ran the kernel, each with their own cache and
    # their own cargo home, as on a hub.
    started = time.time()
    sessions = []
    for student in ("ada", "grace"):
        monkeypatch.setenv("NDLENS_CACHE_DIR", str(tmp_path / student / "cache"))
        monkeypatch.setenv("CARGO_HOME", str(tmp_path / student / "cargo"))
        sessions.append(Session())
    try:
        for session in sessions:
            assert session.result(FIRST_CELL)["text/plain"] == "0.0"
        for student in ("ada", "grace"):
            cache = tmp_path / student / "cache"
            assert (cache / "sessions/0/crate/.ndlens-prebuilt").exists()
            assert compiled_since(cache, started) == []
    finally:
        for session in sessions:
            session.close()


def test_a_slot_is_seeded_once_and_reused_by_the_next_session(tmp_path, monkeypatch):
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(tmp_path))
    first = Session()
    try:
        first.ok("let kept = 1;")
    finally:
        first.close()
    marker = tmp_path / "sessions/0/crate/target/left-by-the-first-session"
    marker.write_text("")
    second = Session()
    try:
        assert second.result("1 + 1")["text/plain"] == "2"
    finally:
        second.close()
    assert marker.exists(), "a current slot is not copied over again"


def install_copy(prefix):
    """The kernel installed into `prefix` without prebuilt libraries."""
    subprocess.run([str(BINARY), "install", "--prefix", str(prefix), "--no-warm"], check=True, capture_output=True)
    return prefix / "share/jupyter/kernels/ndlens"


def test_unreadable_prebuilt_libraries_are_named_and_the_session_builds_its_own(tmp_path, monkeypatch):
    kernel_dir = install_copy(tmp_path / "prefix")
    # A template whose sources cannot be read (root reads any file, so the
    # folder is not a folder).
    shutil.copytree(KERNEL_DIR / "prebuilt/crate", kernel_dir / "prebuilt/crate", symlinks=True)
    (kernel_dir / "prebuilt/vendor").write_text("not a folder")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "prefix/share/jupyter"))
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(tmp_path / "cache"))
    session = Session()
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


@pytest.fixture
def full_disk(tmp_path):
    """A file system of 16 MiB, too small for a session's libraries."""
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16M", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_is_named_in_the_cell_and_the_kernel_stays_up(full_disk, monkeypatch):
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(full_disk))
    session = Session()
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
    # The lock died with the process: the next kernel takes slot 0, already
    # seeded, rather than seeding a new one.
    session = Session()
    try:
        assert session.result(FIRST_CELL)["text/plain"] == "0.0"
        slots = sorted(p.name for p in (tmp_path / "sessions").iterdir() if p.is_dir())
        assert slots == ["0"], slots
    finally:
        session.close()
