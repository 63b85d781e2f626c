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
