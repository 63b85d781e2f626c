//! Shared support for the live-engine, IPC and end-to-end tests and the benchmarks.
//!
//! - `engine()` connects to the engine `make test` made sure of (DOCKER_HOST or the default socket).
//! - Every object a test creates carries `TEST_LABEL=<pid of the test process>` and a unique name.
//! - `Cleanup` removes what a test registered, on drop — so also when the test panics.
//! - `sweep()` removes test-labelled leftovers of test processes that are gone (a killed run),
//!   and nothing else: never an object a test did not create.
//! - `fixture_image()` builds `FROM scratch` + Debian's static busybox; no registry is needed.

// Tests may panic on what must not fail.
#![allow(clippy::unwrap_used)]

pub mod dockerd;
pub mod e2e;
pub mod notifications;
pub mod podman;
pub mod proxy;
pub mod registry;
pub mod schema;
pub mod ssh;
pub mod tls;

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    BuildImageOptions, CreateContainerOptions, ListContainersOptions, ListImagesOptions, RemoveContainerOptions,
    RemoveImageOptions,
};
use bollard::Docker;
use bulkhead_core::{Endpoint, Engine};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;

/// The label every test object carries; its value is the creating process's pid.
pub const TEST_LABEL: &str = "dev.bulkhead.test";
/// The shared fixture image (kept between runs as a build cache; labelled `TEST_LABEL=fixture`).
pub const FIXTURE_IMAGE: &str = "bulkhead-test/busybox:fixture";
const BUSYBOX: &str = "/bin/busybox";

pub fn test_labels() -> HashMap<String, String> {
    HashMap::from([(TEST_LABEL.to_owned(), std::process::id().to_string())])
}

/// Records that the calling test could not run here, and why. The test then returns: the
/// harness counts it as passed, so `scripts/test-summary.sh` reads this file and counts it as
/// skipped instead (`make test` clears the file before the run).
pub fn skip(reason: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("an unnamed test").to_owned();
    let file = std::env::var_os("BULKHEAD_SKIPPED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/skipped-tests.txt"));
    eprintln!("skipped: {test}: {reason}");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&file) {
        let _ = writeln!(f, "{test}: {reason}");
    }
}

/// A name no other test, run or process uses: `bh-test-<what>-<pid>-<n>-<time>`.
pub fn unique_name(what: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("bh-test-{what}-{}-{}-{nanos:x}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A plain bollard client on the same endpoint, for the test's own actions "outside the app".
pub fn docker() -> Docker {
    match Endpoint::from_env().expect("DOCKER_HOST must be valid for the tests") {
        Endpoint::Unix(p) => Docker::connect_with_unix(&p.to_string_lossy(), 120, bollard::API_DEFAULT_VERSION),
        Endpoint::Tcp(h) => Docker::connect_with_http(&format!("http://{h}"), 120, bollard::API_DEFAULT_VERSION),
        Endpoint::Tls { .. } | Endpoint::Ssh(_) => panic!("the tests' own client speaks to a unix socket or plain TCP"),
    }
    .expect("a Docker client")
}

/// The engine through bulkhead-core, after sweeping leftovers of dead test processes.
pub async fn engine() -> Engine {
    sweep().await;
    Engine::connect(&Endpoint::from_env().expect("valid DOCKER_HOST")).await.unwrap_or_else(|e| {
        panic!("no Docker engine for the tests ({:?}): {}. `make test` starts one.", e.kind, e.message)
    })
}

fn pid_alive(pid: &str) -> bool {
    pid.parse::<u32>().is_ok_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
}

/// Removes test-labelled containers and images whose creating process is gone. Once per process.
pub async fn sweep() {
    static DONE: OnceCell<()> = OnceCell::const_new();
    DONE.get_or_init(|| async {
        let d = docker();
        let filters = HashMap::from([("label".to_owned(), vec![TEST_LABEL.to_owned()])]);
        let containers = d
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters.clone()),
                ..Default::default()
            }))
            .await
            .unwrap_or_default();
        for c in containers {
            let owner = c.labels.as_ref().and_then(|l| l.get(TEST_LABEL)).cloned().unwrap_or_default();
            if !pid_alive(&owner) {
                if let Some(id) = c.id {
                    let _ = d
                        .remove_container(
                            &id,
                            Some(RemoveContainerOptions { force: true, v: true, ..Default::default() }),
                        )
                        .await;
                }
            }
        }
        let networks = d
            .list_networks(Some(bollard::query_parameters::ListNetworksOptions { filters: Some(filters.clone()) }))
            .await
            .unwrap_or_default();
        for n in networks {
            let owner = n.labels.as_ref().and_then(|l| l.get(TEST_LABEL)).cloned().unwrap_or_default();
            if !pid_alive(&owner) {
                if let Some(id) = n.id {
                    let _ = d.remove_network(&id).await;
                }
            }
        }
        let volumes = d
            .list_volumes(Some(bollard::query_parameters::ListVolumesOptions { filters: Some(filters.clone()) }))
            .await
            .ok()
            .and_then(|v| v.volumes)
            .unwrap_or_default();
        for v in volumes {
            if !pid_alive(v.labels.get(TEST_LABEL).map_or("", String::as_str)) {
                let _ = d.remove_volume(&v.name, None::<bollard::query_parameters::RemoveVolumeOptions>).await;
            }
        }
        let images = d
            .list_images(Some(ListImagesOptions { filters: Some(filters), ..Default::default() }))
            .await
            .unwrap_or_default();
        for i in images {
            let owner = i.labels.get(TEST_LABEL).cloned().unwrap_or_default();
            if owner != "fixture" && !pid_alive(&owner) {
                let _ =
                    d.remove_image(&i.id, Some(RemoveImageOptions { force: true, ..Default::default() }), None).await;
            }
        }
    })
    .await;
}

/// What a test created; removed when this is dropped, even during a panic.
#[derive(Default)]
pub struct Cleanup {
    containers: Vec<String>,
    images: Vec<String>,
    image_labels: Vec<String>,
    networks: Vec<String>,
    volumes: Vec<String>,
}

impl Cleanup {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn container(&mut self, id: &str) {
        self.containers.push(id.to_owned());
    }
    pub fn image(&mut self, reference: &str) {
        self.images.push(reference.to_owned());
    }
    /// Every image carrying this `key=value` label (e.g. the intermediate images a build
    /// leaves as its cache) goes too.
    pub fn images_labelled(&mut self, label: &str) {
        self.image_labels.push(label.to_owned());
    }
    /// Removed after the containers.
    pub fn network(&mut self, name: &str) {
        self.networks.push(name.to_owned());
    }
    pub fn volume(&mut self, name: &str) {
        self.volumes.push(name.to_owned());
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let containers = std::mem::take(&mut self.containers);
        let images = std::mem::take(&mut self.images);
        let labels = std::mem::take(&mut self.image_labels);
        let networks = std::mem::take(&mut self.networks);
        let volumes = std::mem::take(&mut self.volumes);
        if containers.is_empty() && images.is_empty() && labels.is_empty() && networks.is_empty() && volumes.is_empty()
        {
            return;
        }
        // Drop cannot await, and may run inside a runtime: do the work on a thread of its own.
        let worker = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let d = docker();
                // Eight at a time: a bench leaves 10,000.
                futures_util::stream::iter(containers)
                    .for_each_concurrent(8, |id| {
                        let d = d.clone();
                        async move {
                            let _ = d
                                .remove_container(
                                    &id,
                                    Some(RemoveContainerOptions { force: true, v: true, ..Default::default() }),
                                )
                                .await;
                        }
                    })
                    .await;
                for n in networks {
                    let _ = d.remove_network(&n).await;
                }
                for v in volumes {
                    let _ = d.remove_volume(&v, None::<bollard::query_parameters::RemoveVolumeOptions>).await;
                }
                for r in images.iter().rev() {
                    let _ =
                        d.remove_image(r, Some(RemoveImageOptions { force: true, ..Default::default() }), None).await;
                }
                for label in labels {
                    let filters = HashMap::from([("label".to_owned(), vec![label])]);
                    let opts = ListImagesOptions { all: true, filters: Some(filters), ..Default::default() };
                    // Children before parents: newest first.
                    let mut found = d.list_images(Some(opts)).await.unwrap_or_default();
                    found.sort_by_key(|i| std::cmp::Reverse(i.created));
                    for i in found {
                        let _ = d
                            .remove_image(&i.id, Some(RemoveImageOptions { force: true, ..Default::default() }), None)
                            .await;
                    }
                }
            });
        });
        let _ = worker.join();
    }
}

/// How many containers carry `label` (`key=value`), running ones only when `running`.
pub async fn containers_labelled(label: &str, running: bool) -> usize {
    let mut filters = HashMap::from([("label".to_owned(), vec![label.to_owned()])]);
    if running {
        filters.insert("status".to_owned(), vec!["running".to_owned()]);
    }
    docker()
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .expect("list containers")
        .len()
}

/// A tar archive (the build context) of a Dockerfile and busybox.
pub fn build_context(dockerfile: &str) -> Vec<u8> {
    let busybox = std::fs::read(BUSYBOX)
        .unwrap_or_else(|e| panic!("{BUSYBOX}: {e}. Install Debian's busybox-static (`make test` does)."));
    let mut tar = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8], mode: u32| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_cksum();
        tar.append_data(&mut h, name, data).expect("tar");
    };
    add("Dockerfile", dockerfile.as_bytes(), 0o644);
    add("busybox", &busybox, 0o755);
    tar.into_inner().expect("tar")
}

/// Builds an image from a Dockerfile whose context holds `busybox`; returns the image ID.
pub async fn build_image(tag: &str, dockerfile: &str, labels: HashMap<String, String>) -> String {
    let d = docker();
    let opts = BuildImageOptions {
        t: Some(tag.to_owned()),
        rm: true,
        forcerm: true,
        labels: Some(labels),
        ..Default::default()
    };
    let body = bollard::body_full(build_context(dockerfile).into());
    let mut stream = d.build_image(opts, None, Some(body));
    let mut log = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(e) = info.error_detail.and_then(|e| e.message) {
                    panic!("building {tag} failed: {e}\n{log}");
                }
                if let Some(s) = info.stream {
                    log.push_str(&s);
                }
            }
            Err(e) => panic!("building {tag} failed: {e}\n{log}"),
        }
    }
    d.inspect_image(tag).await.unwrap_or_else(|e| panic!("{tag} was not built: {e}\n{log}")).id.expect("image id")
}

pub const BUSYBOX_DOCKERFILE: &str =
    "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCMD [\"sh\"]\n";

/// The fixture image, built once per process (the engine's cache makes rebuilds instant).
pub async fn fixture_image() -> &'static str {
    static BUILT: OnceCell<()> = OnceCell::const_new();
    BUILT
        .get_or_init(|| async {
            let labels = HashMap::from([(TEST_LABEL.to_owned(), "fixture".to_owned())]);
            build_image(FIXTURE_IMAGE, BUSYBOX_DOCKERFILE, labels).await;
        })
        .await;
    FIXTURE_IMAGE
}

/// Creates (does not start) a test container running `cmd` in the fixture image.
pub async fn create_container(
    cleanup: &mut Cleanup,
    name: &str,
    cmd: &[&str],
    host_config: Option<bollard::models::HostConfig>,
) -> String {
    create_container_with(
        cleanup,
        name,
        ContainerCreateBody {
            image: Some(fixture_image().await.to_owned()),
            cmd: Some(cmd.iter().map(|s| (*s).to_owned()).collect()),
            host_config,
            ..Default::default()
        },
    )
    .await
}

pub async fn create_container_with(cleanup: &mut Cleanup, name: &str, mut body: ContainerCreateBody) -> String {
    let mut labels = body.labels.take().unwrap_or_default();
    labels.extend(test_labels());
    body.labels = Some(labels);
    if body.image.is_none() {
        body.image = Some(fixture_image().await.to_owned());
    }
    let d = docker();
    let created = d
        .create_container(Some(CreateContainerOptions { name: Some(name.to_owned()), ..Default::default() }), body)
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e}"));
    cleanup.container(&created.id);
    created.id
}

/// Creates and starts a test container whose main process is `sh` with a TTY and open input
/// (`docker run -dit … sh`): one to attach to.
pub async fn start_interactive_sh(cleanup: &mut Cleanup, name: &str) -> String {
    let body = ContainerCreateBody {
        cmd: Some(vec!["sh".into()]),
        tty: Some(true),
        open_stdin: Some(true),
        ..Default::default()
    };
    let id = create_container_with(cleanup, name, body).await;
    docker()
        .start_container(&id, None::<bollard::query_parameters::StartContainerOptions>)
        .await
        .unwrap_or_else(|e| panic!("start {name}: {e}"));
    id
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A docker config folder and a PATH folder of fake `docker-credential-<name>` helpers, as
/// `docker login` with a credential store leaves them. Each helper records how it was asked
/// (its arguments and what came on its standard input) and answers from its table, or with
/// docker-credential-helpers' "credentials not found" and exit status 1.
pub struct FakeCredentials {
    pub dir: tempfile::TempDir,
}

impl FakeCredentials {
    /// `config` is written as config.json.
    pub fn new(config: &serde_json::Value) -> FakeCredentials {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("config")).expect("config dir");
        std::fs::create_dir_all(dir.path().join("bin")).expect("bin dir");
        std::fs::write(dir.path().join("config/config.json"), config.to_string()).expect("config.json");
        FakeCredentials { dir }
    }

    /// Installs `docker-credential-<name>`, answering `(server, username, secret)` rows.
    pub fn helper(&self, name: &str, answers: &[(&str, &str, &str)]) {
        use std::os::unix::fs::PermissionsExt;
        let asked = self.dir.path().join(format!("asked-{name}"));
        let mut cases = String::new();
        for (server, user, secret) in answers {
            let json = serde_json::json!({ "ServerURL": server, "Username": user, "Secret": secret }).to_string();
            cases.push_str(&format!("  '{server}') printf '%s' '{json}' ;;\n"));
        }
        let script = format!(
            "#!/bin/sh\nserver=$(cat)\nprintf '%s|%s\\n' \"$*\" \"$server\" >> '{}'\ncase \"$server\" in\n{cases}  *) echo 'credentials not found in native keychain'; exit 1 ;;\nesac\n",
            asked.display()
        );
        let path = self.dir.path().join("bin").join(format!("docker-credential-{name}"));
        std::fs::write(&path, script).expect("helper");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    pub fn source(&self) -> bulkhead_core::registry::CredentialSource {
        bulkhead_core::registry::CredentialSource {
            config_dir: Some(self.dir.path().join("config")),
            path: Some(self.dir.path().join("bin").into_os_string()),
        }
    }

    /// How `name` was asked, a line per call: `<arguments>|<standard input>`.
    pub fn asked(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join(format!("asked-{name}")))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Does the engine at `host` answer `docker version`?
pub fn docker_answers(host: &str) -> bool {
    std::process::Command::new("docker")
        .args(["-H", host, "version", "--format", "{{.Server.Version}}"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Moves the fixture image into another engine: `docker save | docker -H HOST load` (no
/// registry is reachable from these machines).
pub fn load_fixture_into(host: &str) {
    use std::process::{Command, Stdio};
    let mut save =
        Command::new("docker").args(["save", FIXTURE_IMAGE]).stdout(Stdio::piped()).spawn().expect("docker save");
    let out = Command::new("docker")
        .args(["-H", host, "load", "-q"])
        .stdin(save.stdout.take().expect("save's output"))
        .output()
        .expect("docker load");
    let saved = save.wait().expect("docker save ends");
    assert!(
        saved.success() && out.status.success(),
        "docker save | docker -H {host} load: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test-labelled `sleep` container on the engine at `host` (`docker -H HOST run -d`), with no
/// network (the tests' other engines have none to give); its ID.
pub fn run_sleeper_on(host: &str, image: &str, name: &str) -> String {
    let label = format!("{TEST_LABEL}={}", std::process::id());
    let out = std::process::Command::new("docker")
        .args(["-H", host, "run", "-d", "--network", "none", "--label", &label, "--name", name, image, "sleep", "600"])
        .output()
        .expect("docker run");
    assert!(out.status.success(), "docker -H {host} run: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A Compose fixture project in `dir` (`docker-compose.yml`): two services of the fixture image
/// on a network of their own, a named volume, everything labelled for the tests' sweep; their
/// main process exits on SIGTERM at once. `extra` is added to the web service (indented 4).
pub fn compose_project(dir: &std::path::Path, extra: &str) -> std::path::PathBuf {
    let pid = std::process::id();
    let label = format!("{TEST_LABEL}: \"{pid}\"");
    let service = |name: &str, more: &str| {
        format!(
            "  {name}:\n    image: {FIXTURE_IMAGE}\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo hello from {name}; while true; do sleep 1; done\"]\n    labels: {{{label}}}\n    networks: [back]\n{more}"
        )
    };
    let text = format!(
        "version: \"3.7\"\nservices:\n{}{}volumes:\n  data:\n    labels: {{{label}}}\nnetworks:\n  back:\n    labels: {{{label}}}\n",
        service("web", &format!("    volumes: [\"data:/data\"]\n{extra}")),
        service("worker", "")
    );
    let path = dir.join("docker-compose.yml");
    std::fs::write(&path, text).expect("compose file");
    path
}
