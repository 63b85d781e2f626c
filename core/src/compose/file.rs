//! A compose file read as Compose reads it, for showing and for the review before `up`:
//! the file checked as untrusted input (size, encoding, binary content, where it lives), its
//! YAML parsed under limits (`yaml`), every value interpolated from the environment and the
//! project's `.env` (`interpolate`), and each service turned into the same `ContainerFacts`
//! the container rules read — plus where each setting was written, line and column.
//!
//! docker-compose-types was tried first and left: its `Service` refuses valid Compose keys it
//! does not model (`pids_limit`, `cpus`, `uts`: "unknown attribute … extensions must start with
//! 'x-'"), which would make the review fail on exactly the files that set limits. The keys the
//! review and the file view need are read here from the positioned tree, as the Compose
//! specification defines them; everything else is ignored, as Compose ignores what it does not use.

use super::interpolate::{interpolate, Outcome};
use super::yaml::{self, Node, Pos, Value};
use crate::error::{Error, Result};
use crate::inspect::facts::{ContainerFacts, MountFact, PortFact};
use crate::text::neutralise;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

#[cfg(feature = "ts")]
use ts_rs::TS;

/// The largest compose file read. Real ones are a few KiB; a 500-service file is under 1 MiB.
pub const MAX_FILE_BYTES: u64 = 4 << 20;
/// The largest `.env` read.
const MAX_ENV_BYTES: u64 = 1 << 20;
/// A port range expands to at most this many ports (`1-65535:1-65535` is refused).
const MAX_RANGE: u32 = 1024;

/// A compose file as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ComposeFileView {
    /// The path as given (the CLI prints it and SARIF points at it).
    pub path: String,
    /// The folder Compose treats as the project's (the file's own).
    pub dir: String,
    /// The project's name: `name:`, else COMPOSE_PROJECT_NAME, else the folder's name.
    pub project: String,
    pub services: Vec<ComposeServiceView>,
    /// Named volumes declared at the top level.
    pub volumes: Vec<String>,
    /// Networks declared at the top level.
    pub networks: Vec<String>,
    /// Variables the file uses that have no value and no default: Compose blanks them, and so
    /// does the review — it says so.
    pub unset_variables: Vec<String>,
    /// What the review could not follow (extends, include, a stray `$` …).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ComposeServiceView {
    pub name: String,
    /// Where the service's key is written.
    pub line: u32,
    pub image: Option<String>,
    /// The build context, when the service is built.
    pub build: Option<String>,
    /// As written (interpolated): `127.0.0.1:8080:80`.
    pub ports: Vec<String>,
    pub volumes: Vec<String>,
    pub networks: Vec<String>,
    pub profiles: Vec<String>,
}

/// A read compose file: the view plus, per service, the facts the rules read and the tree
/// that says where each key is.
#[derive(Debug, Clone)]
pub struct ComposeFile {
    pub view: ComposeFileView,
    pub services: Vec<ServiceFacts>,
}

#[derive(Debug, Clone)]
pub struct ServiceFacts {
    pub name: String,
    /// The service's key in the file.
    pub key_pos: Pos,
    pub facts: ContainerFacts,
    /// The service's mapping (interpolated), for locating findings.
    pub node: Node,
    /// Per entry of `facts.mounts` / `facts.ports`: where its item is written.
    pub mount_pos: Vec<(Pos, String)>,
    pub port_pos: Vec<(Pos, String)>,
    pub device_pos: Vec<(Pos, String)>,
}

fn invalid(path: &str, what: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{path}: {what}"))
}

fn at(path: &str, pos: Pos, what: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{path}, line {}, column {}: {what}", pos.line, pos.col))
}

/// Reads a compose file from disk, refusing what is not one. `path` must be absolute.
pub fn read_text(path: &Path) -> Result<(PathBuf, String)> {
    let shown = path.display().to_string();
    if !path.is_absolute() {
        return Err(invalid(&shown, "the path must be absolute"));
    }
    let real = std::fs::canonicalize(path).map_err(|e| invalid(&shown, format!("cannot be opened: {e}")))?;
    for system in ["/proc", "/sys", "/dev", "/run/docker.sock", "/var/run/docker.sock"] {
        if real.starts_with(system) {
            return Err(invalid(&shown, format!("is under {system}, not a folder a compose file lives in")));
        }
    }
    let meta = std::fs::metadata(&real).map_err(|e| invalid(&shown, format!("cannot be opened: {e}")))?;
    if !meta.is_file() {
        return Err(invalid(&shown, "is not a regular file"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(invalid(
            &shown,
            format!(
                "is {:.1} MB; a compose file over {} MiB is refused",
                meta.len() as f64 / 1e6,
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    // O_NONBLOCK: if the file was swapped for a FIFO since the check, opening it must not hang.
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32)
        .open(&real)
        .map_err(|e| invalid(&shown, format!("cannot be opened: {e}")))?;
    if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
        return Err(invalid(&shown, "is not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| invalid(&shown, format!("cannot be read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(invalid(&shown, format!("is over {} MiB; refused", MAX_FILE_BYTES >> 20)));
    }
    Ok((real, decode(&shown, bytes)?))
}

/// A path that came from the webview or from a container's labels (hostile: a label may name
/// `/etc/shadow`) is read only when it is named like a compose file: `.yml` or `.yaml`. The
/// native chooser and the CLI name any file the user picks.
pub fn named_like_compose(path: &Path) -> Result<()> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml") => Ok(()),
        _ => Err(invalid(
            &neutralise(&path.display().to_string()),
            "is not named like a compose file (.yml or .yaml); open it with Open compose file… instead",
        )),
    }
}

/// UTF-8 text only (a BOM is dropped); a NUL byte means a binary file.
pub fn decode(shown: &str, mut bytes: Vec<u8>) -> Result<String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Err(invalid(shown, format!("is a binary file (a NUL byte at offset {i}), not a compose file")));
    }
    String::from_utf8(bytes).map_err(|e| {
        let ok = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..ok].iter().filter(|&&b| b == b'\n').count() + 1;
        invalid(shown, format!("is not UTF-8 text (an invalid byte at line {line}, offset {ok})"))
    })
}

/// The variables Compose interpolates with: the environment wins over the project's `.env`.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    env: HashMap<String, String>,
    dotenv: HashMap<String, String>,
}

impl Variables {
    /// The process's environment and `dir/.env` when there is one.
    pub fn for_dir(dir: &Path, env: HashMap<String, String>) -> Result<Variables> {
        let mut v = Variables { env, dotenv: HashMap::new() };
        let path = dir.join(".env");
        if path.is_file() {
            let shown = path.display().to_string();
            let meta = std::fs::metadata(&path).map_err(|e| invalid(&shown, format!("cannot be read: {e}")))?;
            if meta.len() > MAX_ENV_BYTES {
                return Err(invalid(&shown, format!("is over {} MiB; refused", MAX_ENV_BYTES >> 20)));
            }
            let bytes = std::fs::read(&path).map_err(|e| invalid(&shown, format!("cannot be read: {e}")))?;
            let text = decode(&shown, bytes)?;
            for item in dotenvy::from_read_iter(text.as_bytes()) {
                let (k, val) = item.map_err(|e| invalid(&shown, format!("is not a valid .env file: {e}")))?;
                v.dotenv.insert(k, val);
            }
        }
        Ok(v)
    }

    pub fn from_maps(env: HashMap<String, String>, dotenv: HashMap<String, String>) -> Variables {
        Variables { env, dotenv }
    }

    pub fn get(&self, k: &str) -> Option<String> {
        self.env.get(k).or_else(|| self.dotenv.get(k)).cloned()
    }
}

/// Reads, parses, interpolates and interprets a compose file.
pub fn load(path: &Path, shown: &str, env: HashMap<String, String>) -> Result<ComposeFile> {
    let (real, text) = read_text(path)?;
    let dir = real.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
    let vars = Variables::for_dir(&dir, env)?;
    parse(&text, shown, &dir, &vars)
}

/// The heart of [`load`], on text already read (tests and benches call it directly).
pub fn parse(text: &str, shown: &str, dir: &Path, vars: &Variables) -> Result<ComposeFile> {
    let root = yaml::parse(text).map_err(|e| at(shown, e.pos, e.message))?;
    let Some(mut root) = root else { return Err(invalid(shown, "is empty")) };
    if !matches!(root.value, Value::Map(_)) {
        return Err(at(shown, root.pos, "the top level is not a mapping of keys (services: …)"));
    }
    let mut outcome = Outcome::default();
    let lookup = |k: &str| vars.get(k);
    root.for_each_scalar_mut(&mut |s, pos| {
        *s = interpolate(s, &lookup, &mut outcome).map_err(|e| yaml::YamlError { message: e.to_string(), pos })?;
        Ok(())
    })
    .map_err(|e| at(shown, e.pos, e.message))?;

    let mut notes = Vec::new();
    if outcome.stray_dollar {
        notes.push("A `$` that starts no variable is kept as written (Compose v1 refuses the file; write `$$` for a literal `$`).".into());
    }
    for key in ["include", "extends"] {
        if root.get(key).is_some() {
            notes.push(format!("`{key}` is not followed: what it brings in is not reviewed."));
        }
    }
    let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let project = root
        .get("name")
        .and_then(Node::as_str)
        .map(str::to_owned)
        .or_else(|| vars.get("COMPOSE_PROJECT_NAME").filter(|v| !v.is_empty()))
        .map(|n| normalise_project(&n))
        .unwrap_or_else(|| normalise_project(&folder));

    let Some((services_key, services)) = root.entry("services") else {
        return Err(invalid(shown, "has no `services:` (a Compose v1 file without a version key is not supported)"));
    };
    if !matches!(services.value, Value::Map(_)) {
        return Err(at(shown, services_key.pos, "`services:` is not a mapping of service names"));
    }
    let mut views = Vec::new();
    let mut all = Vec::new();
    for (k, svc) in services.entries() {
        let name = k.as_str().unwrap_or_default().to_owned();
        if svc.is_null() {
            return Err(at(shown, k.pos, format!("the service {name:?} is empty")));
        }
        if !matches!(svc.value, Value::Map(_)) {
            return Err(at(shown, k.pos, format!("the service {name:?} is not a mapping")));
        }
        if svc.get("extends").is_some() {
            notes.push(format!("Service {name}: `extends` is not followed; only what is written here is reviewed."));
        }
        let (view, facts) = service(shown, &project, dir, &name, k.pos, svc)?;
        views.push(view);
        all.push(facts);
    }
    let names = |key: &str| -> Vec<String> {
        root.get(key)
            .map(|n| n.entries().iter().filter_map(|(k, _)| k.as_str()).map(neutralise).collect())
            .unwrap_or_default()
    };
    let view = ComposeFileView {
        path: neutralise(shown),
        dir: neutralise(&dir.display().to_string()),
        project: neutralise(&project),
        services: views,
        volumes: names("volumes"),
        networks: names("networks"),
        unset_variables: outcome.unset.iter().map(|s| neutralise(s)).collect(),
        notes,
    };
    Ok(ComposeFile { view, services: all })
}

/// Compose's normalisation of a project name: lower case, only `a-z 0-9 _ -`, starting with a
/// letter or digit.
pub fn normalise_project(name: &str) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    s.trim_start_matches(['_', '-']).to_owned()
}

fn string_list(n: Option<&Node>) -> Vec<(Pos, String)> {
    match n {
        None => Vec::new(),
        Some(n) => match &n.value {
            Value::Seq(items) => items.iter().filter_map(|i| i.as_str().map(|s| (i.pos, s.to_owned()))).collect(),
            Value::Scalar { text, .. } if !n.is_null() => vec![(n.pos, text.clone())],
            _ => Vec::new(),
        },
    }
}

fn truthy(shown: &str, n: Option<&Node>) -> Result<bool> {
    let Some(n) = n else { return Ok(false) };
    match n.as_str() {
        Some("true" | "True" | "TRUE") => Ok(true),
        Some("false" | "False" | "FALSE") => Ok(false),
        _ if n.is_null() => Ok(false),
        _ => Err(at(shown, n.pos, format!("expected true or false, found {:?}", n.as_str().unwrap_or("a collection")))),
    }
}

/// `512m`, `1g`, `1.5GB`, `1048576` → bytes (Compose's RAMInBytes).
pub fn parse_bytes(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0_f64.powi(4),
        _ => return None,
    };
    let v = n * mult;
    (0.0..9.0e18).contains(&v).then_some(v as i64)
}

fn limits(svc: &Node) -> Option<&Node> {
    svc.get("deploy").and_then(|d| d.get("resources")).and_then(|r| r.get("limits"))
}

fn service(
    shown: &str,
    project: &str,
    dir: &Path,
    name: &str,
    key_pos: Pos,
    svc: &Node,
) -> Result<(ComposeServiceView, ServiceFacts)> {
    let s = |k: &str| svc.get(k).and_then(Node::as_str).filter(|v| !v.is_empty()).map(str::to_owned);
    let mut f = ContainerFacts {
        id: format!("compose:{project}/{name}"),
        name: s("container_name").unwrap_or_else(|| format!("{project}-{name}-1")),
        ..Default::default()
    };
    let build = match svc.get("build") {
        None => None,
        Some(b) => b
            .as_str()
            .map(str::to_owned)
            .or_else(|| b.get("context").and_then(Node::as_str).map(str::to_owned))
            .or(Some(".".into())),
    };
    f.image =
        s("image").unwrap_or_else(|| format!("{project}-{name} (built from {})", build.clone().unwrap_or_default()));
    f.privileged = truthy(shown, svc.get("privileged"))?;
    f.readonly_rootfs = truthy(shown, svc.get("read_only"))?;
    let caps = |k: &str| -> Vec<String> {
        string_list(svc.get(k))
            .into_iter()
            .map(|(_, c)| c.trim().to_ascii_uppercase().trim_start_matches("CAP_").to_owned())
            .collect()
    };
    f.cap_add = caps("cap_add");
    f.cap_drop = caps("cap_drop");

    // Networks: network_mode wins; otherwise the first network listed, else the project's default.
    let networks: Vec<String> = match svc.get("networks") {
        Some(n) if matches!(n.value, Value::Map(_)) => {
            n.entries().iter().filter_map(|(k, _)| k.as_str().map(str::to_owned)).collect()
        }
        other => string_list(other).into_iter().map(|(_, s)| s).collect(),
    };
    f.network_mode = match s("network_mode") {
        Some(m) => m,
        None => format!("{project}_{}", networks.first().map(String::as_str).unwrap_or("default")),
    };
    f.pid_mode = s("pid").unwrap_or_default();
    f.ipc_mode = s("ipc").unwrap_or_default();
    f.uts_mode = s("uts").unwrap_or_default();
    f.userns_mode = s("userns_mode").unwrap_or_default();
    f.cgroupns_mode = s("cgroup").unwrap_or_default();
    f.user = s("user").unwrap_or_default();
    f.security_opt = string_list(svc.get("security_opt")).into_iter().map(|(_, s)| s).collect();

    let lim = limits(svc);
    let lim_s = |k: &str| lim.and_then(|l| l.get(k)).and_then(Node::as_str).map(str::to_owned);
    let num = |key: &str, v: Option<String>, parse: &dyn Fn(&str) -> Option<i64>| -> Result<i64> {
        match v {
            None => Ok(0),
            Some(v) => parse(&v).ok_or_else(|| {
                let pos = svc.get(key).map(|n| n.pos).unwrap_or(key_pos);
                at(shown, pos, format!("{key}: {v:?} is not a valid value"))
            }),
        }
    };
    f.memory = num("mem_limit", s("mem_limit").or_else(|| lim_s("memory")), &parse_bytes)?;
    let cpus = |v: &str| v.trim().parse::<f64>().ok().filter(|c| c.is_finite() && *c >= 0.0).map(|c| (c * 1e9) as i64);
    f.nano_cpus = num("cpus", s("cpus").or_else(|| lim_s("cpus")), &cpus)?;
    let int = |v: &str| v.trim().parse::<i64>().ok();
    f.cpu_quota = num("cpu_quota", s("cpu_quota"), &int)?;
    f.cpu_period = num("cpu_period", s("cpu_period"), &int)?;
    f.cpu_shares = num("cpu_shares", s("cpu_shares"), &int)?;
    f.pids_limit = num("pids_limit", s("pids_limit").or_else(|| lim_s("pids")), &int)?;

    // restart, or Swarm-style deploy.restart_policy (which Compose v2 also honours).
    match s("restart") {
        Some(r) => {
            let (policy, max) = r.split_once(':').unwrap_or((&r, "0"));
            f.restart_policy = policy.to_owned();
            f.restart_max_retries = max.parse().unwrap_or(0);
        }
        None => {
            let rp = svc.get("deploy").and_then(|d| d.get("restart_policy"));
            if let Some(rp) = rp {
                let condition = rp.get("condition").and_then(Node::as_str).unwrap_or("any");
                f.restart_policy = match condition {
                    "none" => "no".into(),
                    "any" => "always".into(),
                    other => other.to_owned(),
                };
                f.restart_max_retries =
                    rp.get("max_attempts").and_then(Node::as_str).and_then(|v| v.parse().ok()).unwrap_or(0);
            }
        }
    }

    let mut device_pos = Vec::new();
    for d in svc.get("devices").map(Node::items).unwrap_or_default() {
        let text = match d.as_str() {
            Some(t) => t.to_owned(),
            None => {
                let g = |k: &str| d.get(k).and_then(Node::as_str).unwrap_or_default().to_owned();
                format!("{}:{}:{}", g("source"), g("target"), g("permissions"))
            }
        };
        f.devices.push(text.clone());
        device_pos.push((d.pos, text));
    }

    // Environment: list (`K=V`, `K`) or mapping; values never kept, only names (and DOCKER_HOST).
    let mut env: Vec<(String, Option<String>)> = Vec::new();
    match svc.get("environment") {
        Some(e) if matches!(e.value, Value::Map(_)) => {
            for (k, v) in e.entries() {
                env.push((
                    k.as_str().unwrap_or_default().to_owned(),
                    v.as_str().filter(|_| !v.is_null()).map(str::to_owned),
                ));
            }
        }
        other => {
            for (_, item) in string_list(other) {
                match item.split_once('=') {
                    Some((k, v)) => env.push((k.to_owned(), Some(v.to_owned()))),
                    None => env.push((item, None)),
                }
            }
        }
    }
    f.env_names = env.iter().map(|(k, _)| neutralise(k)).collect();
    f.docker_host_env = env.iter().find(|(k, _)| k == "DOCKER_HOST").and_then(|(_, v)| v.as_deref()).map(neutralise);

    // A healthcheck in the file; without one the image may still have its own, which the file
    // does not say — the review leaves that rule out (see `review`).
    f.healthcheck = svc.get("healthcheck").is_some_and(|h| !truthy(shown, h.get("disable")).unwrap_or(false));

    let mut mount_pos = Vec::new();
    let mut volume_texts = Vec::new();
    for v in svc.get("volumes").map(Node::items).unwrap_or_default() {
        let (m, text) = mount(shown, project, dir, v)?;
        volume_texts.push(text.clone());
        if let Some(m) = m {
            f.mounts.push(m);
            mount_pos.push((v.pos, text));
        }
    }

    let mut port_pos = Vec::new();
    let mut port_texts = Vec::new();
    for p in svc.get("ports").map(Node::items).unwrap_or_default() {
        let (ports, text) = ports(shown, p)?;
        port_texts.push(text.clone());
        for port in ports {
            f.ports.push(port);
            port_pos.push((p.pos, text.clone()));
        }
    }

    let view = ComposeServiceView {
        name: neutralise(name),
        line: key_pos.line,
        image: s("image").map(|i| neutralise(&i)),
        build: build.map(|b| neutralise(&b)),
        ports: port_texts.iter().map(|t| neutralise(t)).collect(),
        volumes: volume_texts.iter().map(|t| neutralise(t)).collect(),
        networks: networks.iter().map(|n| neutralise(n)).collect(),
        profiles: string_list(svc.get("profiles")).into_iter().map(|(_, p)| neutralise(&p)).collect(),
    };
    // Facts are shown to the user (evidence): neutralise what came from the file.
    f.name = neutralise(&f.name);
    f.image = neutralise(&f.image);
    f.user = neutralise(&f.user);
    f.network_mode = neutralise(&f.network_mode);
    f.security_opt = f.security_opt.iter().map(|o| neutralise(o)).collect();
    f.devices = f.devices.iter().map(|d| neutralise(d)).collect();
    Ok((
        view,
        ServiceFacts { name: name.to_owned(), key_pos, facts: f, node: svc.clone(), mount_pos, port_pos, device_pos },
    ))
}

/// A host path as Compose resolves it: relative to the project folder, `~` to $HOME.
fn host_path(dir: &Path, p: &str) -> String {
    if let Some(rest) = p.strip_prefix('~') {
        let home = std::env::var("HOME").unwrap_or_default();
        return format!("{home}{rest}");
    }
    if p.starts_with('/') {
        return p.to_owned();
    }
    // Lexically: `./a/../b` → dir/b, as Compose does (no symlinks followed on this machine: the
    // engine's host may not be this one).
    let mut out = dir.to_path_buf();
    for part in Path::new(p).components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::Normal(x) => out.push(x),
            _ => {}
        }
    }
    out.display().to_string()
}

/// One item of `volumes:` → the mount it makes (None for tmpfs and the like), and its text.
fn mount(shown: &str, project: &str, dir: &Path, v: &Node) -> Result<(Option<MountFact>, String)> {
    if let Some(text) = v.as_str() {
        let parts: Vec<&str> = text.split(':').collect();
        let (source, target, mode) = match parts.as_slice() {
            [t] => ("", *t, ""),
            [s, t] => (*s, *t, ""),
            [s, t, m] => (*s, *t, *m),
            _ => return Err(at(shown, v.pos, format!("volumes: {text:?} is not SOURCE:TARGET[:MODE]"))),
        };
        if target.is_empty() {
            return Err(at(shown, v.pos, format!("volumes: {text:?} has no target path")));
        }
        let opts: Vec<&str> = mode.split(',').filter(|o| !o.is_empty()).collect();
        let bind = source.starts_with('/') || source.starts_with('.') || source.starts_with('~');
        let propagation = opts
            .iter()
            .find(|o| matches!(**o, "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate"))
            .copied()
            .unwrap_or_default();
        let m = MountFact {
            kind: if bind { "bind" } else { "volume" }.into(),
            source: if bind {
                host_path(dir, source)
            } else if source.is_empty() {
                String::new()
            } else {
                format!("{project}_{source}")
            },
            destination: target.to_owned(),
            writable: !opts.contains(&"ro"),
            propagation: propagation.to_owned(),
        };
        return Ok((Some(neutralise_mount(m)), text.to_owned()));
    }
    let g = |k: &str| v.get(k).and_then(Node::as_str).unwrap_or_default().to_owned();
    let kind = g("type");
    let source = g("source");
    let target = g("target");
    let text = format!("{kind} {source} → {target}");
    if target.is_empty() {
        return Err(at(shown, v.pos, "volumes: a long-syntax entry has no target"));
    }
    if !matches!(kind.as_str(), "bind" | "volume") {
        return Ok((None, text));
    }
    let m = MountFact {
        source: if kind == "bind" {
            host_path(dir, &source)
        } else if source.is_empty() {
            String::new()
        } else {
            format!("{project}_{source}")
        },
        kind,
        destination: target,
        writable: !truthy(shown, v.get("read_only"))?,
        propagation: v
            .get("bind")
            .and_then(|b| b.get("propagation"))
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_owned(),
    };
    Ok((Some(neutralise_mount(m)), text))
}

fn neutralise_mount(m: MountFact) -> MountFact {
    MountFact {
        kind: m.kind,
        source: neutralise(&m.source),
        destination: neutralise(&m.destination),
        writable: m.writable,
        propagation: neutralise(&m.propagation),
    }
}

fn port_range(shown: &str, pos: Pos, s: &str) -> Result<(u16, u16)> {
    let bad = || at(shown, pos, format!("ports: {s:?} is not a port or a range of ports"));
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let a: u16 = a.trim().parse().map_err(|_| bad())?;
    let b: u16 = b.trim().parse().map_err(|_| bad())?;
    if a == 0 || b < a {
        return Err(bad());
    }
    Ok((a, b))
}

/// One item of `ports:` → the bindings it makes (a range makes several), and its text.
fn ports(shown: &str, p: &Node) -> Result<(Vec<PortFact>, String)> {
    if let Some(text) = p.as_str() {
        let (spec, proto) = text.rsplit_once('/').unwrap_or((text, "tcp"));
        // [HOST_IP:][HOST_PORT:]CONTAINER_PORT, HOST_IP possibly [v6].
        let (ip, rest) = if let Some(r) = spec.strip_prefix('[') {
            let (ip, rest) =
                r.split_once(']').ok_or_else(|| at(shown, p.pos, format!("ports: {text:?} has an unclosed [")))?;
            (ip.to_owned(), rest.strip_prefix(':').unwrap_or(rest))
        } else {
            let parts: Vec<&str> = spec.split(':').collect();
            if parts.len() == 3 {
                (parts[0].to_owned(), &spec[parts[0].len() + 1..])
            } else if parts.len() > 3 {
                // A bare IPv6 address: the last two fields are the ports.
                let cut = spec.rfind(':').and_then(|i| spec[..i].rfind(':')).unwrap_or(0);
                (spec[..cut].to_owned(), &spec[cut + 1..])
            } else {
                (String::new(), spec)
            }
        };
        let (host, container) = match rest.split_once(':') {
            Some((h, c)) => (Some(h), c),
            None => (None, rest),
        };
        let (c0, c1) = port_range(shown, p.pos, container)?;
        let host = match host {
            Some(h) if !h.is_empty() => Some(port_range(shown, p.pos, h)?),
            _ => None,
        };
        if u32::from(c1 - c0) + 1 > MAX_RANGE {
            return Err(at(shown, p.pos, format!("ports: {text:?} is a range of more than {MAX_RANGE} ports")));
        }
        let mut out = Vec::new();
        for (i, cp) in (c0..=c1).enumerate() {
            let hp = match host {
                Some((h0, h1)) if h1 - h0 == c1 - c0 => h0 + i as u16,
                // A host range for one container port: the engine picks one of them.
                Some((h0, _)) => h0,
                None => 0,
            };
            out.push(PortFact {
                container_port: cp,
                protocol: proto.to_owned(),
                host_ip: neutralise(&ip),
                host_port: hp,
            });
        }
        return Ok((out, text.to_owned()));
    }
    let g = |k: &str| p.get(k).and_then(Node::as_str).unwrap_or_default().to_owned();
    let target = g("target");
    let (c0, _) = port_range(shown, p.pos, &target)?;
    let published = g("published");
    let hp = if published.is_empty() { 0 } else { port_range(shown, p.pos, &published)?.0 };
    let proto = Some(g("protocol")).filter(|s| !s.is_empty()).unwrap_or_else(|| "tcp".into());
    let ip = g("host_ip");
    let text = format!("{}{}{}:{target}/{proto}", ip, if ip.is_empty() { "" } else { ":" }, published);
    Ok((
        vec![PortFact { container_port: c0, protocol: neutralise(&proto), host_ip: neutralise(&ip), host_port: hp }],
        text,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<ComposeFile> {
        let mut env = HashMap::new();
        env.insert("PORT".to_owned(), "8080".to_owned());
        parse(text, "compose.yaml", Path::new("/srv/My App"), &Variables::from_maps(env, HashMap::new()))
    }

    #[test]
    fn services_and_their_settings() {
        let f = load_text(
            "name: Shop\nservices:\n  web:\n    image: busybox\n    ports: [\"127.0.0.1:${PORT}:80\", \"443:443/udp\", \"9000-9001:9000-9001\", \"[::1]:53:53\"]\n    volumes: [\"./data:/data:ro\", \"cache:/cache\", \"/tmp\"]\n    mem_limit: 512m\n    cpus: 0.5\n    pids_limit: 100\n    restart: on-failure:3\n    environment: {DOCKER_HOST: tcp://x:2375, B: ~}\n  worker:\n    build: ./w\n    deploy: {resources: {limits: {memory: 1g, pids: 64}}}\nvolumes: {cache: {}}\nnetworks: {back: {}}\n",
        )
        .unwrap();
        assert_eq!(f.view.project, "shop");
        assert_eq!(f.view.volumes, vec!["cache"]);
        let web = &f.services[0].facts;
        assert_eq!(web.ports.len(), 5);
        assert_eq!(
            (web.ports[0].host_ip.as_str(), web.ports[0].host_port, web.ports[0].container_port),
            ("127.0.0.1", 8080, 80)
        );
        assert_eq!((web.ports[1].protocol.as_str(), web.ports[1].host_ip.as_str()), ("udp", ""));
        assert_eq!(web.ports[3].host_port, 9001);
        assert_eq!(web.ports[4].host_ip, "::1");
        assert_eq!(web.mounts[0].source, "/srv/My App/data");
        assert!(!web.mounts[0].writable);
        assert_eq!((web.mounts[1].kind.as_str(), web.mounts[1].source.as_str()), ("volume", "shop_cache"));
        assert_eq!(web.mounts[2].destination, "/tmp");
        assert_eq!((web.memory, web.nano_cpus, web.pids_limit), (512 << 20, 500_000_000, 100));
        assert_eq!((web.restart_policy.as_str(), web.restart_max_retries), ("on-failure", 3));
        assert_eq!(web.docker_host_env.as_deref(), Some("tcp://x:2375"));
        assert_eq!(web.network_mode, "shop_default");
        let worker = &f.services[1];
        assert_eq!((worker.facts.memory, worker.facts.pids_limit), (1 << 30, 64));
        assert_eq!(f.view.services[1].build.as_deref(), Some("./w"));
        assert_eq!(worker.key_pos.line, 12);
    }

    #[test]
    fn bad_values_name_their_line() {
        let e = load_text("services:\n  web:\n    image: x\n    privileged: maybe\n").unwrap_err();
        assert!(e.message.contains("line 4"), "{}", e.message);
        let e = load_text("services:\n  web:\n    ports: [\"99999:80\"]\n").unwrap_err();
        assert!(e.message.contains("line 3"), "{}", e.message);
        let e = load_text("services:\n  web:\n    image: ${NEED:?set NEED}\n").unwrap_err();
        assert!(e.message.contains("NEED") && e.message.contains("line 3"), "{}", e.message);
        assert!(load_text("just a string").is_err());
        assert!(load_text("").is_err());
        assert!(load_text("services:\n  web:\n").is_err());
        assert!(load_text("services:\n  web:\n    ports: [\"1-65535:1-65535\"]\n").is_err());
    }

    #[test]
    fn hostile_bytes_are_refused_by_kind() {
        assert!(decode("f", b"a\0b".to_vec()).unwrap_err().message.contains("binary"));
        assert!(decode("f", b"services:\n\xff\xfe".to_vec()).unwrap_err().message.contains("line 2"));
        assert_eq!(decode("f", b"\xEF\xBB\xBFa: 1".to_vec()).unwrap(), "a: 1");
        assert!(read_text(Path::new("relative.yaml")).is_err());
        assert!(read_text(Path::new("/dev/zero")).unwrap_err().message.contains("/dev"));
        assert!(read_text(Path::new("/proc/self/status")).is_err());
        assert!(read_text(Path::new("/")).unwrap_err().message.contains("regular"));
        assert!(named_like_compose(Path::new("/srv/a/compose.YAML")).is_ok());
        assert!(named_like_compose(Path::new("/etc/shadow")).is_err());
        assert!(named_like_compose(Path::new("/srv/a/compose.yml.txt")).is_err());
    }

    #[test]
    fn byte_sizes_as_compose_reads_them() {
        assert_eq!(parse_bytes("512m"), Some(512 << 20));
        assert_eq!(parse_bytes("1GB"), Some(1 << 30));
        assert_eq!(parse_bytes("1.5g"), Some(1_610_612_736));
        assert_eq!(parse_bytes("100"), Some(100));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(normalise_project("My App!"), "myapp");
        assert_eq!(normalise_project("_x-Y"), "x-y");
    }
}
