//! The `issuance` binary.

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use issuance::cli::{run, Cli};

#[tokio::main]
async fn main() {
    without_transparent_huge_pages();
    let cli = Cli::parse();
    if let Err(error) = run(cli).await {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

/// Turns transparent huge pages off for this process. mimalloc asks for them on the memory
/// it maps, and the kernel then zeroes 2 MiB at the first touch of each: as the heap grows
/// and moves, that zeroing took 1.5–2 % of the server's CPU under load (BENCHMARKS.md,
/// issue 25), more than the fewer TLB misses saved. A kernel that refuses keeps them.
fn without_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("warning: transparent huge pages stay on: {error}");
    }
}
