//! The user's preferences: one JSON file in Bulkhead's XDG config folder
//! (`$XDG_CONFIG_HOME/bulkhead/preferences.json`, beside `engine.json`).
//!
//! The file is the user's and may be edited by hand, so reading it never fails: a value that
//! is wrong (a font size of 200, a theme called "purple") falls back to its default and is
//! named in the report; a file that is not JSON at all, or cannot be read, is moved aside to
//! `preferences.json.broken-<seconds>` (nothing the user wrote is deleted) and every value is
//! the default. Writing validates everything first and replaces the file atomically.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "preferences.json";

/// Light, dark, or whatever the desktop says (GTK's `prefers-color-scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// How tall the rows of every list are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Density {
    #[default]
    Comfortable,
    Compact,
}

/// The pages the window can open on.
pub const VIEWS: &[&str] = &[
    "containers",
    "images",
    "volumes",
    "networks",
    "exposure",
    "events",
    "terminals",
    "security",
    "system",
    "settings",
];

/// The lists whose columns can be hidden, and the columns each has that may be hidden
/// (the name column never is).
pub const COLUMNS: &[(&str, &[&str])] = &[
    ("containers", &["security", "image", "state", "ports", "id", "created"]),
    ("images", &["id", "size", "created", "used"]),
    ("volumes", &["driver", "used", "size", "created", "mountpoint"]),
    ("networks", &["driver", "subnets", "containers", "isolation", "id", "created"]),
];

pub const STOP_GRACE_MAX: u32 = 3600;
pub const FONT_SIZE_MIN: u32 = 8;
pub const FONT_SIZE_MAX: u32 = 32;
pub const SCROLLBACK_MAX: u32 = 100_000;
const ENGINE_ID_MAX: usize = 200;

/// Everything the app remembers between runs (window size and position are kept by the
/// window-state plugin in Tauri's own config folder). Over IPC every field is required and no
/// other is taken; the file is read field by field instead (`from_object`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Preferences {
    pub theme: Theme,
    /// The engine to start on; `None`: the one picked last time. DOCKER_HOST and
    /// DOCKER_CONTEXT, when set, still win (as they do for the docker CLI).
    pub default_engine: Option<String>,
    /// Seconds between SIGTERM and SIGKILL when stopping or restarting (0 … 3600).
    pub stop_grace_seconds: u32,
    /// Ask before removing, pruning, killing.
    pub confirm_destructive: bool,
    pub density: Density,
    /// The terminal's font size in pixels (8 … 32).
    pub terminal_font_size: u32,
    /// Lines a terminal keeps above the screen (0 … 100,000).
    pub terminal_scrollback: u32,
    /// Per list (`containers`, `images`, `volumes`, `networks`), the columns not shown.
    pub hidden_columns: BTreeMap<String, Vec<String>>,
    /// The page the window opened last.
    pub last_view: String,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            theme: Theme::System,
            default_engine: None,
            stop_grace_seconds: 10,
            confirm_destructive: true,
            density: Density::Comfortable,
            terminal_font_size: 13,
            terminal_scrollback: 5000,
            hidden_columns: BTreeMap::new(),
            last_view: "containers".into(),
        }
    }
}

/// What reading the file found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PrefsLoaded {
    pub prefs: Preferences,
    /// Where they live.
    pub path: String,
    /// What was wrong with the file, for the window to say once; empty when nothing was.
    pub problems: Vec<String>,
}

fn range(field: &str, v: u32, min: u32, max: u32) -> Result<()> {
    if v < min || v > max {
        return Err(Error::invalid(format!("{field} must be between {min} and {max} (got {v}).")));
    }
    Ok(())
}

impl Preferences {
    /// Every value within its bounds; the IPC layer calls this before anything is written.
    pub fn check(&self) -> Result<()> {
        range("The stop grace period", self.stop_grace_seconds, 0, STOP_GRACE_MAX)?;
        range("The terminal font size", self.terminal_font_size, FONT_SIZE_MIN, FONT_SIZE_MAX)?;
        range("The terminal scrollback", self.terminal_scrollback, 0, SCROLLBACK_MAX)?;
        if let Some(id) = &self.default_engine {
            check_engine_id(id)?;
        }
        if !VIEWS.contains(&self.last_view.as_str()) {
            return Err(Error::invalid(format!("There is no page called {:?}.", self.last_view)));
        }
        for (list, cols) in &self.hidden_columns {
            let Some((_, known)) = COLUMNS.iter().find(|(l, _)| l == list) else {
                return Err(Error::invalid(format!("There is no list called {list:?} with columns to hide.")));
            };
            for c in cols {
                if !known.contains(&c.as_str()) {
                    return Err(Error::invalid(format!("The {list} list has no column {c:?} that can be hidden.")));
                }
            }
        }
        Ok(())
    }

    /// Reads a JSON object field by field: each value that is missing takes its default, each
    /// that is wrong takes its default and says why. Unknown keys (a newer version's) are kept
    /// out of the result, not an error.
    fn from_object(obj: &Map<String, Value>, problems: &mut Vec<String>) -> Preferences {
        let d = Preferences::default();
        let mut p = d.clone();
        fn take<T: for<'de> Deserialize<'de>>(
            obj: &Map<String, Value>,
            key: &str,
            problems: &mut Vec<String>,
            keep: impl FnOnce(T) -> Result<()>,
        ) {
            let Some(v) = obj.get(key) else { return };
            match serde_json::from_value::<T>(v.clone()) {
                Ok(t) => {
                    if let Err(e) = keep(t) {
                        problems.push(format!("{key}: {} The default is used.", e.message));
                    }
                }
                Err(e) => problems.push(format!("{key}: {e}. The default is used.")),
            }
        }
        take::<Theme>(obj, "theme", problems, |t| {
            p.theme = t;
            Ok(())
        });
        take::<Option<String>>(obj, "defaultEngine", problems, |t| {
            if let Some(id) = &t {
                check_engine_id(id)?;
            }
            p.default_engine = t;
            Ok(())
        });
        take::<u32>(obj, "stopGraceSeconds", problems, |t| {
            range("The stop grace period", t, 0, STOP_GRACE_MAX)?;
            p.stop_grace_seconds = t;
            Ok(())
        });
        take::<bool>(obj, "confirmDestructive", problems, |t| {
            p.confirm_destructive = t;
            Ok(())
        });
        take::<Density>(obj, "density", problems, |t| {
            p.density = t;
            Ok(())
        });
        take::<u32>(obj, "terminalFontSize", problems, |t| {
            range("The terminal font size", t, FONT_SIZE_MIN, FONT_SIZE_MAX)?;
            p.terminal_font_size = t;
            Ok(())
        });
        take::<u32>(obj, "terminalScrollback", problems, |t| {
            range("The terminal scrollback", t, 0, SCROLLBACK_MAX)?;
            p.terminal_scrollback = t;
            Ok(())
        });
        take::<BTreeMap<String, Vec<String>>>(obj, "hiddenColumns", problems, |t| {
            let probe = Preferences { hidden_columns: t, ..Preferences::default() };
            probe.check()?;
            p.hidden_columns = probe.hidden_columns;
            Ok(())
        });
        take::<String>(obj, "lastView", problems, |t| {
            if !VIEWS.contains(&t.as_str()) {
                return Err(Error::invalid(format!("There is no page called {t:?}.")));
            }
            p.last_view = t;
            Ok(())
        });
        p
    }
}

fn check_engine_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > ENGINE_ID_MAX || id.chars().any(char::is_control) {
        return Err(Error::invalid("The default engine's name is empty, too long or holds control characters."));
    }
    Ok(())
}

/// The preferences file of one config folder.
#[derive(Debug, Clone)]
pub struct PrefsStore {
    path: PathBuf,
}

impl PrefsStore {
    pub fn new(config_dir: &Path) -> PrefsStore {
        PrefsStore { path: config_dir.join(FILE_NAME) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The preferences, never an error: see the module's comment.
    pub fn load(&self) -> PrefsLoaded {
        let path = self.path.display().to_string();
        let mut problems = Vec::new();
        let text = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return PrefsLoaded { prefs: Preferences::default(), path, problems };
            }
            Err(e) => {
                problems.push(format!("The preferences file {path} cannot be read ({e}); the defaults are used."));
                return PrefsLoaded { prefs: Preferences::default(), path, problems };
            }
        };
        let parsed = serde_json::from_slice::<Value>(&text);
        let prefs = match parsed {
            Ok(Value::Object(obj)) => Preferences::from_object(&obj, &mut problems),
            other => {
                let why = match other {
                    Err(e) => format!("it is not JSON ({e})"),
                    Ok(_) => "it does not hold a JSON object".to_owned(),
                };
                let kept = self.move_aside();
                problems.push(match kept {
                    Ok(to) => format!(
                        "The preferences file {path} was unusable: {why}. It was kept as {} and the defaults are used.",
                        to.display()
                    ),
                    Err(e) => format!("The preferences file {path} was unusable: {why} ({e}). The defaults are used."),
                });
                Preferences::default()
            }
        };
        PrefsLoaded { prefs, path, problems }
    }

    /// Renames an unusable file out of the way so that the next save does not overwrite it.
    fn move_aside(&self) -> std::io::Result<PathBuf> {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let to = self.path.with_file_name(format!("{FILE_NAME}.broken-{secs}"));
        std::fs::rename(&self.path, &to)?;
        Ok(to)
    }

    /// Checks the preferences and writes them atomically (a temporary file, synced, renamed).
    pub fn save(&self, prefs: &Preferences) -> Result<()> {
        prefs.check()?;
        let text = serde_json::to_vec_pretty(prefs).map_err(|e| Error::internal(format!("preferences: {e}")))?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(dir)?;
            let tmp = self.path.with_file_name(format!("{FILE_NAME}.tmp"));
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&text)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &self.path).inspect_err(|_| {
                let _ = std::fs::remove_file(&tmp);
            })
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(self.path.with_file_name(format!("{FILE_NAME}.tmp")));
            Error::internal(format!("Cannot save the preferences in {}: {e}", self.path.display()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, PrefsStore) {
        let dir = tempfile::tempdir().expect("temp dir");
        let s = PrefsStore::new(dir.path());
        (dir, s)
    }

    #[test]
    fn no_file_gives_the_defaults_without_a_problem() {
        let (_d, s) = store();
        let l = s.load();
        assert_eq!(l.prefs, Preferences::default());
        assert!(l.problems.is_empty());
    }

    #[test]
    fn what_is_saved_is_read_back() {
        let (_d, s) = store();
        let mut p = Preferences {
            theme: Theme::Dark,
            default_engine: Some("bulkhead:remote".into()),
            stop_grace_seconds: 3,
            confirm_destructive: false,
            density: Density::Compact,
            terminal_font_size: 16,
            terminal_scrollback: 20_000,
            last_view: "images".into(),
            ..Preferences::default()
        };
        p.hidden_columns.insert("containers".into(), vec!["ports".into(), "created".into()]);
        s.save(&p).expect("saved");
        let l = s.load();
        assert_eq!(l.prefs, p);
        assert!(l.problems.is_empty(), "{:?}", l.problems);
    }

    #[test]
    fn a_file_that_is_not_json_is_kept_aside_and_the_defaults_used() {
        let (d, s) = store();
        std::fs::write(s.path(), b"{\"theme\": \"dark\",,, oops").expect("write");
        let l = s.load();
        assert_eq!(l.prefs, Preferences::default());
        assert_eq!(l.problems.len(), 1);
        assert!(l.problems[0].contains("not JSON"), "{}", l.problems[0]);
        assert!(!s.path().exists(), "the broken file was moved aside");
        let kept: Vec<_> = std::fs::read_dir(d.path())
            .expect("dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("preferences.json.broken-"))
            .collect();
        assert_eq!(kept.len(), 1);
        assert_eq!(std::fs::read(kept[0].path()).expect("read"), b"{\"theme\": \"dark\",,, oops");
        // The next save writes a fresh file; the broken one stays.
        s.save(&Preferences::default()).expect("saved");
        assert!(kept[0].path().exists());
    }

    #[test]
    fn a_json_array_or_binary_garbage_is_unusable_too() {
        for bad in [&b"[1,2,3]"[..], &[0xff, 0xfe, 0x00, 0x01][..], &b""[..]] {
            let (_d, s) = store();
            std::fs::write(s.path(), bad).expect("write");
            let l = s.load();
            assert_eq!(l.prefs, Preferences::default());
            assert_eq!(l.problems.len(), 1, "{bad:?}");
        }
    }

    #[test]
    fn a_wrong_value_takes_its_default_and_the_others_are_kept() {
        let (_d, s) = store();
        std::fs::write(
            s.path(),
            br#"{"theme":"purple","terminalFontSize":200,"stopGraceSeconds":-4,"density":"compact",
                "hiddenColumns":{"containers":["name"]},"lastView":"../etc","confirmDestructive":false,
                "futureSetting":{"x":1}}"#,
        )
        .expect("write");
        let l = s.load();
        assert_eq!(l.prefs.theme, Theme::System);
        assert_eq!(l.prefs.terminal_font_size, 13);
        assert_eq!(l.prefs.stop_grace_seconds, 10);
        assert_eq!(l.prefs.density, Density::Compact);
        assert!(!l.prefs.confirm_destructive);
        assert!(l.prefs.hidden_columns.is_empty());
        assert_eq!(l.prefs.last_view, "containers");
        assert_eq!(l.problems.len(), 5, "{:#?}", l.problems);
        assert!(l.problems.iter().any(|p| p.starts_with("terminalFontSize:") && p.contains("between 8 and 32")));
        assert!(s.path().exists(), "a file with some wrong values is not moved");
    }

    #[test]
    fn saving_refuses_what_is_out_of_bounds_and_writes_nothing() {
        let (_d, s) = store();
        for bad in [
            Preferences { terminal_font_size: 7, ..Preferences::default() },
            Preferences { terminal_scrollback: SCROLLBACK_MAX + 1, ..Preferences::default() },
            Preferences { stop_grace_seconds: STOP_GRACE_MAX + 1, ..Preferences::default() },
            Preferences { last_view: "nowhere".into(), ..Preferences::default() },
            Preferences { default_engine: Some("a\u{1b}[31m".into()), ..Preferences::default() },
            Preferences { default_engine: Some(String::new()), ..Preferences::default() },
            Preferences {
                hidden_columns: [("containers".to_owned(), vec!["name".to_owned()])].into(),
                ..Preferences::default()
            },
            Preferences { hidden_columns: [("secrets".to_owned(), vec![])].into(), ..Preferences::default() },
        ] {
            let e = s.save(&bad).expect_err("refused");
            assert_eq!(e.kind, crate::error::ErrorKind::InvalidArgument, "{bad:?}");
            assert!(!s.path().exists());
        }
    }

    /// The window offers exactly the columns the backend accepts (ui/src/lib/columns.ts).
    #[test]
    fn the_window_offers_the_hideable_columns_this_file_accepts() {
        let ts = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/columns.ts"))
            .expect("ui/src/lib/columns.ts");
        let body = &ts[ts.find("hideableColumns").expect("hideableColumns")..];
        let mut lists: Vec<(String, Vec<String>)> = Vec::new();
        for line in body.lines() {
            let t = line.trim();
            if let Some(name) = t.strip_suffix(": [") {
                lists.push((name.to_owned(), Vec::new()));
            } else if let Some(rest) = t.strip_prefix("{ id: '") {
                let id = rest.split('\'').next().unwrap_or_default();
                lists.last_mut().expect("a list first").1.push(id.to_owned());
            } else if t == "};" {
                break;
            }
        }
        let want: Vec<(String, Vec<String>)> =
            COLUMNS.iter().map(|(l, c)| ((*l).to_owned(), c.iter().map(|s| (*s).to_owned()).collect())).collect();
        assert_eq!(lists, want);
    }

    #[test]
    fn a_folder_that_cannot_be_written_is_a_clear_error() {
        let (d, _s) = store();
        let blocker = d.path().join("not-a-folder");
        std::fs::write(&blocker, b"x").expect("write");
        let s = PrefsStore::new(&blocker.join("sub"));
        let e = s.save(&Preferences::default()).expect_err("refused");
        assert!(e.message.contains("Cannot save the preferences"), "{}", e.message);
    }
}
