//! The `distillscope` binary: parse the command line and run a headless
//! command.

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};
use distillscope::cli::{self, Cli};

fn main() -> ExitCode {
    let args = Cli::parse();
    match args.command {
        Some(command) => cli::run(command),
        None => {
            let _ = Cli::command().print_help();
            ExitCode::from(2)
        }
    }
}
