//! The bodies of the fuzz targets (`fuzz/fuzz_targets/*.rs`, `make fuzz`): every parser that
//! takes outside input, each with the properties it must keep whatever the bytes. A broken
//! property panics, which libFuzzer reports as a crash. The committed corpus (`fuzz/corpus/`)
//! is replayed through the same functions by `core/tests/fuzz_corpus.rs` in `make test`, so a
//! crash once found and added there stays a regression test on the stable toolchain.
//!
//! Only built with the `fuzzing` feature; nothing here is part of the app.

use crate::compose::file::{self, Variables};
use crate::ignore::IgnoreList;
use crate::logs::{Demux, LogLine};
use crate::refs::{ContainerName, ContainerRef, ImageRef, NetworkRef, VolumeRef};
use crate::run::{parse_command, render};
use std::collections::HashMap;
use std::path::Path;

/// A target's body: panics when the input breaks a property.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and corpus folder.
pub const TARGETS: &[(&str, Target)] = &[
    ("run_line", run_line),
    ("refs", refs),
    ("dockerignore", dockerignore),
    ("http_response", http_response),
    ("log_frames", log_frames),
    ("tar_names", tar_names),
    ("compose", compose),
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

fn has_dangerous(s: &str) -> bool {
    crate::text::neutralise(s) != s
}

/// A pasted `docker run …` line. What it reads renders back to a line that reads the same —
/// up to whitespace around a field's value, which the form's validation ignores and the
/// rendered line leaves out.
pub fn run_line(data: &[u8]) {
    let line = text(data);
    let Ok(parsed) = parse_command(&line) else { return };
    let again = render(&parsed.request);
    let back = parse_command(&again).unwrap_or_else(|e| panic!("the rendered line {again:?} does not parse: {e}"));
    assert_eq!(trimmed(&back.request), trimmed(&parsed.request), "{line:?} → {again:?} reads differently");
}

/// The request as JSON with every string trimmed.
fn trimmed(req: &crate::run::RunRequest) -> serde_json::Value {
    fn trim(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) => Value::String(s.trim().to_owned()),
            Value::Array(a) => Value::Array(a.into_iter().map(trim).collect()),
            Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, trim(v))).collect()),
            other => other,
        }
    }
    trim(serde_json::to_value(req).unwrap_or_default())
}

/// Container, image, volume and network references. An accepted one holds nothing that could
/// change the engine URL it is put in (`..`, `?`, `#`, whitespace, controls) and reads the same
/// again.
pub fn refs(data: &[u8]) {
    let s = text(data);
    let url_safe = |r: &str| {
        !r.split('/').any(|p| p == ".." || p == ".")
            && !r.chars().any(|c| matches!(c, '?' | '#' | '%' | '\\') || c.is_whitespace() || c.is_control())
    };
    if let Ok(r) = ContainerRef::parse(&s) {
        assert!(url_safe(r.as_str()) && !r.as_str().contains('/'), "container ref {:?}", r.as_str());
        assert_eq!(ContainerRef::parse(r.as_str()).ok(), Some(r.clone()));
    }
    if let Ok(r) = ContainerName::parse(&s) {
        assert!(url_safe(r.as_str()), "container name {:?}", r.as_str());
    }
    if let Ok(r) = ImageRef::parse(&s) {
        assert!(url_safe(r.as_str()) && !r.as_str().starts_with('/'), "image ref {:?}", r.as_str());
        assert_eq!(ImageRef::parse(r.as_str()).ok(), Some(r.clone()));
    }
    if let Ok(r) = VolumeRef::parse(&s) {
        assert!(url_safe(r.as_str()) && !r.as_str().contains('/'), "volume ref {:?}", r.as_str());
    }
    if let Ok(r) = NetworkRef::parse(&s) {
        assert!(url_safe(r.as_str()) && !r.as_str().contains('/'), "network ref {:?}", r.as_str());
    }
}

/// A `.dockerignore` (before the first NUL) and paths to match against it (after it, one per
/// line). Matching never fails; a path and its parent folders agree with the incremental
/// matcher the build context walk uses.
pub fn dockerignore(data: &[u8]) {
    let (file, paths) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(list) = IgnoreList::parse(&text(file)) else { return };
    let _ = list.exclusions();
    for path in text(paths).split('\n').filter(|p| !p.is_empty()).take(32) {
        let whole = list.excluded(path);
        // The walk's way: each folder's result handed down to its children.
        let mut parent = crate::ignore::MatchInfo::default();
        let mut walked = false;
        let mut so_far = String::new();
        for part in path.split('/') {
            if !so_far.is_empty() {
                so_far.push('/');
            }
            so_far.push_str(part);
            let (m, info) = list.matches_using_parent_results(&so_far, &parent);
            walked = m;
            parent = info;
        }
        let _ = list.enter_excluded_dir(path);
        // moby's two matchers differ only when a parent folder matched and a later `!`
        // pattern does not reach into it; the plain one answering true implies the walk does
        // when no pattern is an exception.
        let clean = !path.split('/').any(|p| matches!(p, "" | "." | ".."));
        if clean && !list.exclusions() {
            assert_eq!(whole, walked, "{path:?}: Matches and MatchesUsingParentResults disagree");
        }
    }
}

/// An engine's HTTP response as `get_stream` reads it: a status, and a body never longer than
/// the bytes that came.
pub fn http_response(data: &[u8]) {
    if let Ok((status, body)) = crate::http::decode_response(data) {
        assert!((100..=999).contains(&status), "status {status}");
        assert!(body.len() <= data.len(), "a body of {} bytes from {} bytes", body.len(), data.len());
    }
}

/// The engine's multiplexed log stream (8-byte frame headers, or a TTY's raw bytes), cut into
/// two chunks anywhere: the lines are the same as from one chunk.
pub fn log_frames(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else { return };
    let (tty, timestamps) = (flags & 1 != 0, flags & 2 != 0);
    let cut = if rest.is_empty() { 0 } else { usize::from(flags >> 2) * rest.len() / 64 };
    let whole = {
        let mut d = Demux::new(tty, timestamps);
        let mut out: Vec<LogLine> = Vec::new();
        d.push(rest, &mut out);
        d.finish(&mut out);
        out
    };
    let split = {
        let mut d = Demux::new(tty, timestamps);
        let mut out: Vec<LogLine> = Vec::new();
        d.push(&rest[..cut], &mut out);
        d.push(&rest[cut..], &mut out);
        d.finish(&mut out);
        out
    };
    let key = |l: &LogLine| (format!("{:?}", l.stream), l.ts.clone(), l.text.clone());
    assert_eq!(whole.iter().map(key).collect::<Vec<_>>(), split.iter().map(key).collect::<Vec<_>>(), "cut at {cut}");
}

/// A container's tar listing (the Files tab) and a path typed by the user. Listed names are
/// single, visible path components; an accepted path has no `.`/`..` and no empty parts.
pub fn tar_names(data: &[u8]) {
    let mut r: &[u8] = data;
    if let Ok((entries, _)) = crate::archive::list_one_level(&mut r, "/srv") {
        for e in &entries {
            assert!(!e.name.is_empty() && !e.name.contains('/'), "name {:?}", e.name);
            assert!(e.name != "." && e.name != "..", "name {:?}", e.name);
            assert!(!has_dangerous(&e.name) && !has_dangerous(&e.link_target), "name {:?}", e.name);
            assert_eq!(e.path, format!("/srv/{}", e.name));
        }
    }
    let typed = text(data);
    if let Ok(p) = crate::archive::plain_names(&typed, "the container") {
        assert!(p.split('/').all(|part| !matches!(part, "" | "." | "..") || p.is_empty()), "path {p:?}");
        assert!(!p.contains('\0') && !p.starts_with('/'), "path {p:?}");
    }
}

/// A compose file: parsed (with interpolation) under its limits, then reviewed. Neither
/// panics, and whatever the file names is shown neutralised.
pub fn compose(data: &[u8]) {
    let vars = Variables::from_maps(HashMap::from([("HOME".into(), "/home/u".into())]), HashMap::new());
    let Ok(f) = file::parse(&text(data), "compose.yaml", Path::new("/srv/app"), &vars) else { return };
    let report = crate::compose::review::review(&f, None);
    let _ = report.table();
    let _ = report.sarif();
}
