"""The repository's own rules, checked on its files: scripts and build files
name no package registry's or mirror's host (mirrors come from the
machine's own configuration: apt's sources, pip's and npm's and cargo's
settings), and what they do use of the machine's configuration is read
right."""

import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Hosts of the registries and mirrors the project's scripts install from,
# and of the container registries an image could be pulled from.
REGISTRY_HOSTS = re.compile(
    r"""(?ix)
    \b(
        [a-z0-9.-]*\.debian\.org | [a-z0-9.-]*\.ubuntu\.com |
        pypi\.org | pypi\.python\.org | files\.pythonhosted\.org |
        registry\.npmjs\.org | registry\.yarnpkg\.com |
        (index\.|static\.)?crates\.io |
        static\.rust-lang\.org |
        docker\.io | registry\.hub\.docker\.com | ghcr\.io | quay\.io | gcr\.io
    )\b
    """
)
# Every host a URL in those files names; only the loopback and a few that
# are no registry (the XML namespace of an SVG, rustup's installer for the
# Dockerfile's own Rust, where no toolchain is given) may be named.
URL_HOST = re.compile(r"[a-z][a-z0-9+.-]*://([^/:\s\"'`]+)", re.I)
ALLOWED_URL_HOSTS = {"127.0.0.1", "localhost", "www.w3.org", "sh.rustup.rs"}

SCRIPT_FOLDERS = ["scripts", ".ci", "image", "hub", "bench", "tests", "kernel-spec"]
BUILD_FILES = ["Dockerfile", "requirements.txt", "Cargo.toml"]


def scripts_and_build_files():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        path = pathlib.Path(name)
        in_folder = path.parts[0] in SCRIPT_FOLDERS
        is_build_file = path.name in BUILD_FILES or path.name.startswith("requirements")
        if (in_folder or is_build_file) and not path.name.endswith("-lock.json") and path.name != "Cargo.lock":
            yield path


def test_no_script_or_build_file_names_a_registry_or_mirror_host():
    named = []
    files = list(scripts_and_build_files())
    assert any(f.name == "image" for f in files) and any(f.name == "Dockerfile" for f in files)
    for path in files:
        if path.name == pathlib.Path(__file__).name:
            continue
        text = (ROOT / path).read_text(errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            hosts = {m.group(1) for m in REGISTRY_HOSTS.finditer(line)}
            hosts |= {h for h in URL_HOST.findall(line) if h.lower() not in ALLOWED_URL_HOSTS and "{" not in h}
            named += [f"{path}:{number}: {host}" for host in sorted(hosts)]
    assert not named, "named hosts (take them from the machine's configuration):\n" + "\n".join(named)


def test_the_rule_sees_a_mirror_written_into_a_script():
    line = 'mmdebstrap sid "$tarball" http://deb.debian.org/debian'
    assert [m.group(1) for m in REGISTRY_HOSTS.finditer(line)] == ["deb.debian.org"]
    assert URL_HOST.findall("pip install --index-url https://mirror.example/simple x") == ["mirror.example"]
    assert not REGISTRY_HOSTS.search('mirror=$(debian_mirror)')


def run_debian_mirror(tmp_path, sources_d, sources_list=""):
    """scripts/lib.sh's debian_mirror, over apt sources written in tmp_path."""
    etc = tmp_path / "apt"
    (etc / "sources.list.d").mkdir(parents=True)
    (etc / "sources.list").write_text(sources_list)
    for name, text in sources_d.items():
        (etc / "sources.list.d" / name).write_text(text)
    script = (ROOT / "scripts" / "lib.sh").read_text().replace("/etc/apt", str(etc))
    return subprocess.run(["bash", "-c", script + "\ndebian_mirror"], capture_output=True, text=True)


def test_the_image_takes_the_debian_archive_from_the_machines_apt_sources(tmp_path):
    deb822 = (
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n"
        "Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\n"
    )
    found = run_debian_mirror(tmp_path / "a", {"debian.sources": deb822})
    assert found.returncode == 0 and found.stdout.strip() == "http://mirror.example/debian", found
    one_line = "# deb http://old.example/debian bookworm main\ndeb [signed-by=/k.gpg] http://other.example/debian bookworm main\n"
    found = run_debian_mirror(tmp_path / "b", {}, one_line)
    assert found.returncode == 0 and found.stdout.strip() == "http://other.example/debian", found
    found = run_debian_mirror(tmp_path / "c", {"nodesource.sources": "Types: deb\nURIs: https://n.example/node\nSuites: x\n"})
    assert found.returncode != 0 and "No Debian archive" in found.stderr
    assert "debian_mirror" in (ROOT / "scripts" / "image").read_text()
