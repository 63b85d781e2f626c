//! What Compose writes on the containers it makes (`com.docker.compose.*` labels), read from
//! the containers list so a project is recognised without its file and without Compose.
//!
//! Both generations label alike; they differ in names (`project-service-1` in v2,
//! `project_service_1` in v1, which is Debian 12's `docker-compose` 1.29.2) and in
//! `config_files`, absolute in v2 and possibly relative to `working_dir` in v1.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Serialize;
use std::borrow::Cow;

#[cfg(feature = "ts")]
use ts_rs::TS;

pub const PROJECT: &str = "com.docker.compose.project";
pub const SERVICE: &str = "com.docker.compose.service";
pub const NUMBER: &str = "com.docker.compose.container-number";
pub const ONEOFF: &str = "com.docker.compose.oneoff";
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub const VERSION: &str = "com.docker.compose.version";

/// A container's place in a Compose project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ComposeLabels {
    pub project: String,
    pub service: String,
    /// The replica number (`service` #1, #2 …); none when the label is missing or junk.
    pub number: Option<u32>,
    /// A one-off container of `compose run`, not one of the service's replicas.
    pub oneoff: bool,
    pub working_dir: String,
    /// The compose files the project was started from, absolute (v1's relative ones resolved
    /// against the working directory).
    pub config_files: Vec<String>,
    /// The Compose version that made it (`1.29.2`, `2.29.1`).
    pub version: String,
}

impl ComposeLabels {
    /// From the label values; `None` when the container is not a Compose one.
    pub fn from_pairs<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Option<ComposeLabels> {
        let n = |k: &str| crate::text::neutralise(get(k).unwrap_or_default());
        let project = get(PROJECT).filter(|p| !p.is_empty())?;
        let working_dir = n(WORKING_DIR);
        let config_files = get(CONFIG_FILES)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|f| {
                if f.starts_with('/') || working_dir.is_empty() {
                    crate::text::neutralise(f)
                } else {
                    crate::text::neutralise(&format!(
                        "{}/{}",
                        working_dir.trim_end_matches('/'),
                        f.trim_start_matches("./")
                    ))
                }
            })
            .collect();
        Some(ComposeLabels {
            project: crate::text::neutralise(project),
            service: n(SERVICE),
            number: get(NUMBER).and_then(|v| v.trim().parse().ok()),
            oneoff: get(ONEOFF).is_some_and(|v| v.eq_ignore_ascii_case("true")),
            working_dir,
            config_files,
            version: n(VERSION),
        })
    }
}

/// Deserialises a container's `Labels` keeping only Compose's (every other label is skipped
/// without being copied: the list of 1,000 containers stays as fast as before).
pub(crate) fn deserialize_compose_labels<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ComposeLabels>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<ComposeLabels>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of labels")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_map(V)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut kept: Vec<(Cow<'de, str>, Cow<'de, str>)> = Vec::new();
            while let Some(k) = map.next_key::<Cow<'de, str>>()? {
                if k.starts_with("com.docker.compose.") {
                    let v = map.next_value::<Cow<'de, str>>()?;
                    kept.push((k, v));
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(ComposeLabels::from_pairs(|key| kept.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_ref())))
        }
    }
    d.deserialize_option(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(default, rename = "Labels", deserialize_with = "deserialize_compose_labels")]
        labels: Option<ComposeLabels>,
    }

    #[test]
    fn v1_and_v2_labels() {
        let v1: Row = serde_json::from_str(
            r#"{"Labels":{"com.docker.compose.project":"shop","com.docker.compose.service":"web","com.docker.compose.container-number":"2","com.docker.compose.oneoff":"False","com.docker.compose.project.working_dir":"/srv/shop","com.docker.compose.project.config_files":"docker-compose.yml,./extra.yml","com.docker.compose.version":"1.29.2","other":"x"}}"#,
        )
        .unwrap();
        let l = v1.labels.unwrap();
        assert_eq!((l.project.as_str(), l.service.as_str(), l.number, l.oneoff), ("shop", "web", Some(2), false));
        assert_eq!(l.config_files, vec!["/srv/shop/docker-compose.yml", "/srv/shop/extra.yml"]);
        let v2: Row = serde_json::from_str(
            r#"{"Labels":{"com.docker.compose.project":"shop","com.docker.compose.service":"db","com.docker.compose.oneoff":"True","com.docker.compose.project.config_files":"/srv/shop/compose.yaml"}}"#,
        )
        .unwrap();
        let l = v2.labels.unwrap();
        assert!(l.oneoff);
        assert_eq!(l.number, None);
        assert_eq!(l.config_files, vec!["/srv/shop/compose.yaml"]);
        let plain: Row = serde_json::from_str(r#"{"Labels":{"a":"b"}}"#).unwrap();
        assert!(plain.labels.is_none());
        let null: Row = serde_json::from_str(r#"{"Labels":null}"#).unwrap();
        assert!(null.labels.is_none());
        let hostile: Row = serde_json::from_str(
            r#"{"Labels":{"com.docker.compose.project":"p\u001b[2J","com.docker.compose.service":"s\u202e"}}"#,
        )
        .unwrap();
        let l = hostile.labels.unwrap();
        assert_eq!(l.project, "p\u{FFFD}[2J");
        assert_eq!(l.service, "s\u{FFFD}");
    }
}
