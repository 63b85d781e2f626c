//! Alerts: when a container starts with a critical finding that breaks isolation outright
//! (privileged, an engine API socket inside, the host's PID or network namespace), say so.

use super::host::HostRoot;
use super::report::ContainerReport;
use crate::model::{ContainerState, ListEvent};
use crate::watch::Watcher;
use crate::ContainerRef;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use std::collections::HashSet;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// The findings that raise an alert when a container starts with them.
pub const ALERT_RULES: [&str; 4] =
    ["container.privileged", "container.api-socket", "container.host-pid", "container.host-network"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Alert {
    pub container_id: String,
    pub title: String,
    pub body: String,
    pub rule_ids: Vec<String>,
}

/// The alert a review raises, if any.
pub fn alert_for(r: &ContainerReport) -> Option<Alert> {
    let hits: Vec<&super::rules::Finding> =
        r.findings.iter().filter(|f| ALERT_RULES.contains(&f.rule_id.as_str())).collect();
    if hits.is_empty() {
        return None;
    }
    Some(Alert {
        container_id: r.id.clone(),
        title: format!("{} started with a critical isolation risk", r.name),
        body: hits.iter().map(|f| f.title.as_str()).collect::<Vec<_>>().join("; "),
        rule_ids: hits.iter().map(|f| f.rule_id.clone()).collect(),
    })
}

/// Follows the lists; yields the IDs of containers that just started. A snapshot (first, or
/// after a reconnect) only records what runs: containers already running raise nothing.
#[derive(Default)]
pub struct StartTracker {
    running: HashSet<String>,
}

impl StartTracker {
    pub fn observe(&mut self, ev: &ListEvent) -> Vec<String> {
        match ev {
            ListEvent::Snapshot { containers, .. } => {
                self.running =
                    containers.iter().filter(|c| c.state == ContainerState::Running).map(|c| c.id.clone()).collect();
                Vec::new()
            }
            ListEvent::ContainerChanged(c) if c.state == ContainerState::Running => {
                if self.running.insert(c.id.clone()) {
                    vec![c.id.clone()]
                } else {
                    Vec::new()
                }
            }
            ListEvent::ContainerChanged(c) => {
                self.running.remove(&c.id);
                Vec::new()
            }
            ListEvent::ContainerRemoved { id } => {
                self.running.remove(id);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}

/// Every alert from now on: each container that starts is reviewed, kernel included.
pub fn watch_alerts(watcher: &Watcher, host: HostRoot) -> impl Stream<Item = Alert> + Send + 'static {
    let engine_source = watcher.clone();
    let mut tracker = StartTracker::default();
    watcher.subscribe().flat_map(move |ev| futures_util::stream::iter(tracker.observe(&ev))).filter_map(move |id| {
        let watcher = engine_source.clone();
        let host = host.clone();
        async move {
            let engine = watcher.engine().ok()?;
            let c = ContainerRef::parse(&id).ok()?;
            let facts = engine.engine_facts(&host).await.ok();
            let r = engine.review_container(&c, &host, facts.as_ref()).await.ok()?;
            alert_for(&r)
        }
    })
}
