//! `.dockerignore` as the docker CLI applies it, proven against the CLI itself: each case's
//! folder is built once by `docker build` with the classic builder (where the CLI walks the
//! folder and makes the tar itself, with moby's patternmatcher) and once by Bulkhead, on the
//! same engine; the two images must hold the same files. The corpus is generated from a fixed
//! seed: patterns with classes, `?` over multi-byte names, `**` at the start, the end and inside
//! a segment, exceptions, comments, cleaning, escapes; file names with Unicode, spaces and
//! pattern characters.

use bulkhead_core::build::{self, BuildEvent, BuildRequest};
use bulkhead_core::Engine;
use bulkhead_tests::*;
use futures_util::StreamExt;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

const FILES: &[&str] = &[
    "a.txt",
    "b.log",
    "x.log",
    "!bang",
    "^caret",
    "é.txt",
    "日本.txt",
    "🐳.md",
    "[x]",
    "a b.txt",
    ".hidden",
    "#hash",
    "foo",
    "barfoo",
    "ab",
    "a1.txt",
    "7.txt",
    "Makefile",
    "a/x/b",
    "a/x/c.txt",
    "a/foo",
    "sub/keep",
    "sub/other.txt",
    "sub/deep/keep",
    "sub/deep/x.log",
    "node_modules/lib/index.js",
    "node_modules/keep.js",
    "docs/api.md",
    "docs/zeta.md",
    "docs/b.md",
    "build/out.bin",
    "x/foo",
    "é/ü.txt",
    "日/本/語.txt",
    "secret/key.pem",
    "secret/public.txt",
    "dir.with.dots/a.txt",
];

/// Pieces patterns are made of; a case joins one to four, some as exceptions.
const PIECES: &[&str] = &[
    "*",
    "?",
    "**",
    "*.log",
    "[!x]*",
    "[^x]*",
    "?.txt",
    "??.txt",
    "?.md",
    "a**b",
    "**/foo",
    "**foo",
    "foo**",
    "sub",
    "sub/",
    "!sub/keep",
    "!**/keep",
    "docs/[a-c]*.md",
    "/a.txt",
    "./b.log",
    "a/../foo",
    "[a-c]*",
    "\\*",
    "é*",
    "*.md",
    "**/*.txt",
    "!*.txt",
    "node_modules",
    "!node_modules/keep.js",
    " #hash",
    "#hash",
    "x/",
    "[[]x]",
    "\\d.txt",
    "a?b.txt",
    "日/**",
    "**/語.txt",
    "secret",
    "!secret/public.txt",
    "*/*",
    "*/*/*",
    "a/x",
    "!a/x/c.txt",
    "[é]*",
    "[!é]*",
    "\\[x\\]",
    "a\\ b.txt",
    "dir.with.dots",
    "**/x.log",
    "sub/deep",
    ".*",
    "!.hidden",
    "b.lo?",
    "[a-z][0-9].txt",
    "^caret",
    "\\^caret",
    "!bang",
    "\\!bang",
];

/// The fixed cases the differences were found on, then the generated ones.
fn cases() -> Vec<String> {
    let mut out: Vec<String> = vec![
        "[!x]*\n".into(),
        "?.txt\n??.txt\n".into(),
        "a**b\n".into(),
        "**/foo\n".into(),
        "*\n!sub/keep\n".into(),
        "sub\n!**/keep\n".into(),
        " #hash\n#foo\n".into(),
        "\u{FEFF}a.txt\r\n*.log\r\n".into(),
        "secret\n!secret/public.txt\n".into(),
        // Malformed: both refuse to build.
        "a.txt\n[\n".into(),
        "docs/[z-a].md\n".into(),
    ];
    // xorshift64*, fixed seed: the same corpus every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    };
    for _ in 0..30 {
        let lines = 1 + next(4);
        let mut text = String::new();
        for _ in 0..lines {
            let piece = PIECES[next(PIECES.len())];
            if next(5) == 0 && !piece.starts_with('!') {
                text.push('!');
            }
            text.push_str(piece);
            text.push('\n');
        }
        out.push(text);
    }
    out
}

fn make_context(dir: &Path, ignore: &str, case: &str) {
    for f in FILES {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, f.as_bytes()).unwrap();
    }
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM scratch\nLABEL {TEST_LABEL}={} {TEST_LABEL}.case={case}\nCOPY . /ctx/\n", std::process::id()),
    )
    .unwrap();
    std::fs::write(dir.join(".dockerignore"), ignore).unwrap();
}

/// The files under /ctx in an image (folders end in `/`).
async fn files_in(image: &str, cleanup: &mut Cleanup) -> BTreeSet<String> {
    let id = create_container_with(
        cleanup,
        &unique_name("ignore-list"),
        bollard::models::ContainerCreateBody {
            image: Some(image.to_owned()),
            cmd: Some(vec!["none".into()]),
            ..Default::default()
        },
    )
    .await;
    let tar: Vec<u8> = docker().export_container(&id).map(|c| c.unwrap().to_vec()).concat().await;
    let mut archive = tar::Archive::new(&tar[..]);
    let mut out = BTreeSet::new();
    for e in archive.entries().unwrap() {
        let e = e.unwrap();
        let path = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        if let Some(rest) = path.strip_prefix("ctx/") {
            if !rest.is_empty() {
                out.insert(rest.to_owned());
            }
        }
    }
    out
}

/// `docker build` with the classic builder: the CLI applies the .dockerignore itself.
fn cli_build(dir: &Path) -> Result<String, String> {
    let out = std::process::Command::new("docker")
        .args(["build", "-q", "--no-cache"])
        .arg(dir)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("the docker CLI");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

async fn bulkhead_build(engine: &Engine, dir: &Path) -> Result<String, String> {
    let plan =
        build::validate(&BuildRequest { context: dir.display().to_string(), no_cache: true, ..Default::default() })
            .map_err(|e| e.message)?;
    let events = tokio::time::timeout(Duration::from_secs(120), engine.build(plan).collect::<Vec<_>>())
        .await
        .expect("the build ends");
    match events.last() {
        Some(BuildEvent::Done { id, .. }) => Ok(id.clone()),
        other => Err(format!("{other:?}")),
    }
}

/// The docker CLI on PATH applies moby/patternmatcher (CLI 23 and newer) — older ones used
/// the engine's fileutils, whose rules differ.
fn cli_major() -> Option<u32> {
    let out =
        std::process::Command::new("docker").args(["version", "--format", "{{.Client.Version}}"]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().split('.').next()?.parse().ok()
}

#[tokio::test]
async fn dockerignore_is_applied_exactly_as_the_docker_cli_applies_it() {
    let engine = engine().await;
    match cli_major() {
        Some(v) if v >= 23 => {}
        other => {
            skip(&format!("the docker CLI on PATH ({other:?}) predates moby/patternmatcher"));
            return;
        }
    }
    let mut cleanup = Cleanup::new();
    let case = unique_name("ignore");
    cleanup.images_labelled(&format!("{TEST_LABEL}.case={case}"));
    let root = tempfile::tempdir().unwrap();
    let mut differences = Vec::new();
    let all = cases();
    for (n, ignore) in all.iter().enumerate() {
        let dir = root.path().join(format!("case-{n}"));
        make_context(&dir, ignore, &case);
        let (cli, ours) = (cli_build(&dir), bulkhead_build(&engine, &dir).await);
        match (cli, ours) {
            (Ok(a), Ok(b)) => {
                let (want, got) = (files_in(&a, &mut cleanup).await, files_in(&b, &mut cleanup).await);
                if want != got {
                    differences.push(format!(
                        "case {n} {ignore:?}:\n  only docker sent: {:?}\n  only Bulkhead sent: {:?}",
                        want.difference(&got).collect::<Vec<_>>(),
                        got.difference(&want).collect::<Vec<_>>()
                    ));
                }
            }
            // Both refuse a malformed pattern.
            (Err(_), Err(_)) => {}
            (a, b) => differences.push(format!("case {n} {ignore:?}: docker {a:?}, Bulkhead {b:?}")),
        }
    }
    assert!(differences.is_empty(), "{} of {} cases differ:\n{}", differences.len(), all.len(), differences.join("\n"));
}
