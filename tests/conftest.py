"""Shared fixtures: built binaries, and the kernel driven through
jupyter_client as JupyterLab drives it.

Before any test runs, the kernel is built from this checkout and installed
into a prefix of the tests' own, which `JUPYTER_PATH` puts first: the tests
(and the JupyterLab and nbclient they start) can never drive a stale kernel
installed somewhere else. Both engines are built and installed: the default
(`ndlens`, the rustc engine) and evcxr's (`ndlens-evcxr`, built with the
`evcxr` feature into a target folder of its own, so that the two builds do
not undo each other). `NDLENS_TEST_ENGINES=rustc` leaves evcxr out, for a
quick run; the tests that need it are then skipped."""

import os
import pathlib
import queue
import shutil
import subprocess
import time

import jupyter_client
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
KERNEL_NAME = "ndlens"
BINARY = TARGET / "release" / "ndlens"
# Each engine's kernelspec name, and the binary that carries it.
ENGINES = {"rustc": KERNEL_NAME, "evcxr": "ndlens-evcxr"}
EVCXR_BINARY = TARGET / "evcxr" / "release" / "ndlens"
TESTED_ENGINES = [e for e in os.environ.get("NDLENS_TEST_ENGINES", "rustc,evcxr").split(",") if e in ENGINES]
# A fixed prefix, so that the session libraries built for its copy of the
# lens are reused from one run to the next.
TEST_PREFIX = TARGET / "test-kernel"
# A cell may have to wait for the session to finish starting (seconds).
CELL_TIMEOUT = 180


def pytest_configure(config):
    # The kernels' caches (slots, compiled cells) start empty for every run,
    # so that what a test sees never depends on an earlier run.
    cache = TARGET / "test-cache"
    shutil.rmtree(cache, ignore_errors=True)
    os.environ["NDLENS_CACHE_DIR"] = str(cache)
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "ndlens-kernel"], cwd=ROOT, check=True)
    subprocess.run([str(BINARY), "install", "--prefix", str(TEST_PREFIX)], check=True, stdout=subprocess.DEVNULL)
    if "evcxr" in TESTED_ENGINES:
        subprocess.run(
            ["cargo", "build", "--quiet", "--release", "-p", "ndlens-kernel", "--features", "evcxr",
             "--target-dir", str(TARGET / "evcxr")],
            cwd=ROOT, check=True,
        )
        subprocess.run([str(EVCXR_BINARY), "install", "--engine", "evcxr", "--prefix", str(TEST_PREFIX)],
                       check=True, stdout=subprocess.DEVNULL)
    os.environ["JUPYTER_PATH"] = str(TEST_PREFIX / "share" / "jupyter")


def engine_params():
    """pytest parameters for each engine under test, by kernel name."""
    return [pytest.param(ENGINES[e], id=e) for e in TESTED_ENGINES]


def built_version():
    """The version and build id of the kernel binary just built."""
    out = subprocess.run([str(BINARY), "--version"], capture_output=True, text=True, check=True).stdout
    return out.split(" ", 1)[1].strip()


@pytest.fixture(scope="session")
def lens_oracle():
    """The `lens_oracle` example, built once per run."""
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "ndlens", "--example", "lens_oracle"], cwd=ROOT, check=True)
    return str(TARGET / "release" / "examples" / "lens_oracle")


class Session:
    """A running kernel and a client, with helpers to run cells."""

    def __init__(self, kernel_name=KERNEL_NAME, **start_options):
        self.manager = jupyter_client.KernelManager(kernel_name=kernel_name)
        self.manager.start_kernel(**start_options)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code, timeout=CELL_TIMEOUT, **options):
        """Executes `code`; returns (reply, iopub messages for it, in order)."""
        msg_id = self.client.execute(code, **options)
        reply = self.client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.client.get_shell_msg(timeout=timeout)
        messages = []
        deadline = time.monotonic() + timeout
        while True:
            message = self.client.get_iopub_msg(timeout=max(1, deadline - time.monotonic()))
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            messages.append(message)
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return reply, messages

    def ok(self, code, **options):
        """Runs `code`, which must succeed; returns its messages."""
        reply, messages = self.run(code, **options)
        errors = [m["content"] for m in messages if m["msg_type"] == "error"]
        assert reply["content"]["status"] == "ok", (code, errors)
        return messages

    def result(self, code):
        """The data of `code`'s execute_result."""
        results = [m["content"]["data"] for m in self.ok(code) if m["msg_type"] == "execute_result"]
        assert len(results) == 1, (code, results)
        return results[0]

    def text(self, code):
        return self.result(code)["text/plain"]

    def stdout(self, code):
        return "".join(
            m["content"]["text"] for m in self.ok(code)
            if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
        )

    def error(self, code):
        """Runs `code`, which must fail; returns the error content."""
        reply, messages = self.run(code)
        assert reply["content"]["status"] == "error", code
        errors = [m["content"] for m in messages if m["msg_type"] == "error"]
        assert len(errors) == 1, errors
        assert errors[0]["ename"] == reply["content"]["ename"]
        return errors[0]

    def request(self, method, *args, timeout=60, **kwargs):
        """Sends a shell request through the client's method; returns the reply."""
        msg_id = getattr(self.client, method)(*args, **kwargs)
        while True:
            reply = self.client.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def close(self):
        self.client.stop_channels()
        if self.manager.is_alive():
            self.manager.shutdown_kernel(now=False)


@pytest.fixture(scope="module")
def kernel():
    """One kernel shared by a test module's tests."""
    session = Session()
    yield session
    session.close()


@pytest.fixture
def fresh_kernel():
    """A kernel of a test's own, for tests that stop or restart it."""
    session = Session()
    yield session
    session.close()
