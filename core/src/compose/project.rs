//! A Compose project acted on as one, through the Engine API: it works without the compose
//! file and without Compose installed, finding the project's containers, networks and
//! volumes by the labels Compose puts on them (`com.docker.compose.project=NAME`).
//!
//! The containers are acted on in parallel (a few at a time, as the list's bulk actions):
//! `docker-compose stop` works through them one service after another.

use super::labels;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::lifecycle::{ActionResult, ContainerAction};
use crate::logs::{LogLine, LogOptions};
use crate::model::{ContainerState, ContainerSummary};
use crate::refs::{ContainerRef, NetworkRef, VolumeRef};
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ts")]
use ts_rs::TS;

/// How many containers of a project are acted on at once.
const PARALLELISM: usize = 8;

/// A Compose project's name, as Compose allows it: lower-case letters, digits, `_` and `-`,
/// starting with a letter or digit (v1 also kept `.`, which is accepted too).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(input: &str) -> Result<ProjectName> {
        let mut chars = input.chars();
        let ok = !input.is_empty()
            && input.len() <= 255
            && chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'));
        if ok {
            Ok(ProjectName(input.to_owned()))
        } else {
            Err(Error::invalid(format!(
                "{:?} is not a Compose project name: lower-case letters, digits, '_' and '-', starting with a letter or digit.",
                crate::text::neutralise(input)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `filters={"label":["com.docker.compose.project=NAME"]}`, URL-encoded.
    fn filter(&self) -> String {
        let f = serde_json::json!({ "label": [format!("{}={}", labels::PROJECT, self.0)] }).to_string();
        crate::text::url_component(&f)
    }
}

/// What to do to every container of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum ProjectAction {
    Start,
    Stop,
    Restart,
    Pause,
    Unpause,
}

/// What removing a project takes away, shown before it is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ProjectRemovePlan {
    pub project: String,
    /// Container names.
    pub containers: Vec<String>,
    /// Networks Compose made for it (labelled with the project; external ones are not).
    pub networks: Vec<String>,
    /// Named volumes Compose made for it — removed only when asked.
    pub volumes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ProjectResult {
    /// One per container acted on (its name), with its error if it failed.
    pub containers: Vec<ActionResult>,
    pub networks: Vec<ActionResult>,
    pub volumes: Vec<ActionResult>,
}

impl ProjectResult {
    pub fn failed(&self) -> usize {
        self.containers.iter().chain(&self.networks).chain(&self.volumes).filter(|r| r.error.is_some()).count()
    }
}

impl Engine {
    /// The project's containers (one-off `run` containers too), as the list shows them.
    pub async fn project_containers(&self, p: &ProjectName) -> Result<Vec<ContainerSummary>> {
        let q = format!("/containers/json?all=1&filters={}", p.filter());
        let body = crate::http::get(self.transport(), self.version().api, &q).await?;
        let rows = crate::containers::parse_container_list(&body)?;
        // The label filter is exact on the engine's side; check again on ours.
        Ok(rows.into_iter().filter(|c| c.compose.as_ref().is_some_and(|l| l.project == p.as_str())).collect())
    }

    /// Starts, stops, restarts, pauses or unpauses every container of the project that the
    /// action applies to (stopping a stopped one is skipped, not an error).
    pub async fn project_act(&self, p: &ProjectName, action: ProjectAction) -> Result<ProjectResult> {
        let containers = self.project_containers(p).await?;
        if containers.is_empty() {
            return Err(Error::new(
                crate::ErrorKind::NotFound,
                format!("No containers of the Compose project {} exist.", p.as_str()),
            ));
        }
        let applies = |c: &ContainerSummary| match action {
            ProjectAction::Start => {
                matches!(c.state, ContainerState::Created | ContainerState::Exited | ContainerState::Dead)
            }
            ProjectAction::Stop => {
                matches!(c.state, ContainerState::Running | ContainerState::Restarting | ContainerState::Paused)
            }
            ProjectAction::Restart => !matches!(c.state, ContainerState::Removing),
            ProjectAction::Pause => c.state == ContainerState::Running,
            ProjectAction::Unpause => c.state == ContainerState::Paused,
        };
        // One-off `run` containers are the user's own sessions: only stop touches them, as `compose stop` does.
        let targets: Vec<(String, String)> = containers
            .iter()
            .filter(|c| applies(c))
            .filter(|c| action == ProjectAction::Stop || !c.compose.as_ref().is_some_and(|l| l.oneoff))
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect();
        let what = match action {
            ProjectAction::Start => ContainerAction::Start,
            ProjectAction::Stop => ContainerAction::Stop { timeout: None },
            ProjectAction::Restart => ContainerAction::Restart { timeout: None },
            ProjectAction::Pause => ContainerAction::Pause,
            ProjectAction::Unpause => ContainerAction::Unpause,
        };
        let results = self.act_named(targets, what).await;
        Ok(ProjectResult { containers: results, networks: Vec::new(), volumes: Vec::new() })
    }

    /// `targets`: (ID, name) pairs, owned — borrowed ones make the future of a command not
    /// `Send` for every lifetime ("implementation of FnOnce is not general enough").
    async fn act_named(&self, targets: Vec<(String, String)>, what: ContainerAction) -> Vec<ActionResult> {
        futures_util::stream::iter(targets)
            .map(|(id, name)| async move {
                let error = match ContainerRef::parse(&id) {
                    Ok(r) => self.act(&r, what).await.err(),
                    Err(e) => Some(e),
                };
                ActionResult { target: name, error }
            })
            .buffer_unordered(PARALLELISM)
            .collect()
            .await
    }

    /// What removing the project would take away (volumes listed, removed only on request).
    pub async fn project_remove_plan(&self, p: &ProjectName) -> Result<ProjectRemovePlan> {
        let containers = self.project_containers(p).await?;
        let q = format!("?filters={}", p.filter());
        let nets = crate::http::get(self.transport(), self.version().api, &format!("/networks{q}")).await?;
        let vols = crate::http::get(self.transport(), self.version().api, &format!("/volumes{q}")).await?;
        let mut networks: Vec<String> =
            crate::networks::parse_network_list(&nets)?.into_iter().map(|n| n.name).collect();
        let mut volumes: Vec<String> = crate::volumes::parse_volume_list(&vols)?.into_iter().map(|v| v.name).collect();
        networks.sort();
        volumes.sort();
        let mut names: Vec<String> = containers.into_iter().map(|c| c.name).collect();
        names.sort();
        if names.is_empty() && networks.is_empty() && volumes.is_empty() {
            return Err(Error::new(
                crate::ErrorKind::NotFound,
                format!("Nothing of the Compose project {} exists.", p.as_str()),
            ));
        }
        Ok(ProjectRemovePlan { project: p.as_str().to_owned(), containers: names, networks, volumes })
    }

    /// `compose down` through the API: stops and removes the project's containers (their
    /// anonymous volumes too when `volumes`), then the networks Compose made for it, then —
    /// only when `volumes` — its named volumes. External networks and volumes carry no project
    /// label and are never touched.
    pub async fn project_remove(&self, p: &ProjectName, volumes: bool) -> Result<ProjectResult> {
        let plan = self.project_remove_plan(p).await?;
        let containers = self.project_containers(p).await?;
        let running: Vec<(String, String)> = containers
            .iter()
            .filter(|c| {
                matches!(c.state, ContainerState::Running | ContainerState::Paused | ContainerState::Restarting)
            })
            .map(|c| (c.id.clone(), c.name.clone()))
            .collect();
        // Stopped first, as `compose down` does (a clean exit), then removed; a container that
        // would not stop is removed by force.
        self.act_named(running, ContainerAction::Stop { timeout: None }).await;
        let all: Vec<(String, String)> = containers.iter().map(|c| (c.id.clone(), c.name.clone())).collect();
        let results = self.act_named(all, ContainerAction::Remove { force: true, volumes }).await;
        let mut out = ProjectResult { containers: results, networks: Vec::new(), volumes: Vec::new() };
        for n in &plan.networks {
            let error = match NetworkRef::parse(n) {
                Ok(r) => self.remove_network(&r).await.err(),
                Err(e) => Some(e),
            };
            out.networks.push(ActionResult { target: n.clone(), error });
        }
        if volumes {
            for v in &plan.volumes {
                let error = match VolumeRef::parse(v) {
                    Ok(r) => self.remove_volume(&r, false).await.err(),
                    Err(e) => Some(e),
                };
                out.volumes.push(ActionResult { target: v.clone(), error });
            }
        }
        Ok(out)
    }
}

/// How many history lines of each container a project's log starts with at most (the window
/// keeps 20,000 lines in all).
const PROJECT_TAIL_CAP: u32 = 20_000;

fn parse_ts(ts: Option<&str>) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(ts?, &time::format_description::well_known::Rfc3339).ok()
}

impl Engine {
    /// Every container's log of a project in one stream, each line tagged with its service
    /// (`web`, or `web-2` when it has replicas): first each container's history merged in time
    /// order, then — when following — the new lines of the running ones as they come. Followers
    /// start before the history is read, and a line they bring that the history already had
    /// (not newer than the history's last) is dropped: nothing is lost between the two, nothing
    /// shown twice.
    pub async fn project_logs(
        &self,
        p: &ProjectName,
        opts: &LogOptions,
    ) -> Result<impl Stream<Item = Result<Vec<LogLine>>> + Send + 'static> {
        let containers = self.project_containers(p).await?;
        if containers.is_empty() {
            return Err(Error::new(
                crate::ErrorKind::NotFound,
                format!("No containers of the Compose project {} exist.", p.as_str()),
            ));
        }
        let mut replicas: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for c in &containers {
            if let Some(l) = &c.compose {
                *replicas.entry(l.service.clone()).or_default() += 1;
            }
        }
        let tag = |c: &ContainerSummary| match &c.compose {
            Some(l) if l.oneoff => format!("{}-run", l.service),
            Some(l) if replicas.get(&l.service).copied().unwrap_or(0) > 1 => {
                format!("{}-{}", l.service, l.number.unwrap_or(0))
            }
            Some(l) => l.service.clone(),
            None => c.name.clone(),
        };
        let keep_ts = opts.timestamps;
        let with_ts = LogOptions { timestamps: true, ..opts.clone() };
        let mut followers = Vec::new();
        if opts.follow {
            for c in containers.iter().filter(|c| c.state == ContainerState::Running) {
                let r = ContainerRef::parse(&c.id)?;
                let live = LogOptions { follow: true, tail: Some(0), since: None, ..with_ts.clone() };
                let name = tag(c);
                let s = self.logs(&r, &live).await?;
                followers.push((name, Box::pin(s)));
            }
        }
        let mut history: Vec<(Option<time::OffsetDateTime>, LogLine)> = Vec::new();
        let mut last: std::collections::HashMap<String, time::OffsetDateTime> = std::collections::HashMap::new();
        let past = LogOptions {
            follow: false,
            tail: Some(opts.tail.unwrap_or(PROJECT_TAIL_CAP).min(PROJECT_TAIL_CAP)),
            ..with_ts.clone()
        };
        for c in &containers {
            let r = ContainerRef::parse(&c.id)?;
            let name = tag(c);
            let mut s = Box::pin(self.logs(&r, &past).await?);
            while let Some(batch) = s.next().await {
                for mut l in batch? {
                    let at = parse_ts(l.ts.as_deref());
                    if let Some(t) = at {
                        let e = last.entry(name.clone()).or_insert(t);
                        if t > *e {
                            *e = t;
                        }
                    }
                    l.source = Some(name.clone());
                    history.push((at, l));
                }
            }
        }
        // Stable: lines of one container keep their order when their times are equal.
        history.sort_by_key(|a| a.0);
        let strip = move |mut l: LogLine| {
            if !keep_ts {
                l.ts = None;
            }
            l
        };
        let past: Vec<Vec<LogLine>> = history
            .into_iter()
            .map(|(_, l)| strip(l))
            .collect::<Vec<_>>()
            .chunks(crate::logs::MAX_BATCH_LINES)
            .map(<[LogLine]>::to_vec)
            .collect();
        let live = futures_util::stream::select_all(followers.into_iter().map(move |(name, s)| {
            let seen = last.get(&name).copied();
            s.map(move |batch| {
                batch.map(|lines| {
                    lines
                        .into_iter()
                        .filter(|l| match (seen, parse_ts(l.ts.as_deref())) {
                            (Some(seen), Some(t)) => t > seen,
                            _ => true,
                        })
                        .map(|mut l| {
                            l.source = Some(name.clone());
                            strip(l)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .filter(|b| std::future::ready(!matches!(b, Ok(v) if v.is_empty())))
        }));
        Ok(futures_util::stream::iter(past.into_iter().map(Ok)).chain(live))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names() {
        for ok in ["shop", "my-app_2", "1x", "a.b"] {
            assert!(ProjectName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Shop", "-x", "_x", "a b", "a/b", "a\u{202e}", &"a".repeat(256)] {
            assert!(ProjectName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ProjectName::parse("shop").unwrap().filter(),
            "%7B%22label%22%3A%5B%22com.docker.compose.project%3Dshop%22%5D%7D"
        );
    }
}
