//! `ndlens`: a Jupyter kernel for Rust with ndarray and the ndlens lens
//! loaded in every session.
//!
//! `ndlens install` puts the kernel where Jupyter finds it; Jupyter then runs
//! `ndlens kernel --connection-file FILE` for each notebook. The same binary
//! is also each session's process: `ndlens session` for the rustc engine,
//! and evcxr's child process, which is why `main` hands over to evcxr's
//! runtime hook before anything else when evcxr is built in.

#[cfg(all(feature = "allocs", target_os = "linux", target_env = "gnu"))]
mod allocator;
mod assembly;
mod cell;
mod commands;
mod directive;
mod engine;
#[cfg(feature = "evcxr")]
mod evcxr_engine;
mod explorer;
mod install;
mod magics;
mod outcome;
mod protocol;
mod rustc_engine;
mod session;
mod sync;
mod syntax;
mod version;
mod warm;
mod widgets;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::version::VERSION;

#[derive(Parser)]
#[command(name = "ndlens", version = VERSION, about = "A Rust Jupyter kernel for exploring how strided arrays live in memory")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install the kernel where Jupyter finds it, and build the session
    /// libraries and compile the shipped notebooks' cells, so that a class
    /// opening them compiles nothing.
    Install {
        #[command(flatten)]
        place: install::Place,
        /// Skip compiling the shipped notebooks' cells now (half a minute;
        /// each session then compiles the cells it runs).
        #[arg(long)]
        no_warm: bool,
        /// Skip building ndarray and ndlens for sessions now (the first
        /// session then builds them, which takes a minute); implies
        /// --no-warm.
        #[arg(long)]
        no_prebuilt: bool,
        /// The engine that runs the cells: rustc (the kernel's own) or
        /// evcxr (in a build with the `evcxr` feature). An evcxr kernel is
        /// installed as `ndlens-evcxr`, beside the default one.
        #[arg(long, value_enum, default_value = "rustc")]
        engine: engine::EngineKind,
    },
    /// Compile notebooks' cells once, for every user of the installed
    /// kernel: a class running them compiles nothing. Run it as the user
    /// who installed the kernel, after `ndlens install`.
    Warm {
        #[command(flatten)]
        place: install::Place,
        /// The notebooks, run cell after cell as a student would.
        #[arg(required = true)]
        notebooks: Vec<PathBuf>,
    },
    /// Remove the kernel installed with the same place flags.
    Uninstall {
        #[command(flatten)]
        place: install::Place,
    },
    /// Run the kernel (Jupyter does this, with a connection file).
    Kernel(KernelArgs),
    /// Run a session's process (the rustc engine starts it).
    #[command(hide = true)]
    Session,
}

#[derive(Args)]
struct KernelArgs {
    /// The connection file Jupyter writes for the kernel.
    #[arg(long, short = 'f')]
    connection_file: PathBuf,
    /// The engine that runs the cells.
    #[arg(long, value_enum, default_value = "rustc")]
    engine: engine::EngineKind,
}

fn main() -> ExitCode {
    // First, while this is the only thread: cells, in either engine's
    // session process, find the allocation count through the environment.
    #[cfg(all(feature = "allocs", target_os = "linux", target_env = "gnu"))]
    allocator::publish();
    // In evcxr's session process and rustc wrapper, this never returns.
    #[cfg(feature = "evcxr")]
    evcxr::runtime_hook();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Install { place, no_warm, no_prebuilt, engine } => {
            let built = match (no_prebuilt, no_warm) {
                (true, _) => install::Built::Nothing,
                (false, true) => install::Built::Libraries,
                (false, false) => install::Built::LibrariesAndCells,
            };
            install::install(&place, engine, built)
        }
        Command::Warm { place, notebooks } => install::installed(&place)
            .and_then(|dir| warm::from_files(&notebooks).and_then(|notebooks| warm::warm(&dir, &notebooks))),
        Command::Uninstall { place } => install::uninstall(&place),
        Command::Kernel(args) => run_kernel(args),
        Command::Session => rustc_engine::host::serve(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ndlens: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_kernel(args: KernelArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.connection_file)
        .with_context(|| format!("reading the connection file {}", args.connection_file.display()))?;
    let info: jupyter_protocol::ConnectionInfo = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a Jupyter connection file", args.connection_file.display()))?;
    let kernel_dir = install::kernel_dir()?;
    anyhow::ensure!(
        args.engine.built_in(),
        "this ndlens was built without the {} engine: build it with `--features {}`",
        args.engine.name(),
        args.engine.name()
    );
    // Before any thread starts: evcxr's set-up changes the environment its
    // context reads when it is made.
    let (slot, config, notices) = session::start::prepare(args.engine, kernel_dir)?;

    let router = engine::output::Router::default();
    let engine = session::handle::SessionHandle::start(config, notices, router.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let served = runtime.block_on(protocol::serve(info, engine, router));
    drop(slot);
    served
}
