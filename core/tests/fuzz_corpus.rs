//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets'
//! bodies on the stable toolchain: a crash `make fuzz` once found, saved into the corpus, stays
//! a regression test here. Every target has a `fuzz/fuzz_targets/<target>.rs` and a corpus.

use bulkhead_core::fuzzing::TARGETS;
use std::path::PathBuf;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

#[test]
fn every_target_has_its_file_and_a_corpus_and_survives_it() {
    let dir = fuzz_dir();
    for (name, body) in TARGETS {
        assert!(
            dir.join("fuzz_targets").join(format!("{name}.rs")).is_file(),
            "fuzz/fuzz_targets/{name}.rs is missing"
        );
        let corpus = dir.join("corpus").join(name);
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&corpus)
            .unwrap_or_else(|e| panic!("{}: {e}", corpus.display()))
            .map(|e| e.expect("corpus entry").path())
            .collect();
        inputs.sort();
        assert!(inputs.len() >= 3, "{name}: only {} corpus inputs", inputs.len());
        for input in &inputs {
            let data = std::fs::read(input).expect("corpus input");
            let outcome = std::panic::catch_unwind(|| body(&data));
            assert!(outcome.is_ok(), "{name}: {} broke a property (see the panic above)", input.display());
        }
        println!("{name}: {} inputs", inputs.len());
    }
}

#[test]
fn every_fuzz_target_file_is_a_target_of_the_list() {
    let mut files: Vec<String> = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .expect("fuzz/fuzz_targets")
        .map(|e| e.expect("entry").file_name().to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    files.sort();
    let mut listed: Vec<String> = TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    listed.sort();
    assert_eq!(files, listed);
}
