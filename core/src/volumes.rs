//! Volumes: list, look up one, inspect, create, remove, sizes on demand, prune with a preview.
//!
//! Which containers use a volume comes from the containers list (`Mounts` of every container,
//! running or not), so the live lists answer it without a call per volume. Sizes come only
//! from `GET /system/df`, which walks every volume's files (slow on big hosts, moby#31719): it
//! is asked for when the user asks, never on a timer and never before the list shows.

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{ContainerSummary, PruneResult};
use crate::refs::VolumeRef;
use crate::text::{neutralise, url_component};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// The label newer engines (API 1.42+) put on a volume they made for an anonymous mount.
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

/// A key and its value (labels, driver options), sorted by key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// A row of the volumes list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct VolumeSummary {
    pub name: String,
    /// Made by the engine for a mount without a name (`-v /data`): its name is 64 random hex digits.
    pub anonymous: bool,
    /// What the list shows: the first 12 characters of an anonymous volume's name, else the name.
    pub short_name: String,
    pub driver: String,
    /// `local` or `global`.
    pub scope: String,
    /// Where the engine keeps its files on the engine's host.
    pub mountpoint: String,
    pub labels: Vec<KeyValue>,
    /// The driver's options (`type`, `device`, `o` for the local driver).
    pub options: Vec<KeyValue>,
    /// Unix time, seconds; 0 when the engine does not say.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created: i64,
}

/// A volume's size, as `GET /system/df` measured it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct VolumeSize {
    pub name: String,
    /// Bytes; `None` when the driver cannot tell (the engine says -1).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub size: Option<i64>,
    /// Containers that reference it, as the engine counted them (`None`: it did not say).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub ref_count: Option<i64>,
}

/// A container that uses a volume, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct VolumeUser {
    pub container_id: String,
    pub container_name: String,
    pub running: bool,
    /// Where the container sees it.
    pub destination: String,
    pub read_only: bool,
}

/// A new volume, as the Create form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct NewVolume {
    /// Empty: the engine makes up a name (an anonymous-looking volume).
    pub name: String,
    /// Empty: `local`.
    pub driver: String,
    /// KEY=VALUE each (for the local driver: `type=tmpfs`, `device=tmpfs`, `o=size=100m` …).
    pub driver_opts: Vec<String>,
    /// KEY=VALUE each.
    pub labels: Vec<String>,
}

/// Which volumes a prune takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum VolumePruneMode {
    /// Anonymous volumes no container uses (what `docker volume prune` takes on engines ≥ 23).
    Anonymous,
    /// Every volume no container (running or stopped) uses, named ones included (`prune --all`).
    AllUnused,
}

/// What a volume prune would delete, and the space it would give back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct VolumePrunePlan {
    pub volumes: Vec<VolumeSummary>,
    /// Each volume's size, in the order of `volumes`.
    pub sizes: Vec<VolumeSize>,
    /// The sizes added up (volumes whose size is unknown count 0).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: i64,
}

impl NewVolume {
    /// Checks every field without asking the engine; the error names the first that is wrong.
    pub fn check(&self) -> Result<()> {
        self.body().map(|_| ())
    }

    /// Checks every field; the error names the first one that is wrong.
    fn body(&self) -> Result<serde_json::Value> {
        let name = self.name.trim();
        if !name.is_empty() {
            VolumeRef::parse_new(name)?;
        }
        let driver = self.driver.trim();
        if !driver.is_empty() && !valid_driver(driver) {
            return Err(Error::invalid(format!(
                "{:?} is not a volume driver name: letters, digits, '_', '.', '-', '/' and ':' only.",
                neutralise(driver)
            )));
        }
        let opts = key_values(&self.driver_opts, "Driver option")?;
        let labels = key_values(&self.labels, "Label")?;
        Ok(serde_json::json!({
            "Name": name,
            "Driver": if driver.is_empty() { "local" } else { driver },
            "DriverOpts": opts,
            "Labels": labels,
        }))
    }
}

fn valid_driver(s: &str) -> bool {
    s.len() <= 255 && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | ':'))
}

/// `KEY=VALUE` lines (blank ones skipped) into a map; the error says which line is wrong.
/// KEY=VALUE lines, by key.
pub(crate) type KeyValueMap = BTreeMap<String, String>;

pub(crate) fn key_values(lines: &[String], what: &str) -> Result<KeyValueMap> {
    let mut out = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        match l.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && !k.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                if v.chars().any(|c| c.is_control()) {
                    return Err(Error::invalid(format!("{what} {}: the value holds a control character.", i + 1)));
                }
                if out.insert(k.to_owned(), v.to_owned()).is_some() {
                    return Err(Error::invalid(format!("{what} {}: {k:?} is given twice.", i + 1)));
                }
            }
            _ => return Err(Error::invalid(format!("{what} {}: {:?} is not KEY=VALUE.", i + 1, neutralise(l)))),
        }
    }
    Ok(out)
}

impl Engine {
    /// Every volume, as the engine lists them (sorted by name).
    pub async fn list_volumes(&self) -> Result<Vec<VolumeSummary>> {
        let body = crate::http::get(self.transport(), self.version().api, "/volumes").await?;
        parse_volume_list(&body)
    }

    /// One volume's row; `None` when there is no such volume.
    pub async fn volume_summary(&self, v: &VolumeRef) -> Result<Option<VolumeSummary>> {
        let path = format!("/volumes/{}", url_component(v.as_str()));
        match crate::http::get(self.transport(), self.version().api, &path).await {
            Ok(body) => {
                let raw: RawVolume = serde_json::from_slice(&body).map_err(|e| Error::unreadable("volume", e))?;
                Ok(volume_summary(raw))
            }
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `docker volume inspect`, as the engine returns it.
    pub async fn inspect_volume(&self, v: &VolumeRef) -> Result<serde_json::Value> {
        let path = format!("/volumes/{}", url_component(v.as_str()));
        let body = crate::http::get(self.transport(), self.version().api, &path).await?;
        serde_json::from_slice(&body).map_err(|e| Error::unreadable("volume", e))
    }

    /// Creates a volume. A name that is taken is refused (the engine itself would hand back
    /// the existing volume as if it were new).
    pub async fn create_volume(&self, new: &NewVolume) -> Result<VolumeSummary> {
        let body = new.body()?;
        let name = new.name.trim();
        if !name.is_empty() {
            let r = VolumeRef::parse(name)?;
            if self.volume_summary(&r).await?.is_some() {
                return Err(Error::new(ErrorKind::Conflict, format!("A volume named {name} exists already.")));
            }
        }
        let answer = crate::http::send_json(
            self.transport(),
            self.version().api,
            "POST",
            "/volumes/create",
            Some(body.to_string()),
        )
        .await?;
        let raw: RawVolume = serde_json::from_slice(&answer).map_err(|e| Error::unreadable("new volume", e))?;
        volume_summary(raw).ok_or_else(|| Error::new(ErrorKind::Engine, "The engine made a volume without a name."))
    }

    /// Removes a volume. One in use is refused, naming the containers that hold it.
    pub async fn remove_volume(&self, v: &VolumeRef, force: bool) -> Result<()> {
        let path = format!("/volumes/{}?force={}", url_component(v.as_str()), u8::from(force));
        match crate::http::send_json(self.transport(), self.version().api, "DELETE", &path, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::Conflict => {
                let users = self.list_containers().await.map(|l| volume_users(v.as_str(), &l)).unwrap_or_default();
                let names: Vec<&str> = users.iter().map(|u| u.container_name.as_str()).collect();
                let who =
                    if names.is_empty() { String::new() } else { format!(" It is used by: {}.", names.join(", ")) };
                Err(Error::new(
                    ErrorKind::Conflict,
                    format!("Volume {} is in use.{who} Remove those containers first. ({})", v.as_str(), e.message),
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// Every volume's size (`GET /system/df`: slow on a big host — ask only when the user does).
    pub async fn volume_sizes(&self) -> Result<Vec<VolumeSize>> {
        // `type=volume` (API 1.42+) spares the engine the images and containers; older ones
        // ignore the parameter and measure everything.
        let body = crate::http::get(self.transport(), self.version().api, "/system/df?type=volume").await?;
        parse_df_volumes(&body)
    }

    /// What a prune would delete: volumes that no container (running or not) uses, with their
    /// sizes. Nothing is deleted here.
    pub async fn volume_prune_plan(&self, mode: VolumePruneMode) -> Result<VolumePrunePlan> {
        let (volumes, containers, sizes) =
            tokio::try_join!(self.list_volumes(), self.list_containers(), self.volume_sizes())?;
        let used: std::collections::HashSet<&str> =
            containers.iter().flat_map(|c| c.mounts.iter().filter_map(|m| m.name.as_deref())).collect();
        let sizes: BTreeMap<String, VolumeSize> = sizes.into_iter().map(|s| (s.name.clone(), s)).collect();
        let volumes: Vec<VolumeSummary> = volumes
            .into_iter()
            .filter(|v| !used.contains(v.name.as_str()))
            .filter(|v| mode == VolumePruneMode::AllUnused || v.anonymous)
            .collect();
        let sizes: Vec<VolumeSize> = volumes
            .iter()
            .map(|v| {
                sizes.get(&v.name).cloned().unwrap_or(VolumeSize { name: v.name.clone(), size: None, ref_count: None })
            })
            .collect();
        let bytes = sizes.iter().filter_map(|s| s.size).sum();
        Ok(VolumePrunePlan { volumes, sizes, bytes })
    }

    /// Deletes exactly the volumes of a plan the user saw (never more): each without force, so
    /// one that a container started using meanwhile stays. The result's `bytes` is 0: the plan
    /// has the sizes (measuring again would walk every volume a second time).
    pub async fn prune_volumes(&self, names: &[VolumeRef]) -> PruneResult {
        PruneResult::remove_each(names, VolumeRef::as_str, |v| self.remove_volume(v, false)).await
    }
}

/// The containers (from the live list) that mount the volume `name`, running ones first.
pub fn volume_users(name: &str, containers: &[ContainerSummary]) -> Vec<VolumeUser> {
    let mut users: Vec<VolumeUser> = containers
        .iter()
        .flat_map(|c| {
            c.mounts.iter().filter(|m| m.name.as_deref() == Some(name)).map(|m| VolumeUser {
                container_id: c.id.clone(),
                container_name: c.name.clone(),
                running: c.state == crate::model::ContainerState::Running,
                destination: m.destination.clone(),
                read_only: !m.rw,
            })
        })
        .collect();
    users.sort_by(|a, b| b.running.cmp(&a.running).then_with(|| a.container_name.cmp(&b.container_name)));
    users
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawVolumeList<'a> {
    #[serde(default, borrow)]
    volumes: Option<Vec<RawVolume<'a>>>,
}

/// A volume as the engine writes it; strings borrowed from the body where they have no
/// escapes (one copy, made when they are neutralised).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawVolume<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    driver: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    mountpoint: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    created_at: Option<Cow<'a, str>>,
    #[serde(default)]
    labels: Pairs,
    #[serde(default)]
    options: Pairs,
    #[serde(default, borrow)]
    scope: Option<Cow<'a, str>>,
    #[serde(default)]
    usage_data: Option<RawUsage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawUsage {
    #[serde(default)]
    size: Option<i64>,
    #[serde(default)]
    ref_count: Option<i64>,
}

/// A JSON object of strings (or null) read straight into neutralised pairs, sorted by key (Go
/// writes map keys sorted already, so sorting is usually a check).
#[derive(Default)]
pub(crate) struct Pairs(pub(crate) Vec<KeyValue>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Pairs, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_unit<E>(self) -> std::result::Result<Pairs, E> {
                Ok(Pairs::default())
            }
            fn visit_none<E>(self) -> std::result::Result<Pairs, E> {
                Ok(Pairs::default())
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> std::result::Result<Pairs, M::Error> {
                let mut out = Vec::with_capacity(m.size_hint().unwrap_or(0));
                while let Some((k, v)) = m.next_entry::<Cow<'de, str>, Option<Cow<'de, str>>>()? {
                    out.push(KeyValue { key: neutralise(&k), value: neutralise(v.as_deref().unwrap_or_default()) });
                }
                if !out.is_sorted_by(|a, b| a.key <= b.key) {
                    out.sort_by(|a, b| a.key.cmp(&b.key));
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_any(V)
    }
}

pub(crate) fn parse_volume_list(body: &[u8]) -> Result<Vec<VolumeSummary>> {
    let list: RawVolumeList = serde_json::from_slice(body).map_err(|e| Error::unreadable("volume list", e))?;
    let mut out: Vec<VolumeSummary> = list.volumes.unwrap_or_default().into_iter().filter_map(volume_summary).collect();
    if !out.is_sorted_by(|a, b| a.name <= b.name) {
        out.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(out)
}

/// An engine-made name: 64 lowercase hex digits.
fn looks_anonymous(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn volume_summary(v: RawVolume) -> Option<VolumeSummary> {
    let name = neutralise(v.name.as_deref().filter(|n| !n.is_empty())?);
    let anonymous = looks_anonymous(&name) || v.labels.0.iter().any(|l| l.key == ANONYMOUS_LABEL);
    let short_name = if anonymous { name.chars().take(12).collect() } else { name.clone() };
    Some(VolumeSummary {
        anonymous,
        short_name,
        driver: neutralise(v.driver.as_deref().unwrap_or_default()),
        scope: neutralise(v.scope.as_deref().unwrap_or("local")),
        mountpoint: neutralise(v.mountpoint.as_deref().unwrap_or_default()),
        created: v.created_at.as_deref().and_then(crate::time::parse_rfc3339).unwrap_or_default(),
        labels: v.labels.0,
        options: v.options.0,
        name,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawDf<'a> {
    #[serde(default, borrow)]
    volumes: Option<Vec<RawVolume<'a>>>,
}

pub(crate) fn parse_df_volumes(body: &[u8]) -> Result<Vec<VolumeSize>> {
    let df: RawDf = serde_json::from_slice(body).map_err(|e| Error::unreadable("disk usage", e))?;
    Ok(df
        .volumes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| {
            let name = neutralise(v.name.as_deref().filter(|n| !n.is_empty())?);
            let usage = v.usage_data.unwrap_or(RawUsage { size: None, ref_count: None });
            Some(VolumeSize {
                name,
                size: usage.size.filter(|&s| s >= 0),
                ref_count: usage.ref_count.filter(|&n| n >= 0),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_list_and_marks_anonymous_volumes() {
        let anon = "0123456789abcdef".repeat(4);
        let body = format!(
            r#"{{"Volumes":[{{"Name":"b-data","Driver":"local","Mountpoint":"/var/lib/docker/volumes/b-data/_data",
              "CreatedAt":"2026-12-02T06:17:10Z","Labels":{{"z":"1","a":"x\u001b[2J"}},"Options":null,"Scope":"local"}},
             {{"Name":"{anon}","Driver":"local","Labels":null}},
             {{"Name":"named-but-anon","Labels":{{"com.docker.volume.anonymous":""}}}},
             {{"Name":""}}],"Warnings":null}}"#
        );
        let l = parse_volume_list(body.as_bytes()).unwrap();
        assert_eq!(l.len(), 3, "a volume without a name is not listed");
        assert_eq!(l[0].name, anon);
        assert!(l[0].anonymous && l[0].short_name == "0123456789ab");
        assert_eq!(l[1].name, "b-data");
        assert!(!l[1].anonymous && l[1].short_name == "b-data");
        assert_eq!(l[1].created, 1_796_192_230);
        assert_eq!(l[1].labels[0], KeyValue { key: "a".into(), value: "x\u{FFFD}[2J".into() }, "sorted, neutralised");
        assert!(l[2].anonymous, "the engine's anonymous label counts too");
        assert!(parse_volume_list(br#"{"Volumes":null}"#).unwrap().is_empty());
        assert_eq!(parse_volume_list(b"[1]").unwrap_err().kind, ErrorKind::Engine);
    }

    #[test]
    fn sizes_from_system_df() {
        let body = br#"{"LayersSize":0,"Volumes":[{"Name":"a","UsageData":{"Size":4096,"RefCount":1}},
                       {"Name":"b","UsageData":{"Size":-1,"RefCount":-1}},{"Name":"c"}]}"#;
        let s = parse_df_volumes(body).unwrap();
        assert_eq!(s[0], VolumeSize { name: "a".into(), size: Some(4096), ref_count: Some(1) });
        assert_eq!(s[1].size, None, "-1 means the driver cannot tell");
        assert_eq!(s[2].ref_count, None);
    }

    #[test]
    fn a_new_volume_is_checked_field_by_field() {
        let ok = NewVolume {
            name: "data-1".into(),
            driver: String::new(),
            driver_opts: vec!["type=tmpfs".into(), "".into(), "o=size=10m".into()],
            labels: vec!["team=web".into()],
        };
        let b = ok.body().unwrap();
        assert_eq!(b["Driver"], "local");
        assert_eq!(b["DriverOpts"]["o"], "size=10m", "only the first '=' splits");
        assert_eq!(b["Labels"]["team"], "web");
        let bad = |f: &dyn Fn(&mut NewVolume)| {
            let mut v = ok.clone();
            f(&mut v);
            v.body().unwrap_err()
        };
        assert!(bad(&|v| v.name = "../etc".into()).message.contains("volume name"));
        assert!(bad(&|v| v.name = "a".into()).message.contains("volume name"));
        assert!(bad(&|v| v.driver = "lo cal".into()).message.contains("driver"));
        assert!(bad(&|v| v.labels = vec!["novalue".into()]).message.starts_with("Label 1"));
        assert!(bad(&|v| v.labels = vec!["a=1".into(), "a=2".into()]).message.contains("twice"));
        assert!(bad(&|v| v.driver_opts = vec!["o=\u{1b}x".into()]).message.contains("control"));
        assert_eq!(bad(&|v| v.name = "x y".into()).kind, ErrorKind::InvalidArgument);
    }

    #[test]
    fn users_come_from_the_containers_mounts() {
        use crate::model::{ContainerState, MountSummary};
        let c = |name: &str, state, mounts: Vec<MountSummary>| ContainerSummary {
            id: format!("{name}-id"),
            short_id: String::new(),
            name: name.into(),
            image: String::new(),
            image_id: String::new(),
            command: String::new(),
            state,
            status: String::new(),
            ports: vec![],
            created: 0,
            mounts,
            networks: vec![],
            network_mode: String::new(),
            compose: None,
        };
        let m = |name: Option<&str>, dest: &str, rw| MountSummary {
            kind: if name.is_some() { "volume".into() } else { "bind".into() },
            name: name.map(str::to_owned),
            source: String::new(),
            destination: dest.into(),
            rw,
        };
        let list = vec![
            c("stopped", ContainerState::Exited, vec![m(Some("v"), "/data", false)]),
            c("up", ContainerState::Running, vec![m(None, "/v", true), m(Some("v"), "/srv", true)]),
            c("other", ContainerState::Running, vec![m(Some("w"), "/w", true)]),
        ];
        let u = volume_users("v", &list);
        assert_eq!(u.len(), 2);
        assert_eq!((u[0].container_name.as_str(), u[0].destination.as_str(), u[0].read_only), ("up", "/srv", false));
        assert_eq!((u[1].container_name.as_str(), u[1].running, u[1].read_only), ("stopped", false, true));
    }
}
