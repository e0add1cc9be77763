//! A kiosk's sign-in with the citizen's phone, through the identity provider's device
//! authorization grant (RFC 8628): the kiosk shows a QR code and a short code; the citizen
//! approves on their phone; the kiosk, asking now and then, gets a short kiosk session. The
//! waiting request lives in the database (any server behind the kiosk may be asked), kept by
//! the hash of a random ticket only the kiosk's page holds.

use jiff::Timestamp;
use motcua_domain::OrgCode;
use motcua_store::identity::SessionOrigin;

use super::identity::{Resolved, from_provider};
use super::{Accounts, auth};
use crate::app::{AppError, AppResult, ErrorCode, Kind};

/// A phone sign-in waiting at a kiosk.
pub struct PhoneSignIn {
    /// The kiosk page's own key to ask about it.
    pub ticket: String,
    /// The code the citizen types on the phone, and where.
    pub user_code: String,
    pub verification_uri: String,
    /// Where the QR code takes the phone (the code already in it), when the provider gives one.
    pub verification_uri_complete: Option<String>,
    pub expires_at: Timestamp,
}

/// How a phone sign-in stands.
pub enum PhoneOutcome {
    /// Not approved yet.
    Waiting,
    /// Approved: a kiosk session (its token and when it ends).
    Open { token: String, expires_at: Timestamp },
}

fn ticket_hash(ticket: &str) -> String {
    auth::token_hash(&format!("kiosk-phone:{ticket}"))
}

fn gone() -> AppError {
    AppError::new(
        Kind::Gone,
        ErrorCode::CodeExpired,
        "Phiên đăng nhập bằng điện thoại đã hết hạn hoặc đã dùng; vui lòng bắt đầu lại",
    )
}

impl Accounts<'_> {
    /// Starts a phone sign-in at the kiosk of `centre`.
    pub async fn phone_start(&self, centre: &OrgCode) -> AppResult<PhoneSignIn> {
        let start = self.provider()?.start_device().await.map_err(from_provider)?;
        let (ticket, _) = auth::new_session_token().map_err(|e| {
            tracing::error!(error = %e, "ticket");
            AppError::internal()
        })?;
        let lasts = jiff::SignedDuration::try_from(start.expires_in).unwrap_or(jiff::SignedDuration::from_mins(5));
        let expires_at = Timestamp::now() + lasts.min(jiff::SignedDuration::from_mins(15));
        self.identities
            .save_device_request(&ticket_hash(&ticket), centre.as_str(), &start.response, expires_at)
            .await?;
        Ok(PhoneSignIn {
            ticket,
            user_code: start.user_code,
            verification_uri: start.verification_uri,
            verification_uri_complete: start.verification_uri_complete,
            expires_at,
        })
    }

    /// Asks the provider once whether the citizen approved; once they have, the request is
    /// spent and a kiosk session opens (at the same centre only). A local account holding the
    /// number without a link is not linked at a kiosk: its holder signs in with the code sent
    /// to their phone instead.
    pub async fn phone_poll(&self, ticket: &str, centre: &OrgCode) -> AppResult<PhoneOutcome> {
        let provider = self.provider()?;
        let hash = ticket_hash(ticket);
        let now = Timestamp::now();
        let Some((at, response)) = self.identities.device_request(&hash, now).await? else { return Err(gone()) };
        if at != centre.as_str() {
            return Err(gone());
        }
        let Some(verified) = provider.poll_device(&response).await.map_err(|e| {
            // Refused or expired at the provider: nothing more to wait for.
            let e = from_provider(e);
            if e.code == ErrorCode::IdentityRefused { gone() } else { e }
        })?
        else {
            return Ok(PhoneOutcome::Waiting);
        };
        if !self.identities.drop_device_request(&hash).await? {
            return Err(gone());
        }
        let (_, assurance, found) = self.identity_account(&verified).await?;
        let account = match found {
            Resolved::Ready(a) => a,
            Resolved::Unlinked(_) => {
                return Err(AppError::new(
                    Kind::Conflict,
                    ErrorCode::IdentityRefused,
                    "Số định danh này đã có tài khoản của Cổng chưa liên kết; hãy đăng nhập bằng mã gửi về điện thoại",
                ));
            }
        };
        let (token, token_hash) = auth::new_session_token().map_err(|e| {
            tracing::error!(error = %e, "session token");
            AppError::internal()
        })?;
        let expires_at = now + crate::service::KIOSK_SESSION;
        let origin = SessionOrigin { assurance: assurance.as_i32(), id_token: None };
        self.identities.create_session_from(&token_hash, account.id, expires_at, &origin).await?;
        tracing::info!(account_id = account.id, "kiosk session through the identity provider");
        Ok(PhoneOutcome::Open { token, expires_at })
    }
}
