//! Building an image from a folder with a Dockerfile: the context is walked (honouring
//! `.dockerignore`), written as a tar archive on a blocking thread and streamed to the engine in
//! 64 KiB pieces — never held in memory whole. The engine's build log comes back as events with
//! step progress; dropping the stream cancels the build.

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::ignore::IgnoreList;
use crate::refs::ImageRef;
use bollard::query_parameters::{BuildImageOptions, TagImageOptions};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

#[cfg(feature = "ts")]
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct BuildRequest {
    /// The folder sent to the engine as the build context.
    pub context: String,
    /// The Dockerfile, relative to the context (default `Dockerfile`).
    pub dockerfile: String,
    /// `name:tag` each; the first is the build's, the rest are added after.
    pub tags: Vec<String>,
    /// KEY=VALUE each.
    pub build_args: Vec<String>,
    /// A stage of a multi-stage Dockerfile; empty: the last.
    pub target: String,
    pub no_cache: bool,
}

impl Default for BuildRequest {
    fn default() -> Self {
        BuildRequest {
            context: String::new(),
            dockerfile: "Dockerfile".into(),
            tags: Vec::new(),
            build_args: Vec::new(),
            target: String::new(),
            no_cache: false,
        }
    }
}

/// What a build sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum BuildEvent {
    /// The context is on its way: this many bytes so far.
    Context { bytes: u64 },
    /// A new Dockerfile step began.
    Step { number: u32, total: u32, instruction: String },
    /// A line of the build's output.
    Log(String),
    /// The build failed; `step` is the step that was running.
    Failed { error: Error, step: Option<String> },
    /// The image was built and tagged.
    Done { id: String, tags: Vec<String> },
}

/// A validated build.
pub struct BuildPlan {
    context: PathBuf,
    dockerfile: String,
    tags: Vec<ImageRef>,
    build_args: HashMap<String, String>,
    target: String,
    no_cache: bool,
}

pub fn validate(req: &BuildRequest) -> Result<BuildPlan> {
    let context = PathBuf::from(req.context.trim());
    if req.context.trim().is_empty() {
        return Err(Error::invalid("context: choose the folder that holds the Dockerfile."));
    }
    if !context.is_absolute() {
        return Err(Error::invalid("context: use an absolute path, e.g. /home/me/app."));
    }
    if !context.is_dir() {
        return Err(Error::invalid(format!(
            "context: {} is not a folder.",
            crate::text::neutralise(&context.display().to_string())
        )));
    }
    let dockerfile =
        if req.dockerfile.trim().is_empty() { "Dockerfile".to_owned() } else { req.dockerfile.trim().to_owned() };
    let rel = Path::new(&dockerfile);
    if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(Error::invalid(
            "dockerfile: give a path inside the context folder, e.g. Dockerfile or docker/Dockerfile.prod.",
        ));
    }
    if !context.join(rel).is_file() {
        return Err(Error::invalid(format!("dockerfile: there is no {dockerfile} in the context folder.")));
    }
    // A malformed .dockerignore stops the build before anything is sent, as with the CLI.
    context_ignore(&context, &dockerfile).map_err(|e| Error::invalid(format!("context: {}", e.message)))?;
    let mut tags = Vec::new();
    for (i, t) in req.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).enumerate() {
        let r = ImageRef::parse(t).map_err(|e| Error::invalid(format!("tags.{i}: {}", e.message)))?;
        if t.contains('@') || t.starts_with("sha256:") {
            return Err(Error::invalid(format!("tags.{i}: a tag is name:tag, not a digest or an ID.")));
        }
        tags.push(r);
    }
    let mut build_args = HashMap::new();
    for (i, a) in req.build_args.iter().filter(|a| !a.trim().is_empty()).enumerate() {
        match a.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && !k.contains(char::is_whitespace) => {
                build_args.insert(k.to_owned(), v.to_owned());
            }
            _ => return Err(Error::invalid(format!("buildArgs.{i}: write NAME=value."))),
        }
    }
    let target = req.target.trim().to_owned();
    if !target.is_empty() && !target.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(Error::invalid("target: a stage name is letters, digits, '_', '-' and '.'."));
    }
    Ok(BuildPlan { context, dockerfile, tags, build_args, target, no_cache: req.no_cache })
}

/// Writes chunks of the tar archive into a channel, 64 KiB at a time.
struct ChunkWriter {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        let n = chunk.len() as u64;
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the build was cancelled"))?;
        self.sent.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

/// The `.dockerignore` of a context, as the CLI applies it (with its exceptions for the
/// Dockerfile and the .dockerignore itself). A malformed pattern is an InvalidArgument error.
pub fn context_ignore(root: &Path, dockerfile: &str) -> Result<IgnoreList> {
    let patterns = match std::fs::read(root.join(".dockerignore")) {
        Ok(t) => crate::ignore::read_patterns(&String::from_utf8_lossy(&t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::invalid(format!("Cannot read the .dockerignore: {e}"))),
    };
    // The CLI names the Dockerfile by its cleaned path relative to the context.
    let dockerfile: Vec<&str> = dockerfile.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    IgnoreList::keeping_build_files(&patterns, &dockerfile.join("/"))
}

/// Every path of the context that is sent, relative and `/`-separated (folders end in `/`), in
/// the order the docker CLI's archive walk visits them: names in byte order, an excluded
/// folder skipped whole unless an exception names something under it.
pub fn context_files(root: &Path, dockerfile: &str) -> std::io::Result<Vec<String>> {
    let ignore = context_ignore(root, dockerfile)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.message))?;
    let mut out = Vec::new();
    walk(root, "", &ignore, &crate::ignore::MatchInfo::default(), &mut out)?;
    Ok(out)
}

fn walk(
    root: &Path,
    dir: &str,
    ignore: &IgnoreList,
    parent: &crate::ignore::MatchInfo,
    out: &mut Vec<String>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(dir))?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if dir.is_empty() { name } else { format!("{dir}/{name}") };
        let ft = e.file_type()?;
        let (skip, info) = ignore.matches_using_parent_results(&rel, parent);
        if ft.is_dir() {
            if !skip {
                out.push(format!("{rel}/"));
                walk(root, &rel, ignore, &info, out)?;
            } else if ignore.enter_excluded_dir(&rel) {
                walk(root, &rel, ignore, &info, out)?;
            }
        } else if !skip {
            out.push(rel);
        }
    }
    Ok(())
}

fn write_context(root: &Path, dockerfile: &str, w: ChunkWriter) -> std::io::Result<()> {
    let mut tar = tar::Builder::new(w);
    tar.follow_symlinks(false);
    tar.mode(tar::HeaderMode::Deterministic);
    for rel in context_files(root, dockerfile)? {
        let path = root.join(rel.trim_end_matches('/'));
        if rel.ends_with('/') {
            tar.append_dir(rel.trim_end_matches('/'), &path)?;
        } else {
            tar.append_path_with_name(&path, &rel)?;
        }
    }
    let mut w = tar.into_inner()?;
    w.flush()
}

fn step_of(line: &str) -> Option<(u32, u32, String)> {
    // Legacy builder: "Step 2/5 : COPY busybox /bin/busybox"
    let rest = line.strip_prefix("Step ")?;
    let (nums, instr) = rest.split_once(" : ")?;
    let (n, t) = nums.split_once('/')?;
    Some((n.trim().parse().ok()?, t.trim().parse().ok()?, instr.trim().to_owned()))
}

impl Engine {
    /// Builds the image. The stream ends with `Done` or `Failed`; dropping it cancels the build.
    /// Nothing starts until the stream is first polled (inside the async runtime).
    pub fn build(&self, plan: BuildPlan) -> impl Stream<Item = BuildEvent> + Send + 'static {
        let engine = self.clone();
        futures_util::stream::once(async move { start_build(engine, plan) }).flatten()
    }
}

fn start_build(engine: Engine, plan: BuildPlan) -> impl Stream<Item = BuildEvent> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(8);
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writer = ChunkWriter { buf: Vec::with_capacity(64 * 1024), tx: tx.clone(), sent: sent.clone() };
    let (root, dockerfile) = (plan.context.clone(), plan.dockerfile.clone());
    tokio::task::spawn_blocking(move || {
        if let Err(e) = write_context(&root, &dockerfile, writer) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                let _ = tx.blocking_send(Err(e));
            }
        }
    });
    let first_tag = plan.tags.first().map(|t| t.as_str().to_owned());
    let opts = BuildImageOptions {
        dockerfile: plan.dockerfile.clone(),
        t: first_tag,
        rm: true,
        forcerm: true,
        nocache: plan.no_cache,
        buildargs: (!plan.build_args.is_empty()).then_some(plan.build_args.clone()),
        target: plan.target.clone(),
        ..Default::default()
    };
    let tags: Vec<String> = plan.tags.iter().map(|t| t.as_str().to_owned()).collect();
    follow_build(engine, opts, rx, tags, sent)
}

/// A receiver as a stream.
fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

fn follow_build(
    engine: Engine,
    opts: BuildImageOptions,
    context: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    tags: Vec<String>,
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> impl Stream<Item = BuildEvent> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel::<BuildEvent>(256);
    tokio::spawn(async move {
        let body = bollard::body_try_stream(tokio_stream_from(context));
        let mut builds = Box::pin(engine.docker.build_image(opts, None, Some(body)));
        let mut step: Option<String> = None;
        let mut id: Option<String> = None;
        let mut partial = String::new();
        let mut last_reported = 0;
        loop {
            let item = tokio::select! {
                item = builds.next() => item,
                _ = tx.closed() => return, // the listener went: dropping the request cancels the build
            };
            let n = sent.load(std::sync::atomic::Ordering::Relaxed);
            if n != last_reported {
                last_reported = n;
                if tx.send(BuildEvent::Context { bytes: n }).await.is_err() {
                    return;
                }
            }
            let info = match item {
                None => break,
                Some(Ok(info)) => info,
                Some(Err(e)) => {
                    let error = match e {
                        bollard::errors::Error::DockerStreamError { error } => {
                            Error::new(ErrorKind::Engine, format!("The build failed: {}", error.trim()))
                        }
                        other => engine.fail(other),
                    };
                    let _ = tx.send(BuildEvent::Failed { error, step: step.clone() }).await;
                    return;
                }
            };
            if let Some(image) = info.aux.and_then(|a| a.id) {
                id = Some(image);
            }
            if let Some(text) = info.stream {
                partial.push_str(&text);
                while let Some(nl) = partial.find('\n') {
                    let line: String = partial.drain(..=nl).collect();
                    let line = line.trim_end_matches(['\n', '\r']).to_owned();
                    if let Some((number, total, instruction)) = step_of(&line) {
                        step = Some(format!("Step {number}/{total}: {instruction}"));
                        if tx.send(BuildEvent::Step { number, total, instruction }).await.is_err() {
                            return;
                        }
                    }
                    if let Some(rest) = line.strip_prefix("Successfully built ") {
                        id = id.or_else(|| Some(rest.trim().to_owned()));
                    }
                    if tx.send(BuildEvent::Log(line)).await.is_err() {
                        return;
                    }
                }
            }
        }
        let Some(id) = id else {
            let _ = tx
                .send(BuildEvent::Failed {
                    error: Error::new(ErrorKind::Engine, "The engine ended the build without naming an image."),
                    step,
                })
                .await;
            return;
        };
        // The engine tags the first name; the others are added here.
        for extra in tags.iter().skip(1) {
            let (repo, tag) = split_tag(extra);
            if let Err(e) =
                engine.docker.tag_image(&id, Some(TagImageOptions { repo: Some(repo), tag: Some(tag) })).await
            {
                let _ = tx.send(BuildEvent::Failed { error: engine.fail(e), step: None }).await;
                return;
            }
        }
        let _ = tx.send(BuildEvent::Done { id, tags }).await;
    });
    tokio_stream_from(rx)
}

/// `registry:5000/app:1.0` → (`registry:5000/app`, `1.0`); no tag → `latest`.
pub fn split_tag(reference: &str) -> (String, String) {
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(i) => (reference[..last_slash + i].to_owned(), reference[last_slash + i + 1..].to_owned()),
        None => (reference.to_owned(), "latest".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_tags() {
        assert_eq!(step_of("Step 2/5 : COPY a /b"), Some((2, 5, "COPY a /b".into())));
        assert_eq!(step_of(" ---> Running in abc"), None);
        assert_eq!(split_tag("127.0.0.1:5000/team/app:1.0"), ("127.0.0.1:5000/team/app".into(), "1.0".into()));
        assert_eq!(split_tag("127.0.0.1:5000/app"), ("127.0.0.1:5000/app".into(), "latest".into()));
    }

    #[test]
    fn validation_names_the_field() {
        let dir = std::env::temp_dir().join(format!("bulkhead-build-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(dir.join(".dockerignore"), "secret*\nsub\n!sub/keep\n").unwrap();
        std::fs::write(dir.join("secret.key"), "x").unwrap();
        std::fs::write(dir.join("app.txt"), "x").unwrap();
        std::fs::write(dir.join("sub/keep"), "x").unwrap();
        std::fs::write(dir.join("sub/drop"), "x").unwrap();
        let ok = BuildRequest {
            context: dir.display().to_string(),
            tags: vec!["bulkhead-test/app:1".into()],
            ..Default::default()
        };
        assert!(validate(&ok).is_ok());
        let field = |r: BuildRequest| validate(&r).err().map(|e| e.message.split(':').next().unwrap_or("").to_owned());
        assert_eq!(field(BuildRequest { context: "relative".into(), ..ok.clone() }).as_deref(), Some("context"));
        assert_eq!(
            field(BuildRequest { dockerfile: "../Dockerfile".into(), ..ok.clone() }).as_deref(),
            Some("dockerfile")
        );
        assert_eq!(field(BuildRequest { dockerfile: "Nope".into(), ..ok.clone() }).as_deref(), Some("dockerfile"));
        assert_eq!(field(BuildRequest { tags: vec!["Bad Tag".into()], ..ok.clone() }).as_deref(), Some("tags.0"));
        assert_eq!(
            field(BuildRequest { build_args: vec!["NOEQ".into()], ..ok.clone() }).as_deref(),
            Some("buildArgs.0")
        );
        let files = context_files(&dir, "Dockerfile").unwrap();
        assert_eq!(files, vec![".dockerignore", "Dockerfile", "app.txt", "sub/keep"], "{files:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
