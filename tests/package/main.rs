//! The .deb as a user gets it: its metadata and files (`dpkg-deb -I/-c`), Debian's own checker
//! (`lintian`, no errors), and the binary extracted from it (`dpkg-deb -x`) — `audit --help`
//! without a display, and the window's first paint under Xvfb.
//!
//! The package is the one `make package` builds (scripts/package.sh); `make test` builds it
//! first and names it in $BULKHEAD_DEB.

// Tests may panic on what must not fail.
#![allow(clippy::unwrap_used)]

use bulkhead_tests::e2e::{wait_for, Display, Driver};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn deb() -> PathBuf {
    let p = PathBuf::from(
        std::env::var("BULKHEAD_DEB")
            .expect("BULKHEAD_DEB names the .deb to check (`make package` builds it; `make test` sets it)"),
    );
    assert!(p.is_file(), "{} is missing", p.display());
    p
}

fn run(cmd: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("{cmd}: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn field<'a>(control: &'a str, name: &str) -> &'a str {
    control
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} in\n{control}"))
}

/// The package extracted into a temporary folder.
fn extracted() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run("dpkg-deb", &["-x", deb().to_str().unwrap(), dir.path().to_str().unwrap()]);
    assert!(ok, "dpkg-deb -x: {err}");
    dir
}

/// "2.34" → (2, 34).
fn version(v: &str) -> (u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

#[test]
fn the_package_says_what_it_is_and_what_it_needs() {
    let (ok, control, err) = run("dpkg-deb", &["-I", deb().to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(field(&control, "Package"), "bulkhead");
    assert_eq!(field(&control, "Version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(field(&control, "Architecture"), "amd64");
    assert_eq!(field(&control, "Section"), "devel");
    assert!(field(&control, "Maintainer").contains('<'), "a maintainer with an address");
    let depends: Vec<&str> = field(&control, "Depends").split(',').map(str::trim).collect();
    for want in ["libwebkit2gtk-4.1-0", "libgtk-3-0"] {
        assert!(depends.contains(&want), "{want} in {depends:?}");
    }
    // libc6 at least as new as the newest GLIBC_ symbol version the binary asks for.
    let libc = depends.iter().find_map(|d| d.strip_prefix("libc6 (>= ")).expect("a libc6 dependency");
    let declared = version(libc.trim_end_matches(')'));
    let dir = extracted();
    let (ok, symbols, err) = run("objdump", &["-T", dir.path().join("usr/bin/bulkhead").to_str().unwrap()]);
    assert!(ok, "{err}");
    let needed = symbols
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .map(version)
        .max()
        .expect("the binary links glibc");
    assert!(declared >= needed, "Depends libc6 (>= {declared:?}) but the binary needs GLIBC_{needed:?}");
}

#[test]
fn the_package_holds_the_binary_a_desktop_entry_icons_and_docs_and_nothing_outside_usr() {
    let (ok, list, err) = run("dpkg-deb", &["-c", deb().to_str().unwrap()]);
    assert!(ok, "{err}");
    let files: Vec<&str> =
        list.lines().filter_map(|l| l.split_whitespace().last()).map(|p| p.trim_start_matches("./")).collect();
    for f in &files {
        assert!(f.starts_with("usr/") || *f == "usr" || f.is_empty(), "{f} is outside /usr");
    }
    for want in [
        "usr/bin/bulkhead",
        "usr/share/applications/Bulkhead.desktop",
        "usr/share/doc/bulkhead/copyright",
        "usr/share/doc/bulkhead/changelog.gz",
        "usr/share/man/man1/bulkhead.1.gz",
    ] {
        assert!(files.contains(&want), "{want} missing from {files:#?}");
    }
    let dir = extracted();
    // Icons in the hicolor sizes, each the size its folder says.
    for size in [32, 64, 128, 256, 512] {
        let rel = format!("usr/share/icons/hicolor/{size}x{size}/apps/bulkhead.png");
        assert!(files.contains(&rel.as_str()), "{rel} missing");
        let png = std::fs::read(dir.path().join(&rel)).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{rel} is a PNG");
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((w, h), (size, size), "{rel}");
    }
    assert!(!files.iter().any(|f| f.contains("@2")), "no non-standard hicolor folder: {files:#?}");
    // The menu entry launches the binary on PATH with the icon above.
    let desktop = std::fs::read_to_string(dir.path().join("usr/share/applications/Bulkhead.desktop")).unwrap();
    for want in ["Type=Application", "Name=Bulkhead", "Exec=bulkhead", "Icon=bulkhead", "Terminal=false"] {
        assert!(desktop.lines().any(|l| l == want), "{want} in\n{desktop}");
    }
    let (ok, out, err) =
        run("desktop-file-validate", &[dir.path().join("usr/share/applications/Bulkhead.desktop").to_str().unwrap()]);
    assert!(ok && !out.contains("error"), "desktop-file-validate: {out}{err}");
}

#[test]
fn lintian_finds_no_error() {
    let (_, out, err) = run("lintian", &["--tag-display-limit", "0", deb().to_str().unwrap()]);
    eprintln!("lintian:\n{out}");
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(errors.is_empty(), "lintian errors:\n{}\n{err}", errors.join("\n"));
    assert!(!err.contains("not a valid"), "{err}");
}

#[test]
fn the_extracted_binary_answers_in_a_terminal_without_a_display() {
    let dir = extracted();
    let bin = dir.path().join("usr/bin/bulkhead");
    let run_bare = |args: &[&str]| {
        Command::new(&bin).args(args).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").output().unwrap()
    };
    let help = run_bare(&["audit", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout).into_owned() + &String::from_utf8_lossy(&help.stderr);
    assert!(text.contains("usage: bulkhead audit"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    let version = run_bare(&["--version"]);
    assert!(version.status.success());
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("bulkhead {}", env!("CARGO_PKG_VERSION")));
    // The window without a display: a sentence, not a GTK panic.
    let window = run_bare(&[]);
    assert_eq!(window.status.code(), Some(1));
    let said = String::from_utf8_lossy(&window.stderr);
    assert!(said.contains("no display") && !said.contains("panicked"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extracted_binary_paints_its_window() {
    let dir = extracted();
    let bin = dir.path().join("usr/bin/bulkhead");
    assert!(Path::new(&bin).is_file());
    let display = Display::get();
    // No engine is needed for the first paint: the window says where it looked.
    let driver = Driver::start(&display, &[("DOCKER_HOST", "unix:///nonexistent/bulkhead-package-test.sock")]);
    let client = driver.session_of(&bin).await;
    wait_for(&client, "[data-testid=nav-containers]", Duration::from_secs(30)).await;
    wait_for(&client, "[data-testid=engine-down]", Duration::from_secs(30)).await;
    let title = client.title().await.unwrap_or_default();
    assert!(title.contains("Bulkhead") || title.is_empty(), "{title}");
    client.close().await.unwrap();
}
