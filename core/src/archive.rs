//! The tar plumbing shared by everything that reads or writes files through the Engine API's
//! archive endpoints (`HEAD`/`GET`/`PUT /containers/{id}/archive`): a volume's helper
//! container (`volume_data`) and a container's own filesystem (`files`).
//!
//! Data is streamed and never held whole: the engine's tar flows through a bounded channel to
//! a blocking thread that reads it (a listing keeps only the headers; a save writes a part
//! file next to the destination, renamed into place at the end and deleted on failure or
//! cancel).

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::text::{neutralise, url_component};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// A folder listing returns at most this many entries (the rest are counted).
pub(crate) const MAX_LISTED: usize = 10_000;
/// Progress is reported at most every this many bytes.
pub(crate) const PROGRESS_EVERY: u64 = 1 << 20;

/// What an entry of a folder is.
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

/// One entry of a folder (of a volume or a container).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct FileEntry {
    pub name: String,
    /// Where it is, for showing: in a volume from its root without a leading `/`; in a
    /// container absolute. Neutralised (a hostile name cannot reorder what is read).
    pub path: String,
    /// The real path, percent-encoded (ASCII, whatever bytes the name holds): what the
    /// window sends back to open, save or change it.
    pub id: String,
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
    /// What the container did to it since its image (containers only).
    pub change: Option<ChangeKind>,
}

/// What a container did to a path since its image (`GET /containers/{id}/changes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum ChangeKind {
    Modified,
    Added,
    Deleted,
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

/// A path's stat, from the engine's `X-Docker-Container-Path-Stat`.
#[derive(serde::Deserialize)]
pub(crate) struct PathStat {
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub mode: u32,
    #[serde(default, rename = "linkTarget")]
    pub link_target: String,
}

/// Go's os.FileMode bits.
pub(crate) const MODE_DIR: u32 = 1 << 31;
pub(crate) const MODE_SYMLINK: u32 = 1 << 27;

/// Runs a transfer on a task of its own, its events through a channel: the stream ends after
/// `Done` or `Failed`. Dropping the stream closes the channel; the task notices and stops, and
/// what it held (helper, part file) goes with it.
pub(crate) fn run_transfer<Fut>(
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
pub(crate) fn count_progress(
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
pub(crate) async fn through_blocking<T: Send + 'static>(
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

pub(crate) fn tar_error(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Engine, format!("The engine's archive could not be read: {e}"))
}

pub(crate) fn mode_string(mode: u32) -> String {
    let bits = ['r', 'w', 'x'];
    let mut out: Vec<char> = (0..9).map(|i| if mode & (1 << (8 - i)) != 0 { bits[i % 3] } else { '-' }).collect();
    // setuid, setgid, sticky: as ls shows them (s/S, t/T in the execute places).
    for (bit, at, on, off) in [(0o4000, 2, 's', 'S'), (0o2000, 5, 's', 'S'), (0o1000, 8, 't', 'T')] {
        if mode & bit != 0 {
            out[at] = if out[at] == 'x' { on } else { off };
        }
    }
    out.into_iter().collect()
}

/// The direct children of the listed folder (entries `./name…`), each folder sized by what
/// is under it.
pub(crate) fn list_one_level(r: &mut dyn Read, prefix: &str) -> Result<(Vec<FileEntry>, u64)> {
    let mut archive = tar::Archive::new(r);
    let mut children: BTreeMap<Vec<u8>, FileEntry> = BTreeMap::new();
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
        // The engine never sends `..`, `.` or an empty name inside the folder; a hostile
        // archive could (found by the `tar_names` fuzz target): no row leads out of the folder.
        if matches!(first, b"" | b"." | b"..") {
            continue;
        }
        let h = entry.header();
        let size = h.size().unwrap_or(0);
        let name = neutralise(&String::from_utf8_lossy(first));
        let child = children.entry(first.to_vec()).or_insert_with(|| FileEntry {
            path: join(prefix, &name),
            id: encode_path(join(prefix, "").as_bytes(), first),
            name,
            kind: EntryKind::Folder,
            size: 0,
            items: 0,
            mode: String::new(),
            uid: 0,
            gid: 0,
            modified: 0,
            link_target: String::new(),
            change: None,
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
    let mut entries: Vec<FileEntry> = children.into_values().collect();
    entries.sort_by(|a, b| {
        (b.kind == EntryKind::Folder).cmp(&(a.kind == EntryKind::Folder)).then_with(|| a.name.cmp(&b.name))
    });
    let more = entries.len().saturating_sub(MAX_LISTED) as u64;
    entries.truncate(MAX_LISTED);
    Ok((entries, more))
}

/// A path's names, `/`-separated and joined again without empty ones; refused with `.`, `..`
/// or NUL in it, or past 4096 bytes. `inside` says where ("the volume", "the container").
pub(crate) fn plain_names(input: &str, inside: &str) -> Result<String> {
    let parts: Vec<&str> = input.split('/').filter(|p| !p.is_empty()).collect();
    if parts.iter().any(|p| *p == "." || *p == ".." || p.contains('\0')) {
        return Err(Error::invalid(format!(
            "{:?} is not a path inside {inside}: no '.', '..' or NUL.",
            neutralise(input)
        )));
    }
    if input.len() > 4096 {
        return Err(Error::invalid(format!("A path inside {inside} is at most 4096 bytes.")));
    }
    Ok(parts.join("/"))
}

/// `name` under `dir` (`""` is a volume's root, `/` a container's).
fn join(dir: &str, name: &str) -> String {
    match dir {
        "" => name.to_owned(),
        d if d.ends_with('/') => format!("{d}{name}"),
        d => format!("{d}/{name}"),
    }
}

/// Every byte but the unreserved ones and `/` is percent-encoded.
const PATH_ID: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// A path's id: `dir` then `name`, as bytes, percent-encoded.
pub(crate) fn encode_path(dir: &[u8], name: &[u8]) -> String {
    let mut all = dir.to_vec();
    all.extend_from_slice(name);
    percent_encoding::percent_encode(&all, PATH_ID).to_string()
}

/// A part file beside `dest` (removed if dropped before `persist`).
pub(crate) fn part_file(dest: &Path) -> Result<tempfile::NamedTempFile> {
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

pub(crate) fn persist(part: tempfile::NamedTempFile, dest: &Path) -> Result<()> {
    part.as_file().sync_all().map_err(|e| Error::invalid(format!("Cannot write {}: {e}", dest.display())))?;
    part.persist(dest).map_err(|e| Error::invalid(format!("Cannot write {}: {}", dest.display(), e.error)))?;
    Ok(())
}

/// The engine's tar, as it is, gzipped into `dest`; the tar's size.
pub(crate) fn write_gzip(r: &mut dyn Read, dest: &Path) -> Result<u64> {
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

/// The engine's tar, as it is, into `dest` (a `.tar` the user asked for); its size.
pub(crate) fn write_tar(r: &mut dyn Read, dest: &Path) -> Result<u64> {
    let part = part_file(dest)?;
    let io = |e: std::io::Error| Error::invalid(format!("Cannot write {}: {e}", dest.display()));
    let mut w = std::io::BufWriter::with_capacity(1 << 20, part.as_file());
    let mut tee = TeeCount { inner: r, bytes: 0 };
    let copied = std::io::copy(&mut tee, &mut w);
    copied.map_err(|e| if tee.bytes == 0 { tar_error(e) } else { io(e) })?;
    w.flush().map_err(io)?;
    drop(w);
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
pub(crate) fn write_single_file(r: &mut dyn Read, dest: &Path) -> Result<u64> {
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

pub(crate) struct CountingReader<R> {
    pub inner: R,
    pub n: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(k)
    }
}

/// A `Write` that hands 256 KiB pieces to an async channel (blocking while it is full).
pub(crate) struct ChannelWriter {
    pub tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    pub buf: Vec<u8>,
    pub counter: std::sync::Arc<std::sync::atomic::AtomicU64>,
    pub progress: tokio::sync::mpsc::Sender<TransferEvent>,
    pub reported: u64,
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
impl PathStat {
    pub(crate) fn is_dir(&self) -> bool {
        self.mode & MODE_DIR != 0
    }

    pub(crate) fn is_symlink(&self) -> bool {
        self.mode & MODE_SYMLINK != 0
    }
}

impl Engine {
    /// A path's stat in a container (`HEAD …/archive`), from `X-Docker-Container-Path-Stat`;
    /// `NotFound` says `what` is missing.
    pub(crate) async fn path_stat(&self, container: &str, path: &str, what: &str) -> Result<PathStat> {
        let q = format!("/containers/{}/archive?path={}", url_component(container), url_component(path));
        let raw = crate::http::head_header(self.transport(), self.version().api, &q, "X-Docker-Container-Path-Stat")
            .await
            .map_err(|e| {
                if e.kind == ErrorKind::NotFound {
                    Error::new(ErrorKind::NotFound, format!("There is no {what}."))
                } else {
                    e
                }
            })?
            .ok_or_else(|| Error::unreadable("path stat", "no X-Docker-Container-Path-Stat header"))?;
        decode_stat(&raw)
    }

    /// Builds a helper image `tag` from `dockerfile` and `files` (name, content, mode) — `FROM
    /// scratch`: nothing is pulled.
    pub(crate) async fn build_scratch_image(
        &self,
        tag: &str,
        dockerfile: &str,
        files: &[(&str, &[u8], u32)],
        what: &str,
    ) -> Result<()> {
        let mut tar = tar::Builder::new(Vec::new());
        for (name, data, mode) in std::iter::once(&("Dockerfile", dockerfile.as_bytes(), 0o644)).chain(files) {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(*mode);
            h.set_cksum();
            tar.append_data(&mut h, name, *data).map_err(|e| Error::internal(e.to_string()))?;
        }
        let context = tar.into_inner().map_err(|e| Error::internal(e.to_string()))?;
        let opts = bollard::query_parameters::BuildImageOptions {
            t: Some(tag.to_owned()),
            rm: true,
            forcerm: true,
            ..Default::default()
        };
        let mut out = Box::pin(self.docker.build_image(opts, None, Some(bollard::body_full(context.into()))));
        while let Some(item) = out.next().await {
            let info = item.map_err(|e| self.fail(e))?;
            if let Some(e) = info.error_detail.and_then(|d| d.message) {
                return Err(Error::new(ErrorKind::Engine, format!("Could not build {what}: {e}")));
            }
        }
        Ok(())
    }

    /// The engine's tar of a path in a container, as a stream of pieces.
    pub(crate) async fn archive_stream(&self, container: &str, path: &str) -> Result<crate::http::BodyStream> {
        let q = format!("/containers/{}/archive?path={}", url_component(container), url_component(path));
        crate::http::get_stream(self.transport(), self.version().api, &q).await
    }
}

/// The engine's `X-Docker-Container-Path-Stat`: base64 of a JSON object.
pub(crate) fn decode_stat(raw: &str) -> Result<PathStat> {
    use base64::Engine as _;
    let json =
        base64::engine::general_purpose::STANDARD.decode(raw.trim()).map_err(|e| Error::unreadable("path stat", e))?;
    serde_json::from_slice(&json).map_err(|e| Error::unreadable("path stat", e))
}
