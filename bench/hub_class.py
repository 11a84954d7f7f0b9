"""A class on a real JupyterHub: N students each start a server through the
hub's REST API, open an ndlens kernel through their server's API, and run
the whole recipe notebook over the kernel's websocket, all at once.

    .venv/bin/python bench/hub_class.py [--students 20] [--without-timing] [--warm]

The hub is JupyterHub from PyPI with configurable-http-proxy from npm
(`hub/`), on 127.0.0.1, with the dummy authenticator and the simple local
process spawner: every student is a user of the hub with a home folder of
their own (so a session cache and a cargo home of their own), run as the
current Unix user. The kernel is the one Jupyter finds first (JUPYTER_PATH),
as for the other benchmarks.

Printed: per-student time from asking for a server to the first cell's
answer, cell-latency percentiles under load, failed cells, the peak
proportional memory (PSS) of all kernels together, and the dependencies
compiled by any session (none expected: sessions seed from the prebuilt
libraries). Everything the run starts is stopped at the end.
"""

import argparse
import asyncio
import contextlib
import json
import os
import pathlib
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import nbformat
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from kernel_bench import pss_bytes  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "recipe-4.5-avoid-unnecessary-copies.ipynb"
PROXY = ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
VENV_BIN = pathlib.Path(sys.executable).parent
CELL_TIMEOUT = 900


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rustup_home():
    out = subprocess.run(["rustup", "show", "home"], capture_output=True, text=True)
    return out.stdout.strip() or os.path.expanduser("~/.rustup")


def hub_config(folder, port, token):
    """A JupyterHub config for a local class; every value is one the README's
    hub section describes."""
    environment = {
        "JUPYTER_PATH": os.environ.get("JUPYTER_PATH", ""),
        # The students' homes have no toolchain of their own.
        "RUSTUP_HOME": rustup_home(),
    }
    return f"""
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.ConfigurableHTTPProxy.pid_file = {str(folder / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{folder / 'hub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(folder / "home" / "{username}")!r}
c.Spawner.cmd = [{str(VENV_BIN / "jupyterhub-singleuser")!r}]
c.Spawner.args = {["--allow-root"] if os.geteuid() == 0 else []!r}
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = 600
c.Spawner.http_timeout = 600
c.JupyterHub.cleanup_servers = True
c.JupyterHub.services = [{{"name": "class", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "class-runner",
    "scopes": ["admin:users", "admin:servers", "access:servers"],
    "services": ["class"],
}}]
"""


class Hub:
    """JupyterHub and its proxy, started in a process group of their own."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.token = secrets.token_hex(32)
        self.url = f"http://127.0.0.1:{self.port}"
        (folder / "jupyterhub_config.py").write_text(hub_config(folder, self.port, self.token))
        self.log = open(folder / "hub.log", "w")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "jupyterhub"), "-f", str(folder / "jupyterhub_config.py")],
            cwd=folder, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    async def api(self, method, path, body=None, base=None, timeout=CELL_TIMEOUT):
        request = HTTPRequest(
            (base or f"{self.url}/hub/api") + path, method=method,
            headers={"Authorization": f"token {self.token}"},
            body=json.dumps(body) if body is not None else (b"" if method in ("POST", "PUT") else None),
            request_timeout=timeout, allow_nonstandard_methods=True,
        )
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
        if response.code >= 400:
            raise RuntimeError(f"{method} {path}: {response.code} {response.body[:300]!r}")
        return json.loads(response.body) if response.body else None

    async def wait_until_up(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited; see {self.folder / 'hub.log'}")
            with contextlib.suppress(Exception):
                await self.api("GET", "/")
                return
            await asyncio.sleep(0.5)
        raise RuntimeError("JupyterHub did not answer in time")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        # The proxy, servers and kernels it started, should any remain.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def execute_request(code, session):
    msg_id = uuid.uuid4().hex
    return msg_id, {
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                   "username": "student", "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }


async def run_cell(socket_, code, session):
    """Sends one cell; returns (seconds to its idle status, its reply's
    status, the error it showed if any)."""
    msg_id, message = execute_request(code, session)
    started = time.perf_counter()
    await socket_.write_message(json.dumps(message))
    status, error, idle = None, None, False
    while status is None or not idle:
        raw = await asyncio.wait_for(socket_.read_message(), CELL_TIMEOUT)
        if raw is None:
            raise RuntimeError("the kernel's websocket closed")
        reply = json.loads(raw)
        if reply.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = reply["msg_type"]
        if kind == "execute_reply":
            status = reply["content"]["status"]
        elif kind == "error":
            error = f"{reply['content']['ename']}: {reply['content']['evalue']}"[:300]
        elif kind == "status" and reply["content"]["execution_state"] == "idle":
            idle = True
    return time.perf_counter() - started, status, error


async def student(hub, name, cells, barrier):
    """One student's class: a server, a kernel, the notebook. Returns their
    figures."""
    figures = {"name": name, "latencies": [], "timed": [], "failures": [], "by cell": []}
    await hub.api("POST", f"/users/{name}")
    await barrier.wait()
    asked = time.perf_counter()
    await hub.api("POST", f"/users/{name}/server")
    while not (await hub.api("GET", f"/users/{name}"))["servers"].get("", {}).get("ready"):
        await asyncio.sleep(0.5)
    server = f"{hub.url}/user/{name}/api"
    kernel = await hub.api("POST", "/kernels", {"name": "ndlens"}, base=server)
    socket_ = await websocket_connect(HTTPRequest(
        f"ws://127.0.0.1:{hub.port}/user/{name}/api/kernels/{kernel['id']}/channels",
        headers={"Authorization": f"token {hub.token}"}, request_timeout=CELL_TIMEOUT,
    ), max_message_size=256 << 20)
    session = uuid.uuid4().hex
    try:
        for index, code in enumerate(cells):
            seconds, status, error = await run_cell(socket_, code, session)
            if index == 0:
                figures["first cell"] = time.perf_counter() - asked
            # %timeit cells run for as long as they measure.
            figures["timed" if is_timing(code) else "latencies"].append(seconds)
            figures["by cell"].append((index, seconds))
            if status != "ok":
                figures["failures"].append((index, error))
    finally:
        socket_.close()
        await hub.api("DELETE", f"/kernels/{kernel['id']}", base=server)
        await hub.api("DELETE", f"/users/{name}/server")
    return figures


def is_timing(code):
    return code.lstrip().startswith(("%timeit", "%%timeit", "%time"))


def kernel_pss():
    """PSS of every ndlens kernel on the machine, with their session
    processes: those this run started."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = pathlib.Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            if argv[0].endswith(b"/ndlens") and argv[1:2] == [b"kernel"]:
                total += pss_bytes(int(entry))
    return total


async def sample_peak(peak, stop):
    while not stop.is_set():
        peak[0] = max(peak[0], kernel_pss())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 2)


def compiled_dependencies(homes, since):
    """The libraries (not the cells) compiled in the students' caches since
    `since`: any rlib there means a session compiled a dependency itself."""
    return sorted({
        path.name
        for path in homes.glob("*/.cache/ndlens/**/*.rlib")
        if path.stat().st_mtime > since and not path.name.startswith("libctx")
    })


def slowest_cells(finished, cells, count=5):
    """The cells with the longest median latency across the class, each as
    (median seconds, index, first line)."""
    by_cell = {}
    for r in finished:
        for index, seconds in r["by cell"]:
            by_cell.setdefault(index, []).append(seconds)
    medians = sorted(((statistics.median(t), i) for i, t in by_cell.items()), reverse=True)[:count]
    return [(m, i, cells[i].splitlines()[0][:60]) for m, i in medians]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run_class(students, folder, without_timing=False):
    """Runs a class of `students`; returns a dict of figures. With
    `without_timing`, the notebook's %timeit and %time cells are left out,
    to tell what they cost the other cells' latency."""
    cells = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    if without_timing:
        cells = [c for c in cells if not is_timing(c)]
    hub = Hub(folder)
    started = time.time()
    try:
        await hub.wait_until_up()
        barrier = asyncio.Barrier(students)
        peak, stop = [0], asyncio.Event()
        sampler = asyncio.create_task(sample_peak(peak, stop))
        results = await asyncio.gather(
            *(student(hub, f"student{i:02d}", cells, barrier) for i in range(students)), return_exceptions=True
        )
        stop.set()
        await sampler
    finally:
        hub.stop()
    finished = [r for r in results if isinstance(r, dict)]
    latencies = [t for r in finished for t in r["latencies"]]
    timed = [t for r in finished for t in r["timed"]]
    return {
        "students": students,
        "cells per notebook": len(cells),
        "errors": [repr(r) for r in results if not isinstance(r, dict)],
        "failed cells": [(r["name"], *f) for r in finished for f in r["failures"]],
        "first cell": sorted(r["first cell"] for r in finished if "first cell" in r),
        "latency p50": percentile(latencies, 0.5) if latencies else None,
        "latency p95": percentile(latencies, 0.95) if latencies else None,
        "latency max": max(latencies) if latencies else None,
        "timed cells": len(timed) // max(1, len(finished)),
        "timed median": statistics.median(timed) if timed else None,
        "peak kernel PSS": peak[0],
        "slowest cells": slowest_cells(finished, cells),
        "compiled": compiled_dependencies(folder / "home", started),
    }


def report(figures):
    first = figures["first cell"]
    print(f"students: {figures['students']}, cells per notebook: {figures['cells per notebook']}")
    if first:
        print(f"time to first cell answer (s): median {statistics.median(first):.1f}, "
              f"slowest {max(first):.1f}, fastest {min(first):.1f}")
    if figures["latency p50"] is not None:
        print(f"cell latency under load, all but %timeit cells (s): p50 {figures['latency p50']:.2f}, "
              f"p95 {figures['latency p95']:.2f}, max {figures['latency max']:.2f}")
    if figures["timed median"] is not None:
        print(f"%timeit/%time cells ({figures['timed cells']} per notebook), median (s): {figures['timed median']:.1f}")
    print(f"peak PSS of all kernels together: {figures['peak kernel PSS'] / 2**20:.0f} MiB")
    print("slowest cells, median across the class (s):")
    for seconds, index, line in figures["slowest cells"]:
        print(f"  {seconds:6.2f}  cell {index}: {line}")
    print(f"failed cells: {len(figures['failed cells'])}, students who could not finish: {len(figures['errors'])}")
    for failure in figures["failed cells"] + figures["errors"]:
        print(f"  {failure}")
    print(f"dependencies compiled by sessions: {', '.join(figures['compiled']) or 'none'}")


def warm_for_class():
    """Compiles the notebook's cells into the installed kernel's shared
    cache, as the class's teacher does with `ndlens warm`."""
    from jupyter_client.kernelspec import KernelSpecManager
    kernel_dir = pathlib.Path(KernelSpecManager().get_kernel_spec("ndlens").resource_dir)
    prefix = kernel_dir.parents[3]
    started = time.perf_counter()
    subprocess.run([str(kernel_dir / "bin/ndlens"), "warm", "--prefix", str(prefix), str(NOTEBOOK)],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"warmed {NOTEBOOK.name} for the class in {time.perf_counter() - started:.0f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the hub's folder (logs, homes) and print it")
    parser.add_argument("--warm", action="store_true",
                        help="first compile the notebook's cells once for the class (`ndlens warm`), as its teacher would")
    parser.add_argument("--without-timing", action="store_true",
                        help="leave out the %%timeit and %%time cells, to tell what they cost the others")
    args = parser.parse_args()
    folder = pathlib.Path(tempfile.mkdtemp(prefix="ndlens-hub-"))
    if args.warm:
        warm_for_class()
    try:
        report(asyncio.run(run_class(args.students, folder, args.without_timing)))
    finally:
        if args.keep:
            print(f"hub folder: {folder}")
        else:
            subprocess.run(["rm", "-rf", str(folder)])


if __name__ == "__main__":
    main()
