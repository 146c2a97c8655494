//! The `clawdbot` command.

fn main() {
    println!("clawdbot: under construction");
}
