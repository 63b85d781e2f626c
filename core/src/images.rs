//! Images: list, look up one, inspect.

use crate::containers::short_id;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::ImageSummary;
use crate::refs::ImageRef;
use crate::text::{neutralise, neutralise_all};
use serde::Deserialize;

impl Engine {
    /// Every top-level image (intermediate build layers are not listed).
    pub async fn list_images(&self) -> Result<Vec<ImageSummary>> {
        let body = crate::http::get(self.transport(), self.version().api, "/images/json").await?;
        parse_image_list(&body)
    }

    /// One image's row, by ID or reference; `None` when there is no such image.
    pub async fn image_summary(&self, r: &ImageRef) -> Result<Option<ImageSummary>> {
        match self.docker.inspect_image(r.as_str()).await {
            Ok(i) => Ok(Some(image_summary(
                i.id.unwrap_or_default(),
                i.repo_tags.unwrap_or_default(),
                i.repo_digests.unwrap_or_default(),
                i.size.unwrap_or_default(),
                i.created.as_deref().and_then(crate::time::parse_rfc3339).unwrap_or_default(),
            ))),
            Err(e) => {
                let e = self.fail(e);
                if e.kind == ErrorKind::NotFound {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// `docker image inspect`, as the engine returns it.
    pub async fn inspect_image(&self, r: &ImageRef) -> Result<serde_json::Value> {
        let raw = self.docker.inspect_image(r.as_str()).await.map_err(|e| self.fail(e))?;
        Ok(serde_json::to_value(raw)?)
    }
}

/// A row of `GET /images/json` with only the fields the list shows.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawImage {
    id: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    repo_digests: Option<Vec<String>>,
    #[serde(default)]
    size: i64,
    #[serde(default)]
    created: i64,
}

pub(crate) fn parse_image_list(body: &[u8]) -> Result<Vec<ImageSummary>> {
    let rows: Option<Vec<RawImage>> =
        serde_json::from_slice(body).map_err(|e| crate::Error::unreadable("image list", e))?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .map(|i| {
            image_summary(i.id, i.repo_tags.unwrap_or_default(), i.repo_digests.unwrap_or_default(), i.size, i.created)
        })
        .collect())
}

pub(crate) fn image_summary(
    id: String,
    tags: Vec<String>,
    digests: Vec<String>,
    size: i64,
    created: i64,
) -> ImageSummary {
    // Engines before API 1.43 list a dangling image's tag as "<none>:<none>".
    let repo_tags: Vec<String> = neutralise_all(tags.into_iter().filter(|t| t != "<none>:<none>"));
    let repo_digests = neutralise_all(digests.into_iter().filter(|d| d != "<none>@<none>"));
    let id = neutralise(&id);
    ImageSummary { short_id: short_id(&id), dangling: repo_tags.is_empty(), id, repo_tags, repo_digests, size, created }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_wire_format_of_old_and_new_engines() {
        let body = br#"[{"Id":"sha256:aa","RepoTags":["<none>:<none>"],"RepoDigests":null,"Size":5,"Created":7,"Labels":null,"Containers":-1,"ParentId":""},
                       {"Id":"sha256:bb","RepoTags":["x:1","y:2"],"RepoDigests":[],"Size":9,"Created":8}]"#;
        let l = parse_image_list(body).unwrap();
        assert!(l[0].dangling && l[0].repo_tags.is_empty() && l[0].size == 5 && l[0].created == 7);
        assert_eq!(l[1].repo_tags, vec!["x:1", "y:2"]);
        assert!(parse_image_list(b"[{}]").is_err(), "an image without an ID is not an image");
    }

    #[test]
    fn dangling_images() {
        let i = image_summary("sha256:0123456789abcdef".into(), vec!["<none>:<none>".into()], vec![], 10, 1);
        assert!(i.dangling);
        assert!(i.repo_tags.is_empty());
        assert_eq!(i.short_id, "0123456789ab");
        let i = image_summary("sha256:ab".into(), vec!["busybox:latest".into()], vec![], 10, 1);
        assert!(!i.dangling);
    }
}

// ---------------------------------------------------------------------------------------------
// Pull, push, tag, remove, prune, history.

use crate::model::{ImageHistoryRow, ProgressEvent, PruneMode, PrunePlan, PruneResult};
use crate::text::url_component;
use bollard::query_parameters::{CreateImageOptions, RemoveImageOptions, TagImageOptions};
use futures_util::{Stream, StreamExt};

/// Says what a registry error means.
fn registry_error(e: Error, reference: &str) -> Error {
    let m = e.message.to_ascii_lowercase();
    let reference = crate::text::neutralise(reference);
    if m.contains("connection refused")
        || m.contains("no such host")
        || m.contains("i/o timeout")
        || m.contains("dial tcp")
    {
        Error::new(ErrorKind::Engine, format!("Cannot reach the registry of {reference}: {}", e.message))
    } else if m.contains("manifest unknown")
        || m.contains("not found")
        || m.contains("does not exist")
        || m.contains("pull access denied")
    {
        Error::new(
            ErrorKind::NotFound,
            format!("There is no image {reference} in its registry (or you may not pull it). {}", e.message),
        )
    } else if m.contains("unauthorized")
        || m.contains("authentication required")
        || m.contains("no basic auth credentials")
        || m.contains("denied")
    {
        Error::new(
            ErrorKind::Engine,
            format!("The registry refused access to {reference}: log in with `docker login` first. {}", e.message),
        )
    } else {
        e
    }
}

fn progress(
    info_id: Option<String>,
    status: Option<String>,
    current: Option<i64>,
    total: Option<i64>,
) -> Option<ProgressEvent> {
    let status = crate::text::neutralise(&status.unwrap_or_default());
    match info_id {
        // Layer lines carry a short layer ID; "latest: Pulling from …" carries the tag.
        Some(id) if id.len() == 12 && id.chars().all(|c| c.is_ascii_hexdigit()) => {
            Some(ProgressEvent::Layer { id, status, current, total })
        }
        Some(id) => Some(ProgressEvent::Status(format!("{}: {status}", crate::text::neutralise(&id)))),
        None if !status.is_empty() => Some(ProgressEvent::Status(status)),
        None => None,
    }
}

impl Engine {
    /// Pulls `reference` (`:latest` when it names no tag or digest), with per-layer progress.
    pub fn pull(&self, reference: &ImageRef) -> impl Stream<Item = ProgressEvent> + Send + 'static {
        let engine = self.clone();
        let full = reference.as_str().to_owned();
        let (repo, tag) = if full.contains('@') {
            (full.clone(), None)
        } else {
            let (r, t) = crate::build::split_tag(&full);
            (r, Some(t))
        };
        let target = match &tag {
            Some(t) => format!("{repo}:{t}"),
            None => repo.clone(),
        };
        let opts = CreateImageOptions { from_image: Some(repo), tag, ..Default::default() };
        let (docker, endpoint, source) = (self.docker.clone(), self.endpoint().clone(), self.credentials());
        let inner = futures_util::stream::once(async move {
            let (creds, note) = crate::registry::for_engine(&source, &endpoint, &full).await;
            let creds = creds.map(|c| bollard::auth::DockerCredentials {
                username: (!c.username.is_empty()).then_some(c.username),
                password: (!c.password.is_empty()).then_some(c.password),
                identitytoken: (!c.identity_token.is_empty()).then_some(c.identity_token),
                serveraddress: Some(c.server_address),
                ..Default::default()
            });
            let note = futures_util::stream::iter(note.map(|n| Ok(Some(ProgressEvent::Status(n)))));
            let pulled = docker.create_image(Some(opts), None, creds).map(|r| {
                r.map(|i| {
                    progress(
                        i.id,
                        i.status,
                        i.progress_detail.as_ref().and_then(|p| p.current),
                        i.progress_detail.as_ref().and_then(|p| p.total),
                    )
                })
            });
            note.chain(pulled)
        })
        .flatten();
        finish_progress(inner, engine, target)
    }

    /// Pushes a tag to its registry, with per-layer progress. (Through our own client: bollard's
    /// push model drops the layer IDs the engine sends.)
    pub fn push(&self, reference: &ImageRef) -> impl Stream<Item = ProgressEvent> + Send + 'static {
        let (repo, tag) = crate::build::split_tag(reference.as_str());
        let target = format!("{repo}:{tag}");
        let path = format!(
            "/images/{}/push?tag={}",
            url_component(&repo).replace("%2F", "/").replace("%3A", ":"),
            url_component(&tag)
        );
        let (endpoint, transport, api, source) =
            (self.endpoint().clone(), self.transport().clone(), self.version().api, self.credentials());
        let events = futures_util::stream::once(async move {
            let (creds, note) = crate::registry::for_engine(&source, &endpoint, &repo).await;
            let auth = creds.map_or_else(crate::registry::anonymous_header, |c| c.header());
            let opened =
                crate::http::request_stream(&transport, api, "POST", &path, &[("X-Registry-Auth", auth)]).await;
            let note = futures_util::stream::iter(note.map(|n| Ok(PushItem::Note(n))));
            let body = match opened {
                Ok(body) => json_lines(body).map(|r| r.map(PushItem::Line)).boxed(),
                Err(e) => futures_util::stream::once(async move { Err(JsonLineError::Engine(e)) }).boxed(),
            };
            note.chain(body)
        })
        .flatten();
        let mapped = events.map(|r| match r {
            Ok(PushItem::Note(n)) => Ok(Some(ProgressEvent::Status(n))),
            Ok(PushItem::Line(m)) => match m.error_detail.and_then(|d| d.message).or(m.error) {
                Some(error) => Err(bollard::errors::Error::DockerStreamError { error }),
                None => Ok(progress(
                    m.id,
                    m.status,
                    m.progress_detail.as_ref().and_then(|p| p.current),
                    m.progress_detail.as_ref().and_then(|p| p.total),
                )),
            },
            Err(JsonLineError::Engine(e)) => Err(bollard::errors::Error::DockerStreamError { error: e.message }),
        });
        finish_progress(mapped, self.clone(), target)
    }

    /// Adds the tag `target` (name:tag) to the image `source`.
    pub async fn tag(&self, source: &ImageRef, target: &ImageRef) -> Result<()> {
        if target.as_str().contains('@') || target.as_str().starts_with("sha256:") {
            return Err(Error::invalid("A new tag is name:tag, not a digest or an image ID."));
        }
        let (repo, tag) = crate::build::split_tag(target.as_str());
        self.docker
            .tag_image(source.as_str(), Some(TagImageOptions { repo: Some(repo), tag: Some(tag) }))
            .await
            .map_err(|e| self.fail(e))
    }

    /// Containers (running or not) made from this image, by name.
    pub async fn containers_using(&self, image: &ImageRef) -> Result<Vec<String>> {
        let id = match self.image_summary(image).await? {
            Some(i) => i.id,
            None => return Ok(Vec::new()),
        };
        let filters = format!("{{\"ancestor\":[\"{id}\"]}}");
        let body = crate::http::get(
            self.transport(),
            self.version().api,
            &format!("/containers/json?all=1&filters={}", url_component(&filters)),
        )
        .await?;
        Ok(crate::containers::parse_container_list(&body)?.into_iter().map(|c| c.name).collect())
    }

    /// Removes an image or a tag. Without `force`, an image that containers use is refused with
    /// the names of those containers.
    pub async fn remove_image(&self, r: &ImageRef, force: bool) -> Result<Vec<String>> {
        match self
            .docker
            .remove_image(r.as_str(), Some(RemoveImageOptions { force, noprune: false, platforms: None }), None)
            .await
        {
            Ok(items) => Ok(items
                .into_iter()
                .filter_map(|i| i.deleted.or(i.untagged))
                .map(|s| crate::text::neutralise(&s))
                .collect()),
            Err(e) => {
                let e = self.fail(e);
                if e.kind != ErrorKind::Conflict {
                    return Err(e);
                }
                let users = self.containers_using(r).await.unwrap_or_default();
                let who =
                    if users.is_empty() { String::new() } else { format!("It is used by: {}. ", users.join(", ")) };
                Err(Error::new(
                    ErrorKind::Conflict,
                    format!("{who}Remove those containers first, or force the removal (they keep running on an untagged image). ({})", e.message),
                ))
            }
        }
    }

    /// What a prune would delete, and the space it would give back — nothing is deleted here.
    pub async fn prune_plan(&self, mode: PruneMode) -> Result<PrunePlan> {
        let (images, containers) = tokio::try_join!(self.list_images(), self.list_containers())?;
        let used: std::collections::HashSet<&str> = containers.iter().map(|c| c.image_id.as_str()).collect();
        let images: Vec<ImageSummary> = images
            .into_iter()
            .filter(|i| !used.contains(i.id.as_str()))
            .filter(|i| mode == PruneMode::Unused || i.dangling)
            .collect();
        let bytes = images.iter().map(|i| i.size).sum();
        Ok(PrunePlan { images, bytes })
    }

    /// Deletes exactly the images of a plan the user saw (never more): each is removed without
    /// force, so one that a container started using meanwhile stays.
    pub async fn prune(&self, ids: &[ImageRef]) -> PruneResult {
        let sizes: std::collections::HashMap<String, i64> =
            self.list_images().await.map(|l| l.into_iter().map(|i| (i.id, i.size)).collect()).unwrap_or_default();
        let mut result = PruneResult::remove_each(ids, ImageRef::as_str, |r| async move {
            self.remove_image(r, false).await.map(|_| ())
        })
        .await;
        result.bytes = result.removed.iter().map(|r| sizes.get(r).copied().unwrap_or(0)).sum();
        result
    }

    /// The layers of an image, newest first: what each instruction made.
    pub async fn history(&self, r: &ImageRef) -> Result<Vec<ImageHistoryRow>> {
        let rows = self.docker.image_history(r.as_str()).await.map_err(|e| self.fail(e))?;
        Ok(rows
            .into_iter()
            .map(|h| ImageHistoryRow {
                id: crate::text::neutralise(&h.id),
                created_by: crate::text::neutralise(&h.created_by),
                created: h.created,
                size: h.size,
                tags: neutralise_all(h.tags),
                comment: crate::text::neutralise(&h.comment),
            })
            .collect())
    }
}

/// Progress, then `Done` — or `Failed` with a registry error said plainly.
fn finish_progress(
    inner: impl Stream<Item = std::result::Result<Option<ProgressEvent>, bollard::errors::Error>> + Send + 'static,
    engine: Engine,
    target: String,
) -> impl Stream<Item = ProgressEvent> + Send + 'static {
    let inner = Box::pin(inner);
    futures_util::stream::unfold((inner, engine, target, false), |(mut inner, engine, target, done)| async move {
        if done {
            return None;
        }
        loop {
            match inner.next().await {
                Some(Ok(Some(ev))) => return Some((ev, (inner, engine, target, false))),
                Some(Ok(None)) => continue,
                Some(Err(e)) => {
                    let e = match e {
                        bollard::errors::Error::DockerStreamError { error } => Error::new(ErrorKind::Engine, error),
                        other => engine.fail(other),
                    };
                    let ev = ProgressEvent::Failed(registry_error(e, &target));
                    return Some((ev, (inner, engine, target, true)));
                }
                None => {
                    let ev = ProgressEvent::Done { reference: target.clone() };
                    return Some((ev, (inner, engine, target, true)));
                }
            }
        }
    })
}

/// What a push's stream carries: a note of ours first (credentials not sent), then the
/// engine's lines.
enum PushItem {
    Note(String),
    Line(ProgressLine),
}

/// A line of a JSON-lines progress stream (push, pull).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProgressLine {
    id: Option<String>,
    status: Option<String>,
    progress_detail: Option<ProgressDetailLine>,
    error_detail: Option<ErrorDetailLine>,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
struct ProgressDetailLine {
    current: Option<i64>,
    total: Option<i64>,
}

#[derive(serde::Deserialize)]
struct ErrorDetailLine {
    message: Option<String>,
}

enum JsonLineError {
    Engine(Error),
}

/// Splits a body into JSON lines and parses each.
fn json_lines(
    body: crate::http::BodyStream,
) -> impl Stream<Item = std::result::Result<ProgressLine, JsonLineError>> + Send {
    futures_util::stream::unfold(
        (body, Vec::<u8>::new(), std::collections::VecDeque::new(), false),
        |(mut body, mut buf, mut ready, mut done)| async move {
            loop {
                if let Some(item) = ready.pop_front() {
                    return Some((item, (body, buf, ready, done)));
                }
                if done {
                    return None;
                }
                match body.next().await {
                    Some(Ok(chunk)) => {
                        buf.extend_from_slice(&chunk);
                        while let Some(nl) = buf.iter().position(|&b| b == b'\n') {
                            let line: Vec<u8> = buf.drain(..=nl).collect();
                            if line.iter().all(|b| b.is_ascii_whitespace()) {
                                continue;
                            }
                            if let Ok(p) = serde_json::from_slice::<ProgressLine>(&line) {
                                ready.push_back(Ok(p));
                            }
                        }
                    }
                    Some(Err(e)) => {
                        ready.push_back(Err(JsonLineError::Engine(e)));
                        done = true;
                    }
                    None => {
                        if let Ok(p) = serde_json::from_slice::<ProgressLine>(&buf) {
                            ready.push_back(Ok(p));
                        }
                        done = true;
                    }
                }
            }
        },
    )
}
