//! Live events: what tells the pages kept open (the operations centre's figures, a centre's
//! queue display) that something changed. Inside one server they go through broadcast
//! channels. When servers share a PostgreSQL database, [`Events::run`] also relays them: what
//! changes here is sent to the others with `NOTIFY`, and what changes there arrives through a
//! `LISTEN`ing connection ([`motcua_store::events`]), so a display connected to any server
//! follows a change made on any other, within the time of one notification.
//!
//! A notification is lines of text: this server's instance id first (so a server skips what
//! it sent itself), then one line per change — `d` (dossiers changed), `q CENTRE` (that
//! centre's queue changed), `m ID` (that meeting changed: its screens follow the chair) or `*` (anything may have changed: after a lost connection or a
//! burst too large to relay, every live page refreshes).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use motcua_store::events::{EventStore, MAX_PAYLOAD};
use tokio::sync::{broadcast, mpsc};

/// Changes waiting to be relayed at most; past it, one `*` stands for them all.
const RELAY_BACKLOG: usize = 4096;

/// After a notification, how long changes gather before the next: under a stream of
/// submissions a server notifies at most about twenty times a second (each `NOTIFY` takes
/// PostgreSQL's notification-queue lock at commit, and wakes every other server), while the
/// first change after a quiet spell still goes at once.
const RELAY_PAUSE: Duration = Duration::from_millis(50);

/// The live events of one server (see the module's documentation).
pub struct Events {
    instance: String,
    changes: broadcast::Sender<()>,
    queue: broadcast::Sender<String>,
    meetings: broadcast::Sender<i64>,
    /// Set once the server listens on a shared database: changes to send to the others.
    relay: OnceLock<mpsc::Sender<String>>,
    overflowed: AtomicBool,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub fn new() -> Self {
        let mut raw = [0u8; 8];
        // The id only tells servers apart; should randomness fail, the time does as well.
        if getrandom::fill(&mut raw).is_err() {
            raw = jiff::Timestamp::now().as_nanosecond().to_le_bytes()[..8].try_into().unwrap_or_default();
        }
        Self {
            instance: raw.iter().map(|b| format!("{b:02x}")).collect(),
            changes: broadcast::channel(64).0,
            queue: broadcast::channel(256).0,
            meetings: broadcast::channel(256).0,
            relay: OnceLock::new(),
            overflowed: AtomicBool::new(false),
        }
    }

    /// A dossier was created or changed (nobody listening is fine).
    pub fn dossiers_changed(&self) {
        let _ = self.changes.send(());
        self.relay("d".into());
    }

    /// A centre's queue changed.
    pub fn queue_changed(&self, centre: &str) {
        let _ = self.queue.send(centre.to_owned());
        self.relay(format!("q {centre}"));
    }

    /// A meeting changed (its chair moved on, someone answered, checked in, gave an opinion).
    pub fn meeting_changed(&self, id: i64) {
        let _ = self.meetings.send(id);
        self.relay(format!("m {id}"));
    }

    /// The ids of meetings that changed from now on; 0: any may have.
    pub fn meeting_changes(&self) -> broadcast::Receiver<i64> {
        self.meetings.subscribe()
    }

    /// Every dossier change from now on, here or on another server.
    pub fn changes(&self) -> broadcast::Receiver<()> {
        self.changes.subscribe()
    }

    /// The codes of centres whose queue changed from now on; an empty code: any may have.
    pub fn queue_changes(&self) -> broadcast::Receiver<String> {
        self.queue.subscribe()
    }

    fn relay(&self, line: String) {
        if let Some(tx) = self.relay.get()
            && tx.try_send(line).is_err()
        {
            self.overflowed.store(true, Ordering::Relaxed);
        }
    }

    /// What another server's notification says happened, told to this server's pages.
    /// Returns how many changes it named (none when this server sent it).
    pub fn receive(&self, payload: &str) -> usize {
        let mut lines = payload.lines();
        if lines.next() == Some(self.instance.as_str()) {
            return 0;
        }
        let mut told = 0;
        for line in lines {
            match line.split_once(' ') {
                Some(("q", centre)) => {
                    let _ = self.queue.send(centre.to_owned());
                }
                Some(("m", id)) => match id.parse::<i64>() {
                    Ok(id) => {
                        let _ = self.meetings.send(id);
                    }
                    Err(_) => continue,
                },
                None if line == "d" => {
                    let _ = self.changes.send(());
                }
                None if line == "*" => self.refresh_all(),
                _ => continue,
            }
            told += 1;
        }
        told
    }

    /// Anything may have changed: every live page refreshes.
    fn refresh_all(&self) {
        let _ = self.changes.send(());
        let _ = self.queue.send(String::new());
        let _ = self.meetings.send(0);
    }

    /// Relays events between the servers sharing the database, for the server's life: listens
    /// (reconnecting after a failure, every page refreshed since changes may have been missed)
    /// and sends this server's changes. Returns at once on SQLite, whose one server needs none.
    pub async fn run(self: Arc<Self>, store: Arc<dyn EventStore>) {
        let mut connected_before = false;
        loop {
            match store.listen().await {
                Ok(None) => return,
                Ok(Some(mut listener)) => {
                    if self.relay.get().is_none() {
                        let (tx, rx) = mpsc::channel(RELAY_BACKLOG);
                        if self.relay.set(tx).is_ok() {
                            tokio::spawn(self.clone().send_out(rx, store.clone()));
                        }
                    }
                    if connected_before {
                        self.refresh_all();
                    }
                    connected_before = true;
                    loop {
                        match listener.next().await {
                            Ok(Some(payload)) => {
                                self.receive(&payload);
                            }
                            Ok(None) => {
                                tracing::warn!("live events: listening connection lost; reconnecting");
                                self.refresh_all();
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "live events: listening failed");
                                break;
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "live events: cannot listen"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Sends this server's changes as they come, those that came meanwhile (or during the
    /// [`RELAY_PAUSE`] after the last notification) together, each once, in as few
    /// notifications as fit.
    async fn send_out(self: Arc<Self>, mut rx: mpsc::Receiver<String>, store: Arc<dyn EventStore>) {
        while let Some(first) = rx.recv().await {
            let mut lines = std::collections::BTreeSet::from([first]);
            while let Ok(more) = rx.try_recv() {
                lines.insert(more);
            }
            if self.overflowed.swap(false, Ordering::Relaxed) {
                lines = std::collections::BTreeSet::from(["*".to_owned()]);
            }
            for payload in self.payloads(lines) {
                if let Err(e) = store.notify(&payload).await {
                    tracing::warn!(error = %e, "live events: not sent to other servers");
                }
            }
            tokio::time::sleep(RELAY_PAUSE).await;
        }
    }

    /// The lines as notifications of at most [`MAX_PAYLOAD`] bytes, each headed by the id.
    fn payloads(&self, lines: impl IntoIterator<Item = String>) -> Vec<String> {
        let mut out = Vec::new();
        let mut current = self.instance.clone();
        for line in lines {
            if current.len() + 1 + line.len() > MAX_PAYLOAD && current.len() > self.instance.len() {
                out.push(std::mem::replace(&mut current, self.instance.clone()));
            }
            current.push('\n');
            current.push_str(&line);
        }
        if current.len() > self.instance.len() {
            out.push(current);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_servers_changes_are_told_and_ones_own_skipped() {
        let (here, there) = (Events::new(), Events::new());
        assert_ne!(here.instance, there.instance);
        let mut changes = here.changes();
        let mut queue = here.queue_changes();
        let mut meetings = here.meeting_changes();
        let sent = there.payloads([
            "d".to_owned(),
            "q 000.00.37.H22".to_owned(),
            "m 7".to_owned(),
            "m x".to_owned(),
            "bogus line".to_owned(),
        ]);
        assert_eq!(sent.len(), 1);
        assert_eq!(here.receive(&sent[0]), 3, "three changes named, the unknown lines passed over");
        assert_eq!(meetings.try_recv().unwrap(), 7);
        assert!(changes.try_recv().is_ok());
        assert_eq!(queue.try_recv().unwrap(), "000.00.37.H22");
        let own = here.payloads(["d".to_owned()]);
        assert_eq!(here.receive(&own[0]), 0, "what this server sent itself");
        assert!(changes.try_recv().is_err());
        assert_eq!(here.receive(&there.payloads(["*".to_owned()])[0]), 1);
        assert_eq!(queue.try_recv().unwrap(), "", "every centre refreshes");
    }

    #[test]
    fn many_changes_are_split_to_fit_a_notification() {
        let events = Events::new();
        let lines: Vec<String> = (0..2000).map(|i| format!("q 000.00.{i:02}.H22")).collect();
        let payloads = events.payloads(lines.clone());
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() <= MAX_PAYLOAD && p.starts_with(&events.instance)));
        let back: Vec<&str> = payloads.iter().flat_map(|p| p.lines().skip(1)).collect();
        assert_eq!(back, lines.iter().map(String::as_str).collect::<Vec<_>>(), "every line once, in order");
    }
}
