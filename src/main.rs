//! The logcount command: parse the words, validate them into settings, run, exit.

mod app;
mod cli;
mod settings;

use clap::Parser;

fn main() {
    let status = match cli::Cli::parse().into_settings() {
        Ok(settings) => app::run(settings),
        Err(usage) => {
            logcount::diag::warn(usage);
            app::ExitStatus::USAGE
        }
    };
    std::process::exit(status.code());
}
