//! The rule catalogue, table-driven on hand-built facts (no engine), and kernel truth read from
//! fixture host trees: cgroup v1 and v2, cgroupfs and systemd drivers.

// Tests may panic on what must not fail.
#![allow(clippy::unwrap_used)]

use bulkhead_core::inspect::facts::{ContainerFacts, EngineFacts, ImageFacts, MountFact, PortFact, Probe, SocketFacts};
use bulkhead_core::inspect::host::{HostRoot, KernelFacts};
use bulkhead_core::inspect::report::{self, AuditReport, EngineReport};
use bulkhead_core::inspect::rules::{self, Context, QuickFix, Scope, Severity};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use bulkhead_tests::schema;

/// A container that no container rule fires on.
fn hardened() -> ContainerFacts {
    ContainerFacts {
        id: "c0ffee".into(),
        name: "web".into(),
        image: "app:1.2".into(),
        user: "1000:1000".into(),
        pids_limit: 100,
        memory: 256 << 20,
        nano_cpus: 1_000_000_000,
        readonly_rootfs: true,
        restart_policy: "on-failure".into(),
        restart_max_retries: 5,
        security_opt: vec!["no-new-privileges".into()],
        healthcheck: true,
        cap_drop: vec!["ALL".into()],
        network_mode: "app-net".into(),
        ports: vec![PortFact {
            container_port: 80,
            protocol: "tcp".into(),
            host_ip: "127.0.0.1".into(),
            host_port: 8080,
        }],
        mounts: vec![MountFact {
            kind: "bind".into(),
            source: "/srv/app/data".into(),
            destination: "/data".into(),
            writable: true,
            propagation: "rprivate".into(),
        }],
        ..Default::default()
    }
}

fn engine_facts() -> EngineFacts {
    EngineFacts {
        endpoint: "unix:///var/run/docker.sock".into(),
        local: true,
        tcp_plain: false,
        tls_unverified: false,
        product: "Docker".into(),
        userns_remap: true,
        rootless: true,
        live_restore: true,
        seccomp: true,
        apparmor: true,
        experimental: false,
        icc: Some(false),
        insecure_registries: vec![],
        logging_driver: "json-file".into(),
        log_opts: Probe::Known { value: vec!["max-size=10m".into()] },
        socket: Probe::Known {
            value: SocketFacts {
                path: "/var/run/docker.sock".into(),
                owner: "root".into(),
                group: "docker".into(),
                mode: "660".into(),
            },
        },
        socket_group_members: Probe::Known { value: vec![] },
        storage_dir: "/var/lib/docker".into(),
        storage_driver: "overlay2".into(),
        storage_on_root_fs: Probe::Known { value: false },
    }
}

fn fired(c: &ContainerFacts) -> Vec<String> {
    rules::check_container(c, &Context::default()).into_iter().map(|f| f.rule_id).collect()
}

type Mutation = fn(&mut ContainerFacts);
type ImageMutation = fn(&mut ImageFacts);
type EngineMutation = fn(&mut EngineFacts);

/// (rule, a change that must make it fire).
const CONTAINER_CASES: &[(&str, Mutation)] = &[
    ("container.privileged", |c| c.privileged = true),
    ("container.api-socket", |c| c.mounts[0].source = "/var/run/docker.sock".into()),
    ("container.api-socket", |c| c.mounts[0].source = "/var/run".into()),
    ("container.api-socket", |c| c.mounts[0].source = "/run".into()),
    ("container.api-socket", |c| c.mounts[0].source = "/run/podman/podman.sock".into()),
    ("container.host-network", |c| c.network_mode = "host".into()),
    ("container.host-pid", |c| c.pid_mode = "host".into()),
    ("container.dangerous-capabilities", |c| c.cap_add = vec!["SYS_ADMIN".into()]),
    ("container.dangerous-capabilities", |c| c.cap_add = vec!["ALL".into()]),
    ("container.dangerous-capabilities", |c| c.cap_add = vec!["SYS_MODULE".into()]),
    ("container.dangerous-capabilities", |c| c.cap_add = vec!["SYS_PTRACE".into()]),
    ("container.dangerous-capabilities", |c| c.cap_add = vec!["DAC_READ_SEARCH".into()]),
    ("container.dangerous-capabilities", |c| c.cap_add = vec!["NET_ADMIN".into()]),
    ("container.added-capabilities", |c| c.cap_add = vec!["SYS_TIME".into()]),
    ("container.sensitive-mount-writable", |c| c.mounts[0].source = "/etc".into()),
    ("container.sensitive-mount-writable", |c| c.mounts[0].source = "/usr/bin".into()),
    ("container.default-bridge", |c| c.network_mode = "bridge".into()),
    ("container.default-bridge", |c| c.network_mode = "default".into()),
    ("container.sensitive-mount", |c| {
        c.mounts[0].source = "/".into();
        c.mounts[0].writable = false;
    }),
    ("container.privileged-port", |c| c.ports[0].host_port = 80),
    ("container.ports-all-interfaces", |c| c.ports[0].host_ip = "0.0.0.0".into()),
    ("container.ports-all-interfaces", |c| c.ports[0].host_ip = "::".into()),
    ("container.ports-all-interfaces", |c| c.ports[0].host_ip = String::new()),
    ("container.host-ipc", |c| c.ipc_mode = "host".into()),
    ("container.host-uts", |c| c.uts_mode = "host".into()),
    ("container.no-memory-limit", |c| c.memory = 0),
    ("container.no-cpu-limit", |c| c.nano_cpus = 0),
    ("container.no-pids-limit", |c| c.pids_limit = 0),
    ("container.no-pids-limit", |c| c.pids_limit = -1),
    ("container.writable-rootfs", |c| c.readonly_rootfs = false),
    ("container.restart-unbounded", |c| c.restart_max_retries = 0),
    ("container.restart-unbounded", |c| c.restart_policy = "always".into()),
    ("container.host-devices", |c| c.devices = vec!["/dev/sda:/dev/sda:rwm".into()]),
    ("container.shared-propagation", |c| c.mounts[0].propagation = "rshared".into()),
    ("container.seccomp-unconfined", |c| c.security_opt.push("seccomp=unconfined".into())),
    ("container.no-new-privileges-off", |c| c.security_opt.clear()),
    ("container.no-healthcheck", |c| c.healthcheck = false),
    ("container.root-user", |c| c.user = String::new()),
    ("container.root-user", |c| c.user = "0:0".into()),
    ("container.docker-host-env", |c| c.docker_host_env = Some("tcp://10.0.0.1:2375".into())),
    ("container.system-files-changed", |c| c.system_changes = vec!["added /etc/cron.d/evil".into()]),
];

#[test]
fn the_hardened_container_fires_no_container_rule() {
    assert_eq!(fired(&hardened()), Vec::<String>::new());
}

#[test]
fn each_container_rule_fires_on_its_case_and_only_then() {
    for (i, (rule, mutate)) in CONTAINER_CASES.iter().enumerate() {
        let mut c = hardened();
        mutate(&mut c);
        let got = fired(&c);
        assert!(got.iter().any(|r| r == rule), "case {i}: {rule} did not fire; fired {got:?}");
        let f = rules::check_container(&c, &Context::default()).into_iter().find(|f| f.rule_id == *rule).unwrap();
        assert!(!f.evidence.is_empty(), "{rule} shows what it saw");
        assert!(!f.fix.is_empty() && !f.why.is_empty() && !f.title.is_empty());
    }
    // Every container rule that needs no kernel or engine facts has a case.
    let covered: HashSet<&str> = CONTAINER_CASES.iter().map(|(r, _)| *r).collect();
    // The kernel's or the engine's facts, or the other containers (core's topology tests and the
    // live audit test cover those).
    let needs_context = [
        "container.host-userns",
        "container.apparmor-unconfined",
        "container.kernel-disagrees",
        "container.lan-network",
        "container.shared-volume-rw",
        "container.icc-mixed-projects",
    ];
    for r in rules::catalogue().into_iter().filter(|r| r.scope == Scope::Container) {
        assert!(covered.contains(r.id) || needs_context.contains(&r.id), "{} has no test case", r.id);
    }
}

#[test]
fn near_misses_do_not_fire() {
    let mut c = hardened();
    c.mounts[0].source = "/srv/etc".into(); // not /etc
    c.cap_add = vec!["CHOWN".into()]; // in Docker's default set
    c.ports[0].host_port = 1024;
    c.mounts[0].propagation = "rslave".into();
    c.user = "app".into();
    c.restart_policy = "no".into();
    assert_eq!(fired(&c), Vec::<String>::new());
}

#[test]
fn rules_that_need_the_engine_or_the_kernel() {
    let e = engine_facts();
    let mut c = hardened();
    c.userns_mode = "host".into();
    let ctx = Context { engine: Some(&e), kernel: None };
    let ids: Vec<String> = rules::check_container(&c, &ctx).into_iter().map(|f| f.rule_id).collect();
    assert!(ids.contains(&"container.host-userns".to_owned()), "{ids:?}");

    let mut c = hardened();
    c.security_opt.push("apparmor=unconfined".into());
    let ids: Vec<String> = rules::check_container(&c, &ctx).into_iter().map(|f| f.rule_id).collect();
    assert!(ids.contains(&"container.apparmor-unconfined".to_owned()), "{ids:?}");
    let off = EngineFacts { apparmor: false, ..engine_facts() };
    let ids = rules::check_container(&c, &Context { engine: Some(&off), kernel: None });
    assert!(
        ids.iter().all(|f| f.rule_id != "container.apparmor-unconfined"),
        "no AppArmor on the host: nothing to turn off"
    );

    // Root in the container, but the engine remaps users: not the host's root.
    let mut c = hardened();
    c.user = String::new();
    let ids: Vec<String> = rules::check_container(&c, &ctx).into_iter().map(|f| f.rule_id).collect();
    assert!(!ids.contains(&"container.root-user".to_owned()), "{ids:?}");
}

#[test]
fn quick_fixes_for_limits() {
    let mut c = hardened();
    c.pids_limit = 0;
    c.memory = 0;
    c.nano_cpus = 0;
    let f = rules::check_container(&c, &Context::default());
    let fix = |id: &str| f.iter().find(|f| f.rule_id == id).and_then(|f| f.quick_fix);
    assert_eq!(fix("container.no-pids-limit"), Some(QuickFix::PidsLimit { limit: 512 }));
    assert!(matches!(fix("container.no-memory-limit"), Some(QuickFix::Memory { .. })));
    assert!(matches!(fix("container.no-cpu-limit"), Some(QuickFix::Cpus { .. })));
}

#[test]
fn image_rules() {
    let good = ImageFacts {
        reference: "app:1.2".into(),
        user: "app".into(),
        healthcheck: true,
        history: vec!["/bin/sh -c #(nop) ADD file:abc in / ".into(), "COPY app /app # buildkit".into()],
        ..Default::default()
    };
    assert_eq!(rules::check_image(&good), vec![]);
    let cases: [(&str, ImageMutation); 6] = [
        ("image.no-user", |i| i.user = String::new()),
        ("image.no-healthcheck", |i| i.healthcheck = false),
        ("image.add-instead-of-copy", |i| i.history.push("ADD https://example.com/a.tgz /opt # buildkit".into())),
        ("image.secret-env", |i| i.secret_env = vec!["DB_PASSWORD".into()]),
        ("image.latest-tag", |i| i.reference = "app:latest".into()),
        ("image.latest-tag", |i| i.reference = "registry.local:5000/app".into()),
    ];
    for (rule, mutate) in cases {
        let mut i = good.clone();
        mutate(&mut i);
        let ids: Vec<String> = rules::check_image(&i).into_iter().map(|f| f.rule_id).collect();
        assert_eq!(ids, vec![rule.to_owned()]);
    }
    // Secrets are detected from the image's configuration, and never shown.
    let inspect = serde_json::json!({"Id": "sha256:1", "Config": {"Env": ["PATH=/bin", "API_TOKEN=abc123", "X=AKIAABCDEFGHIJKLMNOP", "DB_PASSWORD_FILE=/run/secrets/db"]}});
    let f = ImageFacts::from_inspect("app:1", &inspect, &serde_json::json!([]));
    assert_eq!(f.secret_env, vec!["API_TOKEN", "X"]);
    let shown = serde_json::to_string(&rules::check_image(&f)).unwrap();
    assert!(!shown.contains("abc123") && !shown.contains("AKIAABCDEFGHIJKLMNOP"), "values stay hidden: {shown}");
}

#[test]
fn engine_rules() {
    assert_eq!(rules::check_engine(&engine_facts()), vec![]);
    let cases: [(&str, EngineMutation); 12] = [
        ("engine.tcp-unencrypted", |e| e.tcp_plain = true),
        ("engine.tls-unverified", |e| e.tls_unverified = true),
        ("engine.socket-permissions", |e| {
            if let Probe::Known { value } = &mut e.socket {
                value.mode = "666".into();
            }
        }),
        ("engine.socket-group", |e| e.socket_group_members = Probe::Known { value: vec!["alice".into()] }),
        ("engine.no-userns-remap", |e| {
            e.userns_remap = false;
            e.rootless = false;
        }),
        ("engine.not-rootless", |e| e.rootless = false),
        ("engine.live-restore-off", |e| e.live_restore = false),
        ("engine.icc", |e| e.icc = Some(true)),
        ("engine.insecure-registries", |e| e.insecure_registries = vec!["10.0.0.5:5000".into()]),
        ("engine.experimental", |e| e.experimental = true),
        ("engine.log-unbounded", |e| e.log_opts = Probe::Known { value: vec![] }),
        ("engine.storage-on-root", |e| e.storage_on_root_fs = Probe::Known { value: true }),
    ];
    for (rule, mutate) in cases {
        let mut e = engine_facts();
        mutate(&mut e);
        let ids: Vec<String> = rules::check_engine(&e).into_iter().map(|f| f.rule_id).collect();
        assert!(ids.contains(&rule.to_owned()), "{rule}: {ids:?}");
    }
    // Unknown is never a pass, nor a failure made up: log options unknown → no finding claimed.
    let e = EngineFacts { log_opts: Probe::unknown("remote"), ..engine_facts() };
    assert!(rules::check_engine(&e).is_empty());
}

#[test]
fn catalogue_ids_are_unique_and_carry_references() {
    let all = rules::catalogue();
    let ids: HashSet<&str> = all.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), all.len(), "rule IDs are unique");
    assert!(all.len() >= 40, "{} rules", all.len());
    for r in &all {
        assert!(r.cis.is_some() || r.owasp.is_some(), "{} has a CIS or OWASP reference", r.id);
        assert!(r.id.starts_with(match r.scope {
            Scope::Container => "container.",
            Scope::Image => "image.",
            Scope::Engine => "engine.",
        }));
    }
}

#[test]
fn scores_and_grades() {
    assert_eq!(report::score(&[]), (100, "A".into()));
    let mut c = hardened();
    c.privileged = true;
    let f = rules::check_container(&c, &Context::default());
    assert_eq!(report::score(&f).1, "F", "a critical finding is an F");
    let mut c = hardened();
    c.readonly_rootfs = false;
    c.healthcheck = false;
    let (s, g) = report::score(&rules::check_container(&c, &Context::default()));
    assert_eq!((s, g.as_str()), (94, "A"));
}

// ---- kernel truth from fixture trees ----

struct Tree(PathBuf);

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Tree {
    fn new(name: &str) -> Tree {
        let p = std::env::temp_dir().join(format!("bulkhead-host-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tree(p)
    }
    fn file(&self, path: &str, text: &str) -> &Self {
        let p = self.0.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }
    fn link(&self, path: &str, target: &str) -> &Self {
        let p = self.0.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
        self
    }
    fn root(&self) -> HostRoot {
        HostRoot::new(&self.0)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

const ID: &str = "4f9a0c3e2b1d4f9a0c3e2b1d4f9a0c3e2b1d4f9a0c3e2b1d4f9a0c3e2b1d4f9a";
const PID: u32 = 4242;

/// The /proc part every layout shares: the pid namespace is the host's, the rest is private.
fn proc_files(t: &Tree, cgroup: &str) {
    t.file(&format!("/proc/{PID}/cgroup"), cgroup)
        .file(&format!("/proc/{PID}/uid_map"), "         0          0 4294967295\n")
        .file(
            &format!("/proc/{PID}/status"),
            "Name:\tsh\nUid:\t0\t0\t0\t0\nCapEff:\t00000000a82425fb\nNoNewPrivs:\t0\nSeccomp:\t2\n",
        );
    for (kind, host, container) in [
        ("pid", 4026531836u64, 4026531836u64),
        ("net", 4026531992, 4026532300),
        ("ipc", 4026531839, 4026532301),
        ("mnt", 4026531840, 4026532302),
        ("uts", 4026531838, 4026532303),
        ("user", 4026531837, 4026531837),
        ("cgroup", 4026531835, 4026531835),
    ] {
        t.link(&format!("/proc/1/ns/{kind}"), &format!("{kind}:[{host}]"));
        t.link(&format!("/proc/{PID}/ns/{kind}"), &format!("{kind}:[{container}]"));
    }
}

fn v1(t: &Tree, path: &str) {
    proc_files(t, &format!("12:pids:{path}\n11:memory:{path}\n6:cpu,cpuacct:{path}\n1:name=systemd:{path}\n"));
    t.file(&format!("/sys/fs/cgroup/pids{path}/pids.max"), "max\n")
        .file(&format!("/sys/fs/cgroup/pids{path}/pids.current"), "3\n")
        .file(&format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes"), "536870912\n")
        .file(&format!("/sys/fs/cgroup/memory{path}/memory.usage_in_bytes"), "1048576\n")
        .file(&format!("/sys/fs/cgroup/cpu,cpuacct{path}/cpu.cfs_quota_us"), "-1\n")
        .file(&format!("/sys/fs/cgroup/cpu,cpuacct{path}/cpu.cfs_period_us"), "100000\n");
}

fn v2(t: &Tree, path: &str, cgroup_line: &str) {
    proc_files(t, &format!("0::{cgroup_line}\n"));
    t.file("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n")
        .file(&format!("/sys/fs/cgroup{path}/pids.max"), "100\n")
        .file(&format!("/sys/fs/cgroup{path}/pids.current"), "2\n")
        .file(&format!("/sys/fs/cgroup{path}/memory.max"), "max\n")
        .file(&format!("/sys/fs/cgroup{path}/memory.current"), "2097152\n")
        .file(&format!("/sys/fs/cgroup{path}/cpu.max"), "50000 100000\n");
}

#[test]
fn cgroup_v1_with_either_driver() {
    for (driver, path) in
        [("cgroupfs", format!("/docker/{ID}")), ("systemd", format!("/system.slice/docker-{ID}.scope"))]
    {
        let t = Tree::new(&format!("v1-{driver}"));
        v1(&t, &path);
        let k = t.root().kernel_facts(ID, PID, true);
        let g = k.cgroup.known().unwrap_or_else(|| panic!("{driver}: {:?}", k.cgroup));
        assert_eq!((g.version, g.driver.as_str(), g.path.as_str()), (1, driver, path.as_str()));
        assert_eq!(g.pids_max, None, "max = no limit");
        assert_eq!(g.pids_current, Some(3));
        assert_eq!(g.memory_max, Some(512 << 20));
        assert_eq!(g.cpu_quota_us, None);
        assert_eq!(g.pids_file, format!("/sys/fs/cgroup/pids{path}/pids.max"));
        check_proc(&k);
    }
    // v1's "no memory limit" is a huge number.
    let t = Tree::new("v1-unlimited");
    v1(&t, &format!("/docker/{ID}"));
    t.file(&format!("/sys/fs/cgroup/memory/docker/{ID}/memory.limit_in_bytes"), "9223372036854771712\n");
    assert_eq!(t.root().kernel_facts(ID, PID, true).cgroup.known().unwrap().memory_max, None);
}

#[test]
fn cgroup_v2_with_either_driver_and_a_private_cgroup_namespace() {
    for (driver, path) in
        [("cgroupfs", format!("/docker/{ID}")), ("systemd", format!("/system.slice/docker-{ID}.scope"))]
    {
        let t = Tree::new(&format!("v2-{driver}"));
        v2(&t, &path, &path);
        let k = t.root().kernel_facts(ID, PID, true);
        let g = k.cgroup.known().unwrap_or_else(|| panic!("{driver}: {:?}", k.cgroup));
        assert_eq!((g.version, g.driver.as_str()), (2, driver));
        assert_eq!(g.pids_max, Some(100));
        assert_eq!(g.memory_max, None);
        assert_eq!((g.cpu_quota_us, g.cpu_period_us), (Some(50_000), Some(100_000)));
        check_proc(&k);

        // cgroupns=private: /proc/<pid>/cgroup says "/"; the driver's usual place is found.
        let t = Tree::new(&format!("v2-{driver}-private"));
        v2(&t, &path, "/");
        let g = t.root().kernel_facts(ID, PID, true).cgroup;
        assert_eq!(g.known().map(|g| g.path.clone()), Some(path.clone()), "{g:?}");
    }
}

fn check_proc(k: &KernelFacts) {
    assert_eq!(k.shares("pid"), Some(true));
    assert_eq!(k.shares("net"), Some(false));
    assert_eq!(k.root_is_host_root(), Some(true));
    let s = k.status.known().unwrap();
    assert_eq!(s.seccomp, 2);
    assert!(!s.no_new_privs);
    assert!(s.capabilities.contains(&"SYS_ADMIN".to_owned()) && s.capabilities.contains(&"CHOWN".to_owned()));
}

#[test]
fn what_cannot_be_read_is_unknown_with_a_reason_never_a_pass() {
    let t = Tree::new("unknown");
    let unknown = |k: &KernelFacts, needle: &str| {
        for p in [
            format!("{:?}", k.cgroup),
            format!("{:?}", k.namespaces),
            format!("{:?}", k.uid_map),
            format!("{:?}", k.status),
        ] {
            assert!(p.contains("Unknown") && p.contains(needle), "{p}");
        }
    };
    unknown(&t.root().kernel_facts(ID, PID, false), "another machine");
    unknown(&t.root().kernel_facts(ID, 0, true), "not running");
    unknown(&t.root().kernel_facts(ID, PID, true), "does not exist");
    // A process that is not the container's (the engine runs in a VM that reuses PIDs).
    proc_files(&t, "0::/user.slice/user-1000.slice/session-2.scope\n");
    unknown(&t.root().kernel_facts(ID, PID, true), "not this container's");

    // Cgroup files missing: the cgroup is unknown, the rest still read.
    let t = Tree::new("nocgroup");
    proc_files(&t, &format!("0::/docker/{ID}\n"));
    std::fs::create_dir_all(t.path().join("sys/fs/cgroup")).unwrap();
    std::fs::write(t.path().join("sys/fs/cgroup/cgroup.controllers"), "pids\n").unwrap();
    let k = t.root().kernel_facts(ID, PID, true);
    assert!(matches!(k.cgroup, Probe::Unknown { .. }), "{:?}", k.cgroup);
    assert!(k.status.known().is_some());

    // With the kernel unknown, the pids rule still reports what inspect says, and the side by
    // side shows "unknown" with the reason rather than agreeing.
    let mut c = hardened();
    c.pids_limit = 0;
    let r = report::container_report(c, t.root().kernel_facts(ID, PID, false), None);
    let pids = r.comparison.iter().find(|x| x.aspect == "pids limit").unwrap();
    assert_eq!(pids.agree, None);
    assert!(pids.kernel.starts_with("unknown: "), "{}", pids.kernel);
    assert!(r.findings.iter().any(|f| f.rule_id == "container.no-pids-limit"));
}

#[test]
fn the_kernel_disagreeing_with_inspect_is_a_finding() {
    let t = Tree::new("disagree");
    v1(&t, &format!("/docker/{ID}")); // pids.max = max, pid namespace shared, NoNewPrivs 0
    let k = t.root().kernel_facts(ID, PID, true);
    let mut c = hardened(); // says: pids limit 100, private pid namespace, no-new-privileges
    c.id = ID.into();
    let f = rules::check_container(&c, &Context { kernel: Some(&k), engine: None });
    let d = f.iter().find(|f| f.rule_id == "container.kernel-disagrees").expect("a disagreement finding");
    let ev = d.evidence.join("\n");
    assert!(ev.contains("PidsLimit = 100") && ev.contains("= max"), "{ev}");
    assert!(ev.contains("pid namespace private; kernel: shared"), "{ev}");
    assert!(ev.contains("NoNewPrivs: 0"), "{ev}");
    assert!(ev.contains("SYS_ADMIN"), "CapEff beyond --cap-drop ALL: {ev}");
    // The kernel's word also drives the ordinary rules: host PID namespace seen by the kernel.
    assert!(f.iter().any(|f| f.rule_id == "container.host-pid"));
}

#[test]
fn reports_serialise_to_the_documented_schema_and_sarif() {
    let t = Tree::new("report");
    v2(&t, &format!("/docker/{ID}"), &format!("/docker/{ID}"));
    let mut bad = hardened();
    bad.id = ID.into();
    bad.name = "bad".into();
    bad.privileged = true;
    bad.pids_limit = 0;
    let good = hardened();
    let e = engine_facts();
    let containers = vec![
        report::container_report(good, t.root().kernel_facts("c0ffee", 0, true), Some(&e)),
        report::container_report(bad, t.root().kernel_facts(ID, PID, true), Some(&e)),
    ];
    let r = AuditReport::new(
        EngineReport { findings: rules::check_engine(&e), facts: e },
        containers,
        vec![],
        "2026-11-29T08:00:00Z".into(),
    );
    assert_eq!(r.containers[0].name, "bad", "most at risk first");
    assert_eq!(r.worst(), Some(Severity::Critical));
    let json = serde_json::to_value(&r).unwrap();
    schema::check(&json, &schema::audit_schema()).unwrap_or_else(|e| panic!("audit JSON: {e}"));
    let sarif = r.sarif();
    schema::check(&sarif, &schema::sarif_schema()).unwrap_or_else(|e| panic!("SARIF: {e}"));
    // Schema checks can fail: a report missing a required field is refused.
    let mut broken = json.clone();
    broken["containers"][0].as_object_mut().unwrap().remove("grade");
    assert!(schema::check(&broken, &schema::audit_schema()).is_err());
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "severe".into();
    assert!(schema::check(&broken, &schema::sarif_schema()).is_err());
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0.into();
    assert!(schema::check(&broken, &schema::sarif_schema()).is_err());
    // Every result is placed: the object as a pseudo-file, and its logical location.
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("container/") || uri.starts_with("engine/") || uri.starts_with("image/"), "{uri}");
        assert!(!uri.contains(':') && !uri.contains(' '), "{uri}");
    }
}

#[test]
fn the_run_form_is_reviewed_before_the_container_exists() {
    use bulkhead_core::run::{self, MountRequest, PortRequest, RunRequest};
    let risky = RunRequest {
        image: "busybox:1.36".into(),
        ports: vec![PortRequest {
            host_ip: "0.0.0.0".into(),
            host_port: "80".into(),
            container_port: "80".into(),
            ..Default::default()
        }],
        mounts: vec![MountRequest {
            source: "/var/run/docker.sock".into(),
            target: "/var/run/docker.sock".into(),
            read_only: false,
        }],
        ..Default::default()
    };
    let c = run::check(&risky);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    let ids: Vec<&str> = c.findings.iter().map(|f| f.rule_id.as_str()).collect();
    for want in [
        "container.api-socket",
        "container.ports-all-interfaces",
        "container.privileged-port",
        "container.no-pids-limit",
    ] {
        assert!(ids.contains(&want), "{want}: {ids:?}");
    }
    assert_eq!(c.security_grade, "F");

    let careful = RunRequest {
        image: "busybox:1.36".into(),
        ports: vec![PortRequest {
            host_ip: "127.0.0.1".into(),
            host_port: "8080".into(),
            container_port: "80".into(),
            ..Default::default()
        }],
        pids_limit: "100".into(),
        memory: "128m".into(),
        cpus: "0.5".into(),
        user: "1000".into(),
        read_only: true,
        no_new_privileges: true,
        ..Default::default()
    };
    let c = run::check(&careful);
    let ids: Vec<&str> = c.findings.iter().map(|f| f.rule_id.as_str()).collect();
    for gone in [
        "container.ports-all-interfaces",
        "container.no-pids-limit",
        "container.no-memory-limit",
        "container.no-cpu-limit",
        "container.root-user",
        "container.writable-rootfs",
        "container.no-new-privileges-off",
    ] {
        assert!(!ids.contains(&gone), "{gone}: {ids:?}");
    }
    assert!(c.security_score > 90, "{}: {ids:?}", c.security_score);
}

#[test]
fn alerts_are_raised_for_starts_with_critical_isolation_findings_only() {
    use bulkhead_core::inspect::alerts::{alert_for, StartTracker};
    use bulkhead_core::model::{ConnectionState, ContainerState, ContainerSummary, EngineStatus, ListEvent};
    let summary = |id: &str, state: ContainerState| ContainerSummary {
        id: id.into(),
        short_id: id.into(),
        name: id.into(),
        image: "app:1".into(),
        image_id: String::new(),
        command: String::new(),
        state,
        status: String::new(),
        ports: vec![],
        created: 0,
        mounts: vec![],
        networks: vec![],
        network_mode: String::new(),
        compose: None,
    };
    let mut t = StartTracker::default();
    let snapshot = ListEvent::Snapshot {
        status: EngineStatus {
            state: ConnectionState::Connected,
            engine: "default".into(),
            endpoint: "unix:///var/run/docker.sock".into(),
            api_version: None,
            engine_api_version: None,
            engine_version: None,
            product: None,
            error: None,
        },
        containers: vec![summary("a", ContainerState::Running)],
        images: vec![],
        volumes: vec![],
        networks: vec![],
    };
    assert!(t.observe(&snapshot).is_empty(), "already running at start: no alert");
    assert!(t.observe(&ListEvent::ContainerChanged(summary("a", ContainerState::Running))).is_empty(), "still running");
    assert_eq!(t.observe(&ListEvent::ContainerChanged(summary("b", ContainerState::Running))), vec!["b"]);
    t.observe(&ListEvent::ContainerChanged(summary("a", ContainerState::Exited)));
    assert_eq!(
        t.observe(&ListEvent::ContainerChanged(summary("a", ContainerState::Running))),
        vec!["a"],
        "a restart counts"
    );

    let mut c = hardened();
    let quiet = report::container_report(c.clone(), KernelFacts::unknown("test"), None);
    assert!(alert_for(&quiet).is_none());
    c.pid_mode = "host".into();
    c.mounts[0].source = "/var/run/docker.sock".into();
    let loud = report::container_report(c, KernelFacts::unknown("test"), None);
    let a = alert_for(&loud).expect("an alert");
    assert_eq!(a.rule_ids, vec!["container.api-socket", "container.host-pid"]);
    // Serious but not an isolation break: no alert.
    let mut c = hardened();
    c.cap_add = vec!["SYS_ADMIN".into()];
    assert!(alert_for(&report::container_report(c, KernelFacts::unknown("test"), None)).is_none());
}

/// docs/rules.md is the catalogue; `make rules-doc` rewrites it.
#[test]
fn the_rules_document_is_fresh() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md");
    let want = rules::catalogue_markdown();
    if std::env::var_os("UPDATE_RULES_DOC").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/rules.md is stale: run `make rules-doc`");
}
