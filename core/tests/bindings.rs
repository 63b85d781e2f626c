//! Fails when the committed TypeScript bindings differ from what the Rust types generate.
//! `UPDATE_BINDINGS=1 cargo test -p bulkhead-core --features ts --test bindings` (`make bindings`) rewrites them.

use std::path::PathBuf;

#[test]
fn typescript_bindings_are_fresh() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/api/bindings");
    let update = std::env::var("UPDATE_BINDINGS").is_ok_and(|v| v == "1");
    let expected = bulkhead_core::bindings::all();
    let mut stale = Vec::new();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "ts") {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
    }
    for (name, text) in &expected {
        let path = dir.join(name);
        if update {
            std::fs::write(&path, text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name.clone());
        }
    }
    if !update {
        let known: Vec<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ts") && !known.contains(&name.as_str()) {
                stale.push(format!("{name} (no longer generated)"));
            }
        }
    }
    assert!(stale.is_empty(), "stale TypeScript bindings in {}: {stale:?}; run `make bindings`", dir.display());
}
