//! A private D-Bus session bus (dbus-daemon) with a stand-in for the desktop's notification
//! server (org.freedesktop.Notifications) that records every notification it is asked to show:
//! what a desktop would put on the screen, without a desktop.

use dbus::blocking::Connection;
use dbus::channel::{Channel, MatchingReceiver, Sender};
use dbus::message::MatchRule;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// One Notify call.
#[derive(Debug, Clone)]
pub struct Shown {
    pub app_name: String,
    pub icon: String,
    pub summary: String,
    pub body: String,
}

pub struct NotificationServer {
    /// For DBUS_SESSION_BUS_ADDRESS.
    pub address: String,
    pub shown: mpsc::Receiver<Shown>,
    daemon: Child,
    stop: Arc<AtomicBool>,
    server: Option<std::thread::JoinHandle<()>>,
}

impl NotificationServer {
    pub fn start() -> NotificationServer {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (Debian package dbus-daemon; `make test` installs it)");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().expect("stdout")).read_line(&mut address).expect("the bus address");
        let address = address.trim().to_owned();
        let (tx, shown) = mpsc::channel();
        let (ready_tx, ready) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let server = std::thread::spawn({
            let (address, stop) = (address.clone(), stop.clone());
            move || {
                let mut channel = Channel::open_private(&address).expect("connect to the private bus");
                channel.register().expect("hello");
                let conn = Connection::from(channel);
                conn.request_name("org.freedesktop.Notifications", false, true, true).expect("own the name");
                conn.start_receive(
                    MatchRule::new_method_call(),
                    Box::new(move |msg, conn| {
                        let reply = match msg.member().as_deref() {
                            Some("Notify") => {
                                let (app_name, _replaces, icon, summary, body): (String, u32, String, String, String) =
                                    msg.read5().unwrap_or_default();
                                let _ = tx.send(Shown { app_name, icon, summary, body });
                                msg.method_return().append1(1u32)
                            }
                            Some("GetCapabilities") => msg.method_return().append1(vec!["body".to_owned()]),
                            Some("GetServerInformation") => {
                                msg.method_return().append3("stand-in", "bulkhead-tests", "1").append1("1.2")
                            }
                            _ => msg.method_return(),
                        };
                        let _ = conn.send(reply);
                        true
                    }),
                );
                let _ = ready_tx.send(());
                while !stop.load(Ordering::Relaxed) {
                    let _ = conn.process(Duration::from_millis(100));
                }
            }
        });
        ready.recv_timeout(Duration::from_secs(10)).expect("the notification server is up");
        NotificationServer { address, shown, daemon, stop, server: Some(server) }
    }
}

impl Drop for NotificationServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(s) = self.server.take() {
            let _ = s.join();
        }
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}
