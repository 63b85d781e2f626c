//! The engine's events as a timeline: live, and from what the engine still remembers (it
//! keeps its last 256 events for `since`), filtered by type, by container and by label.
//!
//! The engine drops a subscriber that reads slower than it writes, so the stream is read by a
//! task of its own into an unbounded queue, never behind whoever shows the events; what
//! reaches the consumer comes in batches of what had piled up. Events that matter to
//! isolation stand out: a process started inside with `docker exec`, a container started
//! privileged, with a host namespace, the engine's socket or CAP_SYS_ADMIN, an image pulled
//! by `latest` or no tag.
//!
//! Every attribute is a label someone else chose: neutralised here, shown as text there.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::refs::ContainerRef;
use crate::text::neutralise;
use bollard::query_parameters::EventsOptions;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// The kinds of objects whose events the timeline shows.
pub const KINDS: [&str; 5] = ["container", "image", "volume", "network", "daemon"];
/// At most this many events wait for a consumer; past it the oldest waiting are dropped and
/// the consumer is told how many.
const QUEUE: usize = 1_000_000;
/// At most this many events go in one batch.
const BATCH: usize = 1000;

/// What to read: from when (unix seconds; `None` = from now), until when (`None` = follow),
/// of which kinds (empty = all of `KINDS`), of one container, with labels (`key` or
/// `key=value`, all of them).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct EventQuery {
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub since: Option<f64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub until: Option<f64>,
    pub kinds: Vec<String>,
    pub container: Option<String>,
    pub labels: Vec<String>,
}

/// One event of the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct EngineEvent {
    /// Unix time in nanoseconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub time_nano: i64,
    /// container, image, volume, network, daemon, plugin, service …
    pub kind: String,
    /// create, start, exec_create, pull … (exec's carry the command: `exec_start: sh`).
    pub action: String,
    /// The object's ID (or an image's reference, a volume's name).
    pub id: String,
    /// Its name, when the event says.
    pub name: String,
    /// Every attribute (labels among them), sorted by key.
    pub attributes: Vec<(String, String)>,
    /// Why it matters to isolation, when it does.
    pub notable: Option<String>,
}

/// What an events stream says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum EventsEvent {
    /// Events in the engine's order.
    Events(Vec<EngineEvent>),
    /// The consumer fell a million events behind: this many were dropped.
    Dropped {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        count: u64,
    },
    /// The engine's stream failed (the engine stopped): resume from the last event's time.
    Failed(Error),
    /// `until` was reached: nothing more comes.
    Ended,
}

impl EventQuery {
    /// Refuses a query with a bad kind, container, label or time.
    pub fn check(&self) -> Result<()> {
        self.filters().map(|_| ())
    }

    /// The engine's filters; every name checked.
    fn filters(&self) -> Result<HashMap<String, Vec<String>>> {
        let mut f = HashMap::new();
        let mut kinds = Vec::new();
        for k in &self.kinds {
            if !KINDS.contains(&k.as_str()) {
                return Err(Error::invalid(format!(
                    "{:?} is not a kind of event: one of {}.",
                    neutralise(k),
                    KINDS.join(", ")
                )));
            }
            kinds.push(k.clone());
        }
        f.insert(
            "type".to_owned(),
            if kinds.is_empty() { KINDS.iter().map(|k| (*k).to_owned()).collect() } else { kinds },
        );
        if let Some(c) = &self.container {
            f.insert("container".to_owned(), vec![ContainerRef::parse(c)?.as_str().to_owned()]);
        }
        for l in &self.labels {
            let key = l.split('=').next().unwrap_or_default();
            if key.is_empty() || l.len() > 1024 || l.chars().any(char::is_control) {
                return Err(Error::invalid(format!("{:?} is not a label filter (key or key=value).", neutralise(l))));
            }
        }
        if !self.labels.is_empty() {
            f.insert("label".to_owned(), self.labels.clone());
        }
        for t in [self.since, self.until].into_iter().flatten() {
            if !t.is_finite() || t < 0.0 {
                return Err(Error::invalid("A time is seconds since 1970."));
            }
        }
        if let (Some(s), Some(u)) = (self.since, self.until) {
            if u < s {
                return Err(Error::invalid("'until' comes before 'since'."));
            }
        }
        Ok(f)
    }
}

/// `secs.nanos`, as the engine reads a time.
fn engine_time(t: f64) -> String {
    let secs = t.trunc() as i64;
    let nanos = ((t - t.trunc()) * 1e9).round() as i64;
    format!("{secs}.{nanos:09}")
}

impl Engine {
    /// The events the query asks for, until `until` (or for as long as the stream is read).
    /// Dropping the stream stops the reading task.
    pub fn events(&self, q: &EventQuery) -> Result<impl Stream<Item = EventsEvent> + Send + 'static> {
        let filters = q.filters()?;
        let opts =
            EventsOptions { since: q.since.map(engine_time), until: q.until.map(engine_time), filters: Some(filters) };
        let mut source = self.docker.events(Some(opts)).boxed();
        let engine = self.clone();
        let queue = std::sync::Arc::new(Queue::default());
        let reader_queue = std::sync::Arc::clone(&queue);
        // The reader: as fast as the engine writes, whatever the consumer does.
        let reader = tokio::spawn(async move {
            let end = loop {
                match source.next().await {
                    Some(Ok(ev)) => reader_queue.push(Item::Event(Box::new(ev))),
                    Some(Err(e)) => break Item::Failed(engine.fail(e)),
                    None => break Item::Ended,
                }
            };
            reader_queue.push(end);
        });
        let guard = AbortOnDrop(reader);
        let engine = self.clone();
        Ok(futures_util::stream::unfold((queue, guard, engine, false), |(queue, guard, engine, done)| async move {
            if done {
                return None;
            }
            let (items, dropped) = queue.take().await;
            if dropped > 0 {
                queue.undo_take(items);
                return Some((EventsEvent::Dropped { count: dropped }, (queue, guard, engine, false)));
            }
            let mut events = Vec::with_capacity(items.len());
            let mut end = None;
            for it in items {
                match it {
                    Item::Event(ev) => events.push(engine.to_event(*ev).await),
                    Item::Failed(e) => end = Some(EventsEvent::Failed(e)),
                    Item::Ended => end = Some(EventsEvent::Ended),
                }
            }
            if events.is_empty() {
                let end = end.unwrap_or(EventsEvent::Ended);
                return Some((end, (queue, guard, engine, true)));
            }
            if let Some(end) = end {
                queue.undo_take(vec![match end {
                    EventsEvent::Failed(e) => Item::Failed(e),
                    _ => Item::Ended,
                }]);
            }
            Some((EventsEvent::Events(events), (queue, guard, engine, false)))
        }))
    }

    /// One event for the timeline; a container's start is looked at for what breaks isolation.
    async fn to_event(&self, ev: bollard::models::EventMessage) -> EngineEvent {
        let kind = ev.typ.map(|t| t.to_string()).unwrap_or_default();
        let action = ev.action.unwrap_or_default();
        let actor = ev.actor.unwrap_or_default();
        let id = actor.id.unwrap_or_default();
        let mut attributes: Vec<(String, String)> =
            actor.attributes.unwrap_or_default().into_iter().map(|(k, v)| (neutralise(&k), neutralise(&v))).collect();
        attributes.sort();
        let name = attributes.iter().find(|(k, _)| k == "name").map(|(_, v)| v.clone()).unwrap_or_default();
        let time_nano = ev.time_nano.unwrap_or_else(|| ev.time.unwrap_or(0).saturating_mul(1_000_000_000));
        let mut notable = notable_without_inspect(&kind, &action, &id);
        if notable.is_none() && kind == "container" && action == "start" {
            if let Ok(c) = ContainerRef::parse(&id) {
                if let Ok(v) = self.inspect_container(&c).await {
                    notable = started_with(&v);
                }
            }
        }
        EngineEvent { time_nano, kind, action: neutralise(&action), id: neutralise(&id), name, attributes, notable }
    }
}

/// What stands out from the event alone.
fn notable_without_inspect(kind: &str, action: &str, id: &str) -> Option<String> {
    match kind {
        "container" if action.starts_with("exec_create") || action.starts_with("exec_start") => {
            let cmd = action.split_once(':').map(|(_, c)| c.trim()).unwrap_or_default();
            Some(if cmd.is_empty() {
                "A process was started inside it (docker exec).".to_owned()
            } else {
                format!("A process was started inside it (docker exec): {}", neutralise(cmd))
            })
        }
        "image" if action == "pull" => {
            let last = id.rsplit('/').next().unwrap_or(id);
            let tag = last.split_once(':').map(|(_, t)| t);
            let by_digest = id.contains('@');
            (!by_digest && matches!(tag, None | Some("latest"))).then(|| {
                format!(
                    "Pulled by a moving tag ({}): what runs can change without notice. Pin a version or a digest.",
                    neutralise(id)
                )
            })
        }
        _ => None,
    }
}

/// What about a started container breaks isolation, from its inspect.
fn started_with(v: &serde_json::Value) -> Option<String> {
    let hc = &v["HostConfig"];
    let mut why = Vec::new();
    if hc["Privileged"].as_bool() == Some(true) {
        why.push("privileged".to_owned());
    }
    for (key, what) in
        [("PidMode", "PID"), ("NetworkMode", "network"), ("IpcMode", "IPC"), ("UTSMode", "UTS"), ("UsernsMode", "user")]
    {
        if hc[key].as_str() == Some("host") {
            why.push(format!("the host's {what} namespace"));
        }
    }
    let caps: Vec<String> = hc["CapAdd"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    for c in caps {
        if matches!(c.trim_start_matches("CAP_"), "ALL" | "SYS_ADMIN" | "SYS_PTRACE" | "SYS_MODULE") {
            why.push(format!("capability {}", neutralise(&c)));
        }
    }
    for m in v["Mounts"].as_array().into_iter().flatten() {
        let src = m["Source"].as_str().unwrap_or_default();
        if ["docker.sock", "podman.sock", "containerd.sock"].iter().any(|s| src.ends_with(s)) {
            why.push(format!("the engine's socket ({})", neutralise(src)));
        }
    }
    (!why.is_empty()).then(|| format!("Started with {}.", why.join(", ")))
}

enum Item {
    Event(Box<bollard::models::EventMessage>),
    Failed(Error),
    Ended,
}

/// The reader's queue: unbounded but for `QUEUE`, past which the oldest go (counted).
#[derive(Default)]
struct Queue {
    items: std::sync::Mutex<(std::collections::VecDeque<Item>, u64)>,
    ready: tokio::sync::Notify,
}

impl Queue {
    fn push(&self, it: Item) {
        {
            let mut g = self.items.lock().unwrap_or_else(|p| p.into_inner());
            if g.0.len() >= QUEUE {
                g.0.pop_front();
                g.1 += 1;
            }
            g.0.push_back(it);
        }
        self.ready.notify_one();
    }

    /// What waits (up to `BATCH`), once something does, and how many were dropped since.
    async fn take(&self) -> (Vec<Item>, u64) {
        loop {
            {
                let mut g = self.items.lock().unwrap_or_else(|p| p.into_inner());
                if !g.0.is_empty() || g.1 > 0 {
                    let n = g.0.len().min(BATCH);
                    let items: Vec<Item> = g.0.drain(..n).collect();
                    let dropped = std::mem::take(&mut g.1);
                    return (items, dropped);
                }
            }
            self.ready.notified().await;
        }
    }

    /// Puts taken items back at the front, in order.
    fn undo_take(&self, items: Vec<Item>) {
        let mut g = self.items.lock().unwrap_or_else(|p| p.into_inner());
        for it in items.into_iter().rev() {
            g.0.push_front(it);
        }
        drop(g);
        self.ready.notify_one();
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked() {
        let ok = EventQuery { kinds: vec!["container".into()], labels: vec!["a=b".into()], ..Default::default() };
        let f = ok.filters().unwrap();
        assert_eq!(f["type"], ["container"]);
        assert_eq!(f["label"], ["a=b"]);
        assert_eq!(EventQuery::default().filters().unwrap()["type"].len(), KINDS.len());
        for bad in [
            EventQuery { kinds: vec!["secret".into()], ..Default::default() },
            EventQuery { labels: vec!["=x".into()], ..Default::default() },
            EventQuery { container: Some("../x".into()), ..Default::default() },
            EventQuery { since: Some(f64::NAN), ..Default::default() },
            EventQuery { since: Some(10.0), until: Some(5.0), ..Default::default() },
        ] {
            assert!(bad.filters().is_err(), "{bad:?}");
        }
        assert_eq!(engine_time(1700000000.5), "1700000000.500000000");
    }

    #[test]
    fn what_stands_out() {
        assert!(notable_without_inspect("container", "exec_create: sh -c id", "x").unwrap().contains("sh -c id"));
        assert!(notable_without_inspect("container", "start", "x").is_none());
        assert!(notable_without_inspect("image", "pull", "busybox:latest").is_some());
        assert!(notable_without_inspect("image", "pull", "busybox").is_some());
        assert!(
            notable_without_inspect("image", "pull", "localhost:5000/busybox").is_some(),
            "a registry port is not a tag"
        );
        assert!(notable_without_inspect("image", "pull", "busybox:1.36").is_none());
        assert!(notable_without_inspect("image", "pull", "busybox@sha256:abc").is_none());
        let v = serde_json::json!({
            "HostConfig": {"Privileged": true, "PidMode": "host", "NetworkMode": "bridge", "CapAdd": ["SYS_ADMIN"]},
            "Mounts": [{"Source": "/var/run/docker.sock"}]
        });
        let s = started_with(&v).unwrap();
        for part in ["privileged", "PID namespace", "SYS_ADMIN", "docker.sock"] {
            assert!(s.contains(part), "{s}");
        }
        assert!(started_with(&serde_json::json!({"HostConfig": {"NetworkMode": "bridge"}})).is_none());
    }
}
