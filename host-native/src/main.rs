//! The `clawdbot` command.

fn main() -> std::process::ExitCode {
    clawdbot::cli::main()
}
