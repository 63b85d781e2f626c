//! Inside a volume, against the real engine: browse, save a file, export to .tar.gz and import
//! into a new volume (every file compared by SHA-256), cancel mid-export (no helper, no part
//! file left), and archives that try to escape refused with the volume left empty.

use bulkhead_core::volume_data::{EntryKind, TransferEvent, VolumePath, HELPER_VOLUME_LABEL};
use bulkhead_core::volumes::NewVolume;
use bulkhead_core::{Engine, ErrorKind, VolumeRef};
use bulkhead_tests::*;
use futures_util::{Stream, StreamExt};
use std::collections::HashMap;
use std::time::Duration;

async fn new_volume(engine: &Engine, cleanup: &mut Cleanup, what: &str) -> VolumeRef {
    let name = unique_name(what);
    cleanup.volume(&name);
    let labels = vec![format!("{TEST_LABEL}={}", std::process::id())];
    engine.create_volume(&NewVolume { name: name.clone(), labels, ..Default::default() }).await.unwrap();
    VolumeRef::parse(&name).unwrap()
}

/// Runs `script` in the fixture image with `binds`, waits for it, returns its output.
async fn run(cleanup: &mut Cleanup, binds: &[String], script: &str) -> String {
    let id = create_container(
        cleanup,
        &unique_name("vd"),
        &["sh", "-c", script],
        Some(bollard::models::HostConfig { binds: Some(binds.to_vec()), ..Default::default() }),
    )
    .await;
    let d = docker();
    d.start_container(&id, None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
    let mut wait = d.wait_container(&id, None::<bollard::query_parameters::WaitContainerOptions>);
    // A non-zero exit is an error of bollard's wait: the output below says what happened.
    while wait.next().await.is_some() {}
    let opts = bollard::query_parameters::LogsOptions { stdout: true, stderr: true, ..Default::default() };
    let mut out = String::new();
    let mut logs = d.logs(&id, Some(opts));
    while let Some(l) = logs.next().await {
        out.push_str(&l.unwrap().to_string());
    }
    let _ = d.remove_container(&id, None::<bollard::query_parameters::RemoveContainerOptions>).await;
    out
}

/// Every file's SHA-256, every link's target and every name, as the volume holds them.
async fn fingerprint(cleanup: &mut Cleanup, v: &VolumeRef) -> String {
    run(
        cleanup,
        &[format!("{}:/v:ro", v.as_str())],
        "cd /v && find . | sort && find . -type f -exec sha256sum {} + | sort && find . -type l | sort | while read l; do echo \"$l -> $(readlink \"$l\")\"; done; echo exit=$?",
    )
    .await
}

pub(crate) async fn finish(events: impl Stream<Item = TransferEvent>) -> (Vec<TransferEvent>, TransferEvent) {
    let mut events = Box::pin(events);
    let mut seen = Vec::new();
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(120), events.next()).await.expect("in time") {
        match ev {
            ev @ (TransferEvent::Done { .. } | TransferEvent::Failed(_)) => return (seen, ev),
            ev => seen.push(ev),
        }
    }
    panic!("the transfer ended without Done or Failed: {seen:?}");
}

async fn helpers_of(v: &VolumeRef) -> usize {
    containers_labelled(&format!("{HELPER_VOLUME_LABEL}={}", v.as_str()), false).await
}

async fn no_helper_left(v: &VolumeRef) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while helpers_of(v).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "a helper container of {} is left", v.as_str());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn browse_save_export_and_import_round_trip_by_sha256() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let a = new_volume(&engine, &mut cleanup, "vd-a").await;
    let b = new_volume(&engine, &mut cleanup, "vd-b").await;
    run(
        &mut cleanup,
        &[format!("{}:/d", a.as_str())],
        "mkdir -p /d/sub/deeper /d/empty && echo hello > /d/sub/a.txt && head -c 300000 /dev/urandom > /d/sub/deeper/blob \
         && echo top > /d/top.txt && ln -s /etc/shadow /d/shadow-link && ln -s sub/a.txt /d/rel-link \
         && printf x > \"/d/odd name\" && printf y > \"/d/$(printf 'new\\nline\\033[2J')\" && chmod 600 /d/top.txt",
    )
    .await;

    // Browse: one level, folders first, a folder sized by what is under it, links not followed.
    let root = engine.volume_browse(&a, &VolumePath::parse("").unwrap()).await.unwrap();
    let names: Vec<&str> = root.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["empty", "sub", "new\u{FFFD}line\u{FFFD}[2J", "odd name", "rel-link", "shadow-link", "top.txt"],
        "a newline and an escape in a name are shown neutralised"
    );
    let sub = &root.entries[1];
    assert_eq!((sub.kind, sub.items), (EntryKind::Folder, 3), "a.txt, deeper/, deeper/blob");
    assert!(sub.size >= 300_006, "{sub:?}");
    let link = root.entries.iter().find(|e| e.name == "shadow-link").unwrap();
    assert_eq!((link.kind, link.link_target.as_str()), (EntryKind::Symlink, "/etc/shadow"));
    assert_eq!(root.entries.iter().find(|e| e.name == "top.txt").unwrap().mode, "rw-------");
    let deeper = engine.volume_browse(&a, &VolumePath::parse("sub/deeper").unwrap()).await.unwrap();
    assert_eq!(deeper.entries[0].path, "sub/deeper/blob");
    assert_eq!(deeper.entries[0].size, 300_000);
    let e = engine.volume_browse(&a, &VolumePath::parse("top.txt").unwrap()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "a file is not a folder: {e}");
    assert_eq!(
        engine.volume_browse(&a, &VolumePath::parse("nope").unwrap()).await.unwrap_err().kind,
        ErrorKind::NotFound
    );

    // Save one file as itself; a link is refused, not followed.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    let (_, done) = finish(engine.volume_save(&a, &VolumePath::parse("sub/a.txt").unwrap(), file.clone())).await;
    assert!(matches!(done, TransferEvent::Done { bytes: 6, .. }), "{done:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello\n");
    let (_, refused) =
        finish(engine.volume_save(&a, &VolumePath::parse("shadow-link").unwrap(), dir.path().join("s"))).await;
    assert!(matches!(&refused, TransferEvent::Failed(e) if e.message.contains("not followed")), "{refused:?}");
    assert!(!dir.path().join("s").exists());

    // Export the whole volume, import it into an empty one: the same files, byte for byte.
    let archive = dir.path().join("a.tar.gz");
    let (seen, done) = finish(engine.volume_save(&a, &VolumePath::parse("").unwrap(), archive.clone())).await;
    assert!(matches!(seen.first(), Some(TransferEvent::Started { warning: None, .. })), "{seen:?}");
    assert!(matches!(done, TransferEvent::Done { bytes, .. } if bytes > 300_000), "{done:?}");
    let listed: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!listed.iter().any(|n| n.ends_with(".part")), "no part file is left: {listed:?}");
    let (seen, done) = finish(engine.volume_import(&b, archive.clone())).await;
    assert!(matches!(seen.first(), Some(TransferEvent::Started { total: Some(_), .. })), "{seen:?}");
    assert!(matches!(done, TransferEvent::Done { entries: Some(n), .. } if n >= 9), "{done:?}");
    let (fa, fb) = (fingerprint(&mut cleanup, &a).await, fingerprint(&mut cleanup, &b).await);
    assert!(fa.contains("./shadow-link -> /etc/shadow") && fa.trim_end().ends_with("exit=0"), "{fa}");
    assert_eq!(fa.lines().filter(|l| l.len() > 66 && l.ends_with("./sub/deeper/blob")).count(), 1, "hashed: {fa}");
    assert_eq!(fa, fb, "the imported volume holds the same names, contents and links");

    // A volume that is not empty is not imported into.
    let (_, refused) = finish(engine.volume_import(&b, archive)).await;
    assert!(matches!(&refused, TransferEvent::Failed(e) if e.kind == ErrorKind::Conflict), "{refused:?}");
    no_helper_left(&a).await;
    no_helper_left(&b).await;
}

#[tokio::test]
async fn an_export_cancelled_midway_leaves_no_helper_and_no_file() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let v = new_volume(&engine, &mut cleanup, "vd-cancel").await;
    // Incompressible data, so the export takes a while.
    run(&mut cleanup, &[format!("{}:/d", v.as_str())], "head -c 80000000 /dev/urandom > /d/big").await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("big.tar.gz");
    let mut events = Box::pin(engine.volume_save(&v, &VolumePath::parse("").unwrap(), dest.clone()));
    loop {
        match tokio::time::timeout(Duration::from_secs(60), events.next()).await.expect("in time") {
            Some(TransferEvent::Progress { .. }) => break,
            Some(TransferEvent::Done { .. }) => panic!("the export finished before it could be cancelled"),
            Some(TransferEvent::Failed(e)) => panic!("{e}"),
            Some(_) => {}
            None => panic!("the stream ended"),
        }
    }
    assert_eq!(helpers_of(&v).await, 1, "the helper exists while the export runs");
    drop(events); // what Cancel does (stream_stop drops the stream)
    no_helper_left(&v).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        if left.is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "files left after cancel: {left:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(engine.volume_summary(&v).await.unwrap().is_some(), "the volume itself stays");
}

#[tokio::test]
async fn an_archive_that_climbs_out_is_refused_and_the_volume_stays_empty() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let v = new_volume(&engine, &mut cleanup, "vd-hostile").await;
    let dir = tempfile::tempdir().unwrap();
    // A good entry first, then one through a link to /etc: nothing at all may be written.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(2);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "fine.txt", &b"ok"[..]).unwrap();
    let mut l = tar::Header::new_gnu();
    l.set_entry_type(tar::EntryType::Symlink);
    l.set_size(0);
    l.set_cksum();
    b.append_link(&mut l, "etc", "/etc").unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "etc/evil", &b"x"[..]).unwrap();
    let path = dir.path().join("hostile.tar.gz");
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &b.into_inner().unwrap()).unwrap();
    gz.finish().unwrap();

    let (_, refused) = finish(engine.volume_import(&v, path)).await;
    match &refused {
        TransferEvent::Failed(e) => {
            assert_eq!(e.kind, ErrorKind::InvalidArgument);
            assert!(e.message.contains("through the link") && e.message.contains("Nothing was written"), "{e}");
        }
        other => panic!("refused, not {other:?}"),
    }
    let root = engine.volume_browse(&v, &VolumePath::parse("").unwrap()).await.unwrap();
    assert!(root.entries.is_empty(), "nothing was written: {:?}", root.entries);
    no_helper_left(&v).await;
}

/// A helper left behind (an app that ended mid-transfer) is swept once it is old enough — and
/// only helpers are: a container of the user's that is merely created stays.
#[tokio::test]
async fn helpers_left_behind_are_swept_and_nothing_else() {
    let engine = engine().await;
    fixture_image().await;
    let mut cleanup = Cleanup::new();
    let v = new_volume(&engine, &mut cleanup, "vd-sweep").await;
    let body = bollard::models::ContainerCreateBody {
        image: Some(bulkhead_core::volume_data::HELPER_IMAGE.to_owned()),
        labels: Some(HashMap::from([
            (bulkhead_core::volume_data::HELPER_LABEL.to_owned(), "volume".to_owned()),
            (HELPER_VOLUME_LABEL.to_owned(), v.as_str().to_owned()),
        ])),
        ..Default::default()
    };
    // The helper image exists once a browse has run.
    engine.volume_browse(&v, &VolumePath::parse("").unwrap()).await.unwrap();
    let left = create_container_with(&mut cleanup, &unique_name("vd-left-helper"), body).await;
    let mine = create_container(&mut cleanup, &unique_name("vd-created"), &["true"], None).await;
    assert_eq!(helpers_of(&v).await, 1);
    // A day is the app's threshold: this one is seconds old and stays.
    engine.sweep_helpers(Duration::from_secs(24 * 3600), Some(&v)).await.unwrap();
    assert_eq!(helpers_of(&v).await, 1, "a young helper (maybe another window's) stays");
    // Only this volume's: the other tests' helpers, mid-transfer, are left alone.
    let swept = engine.sweep_helpers(Duration::ZERO, Some(&v)).await.unwrap();
    assert_eq!(swept, 1);
    assert_eq!(helpers_of(&v).await, 0, "the left helper {left} went");
    assert!(
        engine.container_summary(&bulkhead_core::ContainerRef::parse(&mine).unwrap()).await.unwrap().is_some(),
        "the user's created container stays"
    );
    assert!(engine.volume_summary(&v).await.unwrap().is_some(), "the volume stays");
}
