//! Containers: list, look up one, inspect.

use crate::engine::Engine;
use crate::error::Result;
use crate::model::{ContainerState, ContainerSummary, PortMapping};
use crate::refs::ContainerRef;
use crate::text::neutralise;
use bollard::models::{ContainerSummary as BContainer, ContainerSummaryStateEnum as S};
use bollard::query_parameters::{InspectContainerOptions, ListContainersOptions};
use std::collections::HashMap;

impl Engine {
    /// Every container (running or not), newest first, as the engine lists them.
    pub async fn list_containers(&self) -> Result<Vec<ContainerSummary>> {
        let opts = ListContainersOptions { all: true, ..Default::default() };
        let raw = self.docker.list_containers(Some(opts)).await?;
        Ok(raw.into_iter().filter_map(container_summary).collect())
    }

    /// One container's row, by full ID; `None` when it no longer exists.
    pub async fn container_summary(&self, id: &ContainerRef) -> Result<Option<ContainerSummary>> {
        let filters = HashMap::from([("id".to_owned(), vec![id.as_str().to_owned()])]);
        let opts = ListContainersOptions { all: true, filters: Some(filters), ..Default::default() };
        let raw = self.docker.list_containers(Some(opts)).await?;
        // The id filter matches prefixes too: keep the exact one.
        Ok(raw.into_iter().filter_map(container_summary).find(|c| c.id == id.as_str()))
    }

    /// `docker inspect` of a container, as the engine returns it.
    pub async fn inspect_container(&self, r: &ContainerRef) -> Result<serde_json::Value> {
        let raw = self.docker.inspect_container(r.as_str(), None::<InspectContainerOptions>).await?;
        Ok(serde_json::to_value(raw)?)
    }
}

fn state(s: Option<S>) -> ContainerState {
    match s {
        Some(S::CREATED) => ContainerState::Created,
        Some(S::RUNNING) => ContainerState::Running,
        Some(S::PAUSED) => ContainerState::Paused,
        Some(S::RESTARTING) => ContainerState::Restarting,
        Some(S::REMOVING) => ContainerState::Removing,
        Some(S::EXITED) => ContainerState::Exited,
        Some(S::DEAD) => ContainerState::Dead,
        _ => ContainerState::Unknown,
    }
}

/// The first 12 characters of an ID, after any `sha256:`.
pub fn short_id(id: &str) -> String {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.chars().take(12).collect()
}

/// Maps the engine's row to ours; rows without an ID are dropped.
pub(crate) fn container_summary(c: BContainer) -> Option<ContainerSummary> {
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
            protocol: p.typ.map_or_else(|| "tcp".to_owned(), |t| t.to_string()),
        })
        .collect();
    ports.sort_by(|a, b| {
        (a.container_port, &a.protocol, a.host_port, &a.host_ip).cmp(&(b.container_port, &b.protocol, b.host_port, &b.host_ip))
    });
    ports.dedup();
    Some(ContainerSummary {
        short_id: short_id(&id),
        id,
        name: neutralise(name),
        image: neutralise(c.image.as_deref().unwrap_or_default()),
        image_id: neutralise(c.image_id.as_deref().unwrap_or_default()),
        command: neutralise(c.command.as_deref().unwrap_or_default()),
        state: state(c.state),
        status: neutralise(c.status.as_deref().unwrap_or_default()),
        ports,
        created: c.created.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{PortSummary, PortSummaryTypeEnum};

    #[test]
    fn maps_a_row() {
        let raw = BContainer {
            id: Some("0123456789abcdef".repeat(4)),
            names: Some(vec!["/other/alias".into(), "/web\u{1b}[1m".into()]),
            image: Some("busybox:latest".into()),
            state: Some(S::RUNNING),
            status: Some("Up 3 seconds".into()),
            ports: Some(vec![
                PortSummary { ip: Some("0.0.0.0".into()), private_port: 80, public_port: Some(8080), typ: Some(PortSummaryTypeEnum::TCP) },
                PortSummary { ip: None, private_port: 53, public_port: None, typ: Some(PortSummaryTypeEnum::UDP) },
                PortSummary { ip: Some("0.0.0.0".into()), private_port: 80, public_port: Some(8080), typ: Some(PortSummaryTypeEnum::TCP) },
            ]),
            created: Some(1_700_000_000),
            ..Default::default()
        };
        let c = container_summary(raw).unwrap();
        assert_eq!(c.short_id, "0123456789ab");
        assert_eq!(c.name, "web\u{FFFD}[1m");
        assert_eq!(c.state, ContainerState::Running);
        assert_eq!(c.ports.len(), 2, "duplicates are folded: {:?}", c.ports);
        assert_eq!(c.ports[0], PortMapping { host_ip: None, host_port: None, container_port: 53, protocol: "udp".into() });
        assert_eq!(c.ports[1].host_port, Some(8080));
        assert_eq!(c.ports[1].host_ip.as_deref(), Some("0.0.0.0"));
        assert!(container_summary(BContainer::default()).is_none());
    }

    #[test]
    fn short_ids() {
        assert_eq!(short_id("sha256:abcdef0123456789"), "abcdef012345");
        assert_eq!(short_id("abc"), "abc");
    }
}
