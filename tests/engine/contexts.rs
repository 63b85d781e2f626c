//! Docker contexts, differentially against the real docker CLI: contexts the CLI writes read
//! back the same in Bulkhead, contexts Bulkhead writes are contexts the CLI lists, inspects and
//! connects with, and which context is in use follows the CLI's precedence, case by case.

use bulkhead_core::context::{ContextStore, NewContext, TlsInput, DEFAULT_CONTEXT};
use bulkhead_core::{Endpoint, Engine};
use bulkhead_tests::tls::Pki;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

/// The docker CLI with only `env` (and PATH/HOME) set, in the config folder `config`.
fn cli(config: &Path, env: &[(&str, &str)], args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new("docker");
    cmd.env_clear().env("DOCKER_CONFIG", config);
    for k in ["PATH", "HOME"] {
        if let Some(v) = std::env::var_os(k) {
            cmd.env(k, v);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().expect("the docker CLI (make test installs docker.io)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    )
}

fn vars<'a>(config: &'a Path, env: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
    move |k: &str| {
        if k == "DOCKER_CONFIG" {
            return Some(config.as_os_str().to_owned());
        }
        env.iter().find(|(n, _)| *n == k).map(|(_, v)| OsString::from(v))
    }
}

/// The engine's socket, for contexts that must really connect.
fn engine_socket() -> String {
    match Endpoint::from_env().expect("DOCKER_HOST") {
        Endpoint::Unix(p) => format!("unix://{}", p.display()),
        other => panic!("the tests' engine is a unix socket, not {other}"),
    }
}

#[tokio::test]
async fn contexts_are_read_and_written_exactly_as_the_docker_cli_does() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path();
    let pki = Pki::new();
    let certs = pki.cert_path();
    let cert = |f: &str| certs.path().join(f).display().to_string();
    let socket = engine_socket();

    // Written by the CLI.
    for args in [
        vec![
            "context",
            "create",
            "box1",
            "--description",
            "the home server",
            "--docker",
            "host=ssh://me@box:2222/run/d.sock",
        ],
        vec!["context", "create", "box10", "--docker", "host=tcp://h:2376,skip-tls-verify=true"],
        vec![
            "context",
            "create",
            "tls3",
            "--docker",
            &format!(
                "host=tcp://127.0.0.1:2376,ca={},cert={},key={}",
                cert("ca.pem"),
                cert("cert.pem"),
                cert("key.pem")
            ),
        ],
        vec!["context", "create", "box2", "--docker", &format!("host={socket}")],
    ] {
        let (ok, _, err) = cli(config, &[], &args);
        assert!(ok, "{args:?}: {err}");
    }
    // Written by Bulkhead.
    let store = ContextStore::new(config);
    store
        .create(&NewContext {
            name: "ours5".into(),
            description: "made by bulkhead".into(),
            host: socket.clone(),
            tls: None,
            skip_tls_verify: false,
        })
        .unwrap();
    store
        .create(&NewContext {
            name: "ours6".into(),
            description: String::new(),
            host: "tcp://127.0.0.1:2376".into(),
            tls: Some(TlsInput {
                ca: Some(certs.path().join("ca.pem")),
                cert: Some(certs.path().join("cert.pem")),
                key: Some(certs.path().join("key.pem")),
            }),
            skip_tls_verify: false,
        })
        .unwrap();

    // `docker context ls` and Bulkhead's list agree on every context, in the same order.
    let (ok, listed, err) = cli(config, &[], &["context", "ls", "--format", "json"]);
    assert!(ok, "{err}");
    let theirs: Vec<(String, String, String)> = listed
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (s("Name"), s("Description"), s("DockerEndpoint"))
        })
        .collect();
    let (contexts, broken) = store.list();
    assert!(broken.is_empty(), "{broken:?}");
    let default = ContextStore::default_context(None, &vars(config, &[]));
    let mut ours: Vec<(String, String, String)> =
        contexts.iter().map(|c| (c.name.clone(), c.description.clone(), c.host.clone())).collect();
    ours.push((default.name.clone(), default.description.clone(), default.host.clone()));
    let sort = |v: &mut Vec<(String, String, String)>| v.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut t, mut o) = (theirs.clone(), ours.clone());
    sort(&mut t);
    sort(&mut o);
    assert_eq!(o, t, "the same contexts, descriptions and endpoints");
    let order = |v: &[(String, String, String)]| {
        v.iter().map(|c| c.0.clone()).filter(|n| n != DEFAULT_CONTEXT).collect::<Vec<_>>()
    };
    assert_eq!(order(&ours), order(&theirs), "natural order, box2 before box10");

    // The endpoints behind them, as the CLI's docker/load.go builds them.
    let by_name: BTreeMap<&str, &bulkhead_core::context::Context> =
        contexts.iter().map(|c| (c.name.as_str(), c)).collect();
    let Ok(Endpoint::Ssh(a)) = &by_name["box1"].endpoint else { panic!("{:?}", by_name["box1"].endpoint) };
    assert_eq!(
        (a.user.as_deref(), a.host.as_str(), a.port, a.socket.as_deref()),
        (Some("me"), "box", Some(2222), Some("/run/d.sock"))
    );
    let Ok(Endpoint::Tls { files, .. }) = &by_name["box10"].endpoint else { panic!("{:?}", by_name["box10"].endpoint) };
    assert!(!files.verify && files.ca.is_none(), "SkipTLSVerify without material: TLS, not verified");
    for name in ["tls3", "ours6"] {
        let Ok(Endpoint::Tls { addr, files }) = &by_name[name].endpoint else {
            panic!("{name}: {:?}", by_name[name].endpoint)
        };
        assert_eq!(addr, "127.0.0.1:2376");
        assert!(files.verify, "{name}");
        for f in [&files.ca, &files.cert, &files.key] {
            let f = f.as_ref().expect("ca, cert and key from the store");
            assert!(f.starts_with(config.join("contexts/tls")), "{name}: {}", f.display());
        }
    }

    // What Bulkhead wrote is what the CLI would have written.
    let (ok, inspected, err) = cli(config, &[], &["context", "inspect", "ours6", "tls3"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&inspected).unwrap();
    assert_eq!(v[0]["Endpoints"], v[1]["Endpoints"], "the same endpoint record");
    assert_eq!(v[0]["TLSMaterial"], v[1]["TLSMaterial"], "the same TLS files");
    assert_eq!(v[0]["Metadata"], serde_json::json!({}), "no description: an empty Metadata, as the CLI writes");
    let (ok, inspected, err) = cli(config, &[], &["context", "inspect", "ours5"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&inspected).unwrap();
    assert_eq!(v[0]["Metadata"]["Description"], "made by bulkhead");

    // Both connect to the real engine through a context the other one wrote.
    let (ok, api, err) = cli(config, &[], &["--context", "ours5", "version", "--format", "{{.Server.APIVersion}}"]);
    assert!(ok, "docker --context ours5: {err}");
    let engine = Engine::connect(by_name["box2"].endpoint.as_ref().unwrap()).await.unwrap();
    assert_eq!(engine.version().engine_api.to_string(), api);

    // Which context is in use: `docker context show` and Bulkhead, case by case.
    /// Flags, the environment, config.json's currentContext.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], Option<&'a str>);
    let cases: &[Case] = &[
        (&[], &[], None),
        (&[], &[], Some("box1")),
        (&[], &[("DOCKER_CONTEXT", "box2")], Some("box1")),
        (&[], &[("DOCKER_HOST", "unix:///x.sock"), ("DOCKER_CONTEXT", "box2")], Some("box1")),
        (&["--context", "ours5"], &[("DOCKER_HOST", "unix:///x.sock"), ("DOCKER_CONTEXT", "box2")], Some("box1")),
        (&["-H", "unix:///y.sock"], &[("DOCKER_CONTEXT", "box2")], Some("box1")),
        (&[], &[("DOCKER_HOST", ""), ("DOCKER_CONTEXT", "")], Some("box1")),
    ];
    for (flags, env, current) in cases {
        let cfg = match current {
            Some(c) => format!(r#"{{"currentContext":"{c}"}}"#),
            None => "{}".to_owned(),
        };
        std::fs::write(config.join("config.json"), cfg).unwrap();
        let mut args = flags.to_vec();
        args.extend(["context", "show"]);
        let (ok, theirs, err) = cli(config, env, &args);
        assert!(ok, "{args:?} {env:?}: {err}");
        let flag = |f: &str| flags.iter().position(|a| *a == f).map(|i| flags[i + 1]);
        let (choice, _) = store.resolve(flag("--context"), flag("-H"), &vars(config, env)).unwrap();
        assert_eq!(choice.name, theirs, "{flags:?} {env:?} currentContext={current:?}");
    }

    // A malformed context: the CLI's list fails as a whole; Bulkhead names the file and keeps
    // the others.
    let junk = config.join("contexts/meta/0bad");
    std::fs::create_dir_all(&junk).unwrap();
    std::fs::write(junk.join("meta.json"), "{\"Name\": 1").unwrap();
    let (ok, _, _) = cli(config, &[], &["context", "ls"]);
    assert!(!ok, "the CLI refuses the whole list");
    let (contexts, broken) = store.list();
    assert_eq!(contexts.len(), 6);
    assert_eq!(broken.len(), 1);
    assert!(broken[0].message.contains("0bad/meta.json"), "{}", broken[0].message);
}
