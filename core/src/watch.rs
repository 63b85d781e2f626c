//! The list watcher: one long-lived task per engine that keeps a live copy of the containers,
//! images, volumes and networks lists, driven by the engine's event stream.
//!
//! - Connect (and classify why not), negotiate, subscribe to `/events` (types container,
//!   image, volume and network), then list everything once and publish a snapshot.
//! - Each event names one object; events arriving within a short window are coalesced, and each
//!   distinct object is looked up once (a filtered list for a container, an inspect for an
//!   image) and published as a change or a removal. Volumes and networks are few and cheap to
//!   list: a burst that touches any of them re-lists that kind once and publishes the difference.
//!   A network connect or disconnect also re-reads the container (its networks changed).
//! - When the stream ends or fails (engine stopped or restarted), the lists are dropped, the
//!   status says why, and reconnect attempts follow every 500 ms. After any reconnect comes a
//!   full re-list: events are lossy (the engine keeps 256 and skips slow listeners).
//! - No polling of the engine: an idle connection costs the engine nothing but one open stream.

use crate::engine::{Endpoint, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{ConnectionState, ContainerSummary, EngineStatus, ImageSummary, ListEvent};
use crate::networks::NetworkSummary;
use crate::refs::{ContainerRef, ImageRef};
use crate::volumes::VolumeSummary;
use bollard::query_parameters::EventsOptions;
use futures_util::{Stream, StreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{broadcast, Notify};

/// How long to wait between reconnect attempts while the engine is away.
pub const RECONNECT_EVERY: Duration = Duration::from_millis(500);
/// Events closer together than this are handled as one batch.
const COALESCE: Duration = Duration::from_millis(40);

/// Container actions that do not change what the list shows.
const IGNORED_CONTAINER_ACTIONS: &[&str] =
    &["attach", "detach", "resize", "top", "export", "copy", "archive-path", "extract-to-dir", "commit"];

/// A handle on the running watcher. Cloning is cheap; the task stops when the last handle goes.
#[derive(Clone)]
pub struct Watcher {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    endpoint: Result<Endpoint>,
    /// The engine's id in the switcher (see `engines`), carried by every status.
    id: String,
    label: String,
    state: Mutex<State>,
    tx: broadcast::Sender<ListEvent>,
    wake: Notify,
}

struct State {
    status: EngineStatus,
    engine: Option<Engine>,
    containers: BTreeMap<String, ContainerSummary>,
    images: BTreeMap<String, ImageSummary>,
    /// By name.
    volumes: BTreeMap<String, VolumeSummary>,
    /// By ID.
    networks: BTreeMap<String, NetworkSummary>,
}

impl Watcher {
    /// Starts watching on the current tokio runtime.
    pub fn start(endpoint: Result<Endpoint>) -> Watcher {
        Watcher::start_on(&tokio::runtime::Handle::current(), endpoint)
    }

    /// Starts watching on the given tokio runtime.
    pub fn start_on(runtime: &tokio::runtime::Handle, endpoint: Result<Endpoint>) -> Watcher {
        Watcher::start_engine(runtime, "", endpoint)
    }

    /// Starts watching the engine `id` (its statuses say which engine they are of).
    pub fn start_engine(runtime: &tokio::runtime::Handle, id: &str, endpoint: Result<Endpoint>) -> Watcher {
        let label = match &endpoint {
            Ok(e) => e.to_string(),
            Err(_) if !id.is_empty() => id.to_owned(),
            Err(_) => std::env::var("DOCKER_HOST").unwrap_or_default(),
        };
        let (tx, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                status: EngineStatus {
                    state: ConnectionState::Connecting,
                    engine: id.to_owned(),
                    endpoint: label.clone(),
                    api_version: None,
                    engine_api_version: None,
                    engine_version: None,
                    product: None,
                    error: None,
                },
                engine: None,
                containers: BTreeMap::new(),
                images: BTreeMap::new(),
                volumes: BTreeMap::new(),
                networks: BTreeMap::new(),
            }),
            endpoint,
            id: id.to_owned(),
            label,
            tx,
            wake: Notify::new(),
        });
        let task = runtime.spawn(supervise(Arc::clone(&shared)));
        Watcher { inner: Arc::new(Inner { shared, task }) }
    }

    /// The connected engine, or the reason there is none.
    pub fn engine(&self) -> Result<Engine> {
        let st = self.inner.shared.lock();
        match &st.engine {
            Some(e) => Ok(e.clone()),
            None => Err(st.status.error.clone().unwrap_or_else(|| {
                Error::new(ErrorKind::EngineNotRunning, format!("Still connecting to {}.", self.inner.shared.label))
            })),
        }
    }

    pub fn status(&self) -> EngineStatus {
        self.inner.shared.lock().status.clone()
    }

    /// Skips the wait before the next reconnect attempt.
    pub fn retry_now(&self) {
        self.inner.shared.wake.notify_one();
    }

    /// A snapshot of everything now, then every change. A listener that falls behind gets a
    /// fresh snapshot instead of the changes it missed.
    pub fn subscribe(&self) -> impl Stream<Item = ListEvent> + Send + 'static {
        let shared = Arc::clone(&self.inner.shared);
        let (first, rx) = {
            let st = shared.lock();
            (snapshot(&st), shared.tx.subscribe())
        };
        futures_util::stream::unfold((Some(first), rx, shared), |(first, mut rx, shared)| async move {
            if let Some(ev) = first {
                return Some((ev, (None, rx, shared)));
            }
            match rx.recv().await {
                Ok(ev) => Some((ev, (None, rx, shared))),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let snap = snapshot(&shared.lock());
                    Some((snap, (None, rx, shared)))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        })
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Applies a change and publishes it under the same lock, so a new subscriber's snapshot and
    /// the changes after it never overlap or leave a gap.
    fn publish(&self, f: impl FnOnce(&mut State) -> Option<ListEvent>) {
        let mut st = self.lock();
        if let Some(ev) = f(&mut st) {
            let _ = self.tx.send(ev);
        }
    }

    fn set_disconnected(&self, error: Error) {
        self.publish(|st| {
            let status = EngineStatus {
                state: ConnectionState::Disconnected,
                engine: self.id.clone(),
                endpoint: self.label.clone(),
                api_version: None,
                engine_api_version: None,
                engine_version: None,
                product: None,
                error: Some(error),
            };
            let had_data = st.engine.is_some() || !st.containers.is_empty() || !st.images.is_empty();
            st.engine = None;
            st.containers.clear();
            st.images.clear();
            st.volumes.clear();
            st.networks.clear();
            if st.status == status && !had_data {
                return None;
            }
            st.status = status;
            Some(snapshot(st))
        });
    }
}

fn snapshot(st: &State) -> ListEvent {
    let mut containers: Vec<ContainerSummary> = st.containers.values().cloned().collect();
    containers.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.name.cmp(&b.name)));
    let mut images: Vec<ImageSummary> = st.images.values().cloned().collect();
    images.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
    let volumes = st.volumes.values().cloned().collect();
    let mut networks: Vec<NetworkSummary> = st.networks.values().cloned().collect();
    networks.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    ListEvent::Snapshot { status: st.status.clone(), containers, images, volumes, networks }
}

async fn supervise(shared: Arc<Shared>) {
    loop {
        let endpoint = match &shared.endpoint {
            Ok(e) => e.clone(),
            Err(e) => {
                // A malformed DOCKER_HOST does not fix itself: say so once and stop.
                shared.set_disconnected(e.clone());
                return;
            }
        };
        match Engine::connect(&endpoint).await {
            Err(e) => shared.set_disconnected(e),
            Ok(engine) => {
                let lost = follow(&shared, engine).await;
                shared.set_disconnected(lost);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RECONNECT_EVERY) => {}
            _ = shared.wake.notified() => {}
        }
    }
}

/// Runs while the engine answers; returns why it stopped.
async fn follow(shared: &Shared, engine: Engine) -> Error {
    // Subscribe first, with a little overlap, so nothing between the list and the stream is lost.
    let since = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()).saturating_sub(2);
    let kinds = ["container", "image", "volume", "network"];
    let filters = HashMap::from([("type".to_owned(), kinds.iter().map(|k| (*k).to_owned()).collect())]);
    let mut events = engine
        .docker
        .events(Some(EventsOptions { since: Some(since.to_string()), until: None, filters: Some(filters) }))
        .boxed();

    let (containers, images, volumes, networks) = match tokio::try_join!(
        engine.list_containers(),
        engine.list_images(),
        engine.list_volumes(),
        engine.list_networks()
    ) {
        Ok(lists) => lists,
        Err(e) => return e,
    };
    shared.publish(|st| {
        let v = engine.version();
        st.status = EngineStatus {
            state: ConnectionState::Connected,
            engine: shared.id.clone(),
            endpoint: shared.label.clone(),
            api_version: Some(v.api.to_string()),
            engine_api_version: Some(v.engine_api.to_string()),
            engine_version: Some(v.engine_version.clone()),
            product: Some(v.product.clone()),
            error: None,
        };
        st.engine = Some(engine.clone());
        st.containers = containers.into_iter().map(|c| (c.id.clone(), c)).collect();
        st.images = images.into_iter().map(|i| (i.id.clone(), i)).collect();
        st.volumes = volumes.into_iter().map(|v| (v.name.clone(), v)).collect();
        st.networks = networks.into_iter().map(|n| (n.id.clone(), n)).collect();
        Some(snapshot(st))
    });

    let mut batch = Batch::default();
    loop {
        // Wait for the first event, then gather what follows closely.
        match events.next().await {
            Some(Ok(ev)) => batch.add(ev),
            Some(Err(e)) => return lost(engine.fail(e), shared),
            None => return lost_plain(shared),
        }
        let deadline = tokio::time::Instant::now() + COALESCE;
        loop {
            tokio::select! {
                biased;
                next = events.next() => match next {
                    Some(Ok(ev)) => batch.add(ev),
                    Some(Err(e)) => return lost(engine.fail(e), shared),
                    None => return lost_plain(shared),
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        if let Err(e) = apply(shared, &engine, std::mem::take(&mut batch)).await {
            if e.kind.is_connection() || e.kind == ErrorKind::Engine {
                return e;
            }
        }
    }
}

fn lost(e: Error, shared: &Shared) -> Error {
    if e.kind.is_connection() {
        e
    } else {
        Error::new(
            ErrorKind::EngineNotRunning,
            format!("Lost the connection to {}: {}. Reconnecting…", shared.label, e.message),
        )
    }
}

fn lost_plain(shared: &Shared) -> Error {
    Error::new(
        ErrorKind::EngineNotRunning,
        format!("The engine at {} closed the connection (stopped or restarting). Reconnecting…", shared.label),
    )
}

/// The distinct objects a burst of events touched.
#[derive(Default)]
struct Batch {
    containers: BTreeSet<String>,
    images: BTreeSet<String>,
    /// Tags that were (re)assigned: the image that held them before may have lost them.
    tags: BTreeSet<String>,
    volumes: bool,
    networks: bool,
}

impl Batch {
    fn add(&mut self, ev: bollard::models::EventMessage) {
        use bollard::models::EventMessageTypeEnum as T;
        let action = ev.action.unwrap_or_default();
        let Some(actor) = ev.actor else { return };
        let Some(id) = actor.id.filter(|id| !id.is_empty()) else { return };
        match ev.typ {
            Some(T::CONTAINER)
                if !action.starts_with("exec_") && !IGNORED_CONTAINER_ACTIONS.contains(&action.as_str()) =>
            {
                self.containers.insert(id);
            }
            Some(T::IMAGE) if !matches!(action.as_str(), "push" | "save") => {
                if action == "tag" {
                    if let Some(name) = actor.attributes.as_ref().and_then(|a| a.get("name")) {
                        self.tags.insert(name.clone());
                    }
                }
                self.images.insert(id);
            }
            // mount/unmount change nothing the list shows; create, destroy (and prune) do.
            Some(T::VOLUME) if !matches!(action.as_str(), "mount" | "unmount") => self.volumes = true,
            Some(T::NETWORK) => {
                if matches!(action.as_str(), "connect" | "disconnect") {
                    if let Some(c) = actor.attributes.as_ref().and_then(|a| a.get("container")) {
                        self.containers.insert(c.clone());
                    }
                } else {
                    self.networks = true;
                }
            }
            _ => {}
        }
    }
}

async fn apply(shared: &Shared, engine: &Engine, batch: Batch) -> Result<()> {
    for id in batch.containers {
        let Ok(r) = ContainerRef::parse(&id) else { continue };
        let found = engine.container_summary(&r).await?;
        shared.publish(|st| match found {
            Some(c) => {
                if st.containers.get(&c.id) == Some(&c) {
                    return None;
                }
                st.containers.insert(c.id.clone(), c.clone());
                Some(ListEvent::ContainerChanged(c))
            }
            None => st.containers.remove(&id).map(|_| ListEvent::ContainerRemoved { id: id.clone() }),
        });
    }

    let mut images = batch.images;
    if !batch.tags.is_empty() {
        let st = shared.lock();
        for img in st.images.values() {
            if img.repo_tags.iter().any(|t| batch.tags.contains(t)) {
                images.insert(img.id.clone());
            }
        }
    }
    for key in images {
        let Ok(r) = ImageRef::parse(&key) else { continue };
        let found = engine.image_summary(&r).await?;
        shared.publish(|st| match found {
            Some(i) => {
                if st.images.get(&i.id) == Some(&i) {
                    return None;
                }
                st.images.insert(i.id.clone(), i.clone());
                Some(ListEvent::ImageChanged(i))
            }
            None => st.images.remove(&key).map(|_| ListEvent::ImageRemoved { id: key.clone() }),
        });
    }

    if batch.volumes {
        let now = engine.list_volumes().await?;
        publish_difference(
            shared,
            now,
            |st| &mut st.volumes,
            |v| v.name.clone(),
            ListEvent::VolumeChanged,
            |name| ListEvent::VolumeRemoved { name },
        );
    }
    if batch.networks {
        let now = engine.list_networks().await?;
        publish_difference(
            shared,
            now,
            |st| &mut st.networks,
            |n| n.id.clone(),
            ListEvent::NetworkChanged,
            |id| ListEvent::NetworkRemoved { id },
        );
    }
    Ok(())
}

/// Replaces one kind's map with a fresh list, publishing what changed and what is gone.
fn publish_difference<T: Clone + PartialEq>(
    shared: &Shared,
    now: Vec<T>,
    map: impl Fn(&mut State) -> &mut BTreeMap<String, T>,
    key: impl Fn(&T) -> String,
    changed: impl Fn(T) -> ListEvent,
    removed: impl Fn(String) -> ListEvent,
) {
    let mut st = shared.lock();
    let m = map(&mut st);
    let keep: BTreeSet<String> = now.iter().map(&key).collect();
    let gone: Vec<String> = m.keys().filter(|k| !keep.contains(*k)).cloned().collect();
    let mut events = Vec::new();
    for k in gone {
        m.remove(&k);
        events.push(removed(k));
    }
    for item in now {
        let k = key(&item);
        if m.get(&k) != Some(&item) {
            m.insert(k, item.clone());
            events.push(changed(item));
        }
    }
    // Sent under the lock, as `publish` does: a new subscriber's snapshot never overlaps them.
    for ev in events {
        let _ = shared.tx.send(ev);
    }
}
