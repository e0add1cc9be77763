//! Official document exchange between organisations, on this server and with partner
//! servers: sending (numbered in the outgoing register, signed), receiving (verified, then
//! registered, or quarantined with the reason), status receipts, recall/update/replace,
//! and the durable outbox that delivers packages with retry and backoff.
//!
//! Packages to this server's own organisations go through the outbox too, so every
//! delivery takes the same path: parse, verify, register once per DocumentId.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use motcua_domain::{Account, AccountKind, OrgCode, Role};
use motcua_exchange::edxml::{
    self, BusinessType, MessageHeader, Organ, PackageAttachment, PackageKind, Priority, ResponseFor, SignerInfo,
    StatusCode,
};
use motcua_exchange::pki::{self, SigningIdentity};
use motcua_exchange::{DocumentPackage, ExchangeError, StatusPackage, TrustAnchors, VerifyError};
use motcua_store::documents::{
    CertRole, Dedup, Direction, DocStatus, DocumentChange, DocumentEntry, DocumentOutcome, DocumentRecord,
    DocumentStore, DocumentWrite, NewDocument, NewOutbox, OutboxItem, OutboxPackage, Peer,
};
use motcua_store::{CatalogStore, IdempotencyKey, StoreError};
use thiserror::Error;

mod axis;
pub mod batch;
mod outbox;
pub use axis::{AXIS_TARGET, Agency, AxisSettings, parse_directory};
use outbox::{response_for, status_outbox, status_package};
mod receive;
pub use receive::SignatureCheck;

pub use crate::documents::keys::{PASSPHRASE_ENV, Passphrase};

#[derive(Debug, Error)]
pub enum ExchangeServiceError {
    #[error("máy chủ chưa có khóa bảo vệ khóa bí mật (chạy motcua pki init)")]
    NoPassphrase,
    #[error("chưa có tổ chức chứng thực của hệ thống (chạy motcua pki init)")]
    NoCa,
    #[error("cơ quan {0} chưa có chứng thư số ký văn bản (chạy motcua pki issue --org {0})")]
    NoIdentity(OrgCode),
    #[error("nơi nhận {0} không thuộc máy chủ này hay máy chủ đối tác nào")]
    UnknownRecipient(OrgCode),
    #[error("{0}")]
    Invalid(String),
    #[error("gói tin đã được đưa vào khu cách ly (mã {id}): {reason}")]
    Quarantined { id: i64, reason: String },
    #[error("không tìm thấy văn bản")]
    NotFound,
    #[error("bạn không có quyền với văn bản này")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    #[error("Idempotency-Key đã được dùng cho một văn bản khác")]
    KeyReused,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
}

type Result<T, E = ExchangeServiceError> = std::result::Result<T, E>;

/// Where a package came from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The outbox of this server.
    Local,
    /// A partner server, authenticated by its signed request.
    Peer(Peer),
    /// Imported by an officer through the API: their username and the organisations they
    /// keep the register of.
    Import { user: String, orgs: Vec<OrgCode> },
    /// Fetched from the national document axis (or the province's LGSP).
    Axis,
}

impl Source {
    fn label(&self) -> String {
        match self {
            Self::Local => "local".into(),
            Self::Peer(p) => format!("peer:{}", p.name),
            Self::Import { user, .. } => format!("import:{user}"),
            Self::Axis => "axis".into(),
        }
    }
}

/// How long a quarantined package is kept for inspection.
pub const QUARANTINE_DAYS: i64 = 30;
/// How many quarantined packages are kept at most (the newest).
pub const QUARANTINE_MAX_ROWS: i64 = 10_000;

/// The organisations a package is for, as far as it can be read: a document's recipients, or
/// for a status the organisation whose document it answers. Nothing for what cannot be parsed.
fn addressees(raw: &[u8]) -> Vec<OrgCode> {
    match edxml::package_kind(raw) {
        Ok(PackageKind::Document) => {
            DocumentPackage::parse(raw).map(|p| p.header.to.into_iter().map(|o| o.id).collect()).unwrap_or_default()
        }
        Ok(PackageKind::Status) => StatusPackage::parse(raw).map(|p| vec![p.response_for.organ_id]).unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// What a delivered package became.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Received {
    /// `document`, `business` or `status`.
    pub kind: &'static str,
    /// Register entries made.
    pub registered: Vec<RegisterEntry>,
    /// Deliveries already seen (same DocumentId, revision or status).
    pub duplicates: usize,
}

/// One entry a delivery made in an organisation's incoming register.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RegisterEntry {
    /// The document's id.
    pub id: i64,
    /// The organisation whose register holds it.
    pub org: String,
    /// Its number in that register.
    pub number: i64,
}

impl RegisterEntry {
    pub(crate) fn of(d: &DocumentRecord) -> Self {
        Self { id: d.id, org: d.org.to_string(), number: d.number }
    }
}

/// Where an organisation is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Local(String),
    Peer(Peer, String),
    /// Through the national document axis, with the agency's name.
    Axis(String),
}

impl Route {
    fn name(&self) -> &str {
        match self {
            Self::Local(n) | Self::Peer(_, n) | Self::Axis(n) => n,
        }
    }
    fn target(&self) -> &str {
        match self {
            Self::Local(_) => "local",
            Self::Peer(p, _) => &p.name,
            Self::Axis(_) => AXIS_TARGET,
        }
    }
}

/// A document to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub from: OrgCode,
    pub to: Vec<OrgCode>,
    pub notation: String,
    pub document_type: String,
    pub subject: String,
    pub content: String,
    pub signer: SignerInfo,
    pub place: String,
    pub due_date: Option<jiff::civil::Date>,
    pub priority: u8,
    pub to_places: Vec<String>,
    pub attachments: Vec<PackageAttachment>,
}

/// What a sender asks of documents already sent.
#[derive(Debug, Clone)]
pub struct BusinessRequest {
    pub kind: BusinessType,
    pub reason: String,
    /// New subject/content/attachments for an update or replacement.
    pub subject: Option<String>,
    pub content: Option<String>,
    pub attachments: Option<Vec<PackageAttachment>>,
}

/// Retry settings of the outbox: a failed delivery is tried again after `first_backoff`,
/// doubling up to `max_backoff`, with up to a quarter more at random so that a server coming
/// back is not hit by every sender at once.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// The connection to the national document axis, if configured.
    pub axis: Option<AxisSettings>,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self { first_backoff: Duration::from_secs(1), max_backoff: Duration::from_secs(60), axis: None }
    }
}

/// When a refused delivery is "retried": never, in practice. The receiver quarantined the
/// package (it will not verify there however often it is sent), so the item stays in the
/// outbox with the receiver's reason for an operator to see, instead of filling the
/// receiver's quarantine again and again.
const REFUSED: SignedDuration = SignedDuration::from_hours(24 * 365 * 100);

/// How a single delivery went.
#[derive(Debug, Clone)]
enum Delivery {
    Done,
    Retry(String),
    Refused(String),
}

/// The signed-request headers between servers.
pub const HEADER_CA: &str = "motcua-ca";
pub const HEADER_DATE: &str = "motcua-date";
pub const HEADER_SIGNATURE: &str = "motcua-signature";
/// Where partner servers deliver packages.
pub const PEER_INBOX_PATH: &str = "/api/v1/exchange/packages";
/// How far a signed request's date may be from the receiver's clock.
pub const REQUEST_CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(10);

/// The text a server signs for a request to a partner.
pub fn request_signing_text(method: &str, path: &str, date: &str, body: &[u8]) -> String {
    format!("{method}\n{path}\n{date}\n{}", motcua_domain::audit::sha256_hex(body))
}

pub struct Exchange {
    /// For holding the outbox's pass (one server at a time).
    jobs: Arc<dyn motcua_store::JobStore>,
    documents: Arc<dyn DocumentStore>,
    orgs: Arc<dyn CatalogStore>,
    /// Named values shared by the servers (the axis's agency directory).
    meta: Arc<dyn motcua_store::SettingsStore>,
    passphrase: Option<Passphrase>,
    /// Decrypted identities by certificate id. Held while a key is decrypted, so that requests
    /// arriving together wait for the one decryption (a deliberately slow key derivation)
    /// instead of each doing it.
    identities: tokio::sync::Mutex<HashMap<i64, Arc<SigningIdentity>>>,
    /// How many keys this process decrypted (each once; the tests read it).
    decrypted: std::sync::atomic::AtomicUsize,
    /// How many signed requests this process sent to partners (the tests read it).
    requests: std::sync::atomic::AtomicUsize,
    /// The roots last parsed, under the fingerprints they were parsed from: read from the
    /// database for every verification (another server may have changed them), parsed again
    /// only when they changed.
    anchors: Mutex<Option<(String, TrustAnchors)>>,
    /// Partners' CA certificates, parsed once per text (keyed by its SHA-256): every request
    /// a partner signs is checked against them.
    peer_cas: Mutex<HashMap<String, TrustAnchors>>,
    /// Woken when something was put in the outbox.
    pub wake: tokio::sync::Notify,
    settings: OutboxSettings,
    http: reqwest::Client,
}

fn vn_today() -> jiff::civil::Date {
    Timestamp::now().to_zoned(motcua_domain::calendar::vietnam()).date()
}

fn staff_roles(actor: &Account, org: &OrgCode) -> Vec<Role> {
    if actor.kind != AccountKind::Staff || actor.disabled {
        return vec![];
    }
    actor.roles.iter().filter(|r| &r.org == org).map(|r| r.role).collect()
}

/// Staff of the organisation may read its registers.
pub fn can_view(actor: &Account, org: &OrgCode) -> bool {
    !staff_roles(actor, org).is_empty()
}

/// Clerks (văn thư) and leaders send, receive and answer documents.
pub fn can_act(actor: &Account, org: &OrgCode) -> bool {
    staff_roles(actor, org).iter().any(|r| matches!(r, Role::Clerk | Role::Leader))
}

/// The header stored with a register entry.
pub fn header_of(d: &DocumentEntry) -> Result<MessageHeader> {
    serde_json::from_str(&d.header).map_err(|e| StoreError::Corrupt(format!("tiêu đề văn bản: {e}")).into())
}

fn header_json(h: &MessageHeader) -> Result<String> {
    serde_json::to_string(h).map_err(|e| ExchangeServiceError::Invalid(e.to_string()))
}

impl Exchange {
    pub fn new(store: Arc<dyn motcua_store::Store>, passphrase: Option<Passphrase>, settings: OutboxSettings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            jobs: store.clone(),
            documents: store.clone(),
            meta: store.clone(),
            orgs: store,
            passphrase,
            identities: tokio::sync::Mutex::default(),
            decrypted: std::sync::atomic::AtomicUsize::new(0),
            requests: std::sync::atomic::AtomicUsize::new(0),
            anchors: Mutex::default(),
            peer_cas: Mutex::default(),
            wake: tokio::sync::Notify::new(),
            settings,
            http,
        }
    }

    fn passphrase(&self) -> Result<&[u8]> {
        self.passphrase.as_ref().map(Passphrase::bytes).ok_or(ExchangeServiceError::NoPassphrase)
    }

    /// The active identity of a role (and organisation), its key decrypted once and kept.
    pub async fn identity(&self, role: CertRole, org: Option<&OrgCode>) -> Result<Option<Arc<SigningIdentity>>> {
        let Some(cert) = self.documents.certificates(Some(role), org).await?.into_iter().find(|c| c.active) else {
            return Ok(None);
        };
        let Some(key) = &cert.key_pem else { return Ok(None) };
        let mut identities = self.identities.lock().await;
        if let Some(id) = identities.get(&cert.id) {
            return Ok(Some(id.clone()));
        }
        let passphrase = self.passphrase()?.to_vec();
        let (pem, key) = (cert.cert_pem.clone(), key.clone());
        let identity = tokio::task::spawn_blocking(move || pki::load_identity(&pem, &key, &passphrase))
            .await
            .map_err(|e| ExchangeServiceError::Invalid(e.to_string()))??;
        let identity = Arc::new(identity);
        identities.insert(cert.id, identity.clone());
        self.decrypted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Some(identity))
    }

    /// The seal (signed QR payload) of a paper its issuer signs, when the issuer has a
    /// signing certificate; None when it has none or signing failed (logged): the paper's QR
    /// code then carries its verification address only.
    pub async fn seal(&self, claims: &motcua_exchange::seal::PaperClaims) -> Option<String> {
        let identity = match self.identity(CertRole::Org, Some(&claims.issuer)).await {
            Ok(Some(i)) => i,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(org = %claims.issuer, error = %e, "paper not sealed");
                return None;
            }
        };
        motcua_exchange::seal::seal(&identity, claims)
            .map_err(|e| tracing::warn!(org = %claims.issuer, error = %e, "paper not sealed"))
            .ok()
    }

    /// The certificates an offline checker trusts (the deployment CA's and trusted outside
    /// CAs'), in PEM: what the offline check page carries.
    pub async fn anchor_pems(&self) -> Result<Vec<String>> {
        let mut certs = self.documents.certificates(Some(CertRole::Ca), None).await?;
        certs.extend(self.documents.certificates(Some(CertRole::Trusted), None).await?);
        Ok(certs.into_iter().filter(|c| c.active).map(|c| c.cert_pem).collect())
    }

    /// How many signed requests this process has sent to partner servers (a batch is one).
    pub fn requests_sent(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many private keys this process has decrypted (each at most once).
    pub fn keys_decrypted(&self) -> usize {
        self.decrypted.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn org_identity(&self, org: &OrgCode) -> Result<Arc<SigningIdentity>> {
        self.identity(CertRole::Org, Some(org)).await?.ok_or_else(|| ExchangeServiceError::NoIdentity(org.clone()))
    }

    /// Roots accepted for signatures: the deployment CA, trusted outside CAs, partners' CAs.
    /// Only those rows are read (not every organisation's certificate and key), and their
    /// certificates are parsed again only when their fingerprints changed.
    pub async fn anchors(&self) -> Result<TrustAnchors> {
        self.anchors_with(&self.documents.peers().await?).await
    }

    /// [`Self::anchors`] with the partners already read.
    async fn anchors_with(&self, peers: &[Peer]) -> Result<TrustAnchors> {
        let mut certs = self.documents.certificates(Some(CertRole::Ca), None).await?;
        certs.extend(self.documents.certificates(Some(CertRole::Trusted), None).await?);
        certs.retain(|c| c.active);
        let key: String = certs
            .iter()
            .map(|c| motcua_domain::audit::sha256_hex(c.cert_pem.as_bytes()))
            .chain(peers.iter().map(|p| motcua_domain::audit::sha256_hex(p.ca_pem.as_bytes())))
            .collect::<Vec<_>>()
            .join(",");
        if let Some((k, a)) = self.anchors.lock().ok().as_deref().and_then(Option::as_ref)
            && *k == key
        {
            return Ok(a.clone());
        }
        let mut anchors = TrustAnchors::default();
        for c in &certs {
            anchors.push(pki::parse_certificate(c.cert_pem.as_bytes())?);
        }
        for p in peers {
            for cert in pki::parse_certificates(p.ca_pem.as_bytes())? {
                anchors.push(cert);
            }
        }
        if let Ok(mut cached) = self.anchors.lock() {
            *cached = Some((key, anchors.clone()));
        }
        Ok(anchors)
    }

    /// The roots a partner's requests are checked against: its CA certificates, parsed once
    /// for each text they come in.
    pub fn peer_roots(&self, peer: &Peer) -> Result<TrustAnchors> {
        let key = motcua_domain::audit::sha256_hex(peer.ca_pem.as_bytes());
        if let Some(roots) = self.peer_cas.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(roots);
        }
        let roots = TrustAnchors::new(pki::parse_certificates(peer.ca_pem.as_bytes())?);
        if let Ok(mut m) = self.peer_cas.lock() {
            // Partners are few; a changed CA leaves its old text behind, so start again
            // rather than grow without end.
            if m.len() >= 64 {
                m.clear();
            }
            m.insert(key, roots.clone());
        }
        Ok(roots)
    }

    /// Where an organisation is served, with its name. The partners (each with its list of
    /// organisations) are read only for an organisation this server does not serve.
    pub async fn route(&self, org: &OrgCode) -> Result<Option<Route>> {
        if let Some(o) = self.orgs.organisation(org).await? {
            return Ok(Some(Route::Local(o.name.as_str().to_owned())));
        }
        match Self::route_among(org, &self.documents.peers().await?) {
            Some(r) => Ok(Some(r)),
            None => self.route_axis(org).await,
        }
    }

    /// Where an organisation served by a partner is served, with its name.
    fn route_among(org: &OrgCode, peers: &[Peer]) -> Option<Route> {
        for p in peers {
            if let Some((_, name)) = p.orgs.iter().find(|(c, _)| c == org) {
                let name = if name.is_empty() { org.to_string() } else { name.clone() };
                return Some(Route::Peer(p.clone(), name));
            }
        }
        None
    }

    /// [`Self::route`] with what a delivery already read.
    async fn route_with(&self, org: &OrgCode, known: &receive::Known) -> Result<Option<Route>> {
        if let Some(o) = known.organisation(self, org).await? {
            return Ok(Some(Route::Local(o.name.as_str().to_owned())));
        }
        match Self::route_among(org, &known.peers) {
            Some(r) => Ok(Some(r)),
            None => self.route_axis(org).await,
        }
    }

    /// Numbers, signs and records an outgoing document, and queues it for every recipient.
    /// With a `key`, a retried send answers with the document the key numbered first (and
    /// `false`: nothing new); the same key with another request is refused.
    pub async fn send(
        &self,
        actor: &Account,
        req: Outgoing,
        key: Option<&IdempotencyKey>,
    ) -> Result<(DocumentRecord, bool)> {
        if !can_act(actor, &req.from) {
            return Err(ExchangeServiceError::Forbidden);
        }
        let Some(Route::Local(from_name)) = self.route(&req.from).await? else {
            return Err(ExchangeServiceError::Invalid(format!("cơ quan gửi {} không thuộc máy chủ này", req.from)));
        };
        let mut to = Vec::new();
        let mut targets: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for code in &req.to {
            if !seen.insert(code.clone()) {
                continue;
            }
            if code == &req.from {
                return Err(ExchangeServiceError::Invalid("không gửi văn bản cho chính cơ quan mình".into()));
            }
            let route = self.route(code).await?.ok_or_else(|| ExchangeServiceError::UnknownRecipient(code.clone()))?;
            if !targets.iter().any(|t| t == route.target()) {
                targets.push(route.target().to_owned());
            }
            to.push(Organ { id: code.clone(), name: route.name().to_owned() });
        }
        let priority = Priority::parse(req.priority)
            .ok_or_else(|| ExchangeServiceError::Invalid("độ khẩn phải từ 0 đến 3".into()))?;
        let identity = self.org_identity(&req.from).await?;
        let today = vn_today();
        let header = MessageHeader {
            from: Organ { id: req.from.clone(), name: from_name },
            to,
            code_number: 1,
            code_notation: req.notation.trim().to_owned(),
            place: req.place.trim().to_owned(),
            promulgation_date: today,
            document_type: req.document_type.trim().to_owned(),
            subject: req.subject.trim().to_owned(),
            content: req.content,
            signer: req.signer,
            due_date: req.due_date,
            to_places: req.to_places,
            priority,
            business: BusinessType::New,
            business_reason: String::new(),
            revision: 0,
        };
        header.validate().map_err(|e| ExchangeServiceError::Invalid(e.to_string()))?;
        let attachments = req.attachments;
        let now = Timestamp::now();
        let year = i32::from(today.year());
        // The DocumentId carries the register number, given inside the transaction.
        let build = |number: i64| -> std::result::Result<DocumentWrite, String> {
            let mut header = header.clone();
            header.code_number = u32::try_from(number).map_err(|e| e.to_string())?;
            let document_id = header.document_id();
            let mut pkg = DocumentPackage {
                header: header.clone(),
                traces: vec![edxml::Trace { organ_id: header.from.id.clone(), timestamp: now }],
                signature: None,
                shape: Default::default(),
                attachments: attachments.clone(),
            };
            pkg.sign(&identity).map_err(|e| e.to_string())?;
            let xml = pkg.to_xml();
            Ok(DocumentWrite {
                document: NewDocument {
                    document_id: document_id.clone(),
                    from_org: header.from.id.clone(),
                    subject: header.subject.clone(),
                    header: serde_json::to_string(&header).map_err(|e| e.to_string())?,
                    package: xml.clone(),
                    state: "sent".into(),
                    revision: 0,
                    at: now,
                },
                statuses: vec![],
                outbox: targets
                    .iter()
                    .map(|t| NewOutbox {
                        target: t.clone(),
                        kind: "document".into(),
                        reference: document_id.clone(),
                        package: OutboxPackage::OfDocument,
                    })
                    .collect(),
            })
        };
        let dedup = key.map_or(Dedup::New, Dedup::ByKey);
        let create = || self.documents.create_document(&req.from, Direction::Outgoing, year, dedup, &build);
        let outcome = match create().await {
            // The same key raced with itself: the other request numbered it; answer as a retry.
            Err(StoreError::Conflict(_)) if key.is_some() => create().await?,
            other => other?,
        };
        match outcome {
            DocumentOutcome::Created(d) => {
                self.wake.notify_one();
                Ok((d, true))
            }
            DocumentOutcome::KeyUsed { document, request_hash } => match key {
                Some(k) if k.request_hash != request_hash => Err(ExchangeServiceError::KeyReused),
                _ => Ok((document, false)),
            },
            DocumentOutcome::Existing(d) => Ok((d, false)),
        }
    }

    async fn quarantine(
        &self,
        source: &Source,
        reason: &str,
        doc_id: Option<&str>,
        from: Option<&str>,
        raw: &[u8],
    ) -> ExchangeServiceError {
        let mut for_orgs = match source {
            Source::Import { orgs, .. } => orgs.clone(),
            Source::Local | Source::Peer(_) | Source::Axis => Vec::new(),
        };
        for org in addressees(raw) {
            if self.orgs.organisation(&org).await.ok().flatten().is_some() {
                for_orgs.push(org);
            }
        }
        let label = source.label();
        let sha256 = motcua_domain::audit::sha256_hex(raw);
        let q = motcua_store::documents::NewQuarantine {
            source: &label,
            reason,
            document_id: doc_id,
            from_org: from,
            for_orgs: &for_orgs,
            package: raw,
            sha256: &sha256,
            at: Timestamp::now(),
        };
        match self.documents.quarantine(&q).await {
            Ok(id) => {
                tracing::warn!(id, source = %source.label(), reason, "package quarantined");
                ExchangeServiceError::Quarantined { id, reason: reason.to_owned() }
            }
            Err(e) => e.into(),
        }
    }

    /// Drops quarantined packages older than [`QUARANTINE_DAYS`] and all but the newest
    /// [`QUARANTINE_MAX_ROWS`] (run hourly by every server; repeating it is harmless).
    pub async fn purge_quarantine(&self) -> Result<u64> {
        let before = Timestamp::now() - SignedDuration::from_hours(24 * QUARANTINE_DAYS);
        Ok(self.documents.purge_quarantine(before, QUARANTINE_MAX_ROWS).await?)
    }
}
