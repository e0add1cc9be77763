//! Storage of motcua: one [`Store`] trait, implemented for SQLite (embedded, the default)
//! and PostgreSQL (large deployments). The backend is chosen by the database URL; each has
//! its own migrations, embedded in the binary; one conformance suite (`tests/`) runs on both.
//!
//! The store records what the domain decided: every value read back is parsed again into
//! a domain type, so a corrupted row is reported, never passed on.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::attachment::Attachment;
use motcua_domain::audit::{Event, EventDraft};
use motcua_domain::calendar::Adjustment;
use motcua_domain::workflow::{Dossier, Status, Workflow};
use motcua_domain::{
    Account, AdminUnit, FieldCode, NewAccount, OnlineLevel, OrgCode, OrgKind, Organisation, Procedure, ProcedureCode,
    ProcedureLevel, UnitCode, Username,
};
use motcua_domain::{DossierCode, Role};
use thiserror::Error;

pub mod backup;
mod copy_text;
mod desk_queue;
pub mod documents;
pub mod dossier_list;
pub mod escalations;
pub mod events;
pub mod feedback;
pub mod identity;
pub mod limits;
pub mod meetings;
mod migrations;
pub mod payments;
pub mod second_factor;
pub mod service;
mod sql;
mod sql_accounts;
mod sql_appointments;
mod sql_catalog;
mod sql_codes;
mod sql_document_register;
mod sql_document_rows;
mod sql_documents;
mod sql_dossier_group;
mod sql_dossier_list;
mod sql_dossier_rows;
mod sql_dossier_words;
mod sql_dossiers;
mod sql_engine;
mod sql_escalations;
mod sql_feedback;
mod sql_identity;
mod sql_import;
mod sql_limits;
mod sql_meetings;
mod sql_messages;
mod sql_payments;
mod sql_queue;
mod sql_reminders;
mod sql_results;
mod sql_second_factor;
mod sql_service;
mod sql_shared;
mod sql_stat_writes;
mod sql_stats;
mod sql_work;
mod sql_write;
pub mod stats;
pub mod work;

pub use dossier_list::{COUNT_BOUND, DossierCursor, DossierList, DossierPage, ListOrder, ListTotal};
pub use sql_shared::{PostgresStore, SqliteStore};

#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique key is taken (username, CCCD number, …).
    #[error("đã tồn tại: {0}")]
    Conflict(String),
    /// A referenced record (parent unit, organisation, …) does not exist.
    #[error("tham chiếu tới bản ghi không tồn tại: {0}")]
    MissingReference(String),
    /// A stored value no longer parses as a domain value.
    #[error("dữ liệu lưu trữ không hợp lệ: {0}")]
    Corrupt(String),
    #[error("địa chỉ cơ sở dữ liệu không hợp lệ: {0}")]
    BadUrl(String),
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Database(#[source] sqlx::Error),
    /// A group of writes committed together failed as one (none of them was acknowledged).
    #[error("ghi dữ liệu không hoàn tất: {0}")]
    WriteAborted(String),
    #[error("lỗi nâng cấp lược đồ cơ sở dữ liệu: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            if db.is_unique_violation() {
                return StoreError::Conflict(db.message().to_owned());
            }
            if db.is_foreign_key_violation() {
                return StoreError::MissingReference(db.message().to_owned());
            }
        }
        StoreError::Database(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Offset paging. `limit` is clamped to 1..=500 by [`Page::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: i64,
    pub limit: i64,
}

impl Page {
    pub const MAX_LIMIT: i64 = 500;
    pub fn new(offset: Option<i64>, limit: Option<i64>) -> Self {
        Self { offset: offset.unwrap_or(0).max(0), limit: limit.unwrap_or(50).clamp(1, Self::MAX_LIMIT) }
    }
    pub fn all() -> Self {
        Self { offset: 0, limit: i64::MAX }
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::new(None, None)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub parent: Option<UnitCode>,
    pub level: Option<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub unit: Option<UnitCode>,
    pub kind: Option<OrgKind>,
    pub parent: Option<OrgCode>,
}

#[derive(Debug, Clone, Default)]
pub struct ProcedureFilter {
    /// Processed by this organisation.
    pub org: Option<OrgCode>,
    /// Processed by an organisation serving this administrative unit.
    pub unit: Option<UnitCode>,
    pub field: Option<FieldCode>,
    pub online: Option<OnlineLevel>,
    pub level: Option<ProcedureLevel>,
    /// Words that must all occur in the name, compared without diacritics.
    pub text: Option<String>,
}

/// A dossier as stored: the parsed value, the exact stored text its last event hashes, and
/// the chain head (for optimistic concurrency and verification).
#[derive(Debug, Clone)]
pub struct StoredDossier {
    pub dossier: Dossier,
    pub body: String,
    pub last_seq: i64,
    pub last_hash: String,
}

/// A small file's content, kept in the database with the dossier that refers to it (see
/// [`DossierStore::create_dossier`]) instead of as a file of the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    /// The SHA-256 of `bytes`, in lowercase hexadecimal: the name attachments refer to.
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// Where a dossier waits: the organisation and role of its current step.
pub type Placement = Option<(OrgCode, Role)>;

/// A dossier with its history, for [`Store::import_dossiers`].
#[derive(Debug, Clone)]
pub struct ImportedDossier {
    pub dossier: Dossier,
    /// The body the last event's state hash commits to.
    pub body: String,
    pub placement: Placement,
    pub events: Vec<Event>,
    pub rating: Option<Rating>,
}

/// A request made with an `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub account_id: i64,
    pub key: String,
    /// Hash of the request, so a reused key with another request is refused.
    pub request_hash: String,
}

#[derive(Debug, Clone)]
pub enum CreateOutcome {
    Created(Box<(StoredDossier, Event)>),
    /// The key was used before: the dossier it created, and the request it was used for.
    Existing {
        code: DossierCode,
        request_hash: String,
    },
}

/// Builds the new dossier and its first event once the store has allocated its code. It owns
/// what it needs: submissions to one desk on one day are written together, each built by
/// the task that writes them (see `sql_dossier_group.rs`).
pub type BuildDossier =
    std::sync::Arc<dyn Fn(DossierCode) -> std::result::Result<(Dossier, Placement, EventDraft), String> + Send + Sync>;

#[derive(Debug, Clone, Default)]
pub struct DossierFilter {
    /// Dossiers this account applied for.
    pub owner: Option<i64>,
    /// Dossiers waiting at any of these (organisation, role) pairs.
    pub waiting_at: Option<Vec<(OrgCode, Role)>>,
    /// Dossiers received or processed by any of these organisations.
    pub involving: Option<Vec<OrgCode>>,
    pub status: Option<Status>,
    pub step: Option<String>,
    /// Open and due before this instant (overdue: now; due soon: now + 1 working day).
    pub open_due_before: Option<Timestamp>,
    pub procedure: Option<ProcedureCode>,
    /// Dossiers of procedures in this field.
    pub field: Option<FieldCode>,
    /// A dossier code (or part of one), or the applicant's name (with or without diacritics),
    /// CCCD or phone.
    pub search: Option<String>,
}

/// The applicant's rating of a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub dossier: DossierCode,
    pub account_id: i64,
    pub stars: motcua_domain::rating::Stars,
    pub comment: Option<String>,
    pub at: Timestamp,
}

/// A citizen's unfinished submission; `body` is the web layer's, kept as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// None until first saved.
    pub id: Option<i64>,
    pub account_id: i64,
    pub procedure: ProcedureCode,
    pub body: String,
    pub updated_at: Timestamp,
}

/// One dossier's stored row and events, for `motcua audit verify`.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub code: String,
    pub body: String,
    pub columns: AuditColumns,
    pub last_seq: i64,
    pub last_hash: String,
    pub events: Vec<Event>,
}

/// The indexed columns of a dossier row, which must agree with its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditColumns {
    pub procedure_code: String,
    pub desk_org: String,
    pub processing_org: String,
    pub owner_account: Option<i64>,
    pub status: i32,
    pub step: Option<String>,
    pub waiting_org: Option<String>,
    pub waiting_role: Option<String>,
    pub submitted_at: i64,
    pub due_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// Administrative units, organisations and the procedure catalog.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Inserts or updates units; parents must come before children (or be stored).
    async fn upsert_units(&self, units: &[AdminUnit]) -> Result<u64>;
    async fn unit(&self, code: &UnitCode) -> Result<Option<AdminUnit>>;
    async fn list_units(&self, filter: &UnitFilter, page: Page) -> Result<Paged<AdminUnit>>;
    /// Level of every stored unit, to place imported children.
    async fn unit_levels(&self) -> Result<HashMap<UnitCode, u8>>;

    /// Inserts or updates organisations; parents first.
    async fn upsert_organisations(&self, orgs: &[Organisation]) -> Result<u64>;
    async fn organisation(&self, code: &OrgCode) -> Result<Option<Organisation>>;
    async fn list_organisations(&self, filter: &OrgFilter, page: Page) -> Result<Paged<Organisation>>;
    /// Which of these codes are stored.
    async fn existing_organisations(&self, codes: &[OrgCode]) -> Result<HashSet<OrgCode>>;

    /// Inserts or updates procedures, all or none, and changes [`CATALOG_VERSION_KEY`].
    async fn upsert_procedures(&self, procedures: &[Procedure]) -> Result<u64>;
    async fn procedure(&self, code: &ProcedureCode) -> Result<Option<Procedure>>;
    async fn list_procedures(&self, filter: &ProcedureFilter, page: Page) -> Result<Paged<Procedure>>;
}

/// Accounts, their roles and sessions.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account with its roles, all or none. `Conflict` if the username or
    /// CCCD number is taken, `MissingReference` if a role names an unknown organisation.
    async fn create_account(&self, account: &NewAccount) -> Result<Account>;

    /// Creates many accounts in one transaction (demo and bulk staff loading), skipping
    /// usernames already taken; returns how many were created. All or none on any other error.
    async fn create_accounts(&self, accounts: &[NewAccount]) -> Result<u64>;
    async fn account(&self, id: i64) -> Result<Option<Account>>;
    /// The account and its password hash, for login.
    async fn account_credentials(&self, username: &Username) -> Result<Option<(Account, String)>>;
    /// Sets an account's password hash and ends its other sessions (all but `keep_session`, the
    /// token hash of the session that changed it). `false` if no such account.
    async fn set_password(&self, account_id: i64, password_hash: &str, keep_session: Option<&str>) -> Result<bool>;
    /// Locks or unlocks an account; locking also ends its sessions. `false` if no such account.
    async fn set_account_disabled(&self, username: &Username, disabled: bool) -> Result<bool>;
    /// Staff holding any role in the organisation.
    async fn list_staff(&self, org: &OrgCode) -> Result<Vec<Account>>;

    /// Sessions are stored by the SHA-256 of their token, never the token itself.
    async fn create_session(&self, token_hash: &str, account_id: i64, expires_at: Timestamp) -> Result<()>;
    /// The account of a live session (not expired at `now`, account not disabled).
    async fn session_account(&self, token_hash: &str, now: Timestamp) -> Result<Option<Account>> {
        Ok(self.session_account_and_metas(token_hash, now, &[]).await?.map(|(a, _)| a))
    }
    /// As [`Self::session_account`], with the meta values `keys` read in the same statement
    /// (as [`SettingsStore::metas`] reads them, in the order asked): what a request reads
    /// first, in one round trip.
    async fn session_account_and_metas(
        &self,
        token_hash: &str,
        now: Timestamp,
        keys: &[&str],
    ) -> Result<Option<(Account, Vec<Option<String>>)>>;
    async fn delete_session(&self, token_hash: &str) -> Result<bool>;
    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64>;
    /// How many accounts hold a role at each organisation (organisations with none left out).
    async fn staff_counts(&self) -> Result<HashMap<OrgCode, i64>>;
    /// Whether an active (not locked) staff account holds `role` at `org`: someone can open
    /// a dossier waiting there.
    async fn staffed(&self, org: &OrgCode, role: motcua_domain::Role) -> Result<bool>;
    /// Every (organisation, role) some active staff account holds.
    async fn staffed_roles(&self) -> Result<std::collections::HashSet<(OrgCode, motcua_domain::Role)>>;

    /// Replaces a staff account's roles (all in one transaction); false if no such staff.
    async fn set_roles(&self, username: &Username, roles: &[motcua_domain::RoleAssignment]) -> Result<bool>;
}

/// Dossiers with their events, files, ratings and drafts; codes' daily sequences; the audit trail.
#[async_trait]
pub trait DossierStore: Send + Sync {
    /// Allocates the next code of `unit` for local day `day` (gap-free, unique under
    /// concurrency), builds the dossier with it and writes it with its first event, all in
    /// one transaction (shared with the other submissions to `unit` and `day` waiting at the
    /// moment; one that fails is retried alone). With an idempotency key already used,
    /// nothing is written. `contents` are files kept in the database: written in the same
    /// transaction (once per content), so they are durable exactly when the dossier is.
    async fn create_dossier(
        &self,
        unit: &OrgCode,
        day: jiff::civil::Date,
        key: Option<&IdempotencyKey>,
        attachments: &[Attachment],
        contents: &[FileContent],
        build: BuildDossier,
    ) -> Result<CreateOutcome>;
    /// The content of a file kept in the database, by its SHA-256 (None: not kept here; it
    /// is in the blob store, or nowhere).
    async fn kept_file(&self, sha256: &str) -> Result<Option<Vec<u8>>>;
    /// New dossiers written so far by this process, and the transactions that wrote them
    /// (submissions to one desk on one day arriving together share one).
    fn submission_writes(&self) -> (u64, u64);
    /// A dossier's attachments, by index.
    async fn attachments(&self, code: &DossierCode) -> Result<Vec<Attachment>>;
    async fn dossier(&self, code: &DossierCode) -> Result<Option<StoredDossier>>;
    /// Several dossiers in one read (a pass of the notifier), in no particular order; a code
    /// with no dossier has none in the answer.
    async fn dossiers_of(&self, codes: &[DossierCode]) -> Result<Vec<StoredDossier>>;
    /// Writes the dossier after an action and appends its event, if the dossier is still at
    /// `expected_seq` (else `Conflict`: someone acted in between).
    async fn record_action(
        &self,
        code: &DossierCode,
        expected_seq: i64,
        dossier: &Dossier,
        placement: Placement,
        draft: EventDraft,
        attachments: &[Attachment],
    ) -> Result<(StoredDossier, Event)>;
    async fn events(&self, code: &DossierCode) -> Result<Vec<Event>>;
    /// How many dossiers an account has submitted since `since`, and the bytes of their
    /// files (for per-account daily quotas).
    async fn submitted_since(&self, owner: i64, since: Timestamp) -> Result<(i64, i64)>;
    /// One page of the dossiers `filter` keeps, in the order it implies
    /// ([`DossierFilter::order`]), with the count (bounded) and where the next page starts.
    async fn list_dossiers(&self, filter: &DossierFilter, page: &DossierPage) -> Result<DossierList>;
    /// How many dossiers `filter` keeps, counted up to [`COUNT_BOUND`].
    async fn count_dossiers(&self, filter: &DossierFilter) -> Result<ListTotal>;
    /// The engine's plan for that page and its count, a line per step (for the query-plan
    /// tests and `motcua bench`).
    async fn explain_dossier_list(&self, filter: &DossierFilter, page: &DossierPage) -> Result<Vec<String>>;
    /// Dossiers in code order after `after`, with their events, for verification.
    async fn audit_batch(&self, after: Option<&str>, limit: i64) -> Result<Vec<AuditRecord>>;
    /// Every (unit, day, last sequence given).
    async fn dossier_sequences(&self) -> Result<Vec<(String, String, i64)>>;

    /// Records the applicant's rating; false if the dossier was already rated.
    async fn rate(&self, rating: &Rating) -> Result<bool>;
    /// Dossiers with their whole sealed history, written as they are (synthetic or migrated
    /// data) in one transaction: codes must be new, the code sequences move past them, the
    /// statistics follow, and the events count as already notified.
    async fn import_dossiers(&self, batch: &[ImportedDossier]) -> Result<()>;
    /// After a bulk import: PostgreSQL's planner statistics brought up to date (`ANALYZE`;
    /// until autovacuum came round, a million new dossiers were planned as a few thousand
    /// and a dossier's events read with a parallel scan: 25 ms instead of 0.5). SQLite keeps
    /// no statistics here (its list queries name their indexes).
    async fn bulk_loaded(&self) -> Result<()>;
    async fn rating(&self, code: &DossierCode) -> Result<Option<Rating>>;
    /// The ratings of several dossiers (a page of a list) in one read; a dossier not rated
    /// has none in the answer.
    async fn ratings_of(&self, codes: &[DossierCode]) -> Result<Vec<Rating>>;

    /// Inserts (id None) or updates the account's draft; its id. Another account's draft
    /// is `MissingReference`.
    async fn save_draft(&self, draft: &Draft) -> Result<i64>;
    async fn draft(&self, id: i64, account_id: i64) -> Result<Option<Draft>>;
    /// The account's drafts, last changed first.
    async fn drafts(&self, account_id: i64) -> Result<Vec<Draft>>;
    async fn delete_draft(&self, id: i64, account_id: i64) -> Result<bool>;
}

/// Everything motcua keeps. Implemented once per backend; see `tests/conformance.rs`.
#[async_trait]
pub trait Store:
    CatalogStore
    + AccountStore
    + DossierStore
    + documents::DocumentStore
    + payments::PaymentStore
    + payments::ResultStore
    + payments::OutboxStore
    + service::ServiceStore
    + stats::StatsStore
    + SettingsStore
    + JobStore
    + limits::LimitStore
    + second_factor::SecondFactorStore
    + identity::IdentityStore
    + escalations::EscalationStore
    + feedback::FeedbackStore
    + work::WorkStore
    + meetings::MeetingStore
    + events::EventStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;
    async fn ping(&self) -> Result<()>;
}

/// Background jobs that servers sharing a database take in turns.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// A background job's pass, one server at a time: `Some` while this caller holds `job`
    /// (until the [`Lead`] is dropped), `None` while another server sharing the database
    /// does. On PostgreSQL a transaction-scoped advisory lock, freed with its connection should
    /// the server die; on SQLite, which one server uses, always `Some`.
    async fn lead(&self, job: &str) -> Result<Option<Lead>>;
    /// What waits for background work or at the counters now: official documents not yet
    /// delivered, messages not yet sent, and tickets waiting on `today` per centre (for
    /// `/metrics`; each count reads an index of what is pending, not the tables).
    async fn backlogs(&self, today: jiff::civil::Date) -> Result<Backlogs>;
    /// Connections of this server's pool: open, and idle among them.
    fn pool_use(&self) -> (u32, usize);
}

/// See [`JobStore::backlogs`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backlogs {
    pub documents_outbox: i64,
    pub notifications: i64,
    /// Centre code and tickets waiting there, by centre code.
    pub waiting_tickets: Vec<(String, i64)>,
}

/// Holding a background job (see [`Store::lead`]); dropping it lets the job go.
pub struct Lead(#[allow(dead_code)] Option<Box<dyn Send>>);

impl std::fmt::Debug for Lead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lead")
    }
}

/// The advisory-lock key of a job: FNV-1a of its name (stable across builds and servers).
pub(crate) fn job_key(job: &str) -> i64 {
    let hash = job.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// The province's settings: the working calendar's adjustments, the workflows procedures
/// follow, and small named values (versions that tell running servers to rebuild).
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The Government's announced day swaps and extra days off, in date order.
    async fn calendar_adjustments(&self) -> Result<Vec<Adjustment>>;
    /// Inserts or replaces adjustments (by date), all or none, and changes
    /// [`CALENDAR_VERSION_KEY`] so running servers rebuild their calendar.
    async fn upsert_calendar_adjustments(&self, adjustments: &[Adjustment]) -> Result<u64>;

    /// Stores workflows, all or none: one whose steps differ from the current version becomes
    /// its next version (the version it carries is ignored); one unchanged is left as it is.
    /// Earlier versions stay, for the dossiers started under them. Returns how many versions
    /// were written.
    async fn upsert_workflows(&self, workflows: &[Workflow]) -> Result<u64>;
    /// The current version of every workflow, by code.
    async fn workflows(&self) -> Result<Vec<Workflow>>;
    /// One version of a workflow, current or earlier.
    async fn workflow_version(&self, code: &str, version: u32) -> Result<Option<Workflow>>;
    /// Every version of every workflow, by code then version.
    async fn workflow_versions(&self) -> Result<Vec<Workflow>>;

    async fn meta(&self, key: &str) -> Result<Option<String>>;
    /// Several named values read in one statement, in the order of `keys`.
    async fn metas(&self, keys: &[&str]) -> Result<Vec<Option<String>>>;
    async fn set_meta(&self, key: &str, value: &str) -> Result<()>;
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    /// PostgreSQL only: use (and create) this schema, for isolated tests.
    pub pg_schema: Option<String>,
    /// SQLite only: how long a statement waits for a lock another process holds (this
    /// process's own writes queue for its one writing connection instead, so they never
    /// wait here). Zero in a test proves that.
    pub sqlite_busy_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self { max_connections: 16, pg_schema: None, sqlite_busy_timeout: Duration::from_secs(10) }
    }
}

/// Opens the database named by `url` (`sqlite://PATH` or `postgres://…`) and brings its
/// schema up to date.
pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, options).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url, options).await?))
    } else {
        Err(StoreError::BadUrl("chỉ hỗ trợ sqlite://… và postgres://…".into()))
    }
}

/// SQLite URL for a file path.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Meta key that changes whenever calendar adjustments change.
pub const CALENDAR_VERSION_KEY: &str = "calendar_version";
/// Changed by every `upsert_procedures`, so running servers rebuild their search index.
pub const CATALOG_VERSION_KEY: &str = "catalog_version";
/// Counted up by the database itself (triggers) on every change to procedures, their
/// organisations, organisations and workflows: servers keep those in memory while it stands.
pub const REFERENCE_VERSION_KEY: &str = "reference_version";

pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

#[cfg(feature = "testing")]
pub mod testing;
