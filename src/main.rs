//! The logcount command: parse the words, validate them into settings, run, exit.

mod app;
mod cli;
mod settings;

/// The system allocator, with address space held back for what follows a lack of memory.
#[global_allocator]
static ALLOC: logcount::reserve::Reserving = logcount::reserve::Reserving;

fn main() {
    logcount::reserve::hold();
    let cli = match cli::Cli::parse_args() {
        Ok(cli) => cli,
        Err(failure) => {
            failure.print();
            std::process::exit(failure.code());
        }
    };
    let status = match cli.into_settings() {
        Ok(settings) => app::run(settings),
        Err(usage) => {
            logcount::diag::warn(usage);
            app::ExitStatus::USAGE
        }
    };
    std::process::exit(status.code());
}
