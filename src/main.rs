//! The logcount command: parse the words, validate them into settings, run, exit.

mod app;
mod cli;
mod settings;

fn main() {
    let status = match cli::Cli::parse_args().into_settings() {
        Ok(settings) => app::run(settings),
        Err(usage) => {
            logcount::diag::warn(usage);
            app::ExitStatus::USAGE
        }
    };
    std::process::exit(status.code());
}
