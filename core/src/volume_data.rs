//! Inside a volume: browse its files (read-only), save a file or a folder, export it whole to a
//! `.tar.gz` and import one into an empty volume.
//!
//! Everything goes through the Engine API's archive endpoints on a helper container that is
//! created — never started — with the volume mounted (read-only unless importing), from a tiny
//! image this module builds `FROM scratch` (no pull, no shell, nothing to run). The helper is
//! removed when the work ends, fails or is cancelled (its guard removes it on drop).
//!
//! Data is streamed and never held whole: the engine's tar flows through a bounded channel to
//! a blocking thread that gzips it into a part file next to the destination (renamed into
//! place at the end, deleted on failure or cancel). An import is read twice: a first pass
//! checks every entry (no absolute path, no `..`, nothing through a symlink the archive made,
//! no hard link out, no device) before anything is written; the second streams the checked
//! entries to the engine.

use crate::archive::{
    count_progress, list_one_level, run_transfer, through_blocking, write_gzip, write_single_file, ChannelWriter,
    CountingReader, PathStat,
};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::refs::VolumeRef;
use crate::text::{neutralise, url_component};
use bytes::Bytes;
use futures_util::Stream;
use serde::Serialize;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use crate::archive::{EntryKind, FileEntry, TransferEvent};

#[cfg(feature = "ts")]
use ts_rs::TS;

/// The helper's image: `FROM scratch` with a label and a command that never runs.
pub const HELPER_IMAGE: &str = "bulkhead/volume-helper:1";
/// On the helper image and on every helper container.
pub const HELPER_LABEL: &str = "dev.bulkhead.helper";
/// On a helper container: the volume it is for.
pub const HELPER_VOLUME_LABEL: &str = "dev.bulkhead.helper.volume";
/// Where a helper sees the volume.
const MOUNT: &str = "/bulkhead-volume";

/// One folder of a volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct VolumeListing {
    pub path: String,
    /// Folders first, then by name.
    pub entries: Vec<FileEntry>,
    /// Entries left out past the first 10,000.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub more: u64,
}

/// A path inside a volume: `/`-separated names, no `.` or `..`, no NUL; empty for the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumePath(String);

impl VolumePath {
    pub fn parse(input: &str) -> Result<VolumePath> {
        crate::archive::plain_names(input, "the volume").map(VolumePath)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the helper sees it.
    fn in_helper(&self) -> String {
        if self.0.is_empty() {
            MOUNT.to_owned()
        } else {
            format!("{MOUNT}/{}", self.0)
        }
    }

    /// The last name of the path (empty for the root).
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or_default()
    }
}

/// A helper container; removed (never with its volumes) when dropped if not before.
struct Helper {
    engine: Engine,
    id: String,
    removed: bool,
}

impl Helper {
    async fn remove(mut self) {
        self.removed = true;
        remove_helper(&self.engine, &self.id).await;
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        let (engine, id) = (self.engine.clone(), self.id.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { remove_helper(&engine, &id).await });
        }
    }
}

async fn remove_helper(engine: &Engine, id: &str) {
    // `v=0`: the volume stays, whatever it is (an anonymous one would go with `-v`).
    let path = format!("/containers/{}?force=1&v=0", url_component(id));
    let _ = crate::http::send_json(engine.transport(), engine.version().api, "DELETE", &path, None).await;
}

impl Engine {
    /// Builds the helper image if this engine does not have it yet.
    async fn helper_image(&self) -> Result<()> {
        let r = crate::refs::ImageRef::parse(HELPER_IMAGE)?;
        if self.image_summary(&r).await?.is_some() {
            return Ok(());
        }
        let dockerfile =
            format!("FROM scratch\nLABEL {HELPER_LABEL}=volume\nCMD [\"/bulkhead-volume-helper-is-never-started\"]\n");
        self.build_scratch_image(HELPER_IMAGE, &dockerfile, &[], "the volume helper image").await
    }

    /// Removes helper containers (never started) made more than `older_than` ago — of one
    /// volume, or of all: what an app that ended mid-transfer left behind. How many went.
    pub async fn sweep_helpers(&self, older_than: std::time::Duration, of: Option<&VolumeRef>) -> Result<usize> {
        let labels = match of {
            Some(v) => format!("\"{HELPER_LABEL}=volume\",\"{HELPER_VOLUME_LABEL}={}\"", v.as_str()),
            None => format!("\"{HELPER_LABEL}=volume\""),
        };
        let filters = format!("{{\"label\":[{labels}],\"status\":[\"created\"]}}");
        let path = format!("/containers/json?all=1&filters={}", url_component(&filters));
        let body = crate::http::get(self.transport(), self.version().api, &path).await?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let cutoff = i64::try_from(now.saturating_sub(older_than.as_secs())).unwrap_or(i64::MAX);
        let stale: Vec<String> = crate::containers::parse_container_list(&body)?
            .into_iter()
            .filter(|c| c.created <= cutoff)
            .map(|c| c.id)
            .collect();
        for id in &stale {
            remove_helper(self, id).await;
        }
        Ok(stale.len())
    }

    /// A helper container with the volume at `MOUNT`; it is never started. Helpers older than
    /// a day (left by an app that ended mid-transfer) are swept first.
    async fn helper(&self, v: &VolumeRef, writable: bool) -> Result<Helper> {
        if self.volume_summary(v).await?.is_none() {
            return Err(Error::new(ErrorKind::NotFound, format!("There is no volume {}.", v.as_str())));
        }
        let _ = self.sweep_helpers(std::time::Duration::from_secs(24 * 3600), None).await;
        self.helper_image().await?;
        let body = serde_json::json!({
            "Image": HELPER_IMAGE,
            "Labels": { HELPER_LABEL: "volume", HELPER_VOLUME_LABEL: v.as_str() },
            "NetworkDisabled": true,
            "HostConfig": {
                "NetworkMode": "none",
                "Mounts": [{ "Type": "volume", "Source": v.as_str(), "Target": MOUNT, "ReadOnly": !writable }],
            },
        });
        let answer = crate::http::send_json(
            self.transport(),
            self.version().api,
            "POST",
            "/containers/create",
            Some(body.to_string()),
        )
        .await?;
        let id = serde_json::from_slice::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v.get("Id").and_then(|i| i.as_str()).map(str::to_owned))
            .ok_or_else(|| Error::unreadable("new helper container", "no Id"))?;
        Ok(Helper { engine: self.clone(), id, removed: false })
    }

    async fn stat(&self, helper: &Helper, p: &VolumePath) -> Result<PathStat> {
        self.path_stat(&helper.id, &p.in_helper(), &format!("{:?} in the volume", p.as_str())).await
    }

    /// The engine's tar of a path in the helper, as a stream of pieces.
    async fn tar_of(&self, helper: &Helper, in_helper: &str) -> Result<crate::http::BodyStream> {
        self.archive_stream(&helper.id, in_helper).await
    }

    /// One folder of a volume (read-only), folders first. Its subtree is read once to size
    /// the folders; the data flows past without being kept.
    pub async fn volume_browse(&self, v: &VolumeRef, dir: &VolumePath) -> Result<VolumeListing> {
        let helper = self.helper(v, false).await?;
        let result = async {
            let st = self.stat(&helper, dir).await?;
            if !st.is_dir() {
                return Err(Error::invalid(format!("{:?} is not a folder.", dir.as_str())));
            }
            let body = self.tar_of(&helper, &format!("{}/.", dir.in_helper())).await?;
            let prefix = dir.as_str().to_owned();
            let entries = through_blocking(body, move |r| list_one_level(r, &prefix)).await??;
            Ok(entries)
        }
        .await;
        helper.remove().await;
        let (entries, more) = result?;
        Ok(VolumeListing { path: dir.as_str().to_owned(), entries, more })
    }

    /// Whether a path of a volume is a folder (a download is then a `.tar.gz`).
    pub async fn volume_is_folder(&self, v: &VolumeRef, p: &VolumePath) -> Result<bool> {
        let helper = self.helper(v, false).await?;
        let st = self.stat(&helper, p).await;
        helper.remove().await;
        Ok(st?.is_dir())
    }

    /// Saves `path` of a volume to `dest`: a file as itself, a folder (the root: the whole
    /// volume) as a `.tar.gz`. Streamed; cancelled by dropping the stream (the part file and
    /// the helper go).
    pub fn volume_save(
        &self,
        v: &VolumeRef,
        path: &VolumePath,
        dest: PathBuf,
    ) -> impl Stream<Item = TransferEvent> + Send + 'static {
        let (engine, v, path) = (self.clone(), v.clone(), path.clone());
        run_transfer(move |tx| async move {
            let helper = engine.helper(&v, false).await?;
            let st = engine.stat(&helper, &path).await?;
            if st.is_symlink() {
                return Err(Error::invalid(format!(
                    "{:?} is a link to {:?}: it is not followed. Save the folder that holds it instead.",
                    path.as_str(),
                    neutralise(&st.link_target)
                )));
            }
            let folder = st.is_dir();
            let warning = engine.running_users(&v).await;
            let _ = tx.send(TransferEvent::Started { total: None, warning }).await;
            // A folder: its contents, named from it ("./…"); a file: its one entry.
            let src = if folder { format!("{}/.", path.in_helper()) } else { path.in_helper() };
            let body = engine.tar_of(&helper, &src).await?;
            let counted = count_progress(body, tx.clone());
            let dest2 = dest.clone();
            let written =
                through_blocking(
                    counted,
                    move |r| {
                        if folder {
                            write_gzip(r, &dest2)
                        } else {
                            write_single_file(r, &dest2)
                        }
                    },
                )
                .await??;
            helper.remove().await;
            Ok(TransferEvent::Done { target: dest.display().to_string(), bytes: written, entries: None })
        })
    }

    /// Imports a `.tar.gz` (as `volume_save` makes) into an empty volume. Every entry is
    /// checked before anything is written; a bad archive leaves the volume as it was.
    pub fn volume_import(&self, v: &VolumeRef, src: PathBuf) -> impl Stream<Item = TransferEvent> + Send + 'static {
        let (engine, v) = (self.clone(), v.clone());
        run_transfer(move |tx| async move {
            let total = std::fs::metadata(&src)
                .map_err(|e| Error::invalid(format!("Cannot read {}: {e}", src.display())))?
                .len();
            let checked = {
                let src = src.clone();
                tokio::task::spawn_blocking(move || check_archive(&src))
                    .await
                    .map_err(|e| Error::internal(e.to_string()))??
            };
            let helper = engine.helper(&v, true).await?;
            let body = engine.tar_of(&helper, &format!("{MOUNT}/.")).await?;
            let (present, _) = through_blocking(body, |r| list_one_level(r, "")).await??;
            if !present.is_empty() {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "Volume {} is not empty ({} entries at its top): import into a new or empty volume.",
                        v.as_str(),
                        present.len()
                    ),
                ));
            }
            let _ = tx.send(TransferEvent::Started { total: Some(total), warning: None }).await;
            let (chunks, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(16);
            let progress = tx.clone();
            let src2 = src.clone();
            let writer = tokio::task::spawn_blocking(move || rewrite_archive(&src2, chunks, progress));
            let body = futures_util::stream::poll_fn({
                let mut rx = rx;
                move |cx| rx.poll_recv(cx)
            });
            let path = format!("/containers/{}/archive?path={}", url_component(&helper.id), url_component(MOUNT));
            let sent =
                crate::http::put_stream(engine.transport(), engine.version().api, &path, "application/x-tar", body)
                    .await;
            let rewritten = writer.await.map_err(|e| Error::internal(e.to_string()))?;
            let partly = |e: Error| {
                Error::new(
                    e.kind,
                    format!("{} The volume may hold part of the archive now: remove it and import again.", e.message),
                )
            };
            sent.map_err(partly)?;
            rewritten.map_err(partly)?;
            helper.remove().await;
            Ok(TransferEvent::Done { target: v.as_str().to_owned(), bytes: total, entries: Some(checked) })
        })
    }

    /// "In use by running containers A, B" when some are: what is saved may be changing.
    async fn running_users(&self, v: &VolumeRef) -> Option<String> {
        let containers = self.list_containers().await.ok()?;
        let running: Vec<String> = crate::volumes::volume_users(v.as_str(), &containers)
            .into_iter()
            .filter(|u| u.running)
            .map(|u| u.container_name)
            .collect();
        (!running.is_empty()).then(|| {
            format!(
                "{} is in use by running containers ({}): this is a copy of files that may be changing, and may be inconsistent. Nothing was stopped.",
                v.as_str(),
                running.join(", ")
            )
        })
    }
}

/// Why an archive entry is refused, in words that follow "it holds …".
struct Refusal(String);

/// An archive entry's path made safe: relative, no `..`, no `.` parts; refused if it cannot be.
fn clean_path(raw: &[u8]) -> std::result::Result<String, Refusal> {
    let s = std::str::from_utf8(raw).map_err(|_| Refusal("a name that is not UTF-8".to_owned()))?;
    if s.starts_with('/') {
        return Err(Refusal(format!("an absolute path ({:?})", neutralise(s))));
    }
    let mut parts = Vec::new();
    for p in s.split('/') {
        match p {
            "" | "." => {}
            ".." => return Err(Refusal(format!("a path that climbs out with '..' ({:?})", neutralise(s)))),
            p if p.contains('\0') => return Err(Refusal("a NUL in a name".to_owned())),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Checks every entry of a `.tar.gz` before anything is written: returns how many there are.
fn check_archive(src: &Path) -> Result<u64> {
    let f = std::fs::File::open(src).map_err(|e| Error::invalid(format!("Cannot read {}: {e}", src.display())))?;
    let bad = |what: String| {
        Error::invalid(format!("{} cannot be imported: it holds {what}. Nothing was written.", src.display()))
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(f)));
    let mut links: HashSet<String> = HashSet::new();
    let mut n = 0u64;
    for entry in archive.entries().map_err(|e| bad(format!("no readable tar.gz ({e})")))? {
        let entry = entry.map_err(|e| bad(format!("an unreadable entry ({e})")))?;
        let path = clean_path(&entry.path_bytes()).map_err(|r| bad(r.0))?;
        if path.is_empty() {
            continue;
        }
        // Nothing may be written through a symlink the archive made earlier.
        let mut prefix = String::new();
        for part in path.split('/').take(path.split('/').count() - 1) {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if links.contains(&prefix) {
                return Err(bad(format!(
                    "an entry written through the link {:?} ({:?})",
                    neutralise(&prefix),
                    neutralise(&path)
                )));
            }
        }
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::Directory => {}
            tar::EntryType::Symlink => {
                links.insert(path.clone());
            }
            tar::EntryType::Link => {
                let target = entry.link_name_bytes().map(|l| l.into_owned()).unwrap_or_default();
                clean_path(&target).map_err(|why| bad(format!("a hard link to {}", why.0)))?;
            }
            tar::EntryType::XHeader
            | tar::EntryType::XGlobalHeader
            | tar::EntryType::GNULongName
            | tar::EntryType::GNULongLink => {}
            other => {
                return Err(bad(format!(
                    "a {other:?} entry ({:?}): only files, folders and links are imported",
                    neutralise(&path)
                )))
            }
        }
        n += 1;
    }
    Ok(n)
}

/// Streams the checked archive, rewritten with clean relative paths, into `out`; progress is
/// the compressed bytes read from `src`.
fn rewrite_archive(
    src: &Path,
    out: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    progress: tokio::sync::mpsc::Sender<TransferEvent>,
) -> Result<()> {
    let f = std::fs::File::open(src).map_err(|e| Error::invalid(format!("Cannot read {}: {e}", src.display())))?;
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let read = CountingReader { inner: std::io::BufReader::new(f), n: std::sync::Arc::clone(&counter) };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(read));
    let sink = ChannelWriter { tx: out.clone(), buf: Vec::with_capacity(256 << 10), counter, progress, reported: 0 };
    let mut builder = tar::Builder::new(sink);
    builder.follow_symlinks(false);
    let io = |e: std::io::Error| Error::invalid(format!("{} could not be read: {e}", src.display()));
    for entry in archive.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        let Ok(path) = clean_path(&entry.path_bytes()) else { continue };
        if path.is_empty() {
            continue;
        }
        let mut header = entry.header().clone();
        match header.entry_type() {
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry.link_name_bytes().map(|l| l.into_owned()).unwrap_or_default();
                let target = if header.entry_type() == tar::EntryType::Link {
                    clean_path(&target).unwrap_or_default().into_bytes()
                } else {
                    target
                };
                builder.append_link(&mut header, &path, Path::new(&*String::from_utf8_lossy(&target))).map_err(io)?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::Directory => {
                builder.append_data(&mut header, &path, &mut entry).map_err(io)?;
            }
            _ => continue,
        }
    }
    let mut sink = builder.into_inner().map_err(io)?;
    sink.flush().map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (path, kind, data, link target) of one entry of a test archive.
    type Entry<'a> = (&'a str, tar::EntryType, &'a [u8], &'a str);

    fn tar_of(entries: &[Entry]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, kind, data, link) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            // Written raw, as a hostile archive would be: the tar crate's own setters refuse `..`.
            let name = path.as_bytes();
            h.as_old_mut().name[..name.len()].copy_from_slice(name);
            if !link.is_empty() {
                h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
            }
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn gz(data: &[u8]) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        let mut e = flate2::write::GzEncoder::new(f.reopen().unwrap(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap();
        f
    }

    #[test]
    fn volume_paths() {
        assert_eq!(VolumePath::parse("").unwrap().as_str(), "");
        assert_eq!(VolumePath::parse("/a//b/").unwrap().as_str(), "a/b");
        assert_eq!(VolumePath::parse("a/b").unwrap().in_helper(), "/bulkhead-volume/a/b");
        for bad in ["..", "a/../../etc", "./x", "a\0b"] {
            assert!(VolumePath::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn one_level_is_listed_with_folder_sizes() {
        use tar::EntryType as E;
        let t = tar_of(&[
            ("./", E::Directory, b"", ""),
            ("./sub/", E::Directory, b"", ""),
            ("./sub/a.txt", E::Regular, b"hello", ""),
            ("./sub/deeper/", E::Directory, b"", ""),
            ("./sub/deeper/b", E::Regular, b"12345678", ""),
            ("./top.txt", E::Regular, b"yo", ""),
            ("./link", E::Symlink, b"", "/etc/shadow"),
            ("./bad\nname\u{1b}", E::Regular, b"x", ""),
        ]);
        let (l, more) = list_one_level(&mut t.as_slice(), "p").unwrap();
        assert_eq!(more, 0);
        let names: Vec<&str> = l.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["sub", "bad\u{FFFD}name\u{FFFD}", "link", "top.txt"], "folders first, names neutralised");
        assert_eq!((l[0].size, l[0].items, l[0].path.as_str()), (13, 3, "p/sub"));
        assert_eq!((l[2].kind, l[2].link_target.as_str()), (EntryKind::Symlink, "/etc/shadow"));
        assert_eq!((l[3].kind, l[3].size, l[3].mode.as_str()), (EntryKind::File, 2, "rw-r--r--"));
    }

    #[test]
    fn hostile_archives_are_refused_before_anything_is_written() {
        use tar::EntryType as E;
        let cases: &[(&[Entry], &str)] = &[
            (&[("../escape", E::Regular, b"x", "")], "climbs out"),
            (&[("a/../../escape", E::Regular, b"x", "")], "climbs out"),
            (&[("/etc/cron.d/x", E::Regular, b"x", "")], "absolute"),
            (&[("etc", E::Symlink, b"", "/etc"), ("etc/passwd", E::Regular, b"x", "")], "through the link"),
            (&[("h", E::Link, b"", "../../etc/shadow")], "hard link"),
            (&[("h", E::Link, b"", "/etc/shadow")], "hard link"),
            (&[("dev", E::Char, b"", "")], "only files, folders and links"),
        ];
        for (entries, says) in cases {
            let f = gz(&tar_of(entries));
            let e = check_archive(f.path()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e}");
            assert!(e.message.contains(says) && e.message.contains("Nothing was written"), "{says}: {e}");
        }
        let not_gzip = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(not_gzip.path(), b"plain text").unwrap();
        assert!(check_archive(not_gzip.path()).is_err());
        let fine = gz(&tar_of(&[
            ("./", E::Directory, b"", ""),
            ("./d/", E::Directory, b"", ""),
            ("./d/f", E::Regular, b"data", ""),
            ("./abs-link", E::Symlink, b"", "/etc/shadow"),
            ("./hard", E::Link, b"", "d/f"),
        ]));
        assert_eq!(
            check_archive(fine.path()).unwrap(),
            4,
            "a symlink to anywhere is data; only writing through it is refused"
        );
    }

    #[test]
    fn a_rewritten_archive_keeps_every_entry_with_clean_paths() {
        use tar::EntryType as E;
        let src = gz(&tar_of(&[
            ("./", E::Directory, b"", ""),
            ("./d/", E::Directory, b"", ""),
            ("./d/f", E::Regular, b"data", ""),
            ("./l", E::Symlink, b"", "d/f"),
        ]));
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let (ptx, _prx) = tokio::sync::mpsc::channel(64);
        rewrite_archive(src.path(), tx, ptx).unwrap();
        let mut all = Vec::new();
        while let Ok(Ok(p)) = rx.try_recv() {
            all.extend_from_slice(&p);
        }
        let mut a = tar::Archive::new(all.as_slice());
        let got: Vec<(String, tar::EntryType)> = a
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.path().unwrap().display().to_string(), e.header().entry_type())
            })
            .collect();
        assert_eq!(got, [("d".to_owned(), E::Directory), ("d/f".to_owned(), E::Regular), ("l".to_owned(), E::Symlink)]);
    }

    #[test]
    fn modes_read_as_ls_does() {
        use crate::archive::mode_string;
        assert_eq!(mode_string(0o755), "rwxr-xr-x");
        assert_eq!(mode_string(0o640), "rw-r-----");
        assert_eq!(mode_string(0o4755), "rwsr-xr-x", "setuid");
        assert_eq!(mode_string(0o2750), "rwxr-s---", "setgid");
        assert_eq!(mode_string(0o1777), "rwxrwxrwt", "sticky");
        assert_eq!(mode_string(0o4644), "rwSr--r--", "setuid without x");
    }
}
