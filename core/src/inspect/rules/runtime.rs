//! Container runtime rules (CIS Docker Benchmark section 5), and where the kernel disagrees
//! with what the engine says.

use super::{when, ContainerCheck, QuickFix, Rule, Scope, Severity};
use crate::inspect::facts::ContainerFacts;
use crate::inspect::host::DEFAULT_CAPABILITIES;

/// The capabilities called out by name: each is close to root on the host.
pub const DANGEROUS_CAPABILITIES: [&str; 6] =
    ["ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "DAC_READ_SEARCH", "NET_ADMIN"];

/// Host paths that must not be mounted into a container.
pub const SENSITIVE_PATHS: [&str; 8] = ["/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr"];

/// Sockets of container engine APIs (Docker, Podman, containerd, CRI-O).
pub const API_SOCKETS: [&str; 8] = [
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/podman/podman.sock",
    "/run/podman/podman.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
];

/// Default one-click limits.
pub const FIX_PIDS: i64 = 512;
pub const FIX_MEMORY: i64 = 512 * 1024 * 1024;
pub const FIX_NANO_CPUS: i64 = 1_000_000_000;

pub static RULES: &[(Rule, ContainerCheck)] = &[
    (
        Rule::new(
            Scope::Container,
            "container.privileged",
            Severity::Critical,
            "Runs privileged",
            "--privileged gives the container every capability, every host device and no seccomp or AppArmor confinement: root inside is root on the host, with one mount away from the host's disks.",
            "Remove --privileged; add only the capabilities the program needs with --cap-add.",
            Some("5.5"),
            Some("RULE #3"),
        ),
        |c, _| when(c.privileged, || vec!["HostConfig.Privileged = true".into()]),
    ),
    (
        Rule::new(
            Scope::Container,
            "container.api-socket",
            Severity::Critical,
            "A container engine's API socket is reachable inside",
            "Whoever can talk to the Docker (or Podman) API can start a privileged container that mounts the host's disk: a socket inside the container is root on the host.",
            "Remove the mount (-v /var/run/docker.sock:…, or the parent directory such as /var/run or /run). If the program must manage containers, put a filtering proxy in front of the API.",
            Some("5.32"),
            Some("RULE #1"),
        ),
        |c, _| {
            let ev: Vec<String> = c
                .mounts
                .iter()
                .filter(|m| m.kind == "bind" && exposes_api_socket(&m.source))
                .map(|m| format!("{} is mounted at {} ({})", m.source, m.destination, if m.writable { "rw" } else { "ro" }))
                .collect();
            when(!ev.is_empty(), || ev)
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.host-network",
            Severity::Critical,
            "Shares the host's network namespace",
            "With --network host the container sees and can bind every host interface, reach services listening on the host's loopback (including a TCP engine API) and sniff traffic with NET_RAW.",
            "Remove --network host; publish the ports it needs with -p 127.0.0.1:PORT:PORT.",
            Some("5.10"),
            Some("RULE #5"),
        ),
        |c, ctx| {
            let kernel = ctx.kernel.and_then(|k| k.shares("net"));
            when(c.network_mode == "host" || kernel == Some(true), || ns_evidence("net", "NetworkMode", &c.network_mode, kernel))
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.host-pid",
            Severity::Critical,
            "Shares the host's process namespace",
            "With --pid host the container sees every process of the host, can signal them, and with ptrace read their memory: secrets of every other program are one step away.",
            "Remove --pid host.",
            Some("5.16"),
            Some("RULE #3"),
        ),
        |c, ctx| {
            let kernel = ctx.kernel.and_then(|k| k.shares("pid"));
            when(c.pid_mode == "host" || kernel == Some(true), || ns_evidence("pid", "PidMode", &c.pid_mode, kernel))
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.dangerous-capabilities",
            Severity::High,
            "Has capabilities that amount to root on the host",
            "SYS_ADMIN mounts filesystems, SYS_MODULE loads kernel modules, SYS_PTRACE reads other processes, DAC_READ_SEARCH reads any file by handle (the 'shocker' escape), NET_ADMIN rewrites the network: each is a known container escape or close to one.",
            "Remove the --cap-add for these; if one is truly needed, grant it alone with --cap-drop ALL --cap-add <CAP>.",
            Some("5.4"),
            Some("RULE #3"),
        ),
        |c, _| {
            let bad: Vec<String> = c
                .cap_add
                .iter()
                .filter(|cap| DANGEROUS_CAPABILITIES.contains(&cap.as_str()))
                .map(|cap| format!("--cap-add {cap}"))
                .collect();
            when(!bad.is_empty(), || bad)
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.added-capabilities",
            Severity::Low,
            "Has capabilities beyond Docker's default set",
            "Each capability added is a power of root the process keeps; Docker's default set is already broader than most programs need.",
            "Remove the --cap-add flags the program does not need; better, start from --cap-drop ALL and add back only what it uses.",
            Some("5.4"),
            Some("RULE #3"),
        ),
        |c, _| {
            let extra: Vec<String> = c
                .cap_add
                .iter()
                .filter(|cap| !DANGEROUS_CAPABILITIES.contains(&cap.as_str()) && !DEFAULT_CAPABILITIES.contains(&cap.as_str()))
                .map(|cap| format!("--cap-add {cap}"))
                .collect();
            when(!extra.is_empty(), || extra)
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.sensitive-mount",
            Severity::High,
            "Mounts a sensitive host directory read-only",
            "Host system directories (/, /boot, /dev, /etc, /lib, /proc, /sys, /usr) let the container read secrets such as /etc/shadow and the host's whole configuration.",
            "Remove the mount, or mount only the file the program needs, read-only (-v /host/file:/path:ro).",
            Some("5.6"),
            Some("RULE #8"),
        ),
        |c, _| {
            let ev: Vec<String> = c
                .mounts
                .iter()
                .filter(|m| m.kind == "bind" && !m.writable && is_sensitive(&m.source))
                .map(|m| {
                    format!(
                        "{} is mounted at {}, {}",
                        m.source,
                        m.destination,
                        if m.writable { "writable" } else { "read-only" }
                    )
                })
                .collect();
            when(!ev.is_empty(), || ev)
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.sensitive-mount-writable",
            Severity::Critical,
            "Mounts a sensitive host directory writable",
            "A writable /, /boot, /etc, /lib, /usr (or /dev, /proc, /sys) lets the container replace the host's programs, libraries, users or boot files: root in the container becomes root on the host at the next login, cron run or boot.",
            "Remove the mount; if the program must read a host file, mount only that file read-only (-v /host/file:/path:ro).",
            Some("5.6"),
            Some("RULE #8"),
        ),
        |c, _| {
            let ev: Vec<String> = c
                .mounts
                .iter()
                .filter(|m| m.kind == "bind" && m.writable && is_sensitive(&m.source))
                .map(|m| format!("{} is mounted writable at {}", m.source, m.destination))
                .collect();
            when(!ev.is_empty(), || ev)
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.default-bridge",
            Severity::Low,
            "Runs on the default bridge network",
            "Every container on Docker's default bridge can reach every other one on any port, without names to tell them apart; user-defined networks keep groups of containers apart and give them DNS names.",
            "Create a network for the application (docker network create app) and run it there (--network app).",
            Some("5.30"),
            Some("RULE #5"),
        ),
        |c, _| {
            when(matches!(c.network_mode.as_str(), "default" | "bridge"), || {
                vec![format!("HostConfig.NetworkMode = {}", c.network_mode)]
            })
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.privileged-port",
            Severity::Low,
            "Publishes a privileged host port (below 1024)",
            "Ports below 1024 are where the host's own services (ssh, http, dns) live; a container taking one can impersonate them.",
            "Publish on a port above 1023: -p 8080:80.",
            Some("5.8"),
            None,
        ),
        |c, _| {
            let ev: Vec<String> = c
                .ports
                .iter()
                .filter(|p| p.host_port > 0 && p.host_port < 1024)
                .map(|p| format!("host port {} → {}/{}", p.host_port, p.container_port, p.protocol))
                .collect();
            when(!ev.is_empty(), || ev)
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.ports-all-interfaces",
            Severity::Medium,
            "Publishes ports on every network interface",
            "-p PORT:PORT listens on 0.0.0.0 and ::, so anyone on the same network (the café's Wi-Fi) can reach the service, and Docker's rules bypass the host's firewall.",
            "Bind to one interface: -p 127.0.0.1:PORT:PORT.",
            Some("5.14"),
            Some("RULE #5"),
        ),
        |c, _| {
            let ev: Vec<String> = c
                .ports
                .iter()
                // Every fact is a binding (exposed-only ports are not facts); port 0 is one the
                // engine picks at start (`-p 80`, a created container), on every interface all the same.
                .filter(|p| matches!(p.host_ip.as_str(), "" | "0.0.0.0" | "::"))
                .map(|p| {
                    let ip = if p.host_ip.is_empty() { "0.0.0.0" } else { &p.host_ip };
                    let port = if p.host_port == 0 { "(a port the engine picks)".to_owned() } else { p.host_port.to_string() };
                    format!("{ip}:{port} → {}/{}", p.container_port, p.protocol)
                })
                .collect();
            when(!ev.is_empty(), || ev)
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.host-ipc",
            Severity::High,
            "Shares the host's IPC namespace",
            "With --ipc host the container reads and writes the host's shared memory segments and message queues.",
            "Remove --ipc host (use --ipc shareable between the containers that need it).",
            Some("5.17"),
            None,
        ),
        |c, ctx| {
            let kernel = ctx.kernel.and_then(|k| k.shares("ipc"));
            when(c.ipc_mode == "host" || kernel == Some(true), || ns_evidence("ipc", "IpcMode", &c.ipc_mode, kernel))
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.host-uts",
            Severity::Low,
            "Shares the host's UTS namespace",
            "With --uts host the container can change the host's hostname.",
            "Remove --uts host.",
            Some("5.21"),
            None,
        ),
        |c, ctx| {
            let kernel = ctx.kernel.and_then(|k| k.shares("uts"));
            when(c.uts_mode == "host" || kernel == Some(true), || ns_evidence("uts", "UTSMode", &c.uts_mode, kernel))
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.host-userns",
            Severity::Medium,
            "Opts out of user-namespace remapping",
            "The engine remaps users, but --userns host turns it off for this container: its root is the host's root.",
            "Remove --userns host.",
            Some("5.31"),
            Some("RULE #11"),
        ),
        |c, ctx| {
            let remap = ctx.engine.is_some_and(|e| e.userns_remap);
            when(c.userns_mode == "host" && remap, || vec!["HostConfig.UsernsMode = host".into()])
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.no-memory-limit",
            Severity::Medium,
            "No memory limit",
            "Without a limit one container can take all the host's memory; the kernel then kills processes, the host's included.",
            "Set a limit: --memory 512m (on a running container: docker update --memory 512m --memory-swap 1g).",
            Some("5.11"),
            Some("RULE #7"),
        ),
        |c, ctx| {
            let kernel = ctx.kernel.and_then(|k| k.cgroup.known()).map(|g| g.memory_max);
            when(c.memory == 0 && kernel.flatten().is_none(), || {
                let mut ev = vec!["HostConfig.Memory = 0".into()];
                if let Some(None) = kernel {
                    ev.push("kernel: memory limit = max".into());
                }
                ev
            })
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.no-cpu-limit",
            Severity::Low,
            "No CPU limit",
            "Without a limit a busy container can starve the host and every other container of CPU time.",
            "Set a limit: --cpus 1 (or a relative weight with --cpu-shares).",
            Some("5.12"),
            Some("RULE #7"),
        ),
        |c, _| {
            when(c.nano_cpus == 0 && c.cpu_quota <= 0 && c.cpu_shares == 0, || {
                vec!["HostConfig.NanoCpus = 0, CpuQuota = 0, CpuShares = 0".into()]
            })
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.no-pids-limit",
            Severity::Medium,
            "No limit on the number of processes",
            "pids.max = max: a fork bomb (or a leak) inside the container can create processes until the host itself cannot start one.",
            "Set a limit: --pids-limit 512 (on a running container: docker update --pids-limit 512).",
            Some("5.29"),
            Some("RULE #7"),
        ),
        |c, ctx| {
            let kernel = ctx.kernel.and_then(|k| k.cgroup.known());
            let kernel_unlimited = kernel.map(|g| g.pids_max.is_none());
            when(c.pids_unlimited() && kernel_unlimited != Some(false), || {
                let mut ev = vec![format!("HostConfig.PidsLimit = {}", if c.pids_limit == 0 { "unset".into() } else { c.pids_limit.to_string() })];
                if let Some(g) = kernel {
                    ev.push(format!("kernel: {} = max", g.pids_file));
                }
                ev
            })
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.writable-rootfs",
            Severity::Low,
            "The root filesystem is writable",
            "An intruder can change the container's programs and hide tools in it; a read-only root makes the container's state explicit (volumes and tmpfs only).",
            "Run with --read-only, and --tmpfs /tmp (plus volumes) for what must be written.",
            Some("5.13"),
            Some("RULE #8"),
        ),
        |c, _| when(!c.readonly_rootfs, || vec!["HostConfig.ReadonlyRootfs = false".into()]),
    ),
    (
        Rule::new(
            Scope::Container,
            "container.restart-unbounded",
            Severity::Low,
            "Restarts on failure without a cap",
            "A container that keeps crashing is restarted forever, hiding the failure and burning the host's resources (and retrying an exploit).",
            "Use --restart on-failure:5.",
            Some("5.15"),
            Some("RULE #7"),
        ),
        |c, _| {
            when(
                c.restart_policy == "always"
                    || c.restart_policy == "unless-stopped"
                    || (c.restart_policy == "on-failure" && c.restart_max_retries <= 0),
                || vec![format!("RestartPolicy = {} (maximum retries {})", c.restart_policy, c.restart_max_retries)],
            )
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.host-devices",
            Severity::Medium,
            "Has host devices",
            "A host device inside (a disk, /dev/mem, a GPU) lets the container read or write the hardware under the host, bypassing its filesystem permissions.",
            "Remove the --device flags the program does not need; give read-only access (:r) where it only reads.",
            Some("5.18"),
            None,
        ),
        |c, _| when(!c.devices.is_empty(), || c.devices.iter().map(|d| format!("--device {d}")).collect()),
    ),
    (
        Rule::new(
            Scope::Container,
            "container.shared-propagation",
            Severity::Medium,
            "A mount propagates to the host (shared)",
            "With shared propagation, mounts made inside the container appear on the host too.",
            "Use the default private propagation: drop :shared / :rshared from the mount.",
            Some("5.20"),
            None,
        ),
        |c, _| {
            let ev: Vec<String> = c
                .mounts
                .iter()
                .filter(|m| m.propagation == "shared" || m.propagation == "rshared")
                .map(|m| format!("{} at {}: propagation {}", m.source, m.destination, m.propagation))
                .collect();
            when(!ev.is_empty(), || ev)
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.seccomp-unconfined",
            Severity::High,
            "Seccomp is off",
            "Docker's seccomp profile blocks about 44 system calls used in kernel exploits (keyctl, unshare, mount, …); without it every kernel bug is reachable.",
            "Remove --security-opt seccomp=unconfined (or give a custom profile).",
            Some("5.22"),
            Some("RULE #6"),
        ),
        |c, ctx| {
            let kernel = ctx.kernel.and_then(|k| k.status.known()).map(|s| s.seccomp);
            let config = c.seccomp_profile().is_some_and(|p| p == "unconfined");
            when(config || (kernel == Some(0) && !c.privileged), || {
                let mut ev = Vec::new();
                if config {
                    ev.push("--security-opt seccomp=unconfined".into());
                }
                if kernel == Some(0) {
                    ev.push("kernel: Seccomp: 0 (no filter) for the main process".into());
                }
                ev
            })
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.apparmor-unconfined",
            Severity::Medium,
            "AppArmor is off",
            "The host enforces AppArmor, but this container opted out: its processes are not confined by the docker-default profile.",
            "Remove --security-opt apparmor=unconfined.",
            Some("5.2"),
            Some("RULE #6"),
        ),
        |c, ctx| {
            let enabled = ctx.engine.is_some_and(|e| e.apparmor);
            let off = c.apparmor_option().is_some_and(|p| p == "unconfined") || c.apparmor_profile == "unconfined";
            when(enabled && off && !c.privileged, || vec![format!("AppArmorProfile = {}", if c.apparmor_profile.is_empty() { "unconfined" } else { &c.apparmor_profile })])
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.no-new-privileges-off",
            Severity::Low,
            "Can gain privileges (no-new-privileges is not set)",
            "Without no-new-privileges, a setuid program inside (su, sudo, a planted binary) can raise a process back to root.",
            "Run with --security-opt no-new-privileges.",
            Some("5.26"),
            Some("RULE #4"),
        ),
        |c, ctx| {
            let kernel = ctx.kernel.and_then(|k| k.status.known()).map(|s| s.no_new_privs);
            when(!c.no_new_privileges() && kernel != Some(true), || {
                let mut ev = vec!["SecurityOpt has no no-new-privileges".into()];
                if kernel == Some(false) {
                    ev.push("kernel: NoNewPrivs: 0".into());
                }
                ev
            })
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.no-healthcheck",
            Severity::Low,
            "No healthcheck",
            "Without a healthcheck the engine reports a hung or broken service as running.",
            "Add HEALTHCHECK to the image, or --health-cmd to the run command.",
            Some("5.27"),
            None,
        ),
        |c, _| when(!c.healthcheck, || vec!["Config.Healthcheck is not set".into()]),
    ),
    (
        Rule::new(
            Scope::Container,
            "container.root-user",
            Severity::Medium,
            "Runs as root, and root inside is root on the host",
            "The process runs as uid 0 and no user namespace remaps it: a breakout (or a writable host mount) gives the host's root.",
            "Run as a user: --user 1000:1000 (or USER in the image), or enable user-namespace remapping in the engine (userns-remap).",
            Some("4.1"),
            Some("RULE #2"),
        ),
        |c, ctx| {
            let mapped = ctx.kernel.and_then(|k| k.root_is_host_root());
            let remapped = ctx.engine.is_some_and(|e| e.userns_remap || e.rootless) && c.userns_mode != "host";
            let root_outside = mapped.unwrap_or(!remapped);
            when(c.runs_as_root() && root_outside, || {
                let mut ev = vec![format!("Config.User = {}", if c.user.is_empty() { "(unset: root)" } else { &c.user })];
                if mapped == Some(true) {
                    ev.push("kernel: uid_map maps 0 inside to 0 outside".into());
                }
                ev
            })
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.docker-host-env",
            Severity::Medium,
            "Points at a container engine's API (DOCKER_HOST)",
            "DOCKER_HOST in the environment means the program talks to an engine's API: if it reaches one, it can run anything on that engine's host.",
            "Remove DOCKER_HOST unless the container is meant to manage containers; then put a filtering proxy in front of the API.",
            None,
            Some("RULE #1"),
        ),
        |c, _| c.docker_host_env.as_ref().map(|v| vec![format!("DOCKER_HOST={v}")]),
    ),
    (
        Rule::new(
            Scope::Container,
            "container.system-files-changed",
            Severity::Medium,
            "Changed its system files at run time",
            "The container wrote under /etc or into its programs' folders after it started: it no longer runs what its image holds. An attacker's persistence and an unreviewed hot-fix look the same, and both are lost or kept by accident when it is recreated.",
            "See what changed (the Files tab, What changed). Put wanted changes into the image and rebuild; run with --read-only and a volume or --tmpfs for what must be written.",
            None,
            Some("RULE #8"),
        ),
        |c, _| {
            let n = c.system_changes.len();
            when(n > 0, || {
                let mut ev: Vec<String> = c.system_changes.iter().take(8).cloned().collect();
                if n > 8 {
                    ev.push(format!("… and {} more", n - 8));
                }
                ev
            })
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.kernel-disagrees",
            Severity::High,
            "The kernel disagrees with the engine",
            "What docker inspect says is not what the kernel enforces: the limit or the isolation you think you have is not there (or the engine's view is stale).",
            "Recreate the container; if it persists, check the engine's cgroup driver and the host's cgroup setup.",
            Some("5.25"),
            None,
        ),
        |c, ctx| {
            let k = ctx.kernel?;
            let mut ev = Vec::new();
            if let Some(g) = k.cgroup.known() {
                match (c.pids_limit > 0, g.pids_max) {
                    (true, None) => ev.push(format!("inspect: PidsLimit = {}; kernel: {} = max", c.pids_limit, g.pids_file)),
                    (true, Some(n)) if i64::try_from(n).ok() != Some(c.pids_limit) => {
                        ev.push(format!("inspect: PidsLimit = {}; kernel: {} = {n}", c.pids_limit, g.pids_file))
                    }
                    _ => {}
                }
                if c.memory > 0 && g.memory_max.is_none() {
                    ev.push(format!("inspect: Memory = {}; kernel: no memory limit", c.memory));
                }
            }
            for (kind, mode) in [("net", &c.network_mode), ("pid", &c.pid_mode), ("ipc", &c.ipc_mode), ("uts", &c.uts_mode)] {
                let private = mode.is_empty() || !(mode == "host" || mode.starts_with("container:"));
                if private && k.shares(kind) == Some(true) {
                    ev.push(format!("inspect: {kind} namespace private; kernel: shared with the host"));
                }
                if mode == "host" && k.shares(kind) == Some(false) {
                    ev.push(format!("inspect: {kind} namespace host; kernel: not the host's"));
                }
            }
            if let Some(s) = k.status.known() {
                if c.no_new_privileges() && !s.no_new_privs {
                    ev.push("inspect: no-new-privileges; kernel: NoNewPrivs: 0".into());
                }
                if !c.privileged {
                    let allowed: Vec<&str> = if c.cap_drop.iter().any(|d| d == "ALL") {
                        Vec::new()
                    } else {
                        DEFAULT_CAPABILITIES.iter().copied().filter(|d| !c.cap_drop.iter().any(|x| x == d)).collect()
                    };
                    let extra: Vec<&String> = s
                        .capabilities
                        .iter()
                        .filter(|cap| !allowed.contains(&cap.as_str()) && !c.cap_add.iter().any(|a| a == *cap || a == "ALL"))
                        .collect();
                    // A non-root main process has an empty CapEff: nothing to compare then.
                    if !extra.is_empty() {
                        ev.push(format!(
                            "kernel: CapEff has {} beyond what the configuration grants",
                            extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                        ));
                    }
                }
            }
            when(!ev.is_empty(), || ev)
        },
    ),
];

fn ns_evidence(kind: &str, field: &str, mode: &str, kernel: Option<bool>) -> Vec<String> {
    let mut ev = vec![format!("HostConfig.{field} = {}", if mode.is_empty() { "(default)" } else { mode })];
    match kernel {
        Some(true) => ev.push(format!("kernel: the process's {kind} namespace is the host's")),
        Some(false) => ev.push(format!("kernel: the process's {kind} namespace is its own")),
        None => {}
    }
    ev
}

fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

pub fn is_sensitive(source: &str) -> bool {
    let s = normalise(source);
    SENSITIVE_PATHS.iter().any(|p| s == *p || (*p != "/" && s.starts_with(&format!("{p}/"))))
}

/// The host path gives access to an API socket: the socket itself, or a directory above one
/// (/var/run, /run, /var, /).
pub fn exposes_api_socket(source: &str) -> bool {
    let s = normalise(source);
    if s.ends_with(".sock")
        && (s.contains("docker") || s.contains("podman") || s.contains("containerd") || s.contains("crio"))
    {
        return true;
    }
    // Rootless engines: /run/user/<uid>/docker.sock.
    if s == "/run/user" || (s.starts_with("/run/user/") && s.matches('/').count() == 3) {
        return true;
    }
    API_SOCKETS.iter().any(|sock| {
        let sock = sock.trim_end_matches('/');
        s == sock || sock.starts_with(&format!("{}/", s.trim_end_matches('/'))) || s == "/"
    })
}

/// The one-click fix for a finding, where `docker update` can apply it to the container as it is.
pub fn quick_fix(rule_id: &str, c: &ContainerFacts) -> Option<QuickFix> {
    match rule_id {
        "container.no-pids-limit" => Some(QuickFix::PidsLimit { limit: FIX_PIDS }),
        "container.no-memory-limit" => Some(QuickFix::Memory { bytes: FIX_MEMORY }),
        "container.no-cpu-limit" => Some(QuickFix::Cpus { nano_cpus: FIX_NANO_CPUS }),
        _ => {
            let _ = c;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_directly_or_through_a_parent() {
        for yes in [
            "/var/run/docker.sock",
            "/run/docker.sock",
            "/var/run",
            "/run",
            "/var/run/",
            "/",
            "/var",
            "/run/podman/podman.sock",
            "/home/u/.docker/run/docker.sock",
            "/var/run/../run",
            "/run/user/1000",
        ] {
            assert!(exposes_api_socket(yes), "{yes}");
        }
        for no in ["/srv/data", "/var/lib/app", "/tmp/x.sock", "/home/u"] {
            assert!(!exposes_api_socket(no), "{no}");
        }
    }

    #[test]
    fn sensitive_paths() {
        for yes in ["/", "/etc", "/etc/ssl", "/proc", "/usr/lib", "/dev/sda", "/boot/"] {
            assert!(is_sensitive(yes), "{yes}");
        }
        for no in ["/srv", "/etcetera", "/home/u", "/var/lib/x", "/tmp"] {
            assert!(!is_sensitive(no), "{no}");
        }
    }
}
