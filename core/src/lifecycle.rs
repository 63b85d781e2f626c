//! Container life cycle: start, stop, restart, kill, pause, unpause, rename, remove — one at a
//! time or many at once — and the processes inside (`top`).

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::refs::{ContainerName, ContainerRef};
use crate::text::{neutralise, neutralise_all};
use bollard::query_parameters::{
    KillContainerOptions, RemoveContainerOptions, RenameContainerOptions, RestartContainerOptions,
    StartContainerOptions, StopContainerOptions, TopOptions,
};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ts")]
use ts_rs::TS;

/// What to do to a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum ContainerAction {
    Start,
    /// SIGTERM, then SIGKILL after `timeout` seconds (the engine's default, 10, when none).
    Stop {
        timeout: Option<u16>,
    },
    Restart {
        timeout: Option<u16>,
    },
    /// SIGKILL at once.
    Kill,
    Pause,
    Unpause,
    /// `force` removes a running container (killing it); `volumes` also removes its anonymous volumes.
    Remove {
        force: bool,
        volumes: bool,
    },
}

/// The result of an action on one container of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ActionResult {
    /// The reference as given.
    pub target: String,
    pub error: Option<Error>,
}

/// `docker top`: column titles and one row per process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ProcessList {
    pub titles: Vec<String>,
    pub processes: Vec<Vec<String>>,
}

/// How many actions of a batch run at once.
const BATCH_PARALLELISM: usize = 4;

impl Engine {
    pub async fn act(&self, r: &ContainerRef, action: ContainerAction) -> Result<()> {
        let id = r.as_str();
        let d = &self.docker;
        let t = |timeout: Option<u16>| timeout.map(i32::from);
        let res = match action {
            ContainerAction::Start => d.start_container(id, None::<StartContainerOptions>).await,
            ContainerAction::Stop { timeout } => {
                d.stop_container(id, Some(StopContainerOptions { t: t(timeout), signal: None })).await
            }
            ContainerAction::Restart { timeout } => {
                d.restart_container(id, Some(RestartContainerOptions { t: t(timeout), signal: None })).await
            }
            ContainerAction::Kill => {
                d.kill_container(id, Some(KillContainerOptions { signal: "SIGKILL".into() })).await
            }
            ContainerAction::Pause => d.pause_container(id).await,
            ContainerAction::Unpause => d.unpause_container(id).await,
            ContainerAction::Remove { force, volumes } => {
                d.remove_container(id, Some(RemoveContainerOptions { force, v: volumes, link: false })).await
            }
        };
        res.map_err(|e| explain(self.fail(e), action))
    }

    /// Runs `action` on every container, a few at a time; one result per container, in order.
    pub async fn act_many(&self, refs: &[ContainerRef], action: ContainerAction) -> Vec<ActionResult> {
        futures_util::stream::iter(refs.iter().cloned())
            .map(|r| async move {
                let error = self.act(&r, action).await.err();
                ActionResult { target: r.as_str().to_owned(), error }
            })
            .buffered(BATCH_PARALLELISM)
            .collect()
            .await
    }

    pub async fn rename(&self, r: &ContainerRef, name: &ContainerName) -> Result<()> {
        self.docker
            .rename_container(r.as_str(), RenameContainerOptions { name: name.as_str().to_owned() })
            .await
            .map_err(|e| {
                let e = self.fail(e);
                if e.kind == ErrorKind::Conflict {
                    Error::new(ErrorKind::Conflict, format!("Another container is already called {name}."))
                } else {
                    e
                }
            })
    }

    /// `docker top`; the container must be running.
    pub async fn top(&self, r: &ContainerRef) -> Result<ProcessList> {
        let top = self
            .docker
            .top_processes(r.as_str(), Some(TopOptions { ps_args: "-ef".into() }))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(ProcessList {
            titles: neutralise_all(top.titles.unwrap_or_default()),
            processes: top.processes.unwrap_or_default().into_iter().map(neutralise_all).collect(),
        })
    }
}

/// Engine errors, said so a person knows what to do next.
fn explain(e: Error, action: ContainerAction) -> Error {
    let m = e.message.to_ascii_lowercase();
    match (e.kind, action) {
        (ErrorKind::Conflict, ContainerAction::Remove { force: false, .. }) => Error::new(
            ErrorKind::Conflict,
            format!(
                "The container is running: stop it first, or force the removal (which kills it). {}",
                neutralise(&e.message)
            ),
        ),
        (ErrorKind::Conflict, ContainerAction::Pause | ContainerAction::Unpause | ContainerAction::Kill) => e,
        (_, ContainerAction::Start)
            if m.contains("port is already allocated") || m.contains("address already in use") =>
        {
            Error::new(e.kind, format!("A host port is already in use by another program or container. {}", e.message))
        }
        _ => e,
    }
}
