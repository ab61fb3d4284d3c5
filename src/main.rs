//! The `distillscope` binary: parse the command line, then run a headless
//! command or open the desktop app.

use std::process::ExitCode;

use clap::Parser as _;
use distillscope::cli::{self, Cli};

fn main() -> ExitCode {
    let args = Cli::parse();
    match args.command {
        Some(command) => cli::run(command),
        None => match distillscope::ui::run(args.path, args.renderer) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err:#}");
                ExitCode::FAILURE
            }
        },
    }
}
