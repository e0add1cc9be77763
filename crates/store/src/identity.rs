//! Sign-in through an OpenID Connect provider: authorization requests on their way to the
//! provider, which account each of the provider's subjects signs in to (with what the provider
//! last said of the person), offers to link a local account once its password is given, and
//! sessions that remember their assurance level and ID token.

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::{Account, Cccd, NewAccount};

use crate::Result;

/// An authorization request waiting for the browser to come back from the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRequest {
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where the person was going (a path of ours).
    pub next_path: String,
}

/// A provider's subject, as a link names it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
}

/// How a session was opened.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionOrigin {
    /// 0: a local password; 1 or 2: the provider's assurance level.
    pub assurance: i32,
    /// The provider's ID token, to name the session when signing out there too.
    pub id_token: Option<String>,
}

#[async_trait]
pub trait IdentityStore: Send + Sync {
    async fn save_identity_request(&self, state_hash: &str, req: &IdentityRequest, expires_at: Timestamp)
    -> Result<()>;
    /// Spends a waiting request: the one caller that removed it gets it, if not expired.
    async fn take_identity_request(&self, state_hash: &str, now: Timestamp) -> Result<Option<IdentityRequest>>;

    /// The account a subject is linked to.
    async fn identity_account(&self, subject: Subject<'_>) -> Result<Option<i64>>;
    /// The account (citizen or staff) holding a CCCD number.
    async fn account_by_cccd(&self, cccd: &Cccd) -> Result<Option<Account>>;
    /// Links a subject to an account (or refreshes what the provider said of the person).
    async fn link_identity(&self, subject: Subject<'_>, account_id: i64, profile: &str, now: Timestamp) -> Result<()>;
    /// Creates a citizen's account and links the subject to it, all or nothing. `Conflict` if
    /// the username or CCCD is taken.
    async fn create_identity_account(
        &self,
        account: &NewAccount,
        subject: Subject<'_>,
        profile: &str,
        now: Timestamp,
    ) -> Result<Account>;
    /// What the provider last said of the account's holder (JSON), if it was ever signed in to.
    async fn identity_profile(&self, account_id: i64) -> Result<Option<String>>;

    async fn save_link_offer(
        &self,
        offer_hash: &str,
        account_id: i64,
        identity: &str,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// An offer, if not expired at `now` (kept until [`IdentityStore::drop_link_offer`]).
    async fn link_offer(&self, offer_hash: &str, now: Timestamp) -> Result<Option<(i64, String)>>;
    /// Ends an offer: `true` for the one caller that ended it.
    async fn drop_link_offer(&self, offer_hash: &str) -> Result<bool>;

    /// A session opened through the provider (as `create_session`, with its origin).
    async fn create_session_from(
        &self,
        token_hash: &str,
        account_id: i64,
        expires_at: Timestamp,
        origin: &SessionOrigin,
    ) -> Result<()>;
    /// How a live session was opened.
    async fn session_origin(&self, token_hash: &str) -> Result<Option<SessionOrigin>>;
    /// A kiosk's sign-in with a phone: the provider's answer to the device authorization
    /// request (JSON), kept for the kiosk `centre` under the hash of the kiosk's ticket.
    async fn save_device_request(
        &self,
        ticket_hash: &str,
        centre: &str,
        response: &str,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// A waiting device request (centre, response), if not expired at `now`.
    async fn device_request(&self, ticket_hash: &str, now: Timestamp) -> Result<Option<(String, String)>>;
    /// Ends a device request: `true` for the one caller that ended it (it may open a session).
    async fn drop_device_request(&self, ticket_hash: &str) -> Result<bool>;

    /// Drops requests and offers that expired before `now`.
    async fn purge_identity_requests(&self, now: Timestamp) -> Result<u64>;
}
