//! Officers' second factor (TOTP, RFC 6238, with one-time recovery codes), shared by the API
//! and the pages.
//!
//! A right password of an officer who must use a second factor (see
//! [`motcua_domain::second_factor::required`]) or who enrolled one opens no session: it starts
//! a waiting sign-in, kept in the database under the hash of a random challenge for
//! [`CHALLENGE_TTL`]. The officer answers it with the code of their authenticator, or with a
//! recovery code; one who has no authenticator yet is given a new secret (a QR code on the
//! page) and answers with its first code, which enrols it and gives them ten recovery codes,
//! shown once. A code is accepted for the current 30-second step or the one before or after;
//! never twice, and never one older than the last accepted. A wrong code counts as a wrong
//! sign-in (the same lockout as wrong passwords) and against the challenge's tries.

use jiff::Timestamp;
use motcua_domain::second_factor::{self, SecondFactorCode};
use motcua_domain::{Account, Username};
use motcua_store::second_factor::{Enrolment, SecondFactorStore};
use sha2::{Digest, Sha256};

use super::{Accounts, auth};
use crate::app::{AppError, AppResult, ErrorCode, Kind};

/// How long a waiting sign-in lasts.
pub const CHALLENGE_TTL: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);
/// Wrong codes one waiting sign-in takes.
pub const MAX_TRIES: i64 = 5;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The issuer shown in authenticator apps.
const ISSUER: &str = "motcua";
const STEP_SECS: i64 = 30;

/// The outcome of a right password.
pub enum SignIn {
    /// Signed in: the account, the new session's token and when it expires.
    Open { account: Account, token: String, expires_at: Timestamp },
    /// A second factor is asked for.
    SecondFactor(Challenge),
}

/// A waiting sign-in, as shown to the officer.
pub struct Challenge {
    pub challenge: String,
    pub expires_at: Timestamp,
    /// Set when the officer has no authenticator yet and must enrol one.
    pub enrol: Option<NewAuthenticator>,
}

/// A secret to add to an authenticator app.
pub struct NewAuthenticator {
    /// Base32, as typed into an app by hand.
    pub secret: String,
    /// The `otpauth://` URI the QR code carries.
    pub uri: String,
}

/// A session opened after the second factor.
pub struct SignedIn {
    pub account: Account,
    pub token: String,
    pub expires_at: Timestamp,
    /// The new recovery codes, right after an enrolment (shown once, never stored as such).
    pub recovery_codes: Option<Vec<String>>,
}

fn challenge_hash(challenge: &str) -> String {
    auth::token_hash(&format!("second-factor:{challenge}"))
}

fn recovery_hash(normalised: &str) -> String {
    auth::hex(&Sha256::digest(format!("recovery:{normalised}").as_bytes()))
}

fn expired() -> AppError {
    AppError::new(
        Kind::Unauthenticated,
        ErrorCode::CodeExpired,
        "Phiên xác thực đã hết hạn hoặc đã dùng; vui lòng đăng nhập lại",
    )
}

fn wrong(left: i64) -> AppError {
    AppError::new(
        Kind::Unauthenticated,
        ErrorCode::WrongCode,
        format!(
            "Mã xác thực không đúng, đã dùng hoặc đã cũ; còn {left} lần thử. Hãy nhập mã đang hiện trên ứng dụng xác thực"
        ),
    )
}

/// The authenticator of a base32 secret.
fn totp(secret_b32: &str) -> AppResult<totp_rs::TOTP> {
    let bytes = totp_rs::Secret::Encoded(secret_b32.to_owned()).to_bytes().map_err(|_| {
        tracing::error!("stored TOTP secret is not base32");
        AppError::internal()
    })?;
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, STEP_SECS.unsigned_abs(), bytes).map_err(|e| {
        tracing::error!(error = %e, "TOTP secret");
        AppError::internal()
    })
}

/// The time step (current, previous or next) whose code `code` is, if any.
fn matching_step(secret_b32: &str, code: &str, now: Timestamp) -> AppResult<Option<i64>> {
    let t = totp(secret_b32)?;
    let step = now.as_second().div_euclid(STEP_SECS);
    for s in [step - 1, step, step + 1] {
        let at = u64::try_from(s * STEP_SECS).unwrap_or(0);
        if auth::constant_eq(&t.generate(at), code) {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// A new 160-bit secret with its `otpauth://` URI naming the account.
fn new_authenticator(username: &Username) -> AppResult<NewAuthenticator> {
    let raw = auth::random_bytes::<20>().map_err(|e| {
        tracing::error!(error = %e, "randomness");
        AppError::internal()
    })?;
    let secret = totp_rs::Secret::Raw(raw.to_vec()).to_encoded().to_string();
    Ok(NewAuthenticator { uri: otpauth_uri(username, &secret), secret })
}

/// The key URI authenticator apps read from a QR code.
fn otpauth_uri(username: &Username, secret: &str) -> String {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECS}",
        enc(ISSUER),
        enc(username.as_str()),
        enc(ISSUER)
    )
}

impl Accounts<'_> {
    /// After a right password: a session, or a waiting sign-in when the account must use a
    /// second factor or has one.
    pub(super) async fn after_password(&self, account: Account) -> AppResult<SignIn> {
        let factors: &dyn SecondFactorStore = self.factors;
        let enrolled = factors.totp_secret(account.id).await?.is_some();
        let must = enrolled || second_factor::required(&account, &factors.second_factor_policies().await?);
        if !must {
            let (token, expires_at) = self.open_session(&account).await?;
            return Ok(SignIn::Open { account, token, expires_at });
        }
        let enrol = if enrolled { None } else { Some(new_authenticator(&account.username)?) };
        let challenge = auth::hex(&auth::random_bytes::<32>().map_err(|_| AppError::internal())?);
        let now = Timestamp::now();
        let expires_at = now + CHALLENGE_TTL;
        let pending = enrol.as_ref().map(|e| e.secret.as_str());
        factors.begin_sign_in(&challenge_hash(&challenge), account.id, pending, expires_at, now).await?;
        tracing::info!(account_id = account.id, enrol = enrol.is_some(), "second factor asked");
        Ok(SignIn::SecondFactor(Challenge { challenge, expires_at, enrol }))
    }

    /// Answers a waiting sign-in with a code: the session (and, after an enrolment, the new
    /// recovery codes).
    pub async fn finish_second_factor(
        &self,
        client: crate::throttle::ClientKey,
        challenge: &str,
        code: &str,
    ) -> AppResult<SignedIn> {
        let code = SecondFactorCode::parse(code)?;
        if challenge.len() != 64 || !challenge.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(expired());
        }
        let hash = challenge_hash(challenge);
        let now = Timestamp::now();
        let pending = self.factors.pending_sign_in(&hash, now).await?.filter(|p| p.attempts < MAX_TRIES);
        let Some(pending) = pending else { return Err(expired()) };
        let account = match self.accounts.account(pending.account_id).await? {
            Some(a) if !a.disabled => a,
            _ => return Err(expired()),
        };
        let username = account.username.as_str().to_owned();
        let now_ms = crate::throttle::now_ms();
        if self.logins.locked(&username, client, now_ms).await?.is_some() {
            return Err(AppError::new(
                Kind::TooMany,
                ErrorCode::TooManyAttempts,
                "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau 15 phút",
            ));
        }
        let mut recovery_codes = None;
        let right = match (&pending.pending_secret, &code) {
            (Some(secret), SecondFactorCode::Totp(c)) => match matching_step(secret, c, now)? {
                Some(step) => {
                    let codes = (0..RECOVERY_CODES)
                        .map(|_| auth::random_bytes::<10>().map(second_factor::recovery_code))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|_| AppError::internal())?;
                    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(&c.replace('-', ""))).collect();
                    let enrolment =
                        Enrolment { account_id: account.id, secret: secret.as_str(), step, recovery_hashes: &hashes };
                    self.factors.enrol_totp(&enrolment, now).await?;
                    tracing::info!(account_id = account.id, "second factor enrolled");
                    recovery_codes = Some(codes);
                    true
                }
                None => false,
            },
            (Some(_), SecondFactorCode::Recovery(_)) => false,
            (None, SecondFactorCode::Totp(c)) => {
                let Some(stored) = self.factors.totp_secret(account.id).await? else { return Err(expired()) };
                match matching_step(&stored.secret, c, now)? {
                    Some(step) => self.factors.use_totp_step(account.id, step).await?,
                    None => false,
                }
            }
            (None, SecondFactorCode::Recovery(r)) => {
                self.factors.use_recovery_code(account.id, &recovery_hash(r), now).await?
            }
        };
        if !right {
            tracing::info!(account_id = account.id, "second factor refused");
            self.logins.failed(&username, client, now_ms).await?;
            self.factors.count_sign_in_failure(&hash).await?;
            return Err(wrong(MAX_TRIES - pending.attempts - 1));
        }
        if !self.factors.take_sign_in(&hash).await? {
            return Err(expired());
        }
        self.logins.succeeded(&username, client).await?;
        let (token, expires_at) = self.open_session(&account).await?;
        Ok(SignedIn { account, token, expires_at, recovery_codes })
    }

    /// A waiting sign-in by its challenge, as first shown (for asking again after a wrong code).
    pub async fn waiting(&self, challenge: &str) -> AppResult<Option<Challenge>> {
        if challenge.len() != 64 || !challenge.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Some(p) = self.factors.pending_sign_in(&challenge_hash(challenge), Timestamp::now()).await? else {
            return Ok(None);
        };
        if p.attempts >= MAX_TRIES {
            return Ok(None);
        }
        let enrol = match p.pending_secret {
            Some(secret) => match self.accounts.account(p.account_id).await? {
                Some(a) => Some(NewAuthenticator { uri: otpauth_uri(&a.username, &secret), secret }),
                None => return Ok(None),
            },
            None => None,
        };
        Ok(Some(Challenge { challenge: challenge.to_owned(), expires_at: p.expires_at, enrol }))
    }

    /// How many recovery codes the account has left.
    pub async fn recovery_codes_left(&self, account: &Account) -> AppResult<i64> {
        Ok(self.factors.recovery_codes_left(account.id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 test vectors (8 digits there; the last 6 here).
    #[test]
    fn codes_are_those_of_rfc_6238() {
        let secret = totp_rs::Secret::Raw(b"12345678901234567890".to_vec()).to_encoded().to_string();
        for (t, code) in
            [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")]
        {
            let now = Timestamp::from_second(t).unwrap();
            let step = t / STEP_SECS;
            assert_eq!(matching_step(&secret, code, now).unwrap(), Some(step), "at {t}");
            let later = Timestamp::from_second(t + 2 * STEP_SECS).unwrap();
            assert_eq!(matching_step(&secret, code, later).unwrap(), None, "a minute later the code is old");
        }
    }

    #[test]
    fn a_new_authenticator_names_the_account_and_holds_160_bits() {
        let a = new_authenticator(&Username::parse("halong.lanhdao").unwrap()).unwrap();
        assert_eq!(a.secret.len(), 32, "20 bytes in base32");
        assert!(a.uri.starts_with("otpauth://totp/motcua:halong%2Elanhdao?secret="), "{}", a.uri);
        assert!(a.uri.contains(&a.secret));
    }
}
