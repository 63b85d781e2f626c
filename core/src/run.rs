//! The Run form: what the user asked for (`RunRequest`, plain strings as typed), its validation
//! into per-field errors and warnings, the equivalent `docker run …` line, the reverse (a pasted
//! `docker run …` line filling the form), and the create-and-start that leaves nothing behind
//! when it fails.

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::refs::{ContainerName, ImageRef};
use crate::shell;
use bollard::models::{
    ContainerCreateBody, HostConfig, Mount, MountType, PortBinding, RestartPolicy as BRestart, RestartPolicyNameEnum,
};
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions, StartContainerOptions};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// One published port as typed in the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct PortRequest {
    /// The host address to bind: 127.0.0.1 (this machine only, the default), 0.0.0.0 or :: (all interfaces).
    pub host_ip: String,
    /// Empty: the engine picks a free port.
    pub host_port: String,
    pub container_port: String,
    /// tcp, udp or sctp.
    pub protocol: String,
}

impl Default for PortRequest {
    fn default() -> Self {
        PortRequest {
            host_ip: "127.0.0.1".into(),
            host_port: String::new(),
            container_port: String::new(),
            protocol: "tcp".into(),
        }
    }
}

/// A volume or bind mount as typed in the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct MountRequest {
    /// An absolute host path (a bind mount), a volume name, or empty (a new anonymous volume).
    pub source: String,
    /// The absolute path inside the container.
    pub target: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum RestartPolicy {
    #[default]
    No,
    Always,
    UnlessStopped,
    OnFailure,
}

/// Everything the Run form holds, as the user typed it. Validation turns it into a create call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct RunRequest {
    pub image: String,
    /// Empty: the engine picks a name.
    pub name: String,
    pub ports: Vec<PortRequest>,
    /// `-P`: publish every port the image exposes, on random host ports.
    pub publish_all: bool,
    /// Empty: unlimited (a warning). A positive number otherwise.
    pub pids_limit: String,
    /// e.g. 512m, 1g; empty: unlimited.
    pub memory: String,
    /// e.g. 0.5, 2; empty: unlimited.
    pub cpus: String,
    /// `-i`: keep standard input open.
    pub interactive: bool,
    /// `-t`: give the container a terminal.
    pub tty: bool,
    /// `-d`: run in the background.
    pub detach: bool,
    /// Overrides the image's CMD; split like a shell would.
    pub command: String,
    /// Overrides the image's ENTRYPOINT; split like a shell would.
    pub entrypoint: String,
    /// KEY=VALUE each.
    pub env: Vec<String>,
    pub mounts: Vec<MountRequest>,
    pub workdir: String,
    pub user: String,
    pub restart: RestartPolicy,
    /// With on-failure: how many retries (empty: unlimited).
    pub restart_retries: String,
    /// `--read-only`: the root filesystem cannot be written.
    pub read_only: bool,
    /// Capabilities to drop, e.g. ALL, NET_RAW.
    pub cap_drop: Vec<String>,
    /// `--security-opt no-new-privileges`.
    pub no_new_privileges: bool,
    /// KEY=VALUE each.
    pub labels: Vec<String>,
}

impl Default for RunRequest {
    fn default() -> Self {
        RunRequest {
            image: String::new(),
            name: String::new(),
            ports: Vec::new(),
            publish_all: false,
            pids_limit: String::new(),
            memory: String::new(),
            cpus: String::new(),
            interactive: false,
            tty: false,
            detach: true,
            command: String::new(),
            entrypoint: String::new(),
            env: Vec::new(),
            mounts: Vec::new(),
            workdir: String::new(),
            user: String::new(),
            restart: RestartPolicy::No,
            restart_retries: String::new(),
            read_only: false,
            cap_drop: Vec::new(),
            no_new_privileges: false,
            labels: Vec::new(),
        }
    }
}

/// A problem (or a warning) about one field. `field` is a path such as `name`, `ports.0.hostPort`, `env.2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct FieldIssue {
    pub field: String,
    pub message: String,
}

/// What the form shows as the user types: errors, warnings and the equivalent command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct RunCheck {
    pub errors: Vec<FieldIssue>,
    pub warnings: Vec<FieldIssue>,
    /// What the security review would say of a container run this way (before it exists),
    /// from the form alone: the image's own USER and HEALTHCHECK are not known here.
    pub findings: Vec<crate::inspect::rules::Finding>,
    pub security_score: u8,
    pub security_grade: String,
    /// `docker run …`, quoted for a POSIX shell.
    pub command: String,
}

/// A pasted `docker run …` line, read back into the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ParsedRun {
    pub request: RunRequest,
    /// Flags the form does not support; they were not applied.
    pub unsupported: Vec<String>,
}

/// A container that was created and started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct RunOutcome {
    pub id: String,
    pub name: String,
    /// The engine's own warnings at creation.
    pub warnings: Vec<String>,
}

/// What validation produces: the create call, ready to send.
pub struct RunPlan {
    pub name: Option<ContainerName>,
    pub image: ImageRef,
    pub body: ContainerCreateBody,
}

struct Issues(Vec<FieldIssue>);

impl Issues {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldIssue { field: field.into(), message: message.into() });
    }
}

pub fn parse_port(s: &str) -> Result<u16> {
    match s.trim().parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        _ => Err(Error::invalid(format!("{:?} is not a port: use a number from 1 to 65535", s.trim()))),
    }
}

fn parse_ip(s: &str) -> Result<IpAddr> {
    let t = s.trim().trim_start_matches('[').trim_end_matches(']');
    t.parse::<IpAddr>()
        .map_err(|_| Error::invalid(format!("{:?} is not an IP address (e.g. 127.0.0.1, 0.0.0.0 or ::)", s.trim())))
}

/// 512m, 1g, 100k, 1048576 → bytes.
pub fn parse_memory(s: &str) -> Result<i64> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (num, mul) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1i64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        Some('t') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let bad = || Error::invalid(format!("{:?} is not a memory size: use e.g. 512m or 2g", s.trim()));
    let n: f64 = num.parse().map_err(|_| bad())?;
    if !n.is_finite() || n <= 0.0 {
        return Err(bad());
    }
    let bytes = (n * mul as f64) as i64;
    if bytes < 6 << 20 {
        return Err(Error::invalid("the engine needs at least 6m of memory"));
    }
    Ok(bytes)
}

fn key_value(s: &str) -> Result<(&str, &str)> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && !k.chars().any(|c| c.is_whitespace() || c.is_control()) => Ok((k, v)),
        _ => Err(Error::invalid(format!("{:?} is not KEY=VALUE", s))),
    }
}

fn is_abs_path(s: &str) -> bool {
    s.starts_with('/') && !s.contains('\0')
}

fn valid_volume_name(s: &str) -> bool {
    s.len() >= 2
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn valid_user(s: &str) -> bool {
    let part = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    match s.split_once(':') {
        Some((u, g)) => part(u) && part(g),
        None => part(s),
    }
}

fn cap_name(s: &str) -> Option<String> {
    let t = s.trim().to_ascii_uppercase();
    let t = t.strip_prefix("CAP_").unwrap_or(&t).to_owned();
    (!t.is_empty() && t.chars().all(|c| c.is_ascii_uppercase() || c == '_')).then_some(t)
}

/// Validates the request. On success, the create call; otherwise every field error.
/// Warnings are returned either way.
pub fn plan(req: &RunRequest) -> (std::result::Result<RunPlan, Vec<FieldIssue>>, Vec<FieldIssue>) {
    let mut errors = Issues(Vec::new());
    let mut warnings = Issues(Vec::new());

    let image = if req.image.trim().is_empty() {
        errors.add("image", "Choose an image.");
        None
    } else {
        ImageRef::parse(req.image.trim()).map_err(|e| errors.add("image", e.message)).ok()
    };
    let name = if req.name.trim().is_empty() {
        None
    } else {
        ContainerName::parse(req.name.trim()).map_err(|e| errors.add("name", e.message)).ok()
    };

    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for (i, p) in req.ports.iter().enumerate() {
        let container =
            parse_port(&p.container_port).map_err(|e| errors.add(format!("ports.{i}.containerPort"), e.message)).ok();
        let host = if p.host_port.trim().is_empty() {
            Some(None)
        } else {
            parse_port(&p.host_port).map(Some).map_err(|e| errors.add(format!("ports.{i}.hostPort"), e.message)).ok()
        };
        let proto = p.protocol.trim().to_ascii_lowercase();
        let proto = if proto.is_empty() { "tcp".to_owned() } else { proto };
        if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
            errors.add(format!("ports.{i}.protocol"), "The protocol is tcp, udp or sctp.");
        }
        let ip = if p.host_ip.trim().is_empty() { Ok("127.0.0.1".parse().expect("ip")) } else { parse_ip(&p.host_ip) };
        let ip = ip.map_err(|e| errors.add(format!("ports.{i}.hostIp"), e.message)).ok();
        if let Some(ip) = ip {
            if ip.is_unspecified() {
                warnings.add(
                    format!("ports.{i}.hostIp"),
                    format!("{ip} means every network interface: other machines on your network can reach this port."),
                );
            }
        }
        if let (Some(c), Some(h), Some(ip)) = (container, host, ip) {
            let key = format!("{c}/{proto}");
            if !exposed.contains(&key) {
                exposed.push(key.clone());
            }
            bindings.entry(key).or_insert_with(|| Some(Vec::new())).get_or_insert_with(Vec::new).push(PortBinding {
                host_ip: Some(ip.to_string()),
                host_port: Some(h.map(|h| h.to_string()).unwrap_or_default()),
            });
        }
    }
    // The same host port and protocol twice on overlapping addresses cannot both bind.
    let mut seen: Vec<(String, u16, String)> = Vec::new();
    for (i, p) in req.ports.iter().enumerate() {
        if let (Ok(h), Ok(ip)) =
            (parse_port(&p.host_port), parse_ip(if p.host_ip.trim().is_empty() { "127.0.0.1" } else { &p.host_ip }))
        {
            let proto =
                if p.protocol.trim().is_empty() { "tcp".to_owned() } else { p.protocol.trim().to_ascii_lowercase() };
            let ip = ip.to_string();
            if seen
                .iter()
                .any(|(sip, sh, sp)| *sh == h && *sp == proto && (*sip == ip || ip == "0.0.0.0" || sip == "0.0.0.0"))
            {
                errors.add(format!("ports.{i}.hostPort"), format!("Host port {h}/{proto} is already published above."));
            }
            seen.push((ip, h, proto));
        }
    }

    let pids_limit = match req.pids_limit.trim() {
        "" => {
            warnings.add(
                "pidsLimit",
                "No pids limit: a fork bomb in this container can exhaust the host's process table. Set one (e.g. 100).",
            );
            None
        }
        t => match t.parse::<i64>() {
            Ok(n) if n >= 1 => Some(n),
            Ok(0) => {
                errors.add(
                    "pidsLimit",
                    "0 does not mean unlimited: leave the field empty for no limit, or use a positive number.",
                );
                None
            }
            _ => {
                errors.add("pidsLimit", "The pids limit is a positive whole number, e.g. 100.");
                None
            }
        },
    };
    let memory = match req.memory.trim() {
        "" => None,
        m => parse_memory(m).map_err(|e| errors.add("memory", e.message)).ok(),
    };
    let nano_cpus = match req.cpus.trim() {
        "" => None,
        c => match c.parse::<f64>() {
            Ok(n) if n.is_finite() && n > 0.0 && n <= 1024.0 => Some((n * 1e9).round() as i64),
            _ => {
                errors.add("cpus", "CPUs is a positive number, e.g. 0.5 or 2.");
                None
            }
        },
    };

    let words = |field: &str, s: &str, errors: &mut Issues| -> Option<Vec<String>> {
        if s.trim().is_empty() {
            return None;
        }
        match shell::split(s) {
            Ok(w) if !w.is_empty() => Some(w),
            Ok(_) => None,
            Err(e) => {
                errors.add(field, format!("Cannot read this: {e}."));
                None
            }
        }
    };
    let cmd = words("command", &req.command, &mut errors);
    let entrypoint = words("entrypoint", &req.entrypoint, &mut errors);

    let mut env = Vec::new();
    for (i, e) in req.env.iter().enumerate() {
        if e.trim().is_empty() {
            continue;
        }
        match key_value(e) {
            Ok(_) => env.push(e.clone()),
            Err(m) => errors.add(format!("env.{i}"), format!("{m}: write NAME=value.")),
        }
    }
    let mut labels = HashMap::new();
    for (i, l) in req.labels.iter().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        match key_value(l) {
            Ok((k, v)) => {
                labels.insert(k.to_owned(), v.to_owned());
            }
            Err(m) => errors.add(format!("labels.{i}"), format!("{m}: write key=value.")),
        }
    }

    let mut mounts = Vec::new();
    for (i, m) in req.mounts.iter().enumerate() {
        let target = m.target.trim();
        if !is_abs_path(target) {
            errors.add(format!("mounts.{i}.target"), "The path inside the container must be absolute, e.g. /data.");
            continue;
        }
        let source = m.source.trim();
        let (typ, source) = if source.is_empty() {
            (MountType::VOLUME, None)
        } else if source.starts_with('/') {
            if !is_abs_path(source) {
                errors.add(format!("mounts.{i}.source"), "Not a usable host path.");
                continue;
            }
            if source == "/var/run/docker.sock" || source == "/run/docker.sock" {
                warnings.add(format!("mounts.{i}.source"), "The Docker socket inside a container is root on the host.");
            }
            (MountType::BIND, Some(source.to_owned()))
        } else if valid_volume_name(source) {
            (MountType::VOLUME, Some(source.to_owned()))
        } else {
            errors.add(
                format!("mounts.{i}.source"),
                "Use an absolute host path (/srv/data), a volume name (my-data), or leave it empty for a new volume.",
            );
            continue;
        };
        mounts.push(Mount {
            target: Some(target.to_owned()),
            source,
            typ: Some(typ),
            read_only: Some(m.read_only),
            ..Default::default()
        });
    }

    let workdir = req.workdir.trim();
    if !workdir.is_empty() && !is_abs_path(workdir) {
        errors.add("workdir", "The working directory must be an absolute path, e.g. /app.");
    }
    let user = req.user.trim();
    if !user.is_empty() && !valid_user(user) {
        errors.add("user", "Use a user name or UID, optionally with :group or :GID (e.g. 1000:1000).");
    }
    let retries = match (req.restart, req.restart_retries.trim()) {
        (RestartPolicy::OnFailure, "") => None,
        (RestartPolicy::OnFailure, r) => match r.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                errors.add("restartRetries", "Retries is a whole number, 0 or more.");
                None
            }
        },
        (_, "") => None,
        (_, _) => {
            errors.add("restartRetries", "Retries only apply to the on-failure policy.");
            None
        }
    };
    let mut cap_drop = Vec::new();
    for (i, c) in req.cap_drop.iter().enumerate() {
        if c.trim().is_empty() {
            continue;
        }
        match cap_name(c) {
            Some(c) => cap_drop.push(c),
            None => errors.add(format!("capDrop.{i}"), "A capability is a name such as NET_RAW, or ALL."),
        }
    }

    if !errors.0.is_empty() {
        return (Err(errors.0), warnings.0);
    }
    let Some(image) = image else { return (Err(errors.0), warnings.0) };
    let restart_policy = match req.restart {
        RestartPolicy::No => None,
        p => Some(BRestart {
            name: Some(match p {
                RestartPolicy::Always => RestartPolicyNameEnum::ALWAYS,
                RestartPolicy::UnlessStopped => RestartPolicyNameEnum::UNLESS_STOPPED,
                _ => RestartPolicyNameEnum::ON_FAILURE,
            }),
            maximum_retry_count: retries,
        }),
    };
    let body = ContainerCreateBody {
        image: Some(image.as_str().to_owned()),
        cmd,
        entrypoint,
        env: (!env.is_empty()).then_some(env),
        labels: (!labels.is_empty()).then_some(labels),
        working_dir: (!workdir.is_empty()).then(|| workdir.to_owned()),
        user: (!user.is_empty()).then(|| user.to_owned()),
        tty: Some(req.tty),
        open_stdin: Some(req.interactive),
        attach_stdin: Some(req.interactive && !req.detach),
        attach_stdout: Some(!req.detach),
        attach_stderr: Some(!req.detach),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        host_config: Some(HostConfig {
            port_bindings: (!bindings.is_empty()).then_some(bindings),
            publish_all_ports: Some(req.publish_all),
            pids_limit,
            memory,
            nano_cpus,
            mounts: (!mounts.is_empty()).then_some(mounts),
            restart_policy,
            readonly_rootfs: Some(req.read_only),
            cap_drop: (!cap_drop.is_empty()).then_some(cap_drop),
            security_opt: req.no_new_privileges.then(|| vec!["no-new-privileges:true".to_owned()]),
            ..Default::default()
        }),
        ..Default::default()
    };
    (Ok(RunPlan { name, image, body }), warnings.0)
}

/// Validates the request; every field error in one typed error (`field: message; …`).
pub fn validate(req: &RunRequest) -> Result<RunPlan> {
    plan(req).0.map_err(|errs| {
        Error::invalid(errs.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
    })
}

/// Validation, warnings and the equivalent command line, for the form as it is typed.
pub fn check(req: &RunRequest) -> RunCheck {
    let (plan, warnings) = plan(req);
    let findings = match &plan {
        Ok(p) => crate::inspect::rules::check_container(
            &crate::inspect::facts::ContainerFacts::from_create(&p.body),
            &crate::inspect::rules::Context::default(),
        ),
        Err(_) => Vec::new(),
    };
    let (security_score, security_grade) = crate::inspect::report::score(&findings);
    RunCheck {
        errors: plan.err().unwrap_or_default(),
        warnings,
        findings,
        security_score,
        security_grade,
        command: render(req),
    }
}

/// The `docker run …` line that does what the form says.
pub fn render(req: &RunRequest) -> String {
    let mut w: Vec<String> = vec!["docker".into(), "run".into()];
    let mut short = String::new();
    if req.interactive {
        short.push('i');
    }
    if req.tty {
        short.push('t');
    }
    if req.detach {
        short.push('d');
    }
    if !short.is_empty() {
        w.push(format!("-{short}"));
    }
    let mut opt = |flag: &str, v: &str| {
        if !v.trim().is_empty() {
            w.push(flag.to_owned());
            w.push(v.trim().to_owned());
        }
    };
    opt("--name", &req.name);
    for p in &req.ports {
        if p.container_port.trim().is_empty() {
            continue;
        }
        let ip = if p.host_ip.trim().is_empty() { "127.0.0.1" } else { p.host_ip.trim() };
        let ip = if ip.contains(':') && !ip.starts_with('[') { format!("[{ip}]") } else { ip.to_owned() };
        let proto = if p.protocol.trim().is_empty() { "tcp" } else { p.protocol.trim() };
        opt("-p", &format!("{ip}:{}:{}/{proto}", p.host_port.trim(), p.container_port.trim()));
    }
    opt("--pids-limit", &req.pids_limit);
    opt("--memory", &req.memory);
    opt("--cpus", &req.cpus);
    for e in req.env.iter().filter(|e| !e.trim().is_empty()) {
        opt("-e", e);
    }
    for m in req.mounts.iter().filter(|m| !m.target.trim().is_empty()) {
        let spec = match (m.source.trim(), m.read_only) {
            ("", false) => m.target.trim().to_owned(),
            ("", true) => format!("{}:ro", m.target.trim()),
            (s, ro) => format!("{s}:{}{}", m.target.trim(), if ro { ":ro" } else { "" }),
        };
        opt("-v", &spec);
    }
    opt("--workdir", &req.workdir);
    opt("--user", &req.user);
    match req.restart {
        RestartPolicy::No => {}
        RestartPolicy::Always => opt("--restart", "always"),
        RestartPolicy::UnlessStopped => opt("--restart", "unless-stopped"),
        RestartPolicy::OnFailure => {
            let r = req.restart_retries.trim();
            opt("--restart", &if r.is_empty() { "on-failure".to_owned() } else { format!("on-failure:{r}") })
        }
    }
    for c in req.cap_drop.iter().filter(|c| !c.trim().is_empty()) {
        opt("--cap-drop", c);
    }
    if req.no_new_privileges {
        opt("--security-opt", "no-new-privileges");
    }
    for l in req.labels.iter().filter(|l| !l.trim().is_empty()) {
        opt("--label", l);
    }
    opt("--entrypoint", &req.entrypoint);
    if req.publish_all {
        w.push("-P".into());
    }
    if req.read_only {
        w.push("--read-only".into());
    }
    w.push(if req.image.trim().is_empty() { "IMAGE".into() } else { req.image.trim().to_owned() });
    let mut line = shell::join(&w);
    if !req.command.trim().is_empty() {
        // The command is already shell words as the user typed them.
        line.push(' ');
        line.push_str(req.command.trim());
    }
    line
}

/// Flags of `docker run` that take a value but that the form does not support.
const UNSUPPORTED_WITH_VALUE: &[&str] = &[
    "--network",
    "--net",
    "--hostname",
    "-h",
    "--add-host",
    "--dns",
    "--dns-search",
    "--dns-option",
    "--ulimit",
    "--device",
    "--gpus",
    "--log-driver",
    "--log-opt",
    "--shm-size",
    "--cpu-shares",
    "-c",
    "--cpuset-cpus",
    "--cpuset-mems",
    "--memory-swap",
    "--memory-reservation",
    "--memory-swappiness",
    "--cap-add",
    "--platform",
    "--pull",
    "--env-file",
    "--label-file",
    "--mount",
    "--tmpfs",
    "--userns",
    "--pid",
    "--ipc",
    "--uts",
    "--cgroupns",
    "--volumes-from",
    "--link",
    "--expose",
    "--health-cmd",
    "--health-interval",
    "--health-retries",
    "--health-timeout",
    "--health-start-period",
    "--stop-signal",
    "--stop-timeout",
    "--sysctl",
    "--group-add",
    "--runtime",
    "--isolation",
    "--oom-score-adj",
    "--blkio-weight",
    "--network-alias",
    "--ip",
    "--ip6",
    "--mac-address",
    "--cgroup-parent",
    "--cidfile",
    "--attach",
    "-a",
    "--detach-keys",
    "--domainname",
    "--kernel-memory",
    "--cpu-period",
    "--cpu-quota",
    "--cpu-rt-period",
    "--cpu-rt-runtime",
    "--device-cgroup-rule",
    "--device-read-bps",
    "--device-write-bps",
    "--annotation",
    "--volume-driver",
    "--storage-opt",
    "--log-opt",
];

/// Reads a pasted `docker run …` line into the form. Flags the form cannot express are named
/// in `unsupported` (and not applied), never silently dropped.
pub fn parse_command(line: &str) -> Result<ParsedRun> {
    let words = shell::split(line).map_err(|e| Error::invalid(format!("Cannot read this line: {e}.")))?;
    let mut it = words.into_iter().peekable();
    // Leading "docker run" or "docker container run" (and a sudo before it) are optional.
    while it.peek().is_some_and(|w| w == "sudo") {
        it.next();
    }
    if it.peek().is_some_and(|w| w == "docker" || w.ends_with("/docker")) {
        it.next();
        if it.peek().is_some_and(|w| w == "container") {
            it.next();
        }
        match it.next() {
            Some(w) if w == "run" => {}
            Some(w) => {
                return Err(Error::invalid(format!(
                    "This is `docker {}`, not `docker run`.",
                    crate::text::neutralise(&w)
                )))
            }
            None => return Err(Error::invalid("Paste a whole `docker run …` line.")),
        }
    }
    let mut req = RunRequest { detach: false, ..RunRequest::default() };
    let mut unsupported = Vec::new();
    let mut image = None;
    while let Some(w) = it.next() {
        if w == "--" {
            image = it.next();
            break;
        }
        if !w.starts_with('-') || w == "-" {
            image = Some(w);
            break;
        }
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (w.clone(), None),
        };
        let mut value = |name: &str| -> Result<String> {
            match inline.clone().or_else(|| it.next()) {
                Some(v) => Ok(v),
                None => Err(Error::invalid(format!("{name} needs a value."))),
            }
        };
        match flag.as_str() {
            "-d" | "--detach" => req.detach = true,
            "-i" | "--interactive" => req.interactive = true,
            "-t" | "--tty" => req.tty = true,
            "-P" | "--publish-all" => req.publish_all = true,
            "--read-only" => req.read_only = true,
            "--name" => req.name = value("--name")?,
            "-p" | "--publish" => {
                let spec = value("--publish")?;
                req.ports.push(parse_publish(&spec)?);
            }
            "--pids-limit" => req.pids_limit = value("--pids-limit")?,
            "-m" | "--memory" => req.memory = value("--memory")?,
            "--cpus" => req.cpus = value("--cpus")?,
            "--entrypoint" => req.entrypoint = shell::quote(&value("--entrypoint")?),
            "-e" | "--env" => req.env.push(value("--env")?),
            "-l" | "--label" => req.labels.push(value("--label")?),
            "-v" | "--volume" => req.mounts.push(parse_volume(&value("--volume")?)),
            "-w" | "--workdir" => req.workdir = value("--workdir")?,
            "-u" | "--user" => req.user = value("--user")?,
            "--cap-drop" => req.cap_drop.push(value("--cap-drop")?),
            "--restart" => {
                let v = value("--restart")?;
                let (policy, retries) = v.split_once(':').map_or((v.as_str(), ""), |(p, r)| (p, r));
                req.restart = match policy {
                    "no" => RestartPolicy::No,
                    "always" => RestartPolicy::Always,
                    "unless-stopped" => RestartPolicy::UnlessStopped,
                    "on-failure" => RestartPolicy::OnFailure,
                    _ => {
                        unsupported.push(format!("--restart {v}"));
                        RestartPolicy::No
                    }
                };
                req.restart_retries = retries.to_owned();
            }
            "--security-opt" => {
                let v = value("--security-opt")?;
                if v == "no-new-privileges" || v == "no-new-privileges:true" || v == "no-new-privileges=true" {
                    req.no_new_privileges = true;
                } else {
                    unsupported.push(format!("--security-opt {v}"));
                }
            }
            f if UNSUPPORTED_WITH_VALUE.contains(&f) => {
                let v = value(f)?;
                unsupported.push(format!("{f} {v}"));
            }
            f if f.starts_with('-') && !f.starts_with("--") && f.len() > 2 => {
                // Combined short flags: -itd, -dit …
                for c in f[1..].chars() {
                    match c {
                        'd' => req.detach = true,
                        'i' => req.interactive = true,
                        't' => req.tty = true,
                        'P' => req.publish_all = true,
                        other => unsupported.push(format!("-{other}")),
                    }
                }
            }
            f => unsupported.push(f.to_owned()),
        }
    }
    let Some(image) = image else {
        return Err(Error::invalid("The line names no image."));
    };
    req.image = image;
    let rest: Vec<String> = it.collect();
    req.command = shell::join(&rest);
    let unsupported = unsupported.iter().map(|u| crate::text::neutralise(u)).collect();
    Ok(ParsedRun { request: req, unsupported })
}

/// `-p` syntax: [ip:][hostPort:]containerPort[/proto], ip may be [v6].
fn parse_publish(spec: &str) -> Result<PortRequest> {
    let bad = || {
        Error::invalid(format!(
            "-p {:?}: expected [ip:][hostPort:]containerPort[/protocol]",
            crate::text::neutralise(spec)
        ))
    };
    let (rest, proto) = spec.rsplit_once('/').map_or((spec, "tcp"), |(r, p)| (r, p));
    let (ip, rest) = if let Some(r) = rest.strip_prefix('[') {
        let (ip, after) = r.split_once(']').ok_or_else(bad)?;
        (Some(ip.to_owned()), after.strip_prefix(':').ok_or_else(bad)?.to_owned())
    } else {
        let parts: Vec<&str> = rest.split(':').collect();
        match parts.len() {
            1 | 2 => (None, rest.to_owned()),
            3 => (Some(parts[0].to_owned()), format!("{}:{}", parts[1], parts[2])),
            _ => return Err(bad()),
        }
    };
    let (host, container) = match rest.split_once(':') {
        Some((h, c)) => (h.to_owned(), c.to_owned()),
        None => (String::new(), rest.clone()),
    };
    Ok(PortRequest {
        // docker binds every interface when -p gives no address: say so, explicitly.
        host_ip: ip.filter(|i| !i.is_empty()).unwrap_or_else(|| "0.0.0.0".to_owned()),
        host_port: host,
        container_port: container,
        protocol: proto.to_owned(),
    })
}

/// `-v` syntax: [source:]target[:ro|rw].
fn parse_volume(spec: &str) -> MountRequest {
    let mut parts: Vec<&str> = spec.split(':').collect();
    let mut read_only = false;
    if parts.len() > 1 && matches!(*parts.last().unwrap_or(&""), "ro" | "rw" | "z" | "Z" | "ro,z" | "ro,Z") {
        read_only = parts.last().is_some_and(|o| o.starts_with("ro"));
        parts.pop();
    }
    match parts.as_slice() {
        [target] => MountRequest { source: String::new(), target: (*target).to_owned(), read_only },
        [source, target] => MountRequest { source: (*source).to_owned(), target: (*target).to_owned(), read_only },
        _ => MountRequest { source: String::new(), target: spec.to_owned(), read_only },
    }
}

impl Engine {
    /// Creates and starts a container as the request says. Validation is redone here, whatever
    /// the UI checked. When the start fails (a host port in use …), the container is removed
    /// again: nothing half-done is left behind.
    pub async fn run(&self, req: &RunRequest) -> Result<RunOutcome> {
        self.run_planned(validate(req)?).await
    }

    /// Creates and starts what `validate` planned.
    pub async fn run_planned(&self, plan: RunPlan) -> Result<RunOutcome> {
        let opts =
            CreateContainerOptions { name: plan.name.as_ref().map(|n| n.as_str().to_owned()), ..Default::default() };
        let created = self.docker.create_container(Some(opts), plan.body).await.map_err(|e| {
            let e = self.fail(e);
            match e.kind {
                ErrorKind::NotFound => Error::new(
                    ErrorKind::NotFound,
                    format!("The image {} is not on this engine: pull or build it first. ({})", plan.image, e.message),
                ),
                ErrorKind::Conflict => Error::new(
                    ErrorKind::Conflict,
                    format!("The name is taken: another container is already called that. ({})", e.message),
                ),
                _ => e,
            }
        })?;
        if let Err(e) = self.docker.start_container(&created.id, None::<StartContainerOptions>).await {
            let e = self.fail(e);
            let cleanup = self
                .docker
                .remove_container(
                    &created.id,
                    Some(RemoveContainerOptions { force: true, v: true, ..Default::default() }),
                )
                .await;
            let cause =
                if e.message.contains("port is already allocated") || e.message.contains("address already in use") {
                    "A host port is already in use by another program or container. "
                } else {
                    ""
                };
            let left = if cleanup.is_err() {
                " The created container could not be removed again; remove it by hand."
            } else {
                ""
            };
            return Err(Error::new(e.kind, format!("The container could not start. {cause}{}{left}", e.message)));
        }
        let name = plan.name.map(|n| n.as_str().to_owned()).unwrap_or_default();
        let name = if name.is_empty() {
            self.docker
                .inspect_container(&created.id, None::<bollard::query_parameters::InspectContainerOptions>)
                .await
                .ok()
                .and_then(|c| c.name)
                .map(|n| n.trim_start_matches('/').to_owned())
                .unwrap_or_default()
        } else {
            name
        };
        Ok(RunOutcome {
            id: created.id,
            name: crate::text::neutralise(&name),
            warnings: crate::text::neutralise_all(created.warnings),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> RunRequest {
        RunRequest {
            image: "busybox".into(),
            name: "web".into(),
            ports: vec![PortRequest {
                host_ip: "127.0.0.1".into(),
                host_port: "8080".into(),
                container_port: "80".into(),
                protocol: "tcp".into(),
            }],
            pids_limit: "6".into(),
            interactive: true,
            tty: true,
            detach: true,
            ..RunRequest::default()
        }
    }

    fn fields(errs: &[FieldIssue]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_good_request_plans_the_create_call() {
        let (plan, warnings) = plan(&req());
        let plan = plan.unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let hc = plan.body.host_config.unwrap();
        assert_eq!(hc.pids_limit, Some(6));
        let b = hc.port_bindings.unwrap();
        let binding = &b["80/tcp"].as_ref().unwrap()[0];
        assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(binding.host_port.as_deref(), Some("8080"));
        assert_eq!(plan.body.tty, Some(true));
        assert_eq!(plan.body.open_stdin, Some(true));
        assert_eq!(plan.name.unwrap().as_str(), "web");
    }

    #[test]
    fn bad_inputs_name_their_field() {
        type Case = (Box<dyn Fn(&mut RunRequest)>, &'static str);
        let cases: Vec<Case> = vec![
            (Box::new(|r| r.image = "../x".into()), "image"),
            (Box::new(|r| r.image = String::new()), "image"),
            (Box::new(|r| r.name = "-bad".into()), "name"),
            (Box::new(|r| r.name = "x".into()), "name"),
            (Box::new(|r| r.ports[0].container_port = "0".into()), "ports.0.containerPort"),
            (Box::new(|r| r.ports[0].host_port = "70000".into()), "ports.0.hostPort"),
            (Box::new(|r| r.ports[0].protocol = "icmp".into()), "ports.0.protocol"),
            (Box::new(|r| r.ports[0].host_ip = "localhost.evil".into()), "ports.0.hostIp"),
            (Box::new(|r| r.pids_limit = "0".into()), "pidsLimit"),
            (Box::new(|r| r.pids_limit = "-1".into()), "pidsLimit"),
            (Box::new(|r| r.pids_limit = "ten".into()), "pidsLimit"),
            (Box::new(|r| r.memory = "lots".into()), "memory"),
            (Box::new(|r| r.memory = "1k".into()), "memory"),
            (Box::new(|r| r.cpus = "-2".into()), "cpus"),
            (Box::new(|r| r.env = vec!["OK=1".into(), "NOEQUALS".into()]), "env.1"),
            (Box::new(|r| r.env = vec!["=x".into()]), "env.0"),
            (Box::new(|r| r.labels = vec!["k".into()]), "labels.0"),
            (Box::new(|r| r.command = "echo 'open".into()), "command"),
            (
                Box::new(|r| {
                    r.mounts = vec![MountRequest { source: "/h".into(), target: "rel".into(), read_only: false }]
                }),
                "mounts.0.target",
            ),
            (
                Box::new(|r| {
                    r.mounts = vec![MountRequest { source: "../x".into(), target: "/d".into(), read_only: false }]
                }),
                "mounts.0.source",
            ),
            (Box::new(|r| r.workdir = "app".into()), "workdir"),
            (Box::new(|r| r.user = "root; rm".into()), "user"),
            (Box::new(|r| r.restart_retries = "3".into()), "restartRetries"),
            (Box::new(|r| r.cap_drop = vec!["net raw".into()]), "capDrop.0"),
        ];
        for (change, field) in cases {
            let mut r = req();
            change(&mut r);
            let (plan, _) = plan(&r);
            let errs = plan.err().unwrap_or_else(|| panic!("{field} should be refused"));
            assert_eq!(fields(&errs), vec![field]);
        }
    }

    #[test]
    fn duplicate_host_ports_are_refused() {
        let mut r = req();
        r.ports.push(PortRequest {
            host_ip: "0.0.0.0".into(),
            host_port: "8080".into(),
            container_port: "81".into(),
            protocol: "tcp".into(),
        });
        let errs = plan(&r).0.err().unwrap();
        assert_eq!(fields(&errs), vec!["ports.1.hostPort"]);
    }

    #[test]
    fn warnings_for_unlimited_pids_all_interfaces_and_the_docker_socket() {
        let mut r = req();
        r.pids_limit = String::new();
        r.ports[0].host_ip = "0.0.0.0".into();
        r.mounts = vec![MountRequest {
            source: "/var/run/docker.sock".into(),
            target: "/var/run/docker.sock".into(),
            read_only: true,
        }];
        let (plan, warnings) = plan(&r);
        assert!(plan.is_ok());
        assert_eq!(fields(&warnings), vec!["ports.0.hostIp", "pidsLimit", "mounts.0.source"]);
    }

    #[test]
    fn renders_the_docker_run_line() {
        let mut r = req();
        r.env = vec!["GREETING=hello world".into()];
        r.command = "httpd -f -p 80".into();
        assert_eq!(
            render(&r),
            "docker run -itd --name web -p 127.0.0.1:8080:80/tcp --pids-limit 6 -e 'GREETING=hello world' busybox httpd -f -p 80"
        );
    }

    #[test]
    fn parses_a_pasted_line_back_into_the_form() {
        let p = parse_command("docker run -itd -p 8080:80 --name web --pids-limit 6 image").unwrap();
        assert!(p.unsupported.is_empty(), "{:?}", p.unsupported);
        let r = p.request;
        assert!(r.interactive && r.tty && r.detach);
        assert_eq!(r.name, "web");
        assert_eq!(r.pids_limit, "6");
        assert_eq!(r.image, "image");
        assert_eq!(
            r.ports,
            vec![PortRequest {
                host_ip: "0.0.0.0".into(),
                host_port: "8080".into(),
                container_port: "80".into(),
                protocol: "tcp".into()
            }]
        );

        let p = parse_command(
            "sudo docker container run --rm --privileged --network=host -e A=1 -v /srv:/data:ro -v cache:/c --restart on-failure:3 \
             --security-opt no-new-privileges --cap-drop ALL -p [::1]:53:53/udp -u 1000:1000 -w /app --memory 512m --cpus 1.5 \
             --entrypoint /bin/sh busybox -c 'echo hi'",
        )
        .unwrap();
        assert_eq!(p.unsupported, vec!["--rm", "--privileged", "--network host"]);
        let r = p.request;
        assert!(!r.detach);
        assert_eq!(r.env, vec!["A=1"]);
        assert_eq!(r.mounts[0], MountRequest { source: "/srv".into(), target: "/data".into(), read_only: true });
        assert_eq!(r.mounts[1], MountRequest { source: "cache".into(), target: "/c".into(), read_only: false });
        assert_eq!((r.restart, r.restart_retries.as_str()), (RestartPolicy::OnFailure, "3"));
        assert!(r.no_new_privileges);
        assert_eq!(r.cap_drop, vec!["ALL"]);
        assert_eq!(r.ports[0].host_ip, "::1");
        assert_eq!(r.ports[0].protocol, "udp");
        assert_eq!(
            (r.user.as_str(), r.workdir.as_str(), r.memory.as_str(), r.cpus.as_str()),
            ("1000:1000", "/app", "512m", "1.5")
        );
        assert_eq!(r.entrypoint, "/bin/sh");
        assert_eq!(r.command, "-c 'echo hi'");
        assert!(plan(&r).0.is_ok(), "{:?}", plan(&r).0.err());

        assert!(parse_command("docker ps -a").is_err());
        assert!(parse_command("docker run -d").is_err());
    }

    #[test]
    fn render_and_parse_agree() {
        let mut r = req();
        r.env = vec!["X=a b".into()];
        r.mounts = vec![MountRequest { source: "/srv".into(), target: "/data".into(), read_only: true }];
        r.restart = RestartPolicy::UnlessStopped;
        r.command = "sleep 100".into();
        let back = parse_command(&render(&r)).unwrap();
        assert!(back.unsupported.is_empty());
        assert_eq!(back.request, r);
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory("512m").ok(), Some(512 << 20));
        assert_eq!(parse_memory("1G").ok(), Some(1 << 30));
        assert_eq!(parse_memory("1.5g").ok(), Some(3 << 29));
        assert!(parse_memory("0").is_err());
    }
}
