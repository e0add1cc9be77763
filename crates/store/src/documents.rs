//! What the official document exchange keeps: certificates (keys encrypted), partner
//! servers, the outgoing and incoming registers, status receipts, the delivery outbox and
//! the quarantine. The packages themselves are the exchange layer's; the store keeps them
//! as text and gives them back unchanged.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::OrgCode;

use crate::{Page, Paged, Result};

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertRole {
    /// The deployment's certificate authority.
    Ca,
    /// The server's identity for signing requests to partner servers.
    Server,
    /// An organisation's signing identity.
    Org,
    /// An outside CA whose certificates are accepted.
    Trusted,
}

impl CertRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ca => "ca",
            Self::Server => "server",
            Self::Org => "org",
            Self::Trusted => "trusted",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ca" => Self::Ca,
            "server" => Self::Server,
            "org" => Self::Org,
            "trusted" => Self::Trusted,
            _ => return None,
        })
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct StoredCertificate {
    pub id: i64,
    pub role: CertRole,
    pub org: Option<OrgCode>,
    pub subject: String,
    pub serial: String,
    pub fingerprint: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub cert_pem: String,
    /// Encrypted PKCS#8, for identities this server signs with.
    pub key_pem: Option<String>,
    pub active: bool,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for StoredCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCertificate")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("org", &self.org)
            .field("subject", &self.subject)
            .field("fingerprint", &self.fingerprint)
            .field("has_key", &self.key_pem.is_some())
            .finish_non_exhaustive()
    }
}

/// A partner server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub name: String,
    pub base_url: String,
    pub ca_pem: String,
    pub ca_fingerprint: String,
    /// Organisations it serves, with their names.
    pub orgs: Vec<(OrgCode, String)>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sổ văn bản đi.
    Outgoing,
    /// Sổ văn bản đến.
    Incoming,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outgoing => "out",
            Self::Incoming => "in",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "out" => Some(Self::Outgoing),
            "in" => Some(Self::Incoming),
            _ => None,
        }
    }
}

/// A register entry as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub document_id: String,
    pub from_org: OrgCode,
    pub subject: String,
    /// The header, as the exchange layer serialises it (JSON).
    pub header: String,
    /// The edXML package as signed or received.
    pub package: String,
    pub state: String,
    pub revision: i64,
    pub at: Timestamp,
}

/// A register entry as a list shows it: everything but its package, which with its
/// attachments (base64) is most of the entry's size and is read only when one entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentEntry {
    pub id: i64,
    pub org: OrgCode,
    pub direction: Direction,
    pub year: i32,
    pub number: i64,
    pub document_id: String,
    pub from_org: OrgCode,
    pub subject: String,
    pub header: String,
    pub state: String,
    pub revision: i64,
    /// A recall/update/replacement waiting for the recipient's decision (its package).
    pub pending: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A register entry with the package it was sent or received as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    pub entry: DocumentEntry,
    pub package: String,
}

impl std::ops::Deref for DocumentRecord {
    type Target = DocumentEntry;
    fn deref(&self) -> &DocumentEntry {
        &self.entry
    }
}

/// A status receipt for one recipient of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocStatus {
    pub document_id: String,
    pub to_org: OrgCode,
    /// `01` … `16`.
    pub code: String,
    pub revision: i64,
    pub description: String,
    pub staff: String,
    pub at: Timestamp,
    /// The signed status package.
    pub package: String,
}

/// A package to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutbox {
    /// `local` (this server's organisations) or a peer's name.
    pub target: String,
    /// `document` or `status`.
    pub kind: String,
    /// The DocumentId it concerns, for listing.
    pub reference: String,
    pub package: OutboxPackage,
}

/// What an outbox item delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxPackage {
    /// The package of the register entry the same write makes or changes, read from the
    /// entry when delivered: a document and its attachments are stored once. Should the
    /// entry's package be replaced later (an update, a replacement), the items that pointed
    /// at it are given their own copy first.
    OfDocument,
    /// A package kept in the item (a status, a recall).
    Own(String),
}

/// An outbox item as a document's page shows it: everything but the package it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub target: String,
    pub kind: String,
    pub reference: String,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub delivered_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// An outbox item with the package it delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub entry: OutboxEntry,
    pub package: String,
}

impl std::ops::Deref for OutboxItem {
    type Target = OutboxEntry;
    fn deref(&self) -> &OutboxEntry {
        &self.entry
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    pub id: i64,
    pub source: String,
    pub reason: String,
    pub document_id: Option<String>,
    pub from_org: Option<String>,
    /// The first [`QUARANTINE_KEPT_BYTES`] of the package (enough to see what it was).
    pub package: Vec<u8>,
    /// The whole package's size and SHA-256 (hex).
    pub size: i64,
    pub sha256: String,
    pub received_at: Timestamp,
}

/// How much of a quarantined package is kept: a rejected 38 MB import must not keep 38 MB.
pub const QUARANTINE_KEPT_BYTES: usize = 64 * 1024;

/// A package refused by verification, for the quarantine.
#[derive(Debug, Clone)]
pub struct NewQuarantine<'a> {
    /// Where it came from (`peer:<name>`, `import:<username>`, `local`).
    pub source: &'a str,
    pub reason: &'a str,
    pub document_id: Option<&'a str>,
    pub from_org: Option<&'a str>,
    /// The organisations it concerns here (addressed to them, or imported by their officer):
    /// each sees it in its quarantine list. None: only the province's administrators.
    pub for_orgs: &'a [OrgCode],
    /// The whole package; the store keeps its first [`QUARANTINE_KEPT_BYTES`].
    pub package: &'a [u8],
    /// SHA-256 (hex) of the whole package.
    pub sha256: &'a str,
    pub at: Timestamp,
}

/// What to write with a new register entry, once its number is known.
#[derive(Debug, Clone)]
pub struct DocumentWrite {
    pub document: NewDocument,
    pub statuses: Vec<DocStatus>,
    pub outbox: Vec<NewOutbox>,
}

/// Builds the entry once the store has allocated its number in the register.
pub type BuildDocument<'a> = &'a (dyn Fn(i64) -> std::result::Result<DocumentWrite, String> + Send + Sync);

#[derive(Debug, Clone)]
pub enum DocumentOutcome {
    Created(DocumentRecord),
    /// An incoming document with this DocumentId is already registered: nothing written.
    Existing(DocumentRecord),
    /// The idempotency key was used before: the document it numbered, and the hash of the
    /// request it was used for (the caller refuses the key if that is another request).
    KeyUsed {
        document: DocumentRecord,
        request_hash: String,
    },
}

/// What keeps [`DocumentStore::create_document`] from numbering the same document twice.
#[derive(Debug, Clone, Copy)]
pub enum Dedup<'a> {
    /// Nothing: every call numbers a new entry.
    New,
    /// A document with this DocumentId already in the register is returned as it is
    /// (an incoming document delivered again).
    ByDocumentId(&'a str),
    /// The entry an earlier request with this key numbered is returned (a sender's retry).
    ByKey(&'a crate::IdempotencyKey),
}

/// A change to a register entry, applied only if it is still at `expected_revision` and
/// `expected_state`.
#[derive(Debug, Clone)]
pub struct DocumentChange {
    pub expected_state: String,
    pub expected_revision: i64,
    pub state: String,
    pub revision: i64,
    /// Replaces header, subject and package (an accepted update or replacement).
    pub content: Option<(String, String, String)>,
    /// `Some(None)` clears a pending request, `Some(Some(p))` sets one.
    pub pending: Option<Option<String>>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub orgs: Option<Vec<OrgCode>>,
    pub direction: Option<Direction>,
    pub year: Option<i32>,
    pub state: Option<String>,
}

/// The exchange's part of the store; a supertrait of [`crate::Store`].
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Adds a certificate; an active CA, server or organisation identity replaces (makes
    /// inactive) the one it succeeds, in the same transaction.
    async fn add_certificate(&self, cert: &StoredCertificate) -> Result<i64>;
    /// Certificates by role (and organisation), active first, newest first.
    async fn certificates(&self, role: Option<CertRole>, org: Option<&OrgCode>) -> Result<Vec<StoredCertificate>>;

    async fn upsert_peer(&self, peer: &Peer) -> Result<()>;
    async fn peers(&self) -> Result<Vec<Peer>>;

    /// Allocates the next number of `org`'s register for `year` and writes the entry with
    /// its statuses and outbox items, all or none. With a DocumentId, an entry already
    /// registered under it is returned and nothing is written (incoming documents arrive
    /// more than once); with a key, the entry the key numbered before (a retried send);
    /// otherwise the build gives the id (outgoing ones carry the number). Two requests with
    /// one new key at once: one is written, the other fails with `Conflict` (ask again).
    async fn create_document(
        &self,
        org: &OrgCode,
        direction: Direction,
        year: i32,
        dedup: Dedup<'_>,
        build: BuildDocument<'_>,
    ) -> Result<DocumentOutcome>;
    async fn document(&self, id: i64) -> Result<Option<DocumentRecord>>;
    /// The entry alone, without its package (a subject for a list, a label).
    async fn document_entry(&self, id: i64) -> Result<Option<DocumentEntry>>;
    /// The entry of `org`'s register for a document, without its package (a receipt or a
    /// recall needs the entry's state and header only; the package is the large part).
    async fn document_by_document_id(
        &self,
        org: &OrgCode,
        direction: Direction,
        document_id: &str,
    ) -> Result<Option<DocumentEntry>>;
    /// Register entries, newest first, without their packages.
    async fn list_documents(&self, filter: &DocumentFilter, page: Page) -> Result<Paged<DocumentEntry>>;
    /// Applies a change with its statuses and outbox items; `Conflict` if the entry moved
    /// on in between, `MissingReference` if there is no such entry.
    async fn change_document(
        &self,
        id: i64,
        change: &DocumentChange,
        statuses: &[DocStatus],
        outbox: &[NewOutbox],
    ) -> Result<DocumentRecord>;
    /// Records statuses (repeats ignored) and outbox items; how many statuses were new.
    async fn record_statuses(&self, statuses: &[DocStatus], outbox: &[NewOutbox]) -> Result<u64>;
    /// A document's statuses, oldest first; for one recipient or all.
    async fn statuses(&self, document_id: &str, to_org: Option<&OrgCode>) -> Result<Vec<DocStatus>>;

    /// Undelivered items due at `now`, oldest first.
    async fn due_outbox(&self, now: Timestamp, limit: i64) -> Result<Vec<OutboxItem>>;
    /// Marks items delivered, in one write however many.
    async fn outbox_delivered(&self, ids: &[i64], at: Timestamp) -> Result<()>;
    async fn outbox_retry(&self, id: i64, error: &str, next_attempt_at: Timestamp) -> Result<()>;
    /// Items for a DocumentId, or all undelivered ones.
    async fn outbox(&self, reference: Option<&str>) -> Result<Vec<OutboxItem>>;
    /// A DocumentId's items without their packages: what its page shows of its deliveries.
    async fn deliveries(&self, reference: &str) -> Result<Vec<OutboxEntry>>;
    /// When the next undelivered item is due.
    async fn next_outbox_due(&self) -> Result<Option<Timestamp>>;

    async fn quarantine(&self, q: &NewQuarantine<'_>) -> Result<i64>;
    /// Quarantined packages, newest first: those of these organisations, or (None) all.
    async fn quarantined(&self, orgs: Option<&[OrgCode]>, page: Page) -> Result<Paged<Quarantined>>;
    /// Drops quarantined packages received before `before`, and all but the newest `keep`:
    /// how many were dropped.
    async fn purge_quarantine(&self, before: Timestamp, keep: i64) -> Result<u64>;
}
