//! The engines a user can switch between: every docker context (the built-in `default`
//! included), the engines added to Bulkhead only, and the Podman sockets found on this machine.
//! Which one the app starts on, adding (as a real docker context unless the user says
//! otherwise) and removing, and the confirmation plain TCP to another host needs.
//!
//! Ids: a docker context's id is its name; an engine kept by Bulkhead only is `bulkhead/NAME`
//! (stored as a context in Bulkhead's own folder, in the same format); a Podman socket is
//! `podman:PATH`. Context names cannot hold `/` or `:`, so the three never collide.

use crate::context::{ChosenBy, Context, ContextStore, NewContext, TlsInput, DEFAULT_CONTEXT};
use crate::engine::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

#[cfg(feature = "ts")]
use ts_rs::TS;

const OWN_PREFIX: &str = "bulkhead/";
const PODMAN_PREFIX: &str = "podman:";

/// Where an engine entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum EngineSource {
    /// A docker context (`docker --context NAME` reaches it too).
    DockerContext,
    /// Added to Bulkhead only.
    Bulkhead,
    /// A Podman API socket found on this machine.
    Podman,
}

/// One engine of the switcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct EngineEntry {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Where it connects (`unix://…`, `tcp://… (TLS)`, `ssh://…`), or the host as written.
    pub endpoint: String,
    pub source: EngineSource,
    /// Why it cannot be used (a broken context file, unusable TLS material).
    pub error: Option<Error>,
    /// Something the user should know before using it (verification skipped, plain TCP).
    pub warning: Option<String>,
    /// Plain TCP to another host: switching to it needs the user's explicit confirmation.
    pub needs_confirmation: bool,
    pub removable: bool,
}

/// The switcher: every engine, the context files that could not be read, which engine is in
/// use and which ones are being watched (switching to those is instant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct EnginesView {
    pub engines: Vec<EngineEntry>,
    pub broken: Vec<Error>,
    pub current: String,
    pub watched: Vec<String>,
}

/// "Add an engine…": a unix socket, `tcp://` (with CA/cert/key or explicitly without TLS) or
/// `ssh://`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct AddEngine {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `unix:///path`, `/path`, `tcp://host:port` or `ssh://[user@]host[:port][/socket]`.
    pub host: String,
    #[serde(default)]
    pub ca: Option<String>,
    #[serde(default)]
    pub cert: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    /// TLS without checking the engine's certificate (SkipTLSVerify).
    #[serde(default)]
    pub skip_tls_verify: bool,
    /// `tcp://` without any TLS, to another host: the user confirmed it is unauthenticated root.
    #[serde(default)]
    pub confirm_plain_tcp: bool,
    /// Write a docker context (the default) or keep the engine in Bulkhead only.
    #[serde(default = "yes")]
    pub docker_context: bool,
}

fn yes() -> bool {
    true
}

/// Which engine the app starts on, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    pub id: String,
    pub by: StartedBy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartedBy {
    /// `DOCKER_HOST` or `DOCKER_CONTEXT` was set when the app started: the CLI's rule wins.
    Environment(ChosenBy),
    /// The default engine of the preferences.
    Preferred,
    /// The engine picked in the app last time.
    Saved,
    /// The docker CLI's own choice (config.json's currentContext, or the built-in default).
    Cli(ChosenBy),
}

/// The warning and confirmation an endpoint carries.
pub fn risk_of(endpoint: &Endpoint) -> (Option<String>, bool) {
    match endpoint {
        Endpoint::Tcp(addr) if !crate::registry::is_loopback(addr) => (
            Some(format!(
                "Plain TCP: anyone who can reach {addr} has unauthenticated root access to that host, and the \
                 traffic is not encrypted (CIS Docker Benchmark 2.7)."
            )),
            true,
        ),
        Endpoint::Tls { files, .. } if !files.verify => (
            Some("TLS without verification: the engine's certificate is not checked (SkipTLSVerify).".to_owned()),
            false,
        ),
        _ => (None, false),
    }
}

/// The docker CLI's contexts, Bulkhead's own engines, and what else is on this machine.
#[derive(Debug, Clone)]
pub struct EngineCatalog {
    docker: ContextStore,
    own: ContextStore,
    /// The environment when the app started (DOCKER_HOST, DOCKER_CONTEXT, TLS settings …).
    env: Vec<(String, OsString)>,
}

impl EngineCatalog {
    /// The user's docker config folder, and Bulkhead's (`$XDG_CONFIG_HOME/bulkhead`, else
    /// `~/.config/bulkhead`).
    pub fn from_env() -> EngineCatalog {
        let env: Vec<(String, OsString)> = std::env::vars_os()
            .filter_map(|(k, v)| k.into_string().ok().map(|k| (k, v)))
            .filter(|(k, _)| {
                k.starts_with("DOCKER_") || matches!(k.as_str(), "HOME" | "XDG_CONFIG_HOME" | "XDG_RUNTIME_DIR")
            })
            .collect();
        let var = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let own = var("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| PathBuf::from(".config"))
            .join("bulkhead");
        EngineCatalog { docker: ContextStore::from_vars(&var), own: ContextStore::new(own), env }
    }

    /// A catalogue over the given folders and environment (tests).
    pub fn new(docker_config: &Path, own: &Path, env: Vec<(String, OsString)>) -> EngineCatalog {
        EngineCatalog { docker: ContextStore::new(docker_config), own: ContextStore::new(own), env }
    }

    fn var(&self, k: &str) -> Option<OsString> {
        self.env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    /// Bulkhead's own config folder (its engines, the engine picked last, the preferences).
    pub fn config_dir(&self) -> &Path {
        self.own.config_dir()
    }

    pub fn docker_store(&self) -> &ContextStore {
        &self.docker
    }

    fn entry(id: String, source: EngineSource, c: &Context) -> EngineEntry {
        let (warning, needs_confirmation) = c.endpoint.as_ref().map_or((None, false), risk_of);
        EngineEntry {
            id,
            name: c.name.clone(),
            description: c.description.clone(),
            endpoint: c.endpoint.as_ref().map_or_else(|_| c.host.clone(), ToString::to_string),
            source,
            error: c.endpoint.as_ref().err().cloned(),
            warning,
            needs_confirmation,
            removable: c.name != DEFAULT_CONTEXT,
        }
    }

    /// Every engine: `default`, the docker contexts, Bulkhead's own, the Podman sockets found;
    /// then the context files that could not be read at all (each an error naming its file).
    pub fn list(&self) -> (Vec<EngineEntry>, Vec<Error>) {
        let var = |k: &str| self.var(k);
        let default = ContextStore::default_context(None, &var);
        let mut entries = vec![EngineCatalog::entry(DEFAULT_CONTEXT.into(), EngineSource::DockerContext, &default)];
        let (contexts, mut broken) = self.docker.list();
        entries.extend(contexts.iter().map(|c| EngineCatalog::entry(c.name.clone(), EngineSource::DockerContext, c)));
        let (own, own_broken) = self.own.list();
        entries.extend(
            own.iter().map(|c| EngineCatalog::entry(format!("{OWN_PREFIX}{}", c.name), EngineSource::Bulkhead, c)),
        );
        broken.extend(own_broken);
        for path in crate::context::podman_sockets(&var) {
            let rootless = !path.starts_with("/run/podman");
            entries.push(EngineEntry {
                id: format!("{PODMAN_PREFIX}{}", path.display()),
                name: if rootless { "Podman (rootless)".into() } else { "Podman".into() },
                description: "found on this machine".into(),
                endpoint: format!("unix://{}", path.display()),
                source: EngineSource::Podman,
                error: None,
                warning: None,
                needs_confirmation: false,
                removable: false,
            });
        }
        (entries, broken)
    }

    /// The endpoint of an engine id, or why it cannot be used.
    pub fn endpoint(&self, id: &str) -> Result<Endpoint> {
        let var = |k: &str| self.var(k);
        if id == DEFAULT_CONTEXT {
            return ContextStore::default_context(None, &var).endpoint;
        }
        if let Some(path) = id.strip_prefix(PODMAN_PREFIX) {
            let path = PathBuf::from(path);
            if !crate::context::podman_sockets(&var).contains(&path) {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("There is no Podman socket at {}.", path.display()),
                ));
            }
            return Ok(Endpoint::Unix(path));
        }
        if let Some(name) = id.strip_prefix(OWN_PREFIX) {
            return self.own.get(name)?.endpoint;
        }
        self.docker.get(id)?.endpoint
    }

    /// The entry of one id.
    pub fn get(&self, id: &str) -> Result<EngineEntry> {
        self.list().0.into_iter().find(|e| e.id == id).ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("There is no engine {:?}.", crate::text::neutralise(id)))
        })
    }

    /// The entry of `id` if it may be used now: readable, and confirmed when it needs it (plain
    /// TCP to another host).
    pub fn usable(&self, id: &str, confirmed: bool) -> Result<EngineEntry> {
        let entry = self.get(id)?;
        if let Some(e) = entry.error {
            return Err(e);
        }
        if entry.needs_confirmation && !confirmed {
            return Err(Error::new(
                ErrorKind::ConfirmationNeeded,
                entry.warning.unwrap_or_else(|| "Using this engine needs your confirmation.".into()),
            ));
        }
        Ok(entry)
    }

    /// Adds an engine: checked as a whole first (name, address, TLS files, the plain-TCP
    /// confirmation), then written as a docker context or into Bulkhead's own folder.
    pub fn add(&self, req: &AddEngine) -> Result<EngineEntry> {
        let host = normalise_host(req.host.trim())?;
        let tls = [&req.ca, &req.cert, &req.key].iter().any(|f| f.as_deref().is_some_and(|s| !s.trim().is_empty()));
        let probe = Endpoint::parse_with(&host, || None)?;
        if let Endpoint::Tcp(addr) = &probe {
            if !tls && !req.skip_tls_verify && !crate::registry::is_loopback(addr) && !req.confirm_plain_tcp {
                return Err(Error::new(
                    ErrorKind::ConfirmationNeeded,
                    format!(
                        "tcp://{addr} without TLS gives anyone who can reach it unauthenticated root access to that \
                         host. Confirm that you want it anyway, or give the engine's CA, certificate and key."
                    ),
                ));
            }
        }
        let path = |f: &Option<String>| f.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(PathBuf::from);
        let new = NewContext {
            name: req.name.trim().to_owned(),
            description: req.description.trim().to_owned(),
            host,
            tls: tls.then(|| TlsInput { ca: path(&req.ca), cert: path(&req.cert), key: path(&req.key) }),
            skip_tls_verify: req.skip_tls_verify,
        };
        let other = if req.docker_context { &self.own } else { &self.docker };
        if other.get(&new.name).is_ok() {
            return Err(Error::new(ErrorKind::Conflict, format!("An engine named {:?} already exists.", new.name)));
        }
        let (store, id) = if req.docker_context {
            (&self.docker, new.name.clone())
        } else {
            (&self.own, format!("{OWN_PREFIX}{}", new.name))
        };
        store.create(&new)?;
        self.get(&id)
    }

    /// Removes an engine the user added (or any docker context but `default`).
    pub fn remove(&self, id: &str) -> Result<()> {
        if id.starts_with(PODMAN_PREFIX) {
            return Err(Error::invalid("A Podman socket found on this machine cannot be removed here."));
        }
        match id.strip_prefix(OWN_PREFIX) {
            Some(name) => self.own.remove(name),
            None => self.docker.remove(id),
        }
    }

    fn choice_file(&self) -> PathBuf {
        self.own.config_dir().join("engine.json")
    }

    /// Remembers the engine picked in the app.
    pub fn save_choice(&self, id: &str) -> Result<()> {
        let file = self.choice_file();
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(self.own.config_dir())?;
            let tmp = file.with_extension("json.tmp");
            std::fs::write(&tmp, serde_json::to_vec(&serde_json::json!({ "engine": id })).unwrap_or_default())?;
            std::fs::rename(&tmp, &file)
        };
        write().map_err(|e| Error::internal(format!("Cannot save the engine choice in {}: {e}", file.display())))
    }

    fn saved_choice(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.choice_file()).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        v["engine"].as_str().map(str::to_owned)
    }

    /// The engine to start on: the CLI's environment variables when set (DOCKER_HOST,
    /// DOCKER_CONTEXT), else the preferences' default engine, else the engine picked last time
    /// (each only if it still exists), else the CLI's
    /// current context. A context that no longer exists falls back to `default`.
    pub fn start(&self, preferred: Option<&str>) -> Start {
        let var = |k: &str| self.var(k);
        let from_env = crate::context::choose(None, None, &var, None).ok();
        if let Some(c) = from_env.filter(|c| matches!(c.by, ChosenBy::DockerHost | ChosenBy::DockerContext)) {
            return Start { id: c.name, by: StartedBy::Environment(c.by) };
        }
        if let Some(id) = preferred.filter(|id| self.get(id).is_ok()) {
            return Start { id: id.to_owned(), by: StartedBy::Preferred };
        }
        if let Some(id) = self.saved_choice().filter(|id| self.get(id).is_ok()) {
            return Start { id, by: StartedBy::Saved };
        }
        match self.docker.resolve(None, None, &var) {
            Ok((choice, _)) => Start { id: choice.name, by: StartedBy::Cli(choice.by) },
            Err(_) => Start { id: DEFAULT_CONTEXT.into(), by: StartedBy::Cli(ChosenBy::BuiltIn) },
        }
    }
}

/// A bare absolute path is a unix socket; everything else as written.
fn normalise_host(host: &str) -> Result<String> {
    if host.is_empty() {
        return Err(Error::invalid("Give the engine's address: a socket path, tcp://host:port or ssh://user@host."));
    }
    if host.starts_with('/') {
        return Ok(format!("unix://{host}"));
    }
    Ok(host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(dir: &Path, env: &[(&str, &str)]) -> EngineCatalog {
        EngineCatalog::new(
            &dir.join("docker"),
            &dir.join("bulkhead"),
            env.iter().map(|(k, v)| ((*k).to_owned(), OsString::from(v))).collect(),
        )
    }

    #[test]
    fn adding_removing_and_the_plain_tcp_confirmation() {
        let dir = tempfile::tempdir().unwrap();
        let cat = catalog(dir.path(), &[]);
        let add = |name: &str, host: &str, confirm: bool, docker_context: bool| {
            cat.add(&AddEngine {
                name: name.into(),
                host: host.into(),
                confirm_plain_tcp: confirm,
                docker_context,
                ..Default::default()
            })
        };
        let e = add("far", "tcp://10.1.2.3:2375", false, true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ConfirmationNeeded);
        assert!(e.message.contains("unauthenticated root access"), "{}", e.message);
        assert!(!dir.path().join("docker").exists(), "nothing written before the confirmation");
        let far = add("far", "tcp://10.1.2.3:2375", true, true).unwrap();
        assert!(far.needs_confirmation && far.warning.as_deref().is_some_and(|w| w.contains("2.7")), "{far:?}");
        assert_eq!(cat.usable("far", false).unwrap_err().kind, ErrorKind::ConfirmationNeeded);
        assert_eq!(cat.usable("far", true).unwrap().id, "far");
        // Loopback needs no confirmation; a bare path is a socket; Bulkhead-only engines.
        add("near", "tcp://127.0.0.1:2375", false, true).unwrap();
        let own = add("mine", "/run/x.sock", false, false).unwrap();
        assert_eq!(
            (own.id.as_str(), own.source, own.endpoint.as_str()),
            ("bulkhead/mine", EngineSource::Bulkhead, "unix:///run/x.sock")
        );
        assert_eq!(
            add("mine", "/run/y.sock", false, true).unwrap_err().kind,
            ErrorKind::Conflict,
            "one name, one engine"
        );
        let ids: Vec<String> = cat.list().0.into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["default", "far", "near", "bulkhead/mine"]);
        assert_eq!(cat.endpoint("bulkhead/mine").unwrap(), Endpoint::Unix("/run/x.sock".into()));
        cat.remove("bulkhead/mine").unwrap();
        cat.remove("far").unwrap();
        assert!(cat.remove("default").is_err());
        let ids: Vec<String> = cat.list().0.into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["default", "near"]);
    }

    #[test]
    fn the_start_engine_env_then_preferred_then_saved_then_the_cli_choice() {
        let dir = tempfile::tempdir().unwrap();
        let cat = catalog(dir.path(), &[]);
        for n in ["one", "two"] {
            cat.add(&AddEngine {
                name: n.into(),
                host: "unix:///x.sock".into(),
                docker_context: true,
                ..Default::default()
            })
            .unwrap();
        }
        assert_eq!(cat.start(None), Start { id: "default".into(), by: StartedBy::Cli(ChosenBy::BuiltIn) });
        std::fs::write(dir.path().join("docker/config.json"), r#"{"currentContext":"one"}"#).unwrap();
        assert_eq!(cat.start(None), Start { id: "one".into(), by: StartedBy::Cli(ChosenBy::ConfigFile) });
        cat.save_choice("two").unwrap();
        assert_eq!(cat.start(None), Start { id: "two".into(), by: StartedBy::Saved });
        // The preferences' default engine comes before the one picked last time.
        assert_eq!(cat.start(Some("one")), Start { id: "one".into(), by: StartedBy::Preferred });
        // … when it still exists.
        assert_eq!(cat.start(Some("gone")), Start { id: "two".into(), by: StartedBy::Saved });
        let with_env = catalog(dir.path(), &[("DOCKER_CONTEXT", "one")]);
        assert_eq!(with_env.start(None).by, StartedBy::Environment(ChosenBy::DockerContext));
        let with_host = catalog(dir.path(), &[("DOCKER_HOST", "unix:///y.sock")]);
        assert_eq!(
            with_host.start(None),
            Start { id: "default".into(), by: StartedBy::Environment(ChosenBy::DockerHost) }
        );
        assert_eq!(with_host.endpoint("default").unwrap(), Endpoint::Unix("/y.sock".into()));
        // A saved engine that was removed since: the CLI's choice.
        cat.remove("two").unwrap();
        assert_eq!(cat.start(None).id, "one");
    }
}
