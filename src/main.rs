use clap::Parser;

fn main() {
    let cli = logcount::cli::Cli::parse();
    std::process::exit(logcount::app::run(cli));
}
