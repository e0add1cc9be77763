//! What cashless payment keeps: collecting bank accounts, payment gateways (their shared
//! secrets), every authenticated callback with its outcome, and electronic receipts with
//! gap-free numbers per organisation and year.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::payment::{BankAccount, PartnerKind};
use motcua_domain::{DossierCode, OrgCode};

use crate::Result;

/// A callback as received (already authenticated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCallback {
    pub gateway: String,
    pub transaction_id: String,
    pub body_sha256: String,
    pub body: String,
    pub dossier: Option<DossierCode>,
    pub org: Option<OrgCode>,
    pub amount: i64,
    /// `paid` or `mismatch`.
    pub outcome: String,
    pub reason: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCallback {
    pub id: i64,
    pub callback: NewCallback,
    pub receipt_number: Option<String>,
}

#[derive(Debug, Clone)]
pub enum CallbackOutcome {
    Recorded(i64),
    /// This gateway's transaction id was seen before: nothing written.
    Existing(Box<StoredCallback>),
}

/// An electronic receipt (biên lai).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// `BL-<org>-<year>-<number, 6 digits>`.
    pub number: String,
    pub org: OrgCode,
    pub dossier: DossierCode,
    pub amount: i64,
    /// `transfer` or `desk`.
    pub method: String,
    pub payer: String,
    pub gateway: Option<String>,
    pub transaction_id: Option<String>,
    /// The fee lines paid, as JSON.
    pub lines: String,
    pub issued_by: String,
    pub issued_at: Timestamp,
}

/// A signed electronic result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedResult {
    /// `<dossier code>-KQ<n>`.
    pub number: String,
    pub dossier: DossierCode,
    pub seq: i64,
    pub org: OrgCode,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    /// Detached CMS signature over the file, base64 DER.
    pub signature: String,
    /// The signing certificate's subject.
    pub signer: String,
    pub issued_at: Timestamp,
}

/// A signed result or a receipt its issuing organisation withdrew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub number: String,
    /// `result` or `receipt`.
    pub kind: String,
    pub org: OrgCode,
    pub reason: String,
    /// The corrected paper that replaces it, if any.
    pub replaced_by: Option<String>,
    /// `staff:<username>`.
    pub revoked_by: String,
    pub revoked_at: Timestamp,
}

/// Builds the result once its sequence number is known.
pub type BuildResult<'a> = &'a (dyn Fn(i64) -> SignedResult + Send + Sync);

/// A result sent by public post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub dossier: DossierCode,
    pub tracking_number: String,
    pub carrier: String,
    pub recipient: String,
    pub address: String,
    pub phone: String,
    pub postage_fee: i64,
    /// `created`, `picked_up`, `in_transit`, `delivered`, `failed`, `returned`.
    pub status: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A status update of a shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentEvent {
    pub status: String,
    pub note: String,
    pub at: Timestamp,
}

/// A message to send: about a dossier's event, or (with a topic) about something else — a
/// one-time code, an appointment — kept once per topic and channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub dossier: Option<DossierCode>,
    /// 0 for messages without a dossier.
    pub event_seq: i64,
    /// `otp:<id>`, `appointment:<code>:booked:<start>`, …
    pub topic: Option<String>,
    /// `email` or `sms`.
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub note: NewNotification,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// Builds the receipt once its number is known.
pub type BuildReceipt<'a> = &'a (dyn Fn(String) -> Receipt + Send + Sync);

/// Payments: the organisations' bank accounts, signed partners, gateway callbacks and receipts.
#[async_trait]
pub trait PaymentStore: Send + Sync {
    async fn set_bank_account(&self, org: &OrgCode, account: &BankAccount) -> Result<()>;
    async fn bank_account(&self, org: &OrgCode) -> Result<Option<BankAccount>>;

    /// Registers a signing partner (a name has one kind; registering it again replaces its
    /// kind and secret).
    async fn set_partner(&self, name: &str, kind: PartnerKind, secret: &str) -> Result<()>;
    /// The secret of a partner of that kind; none for another kind's name.
    async fn partner_secret(&self, name: &str, kind: PartnerKind) -> Result<Option<String>>;

    /// Records a callback once per (gateway, transaction id).
    async fn record_callback(&self, callback: &NewCallback) -> Result<CallbackOutcome>;
    /// Issues the next receipt number of `org` for `year` and writes the receipt; with a
    /// callback id, that callback is linked to it, in the same transaction.
    async fn issue_receipt(
        &self,
        org: &OrgCode,
        year: i32,
        callback: Option<i64>,
        build: BuildReceipt<'_>,
    ) -> Result<Receipt>;
    async fn receipts_of(&self, dossier: &DossierCode) -> Result<Vec<Receipt>>;
    /// The receipts of several dossiers (a page of a list) in one read, each dossier's in
    /// issue order.
    async fn receipts_of_all(&self, dossiers: &[DossierCode]) -> Result<Vec<Receipt>>;
    async fn receipt(&self, number: &str) -> Result<Option<Receipt>>;
    /// Receipts of an organisation (or all) issued in `[from, to)`, in number order.
    async fn receipts_between(&self, org: Option<&OrgCode>, from: Timestamp, to: Timestamp) -> Result<Vec<Receipt>>;
    /// Callbacks received in `[from, to)` for an organisation's dossiers (or all), oldest first.
    async fn callbacks_between(
        &self,
        org: Option<&OrgCode>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<StoredCallback>>;
}

/// Results: the signed files a dossier returns, numbered once, and their delivery by post.
#[async_trait]
pub trait ResultStore: Send + Sync {
    /// Numbers and records a signed result; the one already recorded for the same file of
    /// the dossier is returned instead.
    async fn add_result(&self, dossier: &DossierCode, sha256: &str, build: BuildResult<'_>) -> Result<SignedResult>;
    async fn results_of(&self, dossier: &DossierCode) -> Result<Vec<SignedResult>>;
    async fn result(&self, number: &str) -> Result<Option<SignedResult>>;
    /// Records that a result or receipt was revoked; false if it already was (the first
    /// revocation stands).
    async fn revoke(&self, revocation: &Revocation) -> Result<bool>;
    async fn revocation(&self, number: &str) -> Result<Option<Revocation>>;
    /// Records a shipment with its first event; `Conflict` if the dossier has one already.
    async fn create_shipment(&self, shipment: &Shipment) -> Result<()>;
    async fn shipment(&self, dossier: &DossierCode) -> Result<Option<(Shipment, Vec<ShipmentEvent>)>>;
    async fn shipment_by_tracking(&self, tracking: &str) -> Result<Option<Shipment>>;
    /// Appends a status update (a repeat of the last one is ignored); false if no such
    /// shipment.
    async fn add_shipment_event(&self, tracking: &str, event: &ShipmentEvent) -> Result<bool>;
}

/// How long a claimed notification is kept from other senders: longer than a pass of 50
/// messages takes to send, short enough that a server's crash delays its messages by minutes.
pub const NOTIFICATION_CLAIM_SECS: i64 = 300;

/// The notification outbox: dossier events turned into messages, and their delivery.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Dossier events the notifier has not looked at yet, oldest first.
    async fn unnotified_events(&self, limit: i64) -> Result<Vec<motcua_domain::audit::Event>>;
    /// Marks events as looked at and queues what they call for, all in one transaction
    /// (a notification already queued for the same event and channel is kept).
    async fn queue_notifications(
        &self,
        events: &[(DossierCode, i64)],
        notes: &[NewNotification],
        now: Timestamp,
    ) -> Result<()>;
    /// Takes up to `limit` notifications due at `now` for this caller to send: each is
    /// claimed for [`NOTIFICATION_CLAIM_SECS`], so servers sharing the database never both
    /// get it; sending marks it sent or sets its retry, and one whose server stopped holding
    /// it is due again when the claim runs out.
    async fn due_notifications(&self, now: Timestamp, limit: i64) -> Result<Vec<Notification>>;
    async fn notification_sent(&self, id: i64, at: Timestamp) -> Result<()>;
    async fn notification_retry(&self, id: i64, error: &str, next_attempt_at: Timestamp) -> Result<()>;
    async fn notifications_of(&self, dossier: &DossierCode) -> Result<Vec<Notification>>;
}
