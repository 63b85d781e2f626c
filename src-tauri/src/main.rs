// Hide the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // `bulkhead audit …` runs headless: no window, no display needed.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("audit") {
        std::process::exit(bulkhead_lib::cli::audit(&args[1..]));
    }
    bulkhead_lib::run();
}
