//! The review, incrementally: the window asks for the whole audit whenever a container changes,
//! and at 1,000 containers a full audit (an inspect and kernel reads for each) is the app's
//! biggest cost. A `ReviewCache` follows the watcher's events: a container that changed (any
//! event but exec's and a few that change nothing, `update` included) or appeared is reviewed
//! again, one that went is forgotten, the rest are reused; after a resync (a reconnect, or a
//! listener that fell behind) everything is reviewed again. Image reviews are kept by image
//! ID (an ID names one content forever). Reviews run at most `CONCURRENCY` at a time.

use super::host::HostRoot;
use super::report::{AuditReport, ContainerReport, EngineReport, ImageReport};
use super::rules;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::ListEvent;
use crate::refs::ContainerRef;
use crate::watch::Watcher;
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// Container reviews in flight at once.
pub const CONCURRENCY: usize = 8;

#[derive(Default)]
pub struct ReviewCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    reports: HashMap<String, ContainerReport>,
    dirty: HashSet<String>,
    images: HashMap<String, ImageReport>,
    /// The containers the last audit reviewed (not reused), and how many it reused.
    last_reviewed: Vec<String>,
    last_reused: usize,
}

impl ReviewCache {
    pub fn new() -> Arc<ReviewCache> {
        Arc::new(ReviewCache::default())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The container changed: its next review is done anew.
    pub fn invalidate(&self, id: &str) {
        self.lock().dirty.insert(id.to_owned());
    }

    /// Everything is reviewed anew next time.
    pub fn invalidate_all(&self) {
        let mut st = self.lock();
        st.reports.clear();
        st.dirty.clear();
    }

    /// Whether the container's next review is done anew (changed, or never reviewed).
    pub fn is_stale(&self, id: &str) -> bool {
        let st = self.lock();
        st.dirty.contains(id) || !st.reports.contains_key(id)
    }

    /// The containers the last audit reviewed, and how many reviews it reused.
    pub fn last_audit(&self) -> (Vec<String>, usize) {
        let st = self.lock();
        (st.last_reviewed.clone(), st.last_reused)
    }

    pub(crate) fn image(&self, id: &str) -> Option<ImageReport> {
        self.lock().images.get(id).cloned()
    }

    pub(crate) fn keep_image(&self, r: &ImageReport) {
        self.lock().images.insert(r.id.clone(), r.clone());
    }

    /// A fresher review (after a one-click fix) replaces the kept one.
    pub fn keep(&self, r: &ContainerReport) {
        let mut st = self.lock();
        st.dirty.remove(&r.id);
        st.reports.insert(r.id.clone(), r.clone());
    }

    /// Keeps the cache in step with the watcher's events, on `runtime`, for as long as the
    /// watcher runs.
    pub fn follow(
        self: &Arc<Self>,
        watcher: &Watcher,
        runtime: &tokio::runtime::Handle,
    ) -> tokio::task::JoinHandle<()> {
        let cache = Arc::clone(self);
        let mut events = Box::pin(watcher.subscribe());
        runtime.spawn(async move {
            // The first snapshot is the state at subscription: nothing to invalidate yet.
            let mut first = true;
            while let Some(ev) = events.next().await {
                match ev {
                    ListEvent::Snapshot { .. } if std::mem::take(&mut first) => {}
                    ListEvent::Snapshot { .. } => cache.invalidate_all(),
                    ListEvent::ContainerChanged(c) => cache.invalidate(&c.id),
                    ListEvent::ContainerRemoved { id } => {
                        let mut st = cache.lock();
                        st.reports.remove(&id);
                        st.dirty.remove(&id);
                    }
                    _ => {}
                }
            }
        })
    }
}

impl Engine {
    /// The whole review (engine and host, every container, their images), reusing what the
    /// cache holds of containers that did not change since.
    pub async fn audit_cached(&self, cache: &ReviewCache, host: &HostRoot) -> Result<AuditReport> {
        let facts = self.engine_facts(host).await?;
        let list = self.get_json("/containers/json?all=1").await?;
        let ids: Vec<ContainerRef> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["Id"].as_str())
            .filter_map(|id| ContainerRef::parse(id).ok())
            .collect();
        let listed: HashSet<&str> = ids.iter().map(ContainerRef::as_str).collect();
        // What needs a review now; marked clean before it starts, so a change that arrives
        // while it runs is reviewed next time.
        let (todo, mut containers) = {
            let mut st = cache.lock();
            st.reports.retain(|id, _| listed.contains(id.as_str()));
            let mut todo = Vec::new();
            let mut reused = Vec::new();
            for c in &ids {
                let stale = st.dirty.remove(c.as_str()) || !st.reports.contains_key(c.as_str());
                match st.reports.get(c.as_str()) {
                    Some(r) if !stale => reused.push(r.clone()),
                    _ => todo.push(c.clone()),
                }
            }
            (todo, reused)
        };
        let reused = containers.len();
        let reviews: Vec<(ContainerRef, Result<ContainerReport>)> = futures_util::stream::iter(todo)
            .map(|c| {
                let facts = &facts;
                async move {
                    let r = self.review_container(&c, host, Some(facts)).await;
                    (c, r)
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut reviewed = Vec::new();
        let mut failure: Option<Error> = None;
        for (c, r) in reviews {
            match r {
                Ok(r) => {
                    cache.keep(&r);
                    reviewed.push(r.id.clone());
                    containers.push(r);
                }
                // Removed while we looked.
                Err(e) if e.kind == ErrorKind::NotFound => {}
                Err(e) => {
                    cache.invalidate(c.as_str());
                    failure.get_or_insert(Error::new(e.kind, format!("{}: {}", c.as_str(), e.message)));
                }
            }
        }
        {
            let mut st = cache.lock();
            st.last_reviewed = reviewed;
            st.last_reused = reused;
        }
        if let Some(e) = failure {
            return Err(e);
        }
        // What containers share (networks, volumes) is judged over all of them, each time:
        // the cached reports are each container's own.
        let networks = self.list_networks().await.unwrap_or_default();
        let topology = rules::topology::Topology::from_list(&list, networks);
        let containers: Vec<ContainerReport> = containers.into_iter().map(|r| r.with_topology(&topology)).collect();
        let images = self.review_images(&containers, Some(cache)).await;
        let engine = EngineReport { findings: rules::check_engine(&facts), facts };
        Ok(AuditReport::new(engine, containers, images, crate::time::now_rfc3339()))
    }
}
