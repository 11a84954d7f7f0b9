# ndlens for Binder and Zero to JupyterHub: the kernel, its session
# libraries prebuilt, JupyterLab and the notebooks, in one image.
#
#   docker build -t ndlens .      # or podman build; repo2docker (Binder) builds this file as it is
#   scripts/image                 # builds it here from a Debian base made with mmdebstrap, and checks it
#
# The Rust toolchain comes from rustup (RUST=rustup, the default), or, where
# Rust's distribution server is out of reach, from a toolchain folder put in the
# build context at image/toolchain (RUST=context; scripts/image does this).
# Debian's own rustc will not do: cells link the standard library as a
# shared library, which Debian does not ship. rust-analyzer (completion and
# documentation) and the standard library's sources come with it.
ARG BASE=debian:bookworm-slim
ARG RUST=rustup
ARG RUST_VERSION=1.95.0

FROM ${BASE} AS rust-rustup
ARG RUST_VERSION
ENV DEBIAN_FRONTEND=noninteractive RUSTUP_HOME=/tmp/rustup CARGO_HOME=/tmp/cargo
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates gcc libc6-dev \
 && curl --proto '=https' -sSf https://sh.rustup.rs | sh -s -- -y --no-modify-path --profile minimal \
        --component rust-src --component rust-analyzer --default-toolchain "${RUST_VERSION}" \
 && mv "/tmp/rustup/toolchains/${RUST_VERSION}-x86_64-unknown-linux-gnu" /opt/rust

FROM scratch AS rust-context
COPY image/toolchain /opt/rust

FROM rust-${RUST} AS rust

FROM ${BASE} AS ndlens
ARG NB_USER=jovyan
ARG NB_UID=1000
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid "${NB_UID}" --shell /bin/bash "${NB_USER}"

ENV VIRTUAL_ENV=/opt/ndlens
ENV PATH=/opt/ndlens/bin:/opt/rust/bin:${PATH}
COPY requirements.txt requirements-hub.txt /opt/ndlens-src/
RUN python3 -m venv /opt/ndlens \
 && pip install --no-cache-dir --disable-pip-version-check -r /opt/ndlens-src/requirements-hub.txt
COPY --from=rust /opt/rust /opt/rust

# The kernel, installed into the environment every user's Jupyter runs in,
# with the session libraries built once next to it and the shipped
# notebooks' cells compiled into its shared cache (readable by all; every
# user's cells link them where they lie, and each session keeps its own
# cells in ~/.cache/ndlens). The kernel reads the notebooks' cells when it
# is built. Cargo's download cache goes with the build: sessions read the
# vendored sources.
COPY Cargo.toml Cargo.lock /opt/ndlens-src/
COPY crates /opt/ndlens-src/crates
COPY kernel-spec /opt/ndlens-src/kernel-spec
COPY notebooks /opt/ndlens-src/notebooks
RUN cd /opt/ndlens-src \
 && export HOME=/root CARGO_HOME=/opt/cargo \
 && cargo build --release --locked -p ndlens-kernel \
 && target/release/ndlens install --sys-prefix \
 && rm -rf target /opt/cargo

ENV HOME=/home/${NB_USER} USER=${NB_USER} NB_USER=${NB_USER} NB_UID=${NB_UID}
COPY --chown=${NB_UID}:${NB_UID} notebooks /home/${NB_USER}/notebooks
USER ${NB_UID}
WORKDIR /home/${NB_USER}
EXPOSE 8888
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser"]

# The image's own check, run as its user: `--target check` builds it.
FROM ndlens AS check
COPY image/check.py /tmp/check.py
RUN python /tmp/check.py

# The image itself is the last stage, so a plain build gives it.
FROM ndlens
