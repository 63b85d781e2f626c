//! Inside a container, against the real engine: one folder listed with what the container
//! added, modified and deleted; stat and list of `/`, a link, a missing path; the viewer's text
//! and hex; upload then download compared by SHA-256; an edit saved on a stopped container and
//! refused when the file changed meanwhile or the root filesystem is read-only; hostile names
//! shown neutralised, acted on by their ids, and nothing written outside the chosen folder.

use super::volume_data::finish;
use bulkhead_core::archive::{ChangeKind, EntryKind, FileEntry, TransferEvent};
use bulkhead_core::files::ContainerPath;
use bulkhead_core::{ContainerRef, Engine, ErrorKind};
use bulkhead_tests::*;
use sha2::Digest;
use std::collections::HashMap;

/// An image with `/data` holding three files and hostile names in `/hostile`.
async fn files_image() -> String {
    let tag = "bulkhead-test/files:1";
    let base = fixture_image().await;
    let dockerfile = format!(
        "FROM {base}\nRUN mkdir -p /data /hostile && echo keep > /data/keep.txt && echo change > /data/change.txt \
         && echo gone > /data/gone.txt && chmod 640 /data/change.txt && chown 1000:2000 /data/change.txt \
         && cd /hostile && echo nl > \"$(printf 'a\\nb')\" && echo rlo > \"$(printf '\\342\\200\\256gpj.exe')\" \
         && echo esc > \"$(printf 'e\\033[2Jx')\" && echo bad > \"$(printf '\\377\\376')\" \
         && ln -s /etc/shadow shadow && ln -s ../../../../.. up\n"
    );
    build_image(tag, &dockerfile, HashMap::from([(TEST_LABEL.to_owned(), "files".to_owned())])).await;
    tag.to_owned()
}

async fn container(cleanup: &mut Cleanup, cmd: &[&str], host: Option<bollard::models::HostConfig>) -> ContainerRef {
    let image = files_image().await;
    let id = create_container_with(
        cleanup,
        &unique_name("files"),
        bollard::models::ContainerCreateBody {
            image: Some(image),
            cmd: Some(cmd.iter().map(|s| (*s).to_owned()).collect()),
            host_config: host,
            ..Default::default()
        },
    )
    .await;
    ContainerRef::parse(&id).unwrap()
}

async fn start(c: &ContainerRef) {
    docker().start_container(c.as_str(), None::<bollard::query_parameters::StartContainerOptions>).await.unwrap();
}

fn p(s: &str) -> ContainerPath {
    ContainerPath::plain(s).unwrap()
}

fn find<'a>(entries: &'a [FileEntry], name: &str) -> &'a FileEntry {
    entries.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("no {name:?} in {entries:?}"))
}

/// Waits until the container's script wrote its marker.
async fn wait_for_marker(engine: &Engine, c: &ContainerRef) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let l = engine.container_browse(c, &p("/data")).await.unwrap();
        if l.entries.iter().any(|e| e.name == "done") {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "the container's script did not finish: {l:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn what_a_container_added_modified_and_deleted_is_marked_in_its_folders() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let c = container(
        &mut cleanup,
        &[
            "sh",
            "-c",
            "echo new > /data/new.txt && echo more >> /data/change.txt && rm /data/gone.txt \
             && mkdir -p /etc/cron.d && echo '* * * * * root sh' > /etc/cron.d/evil && touch /data/done && sleep 600",
        ],
        None,
    )
    .await;
    start(&c).await;
    wait_for_marker(&engine, &c).await;

    let data = engine.container_browse(&c, &p("/data")).await.unwrap();
    assert_eq!(find(&data.entries, "new.txt").change, Some(ChangeKind::Added));
    assert_eq!(find(&data.entries, "change.txt").change, Some(ChangeKind::Modified));
    assert_eq!(find(&data.entries, "keep.txt").change, None, "untouched");
    let deleted: Vec<&str> = data.deleted.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(deleted, ["/data/gone.txt"], "shown where it was");
    assert!(data.entries.iter().all(|e| e.name != "gone.txt"));
    let changed = find(&data.entries, "change.txt");
    assert_eq!((changed.mode.as_str(), changed.uid, changed.gid, changed.size), ("rw-r-----", 1000, 2000, 12));

    // The folder that holds changes is marked; one that holds none is not.
    let root = engine.container_browse(&c, &p("/")).await.unwrap();
    assert_eq!(find(&root.entries, "data").change, Some(ChangeKind::Modified));
    assert_eq!(find(&root.entries, "bin").change, None);

    // The whole list, as `docker diff` has it.
    let all = engine.container_changes(&c).await.unwrap();
    let has = |path: &str, kind| all.iter().any(|ch| ch.path == path && ch.kind == kind);
    assert!(has("/data/new.txt", ChangeKind::Added), "{all:?}");
    assert!(has("/data/change.txt", ChangeKind::Modified), "{all:?}");
    assert!(has("/data/gone.txt", ChangeKind::Deleted), "{all:?}");

    // The review uses it: a file written under /etc at run time is a finding, with its path;
    // what the engine itself writes there (/etc/hosts …) and /data are not.
    let host = bulkhead_core::inspect::host::HostRoot::default();
    let r = engine.review_container(&c, &host, None).await.unwrap();
    let f = r.findings.iter().find(|f| f.rule_id == "container.system-files-changed").expect("the finding");
    assert_eq!(f.evidence, ["added /etc/cron.d/evil"], "{f:?}");
}

#[tokio::test]
async fn stat_and_list_root_a_link_a_missing_path_and_the_viewer() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    // Never started: a stopped container's files are read all the same.
    let c = container(&mut cleanup, &["true"], None).await;

    let root = engine.container_browse(&c, &p("/")).await.unwrap();
    let names: Vec<&str> = root.entries.iter().map(|e| e.name.as_str()).collect();
    for n in ["bin", "data", "hostile"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let first_file = root.entries.iter().position(|e| e.kind != EntryKind::Folder).unwrap_or(root.entries.len());
    assert!(root.entries[..first_file].iter().all(|e| e.kind == EntryKind::Folder), "folders first: {names:?}");
    let bin = find(&root.entries, "bin");
    assert!(bin.items > 100 && bin.size > 500_000, "bin holds busybox and its links: {bin:?}");
    assert!(root.read_bytes > 500_000, "the listing read the subtree: {}", root.read_bytes);

    let bins = engine.container_browse(&c, &p("/bin")).await.unwrap();
    let sh = find(&bins.entries, "sh");
    assert_eq!((sh.kind, sh.link_target.as_str(), sh.id.as_str()), (EntryKind::Symlink, "/bin/busybox", "/bin/sh"));

    let missing = engine.container_browse(&c, &p("/nope")).await.unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound, "{missing}");
    let not_folder = engine.container_browse(&c, &p("/bin/busybox")).await.unwrap_err();
    assert_eq!(not_folder.kind, ErrorKind::InvalidArgument, "{not_folder}");

    // The viewer: text as the file holds it, a binary as bytes for hex, a link not followed.
    let text = engine.container_read(&c, &p("/data/change.txt")).await.unwrap();
    assert_eq!((text.text.as_deref(), text.not_editable.as_deref(), text.truncated), (Some("change\n"), None, false));
    let binary = engine.container_read(&c, &p("/bin/busybox")).await.unwrap();
    assert!(binary.text.is_none() && binary.head_base64.as_deref().unwrap().starts_with("f0VMR"), "ELF");
    assert!(binary.truncated, "busybox is larger than 1 MiB: only its start is read");
    let link = engine.container_read(&c, &p("/bin/sh")).await.unwrap_err();
    assert!(link.message.contains("not followed"), "{link}");
    assert_eq!(engine.container_read(&c, &p("/data")).await.unwrap_err().kind, ErrorKind::InvalidArgument);
}

fn sha(b: &[u8]) -> String {
    format!("{:x}", sha2::Sha256::digest(b))
}

#[tokio::test]
async fn upload_then_download_round_trip_by_sha256_and_an_existing_name_is_not_replaced_unasked() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let c = container(&mut cleanup, &["sleep", "600"], None).await;
    start(&c).await;

    let src = tempfile::tempdir().unwrap();
    let blob: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(src.path().join("blob.bin"), &blob).unwrap();
    std::fs::create_dir_all(src.path().join("tree/deeper")).unwrap();
    std::fs::write(src.path().join("tree/deeper/note.txt"), b"note\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", src.path().join("tree/link")).unwrap();
    let sources = vec![src.path().join("blob.bin"), src.path().join("tree")];

    let (_, done) = finish(engine.container_upload(&c, &p("/data"), sources.clone(), false)).await;
    assert!(matches!(done, TransferEvent::Done { entries: Some(5), .. }), "blob, tree, deeper, note, link: {done:?}");
    let data = engine.container_browse(&c, &p("/data")).await.unwrap();
    assert_eq!(find(&data.entries, "blob.bin").size, 3_000_000);
    let tree = engine.container_browse(&c, &p("/data/tree")).await.unwrap();
    assert_eq!(find(&tree.entries, "link").kind, EntryKind::Symlink, "a link goes as a link");

    // Download: the file as itself, byte for byte; the folder as a .tar.gz of the same files.
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("blob.bin");
    let (_, done) = finish(engine.container_save(&c, &p("/data/blob.bin"), file.clone())).await;
    assert!(matches!(done, TransferEvent::Done { bytes: 3_000_000, .. }), "{done:?}");
    assert_eq!(sha(&std::fs::read(&file).unwrap()), sha(&blob));
    let archive = out.path().join("tree.tar.gz");
    let (_, done) = finish(engine.container_save(&c, &p("/data/tree"), archive.clone())).await;
    assert!(matches!(done, TransferEvent::Done { .. }), "{done:?}");
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(&archive).unwrap());
    let mut got = HashMap::new();
    for e in tar::Archive::new(gz).entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().display().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        got.insert(path, sha(&data));
    }
    assert_eq!(got.get("./deeper/note.txt"), Some(&sha(b"note\n")), "{got:?}");
    let mut left: Vec<String> =
        std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["blob.bin", "tree.tar.gz"], "nothing else was written, no part file left");

    // Again without asking: refused, nothing written; asked: replaced.
    std::fs::write(src.path().join("blob.bin"), b"smaller").unwrap();
    let (_, refused) = finish(engine.container_upload(&c, &p("/data"), sources.clone(), false)).await;
    assert!(
        matches!(&refused, TransferEvent::Failed(e) if e.kind == ErrorKind::Conflict && e.message.contains("blob.bin")),
        "{refused:?}"
    );
    assert_eq!(find(&engine.container_browse(&c, &p("/data")).await.unwrap().entries, "blob.bin").size, 3_000_000);
    let taken = engine.container_existing(&c, &p("/data"), &["blob.bin".into(), "fresh".into()]).await.unwrap();
    assert_eq!(taken, ["blob.bin"]);
    let (_, done) = finish(engine.container_upload(&c, &p("/data"), sources, true)).await;
    assert!(matches!(done, TransferEvent::Done { .. }), "{done:?}");
    assert_eq!(find(&engine.container_browse(&c, &p("/data")).await.unwrap().entries, "blob.bin").size, 7);
}

#[tokio::test]
async fn an_edit_is_saved_on_a_stopped_container_and_refused_when_the_file_changed_or_is_read_only() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let c = container(&mut cleanup, &["true"], None).await;
    let opened = engine.container_read(&c, &p("/data/change.txt")).await.unwrap();
    let sha_then = opened.sha256.clone().unwrap();

    let saved = engine.container_write_text(&c, &p("/data/change.txt"), "edited\nline two\n", &sha_then).await.unwrap();
    assert_eq!(saved.text.as_deref(), Some("edited\nline two\n"));
    assert_eq!((saved.mode.as_str(), saved.uid, saved.gid), ("rw-r-----", 1000, 2000), "mode and owner kept");

    // The editor's copy is stale now: refused, and the file keeps what is there.
    let stale = engine.container_write_text(&c, &p("/data/change.txt"), "lost update\n", &sha_then).await.unwrap_err();
    assert_eq!(stale.kind, ErrorKind::Conflict, "{stale}");
    let now = engine.container_read(&c, &p("/data/change.txt")).await.unwrap();
    assert_eq!(now.text.as_deref(), Some("edited\nline two\n"));

    // A read-only root filesystem: a clear error, nothing written.
    let ro = container(
        &mut cleanup,
        &["true"],
        Some(bollard::models::HostConfig { readonly_rootfs: Some(true), ..Default::default() }),
    )
    .await;
    let opened = engine.container_read(&ro, &p("/data/keep.txt")).await.unwrap();
    let e = engine.container_write_text(&ro, &p("/data/keep.txt"), "x\n", &opened.sha256.unwrap()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e}");
    assert!(e.message.contains("read-only"), "{e}");
    assert_eq!(engine.container_read(&ro, &p("/data/keep.txt")).await.unwrap().text.as_deref(), Some("keep\n"));
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("f"), b"f").unwrap();
    let (_, refused) = finish(engine.container_upload(&ro, &p("/data"), vec![src.path().join("f")], false)).await;
    assert!(matches!(&refused, TransferEvent::Failed(e) if e.message.contains("read-only")), "{refused:?}");
}

#[tokio::test]
async fn hostile_names_are_shown_neutralised_acted_on_by_id_and_nothing_lands_outside_the_chosen_folder() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let c = container(&mut cleanup, &["true"], None).await;
    let l = engine.container_browse(&c, &p("/hostile")).await.unwrap();
    for e in &l.entries {
        assert!(!e.name.chars().any(|ch| ch.is_control() || ('\u{202A}'..='\u{202E}').contains(&ch)), "{:?}", e.name);
        assert!(e.id.is_ascii() && !e.id.contains(['\n', '\u{1b}']), "ids are percent-encoded: {:?}", e.id);
    }
    let nl = find(&l.entries, "a\u{FFFD}b");
    assert_eq!(nl.id, "/hostile/a%0Ab");
    assert!(l.entries.iter().any(|e| e.name == "\u{FFFD}gpj.exe"), "the direction override is made visible");
    assert!(l.entries.iter().any(|e| e.name == "e\u{FFFD}[2Jx"));
    let bad = l.entries.iter().find(|e| e.id == "/hostile/%FF%FE").expect("the invalid UTF-8 name is listed");
    assert_eq!(bad.name, "\u{FFFD}\u{FFFD}");
    assert_eq!(find(&l.entries, "shadow").link_target, "/etc/shadow");
    assert_eq!(find(&l.entries, "up").link_target, "../../../../..");

    // Opened and saved by id: the real name; the destination is only what the user chose.
    let read = engine.container_read(&c, &ContainerPath::parse(&nl.id).unwrap()).await.unwrap();
    assert_eq!(read.text.as_deref(), Some("nl\n"));
    let e = ContainerPath::parse(&bad.id).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument, "a name that is not UTF-8 cannot be opened on its own: {e}");
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("chosen.txt");
    let (_, done) = finish(engine.container_save(&c, &ContainerPath::parse(&nl.id).unwrap(), dest.clone())).await;
    assert!(matches!(done, TransferEvent::Done { .. }), "{done:?}");
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "nl\n");
    let (_, refused) = finish(engine.container_save(&c, &p("/hostile/shadow"), out.path().join("s"))).await;
    assert!(matches!(&refused, TransferEvent::Failed(e) if e.message.contains("not followed")), "{refused:?}");
    let (_, refused) = finish(engine.container_save(&c, &p("/hostile/up"), out.path().join("u"))).await;
    assert!(matches!(&refused, TransferEvent::Failed(_)), "{refused:?}");
    // The folder goes as the engine's tar, gzipped, never unpacked.
    let (_, done) = finish(engine.container_save(&c, &p("/hostile"), out.path().join("h.tar.gz"))).await;
    assert!(matches!(done, TransferEvent::Done { .. }), "{done:?}");
    let mut left: Vec<String> =
        std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["chosen.txt", "h.tar.gz"]);
    // Paths that climb out are refused before they reach the engine.
    for bad in ["/hostile/../../etc/shadow", "hostile", "/a%00b"] {
        assert!(ContainerPath::parse(bad).is_err(), "{bad}");
    }
}

/// Lister helpers of the container `id` (running or not).
async fn listers_of(id: &str) -> usize {
    containers_labelled(&format!("{}={id}", bulkhead_core::files::LISTER_FOR_LABEL), false).await
}

#[tokio::test]
async fn a_running_containers_folder_is_listed_one_level_only_by_the_lister_with_links_resolved_inside() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let c = container(&mut cleanup, &["sleep", "600"], None).await;
    start(&c).await;
    let id = docker().inspect_container(c.as_str(), None).await.unwrap().id.unwrap();

    // `/` lists without reading what is under it: no tar, folders unsized.
    let root = engine.container_browse(&c, &p("/")).await.unwrap();
    assert_eq!((root.read_bytes, root.folder_sizes), (0, false), "the lister, not the archive");
    for n in ["bin", "data", "hostile", "proc"] {
        assert_eq!(find(&root.entries, n).kind, EntryKind::Folder, "{n}");
    }
    assert_eq!(listers_of(&id).await, 1, "one helper in its PID namespace");
    let again = engine.container_browse(&c, &p("/bin")).await.unwrap();
    assert_eq!(listers_of(&id).await, 1, "reused, not one per listing");
    let sh = find(&again.entries, "sh");
    assert_eq!((sh.kind, sh.link_target.as_str()), (EntryKind::Symlink, "/bin/busybox"));
    assert!(find(&again.entries, "busybox").size > 500_000);

    // The same hostile names as through the archive: neutralised for showing, real in the ids.
    let l = engine.container_browse(&c, &p("/hostile")).await.unwrap();
    assert_eq!(find(&l.entries, "a\u{FFFD}b").id, "/hostile/a%0Ab");
    assert!(l.entries.iter().any(|e| e.id == "/hostile/%FF%FE" && e.name == "\u{FFFD}\u{FFFD}"));
    assert_eq!(find(&l.entries, "shadow").link_target, "/etc/shadow");
    let data = engine.container_browse(&c, &p("/data")).await.unwrap();
    let changed = find(&data.entries, "change.txt");
    assert_eq!((changed.mode.as_str(), changed.uid, changed.gid, changed.size), ("rw-r-----", 1000, 2000, 7));

    // Errors as through the archive.
    assert_eq!(engine.container_browse(&c, &p("/nope")).await.unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(engine.container_browse(&c, &p("/bin/busybox")).await.unwrap_err().kind, ErrorKind::InvalidArgument);
    // A link to a folder is followed inside the container: /proc/self/root is the container's.
    let through = engine.container_browse(&c, &p("/proc/self/root/data")).await.unwrap();
    assert!(through.entries.iter().any(|e| e.name == "keep.txt"), "{through:?}");

    // When the container stops, its helper goes with it.
    docker()
        .stop_container(
            c.as_str(),
            Some(bollard::query_parameters::StopContainerOptions { t: Some(0), ..Default::default() }),
        )
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while listers_of(&id).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the lister helper outlived its container");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Stopped: through the archive again.
    let stopped = engine.container_browse(&c, &p("/data")).await.unwrap();
    assert!(stopped.folder_sizes && stopped.read_bytes > 0);
}

#[tokio::test]
async fn a_container_sharing_another_pid_namespace_is_listed_through_the_archive_never_anothers_root() {
    let engine = engine().await;
    let mut cleanup = Cleanup::new();
    let c = container(
        &mut cleanup,
        &["sleep", "600"],
        Some(bollard::models::HostConfig { pid_mode: Some("host".into()), ..Default::default() }),
    )
    .await;
    start(&c).await;
    let id = docker().inspect_container(c.as_str(), None).await.unwrap().id.unwrap();
    // Its PID 1 is the host's init: a lister there would read the host's root.
    let root = engine.container_browse(&c, &p("/")).await.unwrap();
    assert!(root.folder_sizes && root.read_bytes > 0, "through the archive");
    assert!(root.entries.iter().any(|e| e.name == "hostile"), "its own root: {:?}", root.entries);
    assert_eq!(listers_of(&id).await, 0, "no lister was started for it");

    // One that shares another container's PID namespace: the other's PID 1 is not its own.
    let other = container(&mut cleanup, &["sleep", "600"], None).await;
    start(&other).await;
    let other_id = docker().inspect_container(other.as_str(), None).await.unwrap().id.unwrap();
    let joined = container(
        &mut cleanup,
        &["sleep", "600"],
        Some(bollard::models::HostConfig { pid_mode: Some(format!("container:{other_id}")), ..Default::default() }),
    )
    .await;
    start(&joined).await;
    let joined_id = docker().inspect_container(joined.as_str(), None).await.unwrap().id.unwrap();
    let l = engine.container_browse(&joined, &p("/")).await.unwrap();
    assert!(l.folder_sizes && l.read_bytes > 0, "through the archive");
    assert_eq!(listers_of(&joined_id).await, 0);
}
