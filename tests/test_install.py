"""`ndlens install` and `ndlens uninstall`, into a prefix of the test's own."""

import json
import os
import pathlib
import subprocess

import pytest

from conftest import BINARY, ROOT, TEST_PREFIX, Session, built_version


def ndlens(*args, **env):
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, env={**os.environ, **env})


def test_install_writes_a_self_contained_kernelspec(tmp_path):
    done = ndlens("install", "--prefix", str(tmp_path), "--no-prebuilt")
    assert done.returncode == 0, done.stderr
    kernel_dir = tmp_path / "share/jupyter/kernels/ndlens"
    spec = json.loads((kernel_dir / "kernel.json").read_text())
    assert spec["display_name"] == "Rust (ndlens)"
    assert spec["language"] == "rust"
    assert spec["interrupt_mode"] == "message"
    assert spec["argv"][1:] == ["kernel", "--connection-file", "{connection_file}"]
    # Nothing points back into the checkout: the binary and the library
    # sources sessions compile against are copies inside the kernelspec.
    binary = pathlib.Path(spec["argv"][0])
    assert binary.is_relative_to(kernel_dir) and os.access(binary, os.X_OK)
    assert (kernel_dir / "lens/Cargo.toml").exists() and (kernel_dir / "lens/src/lib.rs").exists()
    for logo, size in [("logo-32x32.png", 32), ("logo-64x64.png", 64)]:
        data = (kernel_dir / logo).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(data[16:20], "big") == size and int.from_bytes(data[20:24], "big") == size

    listed = subprocess.run(
        [str(ROOT / ".venv/bin/jupyter"), "kernelspec", "list", "--json"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "JUPYTER_PATH": str(tmp_path / "share/jupyter")},
    )
    specs = json.loads(listed.stdout)["kernelspecs"]
    assert pathlib.Path(specs["ndlens"]["resource_dir"]) == kernel_dir

    gone = ndlens("uninstall", "--prefix", str(tmp_path))
    assert gone.returncode == 0, gone.stderr
    assert not kernel_dir.exists()
    again = ndlens("uninstall", "--prefix", str(tmp_path))
    assert again.returncode != 0
    assert "no ndlens kernel is installed in" in again.stderr


def test_place_flags_exclude_each_other(tmp_path):
    done = ndlens("install", "--user", "--prefix", str(tmp_path))
    assert done.returncode != 0
    assert "cannot be used with" in done.stderr


def code_cells(path):
    notebook = json.loads(path.read_text())
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]


def test_the_installed_copy_runs_from_its_own_folder_and_the_shipped_notebooks_compile_nothing(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    done = ndlens("install", "--prefix", str(tmp_path / "prefix"), NDLENS_CACHE_DIR=str(cache))
    assert done.returncode == 0, done.stderr
    # A line for each shipped notebook, the exercises also as students get them.
    warmed = [line for line in done.stdout.splitlines() if line.startswith("Warmed ")]
    assert any(line.startswith("Warmed recipe-4.5-avoid-unnecessary-copies.ipynb: 49 of 49 cells") for line in warmed), done.stdout
    assert any("(student's version)" in line and "stop at their todo!()" in line for line in warmed), done.stdout
    assert not any("failed" in line for line in warmed), done.stdout
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "prefix/share/jupyter"))
    monkeypatch.setenv("NDLENS_CACHE_DIR", str(cache))
    session = Session(cwd=str(tmp_path))
    try:
        assert session.manager.kernel_spec.resource_dir.startswith(str(tmp_path / "prefix"))
        # A student's session runs the recipe's first cells, and the
        # playground's, from the install's cache: nothing lands in their own.
        for notebook, count in [("recipe-4.5-avoid-unnecessary-copies.ipynb", 12), ("layout-playground.ipynb", 6)]:
            for cell in code_cells(ROOT / "notebooks" / notebook)[:count]:
                session.run(cell)
            session.ok(":clear")
        assert sorted(p.name for p in cache.rglob("lib*.so")) == []
        data = session.result("let m = Array2::<f64>::zeros((2, 3)); diagram!(m, m.t())")
        assert data["image/svg+xml"].startswith("<svg")
        assert len(list(cache.rglob("lib*.so"))) == 1
    finally:
        session.close()


def test_the_tests_drive_the_kernel_just_built(kernel):
    # conftest installs the fresh build before any test; JUPYTER_PATH puts
    # it ahead of any other kernel named ndlens.
    assert kernel.manager.kernel_spec.resource_dir.startswith(str(TEST_PREFIX))
    banner = kernel.request("kernel_info")["content"]["banner"]
    assert f"ndlens {built_version()}:" in banner, banner
