//! Images: list, look up one, inspect.

use crate::containers::short_id;
use crate::engine::Engine;
use crate::error::{ErrorKind, Result};
use crate::model::ImageSummary;
use crate::refs::ImageRef;
use crate::text::{neutralise, neutralise_all};
use serde::Deserialize;

impl Engine {
    /// Every top-level image (intermediate build layers are not listed).
    pub async fn list_images(&self) -> Result<Vec<ImageSummary>> {
        let body = crate::http::get(self.endpoint(), self.version().api, "/images/json").await?;
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
    let rows: Option<Vec<RawImage>> = serde_json::from_slice(body)
        .map_err(|e| crate::Error::new(ErrorKind::Engine, format!("The engine's image list could not be read: {e}")))?;
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
