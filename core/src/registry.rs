//! Registry credentials from the user's docker config (`$DOCKER_CONFIG/config.json` or
//! `~/.docker/config.json`), as the docker CLI stores them with `docker login`. Only inline
//! `auths` entries are read (credential helpers would mean running another program). The
//! credentials go to the engine in the X-Registry-Auth header and are never logged or shown.

use base64::Engine as _;
use bollard::auth::DockerCredentials;
use std::path::PathBuf;

const DOCKER_HUB: &str = "https://index.docker.io/v1/";

/// The registry a reference lives in, as config.json keys it.
pub fn registry_of(reference: &str) -> String {
    match reference.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => first.to_owned(),
        _ => DOCKER_HUB.to_owned(),
    }
}

fn config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json"))
}

/// Credentials for the registry of `reference`, if the user logged in to it.
pub fn credentials_for(reference: &str) -> Option<DockerCredentials> {
    let text = std::fs::read_to_string(config_path()?).ok()?;
    credentials_in(&text, &registry_of(reference))
}

/// The X-Registry-Auth header for pushing to the registry of `reference`: base64url of the
/// credentials' JSON, or of `{}` when there are none.
pub fn auth_header(reference: &str) -> String {
    let json = match credentials_for(reference) {
        Some(c) => {
            serde_json::json!({ "username": c.username, "password": c.password, "serveraddress": c.serveraddress })
                .to_string()
        }
        None => "{}".to_owned(),
    };
    base64::engine::general_purpose::URL_SAFE.encode(json)
}

pub fn credentials_in(config_json: &str, registry: &str) -> Option<DockerCredentials> {
    let v: serde_json::Value = serde_json::from_str(config_json).ok()?;
    let auths = v.get("auths")?.as_object()?;
    let strip =
        |k: &str| k.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/').to_owned();
    let want = strip(registry);
    let entry = auths
        .iter()
        .find(|(k, _)| strip(k) == want || (registry == DOCKER_HUB && strip(k).starts_with("index.docker.io")))?
        .1;
    let auth = entry.get("auth")?.as_str()?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(auth.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, pass) = decoded.split_once(':')?;
    Some(DockerCredentials {
        username: Some(user.to_owned()),
        password: Some(pass.to_owned()),
        serveraddress: Some(registry.to_owned()),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_registry_and_its_credentials() {
        assert_eq!(registry_of("127.0.0.1:5000/app:1"), "127.0.0.1:5000");
        assert_eq!(registry_of("library/busybox"), DOCKER_HUB);
        assert_eq!(registry_of("busybox"), DOCKER_HUB);
        let cfg = r#"{"auths":{"127.0.0.1:5000":{"auth":"dXNlcjpwYXNz"},"https://index.docker.io/v1/":{"auth":"aHViOnNlY3JldA=="}}}"#;
        let c = credentials_in(cfg, "127.0.0.1:5000").unwrap();
        assert_eq!((c.username.as_deref(), c.password.as_deref()), (Some("user"), Some("pass")));
        assert_eq!(credentials_in(cfg, DOCKER_HUB).unwrap().username.as_deref(), Some("hub"));
        assert!(credentials_in(cfg, "other:5000").is_none());
        assert!(credentials_in("{not json", "x").is_none());
    }
}
