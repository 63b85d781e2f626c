//! Bulkhead's own data types: what crosses IPC and what the CLI prints. Never bollard types.
//! Every string in them that came from the engine has been neutralised (see `text`).

use crate::error::Error;
use serde::Serialize;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// The life-cycle state of a container, as the engine reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    Unknown,
}

/// One published (or only exposed) port of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct PortMapping {
    /// The host address the port is bound to (`0.0.0.0`, `::`, `127.0.0.1` …); none when only exposed.
    pub host_ip: Option<String>,
    /// The port on the host; none when only exposed.
    pub host_port: Option<u16>,
    pub container_port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

/// A mount of a container, as the containers list says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct MountSummary {
    /// `volume`, `bind`, `tmpfs`, `npipe`, `cluster`.
    pub kind: String,
    /// The volume's name (volume mounts only).
    pub name: Option<String>,
    /// The host path (bind) or the volume's folder on the engine's host.
    pub source: String,
    /// Where the container sees it.
    pub destination: String,
    pub rw: bool,
}

/// A container's endpoint on one network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct NetworkEndpoint {
    /// The network's name.
    pub network: String,
    pub network_id: String,
    /// The address on it, without the prefix length; empty while stopped.
    pub ipv4: String,
    pub ipv6: String,
}

/// A row of the containers list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ContainerSummary {
    /// The full 64-character ID.
    pub id: String,
    /// The first 12 characters of the ID, as the docker CLI shows it.
    pub short_id: String,
    /// The primary name, without the leading slash.
    pub name: String,
    /// The image as the user named it when creating the container.
    pub image: String,
    /// The image's ID (`sha256:…`).
    pub image_id: String,
    pub command: String,
    pub state: ContainerState,
    /// The engine's human status, e.g. "Up 5 minutes" or "Exited (0) 2 hours ago".
    pub status: String,
    pub ports: Vec<PortMapping>,
    /// Unix time, seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created: i64,
    pub mounts: Vec<MountSummary>,
    /// The networks it is on, sorted by name.
    pub networks: Vec<NetworkEndpoint>,
    /// `default`, `bridge`, `host`, `none`, `container:ID` or a network's name.
    pub network_mode: String,
    /// Its place in a Compose project, from the labels Compose puts on its containers.
    pub compose: Option<crate::compose::ComposeLabels>,
}

/// A row of the images list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ImageSummary {
    /// The full ID, `sha256:…`.
    pub id: String,
    /// The first 12 hex characters of the ID, as the docker CLI shows it.
    pub short_id: String,
    /// `repo:tag` names; empty for a dangling image.
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    /// Bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: i64,
    /// Unix time, seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created: i64,
    /// No tag points at it: a leftover of a rebuild or a pull that moved a tag.
    pub dangling: bool,
}

/// Whether Bulkhead is talking to an engine right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum ConnectionState {
    Connecting,
    Connected,
    Disconnected,
}

/// The engine connection as the UI shows it at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct EngineStatus {
    pub state: ConnectionState,
    /// The engine's id in the switcher (a context name, `bulkhead/NAME`, `podman:PATH`).
    pub engine: String,
    /// Where we connect: `unix:///var/run/docker.sock`, `tcp://host:2375`.
    pub endpoint: String,
    /// The API version both sides speak (sent as `/v1.xx/` on every request).
    pub api_version: Option<String>,
    /// The newest API version the engine speaks.
    pub engine_api_version: Option<String>,
    /// The engine's release, e.g. 20.10.24.
    pub engine_version: Option<String>,
    /// "Docker" or "Podman", once connected.
    pub product: Option<String>,
    /// Why we are not connected, and what to do.
    pub error: Option<Error>,
}

/// A security option the engine runs containers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct SecurityOption {
    /// `seccomp`, `apparmor`, `selinux`, `userns`, `rootless`, `cgroupns` …
    pub name: String,
    /// The rest of the option, e.g. `profile=default`.
    pub details: Vec<String>,
}

/// The `docker info` essentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct SystemInfo {
    pub endpoint: String,
    /// "Docker" or "Podman".
    pub product: String,
    pub engine_version: String,
    pub api_version: String,
    pub engine_api_version: String,
    pub hostname: String,
    pub operating_system: String,
    pub os_type: String,
    pub kernel_version: String,
    pub architecture: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cpus: i64,
    /// Bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub memory: i64,
    pub storage_driver: String,
    /// Where images, containers and volumes live on the host (`DockerRootDir`).
    pub docker_root_dir: String,
    pub logging_driver: String,
    pub cgroup_driver: String,
    pub cgroup_version: String,
    pub default_runtime: String,
    pub security_options: Vec<SecurityOption>,
    pub seccomp: bool,
    pub apparmor: bool,
    pub selinux: bool,
    pub userns: bool,
    pub rootless: bool,
    pub live_restore: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub containers: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub containers_running: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub containers_paused: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub containers_stopped: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub images: i64,
    /// The engine's own warnings (e.g. "No swap limit support").
    pub warnings: Vec<String>,
}

/// What the list watcher sends: a full snapshot first (and after every reconnect or when a
/// listener fell behind), then changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum ListEvent {
    /// The connection changed (connecting, connected, lost).
    Status(EngineStatus),
    /// Replace everything you have.
    Snapshot {
        status: EngineStatus,
        containers: Vec<ContainerSummary>,
        images: Vec<ImageSummary>,
        volumes: Vec<crate::volumes::VolumeSummary>,
        networks: Vec<crate::networks::NetworkSummary>,
    },
    ContainerChanged(ContainerSummary),
    ContainerRemoved {
        id: String,
    },
    ImageChanged(ImageSummary),
    ImageRemoved {
        id: String,
    },
    VolumeChanged(crate::volumes::VolumeSummary),
    VolumeRemoved {
        name: String,
    },
    NetworkChanged(crate::networks::NetworkSummary),
    NetworkRemoved {
        id: String,
    },
}

/// What a log stream sends: batches of lines, then an error or the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum LogEvent {
    Lines(Vec<crate::logs::LogLine>),
    Error(Error),
    /// The log ended (not following, or the container stopped).
    End,
}

/// What a stats stream sends: a sample a second, then an error or the end.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum StatsEvent {
    Sample(crate::stats::StatsSample),
    Error(Error),
    End,
}

/// A log written to disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct SavedLog {
    pub path: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub lines: u64,
}

/// Pull and push progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum ProgressEvent {
    /// One layer: "Downloading", "Extracting", "Pushed" …, with bytes when the engine gives them.
    Layer {
        id: String,
        status: String,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        current: Option<i64>,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        total: Option<i64>,
    },
    /// A line about the whole image ("Digest: …", "Status: Downloaded newer image …").
    Status(String),
    Failed(Error),
    Done {
        reference: String,
    },
}

/// Which images a prune considers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum PruneMode {
    /// Untagged images no container uses.
    Dangling,
    /// Every image no container (running or stopped) uses.
    Unused,
}

/// What a prune would delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct PrunePlan {
    pub images: Vec<ImageSummary>,
    /// The images' sizes added up: at most this much comes back (shared layers may stay).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct PruneResult {
    pub removed: Vec<String>,
    pub failed: Vec<crate::lifecycle::ActionResult>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: i64,
}

impl PruneResult {
    /// Removes each target of a plan the user saw, one after the other and never by force:
    /// one that came into use meanwhile is refused by the engine and listed as failed.
    // A plain closure returning a future, not an `AsyncFn`: the futures of async closures are
    // not `Send` for every lifetime, which a `#[tauri::command]` needs.
    pub(crate) async fn remove_each<'a, T, Fut>(
        targets: &'a [T],
        name: impl Fn(&T) -> &str,
        remove: impl Fn(&'a T) -> Fut,
    ) -> PruneResult
    where
        Fut: std::future::Future<Output = crate::Result<()>>,
    {
        let mut result = PruneResult { removed: Vec::new(), failed: Vec::new(), bytes: 0 };
        for t in targets {
            match remove(t).await {
                Ok(()) => result.removed.push(name(t).to_owned()),
                Err(e) => {
                    result.failed.push(crate::lifecycle::ActionResult { target: name(t).to_owned(), error: Some(e) })
                }
            }
        }
        result
    }
}

/// One layer of an image's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ImageHistoryRow {
    /// The layer's image ID, or `<missing>` for layers pulled from a registry.
    pub id: String,
    /// The instruction that made it.
    pub created_by: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: i64,
    pub tags: Vec<String>,
    pub comment: String,
}

/// What an exec session reports besides its output bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum ExecEvent {
    /// The process ended (its exit code when the engine knows it).
    #[cfg_attr(feature = "ts", ts(rename = "exit"))]
    Exit {
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        code: Option<i64>,
    },
    /// After an interrupt (^C) in a flood, this much output that was already on its way was
    /// thrown away, as a terminal's line discipline does (total for the session so far).
    #[cfg_attr(feature = "ts", ts(rename = "discarded"))]
    Discarded {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        bytes: u64,
    },
    Error(Error),
}

/// A session that was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ExecOpened {
    pub session: u32,
    /// What runs, e.g. ["/bin/sh"].
    pub command: Vec<String>,
}

/// What the desktop shell holds open right now (sessions, streams): shown on the System page,
/// and how tests check that nothing leaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ShellDiagnostics {
    pub terminal_sessions: u32,
    /// Tasks serving terminal sessions (input and output) that are still alive, closed or not.
    pub terminal_tasks: u32,
    /// Containers that started with a critical isolation risk, newest first (the last 20).
    pub alerts: Vec<String>,
    pub streams: u32,
    pub list_streams: u32,
}
