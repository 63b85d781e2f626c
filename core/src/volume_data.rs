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

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::refs::VolumeRef;
use crate::text::{neutralise, url_component};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

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
/// A folder listing returns at most this many entries (the rest are counted).
const MAX_LISTED: usize = 10_000;
/// Progress is reported at most every this many bytes.
const PROGRESS_EVERY: u64 = 1 << 20;

/// What a volume's entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum EntryKind {
    File,
    Folder,
    Symlink,
    /// A hard link, a device, a pipe…
    Other,
}

/// One entry of a folder of a volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct VolumeEntry {
    pub name: String,
    /// From the volume's root, `/`-separated, without a leading `/`.
    pub path: String,
    pub kind: EntryKind,
    /// A file's size; a folder's: everything under it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// A folder: how many entries are under it (at any depth).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub items: u64,
    /// `rwxr-xr-x`.
    pub mode: String,
    pub uid: u64,
    pub gid: u64,
    /// Unix time, seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub modified: i64,
    /// A symlink's target, as written (never followed).
    pub link_target: String,
}

/// One folder of a volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct VolumeListing {
    pub path: String,
    /// Folders first, then by name.
    pub entries: Vec<VolumeEntry>,
    /// Entries left out past the first 10,000.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub more: u64,
}

/// What an export, a download or an import says while it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum TransferEvent {
    /// The helper is ready; `total` is known for an import (the archive's size).
    Started {
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        total: Option<u64>,
        /// e.g. the volume is in use by running containers: a snapshot of changing files.
        warning: Option<String>,
    },
    Progress {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        bytes: u64,
    },
    Done {
        /// The file written (export, download) or the volume filled (import).
        target: String,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        bytes: u64,
        /// Entries imported (an import; a save does not count them).
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        entries: Option<u64>,
    },
    Failed(Error),
}

/// A path inside a volume: `/`-separated names, no `.` or `..`, no NUL; empty for the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumePath(String);

impl VolumePath {
    pub fn parse(input: &str) -> Result<VolumePath> {
        let parts: Vec<&str> = input.split('/').filter(|p| !p.is_empty()).collect();
        for p in &parts {
            if *p == "." || *p == ".." || p.contains('\0') {
                return Err(Error::invalid(format!(
                    "{:?} is not a path inside the volume: no '.', '..' or NUL.",
                    neutralise(input)
                )));
            }
        }
        if input.len() > 4096 {
            return Err(Error::invalid("A path inside a volume is at most 4096 bytes."));
        }
        Ok(VolumePath(parts.join("/")))
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

/// A path's stat, from the engine's `X-Docker-Container-Path-Stat`.
#[derive(serde::Deserialize)]
struct PathStat {
    #[serde(default)]
    mode: u32,
    #[serde(default, rename = "linkTarget")]
    link_target: String,
}

/// Go's os.FileMode bits.
const MODE_DIR: u32 = 1 << 31;
const MODE_SYMLINK: u32 = 1 << 27;

impl Engine {
    /// Builds the helper image if this engine does not have it yet.
    async fn helper_image(&self) -> Result<()> {
        let r = crate::refs::ImageRef::parse(HELPER_IMAGE)?;
        if self.image_summary(&r).await?.is_some() {
            return Ok(());
        }
        let dockerfile =
            format!("FROM scratch\nLABEL {HELPER_LABEL}=volume\nCMD [\"/bulkhead-volume-helper-is-never-started\"]\n");
        let mut tar = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(dockerfile.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, "Dockerfile", dockerfile.as_bytes()).map_err(|e| Error::internal(e.to_string()))?;
        let context = tar.into_inner().map_err(|e| Error::internal(e.to_string()))?;
        let opts = bollard::query_parameters::BuildImageOptions {
            t: Some(HELPER_IMAGE.to_owned()),
            rm: true,
            forcerm: true,
            ..Default::default()
        };
        let mut out = Box::pin(self.docker.build_image(opts, None, Some(bollard::body_full(context.into()))));
        while let Some(item) = out.next().await {
            let info = item.map_err(|e| self.fail(e))?;
            if let Some(e) = info.error_detail.and_then(|d| d.message) {
                return Err(Error::new(ErrorKind::Engine, format!("Could not build the volume helper image: {e}")));
            }
        }
        Ok(())
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
        let path = format!("/containers/{}/archive?path={}", url_component(&helper.id), url_component(&p.in_helper()));
        let raw = crate::http::head_header(self.transport(), self.version().api, &path, "X-Docker-Container-Path-Stat")
            .await
            .map_err(|e| {
                if e.kind == ErrorKind::NotFound {
                    Error::new(ErrorKind::NotFound, format!("There is no {:?} in the volume.", p.as_str()))
                } else {
                    e
                }
            })?
            .ok_or_else(|| Error::unreadable("path stat", "no X-Docker-Container-Path-Stat header"))?;
        use base64::Engine as _;
        let json = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_err(|e| Error::unreadable("path stat", e))?;
        serde_json::from_slice(&json).map_err(|e| Error::unreadable("path stat", e))
    }

    /// The engine's tar of a path in the helper, as a stream of pieces.
    async fn tar_of(&self, helper: &Helper, in_helper: &str) -> Result<crate::http::BodyStream> {
        let path = format!("/containers/{}/archive?path={}", url_component(&helper.id), url_component(in_helper));
        crate::http::get_stream(self.transport(), self.version().api, &path).await
    }

    /// One folder of a volume (read-only), folders first. Its subtree is read once to size
    /// the folders; the data flows past without being kept.
    pub async fn volume_browse(&self, v: &VolumeRef, dir: &VolumePath) -> Result<VolumeListing> {
        let helper = self.helper(v, false).await?;
        let result = async {
            let st = self.stat(&helper, dir).await?;
            if st.mode & MODE_DIR == 0 {
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
        Ok(st?.mode & MODE_DIR != 0)
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
            if st.mode & MODE_SYMLINK != 0 {
                return Err(Error::invalid(format!(
                    "{:?} is a link to {:?}: it is not followed. Save the folder that holds it instead.",
                    path.as_str(),
                    neutralise(&st.link_target)
                )));
            }
            let folder = st.mode & MODE_DIR != 0;
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

/// Runs a transfer on a task of its own, its events through a channel: the stream ends after
/// `Done` or `Failed`. Dropping the stream closes the channel; the task notices and stops, and
/// what it held (helper, part file) goes with it.
fn run_transfer<Fut>(
    work: impl FnOnce(tokio::sync::mpsc::Sender<TransferEvent>) -> Fut,
) -> impl Stream<Item = TransferEvent> + Send + 'static
where
    Fut: std::future::Future<Output = Result<TransferEvent>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<TransferEvent>(64);
    let work = work(tx.clone());
    tokio::spawn(async move {
        let watch = tx.clone();
        let outcome = tokio::select! {
            r = work => Some(r),
            _ = watch.closed() => None,
        };
        match outcome {
            Some(Ok(done)) => {
                let _ = tx.send(done).await;
            }
            Some(Err(e)) => {
                let _ = tx.send(TransferEvent::Failed(e)).await;
            }
            None => {}
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|ev| (ev, rx)) })
}

/// Counts the bytes that pass, sending `Progress` every MiB or so.
fn count_progress(
    body: crate::http::BodyStream,
    tx: tokio::sync::mpsc::Sender<TransferEvent>,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
    let mut seen = 0u64;
    let mut reported = 0u64;
    body.map(move |piece| {
        if let Ok(p) = &piece {
            seen += p.len() as u64;
            if seen - reported >= PROGRESS_EVERY {
                reported = seen;
                let _ = tx.try_send(TransferEvent::Progress { bytes: seen });
            }
        }
        piece
    })
}

/// Feeds an async stream of pieces to a blocking reader on a thread of its own, through a
/// bounded channel (memory stays bounded whatever the size).
async fn through_blocking<T: Send + 'static>(
    body: impl Stream<Item = Result<Bytes>> + Send + 'static,
    work: impl FnOnce(&mut dyn Read) -> Result<T> + Send + 'static,
) -> Result<Result<T>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes>>(16);
    // Set only when the body really ended: a channel closed without it (the transfer was
    // cancelled and this future dropped) is an error for the reader, never a short success.
    let complete = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ended = std::sync::Arc::clone(&complete);
    let reader = tokio::task::spawn_blocking(move || {
        let mut r = ChannelReader { rx, piece: Bytes::new(), failed: None, complete: ended };
        let out = work(&mut r);
        // A failure of the engine's stream wins over what the reader made of the cut.
        match r.failed.take() {
            Some(e) => Err(e),
            None => out,
        }
    });
    let mut body = Box::pin(body);
    while let Some(piece) = body.next().await {
        let failed = piece.is_err();
        // Bounded: the engine is read no faster than the thread writes.
        if tx.send(piece).await.is_err() || failed {
            break;
        }
    }
    complete.store(true, std::sync::atomic::Ordering::Release);
    drop(tx);
    reader.await.map_err(|e| Error::internal(e.to_string()))
}

/// A `Read` over the pieces a channel brings.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Result<Bytes>>,
    piece: Bytes,
    failed: Option<Error>,
    complete: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.piece.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(p)) => self.piece = p,
                Some(Err(e)) => {
                    self.failed = Some(e);
                    return Err(std::io::Error::other("the engine's stream failed"));
                }
                None if self.complete.load(std::sync::atomic::Ordering::Acquire) => return Ok(0),
                None => return Err(std::io::Error::other("cancelled")),
            }
        }
        let n = buf.len().min(self.piece.len());
        buf[..n].copy_from_slice(&self.piece[..n]);
        self.piece = self.piece.slice(n..);
        Ok(n)
    }
}

fn tar_error(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Engine, format!("The engine's archive could not be read: {e}"))
}

fn mode_string(mode: u32) -> String {
    let bits = ['r', 'w', 'x'];
    (0..9).map(|i| if mode & (1 << (8 - i)) != 0 { bits[i % 3] } else { '-' }).collect()
}

/// The direct children of the listed folder (entries `./name…`), each folder sized by what
/// is under it.
fn list_one_level(r: &mut dyn Read, prefix: &str) -> Result<(Vec<VolumeEntry>, u64)> {
    let mut archive = tar::Archive::new(r);
    let mut children: BTreeMap<Vec<u8>, VolumeEntry> = BTreeMap::new();
    for entry in archive.entries().map_err(tar_error)? {
        let entry = entry.map_err(tar_error)?;
        let raw = entry.path_bytes().into_owned();
        let rel: &[u8] = raw.strip_prefix(b"./").unwrap_or(&raw);
        let rel: &[u8] = rel.strip_suffix(b"/").unwrap_or(rel);
        if rel.is_empty() || rel == b"." {
            continue;
        }
        let (first, deeper) = match rel.iter().position(|&b| b == b'/') {
            Some(i) => (&rel[..i], true),
            None => (rel, false),
        };
        let h = entry.header();
        let size = h.size().unwrap_or(0);
        let name = neutralise(&String::from_utf8_lossy(first));
        let child = children.entry(first.to_vec()).or_insert_with(|| VolumeEntry {
            path: if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") },
            name,
            kind: EntryKind::Folder,
            size: 0,
            items: 0,
            mode: String::new(),
            uid: 0,
            gid: 0,
            modified: 0,
            link_target: String::new(),
        });
        if deeper {
            child.size += size;
            child.items += 1;
        } else {
            child.kind = match h.entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
                tar::EntryType::Directory => EntryKind::Folder,
                tar::EntryType::Symlink => EntryKind::Symlink,
                _ => EntryKind::Other,
            };
            if child.kind != EntryKind::Folder {
                child.size = size;
            }
            child.mode = mode_string(h.mode().unwrap_or(0));
            child.uid = h.uid().unwrap_or(0);
            child.gid = h.gid().unwrap_or(0);
            child.modified = h.mtime().map_or(0, |t| i64::try_from(t).unwrap_or(0));
            child.link_target =
                entry.link_name_bytes().map(|l| neutralise(&String::from_utf8_lossy(&l))).unwrap_or_default();
        }
    }
    let mut entries: Vec<VolumeEntry> = children.into_values().collect();
    entries.sort_by(|a, b| {
        (b.kind == EntryKind::Folder).cmp(&(a.kind == EntryKind::Folder)).then_with(|| a.name.cmp(&b.name))
    });
    let more = entries.len().saturating_sub(MAX_LISTED) as u64;
    entries.truncate(MAX_LISTED);
    Ok((entries, more))
}

/// A part file beside `dest` (removed if dropped before `persist`).
fn part_file(dest: &Path) -> Result<tempfile::NamedTempFile> {
    let io = |e: std::io::Error| Error::invalid(format!("Cannot write {}: {e}", dest.display()));
    let (dir, name) = match (dest.parent(), dest.file_name()) {
        (Some(d), Some(n)) => (if d.as_os_str().is_empty() { Path::new(".") } else { d }, n),
        _ => return Err(Error::invalid(format!("Not a file to save to: {}", dest.display()))),
    };
    tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(io)
}

fn persist(part: tempfile::NamedTempFile, dest: &Path) -> Result<()> {
    part.as_file().sync_all().map_err(|e| Error::invalid(format!("Cannot write {}: {e}", dest.display())))?;
    part.persist(dest).map_err(|e| Error::invalid(format!("Cannot write {}: {}", dest.display(), e.error)))?;
    Ok(())
}

/// The engine's tar, as it is, gzipped into `dest`; the tar's size.
fn write_gzip(r: &mut dyn Read, dest: &Path) -> Result<u64> {
    let part = part_file(dest)?;
    let io = |e: std::io::Error| Error::invalid(format!("Cannot write {}: {e}", dest.display()));
    let mut gz = flate2::write::GzEncoder::new(std::io::BufWriter::new(part.as_file()), flate2::Compression::fast());
    let mut tee = TeeCount { inner: r, bytes: 0 };
    let copied = std::io::copy(&mut tee, &mut gz);
    copied.map_err(|e| if tee.bytes == 0 { tar_error(e) } else { io(e) })?;
    gz.finish().map_err(io)?.flush().map_err(io)?;
    persist(part, dest)?;
    Ok(tee.bytes)
}

struct TeeCount<'a> {
    inner: &'a mut dyn Read,
    bytes: u64,
}

impl Read for TeeCount<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The one regular file of the engine's tar, written to `dest` as itself.
fn write_single_file(r: &mut dyn Read, dest: &Path) -> Result<u64> {
    let mut archive = tar::Archive::new(r);
    let mut entries = archive.entries().map_err(tar_error)?;
    let Some(entry) = entries.next() else {
        return Err(Error::new(ErrorKind::Engine, "The engine's archive was empty."));
    };
    let mut entry = entry.map_err(tar_error)?;
    if !matches!(entry.header().entry_type(), tar::EntryType::Regular | tar::EntryType::Continuous) {
        return Err(Error::invalid("That is not a regular file: save the folder that holds it instead."));
    }
    let part = part_file(dest)?;
    let mut w = std::io::BufWriter::new(part.as_file());
    let n = std::io::copy(&mut entry, &mut w)
        .map_err(|e| Error::invalid(format!("Cannot write {}: {e}", dest.display())))?;
    w.flush().map_err(|e| Error::invalid(format!("Cannot write {}: {e}", dest.display())))?;
    drop(w);
    persist(part, dest)?;
    Ok(n)
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

struct CountingReader<R> {
    inner: R,
    n: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(k)
    }
}

/// A `Write` that hands 256 KiB pieces to an async channel (blocking while it is full).
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
    counter: std::sync::Arc<std::sync::atomic::AtomicU64>,
    progress: tokio::sync::mpsc::Sender<TransferEvent>,
    reported: u64,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 256 << 10 {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(256 << 10)));
        self.tx.blocking_send(Ok(piece)).map_err(|_| std::io::Error::other("the upload ended"))?;
        let read = self.counter.load(std::sync::atomic::Ordering::Relaxed);
        if read - self.reported >= PROGRESS_EVERY {
            self.reported = read;
            let _ = self.progress.try_send(TransferEvent::Progress { bytes: read });
        }
        Ok(())
    }
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
        assert_eq!(mode_string(0o755), "rwxr-xr-x");
        assert_eq!(mode_string(0o640), "rw-r-----");
    }
}
