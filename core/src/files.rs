//! Inside a container: its files, running or stopped, with or without a shell in the image.
//!
//! Through the Engine API: `HEAD …/archive` for a path's stat, `GET` for a tar of it, `PUT`
//! to write one, `GET …/changes` for what the container did to its image's files. The API
//! cannot list one level of a folder (its archive holds everything below it), so a running
//! container's folder is listed by Bulkhead's own static lister (`helper/lister.c`) in a
//! helper that shares its PID namespace — never `exec ls` in the container, which needs a
//! shell and an `ls` inside; a stopped one's through the archive. What the container says
//! about a file (its name, its link target, its content) is hostile: names and targets are
//! neutralised for showing and carried as percent-encoded ids for acting on; a save writes
//! only the destination the user chose (a file's content, or the engine's tar as it is,
//! never unpacked); an upload is a tar this module builds from the user's own files.

use crate::archive::{
    count_progress, list_one_level, mode_string, run_transfer, through_blocking, write_gzip, write_single_file,
    ChangeKind, EntryKind, FileEntry, TransferEvent,
};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::refs::ContainerRef;
use crate::text::{neutralise, url_component};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::io::Read;
use std::path::PathBuf;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// A file is shown up to this many bytes ("download the rest" for more).
pub const VIEW_LIMIT: u64 = 1 << 20;
/// A binary file is shown as hex up to this many bytes.
const HEX_LIMIT: usize = 64 << 10;
/// A text file up to this size may be edited in the window.
pub const EDIT_LIMIT: u64 = 1 << 20;

/// An absolute path inside a container: `/`-separated names, no `.`, `..` or NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerPath(String);

impl ContainerPath {
    /// A path as the window sends it: percent-encoded (an entry's `id`, or typed text the
    /// window encoded), absolute.
    pub fn parse(encoded: &str) -> Result<ContainerPath> {
        if encoded.len() > 3 * 4096 {
            return Err(Error::invalid("A path inside a container is at most 4096 bytes."));
        }
        let bytes: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
        let Ok(plain) = String::from_utf8(bytes) else {
            return Err(Error::invalid(
                "That name is not UTF-8: it cannot be opened on its own here. Save the folder that holds it instead.",
            ));
        };
        ContainerPath::plain(&plain)
    }

    /// A path given as it is (not encoded).
    pub fn plain(input: &str) -> Result<ContainerPath> {
        if !input.starts_with('/') {
            return Err(Error::invalid(format!(
                "{:?} is not an absolute path inside the container: it starts with '/'.",
                neutralise(input)
            )));
        }
        Ok(ContainerPath(format!("/{}", crate::archive::plain_names(input, "the container")?)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The folder that holds it (the root for the root).
    pub fn parent(&self) -> ContainerPath {
        match self.0.rfind('/') {
            Some(0) | None => ContainerPath("/".to_owned()),
            Some(i) => ContainerPath(self.0[..i].to_owned()),
        }
    }

    /// The last name (empty for the root).
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or_default()
    }

    /// `name` inside this folder; `name` is one plain name (no `/`, `.`, `..`, NUL).
    pub fn child(&self, name: &str) -> Result<ContainerPath> {
        if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
            return Err(Error::invalid(format!("{:?} is not a file name.", neutralise(name))));
        }
        ContainerPath::plain(&format!("{}/{name}", self.0.trim_end_matches('/')))
    }

    /// Its contents in the engine's archive: `path/.` (the folder's entries as `./name`).
    fn contents(&self) -> String {
        format!("{}/.", self.0.trim_end_matches('/'))
    }

    fn shown(&self) -> String {
        neutralise(&self.0)
    }
}

/// One path the container changed since its image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct FileChange {
    /// Neutralised, for showing.
    pub path: String,
    /// The real path, percent-encoded.
    pub id: String,
    pub kind: ChangeKind,
}

/// One folder of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ContainerListing {
    /// Neutralised, absolute.
    pub path: String,
    /// Its id (percent-encoded real path).
    pub id: String,
    /// Folders first, then by name; each marked with what the container changed.
    pub entries: Vec<FileEntry>,
    /// Entries left out past the first 10,000.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub more: u64,
    /// What was here in the image and the container deleted.
    pub deleted: Vec<FileChange>,
    /// How many bytes of tar the engine sent to list it (its whole subtree); 0 when the lister
    /// read the one folder.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub read_bytes: u64,
    /// Folders carry the size of what is under them (read through the archive); the lister
    /// reads one level only and leaves them unsized.
    pub folder_sizes: bool,
}

/// The start of a file, for the viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct FileContent {
    pub path: String,
    pub id: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    pub mode: String,
    pub uid: u64,
    pub gid: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub modified: i64,
    /// The text (the first 1 MiB) when it is UTF-8 without NUL bytes: as the file holds it.
    /// The window shows it with control and direction characters made visible.
    pub text: Option<String>,
    /// Otherwise its first 64 KiB, base64, for a hex view.
    pub head_base64: Option<String>,
    /// Only the first 1 MiB is here.
    pub truncated: bool,
    /// SHA-256 of the whole file (hex) when it was read whole: what an edit is checked against.
    pub sha256: Option<String>,
    /// Why it cannot be edited in the window (`None`: it can).
    pub not_editable: Option<String>,
}

/// Files dropped on the window, as the webview hears of it: the drop's number and the names
/// (the paths stay in the backend, which recorded them from the window's own event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Dropped {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    pub names: Vec<String>,
}

/// One folder's entries as `list_folder` read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// Folders first, then by name (at most 10,000).
    pub entries: Vec<FileEntry>,
    /// Entries left out past the first 10,000.
    pub more: u64,
    /// Bytes of the engine's tar read for it (0 when the lister read the folder).
    pub read_bytes: u64,
    /// Folders carry the size of what is under them.
    pub folder_sizes: bool,
}

/// The `/changes` entries as the engine writes them.
#[derive(Deserialize)]
struct RawChange {
    #[serde(rename = "Path")]
    path: String,
    #[serde(rename = "Kind")]
    kind: u8,
}

impl Engine {
    /// What the container changed since its image, sorted by path (`docker diff`).
    pub async fn container_changes(&self, c: &ContainerRef) -> Result<Vec<FileChange>> {
        let path = format!("/containers/{}/changes", url_component(c.as_str()));
        let body = crate::http::get(self.transport(), self.version().api, &path).await?;
        // An engine with nothing to say answers `null`.
        let raw: Option<Vec<RawChange>> =
            serde_json::from_slice(&body).map_err(|e| Error::unreadable("container changes", e))?;
        let mut out: Vec<FileChange> = raw
            .unwrap_or_default()
            .into_iter()
            .map(|r| FileChange {
                id: crate::archive::encode_path(b"", r.path.as_bytes()),
                path: neutralise(&r.path),
                kind: match r.kind {
                    1 => ChangeKind::Added,
                    2 => ChangeKind::Deleted,
                    _ => ChangeKind::Modified,
                },
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// One folder of a container, folders first, each entry marked with what the container
    /// changed since its image (`list_folder`, and `/changes` beside it).
    pub async fn container_browse(&self, c: &ContainerRef, dir: &ContainerPath) -> Result<ContainerListing> {
        let (listed, changes) = tokio::join!(self.list_folder(c, dir), self.container_changes(c));
        let (Folder { mut entries, more, read_bytes, folder_sizes }, changes) = (listed?, changes?);
        let here = crate::archive::encode_path(dir.as_str().trim_end_matches('/').as_bytes(), b"/");
        mark_changes(&mut entries, &changes);
        let deleted =
            changes.into_iter().filter(|ch| ch.kind == ChangeKind::Deleted && is_child_id(&here, &ch.id)).collect();
        Ok(ContainerListing {
            path: dir.shown(),
            id: crate::archive::encode_path(b"", dir.as_str().as_bytes()),
            entries,
            more,
            deleted,
            read_bytes,
            folder_sizes,
        })
    }

    /// One folder's entries (what `ls -la` says, without change markers): by the lister when
    /// the container runs (one level, nothing below it read), else — or when the lister cannot
    /// be used — from the engine's tar of it.
    pub async fn list_folder(&self, c: &ContainerRef, dir: &ContainerPath) -> Result<Folder> {
        match self.list_by_lister(c, dir).await {
            Ok(Some((entries, more))) => return Ok(Folder { entries, more, read_bytes: 0, folder_sizes: false }),
            Ok(None) => {}
            Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::InvalidArgument) => return Err(e),
            // The archive's way works for every container: the lister is only faster.
            Err(_) => {}
        }
        self.list_folder_by_archive(c, dir).await
    }

    /// One folder's entries from the engine's tar of it (everything below it is read; folders
    /// are sized by it). Works for every container, running or not.
    pub async fn list_folder_by_archive(&self, c: &ContainerRef, dir: &ContainerPath) -> Result<Folder> {
        self.check_folder(c, dir).await?;
        let body = self.archive_stream(c.as_str(), &dir.contents()).await?;
        let counted = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let n = std::sync::Arc::clone(&counted);
        let body = body.inspect(move |p| {
            if let Ok(p) = p {
                n.fetch_add(p.len() as u64, std::sync::atomic::Ordering::Relaxed);
            }
        });
        let prefix = dir.as_str().to_owned();
        let (entries, more) = through_blocking(body, move |r| list_one_level(r, &prefix)).await??;
        Ok(Folder { entries, more, read_bytes: counted.load(std::sync::atomic::Ordering::Relaxed), folder_sizes: true })
    }

    /// The start of a file for the viewer: text (up to 1 MiB) or a hex view's bytes. Links are
    /// not followed.
    pub async fn container_read(&self, c: &ContainerRef, path: &ContainerPath) -> Result<FileContent> {
        let what = format!("{} in the container", path.shown());
        let st = self.path_stat(c.as_str(), path.as_str(), &what).await?;
        if st.is_dir() {
            return Err(Error::invalid(format!("{} is a folder.", path.shown())));
        }
        if st.is_symlink() {
            return Err(Error::invalid(format!(
                "{} is a link to {:?}: it is not followed. Open its target instead.",
                path.shown(),
                neutralise(&st.link_target)
            )));
        }
        let body = self.archive_stream(c.as_str(), path.as_str()).await?;
        let (head, h) = through_blocking(body, |r| read_head(r, VIEW_LIMIT)).await??;
        Ok(content_of(path, head, &h))
    }

    /// Saves a file (as itself) or a folder (as a `.tar.gz` of the engine's tar, or the tar as
    /// it is when `dest` ends in `.tar`; never unpacked) of a container to `dest`. Streamed; cancelled by dropping the stream (the
    /// part file goes).
    pub fn container_save(
        &self,
        c: &ContainerRef,
        path: &ContainerPath,
        dest: PathBuf,
    ) -> impl Stream<Item = TransferEvent> + Send + 'static {
        let (engine, c, path) = (self.clone(), c.clone(), path.clone());
        run_transfer(move |tx| async move {
            let what = format!("{} in the container", path.shown());
            let st = engine.path_stat(c.as_str(), path.as_str(), &what).await?;
            if st.is_symlink() {
                return Err(Error::invalid(format!(
                    "{} is a link to {:?}: it is not followed. Save the folder that holds it instead.",
                    path.shown(),
                    neutralise(&st.link_target)
                )));
            }
            let folder = st.is_dir();
            let _ = tx
                .send(TransferEvent::Started { total: (!folder).then_some(st.size.max(0) as u64), warning: None })
                .await;
            let src = if folder { path.contents() } else { path.as_str().to_owned() };
            let body = engine.archive_stream(c.as_str(), &src).await?;
            let counted = count_progress(body, tx.clone());
            let dest2 = dest.clone();
            let plain_tar = dest.extension().is_some_and(|e| e == "tar");
            let written = through_blocking(counted, move |r| match (folder, plain_tar) {
                (true, true) => crate::archive::write_tar(r, &dest2),
                (true, false) => write_gzip(r, &dest2),
                (false, _) => write_single_file(r, &dest2),
            })
            .await??;
            Ok(TransferEvent::Done { target: dest.display().to_string(), bytes: written, entries: None })
        })
    }

    /// `NotFound` or `InvalidArgument` unless `dir` is a folder (or a link to one, followed
    /// inside the container).
    async fn check_folder(&self, c: &ContainerRef, dir: &ContainerPath) -> Result<()> {
        let what = format!("{} in the container", dir.shown());
        let mut st = self.path_stat(c.as_str(), dir.as_str(), &what).await?;
        if st.is_symlink() {
            st = self.path_stat(c.as_str(), &dir.contents(), &what).await?;
        }
        if !st.is_dir() {
            return Err(Error::invalid(format!("{} is not a folder.", dir.shown())));
        }
        Ok(())
    }

    /// Whether a path of a container is a folder (a save is then a `.tar.gz`).
    pub async fn container_is_folder(&self, c: &ContainerRef, path: &ContainerPath) -> Result<bool> {
        let what = format!("{} in the container", path.shown());
        Ok(self.path_stat(c.as_str(), path.as_str(), &what).await?.is_dir())
    }

    /// Which of `names` already exist in the folder `dir` of the container.
    pub async fn container_existing(
        &self,
        c: &ContainerRef,
        dir: &ContainerPath,
        names: &[String],
    ) -> Result<Vec<String>> {
        let mut taken = Vec::new();
        for n in names {
            let p = dir.child(n)?;
            match self.path_stat(c.as_str(), p.as_str(), "").await {
                Ok(_) => taken.push(n.clone()),
                Err(e) if e.kind == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(taken)
    }

    /// Uploads the user's files and folders (folders with what is under them; links as
    /// links, nothing followed; devices and pipes left out) into the folder `dir` of the
    /// container. A name that exists there is refused unless `overwrite`; nothing is then
    /// written.
    pub fn container_upload(
        &self,
        c: &ContainerRef,
        dir: &ContainerPath,
        sources: Vec<PathBuf>,
        overwrite: bool,
    ) -> impl Stream<Item = TransferEvent> + Send + 'static {
        let (engine, c, dir) = (self.clone(), c.clone(), dir.clone());
        run_transfer(move |tx| async move {
            if sources.is_empty() {
                return Err(Error::invalid("Nothing to upload."));
            }
            engine.check_folder(&c, &dir).await?;
            let mut names = Vec::new();
            for s in &sources {
                let name = s
                    .file_name()
                    .and_then(|n| n.to_str())
                    .ok_or_else(|| Error::invalid(format!("{} has no UTF-8 file name.", s.display())))?;
                dir.child(name)?;
                std::fs::symlink_metadata(s)
                    .map_err(|e| Error::invalid(format!("Cannot read {}: {e}", s.display())))?;
                names.push(name.to_owned());
            }
            if !overwrite {
                let taken = engine.container_existing(&c, &dir, &names).await?;
                if !taken.is_empty() {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "{} already in {}: nothing was uploaded. Upload again to replace {}.",
                            taken.iter().map(|n| neutralise(n)).collect::<Vec<_>>().join(", ")
                                + if taken.len() == 1 { " is" } else { " are" },
                            dir.shown(),
                            if taken.len() == 1 { "it" } else { "them" }
                        ),
                    ));
                }
            }
            let total: u64 = sources.iter().map(|s| tree_size(s)).sum();
            let _ = tx.send(TransferEvent::Started { total: Some(total), warning: None }).await;
            let (chunks, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(16);
            let progress = tx.clone();
            let writer = tokio::task::spawn_blocking(move || tar_sources(&sources, chunks, progress));
            let body = futures_util::stream::poll_fn({
                let mut rx = rx;
                move |cx| rx.poll_recv(cx)
            });
            let q = format!(
                "/containers/{}/archive?path={}&noOverwriteDirNonDir=1",
                url_component(c.as_str()),
                url_component(dir.as_str())
            );
            let sent = crate::http::put_stream(engine.transport(), engine.version().api, &q, "application/x-tar", body)
                .await
                .map_err(|e| write_refused(e, &dir));
            let written = writer.await.map_err(|e| Error::internal(e.to_string()))?;
            sent?;
            let entries = written?;
            Ok(TransferEvent::Done { target: dir.shown(), bytes: total, entries: Some(entries) })
        })
    }

    /// Writes `text` over the file `path`, keeping its mode and owner — only if the file is
    /// still what the editor opened (its SHA-256 is `expected`): a file that changed
    /// meanwhile is a `Conflict` and nothing is written.
    pub async fn container_write_text(
        &self,
        c: &ContainerRef,
        path: &ContainerPath,
        text: &str,
        expected: &str,
    ) -> Result<FileContent> {
        if text.len() as u64 > EDIT_LIMIT {
            return Err(Error::invalid("Only files up to 1 MiB are edited here."));
        }
        let what = format!("{} in the container", path.shown());
        let st = self.path_stat(c.as_str(), path.as_str(), &what).await?;
        if st.is_dir() || st.is_symlink() {
            return Err(Error::invalid(format!("{} is not a regular file.", path.shown())));
        }
        let body = self.archive_stream(c.as_str(), path.as_str()).await?;
        let (now, h) = through_blocking(body, |r| read_head(r, EDIT_LIMIT)).await??;
        if h.truncated || format!("{:x}", sha2::Sha256::digest(&now)) != expected.to_ascii_lowercase() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("{} changed in the container since it was opened: nothing was written. Open it again to see what it holds now.", path.shown()),
            ));
        }
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(text.len() as u64);
        header.set_mode(h.mode);
        header.set_uid(h.uid);
        header.set_gid(h.gid);
        header.set_mtime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()));
        let mut tar = tar::Builder::new(Vec::new());
        tar.append_data(&mut header, path.file_name(), text.as_bytes()).map_err(|e| Error::internal(e.to_string()))?;
        let data = tar.into_inner().map_err(|e| Error::internal(e.to_string()))?;
        let parent = path.parent();
        let q = format!(
            "/containers/{}/archive?path={}&noOverwriteDirNonDir=1",
            url_component(c.as_str()),
            url_component(parent.as_str())
        );
        let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(data)) });
        crate::http::put_stream(self.transport(), self.version().api, &q, "application/x-tar", body)
            .await
            .map_err(|e| write_refused(e, &parent))?;
        self.container_read(c, path).await
    }
}

/// Where a change at run time means the container drifts from its image in a way that matters:
/// its configuration and its programs.
const SYSTEM_DIRS: [&str; 9] =
    ["/etc/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/usr/bin/", "/usr/sbin/", "/usr/lib/", "/usr/local/bin/"];
/// Written by the engine itself into every container (mount points of its own files).
const ENGINE_FILES: [&str; 4] = ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc/mtab"];

/// The system files a container added or modified (not folders that only hold such changes).
pub fn system_changes(changes: &[FileChange]) -> Vec<String> {
    let folders: std::collections::HashSet<&str> =
        changes.iter().filter_map(|c| c.path.rsplit_once('/').map(|(dir, _)| dir)).filter(|d| !d.is_empty()).collect();
    changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Deleted)
        .filter(|c| SYSTEM_DIRS.iter().any(|d| c.path.starts_with(d)) && !ENGINE_FILES.contains(&c.path.as_str()))
        // A folder is listed when something under it changed: that something is shown.
        .filter(|c| !folders.contains(c.path.as_str()))
        .map(|c| format!("{} {}", if c.kind == ChangeKind::Added { "added" } else { "modified" }, c.path))
        .collect()
}

/// The lister: `helper/lister.c`, linked statically by build.rs (empty when it could not be).
static LISTER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/bulkhead-lister"));
/// On a lister helper: the container it lists.
pub const LISTER_FOR_LABEL: &str = "dev.bulkhead.helper.container";
/// A lister helper ends by itself after this long (the engine then removes it); the next
/// listing starts another.
const LISTER_LIFETIME_SECS: u32 = 600;
/// The lister's answer is at most this large (10,000 entries need about 1 MB).
const LISTER_MAX_OUTPUT: usize = 64 << 20;

impl Engine {
    /// The lister's image, built once per engine and lister version.
    async fn lister_image(&self) -> Result<String> {
        let tag = format!("bulkhead/files-lister:{}", &format!("{:x}", sha2::Sha256::digest(LISTER))[..12]);
        if self.image_summary(&crate::refs::ImageRef::parse(&tag)?).await?.is_some() {
            return Ok(tag);
        }
        let dockerfile = format!(
            "FROM scratch\nLABEL {}=files\nCOPY bulkhead-lister /bulkhead-lister\nENTRYPOINT [\"/bulkhead-lister\"]\nCMD [\"--idle\", \"{LISTER_LIFETIME_SECS}\"]\n",
            crate::volume_data::HELPER_LABEL
        );
        self.build_scratch_image(&tag, &dockerfile, &[("bulkhead-lister", LISTER, 0o755)], "the file lister image")
            .await?;
        Ok(tag)
    }

    /// A running lister helper in the PID namespace of the running container `id` (its root
    /// is `/proc/1/root` there): the one already running, or a new one. No network, a
    /// read-only root, no new privileges, removed by the engine when it ends.
    async fn lister_for(&self, id: &str) -> Result<String> {
        let filters = format!(
            "{{\"label\":[\"{}=files\",\"{LISTER_FOR_LABEL}={id}\"],\"status\":[\"running\"]}}",
            crate::volume_data::HELPER_LABEL
        );
        let q = format!("/containers/json?filters={}", url_component(&filters));
        let running = crate::containers::parse_container_list(
            &crate::http::get(self.transport(), self.version().api, &q).await?,
        )?;
        if let Some(h) = running.first() {
            return Ok(h.id.clone());
        }
        let image = self.lister_image().await?;
        let body = serde_json::json!({
            "Image": image,
            "Labels": { crate::volume_data::HELPER_LABEL: "files", LISTER_FOR_LABEL: id },
            "NetworkDisabled": true,
            "HostConfig": {
                "PidMode": format!("container:{id}"),
                "NetworkMode": "none",
                "ReadonlyRootfs": true,
                "AutoRemove": true,
                "SecurityOpt": ["no-new-privileges"],
                "PidsLimit": 32,
                "Memory": 64 << 20,
            },
        });
        let name = format!("bulkhead-files-{}-{}", &id[..12.min(id.len())], std::process::id());
        let q = format!("/containers/create?name={}", url_component(&name));
        let created =
            crate::http::send_json(self.transport(), self.version().api, "POST", &q, Some(body.to_string())).await?;
        let helper = serde_json::from_slice::<serde_json::Value>(&created)
            .ok()
            .and_then(|v| v.get("Id").and_then(|i| i.as_str()).map(str::to_owned))
            .ok_or_else(|| Error::unreadable("new lister container", "no Id"))?;
        let start = format!("/containers/{}/start", url_component(&helper));
        if let Err(e) = crate::http::send_json(self.transport(), self.version().api, "POST", &start, None).await {
            let gone = format!("/containers/{}?force=1", url_component(&helper));
            let _ = crate::http::send_json(self.transport(), self.version().api, "DELETE", &gone, None).await;
            return Err(e);
        }
        Ok(helper)
    }

    /// One folder by the lister, when the container runs and the lister exists: `None` when
    /// it cannot be used here (the caller reads the archive instead).
    async fn list_by_lister(&self, c: &ContainerRef, dir: &ContainerPath) -> Result<Option<(Vec<FileEntry>, u64)>> {
        if LISTER.is_empty() {
            return Ok(None);
        }
        let v = self.inspect_container(c).await?;
        let id = v["Id"].as_str().unwrap_or_default().to_owned();
        if v["State"]["Running"].as_bool() != Some(true)
            || v["State"]["Paused"].as_bool() == Some(true)
            || id.is_empty()
        {
            return Ok(None);
        }
        // Its PID 1 must be its own: with the host's PID namespace (or another container's),
        // /proc/1/root there is the host's (or the other's) root, not this container's.
        if !matches!(v["HostConfig"]["PidMode"].as_str().unwrap_or_default(), "" | "private") {
            return Ok(None);
        }
        let helper = self.lister_for(&id).await?;
        let config = bollard::models::ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(vec!["/bulkhead-lister".to_owned(), dir.as_str().to_owned()]),
            ..Default::default()
        };
        let exec = self.docker.create_exec(&helper, config).await.map_err(|e| self.fail(e))?;
        let conn = crate::http::hijack(
            self.transport(),
            self.version().api,
            &format!("/exec/{}/start", exec.id),
            "{\"Detach\":false,\"Tty\":false}",
        )
        .await?;
        let (out, err) = read_demuxed(conn.reader, LISTER_MAX_OUTPUT).await?;
        let code = self.exec_exit_code(&exec.id).await?.unwrap_or(-1);
        let why = String::from_utf8_lossy(&err).trim().to_owned();
        match code {
            0 => {}
            2 => return Err(Error::new(ErrorKind::NotFound, format!("There is no {} in the container.", dir.shown()))),
            3 => return Err(Error::invalid(format!("{} is not a folder.", dir.shown()))),
            _ => {
                return Err(Error::new(ErrorKind::Engine, format!("The lister failed ({code}): {}", neutralise(&why))))
            }
        }
        let mut entries = parse_listing(&out, dir.as_str())?;
        entries.sort_by(|a, b| {
            (b.kind == EntryKind::Folder).cmp(&(a.kind == EntryKind::Folder)).then_with(|| a.name.cmp(&b.name))
        });
        let more = entries.len().saturating_sub(crate::archive::MAX_LISTED) as u64;
        entries.truncate(crate::archive::MAX_LISTED);
        Ok(Some((entries, more)))
    }
}

/// Stdout and stderr of an exec without a terminal (the engine's 8-byte frame headers), read
/// to the end; at most `max` bytes of stdout.
async fn read_demuxed(mut r: impl tokio::io::AsyncRead + Unpin, max: usize) -> Result<(Vec<u8>, Vec<u8>)> {
    use tokio::io::AsyncReadExt;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut head = [0u8; 8];
    loop {
        match r.read_exact(&mut head).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok((out, err)),
            Err(e) => return Err(Error::new(ErrorKind::Engine, format!("The lister's output broke: {e}"))),
        }
        let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let into = if head[0] == 2 { &mut err } else { &mut out };
        if into.len() + len > max {
            return Err(Error::new(ErrorKind::Engine, "The lister said more than a folder listing holds."));
        }
        let at = into.len();
        into.resize(at + len, 0);
        r.read_exact(&mut into[at..])
            .await
            .map_err(|e| Error::new(ErrorKind::Engine, format!("The lister's output broke: {e}")))?;
    }
}

/// The lister's records (see helper/lister.c) as entries of the folder `dir`.
fn parse_listing(data: &[u8], dir: &str) -> Result<Vec<FileEntry>> {
    let bad = || Error::unreadable("the lister's answer", "cut short or malformed");
    let mut p = data.strip_prefix(b"BHL1").ok_or_else(bad)?;
    let mut take = |n: usize| -> Result<&[u8]> {
        if p.len() < n {
            return Err(bad());
        }
        let (a, b) = p.split_at(n);
        p = b;
        Ok(a)
    };
    let mut entries = Vec::new();
    let prefix = if dir == "/" { "/".to_owned() } else { format!("{dir}/") };
    loop {
        let u32_of = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let name_len = u32_of(take(4)?);
        if name_len == u32::MAX {
            return Ok(entries);
        }
        let raw = take(name_len as usize)?.to_vec();
        let kind = take(1)?[0];
        let mode = u32_of(take(4)?);
        let uid = u32_of(take(4)?);
        let gid = u32_of(take(4)?);
        let size = u64::from_le_bytes(take(8)?.try_into().map_err(|_| bad())?);
        let mtime = i64::from_le_bytes(take(8)?.try_into().map_err(|_| bad())?);
        let link_len = u32_of(take(4)?);
        let link = take(link_len as usize)?;
        let name = neutralise(&String::from_utf8_lossy(&raw));
        let kind = match kind {
            b'f' => EntryKind::File,
            b'd' => EntryKind::Folder,
            b'l' => EntryKind::Symlink,
            _ => EntryKind::Other,
        };
        entries.push(FileEntry {
            path: format!("{prefix}{name}"),
            id: crate::archive::encode_path(prefix.as_bytes(), &raw),
            name,
            kind,
            size: if kind == EntryKind::Folder { 0 } else { size },
            items: 0,
            mode: mode_string(mode & 0o7777),
            uid: u64::from(uid),
            gid: u64::from(gid),
            modified: mtime,
            link_target: neutralise(&String::from_utf8_lossy(link)),
            change: None,
        });
    }
}

/// The file names of the user's files, each a plain UTF-8 name.
pub fn names_of(sources: &[PathBuf]) -> Result<Vec<String>> {
    sources
        .iter()
        .map(|s| {
            s.file_name()
                .and_then(|n| n.to_str())
                .map(str::to_owned)
                .ok_or_else(|| Error::invalid(format!("{} has no UTF-8 file name.", s.display())))
        })
        .collect()
}

/// The engine's refusal to write, in words a person can act on.
fn write_refused(e: Error, dir: &ContainerPath) -> Error {
    let lower = e.message.to_ascii_lowercase();
    if lower.contains("read-only") || lower.contains("read only") {
        return Error::new(
            ErrorKind::Conflict,
            format!(
                "{} is on a read-only filesystem in this container (its root filesystem or a read-only mount): nothing was written. ({})",
                dir.shown(),
                e.message
            ),
        );
    }
    e
}

/// A percent-encoded id directly under the folder `here` (which ends in `/`).
fn is_child_id(here: &str, id: &str) -> bool {
    id.strip_prefix(here).is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

/// Marks each entry with its change; a folder with changes under it but none of its own is
/// `modified`, as the engine itself reports it.
fn mark_changes(entries: &mut [FileEntry], changes: &[FileChange]) {
    for e in entries.iter_mut() {
        let at = changes.binary_search_by(|ch| ch.id.as_str().cmp(&e.id));
        e.change = match at {
            Ok(i) => Some(changes[i].kind),
            Err(i) => {
                let below = format!("{}/", e.id);
                changes.get(i).filter(|ch| ch.id.starts_with(&below)).map(|_| ChangeKind::Modified)
            }
        };
    }
}

/// A file's header facts.
struct Head {
    size: u64,
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: i64,
    truncated: bool,
}

/// The first `limit` bytes of the one file in the engine's tar, and its header.
fn read_head(r: &mut dyn Read, limit: u64) -> Result<(Vec<u8>, Head)> {
    let mut archive = tar::Archive::new(r);
    let mut entries = archive.entries().map_err(crate::archive::tar_error)?;
    let Some(entry) = entries.next() else {
        return Err(Error::new(ErrorKind::Engine, "The engine's archive was empty."));
    };
    let entry = entry.map_err(crate::archive::tar_error)?;
    let h = entry.header();
    if !matches!(h.entry_type(), tar::EntryType::Regular | tar::EntryType::Continuous) {
        return Err(Error::invalid("That is not a regular file."));
    }
    let head = Head {
        size: h.size().unwrap_or(0),
        mode: h.mode().unwrap_or(0o644),
        uid: h.uid().unwrap_or(0),
        gid: h.gid().unwrap_or(0),
        mtime: h.mtime().map_or(0, |t| i64::try_from(t).unwrap_or(0)),
        truncated: false,
    };
    let mut data = Vec::new();
    entry.take(limit).read_to_end(&mut data).map_err(crate::archive::tar_error)?;
    let truncated = head.size > data.len() as u64;
    // The rest of the stream is dropped: the engine stops when the connection closes.
    Ok((data, Head { truncated, ..head }))
}

/// What the viewer gets for a file's first bytes.
fn content_of(path: &ContainerPath, data: Vec<u8>, h: &Head) -> FileContent {
    let text = if data.contains(&0) {
        None
    } else {
        match std::str::from_utf8(&data) {
            Ok(t) => Some(t.to_owned()),
            // Cut inside a character at the 1 MiB mark: the text up to it.
            Err(e) if h.truncated && e.error_len().is_none() => {
                Some(String::from_utf8_lossy(&data[..e.valid_up_to()]).into_owned())
            }
            Err(_) => None,
        }
    };
    let not_editable = if h.truncated {
        Some("It is larger than 1 MiB: download it to edit it.".to_owned())
    } else if text.is_none() {
        Some("It is not UTF-8 text.".to_owned())
    } else if text.as_deref().is_some_and(|t| t.chars().any(hidden_char)) {
        Some("It holds control or text-direction characters (shown as \u{FFFD}): download it to edit it.".to_owned())
    } else {
        None
    };
    use base64::Engine as _;
    FileContent {
        path: path.shown(),
        id: crate::archive::encode_path(b"", path.as_str().as_bytes()),
        size: h.size,
        mode: mode_string(h.mode),
        uid: h.uid,
        gid: h.gid,
        modified: h.mtime,
        head_base64: text
            .is_none()
            .then(|| base64::engine::general_purpose::STANDARD.encode(&data[..data.len().min(HEX_LIMIT)])),
        sha256: (!h.truncated).then(|| format!("{:x}", sha2::Sha256::digest(&data))),
        text,
        truncated: h.truncated,
        not_editable,
    }
}

/// Characters the viewer cannot show as they are: controls (but tab, newline, carriage
/// return) and direction overrides.
fn hidden_char(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && neutralise(c.encode_utf8(&mut [0; 4])) != c.to_string()
}

/// A file's or a folder's size (what is under it), links not followed.
fn tree_size(p: &std::path::Path) -> u64 {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => {
            std::fs::read_dir(p).map(|rd| rd.filter_map(|e| e.ok()).map(|e| tree_size(&e.path())).sum()).unwrap_or(0)
        }
        Ok(m) if m.is_file() => m.len(),
        _ => 0,
    }
}

/// Tars the user's files into `out` (256 KiB pieces); how many entries went in.
fn tar_sources(
    sources: &[PathBuf],
    out: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    progress: tokio::sync::mpsc::Sender<TransferEvent>,
) -> Result<u64> {
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sink = crate::archive::ChannelWriter {
        tx: out,
        buf: Vec::with_capacity(256 << 10),
        counter: std::sync::Arc::clone(&counter),
        progress,
        reported: 0,
    };
    let mut b = tar::Builder::new(sink);
    b.follow_symlinks(false);
    let mut n = 0u64;
    for s in sources {
        let name = s.file_name().ok_or_else(|| Error::invalid(format!("{} has no file name.", s.display())))?;
        n += add_tree(&mut b, s, std::path::Path::new(name), &counter)?;
    }
    let mut sink = b.into_inner().map_err(|e| Error::invalid(format!("The upload failed: {e}")))?;
    std::io::Write::flush(&mut sink).map_err(|e| Error::invalid(format!("The upload failed: {e}")))?;
    Ok(n)
}

fn add_tree(
    b: &mut tar::Builder<crate::archive::ChannelWriter>,
    src: &std::path::Path,
    name: &std::path::Path,
    counter: &std::sync::atomic::AtomicU64,
) -> Result<u64> {
    let io = |e: std::io::Error| Error::invalid(format!("Cannot upload {}: {e}", src.display()));
    let meta = std::fs::symlink_metadata(src).map_err(io)?;
    if meta.is_dir() {
        b.append_dir(name, src).map_err(io)?;
        let mut children: Vec<_> = std::fs::read_dir(src).map_err(io)?.filter_map(|e| e.ok()).collect();
        children.sort_by_key(|e| e.file_name());
        let mut n = 1;
        for c in children {
            n += add_tree(b, &c.path(), &name.join(c.file_name()), counter)?;
        }
        Ok(n)
    } else if meta.is_file() || meta.file_type().is_symlink() {
        // A link goes as a link (`follow_symlinks(false)`): nothing outside is read through it.
        b.append_path_with_name(src, name).map_err(io)?;
        counter.fetch_add(meta.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(1)
    } else {
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_paths_are_absolute_and_plain() {
        assert_eq!(ContainerPath::parse("/").unwrap().as_str(), "/");
        assert_eq!(ContainerPath::parse("/etc//nginx/").unwrap().as_str(), "/etc/nginx");
        assert_eq!(ContainerPath::parse("/a%0Ab").unwrap().as_str(), "/a\nb", "ids are percent-encoded");
        assert_eq!(ContainerPath::parse("/etc/passwd").unwrap().parent().as_str(), "/etc");
        assert_eq!(ContainerPath::parse("/etc").unwrap().parent().as_str(), "/");
        assert_eq!(ContainerPath::parse("/etc/passwd").unwrap().file_name(), "passwd");
        for bad in ["etc", "/a/../../etc", "/./x", "/a%00b", "/%2E%2E/x", "/a%FFb", ""] {
            assert!(ContainerPath::parse(bad).is_err(), "{bad:?}");
        }
        let d = ContainerPath::parse("/tmp").unwrap();
        assert_eq!(d.child("x.txt").unwrap().as_str(), "/tmp/x.txt");
        for bad in ["..", "a/b", "", "."] {
            assert!(d.child(bad).is_err(), "{bad:?}");
        }
        assert_eq!(ContainerPath::parse("/").unwrap().contents(), "/.");
        assert_eq!(d.contents(), "/tmp/.");
    }

    fn entry(id: &str) -> FileEntry {
        FileEntry {
            name: id.rsplit('/').next().unwrap().to_owned(),
            path: id.to_owned(),
            id: id.to_owned(),
            kind: EntryKind::File,
            size: 0,
            items: 0,
            mode: String::new(),
            uid: 0,
            gid: 0,
            modified: 0,
            link_target: String::new(),
            change: None,
        }
    }

    #[test]
    fn system_changes_are_files_under_system_folders_not_the_engines_own() {
        let ch = |p: &str, kind| FileChange { path: p.to_owned(), id: p.to_owned(), kind };
        let got = system_changes(&[
            ch("/etc", ChangeKind::Modified),
            ch("/etc/hosts", ChangeKind::Added),
            ch("/etc/cron.d", ChangeKind::Added),
            ch("/etc/cron.d/evil", ChangeKind::Added),
            ch("/usr/bin/ls", ChangeKind::Modified),
            ch("/usr/bin/gone", ChangeKind::Deleted),
            ch("/tmp/x", ChangeKind::Added),
            ch("/etcetera/x", ChangeKind::Added),
        ]);
        assert_eq!(got, ["added /etc/cron.d/evil", "modified /usr/bin/ls"]);
    }

    #[test]
    fn changes_mark_entries_and_folders_that_hold_them() {
        let ch = |id: &str, kind| FileChange { path: id.to_owned(), id: id.to_owned(), kind };
        let mut changes = vec![
            ch("/etc/new", ChangeKind::Added),
            ch("/etc/passwd", ChangeKind::Modified),
            ch("/usr/lib/x/y", ChangeKind::Deleted),
            ch("/etc/gone", ChangeKind::Deleted),
        ];
        changes.sort_by(|a, b| a.id.cmp(&b.id));
        let mut es =
            vec![entry("/etc/new"), entry("/etc/passwd"), entry("/etc/hosts"), entry("/usr/lib"), entry("/usr/li")];
        mark_changes(&mut es, &changes);
        let got: Vec<Option<ChangeKind>> = es.iter().map(|e| e.change).collect();
        assert_eq!(
            got,
            [Some(ChangeKind::Added), Some(ChangeKind::Modified), None, Some(ChangeKind::Modified), None],
            "a folder holding a change is modified; a name that only shares a prefix is not"
        );
        assert!(is_child_id("/etc/", "/etc/gone"));
        assert!(!is_child_id("/etc/", "/etc/a/b"));
        assert!(!is_child_id("/etc/", "/etcx"));
    }

    fn head(size: u64, truncated: bool) -> Head {
        Head { size, mode: 0o644, uid: 0, gid: 0, mtime: 0, truncated }
    }

    #[test]
    fn the_viewer_gets_text_or_hex_and_knows_what_may_be_edited() {
        let p = ContainerPath::plain("/f").unwrap();
        let t = content_of(&p, b"hello\n".to_vec(), &head(6, false));
        assert_eq!((t.text.as_deref(), t.not_editable.as_deref()), (Some("hello\n"), None));
        assert_eq!(t.sha256.as_deref(), Some("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"));
        let b = content_of(&p, vec![0x7f, b'E', b'L', b'F', 0, 1], &head(6, false));
        assert!(b.text.is_none() && b.head_base64.as_deref() == Some("f0VMRgAB") && b.not_editable.is_some());
        let big = content_of(&p, "é".repeat(10).into_bytes()[..19].to_vec(), &head(5 << 20, true));
        assert_eq!(big.text.as_deref(), Some("ééééééééé"), "a character cut at the limit is dropped");
        assert!(big.truncated && big.sha256.is_none() && big.not_editable.is_some());
        let bidi = content_of(&p, "a\u{202E}b".as_bytes().to_vec(), &head(5, false));
        assert!(
            bidi.text.is_some() && bidi.not_editable.is_some(),
            "text with a direction override is not edited here"
        );
    }
}
