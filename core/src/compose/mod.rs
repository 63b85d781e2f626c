//! Compose: projects recognised from their containers' labels and acted on as one through the
//! Engine API (`labels`, `project`), compose files read as untrusted input and reviewed by the
//! container rules before anything starts (`yaml`, `interpolate`, `file`, `review`), and the
//! user's own Compose run for up/down/pull/build (`run`).

pub mod file;
pub mod interpolate;
pub mod labels;
pub mod project;
pub mod review;
pub mod run;
pub mod yaml;

pub use file::{ComposeFile, ComposeFileView, ComposeServiceView};
pub use labels::ComposeLabels;
pub use project::{ProjectAction, ProjectName, ProjectRemovePlan, ProjectResult};
pub use review::{ComposeFinding, ComposeReport, ServiceReview, SourceLocation};
pub use run::{ComposeCommand, ComposeOutput, ComposeTool};

use std::collections::HashMap;
use std::path::Path;

/// Reads and reviews a compose file with this process's environment (and the project's
/// `.env`). `shown`: the path as the user gave it.
pub fn review_file(
    path: &Path,
    shown: &str,
    engine: Option<&crate::inspect::facts::EngineFacts>,
) -> crate::Result<ComposeReport> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let file = file::load(path, shown, env)?;
    Ok(review::review(&file, engine))
}
