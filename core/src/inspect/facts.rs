//! What the review looks at, normalised: a container's configuration (from `docker inspect`),
//! an image's configuration and history, the engine's settings, and what the kernel says.
//! Rules read only these types, so they are pure functions, tested on hand-built facts.
//!
//! Every string here came from the engine (hostile): control characters are neutralised when
//! the facts are built. Environment values are never kept, only names (and DOCKER_HOST's value,
//! which says where an API is).

use crate::text::neutralise;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// A fact that could not be established, with the reason — never a pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum Probe<T> {
    Known { value: T },
    Unknown { reason: String },
}

impl<T> Probe<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Probe::Known { value } => Some(value),
            Probe::Unknown { .. } => None,
        }
    }
    pub fn unknown(reason: impl Into<String>) -> Self {
        Probe::Unknown { reason: reason.into() }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct MountFact {
    /// bind, volume, tmpfs, npipe.
    pub kind: String,
    /// Host path (binds) or volume name.
    pub source: String,
    pub destination: String,
    pub writable: bool,
    /// private, rprivate, shared, rshared, slave, rslave, or empty.
    pub propagation: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct PortFact {
    pub container_port: u16,
    pub protocol: String,
    /// Empty, 0.0.0.0 or :: mean every interface.
    pub host_ip: String,
    pub host_port: u16,
}

/// A container's configuration as the review needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ContainerFacts {
    pub id: String,
    /// The main process's command line (`Path` then `Args`), to recognise its process when its
    /// cgroup does not name it (a rootless engine on cgroup v1 gives it no cgroup of its own).
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub command: Vec<String>,
    pub name: String,
    pub image: String,
    /// The image's ID (sha256:…) the container was created from.
    pub image_id: String,
    pub running: bool,
    /// The main process's PID on the engine's host; 0 when not running.
    pub pid: u32,
    pub privileged: bool,
    /// Upper case, without the CAP_ prefix.
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub mounts: Vec<MountFact>,
    pub ports: Vec<PortFact>,
    pub network_mode: String,
    pub pid_mode: String,
    pub ipc_mode: String,
    pub uts_mode: String,
    pub userns_mode: String,
    pub cgroupns_mode: String,
    /// Bytes; 0 = no limit.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub memory: i64,
    /// Billionths of a CPU; 0 = no limit.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub nano_cpus: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cpu_quota: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cpu_period: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cpu_shares: i64,
    /// 0 or negative = no limit.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pids_limit: i64,
    pub readonly_rootfs: bool,
    pub restart_policy: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub restart_max_retries: i64,
    /// host path:container path:permissions.
    pub devices: Vec<String>,
    pub security_opt: Vec<String>,
    pub apparmor_profile: String,
    /// A healthcheck is configured (the container's own or its image's) and not disabled.
    pub healthcheck: bool,
    pub user: String,
    pub env_names: Vec<String>,
    /// The value of DOCKER_HOST in the container's environment, when set.
    pub docker_host_env: Option<String>,
    /// System files the container added or modified since it started from its image (under
    /// /etc, /bin, /sbin, /lib and /usr's own), from `GET /containers/{id}/changes`; empty
    /// when not read (a compose file, the Run form's preview).
    pub system_changes: Vec<String>,
}

impl ContainerFacts {
    /// Unlimited pids: no cgroup cap on processes (a fork bomb can exhaust the host).
    pub fn pids_unlimited(&self) -> bool {
        self.pids_limit <= 0
    }

    pub fn no_new_privileges(&self) -> bool {
        self.security_opt.iter().any(|o| {
            let o = o.to_ascii_lowercase();
            o == "no-new-privileges" || o == "no-new-privileges:true" || o == "no-new-privileges=true"
        })
    }

    /// seccomp=unconfined (or the profile the option names).
    pub fn seccomp_profile(&self) -> Option<String> {
        self.security_opt
            .iter()
            .find_map(|o| o.strip_prefix("seccomp=").or(o.strip_prefix("seccomp:")).map(str::to_owned))
    }

    pub fn apparmor_option(&self) -> Option<String> {
        self.security_opt
            .iter()
            .find_map(|o| o.strip_prefix("apparmor=").or(o.strip_prefix("apparmor:")).map(str::to_owned))
    }

    /// The user the main process runs as is root (no USER, or 0 / root).
    pub fn runs_as_root(&self) -> bool {
        let u = self.user.split(':').next().unwrap_or_default();
        u.is_empty() || u == "0" || u == "root"
    }

    /// The facts a container created from this body would have (the Run form's preview).
    pub(crate) fn from_create(body: &bollard::models::ContainerCreateBody) -> ContainerFacts {
        let mut config = serde_json::to_value(body).unwrap_or_default();
        let host_config = config.as_object_mut().and_then(|o| o.remove("HostConfig")).unwrap_or_default();
        ContainerFacts::from_inspect(&serde_json::json!({ "Config": config, "HostConfig": host_config }))
    }

    /// Builds the facts from `GET /containers/{id}/json`.
    pub fn from_inspect(v: &Value) -> ContainerFacts {
        let hc = &v["HostConfig"];
        let cfg = &v["Config"];
        let state = &v["State"];
        let strs = |x: &Value| -> Vec<String> {
            x.as_array().map(|a| a.iter().filter_map(Value::as_str).map(neutralise).collect()).unwrap_or_default()
        };
        let s = |x: &Value| neutralise(x.as_str().unwrap_or_default());
        let caps = |x: &Value| -> Vec<String> {
            strs(x).into_iter().map(|c| c.trim().to_ascii_uppercase().trim_start_matches("CAP_").to_owned()).collect()
        };
        let mounts = mounts_of(v)
            .into_iter()
            .map(|m| MountFact {
                kind: neutralise(&m.kind),
                source: neutralise(&m.source),
                destination: neutralise(&m.destination),
                writable: m.writable,
                propagation: neutralise(&m.propagation),
            })
            .collect();
        let mut ports = Vec::new();
        // Running: NetworkSettings.Ports has what was bound; created: HostConfig.PortBindings.
        let bound = &v["NetworkSettings"]["Ports"];
        let map = if bound.as_object().is_some_and(|o| o.values().any(|b| b.is_array())) {
            bound
        } else {
            &hc["PortBindings"]
        };
        for (key, bindings) in map.as_object().into_iter().flatten() {
            let (port, proto) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
            let Ok(container_port) = port.parse::<u16>() else { continue };
            for b in bindings.as_array().into_iter().flatten() {
                let host_port = match &b["HostPort"] {
                    Value::String(p) => p.split('-').next().unwrap_or_default().parse().unwrap_or(0),
                    Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()).unwrap_or(0),
                    _ => 0,
                };
                ports.push(PortFact {
                    container_port,
                    protocol: neutralise(proto),
                    host_ip: s(&b["HostIp"]),
                    host_port,
                });
            }
        }
        let env = strs(&cfg["Env"]);
        let health = &cfg["Healthcheck"]["Test"];
        let healthcheck = health
            .as_array()
            .and_then(|t| t.first())
            .and_then(Value::as_str)
            .is_some_and(|first| first != "NONE" && !first.is_empty());
        let i = |x: &Value| x.as_i64().unwrap_or(0);
        ContainerFacts {
            command: std::iter::once(v["Path"].as_str().unwrap_or_default().to_owned())
                .chain(v["Args"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned))
                .filter(|w| !w.is_empty())
                .collect(),
            id: s(&v["Id"]),
            name: s(&v["Name"]).trim_start_matches('/').to_owned(),
            image: s(&cfg["Image"]),
            image_id: s(&v["Image"]),
            running: state["Running"].as_bool().unwrap_or(false),
            pid: state["Pid"].as_u64().and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
            privileged: hc["Privileged"].as_bool().unwrap_or(false),
            cap_add: caps(&hc["CapAdd"]),
            cap_drop: caps(&hc["CapDrop"]),
            mounts,
            ports,
            network_mode: s(&hc["NetworkMode"]),
            pid_mode: s(&hc["PidMode"]),
            ipc_mode: s(&hc["IpcMode"]),
            uts_mode: s(&hc["UTSMode"]),
            userns_mode: s(&hc["UsernsMode"]),
            cgroupns_mode: s(&hc["CgroupnsMode"]),
            memory: i(&hc["Memory"]),
            nano_cpus: i(&hc["NanoCpus"]),
            cpu_quota: i(&hc["CpuQuota"]),
            cpu_period: i(&hc["CpuPeriod"]),
            cpu_shares: i(&hc["CpuShares"]),
            pids_limit: i(&hc["PidsLimit"]),
            readonly_rootfs: hc["ReadonlyRootfs"].as_bool().unwrap_or(false),
            restart_policy: s(&hc["RestartPolicy"]["Name"]),
            restart_max_retries: i(&hc["RestartPolicy"]["MaximumRetryCount"]),
            devices: hc["Devices"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| format!("{}:{}:{}", s(&d["PathOnHost"]), s(&d["PathInContainer"]), s(&d["CgroupPermissions"])))
                .collect(),
            security_opt: strs(&hc["SecurityOpt"]),
            apparmor_profile: s(&v["AppArmorProfile"]),
            healthcheck,
            user: s(&cfg["User"]),
            env_names: env.iter().map(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k).to_owned()).collect(),
            docker_host_env: env.iter().find_map(|e| e.strip_prefix("DOCKER_HOST=").map(str::to_owned)),
            system_changes: Vec::new(),
        }
    }
}

/// A container's mounts, exactly as the engine gives them (not neutralised: the hardened
/// recreation sends them back). A started container lists them in Mounts; one that never ran
/// has them in its configuration only (HostConfig.Binds and HostConfig.Mounts).
pub(crate) fn mounts_of(v: &Value) -> Vec<MountFact> {
    let s = |x: &Value| x.as_str().unwrap_or_default().to_owned();
    let mut mounts: Vec<MountFact> = Vec::new();
    for m in v["Mounts"].as_array().into_iter().flatten() {
        mounts.push(MountFact {
            kind: s(&m["Type"]),
            source: if m["Type"] == "volume" { s(&m["Name"]) } else { s(&m["Source"]) },
            destination: s(&m["Destination"]),
            writable: m["RW"].as_bool().unwrap_or(true),
            propagation: s(&m["Propagation"]),
        });
    }
    if !mounts.is_empty() {
        return mounts;
    }
    let hc = &v["HostConfig"];
    for b in hc["Binds"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        let parts: Vec<&str> = b.split(':').collect();
        if parts.len() < 2 {
            continue;
        }
        let opts = parts.get(2).copied().unwrap_or_default();
        mounts.push(MountFact {
            kind: if parts[0].starts_with('/') { "bind".into() } else { "volume".into() },
            source: parts[0].to_owned(),
            destination: parts[1].to_owned(),
            writable: !opts.split(',').any(|o| o == "ro"),
            propagation: opts
                .split(',')
                .find(|o| matches!(*o, "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate"))
                .unwrap_or_default()
                .to_owned(),
        });
    }
    for m in hc["Mounts"].as_array().into_iter().flatten() {
        mounts.push(MountFact {
            kind: s(&m["Type"]),
            source: s(&m["Source"]),
            destination: s(&m["Target"]),
            writable: !m["ReadOnly"].as_bool().unwrap_or(false),
            propagation: s(&m["BindOptions"]["Propagation"]),
        });
    }
    mounts
}

/// An image's configuration and history, as the review needs them (nothing from the image runs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ImageFacts {
    /// The reference the container or the user named (may carry a tag or not).
    pub reference: String,
    pub id: String,
    pub user: String,
    pub healthcheck: bool,
    /// NAME of each ENV (values are never kept).
    pub env_names: Vec<String>,
    /// Names of ENV entries whose name or value looks like a secret.
    pub secret_env: Vec<String>,
    /// The `created_by` of each history step, oldest first.
    pub history: Vec<String>,
}

impl ImageFacts {
    /// From `GET /images/{name}/json` and `GET /images/{name}/history`.
    pub fn from_inspect(reference: &str, inspect: &Value, history: &Value) -> ImageFacts {
        let cfg = &inspect["Config"];
        let env: Vec<String> = cfg["Env"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let mut steps: Vec<String> = history
            .as_array()
            .map(|a| a.iter().filter_map(|h| h["CreatedBy"].as_str()).map(neutralise).collect())
            .unwrap_or_default();
        steps.reverse(); // the engine lists the newest first
        ImageFacts {
            reference: neutralise(reference),
            id: neutralise(inspect["Id"].as_str().unwrap_or_default()),
            user: neutralise(cfg["User"].as_str().unwrap_or_default()),
            healthcheck: cfg["Healthcheck"]["Test"]
                .as_array()
                .and_then(|t| t.first())
                .and_then(Value::as_str)
                .is_some_and(|f| f != "NONE" && !f.is_empty()),
            env_names: env.iter().map(|e| neutralise(e.split_once('=').map_or(e.as_str(), |(k, _)| k))).collect(),
            secret_env: env
                .iter()
                .filter_map(|e| {
                    let (k, val) = e.split_once('=').unwrap_or((e.as_str(), ""));
                    looks_secret(k, val).then(|| neutralise(k))
                })
                .collect(),
            history: steps,
        }
    }
}

/// A name that says secret (PASSWORD, TOKEN, …) with a value set, or a value shaped like a
/// well-known credential.
pub fn looks_secret(name: &str, value: &str) -> bool {
    const NAMES: [&str; 12] = [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
        "AUTH_KEY",
        "CLIENT_SECRET",
        "PASSPHRASE",
    ];
    let n = name.to_ascii_uppercase();
    let named = NAMES.iter().any(|s| n.contains(s)) && !value.is_empty() && !n.ends_with("_FILE");
    const SHAPES: [&str; 8] = ["-----BEGIN", "AKIA", "ghp_", "github_pat_", "xoxb-", "xoxp-", "sk_live_", "glpat-"];
    let shaped = SHAPES.iter().any(|p| value.starts_with(p) && value.len() >= 16);
    named || shaped
}

/// The engine's settings and the host's, as the review needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct EngineFacts {
    pub endpoint: String,
    /// The engine's API is a Unix socket on this machine.
    pub local: bool,
    /// Reached over TCP without TLS.
    pub tcp_plain: bool,
    /// Reached over TLS without checking the engine's certificate (SkipTLSVerify).
    #[serde(default)]
    pub tls_unverified: bool,
    /// "Docker" or "Podman".
    #[serde(default)]
    pub product: String,
    pub userns_remap: bool,
    pub rootless: bool,
    pub live_restore: bool,
    pub seccomp: bool,
    pub apparmor: bool,
    pub experimental: bool,
    /// Inter-container traffic on the default bridge (None: no default bridge).
    pub icc: Option<bool>,
    /// Registries reached without TLS, beyond the loopback range the engine always allows.
    pub insecure_registries: Vec<String>,
    pub logging_driver: String,
    /// The daemon's log options (from /etc/docker/daemon.json on this host).
    pub log_opts: Probe<Vec<String>>,
    pub socket: Probe<SocketFacts>,
    /// Members of the group that owns the socket (each one is root on the host).
    pub socket_group_members: Probe<Vec<String>>,
    pub storage_dir: String,
    pub storage_driver: String,
    /// The storage directory is on the same filesystem as `/`.
    pub storage_on_root_fs: Probe<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct SocketFacts {
    pub path: String,
    pub owner: String,
    pub group: String,
    /// Octal, e.g. "660".
    pub mode: String,
}
