//! Containers: list, look up one, inspect.

use crate::engine::Engine;
use crate::error::Result;
use crate::model::{ContainerState, ContainerSummary, MountSummary, NetworkEndpoint, PortMapping};
use crate::refs::ContainerRef;
use crate::text::neutralise;
use bollard::query_parameters::InspectContainerOptions;
use serde::Deserialize;

impl Engine {
    /// Every container (running or not), newest first, as the engine lists them.
    pub async fn list_containers(&self) -> Result<Vec<ContainerSummary>> {
        let body = crate::http::get(self.transport(), self.version().api, "/containers/json?all=1").await?;
        parse_container_list(&body)
    }

    /// One container's row, by full ID; `None` when it no longer exists.
    pub async fn container_summary(&self, id: &ContainerRef) -> Result<Option<ContainerSummary>> {
        // filters={"id":["<id>"]}; a ContainerRef holds only [A-Za-z0-9_.-], nothing to escape.
        let q = format!("/containers/json?all=1&filters=%7B%22id%22%3A%5B%22{}%22%5D%7D", id.as_str());
        let body = crate::http::get(self.transport(), self.version().api, &q).await?;
        // The id filter matches prefixes too: keep the exact one.
        Ok(parse_container_list(&body)?.into_iter().find(|c| c.id == id.as_str()))
    }

    /// `docker inspect` of a container, as the engine returns it.
    pub async fn inspect_container(&self, r: &ContainerRef) -> Result<serde_json::Value> {
        let raw = self
            .docker
            .inspect_container(r.as_str(), None::<InspectContainerOptions>)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(serde_json::to_value(raw)?)
    }
}

/// A row of `GET /containers/json` with only the fields the list shows; the rest is skipped
/// by the parser instead of being built and thrown away.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawContainer {
    id: Option<String>,
    #[serde(default)]
    names: Option<Vec<String>>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default, rename = "ImageID")]
    image_id: Option<String>,
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    ports: Option<Vec<RawPort>>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    mounts: Option<Vec<RawMount>>,
    #[serde(default)]
    network_settings: Option<RawNetworkSettings>,
    #[serde(default)]
    host_config: Option<RawHostConfig>,
    #[serde(default, deserialize_with = "crate::compose::labels::deserialize_compose_labels")]
    labels: Option<crate::compose::ComposeLabels>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawMount {
    #[serde(default, rename = "Type")]
    typ: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    destination: Option<String>,
    #[serde(default, rename = "RW")]
    rw: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawNetworkSettings {
    #[serde(default)]
    networks: Option<std::collections::BTreeMap<String, RawEndpoint>>,
}

#[derive(Deserialize)]
struct RawEndpoint {
    #[serde(default, rename = "NetworkID")]
    network_id: Option<String>,
    #[serde(default, rename = "IPAddress")]
    ip_address: Option<String>,
    #[serde(default, rename = "GlobalIPv6Address")]
    ipv6: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawHostConfig {
    #[serde(default)]
    network_mode: Option<String>,
}

#[derive(Deserialize)]
struct RawPort {
    #[serde(default, rename = "IP")]
    ip: Option<String>,
    #[serde(default, rename = "PrivatePort")]
    private_port: u16,
    #[serde(default, rename = "PublicPort")]
    public_port: Option<u16>,
    #[serde(default, rename = "Type")]
    typ: Option<String>,
}

pub(crate) fn parse_container_list(body: &[u8]) -> Result<Vec<ContainerSummary>> {
    let rows: Option<Vec<RawContainer>> =
        serde_json::from_slice(body).map_err(|e| crate::Error::unreadable("container list", e))?;
    Ok(rows.unwrap_or_default().into_iter().filter_map(container_summary).collect())
}

fn state(s: Option<&str>) -> ContainerState {
    match s {
        Some("created") => ContainerState::Created,
        Some("running") => ContainerState::Running,
        Some("paused") => ContainerState::Paused,
        Some("restarting") => ContainerState::Restarting,
        Some("removing") => ContainerState::Removing,
        Some("exited") => ContainerState::Exited,
        Some("dead") => ContainerState::Dead,
        _ => ContainerState::Unknown,
    }
}

/// The first 12 characters of an ID, after any `sha256:`.
pub fn short_id(id: &str) -> String {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.chars().take(12).collect()
}

/// Maps the engine's row to ours; rows without an ID are dropped.
fn container_summary(c: RawContainer) -> Option<ContainerSummary> {
    let id = neutralise(c.id.as_deref()?);
    // The primary name is the one without a further '/' (others are legacy link aliases).
    let names = c.names.unwrap_or_default();
    let name = names
        .iter()
        .map(|n| n.strip_prefix('/').unwrap_or(n))
        .find(|n| !n.contains('/'))
        .or_else(|| names.first().map(|n| n.trim_start_matches('/')))
        .unwrap_or_default();
    let mut ports: Vec<PortMapping> = c
        .ports
        .unwrap_or_default()
        .into_iter()
        .map(|p| PortMapping {
            host_ip: p.ip.filter(|ip| !ip.is_empty()).map(|ip| neutralise(&ip)),
            host_port: p.public_port.filter(|&port| port != 0),
            container_port: p.private_port,
            protocol: p.typ.filter(|t| !t.is_empty()).map_or_else(|| "tcp".to_owned(), |t| neutralise(&t)),
        })
        .collect();
    ports.sort_by(|a, b| {
        (a.container_port, &a.protocol, a.host_port, &a.host_ip).cmp(&(
            b.container_port,
            &b.protocol,
            b.host_port,
            &b.host_ip,
        ))
    });
    ports.dedup();
    let mounts = c
        .mounts
        .unwrap_or_default()
        .into_iter()
        .map(|m| MountSummary {
            kind: neutralise(m.typ.as_deref().unwrap_or_default()),
            name: m.name.filter(|n| !n.is_empty()).map(|n| neutralise(&n)),
            source: neutralise(m.source.as_deref().unwrap_or_default()),
            destination: neutralise(m.destination.as_deref().unwrap_or_default()),
            rw: m.rw.unwrap_or(true),
        })
        .collect();
    let networks = c
        .network_settings
        .and_then(|n| n.networks)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, e)| NetworkEndpoint {
            network: neutralise(&name),
            network_id: neutralise(e.network_id.as_deref().unwrap_or_default()),
            ipv4: neutralise(e.ip_address.as_deref().unwrap_or_default()),
            ipv6: neutralise(e.ipv6.as_deref().unwrap_or_default()),
        })
        .collect();
    Some(ContainerSummary {
        mounts,
        networks,
        network_mode: neutralise(c.host_config.and_then(|h| h.network_mode).as_deref().unwrap_or_default()),
        compose: c.labels,
        short_id: short_id(&id),
        id,
        name: neutralise(name),
        image: neutralise(c.image.as_deref().unwrap_or_default()),
        image_id: neutralise(c.image_id.as_deref().unwrap_or_default()),
        command: neutralise(c.command.as_deref().unwrap_or_default()),
        state: state(c.state.as_deref()),
        status: neutralise(c.status.as_deref().unwrap_or_default()),
        ports,
        created: c.created.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_row_of_the_wire_format() {
        let id = "0123456789abcdef".repeat(4);
        let body = format!(
            r#"[{{"Id":"{id}","Names":["/other/alias","/web\u001b[1m"],"Image":"busybox:latest","ImageID":"sha256:ee",
            "Command":"httpd -f \u003e x","Created":1700000000,"State":"running","Status":"Up 3 seconds",
            "Ports":[{{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"}},{{"PrivatePort":53,"Type":"udp"}},
                     {{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"}}],
            "Labels":{{"a":"b"}},"NetworkSettings":{{"Networks":{{}}}},"Mounts":[],"HostConfig":{{"NetworkMode":"default"}}}},
            {{"Names":null}}]"#
        );
        let list = parse_container_list(body.as_bytes()).unwrap();
        assert_eq!(list.len(), 1, "rows without an ID are dropped");
        let c = &list[0];
        assert_eq!(c.short_id, "0123456789ab");
        assert_eq!(c.name, "web\u{FFFD}[1m", "the primary name, control characters neutralised");
        assert_eq!(c.command, "httpd -f > x");
        assert_eq!(c.state, ContainerState::Running);
        assert_eq!(c.created, 1_700_000_000);
        assert_eq!(c.ports.len(), 2, "duplicates are folded: {:?}", c.ports);
        assert_eq!(
            c.ports[0],
            PortMapping { host_ip: None, host_port: None, container_port: 53, protocol: "udp".into() }
        );
        assert_eq!(c.ports[1].host_port, Some(8080));
        assert_eq!(c.ports[1].host_ip.as_deref(), Some("0.0.0.0"));
    }

    #[test]
    fn null_and_garbage() {
        assert!(parse_container_list(b"null").unwrap().is_empty());
        let e = parse_container_list(b"{\"not\":\"a list\"}").unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Engine);
    }

    #[test]
    fn short_ids() {
        assert_eq!(short_id("sha256:abcdef0123456789"), "abcdef012345");
        assert_eq!(short_id("abc"), "abc");
    }
}
