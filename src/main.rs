//! The `distillscope` binary: parse the command line, then run a headless
//! command or open the desktop app.

use std::process::ExitCode;

use clap::Parser as _;
use distillscope::cli::{self, Cli};

/// The command line's renderer as the app's (the CLI does not know the UI).
fn renderer(choice: cli::RendererChoice) -> distillscope::ui::Renderer {
    match choice {
        cli::RendererChoice::Wgpu => distillscope::ui::Renderer::Wgpu,
        cli::RendererChoice::Glow => distillscope::ui::Renderer::Glow,
    }
}

fn main() -> ExitCode {
    let args = Cli::parse();
    match args.command {
        Some(command) => cli::run(command),
        None => match distillscope::ui::run(args.path, renderer(args.renderer)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err:#}");
                ExitCode::FAILURE
            }
        },
    }
}
