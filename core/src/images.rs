//! Images: list, look up one, inspect.

use crate::containers::short_id;
use crate::engine::Engine;
use crate::error::{ErrorKind, Result};
use crate::model::ImageSummary;
use crate::refs::ImageRef;
use crate::text::{neutralise, neutralise_all};
use bollard::query_parameters::ListImagesOptions;

impl Engine {
    /// Every top-level image (intermediate build layers are not listed).
    pub async fn list_images(&self) -> Result<Vec<ImageSummary>> {
        let raw = self.docker.list_images(Some(ListImagesOptions::default())).await?;
        Ok(raw
            .into_iter()
            .map(|i| image_summary(i.id, i.repo_tags, i.repo_digests, i.size, i.created))
            .collect())
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
                let e = crate::error::Error::from(e);
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
        let raw = self.docker.inspect_image(r.as_str()).await?;
        Ok(serde_json::to_value(raw)?)
    }
}

pub(crate) fn image_summary(id: String, tags: Vec<String>, digests: Vec<String>, size: i64, created: i64) -> ImageSummary {
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
    fn dangling_images() {
        let i = image_summary("sha256:0123456789abcdef".into(), vec!["<none>:<none>".into()], vec![], 10, 1);
        assert!(i.dangling);
        assert!(i.repo_tags.is_empty());
        assert_eq!(i.short_id, "0123456789ab");
        let i = image_summary("sha256:ab".into(), vec!["busybox:latest".into()], vec![], 10, 1);
        assert!(!i.dangling);
    }
}
