//! "Recreate hardened": the same container (image, command, environment, volumes, ports,
//! labels, name) with the isolation breaks removed and the safe limits added. The plan is a diff
//! the user reviews first; the recreation keeps the original (stopped, renamed) until the new one
//! runs, and puts it back as it was when the new one fails — nothing is lost either way.

use super::rules::runtime::{exposes_api_socket, DANGEROUS_CAPABILITIES, FIX_PIDS};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::refs::{ContainerName, ContainerRef};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// One setting that changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Change {
    /// The `docker run` flag or setting.
    pub setting: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct HardenPlan {
    pub container_id: String,
    pub name: String,
    pub changes: Vec<Change>,
    /// What stays as it was and is worth knowing (e.g. settings that need a person to decide).
    pub notes: Vec<String>,
    /// The create body (Config + HostConfig), as sent to the engine.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub(crate) body: bollard::models::ContainerCreateBody,
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub was_running: bool,
    /// Networks the container is on besides its primary one (name, aliases): joined after
    /// creation, as `docker network connect` does.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra_networks: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct HardenOutcome {
    /// The new container (with the original name).
    pub id: String,
    pub name: String,
    /// The original, stopped and renamed, kept until the user removes it.
    pub original_id: String,
    pub original_name: String,
    pub changes: Vec<Change>,
}

fn show_opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    match v {
        None => "(not set)".into(),
        Some(x) => {
            let s = x.to_string();
            if s.is_empty() {
                "(default)".into()
            } else {
                s
            }
        }
    }
}

/// The hardened create body for a container, from its inspect, with the diff. The settings are
/// typed (the engine's create body, read from the inspect's Config and HostConfig) and edited
/// field by field.
pub fn plan(inspect: &Value) -> Result<HardenPlan> {
    use bollard::models::{
        ContainerCreateBody, EndpointSettings, HostConfig, NetworkingConfig, RestartPolicy, RestartPolicyNameEnum,
    };
    let incomplete = || Error::new(ErrorKind::Engine, "The engine's description of the container is incomplete.");
    let id = inspect["Id"].as_str().unwrap_or_default().to_owned();
    let name = inspect["Name"].as_str().unwrap_or_default().trim_start_matches('/').to_owned();
    if !inspect["Config"].is_object() || !inspect["HostConfig"].is_object() {
        return Err(incomplete());
    }
    let mut body: ContainerCreateBody = serde_json::from_value(inspect["Config"].clone()).map_err(|_| incomplete())?;
    let mut hc: HostConfig = serde_json::from_value(inspect["HostConfig"].clone()).map_err(|_| incomplete())?;
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    let mut change = |setting: &str, before: String, after: String| {
        if before != after {
            changes.push(Change { setting: setting.into(), before, after });
        }
    };

    if hc.privileged == Some(true) {
        change("--privileged", "on".into(), "off".into());
        hc.privileged = Some(false);
    }
    if let Some(caps) = hc.cap_add.take() {
        let (bad, keep): (Vec<String>, Vec<String>) = caps.into_iter().partition(|c| {
            let c = c.to_ascii_uppercase();
            DANGEROUS_CAPABILITIES.contains(&c.trim_start_matches("CAP_"))
        });
        if !bad.is_empty() {
            change("--cap-add", bad.join(" "), "(removed)".into());
        }
        hc.cap_add = Some(keep);
    }
    for (mode, flag) in [(&mut hc.pid_mode, "--pid"), (&mut hc.ipc_mode, "--ipc"), (&mut hc.uts_mode, "--uts")] {
        if mode.as_deref() == Some("host") {
            change(flag, "host".into(), "(the container's own)".into());
            *mode = Some(String::new());
        }
    }
    if hc.network_mode.as_deref() == Some("host") {
        change("--network", "host".into(), "bridge".into());
        hc.network_mode = Some("bridge".into());
        notes.push("With its own network the container is reached through published ports only (-p).".into());
    }
    if hc.userns_mode.as_deref() == Some("host") {
        change("--userns", "host".into(), "(the engine's)".into());
        hc.userns_mode = Some(String::new());
    }
    // Security options: no unconfined seccomp/AppArmor, no-new-privileges on.
    let opts: Vec<String> = hc.security_opt.clone().unwrap_or_default();
    let mut new_opts: Vec<String> = opts
        .iter()
        .filter(|o| {
            !matches!(
                o.as_str(),
                "seccomp=unconfined" | "seccomp:unconfined" | "apparmor=unconfined" | "apparmor:unconfined"
            )
        })
        .cloned()
        .collect();
    if !new_opts.iter().any(|o| o.starts_with("no-new-privileges")) {
        new_opts.push("no-new-privileges".into());
    }
    if new_opts != opts {
        change("--security-opt", if opts.is_empty() { "(none)".into() } else { opts.join(" ") }, new_opts.join(" "));
        hc.security_opt = Some(new_opts);
    }
    if hc.pids_limit.unwrap_or(0) <= 0 {
        change("--pids-limit", "no limit".into(), FIX_PIDS.to_string());
        hc.pids_limit = Some(FIX_PIDS);
    }
    let five = || Some(RestartPolicy { name: Some(RestartPolicyNameEnum::ON_FAILURE), maximum_retry_count: Some(5) });
    match hc.restart_policy.as_ref().and_then(|r| r.name) {
        Some(n @ (RestartPolicyNameEnum::ALWAYS | RestartPolicyNameEnum::UNLESS_STOPPED)) => {
            change("--restart", n.to_string(), "on-failure:5".into());
            hc.restart_policy = five();
        }
        Some(RestartPolicyNameEnum::ON_FAILURE)
            if hc.restart_policy.as_ref().and_then(|r| r.maximum_retry_count).unwrap_or(0) <= 0 =>
        {
            change("--restart", "on-failure".into(), "on-failure:5".into());
            hc.restart_policy = five();
        }
        _ => {}
    }
    // Ports on every interface → loopback only.
    for (port, bindings) in hc.port_bindings.iter_mut().flatten() {
        for b in bindings.iter_mut().flatten() {
            let ip = b.host_ip.clone().unwrap_or_default();
            if matches!(ip.as_str(), "" | "0.0.0.0" | "::") {
                change(
                    &format!("-p …:{port}"),
                    format!("{}:{}", if ip.is_empty() { "0.0.0.0" } else { &ip }, show_opt(&b.host_port)),
                    format!("127.0.0.1:{}", show_opt(&b.host_port)),
                );
                b.host_ip = Some("127.0.0.1".into());
            }
        }
    }
    // Mounts: API sockets go; sensitive host paths become read-only; every volume stays, named.
    let mounts = super::facts::mounts_of(inspect);
    let mut binds: Vec<String> = Vec::new();
    for m in &mounts {
        let (src, dest, rw, prop) = (&m.source, &m.destination, m.writable, &m.propagation);
        match m.kind.as_str() {
            "bind" => {
                if exposes_api_socket(src) {
                    change(
                        &format!("-v {src}:{dest}"),
                        "mounted".into(),
                        "(removed: an engine API inside is root on the host)".into(),
                    );
                    continue;
                }
                let sensitive = super::rules::runtime::is_sensitive(src);
                let mut opts = vec![if rw && !sensitive { "rw" } else { "ro" }.to_owned()];
                if rw && sensitive {
                    change(&format!("-v {src}:{dest}"), "read-write".into(), "read-only".into());
                }
                if prop == "shared" || prop == "rshared" {
                    change(&format!("-v {src}:{dest}"), format!("propagation {prop}"), "private".into());
                } else if !prop.is_empty() {
                    opts.push(prop.clone());
                }
                binds.push(format!("{src}:{dest}:{}", opts.join(",")));
            }
            // Anonymous volumes too: the new container gets the same data, not a fresh volume.
            "volume" => binds.push(format!("{src}:{dest}:{}", if rw { "rw" } else { "ro" })),
            _ => {}
        }
    }
    if !mounts.is_empty() {
        hc.binds = Some(binds);
        // Binds and volumes given with --mount are among the mounts: now in Binds, not twice.
        // tmpfs mounts stay as they were.
        use bollard::models::MountType as T;
        let rest: Vec<_> = hc
            .mounts
            .take()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| !matches!(m.typ, Some(T::BIND | T::VOLUME)))
            .collect();
        hc.mounts = (!rest.is_empty()).then_some(rest);
    }
    if hc.memory.unwrap_or(0) == 0 {
        notes.push(
            "No memory or CPU limit is added here: set them with the one-click fixes (no restart needed).".into(),
        );
    }
    if body.user.as_deref().unwrap_or_default().is_empty() {
        notes.push(
            "The container still runs as root: choosing a user needs to know the image (its files' owners).".into(),
        );
    }
    // The engine fills these in itself; sending them back pins values it chose.
    body.hostname = None;
    body.domainname = None;
    // Networks: the primary one (NetworkMode) at creation with its aliases, the others joined
    // afterwards, each with its aliases (the engine's automatic short-ID alias left out).
    let short: String = id.chars().take(12).collect();
    let primary = match hc.network_mode.as_deref().unwrap_or_default() {
        "" | "default" => "bridge".to_owned(),
        m => m.to_owned(),
    };
    let mut endpoints = std::collections::HashMap::new();
    let mut extra_networks = Vec::new();
    for (net, ep) in inspect["NetworkSettings"]["Networks"].as_object().into_iter().flatten() {
        let aliases: Vec<String> = ep["Aliases"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|a| *a != short && *a != id)
            .map(str::to_owned)
            .collect();
        if *net == primary {
            if !aliases.is_empty() {
                endpoints.insert(net.clone(), EndpointSettings { aliases: Some(aliases), ..Default::default() });
            }
        } else if !matches!(primary.as_str(), "host" | "none") && !primary.starts_with("container:") {
            extra_networks.push((net.clone(), aliases));
        }
    }
    body.host_config = Some(hc);
    if !endpoints.is_empty() {
        body.networking_config = Some(NetworkingConfig { endpoints_config: Some(endpoints) });
    }
    Ok(HardenPlan {
        container_id: id,
        name,
        changes,
        notes,
        body,
        was_running: inspect["State"]["Running"] == true,
        extra_networks,
    })
}

impl Engine {
    /// The diff a hardened recreation would apply.
    pub async fn harden_plan(&self, c: &ContainerRef) -> Result<HardenPlan> {
        plan(&self.inspect_container(c).await?)
    }

    /// Recreates the container hardened (see the module's notes). On failure the original is
    /// back under its name, in the state it was in, and the error says what happened.
    pub async fn recreate_hardened(&self, c: &ContainerRef) -> Result<HardenOutcome> {
        let p = self.harden_plan(c).await?;
        if p.changes.is_empty() {
            return Err(Error::invalid(
                "Nothing to harden: the container already has every setting this would change.",
            ));
        }
        let original = ContainerRef::parse(&p.container_id)?;
        let name = ContainerName::parse(&p.name)?;
        let short: String = p.container_id.chars().take(12).collect();
        let kept = ContainerName::parse(
            &format!("{}-before-hardening-{short}", p.name).chars().take(120).collect::<String>(),
        )?;

        // 1. The original steps aside: stopped (volumes stay), renamed.
        if p.was_running {
            self.docker
                .stop_container(original.as_str(), None::<bollard::query_parameters::StopContainerOptions>)
                .await
                .map_err(|e| self.fail(e))?;
        }
        if let Err(e) = self.rename(&original, &kept).await {
            self.restore(&original, &name, p.was_running, false).await;
            return Err(e);
        }
        // 2. The new one, with the original name.
        let created = async {
            let body = p.body.clone();
            let opts =
                bollard::query_parameters::CreateContainerOptions { name: Some(p.name.clone()), ..Default::default() };
            self.docker.create_container(Some(opts), body).await.map_err(|e| self.fail(e))
        }
        .await;
        let new_id = match created {
            Ok(r) => r.id,
            Err(e) => {
                self.restore(&original, &name, p.was_running, true).await;
                return Err(Error::new(
                    e.kind,
                    format!(
                        "The hardened container could not be created; the original is back as it was. ({})",
                        e.message
                    ),
                ));
            }
        };
        let new = ContainerRef::parse(&new_id)?;
        for (net, aliases) in &p.extra_networks {
            let req = bollard::models::NetworkConnectRequest {
                container: new_id.clone(),
                endpoint_config: Some(bollard::models::EndpointSettings {
                    aliases: (!aliases.is_empty()).then(|| aliases.clone()),
                    ..Default::default()
                }),
            };
            if let Err(e) = self.docker.connect_network(net, req).await.map_err(|e| self.fail(e)) {
                self.discard(&new).await;
                self.restore(&original, &name, p.was_running, true).await;
                return Err(Error::new(
                    e.kind,
                    format!(
                        "The hardened container could not join network {net}; the original is back as it was. ({})",
                        e.message
                    ),
                ));
            }
        }
        if p.was_running {
            let started = self
                .docker
                .start_container(new.as_str(), None::<bollard::query_parameters::StartContainerOptions>)
                .await
                .map_err(|e| self.fail(e));
            // A program that cannot live with the new settings usually dies at once.
            let failure = match started {
                Err(e) => Some(e.message),
                Ok(()) => {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    let v = self.inspect_container(&new).await?;
                    (v["State"]["Running"] != true).then(|| {
                        format!(
                            "it exited with code {} under the new settings",
                            v["State"]["ExitCode"].as_i64().unwrap_or(-1)
                        )
                    })
                }
            };
            if let Some(why) = failure {
                self.discard(&new).await;
                self.restore(&original, &name, true, true).await;
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "The hardened container did not stay up ({why}); the original is back, running, as it was."
                    ),
                ));
            }
        }
        Ok(HardenOutcome {
            id: new_id,
            name: p.name,
            original_id: p.container_id,
            original_name: kept.as_str().to_owned(),
            changes: p.changes,
        })
    }

    /// Removes the new container of a failed recreation (its anonymous volumes are the
    /// original's, named: they stay).
    async fn discard(&self, new: &ContainerRef) {
        let _ = self
            .docker
            .remove_container(
                new.as_str(),
                Some(bollard::query_parameters::RemoveContainerOptions { force: true, ..Default::default() }),
            )
            .await;
    }

    /// Puts the original back: its name, and running if it was.
    async fn restore(&self, original: &ContainerRef, name: &ContainerName, was_running: bool, renamed: bool) {
        if renamed {
            let _ = self.rename(original, name).await;
        }
        if was_running {
            let _ = self
                .docker
                .start_container(original.as_str(), None::<bollard::query_parameters::StartContainerOptions>)
                .await;
        }
    }
}

#[cfg(test)]
mod typed_plan_tests {
    use super::*;
    use serde_json::json;

    fn inspect(hc: Value) -> Value {
        json!({
            "Id": "ab12".repeat(16), "Name": "/web", "State": { "Running": true },
            "Config": { "Image": "busybox", "Cmd": ["sleep", "60"], "Hostname": "ab12ab12ab12", "Env": ["A=1"],
                        "ExposedPorts": { "80/tcp": {} } },
            "HostConfig": hc, "Mounts": [], "NetworkSettings": { "Networks": {} }
        })
    }

    #[test]
    fn edits_typed_settings() {
        let p = plan(&inspect(json!({
            "Privileged": true, "CapAdd": ["SYS_ADMIN", "NET_BIND_SERVICE"], "PidMode": "host",
            "RestartPolicy": { "Name": "always", "MaximumRetryCount": 0 },
            "PortBindings": { "80/tcp": [{ "HostIp": "", "HostPort": "8080" }] },
            "SecurityOpt": ["seccomp=unconfined"], "PidsLimit": 0
        })))
        .unwrap();
        let hc = p.body.host_config.as_ref().unwrap();
        assert_eq!(hc.privileged, Some(false));
        assert_eq!(hc.cap_add.as_deref(), Some(&["NET_BIND_SERVICE".to_owned()][..]));
        assert_eq!(hc.pid_mode.as_deref(), Some(""));
        assert_eq!(hc.pids_limit, Some(FIX_PIDS));
        assert_eq!(hc.security_opt.as_deref(), Some(&["no-new-privileges".to_owned()][..]));
        let r = hc.restart_policy.as_ref().unwrap();
        assert_eq!(
            (r.name, r.maximum_retry_count),
            (Some(bollard::models::RestartPolicyNameEnum::ON_FAILURE), Some(5))
        );
        let b = &hc.port_bindings.as_ref().unwrap()["80/tcp"].as_ref().unwrap()[0];
        assert_eq!((b.host_ip.as_deref(), b.host_port.as_deref()), (Some("127.0.0.1"), Some("8080")));
        assert_eq!(p.body.hostname, None, "the engine's own hostname is not pinned");
        assert_eq!(p.body.env.as_deref(), Some(&["A=1".to_owned()][..]), "the rest stays");
        let settings: Vec<&str> = p.changes.iter().map(|c| c.setting.as_str()).collect();
        for s in ["--privileged", "--cap-add", "--pid", "--restart", "-p …:80/tcp", "--security-opt", "--pids-limit"]
        {
            assert!(settings.contains(&s), "{s}: {settings:?}");
        }
    }

    #[test]
    fn a_malformed_inspect_is_a_typed_error() {
        let e = plan(&inspect(json!({ "PidsLimit": "lots" }))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Engine);
        assert_eq!(plan(&json!({ "Id": "x" })).unwrap_err().kind, ErrorKind::Engine);
    }
}
