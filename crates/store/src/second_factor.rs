//! Officers' second factor: which roles of an organisation must use one, the authenticator
//! each officer enrolled (a TOTP secret and the last time step it was used for), one-time
//! recovery codes, and sign-ins waiting between the password and the second factor.

use std::collections::HashMap;

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::{OrgCode, Role};

use crate::Result;

/// An officer's enrolled authenticator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpSecret {
    /// The shared secret, base32 (RFC 4648, no padding).
    pub secret: String,
    /// The last RFC 6238 time step a code was accepted for.
    pub last_step: i64,
}

/// A sign-in whose password was right, waiting for its second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    pub account_id: i64,
    /// Set while an authenticator is being enrolled: the secret its first code must match.
    pub pending_secret: Option<String>,
    pub attempts: i64,
    pub expires_at: Timestamp,
}

/// What the first code of a new authenticator writes, all or nothing.
pub struct Enrolment<'a> {
    pub account_id: i64,
    pub secret: &'a str,
    /// The step the confirming code was for (it cannot be used again).
    pub step: i64,
    /// SHA-256 of each new recovery code (replacing any old ones).
    pub recovery_hashes: &'a [String],
}

#[async_trait]
pub trait SecondFactorStore: Send + Sync {
    /// Every organisation's policy that is not the default (see the migration).
    async fn second_factor_policies(&self) -> Result<HashMap<OrgCode, Vec<Role>>>;
    /// Sets which roles of `org` must use a second factor (empty: none).
    /// `MissingReference` for an unknown organisation.
    async fn set_second_factor_policy(&self, org: &OrgCode, roles: &[Role], now: Timestamp) -> Result<()>;

    async fn totp_secret(&self, account_id: i64) -> Result<Option<TotpSecret>>;
    /// Records that a code for `step` was accepted: `false` (nothing changed) when a code for
    /// that step or a later one already was — the same code twice, or an old one.
    async fn use_totp_step(&self, account_id: i64, step: i64) -> Result<bool>;
    /// Stores a confirmed authenticator with its recovery codes, replacing any earlier one.
    async fn enrol_totp(&self, enrolment: &Enrolment<'_>, now: Timestamp) -> Result<()>;
    /// Spends a recovery code: `false` when it is not one of the account's unused ones.
    async fn use_recovery_code(&self, account_id: i64, code_hash: &str, now: Timestamp) -> Result<bool>;
    /// Recovery codes the account has left.
    async fn recovery_codes_left(&self, account_id: i64) -> Result<i64>;
    /// Forgets the account's authenticator and recovery codes and ends its sessions (lost
    /// phone: its administrator resets it, and the officer enrols again at the next sign-in).
    /// `false` when it had none.
    async fn reset_second_factor(&self, account_id: i64) -> Result<bool>;

    async fn begin_sign_in(
        &self,
        challenge_hash: &str,
        account_id: i64,
        pending_secret: Option<&str>,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<()>;
    /// A waiting sign-in, if it is not expired at `now`.
    async fn pending_sign_in(&self, challenge_hash: &str, now: Timestamp) -> Result<Option<PendingSignIn>>;
    /// Counts a wrong code against a waiting sign-in.
    async fn count_sign_in_failure(&self, challenge_hash: &str) -> Result<()>;
    /// Ends a waiting sign-in: `true` for the one caller that ended it (it may open a session).
    async fn take_sign_in(&self, challenge_hash: &str) -> Result<bool>;
    /// Drops waiting sign-ins that expired before `now`.
    async fn purge_sign_ins(&self, now: Timestamp) -> Result<u64>;
}
