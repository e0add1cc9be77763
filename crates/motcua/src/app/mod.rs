//! The application layer: what motcua does, as plain async functions over the shared state,
//! one module per capability. It knows no HTTP, no HTML and no JSON shapes: the JSON API
//! (`api/`) and the web pages (`web/`) parse a request, call in here and render what comes
//! back; a refusal is an [`Error`] with a stable [`ErrorCode`] and a Vietnamese message,
//! which each adapter renders in its own way.

pub mod codes;
pub mod display;
pub mod error;
pub mod events;
pub mod snapshot;
pub(crate) mod upload;

use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use motcua_store::Store;

pub use codes::ErrorCode;
pub use error::{AppError, AppResult, FieldProblem, Kind};

/// Settings of the running server.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub session_ttl: SignedDuration,
    /// Mark the session cookie `Secure` (when served over TLS).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Holiday layout, working hours and cut-off.
    pub calendar_rules: motcua_domain::calendar::CalendarRules,
    /// How waiting for a supplement affects deadlines.
    pub supplement_mode: motcua_domain::workflow::SupplementMode,
    /// Where attachments are kept (`blobs/` inside) unless `blobs` says otherwise.
    pub data_dir: std::path::PathBuf,
    /// Where files are kept when not in the data directory (S3-compatible storage, which
    /// several servers share: `--blob-url`).
    pub blobs: Option<crate::blobs::BlobStore>,
    /// The address citizens reach the server at (QR codes on printed forms link to it).
    pub public_url: Option<String>,
    /// Decrypts the signing keys of document exchange; None: nothing can be signed.
    pub key_passphrase: Option<crate::documents::exchange::Passphrase>,
    /// Retry and backoff of document delivery.
    pub outbox: crate::documents::exchange::OutboxSettings,
    /// E-mail and SMS to applicants.
    pub notify: crate::notifications::NotifySettings,
    /// The operations centre: 766 weights, postage and travel saved.
    pub stats: crate::statistics::figures::StatsSettings,
    /// Per-address quotas on anonymous lookups, writes and wrong passwords.
    pub limits: crate::throttle::Limits,
    /// Timeouts and caps of connections and event streams.
    pub connections: ConnectionLimits,
    /// What one citizen account may submit in a day.
    pub quotas: AccountQuotas,
    /// The bearer token a Prometheus scraper sends to `/metrics` (None: no metrics served).
    pub metrics_token: Option<Secret>,
    /// The OpenID Connect provider citizens may sign in with (VNeID); None: local accounts only.
    pub identity: Option<crate::accounts::provider::ProviderSettings>,
}

/// A setting never shown (`Debug` prints `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// What one citizen account may submit in 24 hours: registration is open to anyone, so the
/// disk and the desks must not be anyone's to fill (0: no limit). Desk officers receiving at
/// the counter are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountQuotas {
    pub dossiers_per_day: i64,
    pub bytes_per_day: i64,
}

impl Default for AccountQuotas {
    fn default() -> Self {
        // Far above what a person or a family files in a day; two full submissions of files.
        Self { dossiers_per_day: 20, bytes_per_day: 100 * 1024 * 1024 }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            session_ttl: SignedDuration::from_hours(12),
            secure_cookies: false,
            body_limit: 1024 * 1024,
            calendar_rules: Default::default(),
            supplement_mode: Default::default(),
            data_dir: "./motcua-data".into(),
            blobs: None,
            public_url: None,
            key_passphrase: None,
            outbox: Default::default(),
            notify: Default::default(),
            stats: Default::default(),
            limits: Default::default(),
            connections: Default::default(),
            quotas: Default::default(),
            metrics_token: None,
            identity: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<ServerSettings>,
    pub calendar: Arc<crate::calendar::source::CalendarSource>,
    pub search: Arc<crate::catalog::search::SearchSource>,
    /// Procedures, workflows and organisations kept in memory (see `app/snapshot.rs`).
    pub reference: Arc<crate::catalog::reference::ReferenceCache>,
    pub exchange: Arc<crate::documents::exchange::Exchange>,
    /// What tells live pages that dossiers or a centre's queue changed, here or on another
    /// server sharing the database (see `app/events.rs`).
    pub events: Arc<events::Events>,
    /// Wrong passwords per username and address, to slow guessing.
    pub logins: Arc<crate::accounts::lockout::LoginGuard>,
    /// Quotas per address on anonymous lookups and writes.
    pub throttle: Arc<crate::throttle::Throttle>,
    /// Live event streams open per address.
    pub streams: Arc<crate::throttle::StreamSlots>,
    /// Places for large request bodies being read (see `edge::guard::large_bodies`).
    pub large_bodies: Arc<tokio::sync::Semaphore>,
    /// Where attachments, results and scans are kept.
    pub blobs: crate::blobs::BlobStore,
    /// The identity provider citizens may sign in with, if configured.
    pub identity: Option<Arc<crate::accounts::provider::IdentityProvider>>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, settings: ServerSettings) -> Self {
        let calendar = Arc::new(crate::calendar::source::CalendarSource::new(settings.calendar_rules.clone()));
        let exchange = Arc::new(crate::documents::exchange::Exchange::new(
            store.clone(),
            settings.key_passphrase.clone(),
            settings.outbox.clone(),
        ));
        // Servers sharing a PostgreSQL database count quotas and wrong passwords there; one
        // SQLite server counts in memory.
        let (logins, throttle) = if store.backend() == motcua_store::Backend::Postgres {
            let counts: Arc<dyn motcua_store::limits::LimitStore> = store.clone();
            (
                crate::accounts::lockout::LoginGuard::shared(settings.limits.sign_in_failures, counts.clone()),
                crate::throttle::Throttle::shared(&settings.limits, counts),
            )
        } else {
            (
                crate::accounts::lockout::LoginGuard::new(settings.limits.sign_in_failures),
                crate::throttle::Throttle::new(&settings.limits),
            )
        };
        let (logins, throttle) = (Arc::new(logins), Arc::new(throttle));
        let streams = crate::throttle::StreamSlots::new(settings.connections.streams_per_address);
        let large_bodies = Arc::new(tokio::sync::Semaphore::new(settings.connections.large_bodies.max(1)));
        let blobs = settings.blobs.clone().unwrap_or_else(|| crate::blobs::BlobStore::new(&settings.data_dir));
        // Checked by the command line before the server starts; a bad one here signs nobody in.
        let identity =
            settings.identity.clone().and_then(|p| match crate::accounts::provider::IdentityProvider::new(p) {
                Ok(p) => Some(Arc::new(p)),
                Err(e) => {
                    tracing::error!(error = %e, "identity provider not usable");
                    None
                }
            });
        Self {
            store,
            settings: Arc::new(settings),
            calendar,
            search: Default::default(),
            reference: Default::default(),
            exchange,
            events: Default::default(),
            logins,
            throttle,
            streams,
            large_bodies,
            blobs,
            identity,
        }
    }

    /// A place for one more live event stream from `client`, or 429 `too_many_streams`.
    pub fn stream_slot(&self, client: crate::throttle::ClientKey) -> Result<crate::throttle::StreamSlot, AppError> {
        self.streams.open(client).ok_or_else(|| {
            AppError::new(
                Kind::TooMany,
                ErrorCode::TooManyStreams,
                "Địa chỉ của bạn đang mở quá nhiều kết nối theo dõi trực tiếp; hãy đóng bớt trang",
            )
        })
    }

    /// The working calendar as it is now (the rules with the province's adjustments).
    pub async fn work_calendar(
        &self,
    ) -> Result<motcua_domain::calendar::WorkCalendar, crate::calendar::source::CalendarSourceError> {
        self.calendar.current(self.store.as_ref()).await
    }

    /// Reference data and the calendar as of one read of their versions.
    pub async fn snapshot(&self) -> AppResult<snapshot::Snapshot<'_>> {
        let store = self.store.as_ref();
        snapshot::Snapshot::take(store, store, &self.reference, &self.calendar).await
    }

    /// Tells live dashboards that dossiers changed (nobody listening is fine).
    pub fn dossiers_changed(&self) {
        self.events.dossiers_changed();
    }

    /// Whether messages go out by e-mail too (an SMTP server is configured).
    pub fn email_on(&self) -> bool {
        self.settings.notify.smtp_url.is_some()
    }

    /// The address citizens reach the server at, for links in messages.
    pub fn public_url(&self) -> &str {
        self.settings.public_url.as_deref().unwrap_or("")
    }
}

/// How long a connection may take or sit, and how many there may be. A reverse proxy in
/// front should keep its own per-address connection limits (see docs/deployment.md): behind it,
/// every connection comes from the proxy's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From the connection's start, or the end of the last answer on a kept-alive one, to the
    /// end of the next request's head: an idle or stalled connection is closed after it.
    pub header_timeout: Duration,
    /// For reading a request's whole body (an upload that stops is cut off after it).
    pub body_timeout: Duration,
    /// Open connections at once; more wait in the kernel's queue until one closes.
    pub max_connections: usize,
    /// Live event streams (dashboards, queue displays) per client address.
    pub streams_per_address: usize,
    /// How often idle quotas are forgotten and freed memory is given back to the system.
    pub trim_every: Duration,
    /// Large request bodies (over 1 MiB) read at once, and how long one more waits for a place.
    pub large_bodies: usize,
    pub large_body_wait: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(120),
            max_connections: 4096,
            streams_per_address: 16,
            trim_every: Duration::from_secs(60),
            large_bodies: 16,
            large_body_wait: Duration::from_secs(10),
        }
    }
}

/// The idempotency key, if one was sent: 1–200 characters, kept with the request's hash.
pub(crate) fn idempotency_key(
    sent: Option<&str>,
    account: &motcua_domain::Account,
    request_hash: &str,
) -> AppResult<Option<motcua_store::IdempotencyKey>> {
    let Some(v) = sent else { return Ok(None) };
    let k = Some(v.trim()).filter(|k| !k.is_empty() && k.len() <= 200).ok_or_else(|| {
        AppError::bad_request(ErrorCode::InvalidIdempotencyKey, "Idempotency-Key phải là chuỗi 1–200 ký tự")
    })?;
    Ok(Some(motcua_store::IdempotencyKey {
        account_id: account.id,
        key: k.to_owned(),
        request_hash: request_hash.to_owned(),
    }))
}
