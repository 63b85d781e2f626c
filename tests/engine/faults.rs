//! Faults the app must survive, against real engines: a dockerd killed with SIGKILL and
//! started again while the list, a log stream, stats and a terminal are open; a full disk while
//! saving a log or exporting files; a single 100 MB log line.

use bulkhead_core::archive::TransferEvent;
use bulkhead_core::exec::{serve, ExecRequest, SessionSink};
use bulkhead_core::files::ContainerPath;
use bulkhead_core::lifecycle::ContainerAction;
use bulkhead_core::logs::LogOptions;
use bulkhead_core::model::{ConnectionState, ExecEvent, ListEvent};
use bulkhead_core::{ContainerRef, Endpoint, Engine, Watcher};
use bulkhead_tests::*;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use std::time::{Duration, Instant};

/// A guard against a hang, not a speed figure: the engine's death must end every stream.
const HANG: Duration = Duration::from_secs(60);

async fn within<F: std::future::Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(HANG, f).await.unwrap_or_else(|_| panic!("{what}: still waiting after {HANG:?} (a hang)"))
}

struct Sink(tokio::sync::mpsc::UnboundedSender<Option<ExecEvent>>);

impl SessionSink for Sink {
    fn data(&mut self, _bytes: Bytes) -> bool {
        let _ = self.0.send(None);
        true
    }
    fn event(&mut self, event: ExecEvent) -> bool {
        self.0.send(Some(event)).is_ok()
    }
}

type Events = Pin<Box<dyn Stream<Item = ListEvent> + Send>>;

async fn snapshot_where(events: &mut Events, what: &str, pick: impl Fn(&ListEvent) -> bool) {
    within(what, async {
        while let Some(ev) = events.next().await {
            if pick(&ev) {
                return;
            }
        }
        panic!("the watcher's stream ended while waiting for {what}");
    })
    .await
}

fn state_is(ev: &ListEvent, state: ConnectionState) -> Option<Vec<String>> {
    match ev {
        ListEvent::Snapshot { status, containers, .. } if status.state == state => {
            Some(containers.iter().map(|c| c.id.clone()).collect())
        }
        _ => None,
    }
}

#[tokio::test]
async fn an_engine_killed_with_sigkill_ends_every_stream_with_a_typed_error_and_everything_resumes() {
    let Some(mut second) = bulkhead_tests::dockerd::SecondEngine::start().await else { return };
    let name = unique_name("fault-kill");
    // A ticking log, restarted by the engine when it comes back.
    let id = second.run_ticker(&name);
    let endpoint = Endpoint::Unix(second.socket.clone());
    let engine = Engine::connect(&endpoint).await.expect("connect to the second dockerd");
    let c = ContainerRef::parse(&id).unwrap();

    let watcher = Watcher::start(Ok(endpoint.clone()));
    let mut events: Events = Box::pin(watcher.subscribe());
    snapshot_where(&mut events, "a connected list with the container", |ev| {
        state_is(ev, ConnectionState::Connected).is_some_and(|ids| ids.contains(&id))
    })
    .await;

    let mut logs =
        Box::pin(engine.logs(&c, &LogOptions { follow: true, tail: Some(5), ..Default::default() }).await.unwrap());
    let first = within("the first log lines", logs.next()).await.expect("a batch").expect("lines");
    assert!(first.iter().any(|l| l.text == "tick"), "{first:?}");
    let mut stats = Box::pin(engine.stats(&c));
    within("the first stats sample", stats.next()).await.expect("a sample").expect("stats");
    let session = engine.exec(&c, &ExecRequest { command: "sh".into(), ..Default::default() }).await.unwrap();
    let (tx, mut terminal) = tokio::sync::mpsc::unbounded_channel();
    let served = serve(engine.clone(), session, Sink(tx));
    tokio::spawn(served.reader);
    tokio::spawn(served.writer);
    served.input.send(bulkhead_core::exec::Input::Data(b"echo ready\n".to_vec())).await.unwrap();
    within("the terminal's first output", terminal.recv()).await.expect("output");

    second.kill_hard();

    // The log stream: a typed connection error (it may first hand over what was buffered).
    let log_end = within("the log stream's end", async {
        loop {
            match logs.next().await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => break Some(e),
                None => break None,
            }
        }
    })
    .await;
    let e = log_end.expect("the log stream must not end as if the log were complete");
    assert!(e.kind.is_connection(), "log stream: {e:?}");
    // Stats: a typed error or the end, never a hang.
    let stats_end = within("the stats stream's end", async {
        loop {
            match stats.next().await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => break Some(e),
                None => break None,
            }
        }
    })
    .await;
    if let Some(e) = &stats_end {
        assert!(e.kind.is_connection(), "stats: {e:?}");
    }
    // The terminal: says the connection closed, not that the process exited.
    let said = within("the terminal's end", async {
        let mut said = Vec::new();
        while let Some(ev) = terminal.recv().await {
            match ev {
                Some(ExecEvent::Exit { .. }) => break,
                Some(other) => said.push(other),
                None => {}
            }
        }
        said
    })
    .await;
    assert!(
        said.iter().any(|ev| matches!(ev, ExecEvent::Error(e) if e.kind.is_connection())),
        "the terminal was told the engine went away: {said:?}"
    );
    // The list: disconnected, no stale rows.
    snapshot_where(&mut events, "the list's loss", |ev| {
        state_is(ev, ConnectionState::Disconnected).is_some_and(|ids| ids.is_empty())
    })
    .await;

    let restarted = Instant::now();
    second.restart();
    let answered = restarted.elapsed();
    let back = Instant::now();
    snapshot_where(&mut events, "the list back with the container", |ev| {
        state_is(ev, ConnectionState::Connected).is_some_and(|ids| ids.contains(&id))
    })
    .await;
    let reconnect = back.elapsed();
    // What the views do next: open the streams again on the watcher's engine.
    let engine = watcher.engine().expect("the watcher's engine after the restart");
    let mut logs =
        Box::pin(engine.logs(&c, &LogOptions { follow: true, tail: Some(0), ..Default::default() }).await.unwrap());
    let again = within("log lines after the restart", logs.next()).await.expect("a batch").expect("lines");
    assert!(again.iter().any(|l| l.text == "tick"), "{again:?}");
    let mut stats = Box::pin(engine.stats(&c));
    within("stats after the restart", stats.next()).await.expect("a sample").expect("stats");
    println!(
        "fault engine-sigkill: dockerd answered {} ms after its restart; the list reconnected {} ms after that (log: {:?}; stats: {})",
        answered.as_millis(),
        reconnect.as_millis(),
        e.kind,
        stats_end.map_or("ended".to_owned(), |e| format!("{:?}", e.kind)),
    );
}

/// Starts `c` and waits until it has exited.
async fn run_to_the_end(engine: &Engine, c: &ContainerRef) {
    engine.act(c, ContainerAction::Start).await.unwrap();
    within("the container's exit", async {
        while engine.inspect_container(c).await.unwrap()["State"]["Running"].as_bool() == Some(true) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
}

/// A 1 MiB tmpfs of the test's own, unmounted on drop; `None` (skipped) when this process
/// may not mount one (not root).
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::Builder::new().prefix("bh-full-").tempdir_in("/tmp").unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "bulkhead-test-full"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            skip("mounting a small tmpfs (a full disk) needs root (make test runs as root in CI)");
            return None;
        }
        Some(SmallDisk(dir))
    }

    fn files(&self) -> Vec<String> {
        std::fs::read_dir(self.0.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.0.path()).status();
    }
}

#[tokio::test]
async fn a_full_disk_while_saving_a_log_or_exporting_says_so_and_leaves_no_partial_file() {
    let Some(disk) = SmallDisk::mount() else { return };
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    // 4 MiB of log (more than the 1 MiB disk holds), then it exits.
    let id = create_container(
        &mut cleanup,
        &unique_name("fault-full"),
        &["sh", "-c", "i=0; while [ $i -lt 4096 ]; do printf '%01023d\\n' $i; i=$((i+1)); done"],
        None,
    )
    .await;
    let c = ContainerRef::parse(&id).unwrap();
    run_to_the_end(&engine, &c).await;

    let dest = disk.0.path().join("web.log");
    let e = engine.save_logs(&c, &LogOptions { tail: None, ..Default::default() }, &dest).await.unwrap_err();
    assert!(e.message.contains("No space left"), "{e:?}");
    assert!(e.message.contains(&dest.display().to_string()), "the error names the file: {}", e.message);
    assert_eq!(disk.files(), Vec::<String>::new(), "no partial file is left behind");

    // Saving a folder of the container (the tar of /bin: the static busybox, over 1 MiB).
    let dest = disk.0.path().join("bin.tar");
    let mut save = Box::pin(engine.container_save(&c, &ContainerPath::parse("/bin").unwrap(), dest));
    let last = within("the save's end", async {
        let mut last = None;
        while let Some(ev) = save.next().await {
            last = Some(ev);
        }
        last
    })
    .await;
    match last {
        Some(TransferEvent::Failed(e)) => assert!(e.message.contains("No space left"), "{e:?}"),
        other => panic!("the save cannot fit in 1 MiB: {other:?}"),
    }
    assert_eq!(disk.files(), Vec::<String>::new(), "no partial export is left behind");
}

#[tokio::test]
async fn a_single_100_mb_log_line_is_read_in_bounded_pieces_and_saved_whole() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    // 100 MiB without a newline: 102400 blocks of 1 KiB of 'x'.
    let id = create_container(
        &mut cleanup,
        &unique_name("fault-longline"),
        &["sh", "-c", "head -c 104857600 /dev/zero | tr '\\0' x"],
        None,
    )
    .await;
    let c = ContainerRef::parse(&id).unwrap();
    run_to_the_end(&engine, &c).await;
    let mut logs = Box::pin(engine.logs(&c, &LogOptions { tail: None, ..Default::default() }).await.unwrap());
    let (mut pieces, mut bytes, mut longest) = (0usize, 0usize, 0usize);
    while let Some(batch) = within("the next batch of the long line", logs.next()).await {
        for line in batch.unwrap() {
            assert!(line.text.bytes().all(|b| b == b'x'), "only the line's own bytes");
            pieces += 1;
            bytes += line.text.len();
            longest = longest.max(line.text.len());
        }
    }
    assert_eq!(bytes, 100 << 20, "every byte of the line arrived");
    assert!(longest <= 64 << 10, "no piece is longer than 64 KiB (the longest: {longest})");
    println!("fault log-line-100mb: {pieces} pieces of at most {longest} bytes");
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("long.log");
    engine.save_logs(&c, &LogOptions { tail: None, ..Default::default() }, &dest).await.unwrap();
    let saved = std::fs::metadata(&dest).unwrap().len();
    assert!(saved >= 100 << 20, "the saved log holds the whole line ({saved} bytes)");
}

/// The engine's socket made unreadable to the user and readable again, while the list watcher
/// runs as that user (`nobody`, on a thread of its own: Linux credentials are per thread): the
/// status says permission denied and what to do, then the list connects by itself.
#[test]
fn the_socket_permissions_revoked_and_restored_are_said_and_then_connected() {
    use std::os::unix::fs::PermissionsExt;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(second) = rt.block_on(bulkhead_tests::dockerd::SecondEngine::start()) else { return };
    let socket = second.socket.clone();
    let chmod =
        |p: &std::path::Path, mode: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    // Its folder open to others (the test's own temporary folder), the socket to no one but root.
    chmod(socket.parent().unwrap(), 0o711);
    chmod(&socket, 0o600);

    let (tx, rx) = std::sync::mpsc::channel::<(ConnectionState, Option<bulkhead_core::Error>)>();
    let endpoint = Endpoint::Unix(socket.clone());
    let user = std::thread::spawn(move || {
        // This thread only, not the process: the effective uid of `nobody` (capabilities go
        // with the effective uid 0); the real and saved ones stay root.
        rustix::thread::set_thread_res_uid(None, Some(rustix::process::Uid::from_raw(65534)), None)
            .expect("setresuid on this thread");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let watcher = Watcher::start(Ok(endpoint));
            let mut events: Events = Box::pin(watcher.subscribe());
            let mut last = None;
            while let Some(ev) = tokio::time::timeout(HANG, events.next()).await.ok().flatten() {
                if let ListEvent::Snapshot { status, .. } = ev {
                    if last != Some(status.state) {
                        last = Some(status.state);
                        let connected = status.state == ConnectionState::Connected;
                        if tx.send((status.state, status.error.clone())).is_err() || connected {
                            return;
                        }
                    }
                }
            }
        });
    });
    let next_state = |want: ConnectionState| loop {
        let (state, error) = rx.recv_timeout(HANG).unwrap_or_else(|_| panic!("no {want:?} status within {HANG:?}"));
        if state == want {
            return error;
        }
    };
    let e = next_state(ConnectionState::Disconnected).expect("the reason");
    assert_eq!(e.kind, bulkhead_core::ErrorKind::EnginePermissionDenied, "{e:?}");
    assert!(e.message.contains("docker group") && e.message.contains(&socket.display().to_string()), "{}", e.message);

    let restored = Instant::now();
    chmod(&socket, 0o666);
    next_state(ConnectionState::Connected);
    println!(
        "fault socket-permissions: connected {} ms after the socket was readable again",
        restored.elapsed().as_millis()
    );
    drop(rx);
    let _ = user.join();
    drop(second);
}

/// A container at the centre of a storm of 10,000 events (its terminal resized and its
/// configuration updated by four clients as fast as the engine takes it; about 12,000 a
/// minute here): the events stream keeps up without dropping or failing, and the list
/// watcher — which lets `resize` go and looks an `update`d container up once per burst —
/// still shows a rename made in the middle of the storm. The rate reached is printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_ten_thousand_events_a_minute_is_kept_up_with() {
    use bulkhead_core::events::{EventQuery, EventsEvent};
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let id = create_container_with(
        &mut cleanup,
        &unique_name("fault-storm"),
        bollard::models::ContainerCreateBody {
            cmd: Some(vec!["sleep".into(), "600".into()]),
            tty: Some(true),
            ..Default::default()
        },
    )
    .await;
    let c = ContainerRef::parse(&id).unwrap();
    let watcher = Watcher::start(Ok(Endpoint::from_env().unwrap()));
    let mut list: Events = Box::pin(watcher.subscribe());
    snapshot_where(&mut list, "a connected list with the container", |ev| {
        state_is(ev, ConnectionState::Connected).is_some_and(|ids| ids.contains(&id))
    })
    .await;
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let mut events = Box::pin(
        engine.events(&EventQuery { since: Some(since), container: Some(id.clone()), ..Default::default() }).unwrap(),
    );
    engine.act(&c, ContainerAction::Start).await.unwrap();

    // Four clients until 10,000 events came: three resize its terminal, one updates its
    // restart policy.
    const STORM: usize = 10_000;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|k| {
            let (id, stop) = (id.clone(), stop.clone());
            tokio::spawn(async move {
                let d = docker();
                let mut n = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let ok = if k == 0 {
                        let body = bollard::models::ContainerUpdateBody {
                            restart_policy: Some(bollard::models::RestartPolicy {
                                name: Some(bollard::models::RestartPolicyNameEnum::NO),
                                maximum_retry_count: None,
                            }),
                            ..Default::default()
                        };
                        d.update_container(&id, body).await.is_ok()
                    } else {
                        let size =
                            bollard::query_parameters::ResizeContainerTTYOptions { h: 24 + (n % 10) as i32, w: 80 };
                        d.resize_container_tty(&id, size).await.is_ok()
                    };
                    n += u32::from(ok);
                }
                n
            })
        })
        .collect();
    // A rename in the middle of it, which the list must show.
    let renamed = unique_name("fault-storm-renamed");
    let mut rename = None;

    let started = Instant::now();
    let mut seen = 0usize;
    while seen < STORM {
        match tokio::time::timeout(Duration::from_secs(5), events.next()).await {
            Ok(Some(EventsEvent::Events(batch))) => seen += batch.len(),
            Ok(other) => panic!("the events stream in a storm: {other:?} after {seen} events"),
            Err(_) => panic!("no events for 5 s in a storm (after {seen})"),
        }
        if seen >= STORM / 2 && rename.is_none() {
            let (engine, c, renamed) = (engine.clone(), c.clone(), renamed.clone());
            rename = Some(tokio::spawn(async move {
                engine.rename(&c, &bulkhead_core::ContainerName::parse(&renamed).unwrap()).await.unwrap();
            }));
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let per_minute = seen as f64 * 60.0 / started.elapsed().as_secs_f64();
    let mut calls = 0;
    for c in clients {
        calls += c.await.unwrap();
    }
    rename.expect("renamed halfway").await.unwrap();
    snapshot_or_change_with_name(&mut list, &id, &renamed).await;
    // The rate is printed, not asserted (no timing in tests): on a busy machine the same
    // 10,000 events take longer.
    println!(
        "fault event-storm: {seen} events in {:?} ({per_minute:.0} a minute; {calls} calls), kept up with, the rename listed",
        started.elapsed()
    );
}

/// Waits until the list shows container `id` named `name`.
async fn snapshot_or_change_with_name(list: &mut Events, id: &str, name: &str) {
    snapshot_where(list, "the renamed container in the list", |ev| match ev {
        ListEvent::ContainerChanged(c) => c.id == id && c.name == name,
        ListEvent::Snapshot { containers, .. } => containers.iter().any(|c| c.id == id && c.name == name),
        _ => false,
    })
    .await
}
