//! Partners that sign what they send (payment gateways and banks, postal carriers): a shared
//! secret per registered name, an HMAC-SHA256 over `{timestamp}.{body}`, a timestamp within
//! five minutes of the server's clock.

use jiff::Timestamp;
use motcua_domain::payment::PartnerKind;

use crate::app::{AppError, AppResult, ErrorCode, Kind};
use crate::payments::Payments;

/// How far a callback's timestamp may be from the server's clock.
pub const CALLBACK_SKEW_SECONDS: i64 = 300;

fn hmac_hex(secret: &[u8], data: &[u8]) -> Result<Vec<u8>, motcua_exchange::openssl::error::ErrorStack> {
    use motcua_exchange::openssl::{hash::MessageDigest, pkey::PKey, sign::Signer};
    let key = PKey::hmac(secret)?;
    let mut signer = Signer::new(MessageDigest::sha256(), &key)?;
    signer.update(data)?;
    signer.sign_to_vec()
}

/// `hex(HMAC-SHA256(secret, "{timestamp}.{body}"))`, as gateways sign callbacks.
pub fn callback_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut data = Vec::with_capacity(timestamp.len() + 1 + body.len());
    data.extend_from_slice(timestamp.as_bytes());
    data.push(b'.');
    data.extend_from_slice(body);
    hmac_hex(secret.as_bytes(), &data).map(|m| m.iter().map(|b| format!("{b:02x}")).collect()).unwrap_or_default()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 256 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

impl Payments<'_> {
    /// Checks a partner's signed request: `name` registered as a partner of `kind` (another
    /// kind's name is as unknown), `timestamp` (Unix seconds) within five minutes, `signature`
    /// the hex HMAC of `{timestamp}.{body}` with its secret.
    pub async fn authenticate_partner(
        &self,
        name: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
        kind: PartnerKind,
    ) -> AppResult<()> {
        let unauthorised =
            |m: &str| AppError::new(Kind::Unauthenticated, ErrorCode::InvalidCallbackSignature, m.to_owned());
        let Some(secret) = self.payments.partner_secret(name, kind).await? else {
            tracing::warn!(gateway = name, kind = kind.as_str(), "signed request from an unknown partner of this kind");
            return Err(unauthorised("Đối tác không được đăng ký"));
        };
        let at: i64 = timestamp.parse().map_err(|_| unauthorised("X-Timestamp phải là số giây Unix"))?;
        if (Timestamp::now().as_second() - at).abs() > CALLBACK_SKEW_SECONDS {
            return Err(unauthorised("X-Timestamp lệch quá 5 phút"));
        }
        let expected = decode_hex(&callback_signature(&secret, timestamp, body)).unwrap_or_default();
        let given = decode_hex(&signature.to_ascii_lowercase()).unwrap_or_default();
        if given.len() != expected.len() || !motcua_exchange::openssl::memcmp::eq(&given, &expected) {
            tracing::warn!(gateway = name, "signed request with a wrong signature");
            return Err(unauthorised("Chữ ký HMAC không đúng"));
        }
        Ok(())
    }
}
