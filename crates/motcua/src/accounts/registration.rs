//! Citizens' registration in two steps, shared by the API and the pages: what was typed is
//! kept with a one-time code sent to the phone given, and the account exists only once that
//! code is typed back. The first answer is the same whether or not the username or the CCCD
//! already has an account, so registration no longer tells who is registered; an account is
//! tied to a phone its holder has shown they hold.
//!
//! A CCCD's ownership itself can only be proven by the national identity platform (VNeID);
//! until that sign-in exists, an account proves its phone.

use jiff::{SignedDuration, Timestamp};
use motcua_domain::service::Otp;
use motcua_domain::{Account, AccountKind, Cccd, Email, Name, NewAccount, Phone, Username};
use motcua_store::service::{CodeStore, PendingRegistration, RegistrationCheck};
use motcua_store::{AccountStore, StoreError};
use serde::{Deserialize, Serialize};

use crate::accounts::auth;
use crate::service::{OTP_MAX_ATTEMPTS, OTP_TOPIC, OtpChallenge, Recipient, ServiceError, code_hash, messages};

/// How long a registration waits for its code.
pub const REGISTRATION_TTL: SignedDuration = SignedDuration::from_mins(10);
/// Registration codes sent to one phone a day: anyone may register, so this bounds the
/// messages they can make one phone receive.
pub const REGISTRATIONS_PER_PHONE_PER_DAY: i64 = 5;

/// The same answer to every well-formed registration.
pub const CODE_SENT: &str = "Mã xác nhận gồm 6 chữ số vừa được gửi tới số điện thoại bạn khai (có hiệu lực 10 phút). Nhập mã để hoàn tất đăng ký. Nếu không nhận được mã, tên đăng nhập hoặc số căn cước có thể đã được dùng: hãy đăng nhập, hoặc đến Bộ phận Một cửa.";

/// What a registration keeps until its code is typed (the password already hashed).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    username: String,
    full_name: String,
    cccd: String,
    phone: String,
    email: Option<String>,
    password_hash: String,
}

impl Pending {
    fn of(a: &NewAccount) -> Option<Self> {
        Some(Self {
            username: a.username.to_string(),
            full_name: a.full_name.to_string(),
            cccd: a.cccd.as_ref()?.as_str().to_owned(),
            phone: a.phone.as_ref()?.as_str().to_owned(),
            email: a.email.as_ref().map(|e| e.as_str().to_owned()),
            password_hash: a.password_hash.clone(),
        })
    }

    fn account(&self) -> Option<NewAccount> {
        Some(NewAccount {
            username: Username::parse(&self.username).ok()?,
            full_name: Name::parse("Họ và tên", &self.full_name).ok()?,
            kind: AccountKind::Citizen,
            cccd: Some(Cccd::parse(&self.cccd).ok()?),
            email: self.email.as_deref().map(Email::parse).transpose().ok()?,
            phone: Some(Phone::parse(&self.phone).ok()?),
            roles: vec![],
            password_hash: self.password_hash.clone(),
        })
    }
}

/// Keeps a citizen's registration (every value already parsed, the password hashed) and
/// sends a code to the phone given, unless the username or the CCCD is taken or the phone has
/// had its codes for the day: then nothing is sent, and the answer is the same.
pub async fn start(
    accounts: &dyn AccountStore,
    codes: &dyn CodeStore,
    email_on: bool,
    new: &NewAccount,
    now: Timestamp,
) -> Result<OtpChallenge, ServiceError> {
    let challenge = auth::hex(&auth::random_bytes::<24>()?);
    let expires_at = now + REGISTRATION_TTL;
    let (Some(pending), Some(phone)) = (Pending::of(new), new.phone.as_ref()) else {
        return Err(ServiceError::CodeSpent);
    };
    let taken = accounts.account_credentials(&new.username).await?.is_some()
        || match &new.cccd {
            Some(c) => codes.account_id_by_cccd(c).await?.is_some(),
            None => true,
        };
    let spent = codes.registrations_to_phone_since(phone.as_str(), now - SignedDuration::from_hours(24)).await?
        >= REGISTRATIONS_PER_PHONE_PER_DAY;
    if spent {
        tracing::info!("registration code not sent: the phone has had its codes for the day");
        return Ok(OtpChallenge { challenge, expires_at });
    }
    let otp = Otp::from_random(u32::from_le_bytes(auth::random_bytes::<4>()?));
    let challenge_hash = auth::token_hash(&challenge);
    let notes = if taken {
        // Kept like any other (so the phone's count moves the same), but its code goes
        // nowhere: typing anything back fails as a wrong code does.
        tracing::info!("registration for a username or CCCD already registered: no code sent");
        Vec::new()
    } else {
        let sms = format!("Ma xac nhan dang ky motcua: {}. Co hieu luc 10 phut.", otp.as_str());
        let body = format!(
            "Mã xác nhận đăng ký tài khoản trên Cổng dịch vụ công: {}\nMã có hiệu lực trong 10 phút. Không cung cấp mã này cho bất kỳ ai.\n",
            otp.as_str()
        );
        let to = Recipient { phone: Some(phone.as_str()), email: new.email.as_ref().map(|e| e.as_str()) };
        let topic = format!("{OTP_TOPIC}reg:{}", &challenge_hash[..24]);
        messages(&topic, &to, email_on, "Mã xác nhận đăng ký motcua", &body, &sms)
    };
    let r = PendingRegistration {
        challenge_hash,
        code_hash: code_hash(&challenge, otp.as_str()),
        phone: phone.as_str().to_owned(),
        body: serde_json::to_string(&pending).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        expires_at,
    };
    codes.create_registration(&r, &notes, now).await?;
    Ok(OtpChallenge { challenge, expires_at })
}

/// Checks the typed code and creates the account: the new account when the code is right.
/// A username or CCCD taken meanwhile answers as a spent code does.
pub async fn finish(
    accounts: &dyn AccountStore,
    codes: &dyn CodeStore,
    challenge: &str,
    otp: &Otp,
    now: Timestamp,
) -> Result<Account, ServiceError> {
    if challenge.len() != 48 || !challenge.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ServiceError::CodeSpent);
    }
    let checked = codes
        .take_registration(&auth::token_hash(challenge), &code_hash(challenge, otp.as_str()), now, OTP_MAX_ATTEMPTS)
        .await?;
    let body = match checked {
        RegistrationCheck::Valid(body) => body,
        RegistrationCheck::Wrong(left) => return Err(ServiceError::WrongCode(left)),
        RegistrationCheck::Spent => return Err(ServiceError::CodeSpent),
    };
    let new = serde_json::from_str::<Pending>(&body).ok().and_then(|p| p.account()).ok_or(ServiceError::CodeSpent)?;
    match accounts.create_account(&new).await {
        Ok(a) => {
            tracing::info!(account_id = a.id, "citizen registered");
            Ok(a)
        }
        Err(StoreError::Conflict(_)) => Err(ServiceError::CodeSpent),
        Err(e) => Err(e.into()),
    }
}
