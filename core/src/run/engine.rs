//! Create and start, leaving nothing behind when the start fails.

use super::*;

impl Engine {
    /// Creates and starts a container as the request says. Validation is redone here, whatever
    /// the UI checked. When the start fails (a host port in use …), the container is removed
    /// again: nothing half-done is left behind.
    pub async fn run(&self, req: &RunRequest) -> Result<RunOutcome> {
        self.run_planned(validate(req)?).await
    }

    /// Creates and starts what `validate` planned.
    pub async fn run_planned(&self, plan: RunPlan) -> Result<RunOutcome> {
        let opts =
            CreateContainerOptions { name: plan.name.as_ref().map(|n| n.as_str().to_owned()), ..Default::default() };
        let created = self.docker.create_container(Some(opts), plan.body).await.map_err(|e| {
            let e = self.fail(e);
            match e.kind {
                ErrorKind::NotFound => Error::new(
                    ErrorKind::NotFound,
                    format!("The image {} is not on this engine: pull or build it first. ({})", plan.image, e.message),
                ),
                ErrorKind::Conflict => Error::new(
                    ErrorKind::Conflict,
                    format!("The name is taken: another container is already called that. ({})", e.message),
                ),
                _ => e,
            }
        })?;
        if let Err(e) = self.docker.start_container(&created.id, None::<StartContainerOptions>).await {
            let e = self.fail(e);
            let cleanup = self
                .docker
                .remove_container(
                    &created.id,
                    Some(RemoveContainerOptions { force: true, v: true, ..Default::default() }),
                )
                .await;
            let cause =
                if e.message.contains("port is already allocated") || e.message.contains("address already in use") {
                    "A host port is already in use by another program or container. "
                } else {
                    ""
                };
            let left = if cleanup.is_err() {
                " The created container could not be removed again; remove it by hand."
            } else {
                ""
            };
            return Err(Error::new(e.kind, format!("The container could not start. {cause}{}{left}", e.message)));
        }
        let name = plan.name.map(|n| n.as_str().to_owned()).unwrap_or_default();
        let name = if name.is_empty() {
            self.docker
                .inspect_container(&created.id, None::<bollard::query_parameters::InspectContainerOptions>)
                .await
                .ok()
                .and_then(|c| c.name)
                .map(|n| n.trim_start_matches('/').to_owned())
                .unwrap_or_default()
        } else {
            name
        };
        Ok(RunOutcome {
            id: created.id,
            name: crate::text::neutralise(&name),
            warnings: crate::text::neutralise_all(created.warnings),
        })
    }
}
