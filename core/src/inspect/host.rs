//! Kernel truth: what the host's kernel says about a container's process — its cgroup limits
//! (v1 and v2, cgroupfs and systemd drivers), its namespaces against the host's, its user
//! mapping, its effective capabilities, no_new_privs and seccomp mode.
//!
//! Every read goes through a root directory (`/` in the app; a fixture tree in tests). A file
//! that cannot be read makes that fact "unknown" with the reason — never a pass.

use super::facts::Probe;
use serde::{Deserialize, Serialize};
use std::io::ErrorKind as IoKind;
use std::path::{Path, PathBuf};

#[cfg(feature = "ts")]
use ts_rs::TS;

pub const NAMESPACES: [&str; 7] = ["pid", "net", "ipc", "mnt", "uts", "user", "cgroup"];

/// What the kernel says about one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct KernelFacts {
    pub cgroup: Probe<CgroupFacts>,
    pub namespaces: Probe<Vec<NamespaceFact>>,
    /// uid_map lines: inside, outside, count.
    pub uid_map: Probe<Vec<[u32; 3]>>,
    pub status: Probe<ProcStatus>,
    /// Whose kernel this is when it is not this machine's: `ssh://…` for an SSH engine, whose
    /// files are read on that host over SSH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl KernelFacts {
    pub fn unknown(reason: &str) -> KernelFacts {
        KernelFacts {
            cgroup: Probe::unknown(reason),
            namespaces: Probe::unknown(reason),
            uid_map: Probe::unknown(reason),
            status: Probe::unknown(reason),
            source: None,
        }
    }

    /// Root inside the container is root on the host (uid 0 maps to uid 0).
    pub fn root_is_host_root(&self) -> Option<bool> {
        self.uid_map
            .known()
            .map(|m| m.iter().any(|[inside, outside, count]| *inside == 0 && *outside == 0 && *count > 0))
    }

    pub fn shares(&self, kind: &str) -> Option<bool> {
        self.namespaces.known().and_then(|n| n.iter().find(|f| f.kind == kind)).map(|f| f.shared)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct CgroupFacts {
    /// 1 or 2.
    pub version: u8,
    /// "systemd" (…/docker-<id>.scope) or "cgroupfs" (…/docker/<id>).
    pub driver: String,
    /// The cgroup's path, as /proc/<pid>/cgroup gives it.
    pub path: String,
    /// None: "max" (no limit). The file read is in `pids_file`.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub pids_max: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub pids_current: Option<u64>,
    pub pids_file: String,
    /// None: no limit.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub memory_max: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub memory_current: Option<u64>,
    /// CPU time per period, in microseconds (None: no limit).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub cpu_quota_us: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub cpu_period_us: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct NamespaceFact {
    /// pid, net, ipc, mnt, uts, user, cgroup.
    pub kind: String,
    /// e.g. "net:[4026532211]".
    pub container: String,
    pub host: String,
    /// Whose namespace stood for the host's: "/proc/1" (init), or "/proc/self" (this program,
    /// when init's cannot be read — e.g. inside a sandbox that hides PID 1).
    pub host_reference: String,
    pub shared: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ProcStatus {
    /// CapEff as the kernel prints it (hex).
    pub cap_eff: String,
    /// The capability names of CapEff.
    pub capabilities: Vec<String>,
    pub no_new_privs: bool,
    /// 0 disabled, 1 strict, 2 filter.
    pub seccomp: u8,
}

/// Capability names by bit number (linux/capability.h).
pub const CAPABILITIES: [&str; 41] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// Docker's default capability set.
pub const DEFAULT_CAPABILITIES: [&str; 14] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

pub fn capability_names(mask: u64) -> Vec<String> {
    (0..64)
        .filter(|b| mask & (1u64 << b) != 0)
        .map(|b| CAPABILITIES.get(b).map_or_else(|| format!("CAP_{b}"), |n| (*n).to_owned()))
        .collect()
}

/// Where the host's files are read: `/` normally, a fixture tree in tests, or a copy of another
/// host's files (`inspect::remote`).
#[derive(Debug, Clone)]
pub struct HostRoot {
    root: PathBuf,
    /// A copy of another host's files: how its paths are named in reasons (`ssh://box:`), the
    /// paths that exist there but could not be read, and every path asked for (so the copy can
    /// fetch what a first pass needed).
    copy: Option<std::sync::Arc<CopyOf>>,
}

#[derive(Debug, Default)]
pub(crate) struct CopyOf {
    pub(crate) named: String,
    pub(crate) denied: std::collections::BTreeSet<String>,
    pub(crate) asked: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl Default for HostRoot {
    fn default() -> Self {
        HostRoot { root: PathBuf::from("/"), copy: None }
    }
}

/// Why a host fact could not be read; it becomes the "unknown" reason the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Unreadable(String);

impl<T> From<Unreadable> for Probe<T> {
    fn from(u: Unreadable) -> Self {
        Probe::Unknown { reason: u.0 }
    }
}

fn probe<T>(r: Result<T, Unreadable>) -> Probe<T> {
    match r {
        Ok(value) => Probe::Known { value },
        Err(u) => u.into(),
    }
}

fn why(path: &Path, e: &std::io::Error) -> Unreadable {
    Unreadable(match e.kind() {
        IoKind::NotFound => format!("{} does not exist", path.display()),
        IoKind::PermissionDenied => {
            format!("{} cannot be read without root (permission denied)", path.display())
        }
        _ => format!("{}: {e}", path.display()),
    })
}

impl HostRoot {
    /// `/`, or $BULKHEAD_HOST_ROOT when set (Bulkhead in a container with the host's / mounted
    /// at, say, /host; or a fixture tree).
    pub fn from_env() -> HostRoot {
        match std::env::var_os("BULKHEAD_HOST_ROOT") {
            Some(p) if !p.is_empty() => HostRoot::new(p),
            _ => HostRoot::default(),
        }
    }

    pub fn new(root: impl Into<PathBuf>) -> HostRoot {
        HostRoot { root: root.into(), copy: None }
    }

    /// A copy of another host's files under `root` (see `CopyOf`).
    pub(crate) fn copy_of(root: impl Into<PathBuf>, copy: std::sync::Arc<CopyOf>) -> HostRoot {
        HostRoot { root: root.into(), copy: Some(copy) }
    }

    /// A path on the host, under the root.
    pub fn path(&self, p: &str) -> PathBuf {
        if let Some(c) = &self.copy {
            c.asked.lock().unwrap_or_else(|e| e.into_inner()).insert(p.to_owned());
        }
        self.root.join(p.trim_start_matches('/'))
    }

    /// Why `p` cannot be read, in the words of the host it is on.
    fn why(&self, p: &str, path: &Path, e: &std::io::Error) -> Unreadable {
        match &self.copy {
            None => why(path, e),
            Some(c) if c.denied.contains(p) => {
                Unreadable(format!("{}{p} cannot be read by the SSH user (permission denied)", c.named))
            }
            Some(c) => why(Path::new(&format!("{}{p}", c.named)), e),
        }
    }

    fn read(&self, p: &str) -> Result<String, Unreadable> {
        let path = self.path(p);
        std::fs::read_to_string(&path).map_err(|e| self.why(p, &path, &e))
    }

    fn link(&self, p: &str) -> Result<String, Unreadable> {
        let path = self.path(p);
        std::fs::read_link(&path).map(|t| t.to_string_lossy().into_owned()).map_err(|e| self.why(p, &path, &e))
    }

    /// Everything the kernel says about the container whose main process is `pid` on the
    /// engine's host. `local` is false when the engine is remote: nothing is read then.
    pub fn kernel_facts(&self, container_id: &str, pid: u32, local: bool) -> KernelFacts {
        self.kernel_facts_of(container_id, &[], pid, local)
    }

    /// The same, knowing the container's command line (`Path`, `Args`): a process whose cgroup
    /// does not name the container is still taken as its process when it runs that command in a
    /// user namespace of its own — a rootless engine on cgroup v1, which gives containers no
    /// cgroup (its limits are then unknown, with that reason).
    pub fn kernel_facts_of(&self, container_id: &str, command: &[String], pid: u32, local: bool) -> KernelFacts {
        if !local {
            return KernelFacts::unknown(
                "remote engine: it runs on another machine, whose kernel cannot be read from here",
            );
        }
        if pid == 0 {
            return KernelFacts::unknown("the container is not running: it has no process to read");
        }
        let cgroup_file = match self.read(&format!("/proc/{pid}/cgroup")) {
            Ok(t) => t,
            Err(Unreadable(reason)) => {
                return KernelFacts::unknown(&format!(
                    "{reason}: the engine's processes are not visible here (it runs in a VM or another PID namespace)"
                ))
            }
        };
        let paths = parse_proc_cgroup(&cgroup_file);
        let mentions = |s: &str| !container_id.is_empty() && s.contains(container_id);
        let named = paths.iter().any(|(_, p)| mentions(p)) || paths.iter().all(|(_, p)| p == "/");
        let rootless = !named && self.runs_rootless(pid, command);
        if !named && !rootless {
            return KernelFacts::unknown(&format!(
                "process {pid} here is not this container's (its cgroup does not name the container): the engine runs in a VM or another PID namespace"
            ));
        }
        let cgroup = if rootless {
            Probe::unknown(format!(
                "process {pid} has no cgroup of its own: a rootless engine on cgroup v1 cannot set limits (they are ignored)"
            ))
        } else {
            probe(self.cgroup(container_id, &paths))
        };
        KernelFacts {
            cgroup,
            namespaces: probe(self.namespaces(pid)),
            uid_map: probe(self.read(&format!("/proc/{pid}/uid_map")).map(|t| parse_uid_map(&t))),
            status: probe(self.read(&format!("/proc/{pid}/status")).and_then(|t| {
                parse_status(&t).ok_or_else(|| Unreadable(format!("/proc/{pid}/status has no CapEff line")))
            })),
            source: self.copy.as_ref().map(|c| c.named.trim_end_matches(':').to_owned()),
        }
    }

    /// `pid` runs `command` (its cmdline, word for word) in a user namespace that is not the
    /// host's: a rootless engine's container.
    fn runs_rootless(&self, pid: u32, command: &[String]) -> bool {
        if command.is_empty() {
            return false;
        }
        let Ok(cmdline) = std::fs::read(self.path(&format!("/proc/{pid}/cmdline"))) else { return false };
        let words: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|w| !w.is_empty())
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        let reference = if self.link("/proc/1/ns/user").is_ok() { "/proc/1" } else { "/proc/self" };
        let own_userns = match (self.link(&format!("/proc/{pid}/ns/user")), self.link(&format!("{reference}/ns/user")))
        {
            (Ok(c), Ok(h)) => c != h,
            _ => false,
        };
        own_userns && words == command
    }

    fn cgroup(&self, container_id: &str, paths: &[(String, String)]) -> Result<CgroupFacts, Unreadable> {
        let unified = self.path("/sys/fs/cgroup/cgroup.controllers").exists();
        let of = |controller: &str| -> Option<String> {
            paths
                .iter()
                .find(
                    |(ctl, _)| {
                        if controller.is_empty() {
                            ctl.is_empty()
                        } else {
                            ctl.split(',').any(|c| c == controller)
                        }
                    },
                )
                .map(|(_, p)| p.clone())
        };
        // Inside a private cgroup namespace the path reads "/": fall back to where each driver
        // puts a container.
        let guess = |dir: &str, file: &str| -> Option<String> {
            let candidates = [format!("/docker/{container_id}"), format!("/system.slice/docker-{container_id}.scope")];
            candidates.into_iter().find(|c| self.path(&format!("{dir}{c}/{file}")).exists())
        };
        let num = |p: &str| -> Result<Option<u64>, Unreadable> {
            let t = self.read(p)?;
            let t = t.trim();
            if t == "max" {
                return Ok(None);
            }
            let n: u64 = t.parse().map_err(|_| Unreadable(format!("{p}: unexpected content {t:?}")))?;
            // cgroup v1 says "no limit" with a huge page-aligned number.
            Ok(if n >= (1u64 << 62) { None } else { Some(n) })
        };
        let opt = |p: &str| num(p).ok().flatten();
        if unified {
            let path = of("")
                .filter(|p| p != "/")
                .or_else(|| guess("/sys/fs/cgroup", "pids.max"))
                .ok_or_else(|| Unreadable("the container's cgroup was not found under /sys/fs/cgroup".into()))?;
            let dir = format!("/sys/fs/cgroup{path}");
            let pids_file = format!("{dir}/pids.max");
            let (quota, period) = match self.read(&format!("{dir}/cpu.max")) {
                Ok(t) => {
                    let mut w = t.split_whitespace();
                    let q = w.next().and_then(|q| q.parse::<u64>().ok());
                    (q, w.next().and_then(|p| p.parse::<u64>().ok()))
                }
                Err(_) => (None, None),
            };
            Ok(CgroupFacts {
                version: 2,
                driver: driver_of(&path),
                pids_max: num(&pids_file)?,
                pids_current: opt(&format!("{dir}/pids.current")),
                pids_file,
                memory_max: opt(&format!("{dir}/memory.max")),
                memory_current: opt(&format!("{dir}/memory.current")),
                cpu_quota_us: quota,
                cpu_period_us: period,
                path,
            })
        } else {
            let pids_path =
                of("pids").filter(|p| p != "/").or_else(|| guess("/sys/fs/cgroup/pids", "pids.max")).ok_or_else(
                    || Unreadable("the container's pids cgroup was not found under /sys/fs/cgroup/pids".into()),
                )?;
            let pids_dir = format!("/sys/fs/cgroup/pids{pids_path}");
            let pids_file = format!("{pids_dir}/pids.max");
            let mem = of("memory").filter(|p| p != "/").unwrap_or_else(|| pids_path.clone());
            let cpu = of("cpu").filter(|p| p != "/").unwrap_or_else(|| pids_path.clone());
            let cpu_dir = ["/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu"]
                .into_iter()
                .map(|d| format!("{d}{cpu}"))
                .find(|d| self.path(d).exists())
                .unwrap_or_else(|| format!("/sys/fs/cgroup/cpu{cpu}"));
            let quota = self
                .read(&format!("{cpu_dir}/cpu.cfs_quota_us"))
                .ok()
                .and_then(|t| t.trim().parse::<i64>().ok())
                .and_then(|q| u64::try_from(q).ok());
            Ok(CgroupFacts {
                version: 1,
                driver: driver_of(&pids_path),
                pids_max: num(&pids_file)?,
                pids_current: opt(&format!("{pids_dir}/pids.current")),
                pids_file,
                memory_max: opt(&format!("/sys/fs/cgroup/memory{mem}/memory.limit_in_bytes")),
                memory_current: opt(&format!("/sys/fs/cgroup/memory{mem}/memory.usage_in_bytes")),
                cpu_quota_us: quota,
                cpu_period_us: opt(&format!("{cpu_dir}/cpu.cfs_period_us")),
                path: pids_path,
            })
        }
    }

    fn namespaces(&self, pid: u32) -> Result<Vec<NamespaceFact>, Unreadable> {
        let mut out = Vec::new();
        let reference = if self.link("/proc/1/ns/pid").is_ok() { "/proc/1" } else { "/proc/self" };
        for kind in NAMESPACES {
            let container = self.link(&format!("/proc/{pid}/ns/{kind}"));
            let host = self.link(&format!("{reference}/ns/{kind}"));
            match (container, host) {
                (Ok(c), Ok(h)) => out.push(NamespaceFact {
                    kind: kind.into(),
                    shared: c == h,
                    container: c,
                    host: h,
                    host_reference: reference.into(),
                }),
                // A kernel without cgroup namespaces (before 4.6): skip that one only.
                (Err(_), _)
                    if kind == "cgroup"
                        && std::fs::symlink_metadata(self.path(&format!("/proc/{pid}/ns/cgroup"))).is_err() => {}
                (Err(e), _) | (_, Err(e)) => return Err(e),
            }
        }
        Ok(out)
    }
}

fn driver_of(path: &str) -> String {
    if path.ends_with(".scope") || path.contains(".slice") {
        "systemd".into()
    } else {
        "cgroupfs".into()
    }
}

/// `/proc/<pid>/cgroup`: (controllers, path) per line; v2's line has no controllers.
pub fn parse_proc_cgroup(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ':');
            let _id = parts.next()?;
            let ctl = parts.next()?;
            let path = parts.next()?;
            Some((ctl.trim_start_matches("name=").to_owned(), path.to_owned()))
        })
        .collect()
}

pub fn parse_uid_map(text: &str) -> Vec<[u32; 3]> {
    text.lines()
        .filter_map(|l| {
            let n: Vec<u32> = l.split_whitespace().filter_map(|w| w.parse().ok()).collect();
            (n.len() == 3).then(|| [n[0], n[1], n[2]])
        })
        .collect()
}

pub fn parse_status(text: &str) -> Option<ProcStatus> {
    let field = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).map(str::trim);
    let cap_eff = field("CapEff:")?.to_owned();
    let mask = u64::from_str_radix(&cap_eff, 16).ok()?;
    Some(ProcStatus {
        capabilities: capability_names(mask),
        cap_eff,
        no_new_privs: field("NoNewPrivs:") == Some("1"),
        seccomp: field("Seccomp:").and_then(|s| s.parse().ok()).unwrap_or(0),
    })
}
