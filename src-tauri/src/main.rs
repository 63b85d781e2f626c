// Hide the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // `bulkhead audit …`, `--help`, `--version` run headless: no window, no display needed.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(code) = bulkhead_lib::cli::dispatch(&args) {
        std::process::exit(code);
    }
    if let Some(why) = bulkhead_lib::cli::no_display() {
        eprintln!("{why}");
        std::process::exit(1);
    }
    bulkhead_lib::run();
}
