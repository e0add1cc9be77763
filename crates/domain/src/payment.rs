//! Fees of a dossier and how they are paid without cash: the fee quote computed at
//! submission (fixed or per copy, with exemptions for listed applicant groups), VietQR
//! payloads (NAPAS 24/7 bank transfer, EMVCo TLV with CRC-16/CCITT-FALSE) and bank
//! accounts of collecting units.

use serde::{Deserialize, Serialize};

use crate::catalog::{FeeKind, Procedure};
use crate::error::DomainError;
use crate::money::Vnd;

pub use crate::catalog::ExemptGroup;

/// One line of a fee quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeeLine {
    pub kind: FeeKind,
    pub description: String,
    #[schema(value_type = i64)]
    pub unit_amount: Vnd,
    pub quantity: u16,
    /// What is due: unit × quantity, or 0 when exempt.
    #[schema(value_type = i64)]
    pub amount: Vnd,
    /// The group that exempts the applicant from this line.
    pub exempt: Option<ExemptGroup>,
    /// The unit amount is the catalog's lower rate for online submission.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub online_rate: bool,
}

/// What an applicant owes for a dossier, fixed at submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeeQuote {
    pub lines: Vec<FeeLine>,
    #[schema(value_type = i64)]
    pub total: Vnd,
    /// Copies asked for (per-copy fees multiply by it).
    pub copies: u16,
    /// Groups the applicant declared; the desk checks the papers that prove them.
    pub groups: Vec<ExemptGroup>,
}

/// Most copies one dossier may ask for.
pub const MAX_COPIES: u16 = 50;

/// Which of a fee's rates applies: the ordinary one, or the catalog's online rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// Handed in at a desk or by post.
    Paper,
    /// Submitted online (the portal, the kiosk, the API as a citizen).
    Online,
}

/// The fees of `procedure` for `copies` copies and an applicant in `groups`, at `rate`
/// (online submissions pay a fee's online rate where the catalog sets one).
pub fn quote(procedure: &Procedure, copies: u16, groups: &[ExemptGroup], rate: Rate) -> Result<FeeQuote, DomainError> {
    if copies == 0 || copies > MAX_COPIES {
        return Err(DomainError::Invalid(format!("số bản yêu cầu phải từ 1 đến {MAX_COPIES}")));
    }
    let mut lines = Vec::new();
    let mut total = Vnd::ZERO;
    for f in &procedure.fees {
        let quantity = if f.per_copy { copies } else { 1 };
        let exempt = f.exempt.iter().copied().find(|g| groups.contains(g));
        let online_rate = rate == Rate::Online && f.online_amount.is_some();
        let unit_amount = match f.online_amount {
            Some(online) if online_rate => online,
            _ => f.amount,
        };
        let gross = unit_amount
            .amount()
            .checked_mul(i64::from(quantity))
            .ok_or_else(|| DomainError::Invalid("số tiền quá lớn".into()))?;
        let amount = if exempt.is_some() { Vnd::ZERO } else { Vnd::new(gross)? };
        total = total.checked_add(amount).ok_or_else(|| DomainError::Invalid("số tiền quá lớn".into()))?;
        lines.push(FeeLine {
            kind: f.kind,
            description: f.description.as_str().to_owned(),
            unit_amount,
            quantity,
            amount,
            exempt,
            online_rate,
        });
    }
    let mut groups = groups.to_vec();
    groups.sort_by_key(|g| g.as_str());
    groups.dedup();
    Ok(FeeQuote { lines, total, copies, groups })
}

/// A bank account that collects fees: the bank's BIN (6 digits, NAPAS) and the account
/// number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BankAccount {
    pub bin: String,
    pub account: String,
    /// Account holder, as the bank shows it.
    pub name: String,
}

impl BankAccount {
    pub fn parse(bin: &str, account: &str, name: &str) -> Result<Self, DomainError> {
        let (bin, account, name) = (bin.trim(), account.trim(), name.trim());
        if bin.len() != 6 || !bin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::Invalid(format!("mã BIN ngân hàng phải gồm 6 chữ số: {bin}")));
        }
        if account.is_empty() || account.len() > 19 || !account.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(DomainError::Invalid(format!("số tài khoản không hợp lệ: {account}")));
        }
        if name.is_empty() || name.chars().count() > 100 {
            return Err(DomainError::Invalid("tên chủ tài khoản là bắt buộc (tối đa 100 ký tự)".into()));
        }
        Ok(Self { bin: bin.to_owned(), account: account.to_owned(), name: name.to_owned() })
    }
}

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR).
pub fn crc16_ccitt_false(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

fn tlv(out: &mut String, tag: &str, value: &str) -> Result<(), DomainError> {
    let len = value.len();
    if len > 99 {
        return Err(DomainError::Invalid(format!("trường {tag} của mã VietQR quá dài ({len} byte)")));
    }
    out.push_str(tag);
    out.push_str(&format!("{len:02}"));
    out.push_str(value);
    Ok(())
}

/// The purpose text of a transfer: without diacritics (đ → d), only ASCII letters, digits,
/// spaces, `.` and `-` (what banks keep), single spaces, at most 50 characters.
pub fn purpose_text(raw: &str) -> String {
    use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
    let mut plain = String::with_capacity(raw.len());
    for c in raw.nfd() {
        match c {
            c if is_combining_mark(c) => {}
            'đ' => plain.push('d'),
            'Đ' => plain.push('D'),
            c if c.is_ascii_alphanumeric() || c == '.' || c == '-' => plain.push(c),
            _ => plain.push(' '),
        }
    }
    plain.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(50).collect()
}

/// The first word of a bank transfer's description that is a dossier code.
pub fn find_dossier_code(description: &str) -> Option<crate::DossierCode> {
    description
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == ':')
        .find_map(|w| crate::DossierCode::parse(w.trim_matches(|c: char| !c.is_ascii_alphanumeric())).ok())
}

/// A dynamic VietQR payload: transfer `amount` to `to` with `purpose`.
pub fn vietqr(to: &BankAccount, amount: Vnd, purpose: &str) -> Result<String, DomainError> {
    if amount.amount() <= 0 {
        return Err(DomainError::Invalid("số tiền chuyển phải lớn hơn 0".into()));
    }
    let mut beneficiary = String::new();
    tlv(&mut beneficiary, "00", &to.bin)?;
    tlv(&mut beneficiary, "01", &to.account)?;
    let mut merchant = String::new();
    tlv(&mut merchant, "00", "A000000727")?;
    tlv(&mut merchant, "01", &beneficiary)?;
    tlv(&mut merchant, "02", "QRIBFTTA")?;
    let mut additional = String::new();
    tlv(&mut additional, "08", purpose)?;
    let mut s = String::new();
    tlv(&mut s, "00", "01")?;
    tlv(&mut s, "01", "12")?;
    tlv(&mut s, "38", &merchant)?;
    tlv(&mut s, "53", "704")?;
    tlv(&mut s, "54", &amount.amount().to_string())?;
    tlv(&mut s, "58", "VN")?;
    tlv(&mut s, "62", &additional)?;
    s.push_str("6304");
    let crc = crc16_ccitt_false(s.as_bytes());
    s.push_str(&format!("{crc:04X}"));
    Ok(s)
}

/// The top-level fields of a payload whose CRC is right, as (tag, value).
pub fn parse_emv(payload: &str) -> Result<Vec<(String, String)>, DomainError> {
    let bad = |m: &str| DomainError::Invalid(format!("mã QR không hợp lệ: {m}"));
    if payload.len() < 8 || !payload.is_ascii() {
        return Err(bad("quá ngắn hoặc không phải ASCII"));
    }
    let (body, crc) = payload.split_at(payload.len() - 4);
    if !body.ends_with("6304") {
        return Err(bad("thiếu trường CRC 63"));
    }
    let expected = format!("{:04X}", crc16_ccitt_false(body.as_bytes()));
    if !crc.eq_ignore_ascii_case(&expected) {
        return Err(bad("sai mã kiểm tra CRC"));
    }
    let mut fields = Vec::new();
    let mut rest = &body[..body.len() - 4];
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err(bad("trường cụt"));
        }
        let tag = &rest[..2];
        let len: usize = rest[2..4].parse().map_err(|_| bad("độ dài không phải số"))?;
        if rest.len() < 4 + len {
            return Err(bad("độ dài vượt quá mã"));
        }
        fields.push((tag.to_owned(), rest[4..4 + len].to_owned()));
        rest = &rest[4 + len..];
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Rate::{Online, Paper};

    #[test]
    fn the_published_example_byte_for_byte() {
        let to = BankAccount::parse("970415", "0011001932418", "QUY UNG HO").unwrap();
        let p = vietqr(&to, Vnd::new(120_000).unwrap(), "ung ho lu lut").unwrap();
        assert_eq!(
            p,
            "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C"
        );
        let fields = parse_emv(&p).unwrap();
        assert_eq!(fields[1], ("01".into(), "12".into()), "dynamic");
        assert_eq!(fields.iter().find(|f| f.0 == "54").unwrap().1, "120000");
        // One changed character and the CRC no longer matches.
        let broken = p.replacen("120000", "920000", 1);
        assert!(parse_emv(&broken).is_err());
    }

    #[test]
    fn crc_matches_the_standard_check_value() {
        // CRC-16/CCITT-FALSE of "123456789" is 0x29B1.
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    }

    #[test]
    fn purposes_are_plain_ascii_and_codes_are_found_again() {
        assert_eq!(purpose_text("Nộp phí hồ sơ 000.00.37.H22-251103-0001"), "Nop phi ho so 000.00.37.H22-251103-0001");
        assert_eq!(purpose_text("  Đăng   ký, (lệ phí) "), "Dang ky le phi");
        let code = find_dossier_code("MBVCB.123 Nop phi ho so 000.00.37.H22-251103-0001. CT tu 0011").unwrap();
        assert_eq!(code.as_str(), "000.00.37.H22-251103-0001");
        assert!(find_dossier_code("chuyen tien an trua").is_none());
        // A bank that strips the punctuation leaves no code to find: reconciliation by hand.
        assert!(find_dossier_code("Nop phi 00000037H222511030001").is_none());
    }

    fn procedure_with(fees: &str) -> Procedure {
        let json = format!(
            r#"{{"code": "1.000001", "name": "Thủ tục", "field": "Hộ tịch", "level": "commune", "agency": "UBND",
            "organisations": [], "online": "full", "time_limit": {{"kind": "working_days", "value": 3}}, "fees": {fees},
            "components": [{{"name": "Tờ khai", "required": true, "form": "original"}}], "applicants": ["Công dân"],
            "legal_basis": ["Luật"], "result": "Kết quả", "description": "Mô tả"}}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn quotes_multiply_per_copy_and_exempt_listed_groups() {
        let p = procedure_with(
            r#"[{"kind": "charge", "description": "Lệ phí", "amount": 15000, "exempt": ["poor_household", "disabled"]},
                {"kind": "fee", "description": "Phí bản sao", "amount": 8000, "per_copy": true}]"#,
        );
        let q = quote(&p, 3, &[], Paper).unwrap();
        assert_eq!(q.total.amount(), 15_000 + 3 * 8_000);
        assert_eq!((q.lines[1].quantity, q.lines[1].amount.amount()), (3, 24_000));
        let q = quote(&p, 2, &[ExemptGroup::Disabled, ExemptGroup::Child], Online).unwrap();
        assert_eq!(q.total.amount(), 16_000, "the charge is waived, the per-copy fee is not");
        assert_eq!(q.lines[0].exempt, Some(ExemptGroup::Disabled));
        assert_eq!(q.groups, vec![ExemptGroup::Child, ExemptGroup::Disabled]);
        assert!(quote(&p, 0, &[], Paper).is_err());
        assert!(quote(&p, MAX_COPIES + 1, &[], Paper).is_err());
        assert_eq!(quote(&procedure_with("[]"), 1, &[], Online).unwrap().total, Vnd::ZERO);
        // Unknown keys and groups in the catalog are refused, as everywhere in it.
        assert!(
            serde_json::from_str::<Procedure>(
                &serde_json::to_string(&p).unwrap().replace("\"disabled\"", "\"nobody\"")
            )
            .is_err()
        );
        for g in ExemptGroup::ALL {
            assert_eq!(ExemptGroup::parse(g.as_str()), Some(g));
        }
    }

    #[test]
    fn online_submissions_pay_the_online_rate() {
        let p = procedure_with(
            r#"[{"kind": "charge", "description": "Lệ phí", "amount": 135000, "online_amount": 115000},
                {"kind": "charge", "description": "Lệ phí khác", "amount": 20000, "online_amount": 0},
                {"kind": "fee", "description": "Phí", "amount": 8000, "per_copy": true}]"#,
        );
        let online = quote(&p, 2, &[], Online).unwrap();
        assert_eq!(online.total.amount(), 115_000 + 2 * 8_000, "online rate, free online, no online rate");
        assert_eq!(online.lines.iter().map(|l| l.online_rate).collect::<Vec<_>>(), [true, true, false]);
        assert_eq!(online.lines[0].unit_amount.amount(), 115_000);
        let paper = quote(&p, 2, &[], Paper).unwrap();
        assert_eq!(paper.total.amount(), 135_000 + 20_000 + 2 * 8_000);
        assert!(paper.lines.iter().all(|l| !l.online_rate));
        // A dossier handed in at a desk or by post pays the paper rate.
        use crate::workflow::Channel;
        assert_eq!((Channel::InPerson.rate(), Channel::Post.rate(), Channel::Online.rate()), (Paper, Paper, Online));
        // An online rate above the ordinary one is refused when the catalog is read.
        let bad =
            procedure_with(r#"[{"kind": "charge", "description": "Lệ phí", "amount": 100, "online_amount": 200}]"#);
        assert!(bad.check().is_err());
    }

    #[test]
    fn bank_accounts_are_checked() {
        assert!(BankAccount::parse("97041", "1", "A").is_err());
        assert!(BankAccount::parse("970415", "12 34", "A").is_err());
        assert!(BankAccount::parse("970415", "1234", "").is_err());
        assert!(vietqr(&BankAccount::parse("970415", "1", "A").unwrap(), Vnd::ZERO, "x").is_err());
    }
}

/// What a partner that signs requests to us (HMAC of `{timestamp}.{body}`) may do: confirm
/// payments, or report the carriage of results by post. Each endpoint accepts one kind, so
/// a carrier's secret cannot confirm a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartnerKind {
    PaymentGateway,
    Carrier,
}

impl PartnerKind {
    pub const ALL: [Self; 2] = [Self::PaymentGateway, Self::Carrier];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PaymentGateway => "payment_gateway",
            Self::Carrier => "carrier",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Self::PaymentGateway => "cổng thanh toán",
            Self::Carrier => "đơn vị bưu chính",
        }
    }
}
