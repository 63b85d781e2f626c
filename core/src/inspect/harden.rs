//! "Recreate hardened": the same container (image, command, environment, volumes, ports,
//! labels, name) with the isolation breaks removed and the safe limits added. The plan is a diff
//! the user reviews first; the recreation keeps the original (stopped, renamed) until the new one
//! runs, and puts it back as it was when the new one fails — nothing is lost either way.

use super::rules::runtime::{exposes_api_socket, DANGEROUS_CAPABILITIES, FIX_PIDS};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::refs::{ContainerName, ContainerRef};
use serde::Serialize;
use serde_json::{json, Value};
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
    pub body: Value,
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

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(not set)".into(),
        Value::String(s) if s.is_empty() => "(default)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The hardened create body for a container, from its inspect, with the diff.
pub fn plan(inspect: &Value) -> Result<HardenPlan> {
    let id = inspect["Id"].as_str().unwrap_or_default().to_owned();
    let name = inspect["Name"].as_str().unwrap_or_default().trim_start_matches('/').to_owned();
    let mut config = inspect["Config"].clone();
    let mut hc = inspect["HostConfig"].clone();
    if !config.is_object() || !hc.is_object() {
        return Err(Error::new(ErrorKind::Engine, "The engine's description of the container is incomplete."));
    }
    let mut changes = Vec::new();
    let mut notes = Vec::new();
    let mut change = |setting: &str, before: String, after: String| {
        if before != after {
            changes.push(Change { setting: setting.into(), before, after });
        }
    };

    if hc["Privileged"] == Value::Bool(true) {
        change("--privileged", "on".into(), "off".into());
        hc["Privileged"] = Value::Bool(false);
    }
    if let Some(caps) = hc["CapAdd"].as_array().cloned() {
        let (bad, keep): (Vec<Value>, Vec<Value>) = caps.into_iter().partition(|c| {
            let c = c.as_str().unwrap_or_default().to_ascii_uppercase();
            DANGEROUS_CAPABILITIES.contains(&c.trim_start_matches("CAP_"))
        });
        if !bad.is_empty() {
            change("--cap-add", bad.iter().map(show).collect::<Vec<_>>().join(" "), "(removed)".into());
            hc["CapAdd"] = Value::Array(keep);
        }
    }
    for (field, flag) in [("PidMode", "--pid"), ("IpcMode", "--ipc"), ("UTSMode", "--uts")] {
        if hc[field] == "host" {
            change(flag, "host".into(), "(the container's own)".into());
            hc[field] = Value::String(String::new());
        }
    }
    if hc["NetworkMode"] == "host" {
        change("--network", "host".into(), "bridge".into());
        hc["NetworkMode"] = Value::String("bridge".into());
        notes.push("With its own network the container is reached through published ports only (-p).".into());
    }
    if hc["UsernsMode"] == "host" {
        change("--userns", "host".into(), "(the engine's)".into());
        hc["UsernsMode"] = Value::String(String::new());
    }
    // Security options: no unconfined seccomp/AppArmor, no-new-privileges on.
    let opts: Vec<String> =
        hc["SecurityOpt"].as_array().into_iter().flatten().filter_map(|o| o.as_str().map(str::to_owned)).collect();
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
        hc["SecurityOpt"] = json!(new_opts);
    }
    if hc["PidsLimit"].as_i64().unwrap_or(0) <= 0 {
        change("--pids-limit", "no limit".into(), FIX_PIDS.to_string());
        hc["PidsLimit"] = json!(FIX_PIDS);
    }
    match hc["RestartPolicy"]["Name"].as_str().unwrap_or_default() {
        "always" | "unless-stopped" => {
            change("--restart", show(&hc["RestartPolicy"]["Name"]), "on-failure:5".into());
            hc["RestartPolicy"] = json!({ "Name": "on-failure", "MaximumRetryCount": 5 });
        }
        "on-failure" if hc["RestartPolicy"]["MaximumRetryCount"].as_i64().unwrap_or(0) <= 0 => {
            change("--restart", "on-failure".into(), "on-failure:5".into());
            hc["RestartPolicy"]["MaximumRetryCount"] = json!(5);
        }
        _ => {}
    }
    // Ports on every interface → loopback only.
    if let Some(map) = hc["PortBindings"].as_object_mut() {
        for (port, bindings) in map.iter_mut() {
            for b in bindings.as_array_mut().into_iter().flatten() {
                let ip = b["HostIp"].as_str().unwrap_or_default().to_owned();
                if matches!(ip.as_str(), "" | "0.0.0.0" | "::") {
                    change(
                        &format!("-p …:{port}"),
                        format!("{}:{}", if ip.is_empty() { "0.0.0.0" } else { &ip }, show(&b["HostPort"])),
                        format!("127.0.0.1:{}", show(&b["HostPort"])),
                    );
                    b["HostIp"] = Value::String("127.0.0.1".into());
                }
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
        hc["Binds"] = json!(binds);
        // Binds and volumes given with --mount are among the mounts: now in Binds, not twice.
        // tmpfs mounts stay as they were.
        let rest: Vec<Value> = hc["Mounts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| !matches!(m["Type"].as_str(), Some("bind" | "volume")))
            .cloned()
            .collect();
        hc["Mounts"] = if rest.is_empty() { Value::Null } else { Value::Array(rest) };
    }
    if hc["Memory"].as_i64().unwrap_or(0) == 0 {
        notes.push(
            "No memory or CPU limit is added here: set them with the one-click fixes (no restart needed).".into(),
        );
    }
    if config["User"].as_str().unwrap_or_default().is_empty() {
        notes.push(
            "The container still runs as root: choosing a user needs to know the image (its files' owners).".into(),
        );
    }
    // The engine fills these in itself; sending them back pins values it chose.
    for k in ["Hostname", "Domainname"] {
        if let Some(o) = config.as_object_mut() {
            o.remove(k);
        }
    }
    // Networks: the primary one (NetworkMode) at creation with its aliases, the others joined
    // afterwards, each with its aliases (the engine's automatic short-ID alias left out).
    let short: String = id.chars().take(12).collect();
    let primary = match hc["NetworkMode"].as_str().unwrap_or_default() {
        "" | "default" => "bridge".to_owned(),
        m => m.to_owned(),
    };
    let mut endpoints = serde_json::Map::new();
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
                endpoints.insert(net.clone(), json!({ "Aliases": aliases }));
            }
        } else if !matches!(primary.as_str(), "host" | "none") && !primary.starts_with("container:") {
            extra_networks.push((net.clone(), aliases));
        }
    }
    let mut body = config;
    body["HostConfig"] = hc;
    if !endpoints.is_empty() {
        body["NetworkingConfig"] = json!({ "EndpointsConfig": endpoints });
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
            let body: bollard::models::ContainerCreateBody = serde_json::from_value(p.body.clone()).map_err(|e| {
                Error::new(ErrorKind::Internal, format!("The hardened settings do not form a valid container: {e}"))
            })?;
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
