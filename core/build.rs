//! Builds `helper/lister.c` into a static binary that core embeds (the only file of the image a
//! container's Files tab lists folders with, see `files.rs`). Without a C compiler that links
//! statically the binary is empty and listings take the archive's way, which always works.

fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let bin = out.join("bulkhead-lister");
    println!("cargo:rerun-if-changed=helper/lister.c");
    let compiler = cc::Build::new().opt_level_str("s").get_compiler();
    let built = compiler
        .to_command()
        .args(["-static", "-Os", "-s", "-Wall", "-Wextra", "-o"])
        .arg(&bin)
        .arg("helper/lister.c")
        .status()
        .is_ok_and(|s| s.success());
    if !built {
        println!("cargo:warning=could not link helper/lister.c statically: folders are listed through the engine's archive only");
        std::fs::write(&bin, b"").expect("write an empty lister");
    }
}
