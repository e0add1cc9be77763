//! Official document exchange between organisations, on this server and with partner
//! servers: sending (numbered in the outgoing register, signed), receiving (verified, then
//! registered, or quarantined with the reason), status receipts, recall/update/replace,
//! and the durable outbox that delivers packages with retry and backoff.
//!
//! Packages to this server's own organisations go through the outbox too, so every
//! delivery takes the same path: parse, verify, register once per DocumentId.

use std::collections::HashMap;
use std::path::Path;
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
    CertRole, Direction, DocStatus, DocumentChange, DocumentOutcome, DocumentRecord, DocumentWrite, NewDocument,
    NewOutbox, OutboxItem, Peer,
};
use motcua_store::{Store, StoreError};
use thiserror::Error;

/// The passphrase that encrypts private keys at rest. Never printed.
#[derive(Clone)]
pub struct Passphrase(Arc<Vec<u8>>);

impl Passphrase {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Arc::new(bytes))
    }
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

/// Environment variable that gives the key passphrase instead of the file.
pub const PASSPHRASE_ENV: &str = "MOTCUA_KEY_PASSPHRASE";

fn passphrase_file(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("keys").join("passphrase")
}

/// The passphrase from `MOTCUA_KEY_PASSPHRASE`, else `<data dir>/keys/passphrase`.
pub fn load_passphrase(data_dir: &Path) -> std::io::Result<Option<Passphrase>> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV)
        && !p.is_empty()
    {
        return Ok(Some(Passphrase::new(p.into_bytes())));
    }
    match std::fs::read_to_string(passphrase_file(data_dir)) {
        Ok(s) => Ok(Some(Passphrase::new(s.trim().as_bytes().to_vec()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The passphrase, made (32 random bytes, hex, file mode 0600) if there is none yet.
pub fn ensure_passphrase(data_dir: &Path) -> std::io::Result<Passphrase> {
    if let Some(p) = load_passphrase(data_dir)? {
        return Ok(p);
    }
    let path = passphrase_file(data_dir);
    let dir = path.parent().ok_or_else(|| std::io::Error::other("no parent"))?;
    std::fs::create_dir_all(dir)?;
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| std::io::Error::other(e.to_string()))?;
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path)?;
    std::io::Write::write_all(&mut file, hex.as_bytes())?;
    file.sync_all()?;
    Ok(Passphrase::new(hex.into_bytes()))
}

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
}

impl Source {
    fn label(&self) -> String {
        match self {
            Self::Local => "local".into(),
            Self::Peer(p) => format!("peer:{}", p.name),
            Self::Import { user, .. } => format!("import:{user}"),
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
    /// Register entries made (id, organisation, number).
    pub registered: Vec<(i64, String, i64)>,
    /// Deliveries already seen (same DocumentId, revision or status).
    pub duplicates: usize,
}

/// Where an organisation is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Local(String),
    Peer(Peer, String),
}

impl Route {
    fn name(&self) -> &str {
        match self {
            Self::Local(n) | Self::Peer(_, n) => n,
        }
    }
    fn target(&self) -> &str {
        match self {
            Self::Local(_) => "local",
            Self::Peer(p, _) => &p.name,
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
#[derive(Debug, Clone, Copy)]
pub struct OutboxSettings {
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self { first_backoff: Duration::from_secs(1), max_backoff: Duration::from_secs(60) }
    }
}

/// When a refused delivery is "retried": never, in practice. The receiver quarantined the
/// package (it will not verify there however often it is sent), so the item stays in the
/// outbox with the receiver's reason for an operator to see, instead of filling the
/// receiver's quarantine again and again.
const REFUSED: SignedDuration = SignedDuration::from_hours(24 * 365 * 100);

/// How a single delivery went.
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
    store: Arc<dyn Store>,
    passphrase: Option<Passphrase>,
    identities: Mutex<HashMap<i64, Arc<SigningIdentity>>>,
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
pub fn header_of(d: &DocumentRecord) -> Result<MessageHeader> {
    serde_json::from_str(&d.header).map_err(|e| StoreError::Corrupt(format!("tiêu đề văn bản: {e}")).into())
}

fn header_json(h: &MessageHeader) -> Result<String> {
    serde_json::to_string(h).map_err(|e| ExchangeServiceError::Invalid(e.to_string()))
}

impl Exchange {
    pub fn new(store: Arc<dyn Store>, passphrase: Option<Passphrase>, settings: OutboxSettings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self { store, passphrase, identities: Mutex::default(), wake: tokio::sync::Notify::new(), settings, http }
    }

    fn passphrase(&self) -> Result<&[u8]> {
        self.passphrase.as_ref().map(Passphrase::bytes).ok_or(ExchangeServiceError::NoPassphrase)
    }

    /// The active identity of a role (and organisation), its key decrypted once and kept.
    pub async fn identity(&self, role: CertRole, org: Option<&OrgCode>) -> Result<Option<Arc<SigningIdentity>>> {
        let Some(cert) = self.store.certificates(Some(role), org).await?.into_iter().find(|c| c.active) else {
            return Ok(None);
        };
        let Some(key) = &cert.key_pem else { return Ok(None) };
        if let Some(id) = self.identities.lock().ok().and_then(|m| m.get(&cert.id).cloned()) {
            return Ok(Some(id));
        }
        let passphrase = self.passphrase()?.to_vec();
        let (pem, key) = (cert.cert_pem.clone(), key.clone());
        let identity = tokio::task::spawn_blocking(move || pki::load_identity(&pem, &key, &passphrase))
            .await
            .map_err(|e| ExchangeServiceError::Invalid(e.to_string()))??;
        let identity = Arc::new(identity);
        if let Ok(mut m) = self.identities.lock() {
            m.insert(cert.id, identity.clone());
        }
        Ok(Some(identity))
    }

    async fn org_identity(&self, org: &OrgCode) -> Result<Arc<SigningIdentity>> {
        self.identity(CertRole::Org, Some(org)).await?.ok_or_else(|| ExchangeServiceError::NoIdentity(org.clone()))
    }

    /// Roots accepted for signatures: the deployment CA, trusted outside CAs, partners' CAs.
    pub async fn anchors(&self) -> Result<TrustAnchors> {
        let mut anchors = TrustAnchors::default();
        for c in self.store.certificates(None, None).await? {
            if c.active && matches!(c.role, CertRole::Ca | CertRole::Trusted) {
                anchors.push(pki::parse_certificate(c.cert_pem.as_bytes())?);
            }
        }
        for p in self.store.peers().await? {
            for cert in pki::parse_certificates(p.ca_pem.as_bytes())? {
                anchors.push(cert);
            }
        }
        Ok(anchors)
    }

    /// Where an organisation is served, with its name.
    pub async fn route(&self, org: &OrgCode) -> Result<Option<Route>> {
        if let Some(o) = self.store.organisation(org).await? {
            return Ok(Some(Route::Local(o.name.as_str().to_owned())));
        }
        for p in self.store.peers().await? {
            if let Some((_, name)) = p.orgs.iter().find(|(c, _)| c == org) {
                let name = if name.is_empty() { org.to_string() } else { name.clone() };
                return Ok(Some(Route::Peer(p.clone(), name)));
            }
        }
        Ok(None)
    }

    /// Numbers, signs and records an outgoing document, and queues it for every recipient.
    pub async fn send(&self, actor: &Account, req: Outgoing) -> Result<DocumentRecord> {
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
                        package: xml.clone(),
                    })
                    .collect(),
            })
        };
        let record = match self.store.create_document(&req.from, Direction::Outgoing, year, None, &build).await? {
            DocumentOutcome::Created(d) | DocumentOutcome::Existing(d) => d,
        };
        self.wake.notify_one();
        Ok(record)
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
            Source::Local | Source::Peer(_) => Vec::new(),
        };
        for org in addressees(raw) {
            if self.store.organisation(&org).await.ok().flatten().is_some() {
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
        match self.store.quarantine(&q).await {
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
        Ok(self.store.purge_quarantine(before, QUARANTINE_MAX_ROWS).await?)
    }

    /// Takes in a package of any kind: verified and registered, or quarantined.
    pub async fn receive(&self, raw: &[u8], source: &Source) -> Result<Received> {
        let kind = match edxml::package_kind(raw) {
            Ok(k) => k,
            Err(e) => return Err(self.quarantine(source, &e.to_string(), None, None, raw).await),
        };
        match kind {
            PackageKind::Document => self.receive_document(raw, source).await,
            PackageKind::Status => self.receive_status(raw, source).await,
        }
    }

    async fn check_source(&self, source: &Source, from: &OrgCode, raw: &[u8], doc_id: &str) -> Result<()> {
        if let Source::Peer(p) = source
            && !p.orgs.iter().any(|(c, _)| c == from)
        {
            let reason = format!("cơ quan gửi {from} không thuộc máy chủ đối tác {}", p.name);
            return Err(self.quarantine(source, &reason, Some(doc_id), Some(from.as_str()), raw).await);
        }
        Ok(())
    }

    async fn verified<T>(
        &self,
        source: &Source,
        check: std::result::Result<T, VerifyError>,
        doc_id: &str,
        from: &OrgCode,
        raw: &[u8],
    ) -> Result<T> {
        match check {
            Ok(v) => Ok(v),
            Err(e) => Err(self.quarantine(source, &e.to_string(), Some(doc_id), Some(from.as_str()), raw).await),
        }
    }

    async fn receive_document(&self, raw: &[u8], source: &Source) -> Result<Received> {
        let pkg = match DocumentPackage::parse(raw) {
            Ok(p) => p,
            Err(e) => return Err(self.quarantine(source, &e.to_string(), None, None, raw).await),
        };
        let doc_id = pkg.header.document_id();
        let from = pkg.header.from.id.clone();
        self.check_source(source, &from, raw, &doc_id).await?;
        let anchors = self.anchors().await?;
        self.verified(source, pkg.verify(&anchors, Timestamp::now()), &doc_id, &from, raw).await?;
        let mut local = Vec::new();
        for to in &pkg.header.to {
            if let Some(o) = self.store.organisation(&to.id).await? {
                local.push(o);
            }
        }
        if local.is_empty() {
            let reason = "không có nơi nhận nào thuộc máy chủ này";
            return Err(self.quarantine(source, reason, Some(&doc_id), Some(from.as_str()), raw).await);
        }
        if pkg.header.business != BusinessType::New {
            return self.receive_business(pkg, raw, source, &local).await;
        }
        let text = std::str::from_utf8(raw).map_err(|_| ExchangeServiceError::Invalid("UTF-8".into()))?;
        let back = self.route(&from).await?;
        let mut received = Received { kind: "document", registered: vec![], duplicates: 0 };
        let now = Timestamp::now();
        let year = i32::from(now.to_zoned(motcua_domain::calendar::vietnam()).date().year());
        for org in local {
            let identity = self.identity(CertRole::Org, Some(&org.code)).await?;
            let header = header_json(&pkg.header)?;
            let response_for = response_for(&pkg.header);
            let organ = Organ { id: org.code.clone(), name: org.name.as_str().to_owned() };
            let build = |number: i64| -> std::result::Result<DocumentWrite, String> {
                let (status, package) = status_package(
                    identity.as_deref(),
                    &response_for,
                    &organ,
                    StatusCode::Arrived,
                    &format!("Đã đến, vào sổ văn bản đến số {number}"),
                    "Hệ thống",
                    0,
                    now,
                )
                .map_err(|e| e.to_string())?;
                Ok(DocumentWrite {
                    document: NewDocument {
                        document_id: doc_id.clone(),
                        from_org: from.clone(),
                        subject: pkg.header.subject.clone(),
                        header: header.clone(),
                        package: text.to_owned(),
                        state: StatusCode::Arrived.code().into(),
                        revision: 0,
                        at: now,
                    },
                    outbox: status_outbox(back.as_ref(), &doc_id, &package),
                    statuses: vec![status],
                })
            };
            match self.store.create_document(&org.code, Direction::Incoming, year, Some(&doc_id), &build).await? {
                DocumentOutcome::Created(d) => received.registered.push((d.id, d.org.to_string(), d.number)),
                DocumentOutcome::Existing(_) => received.duplicates += 1,
            }
        }
        if !received.registered.is_empty() {
            self.wake.notify_one();
        }
        Ok(received)
    }

    async fn receive_business(
        &self,
        pkg: DocumentPackage,
        raw: &[u8],
        source: &Source,
        local: &[motcua_domain::Organisation],
    ) -> Result<Received> {
        let doc_id = pkg.header.document_id();
        let text = std::str::from_utf8(raw).map_err(|_| ExchangeServiceError::Invalid("UTF-8".into()))?;
        let mut received = Received { kind: "business", registered: vec![], duplicates: 0 };
        for org in local {
            let Some(doc) = self.store.document_by_document_id(&org.code, Direction::Incoming, &doc_id).await? else {
                let reason = format!("{} cho văn bản chưa nhận", pkg.header.business.label_vi());
                return Err(self
                    .quarantine(source, &reason, Some(&doc_id), Some(pkg.header.from.id.as_str()), raw)
                    .await);
            };
            let rev = i64::from(pkg.header.revision);
            let pending_rev = match &doc.pending {
                Some(p) => DocumentPackage::parse(p.as_bytes()).map(|p| i64::from(p.header.revision)).unwrap_or(0),
                None => 0,
            };
            if rev <= doc.revision || rev <= pending_rev {
                received.duplicates += 1;
                continue;
            }
            let change = DocumentChange {
                expected_state: doc.state.clone(),
                expected_revision: doc.revision,
                state: doc.state.clone(),
                revision: doc.revision,
                content: None,
                pending: Some(Some(text.to_owned())),
                at: Timestamp::now(),
            };
            match self.store.change_document(doc.id, &change, &[], &[]).await {
                Ok(d) => received.registered.push((d.id, d.org.to_string(), d.number)),
                Err(StoreError::Conflict(_)) => received.duplicates += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(received)
    }

    async fn receive_status(&self, raw: &[u8], source: &Source) -> Result<Received> {
        let st = match StatusPackage::parse(raw) {
            Ok(p) => p,
            Err(e) => return Err(self.quarantine(source, &e.to_string(), None, None, raw).await),
        };
        let doc_id = st.response_for.document_id.clone();
        let from = st.from.id.clone();
        self.check_source(source, &from, raw, &doc_id).await?;
        let anchors = self.anchors().await?;
        self.verified(source, st.verify(&anchors, Timestamp::now()), &doc_id, &from, raw).await?;
        let doc = self.store.document_by_document_id(&st.response_for.organ_id, Direction::Outgoing, &doc_id).await?;
        let recipient = match &doc {
            Some(d) => header_of(d)?.to.iter().any(|o| o.id == from),
            None => false,
        };
        if !recipient {
            let reason = format!("trạng thái cho văn bản {doc_id} không gửi tới {from}");
            return Err(self.quarantine(source, &reason, Some(&doc_id), Some(from.as_str()), raw).await);
        }
        let text = std::str::from_utf8(raw).map_err(|_| ExchangeServiceError::Invalid("UTF-8".into()))?;
        let row = DocStatus {
            document_id: doc_id,
            to_org: from,
            code: st.status.code().into(),
            revision: i64::from(st.revision),
            description: st.description.clone(),
            staff: st.staff.clone(),
            at: st.timestamp,
            package: text.to_owned(),
        };
        let new = self.store.record_statuses(&[row], &[]).await?;
        Ok(Received { kind: "status", registered: vec![], duplicates: usize::from(new == 0) })
    }

    /// An officer of the recipient records what became of an incoming document.
    pub async fn set_status(
        &self,
        actor: &Account,
        id: i64,
        status: StatusCode,
        description: &str,
    ) -> Result<DocumentRecord> {
        let doc = self.store.document(id).await?.ok_or(ExchangeServiceError::NotFound)?;
        if doc.direction != Direction::Incoming || !can_view(actor, &doc.org) {
            return Err(ExchangeServiceError::NotFound);
        }
        if !can_act(actor, &doc.org) {
            return Err(ExchangeServiceError::Forbidden);
        }
        let current = StatusCode::parse(&doc.state);
        let allowed = match current {
            Some(StatusCode::Arrived) => matches!(status, StatusCode::Accepted | StatusCode::Rejected),
            Some(StatusCode::Accepted | StatusCode::Assigned) => {
                matches!(status, StatusCode::Assigned | StatusCode::InProcess | StatusCode::Completed)
            }
            Some(StatusCode::InProcess) => matches!(status, StatusCode::InProcess | StatusCode::Completed),
            _ => false,
        };
        if !allowed {
            return Err(ExchangeServiceError::Conflict(format!(
                "không thể chuyển từ «{}» sang «{}»",
                current.map_or_else(|| doc.state.clone(), |c| c.label_vi().to_owned()),
                status.label_vi()
            )));
        }
        let description = description.trim();
        if matches!(status, StatusCode::Rejected | StatusCode::Assigned) && description.is_empty() {
            return Err(ExchangeServiceError::Invalid(if status == StatusCode::Rejected {
                "cần nêu lý do từ chối".into()
            } else {
                "cần nêu người hoặc bộ phận được phân công".into()
            }));
        }
        if description.chars().count() > 2000 {
            return Err(ExchangeServiceError::Invalid("nội dung ghi chú tối đa 2000 ký tự".into()));
        }
        self.answer(actor, &doc, status, description, status.code().to_owned(), doc.revision, None, None).await
    }

    /// Writes a status of `doc` (signed by its organisation), the change of state, and the
    /// outbox item that carries it back to the sender.
    #[allow(clippy::too_many_arguments)]
    async fn answer(
        &self,
        actor: &Account,
        doc: &DocumentRecord,
        status: StatusCode,
        description: &str,
        state: String,
        revision: i64,
        content: Option<(String, String, String)>,
        pending: Option<Option<String>>,
    ) -> Result<DocumentRecord> {
        let header = header_of(doc)?;
        let identity = self.org_identity(&doc.org).await?;
        let org_name = self.store.organisation(&doc.org).await?.map(|o| o.name.as_str().to_owned()).unwrap_or_default();
        let organ = Organ { id: doc.org.clone(), name: org_name };
        let (row, package) = status_package(
            Some(&identity),
            &response_for(&header),
            &organ,
            status,
            description,
            actor.full_name.as_str(),
            u32::try_from(revision).unwrap_or(0),
            Timestamp::now(),
        )?;
        let back = self.route(&doc.from_org).await?;
        let change = DocumentChange {
            expected_state: doc.state.clone(),
            expected_revision: doc.revision,
            state,
            revision,
            content,
            pending,
            at: Timestamp::now(),
        };
        let outbox = status_outbox(back.as_ref(), &doc.document_id, &package);
        let updated = self.store.change_document(doc.id, &change, &[row], &outbox).await.map_err(|e| match e {
            StoreError::Conflict(m) => ExchangeServiceError::Conflict(m),
            other => other.into(),
        })?;
        if !outbox.is_empty() {
            self.wake.notify_one();
        }
        Ok(updated)
    }

    /// The sender recalls, updates or replaces a document it sent.
    pub async fn business(&self, actor: &Account, id: i64, req: BusinessRequest) -> Result<DocumentRecord> {
        let doc = self.store.document(id).await?.ok_or(ExchangeServiceError::NotFound)?;
        if doc.direction != Direction::Outgoing || !can_view(actor, &doc.org) {
            return Err(ExchangeServiceError::NotFound);
        }
        if !can_act(actor, &doc.org) {
            return Err(ExchangeServiceError::Forbidden);
        }
        if doc.state == "recalled" {
            return Err(ExchangeServiceError::Conflict("văn bản đã bị thu hồi".into()));
        }
        let reason = req.reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(ExchangeServiceError::Invalid("cần nêu lý do (tối đa 1000 ký tự)".into()));
        }
        let old = DocumentPackage::parse(doc.package.as_bytes())?;
        let mut header = old.header.clone();
        header.business = req.kind;
        header.business_reason = reason.to_owned();
        header.revision = u32::try_from(doc.revision + 1).unwrap_or(u32::MAX);
        let mut attachments = old.attachments.clone();
        match req.kind {
            BusinessType::New => {
                return Err(ExchangeServiceError::Invalid("chọn thu hồi, cập nhật hoặc thay thế".into()));
            }
            BusinessType::Recall => {}
            BusinessType::Update | BusinessType::Replace => {
                if let Some(s) = req.subject {
                    header.subject = s.trim().to_owned();
                }
                if let Some(c) = req.content {
                    header.content = c;
                }
                if let Some(a) = req.attachments {
                    attachments = a;
                }
            }
        }
        header.validate().map_err(|e| ExchangeServiceError::Invalid(e.to_string()))?;
        let identity = self.org_identity(&doc.org).await?;
        let mut pkg = DocumentPackage {
            header: header.clone(),
            traces: vec![edxml::Trace { organ_id: doc.org.clone(), timestamp: Timestamp::now() }],
            signature: None,
            attachments,
        };
        pkg.sign(&identity)?;
        let xml = pkg.to_xml();
        let mut targets: Vec<String> = Vec::new();
        for to in &header.to {
            if let Some(r) = self.route(&to.id).await?
                && !targets.iter().any(|t| t == r.target())
            {
                targets.push(r.target().to_owned());
            }
        }
        let outbox: Vec<NewOutbox> = targets
            .into_iter()
            .map(|t| NewOutbox {
                target: t,
                kind: "document".into(),
                reference: doc.document_id.clone(),
                package: xml.clone(),
            })
            .collect();
        let (state, content) = match req.kind {
            BusinessType::Recall => ("recalled".to_owned(), None),
            _ => ("sent".to_owned(), Some((header.subject.clone(), header_json(&header)?, xml.clone()))),
        };
        let change = DocumentChange {
            expected_state: doc.state.clone(),
            expected_revision: doc.revision,
            state,
            revision: doc.revision + 1,
            content,
            pending: None,
            at: Timestamp::now(),
        };
        let updated = self.store.change_document(doc.id, &change, &[], &outbox).await.map_err(|e| match e {
            StoreError::Conflict(m) => ExchangeServiceError::Conflict(m),
            other => other.into(),
        })?;
        self.wake.notify_one();
        Ok(updated)
    }

    /// The recipient accepts (15) or refuses (16) a pending recall, update or replacement.
    pub async fn decide(&self, actor: &Account, id: i64, accept: bool, note: &str) -> Result<DocumentRecord> {
        let doc = self.store.document(id).await?.ok_or(ExchangeServiceError::NotFound)?;
        if doc.direction != Direction::Incoming || !can_view(actor, &doc.org) {
            return Err(ExchangeServiceError::NotFound);
        }
        if !can_act(actor, &doc.org) {
            return Err(ExchangeServiceError::Forbidden);
        }
        let Some(pending) = &doc.pending else {
            return Err(ExchangeServiceError::Conflict("không có yêu cầu thu hồi/cập nhật nào đang chờ".into()));
        };
        let pkg = DocumentPackage::parse(pending.as_bytes())?;
        let rev = i64::from(pkg.header.revision);
        let note = note.trim();
        if !accept && note.is_empty() {
            return Err(ExchangeServiceError::Invalid("cần nêu lý do từ chối".into()));
        }
        let (status, state, content) = match (accept, pkg.header.business) {
            (false, _) => (StatusCode::BusinessRefused, doc.state.clone(), None),
            (true, BusinessType::Recall) => {
                (StatusCode::BusinessAccepted, StatusCode::Recalled.code().to_owned(), None)
            }
            (true, _) => (
                StatusCode::BusinessAccepted,
                doc.state.clone(),
                Some((pkg.header.subject.clone(), header_json(&pkg.header)?, pending.clone())),
            ),
        };
        let description = if note.is_empty() { pkg.header.business.label_vi().to_owned() } else { note.to_owned() };
        self.answer(actor, &doc, status, &description, state, rev, content, Some(None)).await
    }

    /// One pass over the due outbox items; how many were handled.
    pub async fn deliver_due(&self) -> Result<usize> {
        let items = self.store.due_outbox(Timestamp::now(), 64).await?;
        if items.is_empty() {
            return Ok(0);
        }
        // Items of one document go in order (a recall after its document); documents in
        // parallel.
        let mut groups: Vec<Vec<OutboxItem>> = Vec::new();
        for item in items {
            match groups.iter_mut().find(|g| g[0].reference == item.reference) {
                Some(g) => g.push(item),
                None => groups.push(vec![item]),
            }
        }
        let n: usize = groups.iter().map(Vec::len).sum();
        let peers = self.store.peers().await?;
        let tasks = groups.into_iter().map(|group| {
            let peers = &peers;
            async move {
                for item in group {
                    let outcome = self.deliver(&item, peers).await;
                    let now = Timestamp::now();
                    let result = match outcome {
                        Delivery::Done => self.store.outbox_delivered(item.id, now).await,
                        Delivery::Retry(e) => {
                            tracing::info!(id = item.id, target = %item.target, attempts = item.attempts + 1, error = %e, "delivery will be retried");
                            self.store.outbox_retry(item.id, &e, now + self.backoff(item.attempts)).await
                        }
                        Delivery::Refused(e) => {
                            tracing::warn!(id = item.id, target = %item.target, error = %e, "delivery refused");
                            self.store.outbox_retry(item.id, &format!("bị từ chối: {e}"), now + REFUSED).await
                        }
                    };
                    if let Err(e) = result {
                        tracing::error!(error = %e, "outbox bookkeeping");
                    }
                }
            }
        });
        futures_join_all(tasks).await;
        Ok(n)
    }

    fn backoff(&self, attempts: i64) -> SignedDuration {
        let mut jitter = [0u8; 2];
        let _ = getrandom::fill(&mut jitter);
        backoff(&self.settings, attempts, u16::from_le_bytes(jitter))
    }

    async fn deliver(&self, item: &OutboxItem, peers: &[Peer]) -> Delivery {
        if item.target == "local" {
            return match self.receive(item.package.as_bytes(), &Source::Local).await {
                Ok(_) => Delivery::Done,
                Err(ExchangeServiceError::Quarantined { reason, .. }) => Delivery::Refused(reason),
                Err(e) => Delivery::Retry(e.to_string()),
            };
        }
        let Some(peer) = peers.iter().find(|p| p.name == item.target) else {
            return Delivery::Retry(format!("chưa cấu hình máy chủ đối tác {}", item.target));
        };
        match self.post_to_peer(peer, item.package.as_bytes()).await {
            Ok(()) => Delivery::Done,
            Err(e) => e,
        }
    }

    async fn post_to_peer(&self, peer: &Peer, body: &[u8]) -> std::result::Result<(), Delivery> {
        let server = match self.identity(CertRole::Server, None).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(Delivery::Retry("máy chủ chưa có chứng thư ký yêu cầu (motcua pki init)".into())),
            Err(e) => return Err(Delivery::Retry(e.to_string())),
        };
        let ca = match self.store.certificates(Some(CertRole::Ca), None).await {
            Ok(list) => match list.into_iter().find(|c| c.active) {
                Some(c) => c.fingerprint,
                None => return Err(Delivery::Retry(ExchangeServiceError::NoCa.to_string())),
            },
            Err(e) => return Err(Delivery::Retry(e.to_string())),
        };
        let date = Timestamp::now().to_string();
        let text = request_signing_text("POST", PEER_INBOX_PATH, &date, body);
        let signature = match motcua_exchange::sign::sign_detached(&server, text.as_bytes()) {
            Ok(s) => s,
            Err(e) => return Err(Delivery::Retry(e.to_string())),
        };
        use base64::Engine as _;
        let url = format!("{}{PEER_INBOX_PATH}", peer.base_url.trim_end_matches('/'));
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/xml; charset=utf-8")
            .header(HEADER_CA, ca)
            .header(HEADER_DATE, date)
            .header(HEADER_SIGNATURE, base64::engine::general_purpose::STANDARD.encode(signature))
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| Delivery::Retry(format!("không kết nối được {}: {e}", peer.name)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        let text: String = text.chars().take(500).collect();
        if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY {
            Err(Delivery::Refused(format!("{status}: {text}")))
        } else {
            Err(Delivery::Retry(format!("{status}: {text}")))
        }
    }

    /// Delivers the outbox until the process ends: as soon as something is queued, and
    /// when a retry falls due.
    pub async fn run_outbox(self: Arc<Self>) {
        loop {
            match self.deliver_due().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox"),
            }
            let wait = match self.store.next_outbox_due().await {
                Ok(Some(t)) => {
                    let d = t.duration_since(Timestamp::now());
                    Duration::try_from(d).unwrap_or(Duration::ZERO).min(Duration::from_secs(5))
                }
                _ => Duration::from_secs(5),
            };
            if wait.is_zero() {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            tokio::select! {
                () = self.wake.notified() => {},
                () = tokio::time::sleep(wait) => {},
            }
        }
    }
}

async fn futures_join_all<F: std::future::Future<Output = ()>>(tasks: impl IntoIterator<Item = F>) {
    let mut set: Vec<std::pin::Pin<Box<F>>> = tasks.into_iter().map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        set.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if set.is_empty() { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
}

/// The wait before attempt `attempts + 1`: doubling from the first, capped, plus
/// `jitter / 65535` of a quarter of it.
fn backoff(settings: &OutboxSettings, attempts: i64, jitter: u16) -> SignedDuration {
    let base = u64::try_from(settings.first_backoff.as_millis()).unwrap_or(u64::MAX);
    let cap = u64::try_from(settings.max_backoff.as_millis()).unwrap_or(u64::MAX);
    let capped = base.saturating_mul(1u64 << attempts.clamp(0, 20)).min(cap);
    let extra = capped / 4 * u64::from(jitter) / u64::from(u16::MAX);
    SignedDuration::from_millis(i64::try_from(capped + extra).unwrap_or(i64::MAX))
}

fn response_for(h: &MessageHeader) -> ResponseFor {
    ResponseFor {
        organ_id: h.from.id.clone(),
        code: h.code(),
        promulgation_date: h.promulgation_date,
        document_id: h.document_id(),
    }
}

/// A status package (signed when the organisation has an identity) and its row.
#[allow(clippy::too_many_arguments)]
fn status_package(
    identity: Option<&SigningIdentity>,
    response_for: &ResponseFor,
    from: &Organ,
    status: StatusCode,
    description: &str,
    staff: &str,
    revision: u32,
    at: Timestamp,
) -> Result<(DocStatus, String), ExchangeError> {
    let mut pkg = StatusPackage {
        response_for: response_for.clone(),
        from: from.clone(),
        status,
        description: description.to_owned(),
        department: from.name.clone(),
        staff: staff.to_owned(),
        timestamp: at,
        revision,
        signature: None,
    };
    match identity {
        Some(id) => pkg.sign(id)?,
        None => tracing::warn!(org = %from.id, "status sent unsigned: the organisation has no certificate"),
    }
    let xml = pkg.to_xml();
    let row = DocStatus {
        document_id: response_for.document_id.clone(),
        to_org: from.id.clone(),
        code: status.code().into(),
        revision: i64::from(revision),
        description: description.to_owned(),
        staff: staff.to_owned(),
        at,
        package: xml.clone(),
    };
    Ok((row, xml))
}

/// The outbox item that carries a status to a sender on a partner server (a sender on this
/// server reads the row itself).
fn status_outbox(back: Option<&Route>, document_id: &str, package: &str) -> Vec<NewOutbox> {
    match back {
        Some(Route::Peer(p, _)) => vec![NewOutbox {
            target: p.name.clone(),
            kind: "status".into(),
            reference: document_id.to_owned(),
            package: package.to_owned(),
        }],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_with_bounded_jitter() {
        let s = OutboxSettings::default();
        let secs = |attempts, jitter| backoff(&s, attempts, jitter).as_secs_f64();
        assert_eq!([0, 1, 2, 3, 4, 5].map(|a| secs(a, 0)), [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]);
        assert_eq!(secs(6, 0), 60.0, "capped at a minute");
        assert_eq!(secs(1_000, 0), 60.0, "however many attempts");
        assert_eq!(secs(-3, 0), 1.0);
        assert_eq!(secs(6, u16::MAX), 75.0, "jitter adds at most a quarter");
        // A receiver down for ten minutes is tried again within 75 s of coming back.
        let mut t = 0.0;
        let mut attempt = 0;
        while t < 600.0 {
            t += secs(attempt, u16::MAX);
            attempt += 1;
        }
        assert!(attempt < 20, "{attempt} attempts in ten minutes");
    }
}
