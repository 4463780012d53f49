//! The `scrapelet` binary: parses the command line and hands over to `scrapelet::cli`.

use clap::Parser;

fn main() {
    let cli = scrapelet::cli::Cli::parse();
    std::process::exit(scrapelet::cli::main(cli));
}
