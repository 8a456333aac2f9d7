//! The `dynsim` command; everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    dynsim::cli::main()
}
