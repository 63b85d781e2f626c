//! The security review: every container scored from `docker inspect` and from the kernel.
//!
//! - `facts`: what is looked at, normalised (and neutralised: engine data is hostile);
//! - `host`: kernel truth from /proc and /sys/fs/cgroup, under a configurable root;
//! - `rules`: the catalogue, rules as data plus pure checks;
//! - `report`: scores, JSON, SARIF, the table.

pub mod alerts;
pub mod facts;
pub mod fleet;
pub mod harden;
pub mod host;
mod remote;
pub mod report;
pub mod review;
pub mod rules;

use crate::engine::{Endpoint, Engine};
use crate::error::{Error, Result};
use crate::refs::ContainerRef;
use facts::{ContainerFacts, EngineFacts, ImageFacts, Probe, SocketFacts};
use host::HostRoot;
use report::{AuditReport, ContainerReport, EngineReport, ImageReport};
use serde_json::Value;

/// What to audit.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Empty: every container (running or not).
    pub containers: Vec<ContainerRef>,
    /// Also review the containers' images (configuration and history).
    pub images: bool,
}

impl Engine {
    async fn get_json(&self, path: &str) -> Result<Value> {
        let body = crate::http::get(self.transport(), self.version().api, path).await?;
        serde_json::from_slice(&body).map_err(|e| {
            Error::new(crate::ErrorKind::Engine, format!("The engine answered {path} with invalid JSON: {e}"))
        })
    }

    /// Podman's compat `/info` does not say whether it runs rootless; its own API does.
    pub(crate) async fn podman_rootless(&self) -> bool {
        if self.version().product != "Podman" {
            return false;
        }
        self.get_json("/libpod/info")
            .await
            .ok()
            .and_then(|v| v["host"]["security"]["rootless"].as_bool())
            .unwrap_or(false)
    }

    /// The engine's and the host's settings that the engine rules read.
    pub async fn engine_facts(&self, host: &HostRoot) -> Result<EngineFacts> {
        let info = self.get_json("/info").await?;
        let options: Vec<String> = info["SecurityOptions"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let has = |n: &str| options.iter().any(|o| crate::system::parse_security_option(o).name == n);
        let icc = match self.get_json("/networks/bridge").await {
            Ok(n) => Some(n["Options"]["com.docker.network.bridge.enable_icc"].as_str() != Some("false")),
            Err(_) => None,
        };
        let mut insecure: Vec<String> = info["RegistryConfig"]["InsecureRegistryCIDRs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|c| *c != "127.0.0.0/8" && *c != "::1/128")
            .map(crate::text::neutralise)
            .collect();
        for (name, idx) in info["RegistryConfig"]["IndexConfigs"].as_object().into_iter().flatten() {
            if idx["Secure"] == Value::Bool(false) && !name.starts_with("127.") && !name.starts_with("localhost") {
                insecure.push(crate::text::neutralise(name));
            }
        }
        let local = matches!(self.endpoint(), Endpoint::Unix(_));
        let (socket, members) = match self.endpoint() {
            Endpoint::Unix(path) => socket_facts(host, &path.to_string_lossy()),
            Endpoint::Tcp(_) | Endpoint::Tls { .. } => (
                Probe::unknown("the engine is reached over TCP: there is no socket file here"),
                Probe::unknown("the engine is reached over TCP"),
            ),
            Endpoint::Ssh(_) => (
                Probe::unknown("remote engine: its socket is on the SSH host, not on this machine"),
                Probe::unknown("remote engine: the socket's group is on the SSH host"),
            ),
        };
        let storage_dir = crate::text::neutralise(info["DockerRootDir"].as_str().unwrap_or_default());
        let storage_on_root_fs = if local {
            use std::os::unix::fs::MetadataExt;
            match (std::fs::metadata(host.path(&storage_dir)), std::fs::metadata(host.path("/"))) {
                (Ok(a), Ok(b)) => Probe::Known { value: a.dev() == b.dev() },
                (Err(e), _) | (_, Err(e)) => Probe::unknown(format!("{storage_dir}: {e}")),
            }
        } else {
            Probe::unknown("remote engine: it runs on another machine")
        };
        let log_opts = if local {
            match std::fs::read_to_string(host.path("/etc/docker/daemon.json")) {
                Ok(t) => match serde_json::from_str::<Value>(&t) {
                    Ok(v) => Probe::Known {
                        value: v["log-opts"]
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(k, v)| crate::text::neutralise(&format!("{k}={}", v.as_str().unwrap_or_default())))
                            .collect(),
                    },
                    Err(e) => Probe::unknown(format!("/etc/docker/daemon.json: {e}")),
                },
                // No daemon.json: the engine's defaults (no log options).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Probe::Known { value: Vec::new() },
                Err(e) => Probe::unknown(format!("/etc/docker/daemon.json: {e}")),
            }
        } else {
            Probe::unknown("remote engine: it runs on another machine")
        };
        Ok(EngineFacts {
            endpoint: self.endpoint().to_string(),
            local,
            tcp_plain: matches!(self.endpoint(), Endpoint::Tcp(_)),
            tls_unverified: matches!(self.endpoint(), Endpoint::Tls { files, .. } if !files.verify),
            product: self.version().product.clone(),
            userns_remap: has("userns"),
            rootless: has("rootless") || self.podman_rootless().await,
            live_restore: info["LiveRestoreEnabled"].as_bool().unwrap_or(false),
            seccomp: has("seccomp"),
            apparmor: has("apparmor"),
            // Podman's compat API always says true: it has no experimental mode to turn off.
            experimental: info["ExperimentalBuild"].as_bool().unwrap_or(false) && self.version().product != "Podman",
            icc,
            insecure_registries: insecure,
            logging_driver: crate::text::neutralise(info["LoggingDriver"].as_str().unwrap_or_default()),
            log_opts,
            socket,
            socket_group_members: members,
            storage_dir,
            storage_driver: crate::text::neutralise(info["Driver"].as_str().unwrap_or_default()),
            storage_on_root_fs,
        })
    }

    /// A container's configuration, normalised.
    pub async fn container_facts(&self, c: &ContainerRef) -> Result<ContainerFacts> {
        let v = self.get_json(&format!("/containers/{}/json", c.as_str())).await?;
        Ok(ContainerFacts::from_inspect(&v))
    }

    /// One container's review: configuration, kernel, findings, score.
    pub async fn review_container(
        &self,
        c: &ContainerRef,
        host: &HostRoot,
        engine: Option<&EngineFacts>,
    ) -> Result<ContainerReport> {
        let (facts, changes) = tokio::join!(self.container_facts(c), self.container_changes(c));
        let mut facts = facts?;
        // What it changed is evidence when the engine says; a review does not fail without it.
        facts.system_changes = crate::files::system_changes(&changes.unwrap_or_default());
        let local = engine.map_or(matches!(self.endpoint(), Endpoint::Unix(_)), |e| e.local);
        let kernel = match self.endpoint() {
            // The SSH host's own files, read over SSH: its kernel's truth.
            Endpoint::Ssh(addr) => remote::kernel_facts(addr, &facts.id, &facts.command, facts.pid).await,
            _ => host.kernel_facts_of(&facts.id, &facts.command, facts.pid, local),
        };
        Ok(report::container_report(facts, kernel, engine))
    }

    /// One container's review with what it shares with the others (networks, volumes).
    pub async fn review_container_shared(
        &self,
        c: &ContainerRef,
        host: &HostRoot,
        engine: Option<&EngineFacts>,
    ) -> Result<ContainerReport> {
        let r = self.review_container(c, host, engine).await?;
        let (list, networks) = tokio::try_join!(self.get_json("/containers/json?all=1"), self.list_networks())?;
        Ok(r.with_topology(&rules::topology::Topology::from_list(&list, networks)))
    }

    /// Applies a one-click fix (`docker update`) to a container as it is, then reviews it again,
    /// the kernel's values re-read, so the caller sees whether it took effect.
    pub async fn apply_quick_fix(
        &self,
        c: &ContainerRef,
        fix: rules::QuickFix,
        host: &HostRoot,
        engine: Option<&EngineFacts>,
    ) -> Result<ContainerReport> {
        fix.validate()?;
        let body = match fix {
            rules::QuickFix::PidsLimit { limit } => {
                bollard::models::ContainerUpdateBody { pids_limit: Some(limit), ..Default::default() }
            }
            // Swap stays at most as large as the memory again (docker's own default for --memory).
            rules::QuickFix::Memory { bytes } => bollard::models::ContainerUpdateBody {
                memory: Some(bytes),
                memory_swap: Some(bytes.saturating_mul(2)),
                ..Default::default()
            },
            rules::QuickFix::Cpus { nano_cpus } => {
                bollard::models::ContainerUpdateBody { nano_cpus: Some(nano_cpus), ..Default::default() }
            }
        };
        self.docker.update_container(c.as_str(), body).await.map_err(|e| self.fail(e))?;
        self.review_container(c, host, engine).await
    }

    /// An image's review, by the image ID a container runs (`sha256:<hex>`).
    pub async fn review_image(&self, reference: &str, image_id: &str) -> Result<ImageReport> {
        let hex = image_id.strip_prefix("sha256:").unwrap_or(image_id);
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::invalid("image: not an image ID"));
        }
        let inspect = self.get_json(&format!("/images/sha256:{hex}/json")).await?;
        let history = self.get_json(&format!("/images/sha256:{hex}/history")).await?;
        let facts = ImageFacts::from_inspect(reference, &inspect, &history);
        Ok(ImageReport {
            reference: facts.reference.clone(),
            id: facts.id.clone(),
            findings: rules::check_image(&facts),
            error: None,
        })
    }

    /// The whole review: the engine, then each container (and, when asked, each image once).
    pub async fn audit(&self, opts: &AuditOptions, host: &HostRoot) -> Result<AuditReport> {
        let engine = self.engine_facts(host).await?;
        // Every container (and network) is read even when only some are reviewed: what a
        // container shares with the others is judged over all of them.
        let list = self.get_json("/containers/json?all=1").await?;
        let ids: Vec<ContainerRef> = if opts.containers.is_empty() {
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["Id"].as_str())
                .filter_map(|id| ContainerRef::parse(id).ok())
                .collect()
        } else {
            opts.containers.clone()
        };
        // A few at a time: the engine answers inspects in parallel.
        let mut containers = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(8) {
            let reviews =
                futures_util::future::join_all(chunk.iter().map(|c| self.review_container(c, host, Some(&engine))));
            for (c, r) in chunk.iter().zip(reviews.await) {
                match r {
                    Ok(r) => containers.push(r),
                    // Removed while we looked: skip it when auditing everything.
                    Err(e) if opts.containers.is_empty() && e.kind == crate::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::new(e.kind, format!("{}: {}", c.as_str(), e.message))),
                }
            }
        }
        let topology = rules::topology::Topology::from_list(&list, self.list_networks().await.unwrap_or_default());
        let containers: Vec<ContainerReport> = containers.into_iter().map(|r| r.with_topology(&topology)).collect();
        let images = if opts.images { self.review_images(&containers, None).await } else { Vec::new() };
        let engine = EngineReport { findings: rules::check_engine(&engine), facts: engine };
        Ok(AuditReport::new(engine, containers, images, crate::time::now_rfc3339()))
    }
}

impl Engine {
    /// The images the containers run, each reviewed once (by image ID). One that cannot be
    /// reviewed is reported as such, with the reason — never as an image without findings.
    /// With a cache, reviews of images already seen are reused.
    pub(crate) async fn review_images(
        &self,
        containers: &[ContainerReport],
        cache: Option<&review::ReviewCache>,
    ) -> Vec<ImageReport> {
        let mut images = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for c in containers {
            let id = c.facts.image_id.clone();
            if id.is_empty() || !seen.insert(id.clone()) {
                continue;
            }
            if let Some(r) = cache.and_then(|k| k.image(&id)) {
                images.push(r);
                continue;
            }
            match self.review_image(&c.image, &id).await {
                Ok(r) => {
                    if let Some(k) = cache {
                        k.keep_image(&r);
                    }
                    images.push(r);
                }
                Err(e) => images.push(ImageReport {
                    reference: crate::text::neutralise(&c.image),
                    id: crate::text::neutralise(&id),
                    findings: Vec::new(),
                    error: Some(format!("could not review: {}", e.message)),
                }),
            }
        }
        images
    }
}

/// The socket's owner, group and mode, and the members of its group (from /etc/group and the
/// primary groups in /etc/passwd).
fn socket_facts(host: &HostRoot, path: &str) -> (Probe<SocketFacts>, Probe<Vec<String>>) {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::metadata(host.path(path)) {
        Ok(m) => m,
        Err(e) => {
            let r = format!("{path}: {e}");
            return (Probe::unknown(r.clone()), Probe::unknown(r));
        }
    };
    let passwd = std::fs::read_to_string(host.path("/etc/passwd")).unwrap_or_default();
    let group = std::fs::read_to_string(host.path("/etc/group")).unwrap_or_default();
    let user_name = |uid: u32| {
        passwd
            .lines()
            .find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 2 && f[2].parse() == Ok(uid)).then(|| f[0].to_owned())
            })
            .unwrap_or_else(|| uid.to_string())
    };
    let group_line =
        group.lines().map(|l| l.split(':').collect::<Vec<_>>()).find(|f| f.len() > 3 && f[2].parse() == Ok(meta.gid()));
    let group_name = group_line.as_ref().map_or_else(|| meta.gid().to_string(), |f| f[0].to_owned());
    let socket = SocketFacts {
        path: crate::text::neutralise(path),
        owner: user_name(meta.uid()),
        group: group_name,
        mode: format!("{:o}", meta.mode() & 0o7777),
    };
    let members = match group_line {
        Some(f) => {
            let mut m: Vec<String> = f[3].split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
            for l in passwd.lines() {
                let p: Vec<&str> = l.split(':').collect();
                if p.len() > 3 && p[3].parse() == Ok(meta.gid()) && !m.iter().any(|x| x == p[0]) {
                    m.push(p[0].to_owned());
                }
            }
            Probe::Known { value: crate::text::neutralise_all(m) }
        }
        None => Probe::unknown(format!("group {} is not in /etc/group", meta.gid())),
    };
    (Probe::Known { value: socket }, members)
}
