//! Rules about what a container shares with others: its networks (who can reach it) and its
//! volumes (who else writes its data). They look at every container and network of the
//! engine at once, so they run when the whole engine is reviewed (the audit, the Security
//! view), on top of each container's own review.

use super::{when, Rule, Scope, Severity};
use crate::inspect::facts::ContainerFacts;
use crate::networks::NetworkSummary;
use std::collections::BTreeSet;

/// Compose's project label.
pub const PROJECT_LABEL: &str = "com.docker.compose.project";

/// A container as the others see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peer {
    pub id: String,
    pub name: String,
    /// The image's ID, and as the user named it.
    pub image_id: String,
    pub image: String,
    /// Its Compose project, if any.
    pub project: Option<String>,
    pub running: bool,
    /// Volumes it mounts read-write, by name.
    pub volumes_rw: Vec<String>,
    /// Networks it is on, by ID.
    pub networks: Vec<String>,
}

/// Every container and network of an engine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topology {
    pub containers: Vec<Peer>,
    pub networks: Vec<NetworkSummary>,
}

impl Topology {
    /// From the engine's container list (`GET /containers/json?all=1`, as JSON) and networks.
    pub fn from_list(list: &serde_json::Value, networks: Vec<NetworkSummary>) -> Topology {
        let s = |v: &serde_json::Value| crate::text::neutralise(v.as_str().unwrap_or_default());
        let containers = list
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| Peer {
                id: s(&c["Id"]),
                name: c["Names"]
                    .as_array()
                    .and_then(|n| n.first())
                    .map(|n| s(n).trim_start_matches('/').to_owned())
                    .unwrap_or_default(),
                image_id: s(&c["ImageID"]),
                image: s(&c["Image"]),
                project: c["Labels"][PROJECT_LABEL].as_str().filter(|p| !p.is_empty()).map(crate::text::neutralise),
                running: c["State"].as_str() == Some("running"),
                volumes_rw: c["Mounts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|m| m["Type"] == "volume" && m["RW"].as_bool().unwrap_or(true))
                    .filter_map(|m| m["Name"].as_str().map(crate::text::neutralise))
                    .collect(),
                // A container that never started has no NetworkID yet: found by the name then.
                networks: c["NetworkSettings"]["Networks"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(name, e)| match e["NetworkID"].as_str().filter(|i| !i.is_empty()) {
                        Some(id) => Some(crate::text::neutralise(id)),
                        None => networks.iter().find(|n| n.name == *name).map(|n| n.id.clone()),
                    })
                    .collect(),
            })
            .collect();
        Topology { containers, networks }
    }

    fn peer(&self, id: &str) -> Option<&Peer> {
        self.containers.iter().find(|p| p.id == id)
    }

    fn network(&self, id: &str) -> Option<&NetworkSummary> {
        self.networks.iter().find(|n| n.id == id)
    }
}

pub type TopologyCheck = fn(&ContainerFacts, &Topology) -> Option<Vec<String>>;

pub static RULES: &[(Rule, TopologyCheck)] = &[
    (
        Rule::new(
            Scope::Container,
            "container.lan-network",
            Severity::Medium,
            "Sits directly on the host's LAN (macvlan or ipvlan)",
            "On a macvlan or ipvlan network the container has an address of the LAN itself: every machine there reaches it directly, past the host's firewall and Docker's port publishing, and the host usually cannot reach it at all.",
            "Use a bridge network and publish only the ports it serves (-p 127.0.0.1:PORT:PORT, or a specific address); keep macvlan for appliances that must look like a machine on the LAN.",
            None,
            Some("RULE #5"),
        ),
        |c, t| {
            let ev: Vec<String> = t
                .peer(&c.id)
                .into_iter()
                .flat_map(|p| &p.networks)
                .filter_map(|id| t.network(id))
                .filter(|n| matches!(n.driver.as_str(), "macvlan" | "ipvlan"))
                .map(|n| {
                    let parent = n.options.iter().find(|o| o.key == "parent").map_or("the host's interface", |o| o.value.as_str());
                    format!("on {} network {} (parent {parent})", n.driver, n.name)
                })
                .collect();
            when(!ev.is_empty(), || ev)
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.shared-volume-rw",
            Severity::Medium,
            "Shares a volume read-write with a container of another image",
            "Two programs that write the same files can corrupt each other's data, and the one that is compromised can plant files (scripts, configuration, libraries) the other then runs or trusts.",
            "Mount the volume read-only (:ro) in every container that only reads it; give each writer a volume of its own.",
            None,
            Some("RULE #8"),
        ),
        |c, t| {
            let me = t.peer(&c.id)?;
            let ev: Vec<String> = me
                .volumes_rw
                .iter()
                .flat_map(|v| {
                    t.containers
                        .iter()
                        .filter(move |o| o.id != me.id && o.image_id != me.image_id && o.volumes_rw.contains(v))
                        .map(move |o| format!("volume {v} is also written by {} (image {})", o.name, o.image))
                })
                .collect();
            when(!ev.is_empty(), || ev)
        },
    ),
    (
        Rule::new(
            Scope::Container,
            "container.icc-mixed-projects",
            Severity::Low,
            "Shares a network that lets containers talk with containers of other projects",
            "Every container on a network with inter-container communication on can open any port of every other one: a compromised container of one application reaches the databases and admin ports of the others.",
            "Give each project a network of its own (Compose does unless told otherwise), or create the shared network with ICC off (-o com.docker.network.bridge.enable_icc=false) and connect only what must talk.",
            Some("2.1"),
            Some("RULE #5"),
        ),
        |c, t| {
            let me = t.peer(&c.id)?;
            let mine = me.project.as_deref().unwrap_or("(none)");
            let ev: Vec<String> = me
                .networks
                .iter()
                .filter_map(|id| t.network(id))
                .filter(|n| n.icc && n.driver == "bridge")
                .filter_map(|n| {
                    let others: BTreeSet<&str> = t
                        .containers
                        .iter()
                        .filter(|o| o.id != me.id && o.networks.contains(&n.id))
                        .map(|o| o.project.as_deref().unwrap_or("(none)"))
                        .filter(|p| *p != mine)
                        .collect();
                    (!others.is_empty()).then(|| {
                        format!(
                            "network {} (ICC on) also holds containers of {}; this one is of {mine}",
                            n.name,
                            others.into_iter().collect::<Vec<_>>().join(", ")
                        )
                    })
                })
                .collect();
            when(!ev.is_empty(), || ev)
        },
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volumes::KeyValue;

    fn net(id: &str, driver: &str, icc: bool) -> NetworkSummary {
        NetworkSummary {
            id: id.into(),
            short_id: id.into(),
            name: format!("{id}-net"),
            driver: driver.into(),
            scope: "local".into(),
            subnets: vec![],
            ipv6: false,
            internal: false,
            attachable: false,
            ingress: false,
            icc,
            predefined: false,
            labels: vec![],
            options: vec![KeyValue { key: "parent".into(), value: "eth0".into() }],
            created: 0,
        }
    }

    fn peer(id: &str, image: &str, project: Option<&str>, vols: &[&str], nets: &[&str]) -> Peer {
        Peer {
            id: id.into(),
            name: format!("{id}-name"),
            image_id: format!("sha256:{image}"),
            image: image.into(),
            project: project.map(Into::into),
            running: true,
            volumes_rw: vols.iter().map(|v| (*v).to_owned()).collect(),
            networks: nets.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    fn fired(id: &str, t: &Topology) -> Vec<(&'static str, Vec<String>)> {
        let c = ContainerFacts { id: id.into(), ..Default::default() };
        RULES.iter().filter_map(|(r, check)| check(&c, t).map(|ev| (r.id, ev))).collect()
    }

    #[test]
    fn each_rule_fires_on_what_it_is_about_and_not_otherwise() {
        let t = Topology {
            containers: vec![
                peer("web", "nginx", Some("shop"), &["data"], &["n1", "lan"]),
                peer("worker", "python", Some("shop"), &["data"], &["n1"]),
                peer("blog", "ghost", Some("blog"), &[], &["n1"]),
                peer("web2", "nginx", Some("shop"), &["data"], &["quiet"]),
                peer("alone", "redis", None, &["own"], &["quiet"]),
            ],
            networks: vec![net("n1", "bridge", true), net("lan", "macvlan", true), net("quiet", "bridge", false)],
        };
        let web = fired("web", &t);
        let ids: Vec<&str> = web.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, ["container.lan-network", "container.shared-volume-rw", "container.icc-mixed-projects"]);
        assert_eq!(web[0].1, ["on macvlan network lan-net (parent eth0)"]);
        assert_eq!(
            web[1].1,
            ["volume data is also written by worker-name (image python)"],
            "web2 has the same image: not listed"
        );
        assert_eq!(web[2].1, ["network n1-net (ICC on) also holds containers of blog; this one is of shop"]);
        assert!(fired("alone", &t).is_empty(), "ICC off, its own volume, no LAN");
        let web2: Vec<&str> = fired("web2", &t).iter().map(|(id, _)| *id).collect();
        assert_eq!(web2, ["container.shared-volume-rw"]);
        assert!(fired("unknown", &t).is_empty());
    }

    #[test]
    fn the_topology_is_read_from_the_engine_list() {
        let list = serde_json::json!([{
            "Id": "abc", "Names": ["/web"], "Image": "nginx", "ImageID": "sha256:1", "State": "running",
            "Labels": { PROJECT_LABEL: "shop" },
            "Mounts": [{"Type": "volume", "Name": "data", "RW": true}, {"Type": "volume", "Name": "ro", "RW": false}, {"Type": "bind", "Source": "/x", "RW": true}],
            "NetworkSettings": {"Networks": {"n": {"NetworkID": "n1"}, "n2-net": {"NetworkID": ""}}}
        }]);
        let t = Topology::from_list(&list, vec![net("n2", "bridge", true)]);
        assert_eq!(
            t.containers[0],
            peer("abc", "nginx", Some("shop"), &["data"], &["n1", "n2"]).with_name("web"),
            "a created container's network by its name"
        );
    }

    impl Peer {
        fn with_name(mut self, n: &str) -> Peer {
            self.name = n.into();
            self.image_id = "sha256:1".into();
            self
        }
    }
}
