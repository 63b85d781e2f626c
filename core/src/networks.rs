//! Networks: list, look up one, inspect, members (with aliases), create, remove, prune with a
//! preview, connect and disconnect a container.
//!
//! Which containers sit on a network comes from the containers list (`NetworkSettings` of every
//! container), so the live lists answer it; aliases are only in a container's inspect, asked
//! for when one network is opened.

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{ContainerSummary, PruneResult};
use crate::refs::{ContainerRef, NetworkRef};
use crate::text::{neutralise, neutralise_all, url_component};
use crate::volumes::{key_values, KeyValue, Pairs};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// The networks every engine makes for itself; they cannot be removed.
pub const PREDEFINED: &[&str] = &["bridge", "host", "none", "ingress", "docker_gwbridge", "podman"];

/// The bridge driver's option that turns inter-container communication on or off.
pub const ICC_OPTION: &str = "com.docker.network.bridge.enable_icc";

/// One address range of a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Subnet {
    /// CIDR, e.g. 172.18.0.0/16 or fd00::/64.
    pub subnet: String,
    pub gateway: String,
    /// The part of the subnet containers get addresses from (empty: all of it).
    pub ip_range: String,
    pub ipv6: bool,
}

/// A row of the networks list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct NetworkSummary {
    pub id: String,
    pub short_id: String,
    pub name: String,
    /// bridge, host, null, overlay, macvlan, ipvlan …
    pub driver: String,
    pub scope: String,
    pub subnets: Vec<Subnet>,
    pub ipv6: bool,
    /// No route out: containers on it reach only each other.
    pub internal: bool,
    pub attachable: bool,
    pub ingress: bool,
    /// Whether containers on it may talk to each other (a bridge option; on unless turned off).
    pub icc: bool,
    /// One of the engine's own (bridge, host, none): it cannot be removed.
    pub predefined: bool,
    pub labels: Vec<KeyValue>,
    pub options: Vec<KeyValue>,
    /// Unix time, seconds; 0 when the engine does not say.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created: i64,
}

/// A container on a network, with what the network's inspect and the container's say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct NetworkMember {
    pub container_id: String,
    pub container_name: String,
    /// CIDR as the engine says it (172.18.0.2/16); empty when none.
    pub ipv4: String,
    pub ipv6: String,
    pub mac: String,
    /// DNS names other containers on the network reach it by (besides its name).
    pub aliases: Vec<String>,
}

/// A new network, as the Create form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct NewNetwork {
    pub name: String,
    /// bridge (empty), macvlan or ipvlan.
    pub driver: String,
    /// IPv4 CIDR; empty: the engine picks one.
    pub subnet: String,
    /// Within the subnet; empty: all of it.
    pub ip_range: String,
    /// Empty: the engine picks the first address.
    pub gateway: String,
    pub ipv6: bool,
    /// IPv6 CIDR (needed with `ipv6` on engines without a default IPv6 pool).
    pub subnet6: String,
    pub internal: bool,
    pub attachable: bool,
    /// Turn off inter-container communication (bridge only).
    pub no_icc: bool,
    /// macvlan/ipvlan: the host interface to attach to (the driver's `parent` option).
    pub parent: String,
    /// KEY=VALUE each.
    pub labels: Vec<String>,
    /// KEY=VALUE each: driver options.
    pub options: Vec<String>,
}

/// A container to connect, and how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ConnectRequest {
    /// Extra DNS names on that network.
    pub aliases: Vec<String>,
    /// A fixed IPv4 address (the network needs a subnet of its own); empty: the engine picks.
    pub ipv4: String,
    pub ipv6: String,
}

/// What a network prune would delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct NetworkPrunePlan {
    pub networks: Vec<NetworkSummary>,
}

fn cidr(s: &str, field: &str) -> Result<ipnet::IpNet> {
    s.parse::<ipnet::IpNet>().map_err(|_| {
        Error::invalid(format!("{field}: {:?} is not an address range such as 172.30.0.0/16.", neutralise(s)))
    })
}

fn address(s: &str, field: &str) -> Result<IpAddr> {
    s.parse::<IpAddr>().map_err(|_| Error::invalid(format!("{field}: {:?} is not an IP address.", neutralise(s))))
}

/// A DNS alias: what Docker's embedded DNS can answer for.
fn valid_alias(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        })
}

impl NewNetwork {
    /// Checks every field without asking the engine; the error names the first that is wrong.
    pub fn check(&self) -> Result<()> {
        self.body().map(|_| ())
    }

    fn body(&self) -> Result<serde_json::Value> {
        let name = NetworkRef::parse_new(self.name.trim())?;
        if PREDEFINED.contains(&name.as_str()) {
            return Err(Error::invalid(format!("{} is one of the engine's own networks.", name.as_str())));
        }
        let driver = match self.driver.trim() {
            "" | "bridge" => "bridge",
            "macvlan" => "macvlan",
            "ipvlan" => "ipvlan",
            other => {
                return Err(Error::invalid(format!(
                    "Driver: {:?} is not bridge, macvlan or ipvlan.",
                    neutralise(other)
                )))
            }
        };
        let mut options = key_values(&self.options, "Option")?;
        let labels = key_values(&self.labels, "Label")?;
        let mut config = Vec::new();
        let (subnet, range, gateway) = (self.subnet.trim(), self.ip_range.trim(), self.gateway.trim());
        if subnet.is_empty() {
            if !range.is_empty() || !gateway.is_empty() {
                return Err(Error::invalid("An IP range or a gateway needs a subnet."));
            }
        } else {
            let net = cidr(subnet, "Subnet")?;
            if !matches!(net, ipnet::IpNet::V4(_)) {
                return Err(Error::invalid("Subnet: give an IPv4 range here and an IPv6 one below."));
            }
            let mut c = serde_json::json!({ "Subnet": net.trunc().to_string() });
            if !range.is_empty() {
                let r = cidr(range, "IP range")?;
                if !net.contains(&r) {
                    return Err(Error::invalid(format!("IP range: {r} is not inside {net}.")));
                }
                c["IPRange"] = r.to_string().into();
            }
            if !gateway.is_empty() {
                let g = address(gateway, "Gateway")?;
                if !net.contains(&g) {
                    return Err(Error::invalid(format!("Gateway: {g} is not inside {net}.")));
                }
                c["Gateway"] = g.to_string().into();
            }
            config.push(c);
        }
        let subnet6 = self.subnet6.trim();
        if !subnet6.is_empty() {
            if !self.ipv6 {
                return Err(Error::invalid("An IPv6 subnet needs IPv6 turned on."));
            }
            let net = cidr(subnet6, "IPv6 subnet")?;
            if !matches!(net, ipnet::IpNet::V6(_)) {
                return Err(Error::invalid("IPv6 subnet: that is an IPv4 range."));
            }
            config.push(serde_json::json!({ "Subnet": net.trunc().to_string() }));
        }
        if self.no_icc {
            if driver != "bridge" {
                return Err(Error::invalid("Inter-container communication can be turned off on bridge networks only."));
            }
            options.insert(ICC_OPTION.to_owned(), "false".to_owned());
        }
        let parent = self.parent.trim();
        if !parent.is_empty() {
            if driver == "bridge" {
                return Err(Error::invalid("A parent interface is for macvlan and ipvlan networks."));
            }
            if parent.len() > 15 || !parent.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
                return Err(Error::invalid(format!("Parent: {:?} is not an interface name.", neutralise(parent))));
            }
            options.insert("parent".to_owned(), parent.to_owned());
        }
        Ok(serde_json::json!({
            "Name": name.as_str(),
            // Engines before API 1.44 create a second network of the same name unless asked not to.
            "CheckDuplicate": true,
            "Driver": driver,
            "Internal": self.internal,
            "Attachable": self.attachable,
            "EnableIPv6": self.ipv6,
            "IPAM": { "Driver": "default", "Config": config },
            "Options": options,
            "Labels": labels,
        }))
    }
}

impl ConnectRequest {
    /// Checks the aliases and addresses without asking the engine.
    pub fn check(&self) -> Result<()> {
        self.endpoint_config().map(|_| ())
    }

    fn endpoint_config(&self) -> Result<serde_json::Value> {
        let mut aliases = Vec::new();
        for a in self.aliases.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
            if !valid_alias(a) {
                return Err(Error::invalid(format!(
                    "Alias {:?}: use letters, digits, '-' and '_', in dot-separated parts.",
                    neutralise(a)
                )));
            }
            aliases.push(a.to_owned());
        }
        let mut ipam = serde_json::Map::new();
        let v4 = self.ipv4.trim();
        if !v4.is_empty() {
            match address(v4, "IPv4 address")? {
                IpAddr::V4(a) => ipam.insert("IPv4Address".into(), a.to_string().into()),
                IpAddr::V6(_) => return Err(Error::invalid("IPv4 address: that is an IPv6 address.")),
            };
        }
        let v6 = self.ipv6.trim();
        if !v6.is_empty() {
            match address(v6, "IPv6 address")? {
                IpAddr::V6(a) => ipam.insert("IPv6Address".into(), a.to_string().into()),
                IpAddr::V4(_) => return Err(Error::invalid("IPv6 address: that is an IPv4 address.")),
            };
        }
        let mut c = serde_json::json!({ "Aliases": aliases });
        if !ipam.is_empty() {
            c["IPAMConfig"] = serde_json::Value::Object(ipam);
        }
        Ok(c)
    }
}

impl Engine {
    /// Every network, sorted by name.
    pub async fn list_networks(&self) -> Result<Vec<NetworkSummary>> {
        let body = crate::http::get(self.transport(), self.version().api, "/networks").await?;
        parse_network_list(&body)
    }

    /// One network's row, by ID or name; `None` when there is no such network.
    pub async fn network_summary(&self, n: &NetworkRef) -> Result<Option<NetworkSummary>> {
        match self.network_body(n).await {
            Ok(body) => Ok(network_summary(raw_network(&body)?)),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn network_body(&self, n: &NetworkRef) -> Result<Vec<u8>> {
        let path = format!("/networks/{}", url_component(n.as_str()));
        crate::http::get(self.transport(), self.version().api, &path).await
    }

    /// `docker network inspect`, as the engine returns it.
    pub async fn inspect_network(&self, n: &NetworkRef) -> Result<serde_json::Value> {
        let path = format!("/networks/{}", url_component(n.as_str()));
        let body = crate::http::get(self.transport(), self.version().api, &path).await?;
        serde_json::from_slice(&body).map_err(|e| Error::unreadable("network", e))
    }

    /// The containers on a network with their addresses and aliases (one container inspect
    /// each, for the aliases).
    pub async fn network_members(&self, n: &NetworkRef) -> Result<Vec<NetworkMember>> {
        let body = self.network_body(n).await?;
        let raw = raw_network(&body)?;
        let net_name = raw.name.as_deref().unwrap_or_default().to_owned();
        let net_id = raw.id.as_deref().unwrap_or_default().to_owned();
        let mut members = Vec::new();
        for (id, c) in raw.containers.unwrap_or_default() {
            let aliases = match ContainerRef::parse(&id) {
                Ok(r) => self.aliases_on(&r, &net_name, &net_id).await.unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            let short = crate::containers::short_id(&id);
            members.push(NetworkMember {
                container_name: neutralise(c.name.as_deref().unwrap_or_default()),
                ipv4: neutralise(c.ipv4_address.as_deref().unwrap_or_default()),
                ipv6: neutralise(c.ipv6_address.as_deref().unwrap_or_default()),
                mac: neutralise(c.mac_address.as_deref().unwrap_or_default()),
                // The engine adds the short ID as an alias of its own: not worth showing.
                aliases: neutralise_all(aliases.into_iter().filter(|a| *a != short)),
                container_id: neutralise(&id),
            });
        }
        members.sort_by(|a, b| a.container_name.cmp(&b.container_name));
        Ok(members)
    }

    async fn aliases_on(&self, c: &ContainerRef, net_name: &str, net_id: &str) -> Result<Vec<String>> {
        let body =
            crate::http::get(self.transport(), self.version().api, &format!("/containers/{}/json", c.as_str())).await?;
        let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| Error::unreadable("container", e))?;
        let Some(nets) = v.pointer("/NetworkSettings/Networks").and_then(|n| n.as_object()) else {
            return Ok(Vec::new());
        };
        let ep = nets
            .get(net_name)
            .or_else(|| nets.values().find(|e| e.get("NetworkID").and_then(|i| i.as_str()) == Some(net_id)));
        Ok(ep
            .and_then(|e| e.get("Aliases"))
            .and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
            .unwrap_or_default())
    }

    /// Creates a network; its row comes back.
    pub async fn create_network(&self, new: &NewNetwork) -> Result<NetworkSummary> {
        let body = new.body()?;
        let name = body["Name"].as_str().unwrap_or_default().to_owned();
        let r = NetworkRef::parse(&name)?;
        if self.network_summary(&r).await?.is_some_and(|n| n.name == name) {
            return Err(Error::new(ErrorKind::Conflict, format!("A network named {name} exists already.")));
        }
        let answer = crate::http::send_json(
            self.transport(),
            self.version().api,
            "POST",
            "/networks/create",
            Some(body.to_string()),
        )
        .await
        .map_err(|e| network_error(e, &name))?;
        #[derive(Deserialize)]
        struct Created {
            #[serde(rename = "Id")]
            id: String,
        }
        let c: Created = serde_json::from_slice(&answer).map_err(|e| Error::unreadable("new network", e))?;
        self.network_summary(&NetworkRef::parse(&c.id)?)
            .await?
            .ok_or_else(|| Error::new(ErrorKind::Engine, format!("Network {name} was created and is gone already.")))
    }

    /// Removes a network. One with containers on it is refused, naming them.
    pub async fn remove_network(&self, n: &NetworkRef) -> Result<()> {
        let summary = self
            .network_summary(n)
            .await?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("There is no network {}.", n.as_str())))?;
        if summary.predefined {
            return Err(Error::invalid(format!(
                "{} is one of the engine's own networks: it cannot be removed.",
                summary.name
            )));
        }
        let path = format!("/networks/{}", url_component(&summary.id));
        match crate::http::send_json(self.transport(), self.version().api, "DELETE", &path, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::Conflict || e.message.contains("active endpoints") => {
                let on = self.network_members(n).await.unwrap_or_default();
                let names: Vec<&str> = on.iter().map(|m| m.container_name.as_str()).collect();
                let who =
                    if names.is_empty() { String::new() } else { format!(" Containers on it: {}.", names.join(", ")) };
                Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "Network {} is in use.{who} Disconnect or remove them first. ({})",
                        summary.name, e.message
                    ),
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// What a prune would delete: networks of the user's (not the engine's own) that no
    /// container, running or not, is on.
    pub async fn network_prune_plan(&self) -> Result<NetworkPrunePlan> {
        let (networks, containers) = tokio::try_join!(self.list_networks(), self.list_containers())?;
        let networks =
            networks.into_iter().filter(|n| !n.predefined && network_users(n, &containers).is_empty()).collect();
        Ok(NetworkPrunePlan { networks })
    }

    /// Deletes exactly the networks of a plan the user saw; one that is in use meanwhile stays.
    pub async fn prune_networks(&self, ids: &[NetworkRef]) -> PruneResult {
        PruneResult::remove_each(ids, NetworkRef::as_str, |n| self.remove_network(n)).await
    }

    /// Connects a container (running or not) to a network, with aliases and a fixed address.
    pub async fn connect_network(&self, n: &NetworkRef, c: &ContainerRef, how: &ConnectRequest) -> Result<()> {
        let body = serde_json::json!({ "Container": c.as_str(), "EndpointConfig": how.endpoint_config()? });
        let path = format!("/networks/{}/connect", url_component(n.as_str()));
        crate::http::send_json(self.transport(), self.version().api, "POST", &path, Some(body.to_string()))
            .await
            .map(|_| ())
            .map_err(|e| network_error(e, n.as_str()))
    }

    /// Disconnects a container from a network (`force`: even when the container is gone or
    /// its endpoint is stale).
    pub async fn disconnect_network(&self, n: &NetworkRef, c: &ContainerRef, force: bool) -> Result<()> {
        let body = serde_json::json!({ "Container": c.as_str(), "Force": force });
        let path = format!("/networks/{}/disconnect", url_component(n.as_str()));
        crate::http::send_json(self.transport(), self.version().api, "POST", &path, Some(body.to_string()))
            .await
            .map(|_| ())
            .map_err(|e| network_error(e, n.as_str()))
    }
}

/// The engine's network errors, said so a person can act on them.
fn network_error(e: Error, network: &str) -> Error {
    let m = e.message.to_ascii_lowercase();
    if m.contains("pool overlaps") || m.contains("could not find an available, non-overlapping") {
        Error::new(
            ErrorKind::Conflict,
            format!(
                "The address range for {network} overlaps another network's: choose another subnet. ({})",
                e.message
            ),
        )
    } else if m.contains("already exists") || m.contains("endpoint with name") {
        Error::new(ErrorKind::Conflict, e.message)
    } else if m.contains("user specified ip address is supported only") || m.contains("invalid address") {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("A fixed address needs a network created with a subnet of its own. ({})", e.message),
        )
    } else {
        e
    }
}

/// The containers (from the live list) on a network, matched by the network's ID.
pub fn network_users<'a>(n: &NetworkSummary, containers: &'a [ContainerSummary]) -> Vec<&'a ContainerSummary> {
    containers
        .iter()
        .filter(|c| c.networks.iter().any(|e| e.network_id == n.id || (e.network_id.is_empty() && e.network == n.name)))
        .collect()
}

/// A network as the engine writes it; strings borrowed from the body where they can be.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawNetwork<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    created: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    scope: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    driver: Option<Cow<'a, str>>,
    #[serde(default, rename = "EnableIPv6")]
    enable_ipv6: Option<bool>,
    #[serde(default, rename = "IPAM", borrow)]
    ipam: Option<RawIpam<'a>>,
    #[serde(default)]
    internal: Option<bool>,
    #[serde(default)]
    attachable: Option<bool>,
    #[serde(default)]
    ingress: Option<bool>,
    #[serde(default)]
    containers: Option<BTreeMap<String, RawEndpoint>>,
    #[serde(default)]
    options: Pairs,
    #[serde(default)]
    labels: Pairs,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawIpam<'a> {
    #[serde(default, borrow)]
    config: Option<Vec<RawIpamConfig<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawIpamConfig<'a> {
    #[serde(default, borrow)]
    subnet: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    gateway: Option<Cow<'a, str>>,
    #[serde(default, rename = "IPRange", borrow)]
    ip_range: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawEndpoint {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    mac_address: Option<String>,
    #[serde(default, rename = "IPv4Address")]
    ipv4_address: Option<String>,
    #[serde(default, rename = "IPv6Address")]
    ipv6_address: Option<String>,
}

fn raw_network(body: &[u8]) -> Result<RawNetwork<'_>> {
    serde_json::from_slice(body).map_err(|e| Error::unreadable("network", e))
}

pub(crate) fn parse_network_list(body: &[u8]) -> Result<Vec<NetworkSummary>> {
    let rows: Option<Vec<RawNetwork>> =
        serde_json::from_slice(body).map_err(|e| Error::unreadable("network list", e))?;
    let mut out: Vec<NetworkSummary> = rows.unwrap_or_default().into_iter().filter_map(network_summary).collect();
    if !out.is_sorted_by(|a, b| (&a.name, &a.id) <= (&b.name, &b.id)) {
        out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    }
    Ok(out)
}

fn network_summary(n: RawNetwork) -> Option<NetworkSummary> {
    let id = neutralise(n.id.as_deref().filter(|i| !i.is_empty())?);
    let name = neutralise(n.name.as_deref().unwrap_or_default());
    let driver = neutralise(n.driver.as_deref().unwrap_or_default());
    let icc = n.options.0.iter().find(|o| o.key == ICC_OPTION).is_none_or(|o| o.value != "false");
    let subnets = n
        .ipam
        .and_then(|i| i.config)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| {
            let subnet = neutralise(c.subnet.as_deref().filter(|s| !s.is_empty())?);
            Some(Subnet {
                ipv6: subnet.contains(':'),
                gateway: neutralise(c.gateway.as_deref().unwrap_or_default()),
                ip_range: neutralise(c.ip_range.as_deref().unwrap_or_default()),
                subnet,
            })
        })
        .collect();
    let predefined =
        PREDEFINED.contains(&name.as_str()) && matches!(driver.as_str(), "bridge" | "host" | "null" | "overlay");
    Some(NetworkSummary {
        short_id: crate::containers::short_id(&id),
        id,
        predefined,
        scope: neutralise(n.scope.as_deref().unwrap_or("local")),
        subnets,
        ipv6: n.enable_ipv6.unwrap_or_default(),
        internal: n.internal.unwrap_or_default(),
        attachable: n.attachable.unwrap_or_default(),
        ingress: n.ingress.unwrap_or_default(),
        icc,
        labels: n.labels.0,
        options: n.options.0,
        created: n.created.as_deref().and_then(crate::time::parse_rfc3339).unwrap_or_default(),
        name,
        driver,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_list() {
        let body = br#"[{"Name":"bridge","Id":"a90b7abdb3f6e3d97bbc5ed350281dd661b111436863af5447d6f712067425e4","Created":"2026-12-02T06:14:10.972527782Z",
            "Scope":"local","Driver":"bridge","EnableIPv6":false,"IPAM":{"Driver":"default","Options":null,"Config":[{"Subnet":"172.17.0.0/16"}]},
            "Internal":false,"Attachable":false,"Ingress":false,"Containers":{},"Options":{"com.docker.network.bridge.default_bridge":"true"},"Labels":{}},
            {"Name":"quiet","Id":"bb","Driver":"bridge","EnableIPv6":true,"Internal":true,
             "IPAM":{"Config":[{"Subnet":"172.30.0.0/16","Gateway":"172.30.0.1","IPRange":"172.30.5.0/24"},{"Subnet":"fd00:1::/64"}]},
             "Options":{"com.docker.network.bridge.enable_icc":"false"},"Labels":{"x":"\u202Eevil"}},
            {"Name":"noid"}]"#;
        let l = parse_network_list(body).unwrap();
        assert_eq!(l.len(), 2, "a network without an ID is not listed");
        let b = &l[0];
        assert!(b.predefined && b.icc && !b.internal && b.short_id == "a90b7abdb3f6");
        assert_eq!(b.subnets[0].subnet, "172.17.0.0/16");
        let q = &l[1];
        assert!(!q.predefined && !q.icc && q.internal && q.ipv6);
        assert_eq!(q.subnets.len(), 2);
        assert_eq!((q.subnets[0].gateway.as_str(), q.subnets[0].ip_range.as_str()), ("172.30.0.1", "172.30.5.0/24"));
        assert!(q.subnets[1].ipv6);
        assert_eq!(q.labels[0].value, "\u{FFFD}evil", "a bidi override is neutralised");
    }

    #[test]
    fn a_new_network_is_checked_field_by_field() {
        let ok = NewNetwork {
            name: "web-net".into(),
            subnet: "172.31.0.0/16".into(),
            ip_range: "172.31.1.0/24".into(),
            gateway: "172.31.0.1".into(),
            no_icc: true,
            labels: vec!["a=b".into()],
            ..Default::default()
        };
        let b = ok.body().unwrap();
        assert_eq!(b["Driver"], "bridge");
        assert_eq!(b["CheckDuplicate"], true);
        assert_eq!(b["IPAM"]["Config"][0]["IPRange"], "172.31.1.0/24");
        assert_eq!(b["Options"][ICC_OPTION], "false");
        let bad = |f: &dyn Fn(&mut NewNetwork)| {
            let mut n = ok.clone();
            f(&mut n);
            n.body().unwrap_err().message
        };
        assert!(bad(&|n| n.name = "bridge".into()).contains("engine's own"));
        assert!(bad(&|n| n.name = "a/b".into()).contains("network name"));
        assert!(bad(&|n| n.driver = "overlay".into()).contains("bridge, macvlan or ipvlan"));
        assert!(bad(&|n| n.subnet = "172.31.0.0".into()).contains("address range"));
        assert!(bad(&|n| n.ip_range = "10.0.0.0/24".into()).contains("not inside"));
        assert!(bad(&|n| n.gateway = "10.0.0.1".into()).contains("not inside"));
        assert!(bad(&|n| n.subnet6 = "fd00::/64".into()).contains("IPv6 turned on"));
        assert!(bad(&|n| {
            n.driver = "macvlan".into();
        })
        .contains("bridge networks only"));
        assert!(bad(&|n| n.parent = "eth0".into()).contains("macvlan and ipvlan"));
        let mut mac =
            NewNetwork { name: "lan".into(), driver: "macvlan".into(), parent: "eth0".into(), ..Default::default() };
        assert_eq!(mac.body().unwrap()["Options"]["parent"], "eth0");
        mac.parent = "eth0; rm".into();
        assert!(mac.body().is_err());
    }

    #[test]
    fn connect_requests() {
        let c = ConnectRequest {
            aliases: vec!["web".into(), " ".into(), "api.internal".into()],
            ipv4: "172.31.0.9".into(),
            ipv6: String::new(),
        };
        let e = c.endpoint_config().unwrap();
        assert_eq!(e["Aliases"], serde_json::json!(["web", "api.internal"]));
        assert_eq!(e["IPAMConfig"]["IPv4Address"], "172.31.0.9");
        let bad = |a: &str, v4: &str| {
            ConnectRequest { aliases: vec![a.into()], ipv4: v4.into(), ipv6: String::new() }.endpoint_config().is_err()
        };
        assert!(bad("we b", ""));
        assert!(bad("a..b", ""));
        assert!(bad("web", "fd00::1"));
        assert!(bad("web", "300.1.1.1"));
    }
}
