//! Signing citizens in through the configured identity provider (VNeID), shared by the pages.
//!
//! The request on its way to the provider is kept in the database under the hash of its
//! `state`, with its nonce and PKCE verifier, for [`REQUEST_TTL`]; the browser also carries the
//! `state` in a cookie of its own, so a code can only come back to the browser that asked for
//! it. The verified identity number (CCCD) finds the account: the subject's link, else a new
//! citizen's account linked to it. It never links by e-mail or phone. A citizen who already
//! has a local account with that number links it only by also giving its password (an offer
//! kept for [`OFFER_TTL`]); an officer's number signs nobody in (officers use their password
//! and second factor). The session remembers its assurance level and the ID token, so that
//! signing out ends the provider's session too.

use jiff::Timestamp;
use motcua_domain::identity::{Assurance, IdentityProfile};
use motcua_domain::{Account, AccountKind, NewAccount, Username};
use motcua_store::identity::{IdentityRequest, SessionOrigin, Subject};
use serde::{Deserialize, Serialize};

use super::provider::{IdentityProvider, ProviderError, Verified};
use super::{Accounts, auth};
use crate::app::{AppError, AppResult, ErrorCode, Kind};

/// How long a request to the provider waits for the browser to come back.
pub const REQUEST_TTL: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);
/// How long an offer to link a local account waits for its password.
pub const OFFER_TTL: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);
/// Where the provider sends the browser back.
pub const RETURN_PATH: &str = "/dang-nhap/vneid/ve";

/// A request to send the browser to the provider with.
pub struct Started {
    pub url: String,
    /// For the browser's own cookie.
    pub state: String,
}

/// The outcome of coming back from the provider.
pub enum IdentitySignIn {
    Open {
        account: Account,
        token: String,
        expires_at: Timestamp,
        next: String,
    },
    /// A local account holds this identity number: its password links it.
    Link {
        offer: String,
        username: Username,
        next: String,
    },
}

/// Whom a verified identity is.
pub(crate) enum Resolved {
    /// The account it signs in to.
    Ready(Account),
    /// A local account holding the same number, not linked yet.
    Unlinked(Account),
}

/// A verified identity waiting for the local account's password.
#[derive(Serialize, Deserialize)]
struct Offer {
    issuer: String,
    subject: String,
    profile: IdentityProfile,
    assurance: Assurance,
    id_token: String,
    next: String,
}

fn refused() -> AppError {
    AppError::new(
        Kind::Unauthenticated,
        ErrorCode::IdentityRefused,
        "Không xác thực được đăng nhập qua tài khoản định danh điện tử; vui lòng đăng nhập lại",
    )
}

fn not_configured() -> AppError {
    AppError::new(
        Kind::NotFound,
        ErrorCode::IdentityNotConfigured,
        "Cổng chưa kết nối với hệ thống định danh điện tử; vui lòng đăng nhập bằng tài khoản của Cổng",
    )
}

pub(crate) fn from_provider(e: ProviderError) -> AppError {
    match e {
        ProviderError::Unavailable(reason) => {
            tracing::warn!(%reason, "identity provider unavailable");
            AppError::new(
                Kind::Unavailable,
                ErrorCode::IdentityUnavailable,
                "Hệ thống định danh điện tử đang không trả lời; vui lòng thử lại sau",
            )
        }
        e => {
            tracing::info!(reason = %e, "identity sign-in refused");
            refused()
        }
    }
}

fn internal(what: &'static str) -> impl FnOnce(String) -> AppError {
    move |e| {
        tracing::error!(error = %e, what);
        AppError::internal()
    }
}

impl Accounts<'_> {
    pub(crate) fn provider(&self) -> AppResult<&IdentityProvider> {
        self.identity.ok_or_else(not_configured)
    }

    fn return_url(&self) -> String {
        format!("{}{RETURN_PATH}", self.public_url.trim_end_matches('/'))
    }

    /// The provider's name on the sign-in page, if one is configured.
    pub fn identity_provider_name(&self) -> Option<&str> {
        self.identity.map(|p| p.settings.display_name.as_str())
    }

    /// Starts a sign-in at the provider, coming back to `next` (a path of ours).
    pub async fn identity_start(&self, next: &str) -> AppResult<Started> {
        let a = self.provider()?.authorize(&self.return_url()).await.map_err(from_provider)?;
        let req = IdentityRequest { nonce: a.nonce, pkce_verifier: a.pkce_verifier, next_path: next.to_owned() };
        let now = Timestamp::now();
        self.identities.save_identity_request(&state_hash(&a.state), &req, now + REQUEST_TTL).await?;
        Ok(Started { url: a.url, state: a.state })
    }

    /// The browser is back with `code` and `state`; `cookie_state` is the state this browser
    /// was given. A wrong, used or expired state, a refused code and an ID token that fails
    /// any check are all refused the same way (the reason is logged).
    pub async fn identity_finish(&self, state: &str, cookie_state: &str, code: &str) -> AppResult<IdentitySignIn> {
        let provider = self.provider()?;
        if state.is_empty() || !auth::constant_eq(state, cookie_state) {
            tracing::info!("identity sign-in refused: state is not this browser's");
            return Err(refused());
        }
        let now = Timestamp::now();
        let Some(req) = self.identities.take_identity_request(&state_hash(state), now).await? else {
            tracing::info!("identity sign-in refused: unknown, used or expired state");
            return Err(refused());
        };
        let verified =
            provider.redeem(&self.return_url(), code, req.pkce_verifier, &req.nonce).await.map_err(from_provider)?;
        let (profile, assurance, found) = self.identity_account(&verified).await?;
        let account = match found {
            Resolved::Ready(account) => account,
            Resolved::Unlinked(a) => {
                let offer = Offer {
                    issuer: verified.issuer.clone(),
                    subject: verified.subject.clone(),
                    profile,
                    assurance,
                    id_token: verified.id_token,
                    next: req.next_path.clone(),
                };
                let (token, hash) = auth::new_session_token().map_err(|e| internal("offer")(e.to_string()))?;
                let body = serde_json::to_string(&offer).map_err(|e| internal("offer")(e.to_string()))?;
                self.identities.save_link_offer(&hash, a.id, &body, now + OFFER_TTL).await?;
                return Ok(IdentitySignIn::Link { offer: token, username: a.username, next: req.next_path });
            }
        };
        let (token, expires_at) = self.open_session_from(&account, assurance, Some(verified.id_token)).await?;
        Ok(IdentitySignIn::Open { account, token, expires_at, next: req.next_path })
    }

    /// The account a verified identity signs in to (the subject's link, else a new citizen's
    /// account linked to it), with what the provider said of the person and how surely; or the
    /// local account that holds the number without a link (its password must link it). An
    /// officer's number, and a locked account, sign nobody in.
    pub(crate) async fn identity_account(
        &self,
        verified: &Verified,
    ) -> AppResult<(IdentityProfile, Assurance, Resolved)> {
        let provider = self.provider()?;
        let now = Timestamp::now();
        let profile = IdentityProfile::from_claims(&verified.claims, &provider.settings.cccd_claim).map_err(|e| {
            tracing::info!(error = %e, "identity sign-in refused: claims");
            AppError::new(
                Kind::Forbidden,
                ErrorCode::IdentityIncomplete,
                "Tài khoản định danh điện tử không cho biết số định danh cá nhân và họ tên; không thể đăng nhập",
            )
        })?;
        let assurance = Assurance::from_acr(verified.acr.as_deref(), &provider.settings.level2_acr);
        let subject = Subject { issuer: &verified.issuer, subject: &verified.subject };
        let json = serde_json::to_string(&profile).map_err(|e| internal("profile")(e.to_string()))?;
        let account = match self.identities.identity_account(subject).await? {
            Some(id) => {
                let account = self.accounts.account(id).await?.ok_or_else(refused)?;
                self.identities.link_identity(subject, id, &json, now).await?;
                account
            }
            None => match self.identities.account_by_cccd(&profile.cccd).await? {
                Some(a) if a.kind == AccountKind::Staff => return Err(staff_refused()),
                Some(a) => return Ok((profile, assurance, Resolved::Unlinked(a))),
                None => self.create_from_identity(subject, &profile, &json, now).await?,
            },
        };
        if account.disabled {
            return Err(AppError::new(Kind::Forbidden, ErrorCode::AccountDisabled, "Tài khoản đã bị khóa"));
        }
        if account.kind == AccountKind::Staff {
            return Err(staff_refused());
        }
        Ok((profile, assurance, Resolved::Ready(account)))
    }

    /// A citizen's account made from a verified identity: a username of its own (never the
    /// identity number, which would then show in logs and links), and a random password
    /// nobody knows (they sign in through the provider, or set one with "forgot password").
    async fn create_from_identity(
        &self,
        subject: Subject<'_>,
        profile: &IdentityProfile,
        json: &str,
        now: Timestamp,
    ) -> AppResult<Account> {
        let digest = auth::token_hash(&format!("{}|{}", subject.issuer, subject.subject));
        let username = Username::parse(&format!("vneid.{}", &digest[..12]))?;
        let random = auth::hex(&auth::random_bytes::<24>().map_err(|e| internal("random")(e.to_string()))?);
        let password = motcua_domain::Password::parse(&format!("Vn-{random}"), &username)?;
        let hash = super::password_work(move || auth::hash_password(&password)).await?;
        let new = NewAccount {
            username,
            full_name: profile.full_name.clone(),
            kind: AccountKind::Citizen,
            cccd: Some(profile.cccd.clone()),
            email: None,
            phone: profile.phone.clone(),
            roles: vec![],
            password_hash: hash,
        };
        let account = self.identities.create_identity_account(&new, subject, json, now).await?;
        tracing::info!(account_id = account.id, "account created from a verified identity");
        Ok(account)
    }

    /// Links the local account an offer names once its password is given, and signs in.
    /// A wrong password counts toward the username's lockout like any sign-in.
    pub async fn identity_link(
        &self,
        client: crate::throttle::ClientKey,
        offer: &str,
        password: String,
    ) -> AppResult<IdentitySignIn> {
        let now = Timestamp::now();
        let hash = auth::token_hash(offer);
        let Some((account_id, body)) = self.identities.link_offer(&hash, now).await? else {
            return Err(refused());
        };
        let offer: Offer = serde_json::from_str(&body).map_err(|e| internal("offer")(e.to_string()))?;
        let account = self.accounts.account(account_id).await?.ok_or_else(refused)?;
        if !self.password_is(client, &account, password).await? {
            return Err(AppError::new(
                Kind::Unauthenticated,
                ErrorCode::WrongPassword,
                "Mật khẩu của tài khoản không đúng",
            ));
        }
        if !self.identities.drop_link_offer(&hash).await? {
            return Err(refused());
        }
        let subject = Subject { issuer: &offer.issuer, subject: &offer.subject };
        let json = serde_json::to_string(&offer.profile).map_err(|e| internal("profile")(e.to_string()))?;
        self.identities.link_identity(subject, account.id, &json, now).await?;
        tracing::info!(account_id = account.id, "local account linked to a verified identity");
        let (token, expires_at) = self.open_session_from(&account, offer.assurance, Some(offer.id_token)).await?;
        Ok(IdentitySignIn::Open { account, token, expires_at, next: offer.next })
    }

    async fn open_session_from(
        &self,
        account: &Account,
        assurance: Assurance,
        id_token: Option<String>,
    ) -> AppResult<(String, Timestamp)> {
        let (token, token_hash) = auth::new_session_token().map_err(|e| internal("session")(e.to_string()))?;
        let expires_at = Timestamp::now() + self.session_ttl;
        let origin = SessionOrigin { assurance: assurance.as_i32(), id_token };
        self.identities.create_session_from(&token_hash, account.id, expires_at, &origin).await?;
        tracing::info!(account_id = account.id, assurance = assurance.as_i32(), "login through identity provider");
        Ok((token, expires_at))
    }

    /// How surely the session's holder was identified.
    pub async fn assurance(&self, token_hash: &str) -> AppResult<Assurance> {
        let origin = self.identities.session_origin(token_hash).await?.unwrap_or_default();
        Ok(Assurance::from_i32(origin.assurance))
    }

    /// What the provider last said of the account's holder, to prefill declarations.
    pub async fn identity_profile(&self, account_id: i64) -> AppResult<Option<IdentityProfile>> {
        Ok(self.identities.identity_profile(account_id).await?.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Ends the session; where to send the browser to end the provider's too, if it was opened
    /// there and the provider offers it.
    pub async fn sign_out_everywhere(&self, token_hash: &str) -> AppResult<Option<String>> {
        let origin = self.identities.session_origin(token_hash).await?;
        self.sign_out(token_hash).await?;
        let (Some(provider), Some(id_token)) = (self.identity, origin.and_then(|o| o.id_token)) else {
            return Ok(None);
        };
        let home = format!("{}/", self.public_url.trim_end_matches('/'));
        Ok(provider.end_session_url(&id_token, &home).await)
    }

    /// Checks the account's password (off the async threads), counting a wrong one.
    async fn password_is(
        &self,
        client: crate::throttle::ClientKey,
        account: &Account,
        password: String,
    ) -> AppResult<bool> {
        let username = account.username.as_str();
        let now = crate::throttle::now_ms();
        if self.logins.locked(username, client, now).await?.is_some() {
            return Err(AppError::new(
                Kind::TooMany,
                ErrorCode::TooManyAttempts,
                "Nhập sai mật khẩu quá nhiều lần; vui lòng thử lại sau 15 phút",
            ));
        }
        if password.len() > 1024 {
            self.logins.failed(username, client, now).await?;
            return Ok(false);
        }
        let Some((_, stored)) = self.accounts.account_credentials(&account.username).await? else {
            return Ok(false);
        };
        let ok = super::password_work(move || Ok(auth::verify_password(&password, &stored))).await?;
        if ok {
            self.logins.succeeded(username, client).await?;
        } else {
            self.logins.failed(username, client, now).await?;
        }
        Ok(ok)
    }
}

fn state_hash(state: &str) -> String {
    auth::token_hash(&format!("identity-state:{state}"))
}

fn staff_refused() -> AppError {
    AppError::new(
        Kind::Forbidden,
        ErrorCode::IdentityRefused,
        "Số định danh này thuộc tài khoản cán bộ; cán bộ đăng nhập bằng tên đăng nhập, mật khẩu và mã xác thực",
    )
}
