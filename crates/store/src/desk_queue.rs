//! The submissions waiting for their desk's day sequence, per desk and day, in this process:
//! the queue `sql_dossier_group.rs` writes from, a group at a time. It knows no SQL.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::civil::Date;
use motcua_domain::attachment::Attachment;
use tokio::sync::oneshot;

use crate::{BuildDossier, CreateOutcome, FileContent, IdempotencyKey, Result};

/// The most submissions one transaction writes (about 50 bound values each).
pub(crate) const MAX_GROUP: usize = 32;

/// A submission waiting for its desk's turn.
pub(crate) struct Pending {
    pub(crate) key: Option<IdempotencyKey>,
    pub(crate) attachments: Vec<Attachment>,
    /// Files kept in the database, written with the dossier.
    pub(crate) contents: Vec<FileContent>,
    pub(crate) build: BuildDossier,
    pub(crate) reply: oneshot::Sender<Result<CreateOutcome>>,
    /// The submitter's span: a group's statements are logged (and counted by `motcua bench`)
    /// in its first submission's.
    pub(crate) span: tracing::Span,
}

pub(crate) type DeskDay = (String, Date);

/// The submissions waiting, per desk and day. A desk is in the map while a task writes for it.
#[derive(Default)]
pub(crate) struct Desks {
    waiting: Mutex<HashMap<DeskDay, Vec<Pending>>>,
    /// New dossiers written, and the transactions that wrote them.
    dossiers: AtomicU64,
    transactions: AtomicU64,
    /// On SQLite, whether a move of `dossier_terms_recent` is due and not begun yet.
    words_move_due: AtomicBool,
}

impl Desks {
    pub(crate) fn written(&self) -> (u64, u64) {
        (self.dossiers.load(Relaxed), self.transactions.load(Relaxed))
    }

    pub(crate) fn count(&self, answers: &[Result<CreateOutcome>]) {
        let n = answers.iter().filter(|o| matches!(o, Ok(CreateOutcome::Created(_)))).count() as u64;
        if n > 0 {
            self.dossiers.fetch_add(n, Relaxed);
            self.transactions.fetch_add(1, Relaxed);
        }
    }

    /// Marks a move of the recent words due; true if none was (the caller starts one).
    pub(crate) fn words_move_due(&self) -> bool {
        !self.words_move_due.swap(true, Relaxed)
    }

    /// The move has its turn at the writer: words written after it need another.
    pub(crate) fn words_move_begun(&self) {
        self.words_move_due.store(false, Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<DeskDay, Vec<Pending>>> {
        self.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a submission; true when no task writes for its desk yet (the caller starts one).
    pub(crate) fn enqueue(&self, desk: &DeskDay, p: Pending) -> bool {
        let mut waiting = self.lock();
        match waiting.get_mut(desk) {
            Some(queue) => {
                queue.push(p);
                false
            }
            None => {
                waiting.insert(desk.clone(), vec![p]);
                true
            }
        }
    }

    /// The next group, oldest first; `None` when nobody waits, and the desk is let go.
    pub(crate) fn take(&self, desk: &DeskDay) -> Option<Vec<Pending>> {
        let mut waiting = self.lock();
        let queue = waiting.get_mut(desk)?;
        if queue.is_empty() {
            waiting.remove(desk);
            return None;
        }
        let n = queue.len().min(MAX_GROUP);
        Some(queue.drain(..n).collect())
    }
}

/// Lets the desk go if its task ends other than by finding its queue empty (a panic, the
/// runtime shutting down): the submissions still waiting are answered with an error (their
/// senders dropped) and the next one starts a new task.
pub(crate) struct Serving {
    pub(crate) desks: Arc<Desks>,
    pub(crate) desk: DeskDay,
    pub(crate) done: bool,
}

impl Drop for Serving {
    fn drop(&mut self) {
        if !self.done {
            self.desks.lock().remove(&self.desk);
        }
    }
}
