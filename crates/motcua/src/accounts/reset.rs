//! Forgotten passwords, shared by the API and the pages: a one-time code goes to the phone
//! (and e-mail) of the citizen's account through the notification outbox, and typing it back
//! with a new password sets it and ends every session of the account. The first answer is the
//! same whether or not the username exists, so it tells nobody who has an account.
//!
//! Staff accounts are not reset this way: they approve and sign for the state, and their
//! unit's administrator sets a new one (the staff page, or `motcua user password`).
//! Codes are the kiosk's one-time codes (same limits per account, same erasing of spent
//! ones), kept under a hash of their own purpose, so a kiosk code never resets a password.

use jiff::Timestamp;
use motcua_domain::service::Otp;
use motcua_domain::{Account, AccountKind, Username};
use motcua_store::AccountStore;
use motcua_store::service::{CodeStore, OtpCheck};

use crate::accounts::auth;
use crate::service::{
    CodeWords, OTP_MAX_ATTEMPTS, OTP_TTL, OneTimeCode, OtpChallenge, ServiceError, code_hash, send_code,
};

/// The same answer to every well-formed request.
pub const CODE_SENT: &str = "Nếu tên đăng nhập đúng, mã đặt lại mật khẩu gồm 6 chữ số vừa được gửi tới số điện thoại (và thư điện tử) của tài khoản, có hiệu lực 5 phút. Cán bộ, công chức đặt lại mật khẩu qua quản trị viên của cơ quan.";

/// The stored challenge of a reset: not the kiosk's for the same random value.
fn challenge_hash(challenge: &str) -> String {
    auth::token_hash(&format!("reset:{challenge}"))
}

/// Sends a reset code to the citizen account `username`, if there is one, it is not locked,
/// it has a phone, and it has not had its codes for the window or the day; the answer is the
/// same in every case.
pub async fn start(
    accounts: &dyn AccountStore,
    codes: &dyn CodeStore,
    email_on: bool,
    username: &Username,
    now: Timestamp,
) -> Result<OtpChallenge, ServiceError> {
    let challenge = auth::hex(&auth::random_bytes::<24>()?);
    let expires_at = now + OTP_TTL;
    let account = accounts.account_credentials(username).await?.map(|(a, _)| a);
    let Some(account) = account.filter(|a| !a.disabled && a.kind == AccountKind::Citizen && a.phone.is_some()) else {
        tracing::info!("password reset: no code sent");
        return Ok(OtpChallenge { challenge, expires_at });
    };
    let words = |otp: &Otp| CodeWords {
        subject: "Đặt lại mật khẩu motcua",
        body: format!(
            "Mã đặt lại mật khẩu tài khoản {} trên Cổng dịch vụ công: {}\nMã có hiệu lực trong 5 phút. Nếu bạn không yêu cầu, hãy bỏ qua thư này; mật khẩu của bạn không đổi.\n",
            account.username,
            otp.as_str()
        ),
        sms: format!(
            "Ma dat lai mat khau motcua: {}. Co hieu luc 5 phut. Neu ban khong yeu cau, hay bo qua tin nay.",
            otp.as_str()
        ),
    };
    let code = OneTimeCode { challenge: &challenge, challenge_hash: challenge_hash(&challenge), expires_at };
    send_code(codes, email_on, &account, &code, words, now).await?;
    Ok(OtpChallenge { challenge, expires_at })
}

/// Checks the code of a reset of `username`'s password: the account, once, when it is right.
/// The caller sets the new password (checked against the policy before the code is spent).
pub async fn finish(
    accounts: &dyn AccountStore,
    codes: &dyn CodeStore,
    username: &Username,
    challenge: &str,
    otp: &Otp,
    now: Timestamp,
) -> Result<Account, ServiceError> {
    if challenge.len() != 48 || !challenge.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ServiceError::CodeSpent);
    }
    let checked =
        codes.check_otp(&challenge_hash(challenge), &code_hash(challenge, otp.as_str()), now, OTP_MAX_ATTEMPTS).await?;
    match checked {
        OtpCheck::Valid(id) => match accounts.account(id).await? {
            Some(a) if !a.disabled && a.kind == AccountKind::Citizen && &a.username == username => Ok(a),
            _ => Err(ServiceError::CodeSpent),
        },
        OtpCheck::Wrong(left) => Err(ServiceError::WrongCode(left)),
        OtpCheck::Spent => Err(ServiceError::CodeSpent),
    }
}
