//! Serving people in person: the chip ID card's QR code read at a kiosk, queue tickets,
//! appointment confirmation codes and one-time codes. Values from a scanner or a keypad are
//! outside input like any other: they parse or are refused with a reason.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::{Cccd, DomainError, Name, Sex};

/// The longest chip-ID QR text accepted (real ones are under 200 characters).
pub const MAX_CHIP_QR_CHARS: usize = 600;

/// What the QR code on the back of a chip citizen identity card says: seven fields separated
/// by `|` — ID number, old (9-digit) ID number or nothing, full name, date of birth
/// `ddmmyyyy`, sex (`Nam`/`Nữ`), permanent address, date of issue `ddmmyyyy`.
#[derive(Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChipId {
    #[schema(value_type = String)]
    pub cccd: Cccd,
    pub old_id: Option<String>,
    #[schema(value_type = String)]
    pub full_name: Name,
    #[schema(value_type = String, format = Date)]
    pub birth_date: Date,
    pub sex: Sex,
    #[schema(value_type = String)]
    pub address: Name,
    #[schema(value_type = String, format = Date)]
    pub issue_date: Date,
}

impl fmt::Debug for ChipId {
    /// Personal data stays out of logs: only the masked number is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChipId").field("cccd", &self.cccd).finish_non_exhaustive()
    }
}

fn chip_error(reason: impl Into<String>) -> DomainError {
    DomainError::ChipQr(reason.into())
}

/// `ddmmyyyy` → a date.
fn ddmmyyyy(field: &str, s: &str) -> Result<Date, DomainError> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(chip_error(format!("{field} phải có dạng ddmmyyyy")));
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<i16>().unwrap_or(0);
    let (d, m, y) = (n(0..2), n(2..4), n(4..8));
    Date::new(y, i8::try_from(m).unwrap_or(0), i8::try_from(d).unwrap_or(0))
        .map_err(|_| chip_error(format!("{field} không phải là ngày có thật")))
}

impl ChipId {
    /// Parses the scanned text. `today` bounds the dates (nobody is born or issued a card
    /// in the future).
    pub fn parse(raw: &str, today: Date) -> Result<Self, DomainError> {
        let text = raw.trim_matches(|c: char| c.is_whitespace());
        if text.is_empty() {
            return Err(chip_error("không có dữ liệu"));
        }
        if text.chars().count() > MAX_CHIP_QR_CHARS {
            return Err(chip_error("dữ liệu quá dài"));
        }
        if text.chars().any(char::is_control) {
            return Err(chip_error("chứa ký tự điều khiển"));
        }
        let fields: Vec<&str> = text.split('|').map(str::trim).collect();
        if fields.len() != 7 {
            return Err(chip_error(format!("cần đúng 7 trường ngăn cách bởi «|», nhận được {}", fields.len())));
        }
        let cccd = Cccd::parse(fields[0]).map_err(|e| chip_error(format!("số định danh: {e}")))?;
        let old_id = match fields[1] {
            "" => None,
            s if s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit()) => Some(s.to_owned()),
            _ => return Err(chip_error("số CMND cũ phải gồm 9 chữ số hoặc để trống")),
        };
        let full_name = Name::parse("họ và tên", fields[2]).map_err(|e| chip_error(e.to_string()))?;
        if full_name.as_str().chars().count() > 100 || full_name.as_str().chars().any(|c| c.is_ascii_digit()) {
            return Err(chip_error("họ và tên không hợp lệ"));
        }
        let birth_date = ddmmyyyy("ngày sinh", fields[3])?;
        let sex = match crate::text::fold(fields[4]).as_str() {
            "nam" => Sex::Male,
            "nu" => Sex::Female,
            _ => return Err(chip_error("giới tính phải là «Nam» hoặc «Nữ»")),
        };
        let address = Name::parse("nơi thường trú", fields[5]).map_err(|e| chip_error(e.to_string()))?;
        let issue_date = ddmmyyyy("ngày cấp", fields[6])?;
        if birth_date > today || birth_date.year() < 1900 {
            return Err(chip_error("ngày sinh không hợp lệ"));
        }
        if issue_date > today || issue_date < birth_date {
            return Err(chip_error("ngày cấp không hợp lệ"));
        }
        if cccd.sex() != sex || cccd.birth_year() != birth_date.year().unsigned_abs() {
            return Err(chip_error("số định danh không khớp với năm sinh hoặc giới tính"));
        }
        Ok(Self { cccd, old_id, full_name, birth_date, sex, address, issue_date })
    }
}

/// A queue service's letter: one upper-case ASCII letter (`A`, `B`, …), printed before the
/// ticket's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServiceLetter(char);

impl ServiceLetter {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let mut c = raw.trim().chars();
        match (c.next(), c.next()) {
            (Some(l), None) if l.is_ascii_uppercase() => Ok(Self(l)),
            _ => Err(DomainError::Invalid("ký hiệu dịch vụ phải là một chữ cái in hoa (A–Z)".into())),
        }
    }
    pub fn as_char(self) -> char {
        self.0
    }
}

impl TryFrom<String> for ServiceLetter {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Self::parse(&s)
    }
}
impl From<ServiceLetter> for String {
    fn from(l: ServiceLetter) -> String {
        l.0.to_string()
    }
}
impl fmt::Display for ServiceLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl utoipa::PartialSchema for ServiceLetter {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Z]$"))
            .into()
    }
}
impl utoipa::ToSchema for ServiceLetter {}

/// Tickets of one service in one day: numbered from 1, at most 9,999.
pub const MAX_TICKETS_PER_DAY: i64 = 9_999;

/// What a ticket shows and the display calls: `A007`, `B1234`.
pub fn ticket_label(letter: ServiceLetter, number: i64) -> String {
    format!("{}{:03}", letter.as_char(), number)
}

/// A short code: upper-case letters and digits without the ones read alike (0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// An appointment's confirmation code: 8 characters of [`CODE_ALPHABET`] (about 40 bits).
/// Typed back in any case, with spaces or dashes ignored.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConfirmationCode(String);

impl ConfirmationCode {
    pub const LEN: usize = 8;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s: String =
            raw.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        if s.len() != Self::LEN || !s.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
            return Err(DomainError::Invalid("mã xác nhận lịch hẹn gồm 8 ký tự chữ và số".into()));
        }
        Ok(Self(s))
    }
    /// A code from random bytes (the caller brings the randomness).
    pub fn from_random(bytes: [u8; 8]) -> Self {
        Self(bytes.iter().map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char).collect())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ConfirmationCode {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Self::parse(&s)
    }
}
impl From<ConfirmationCode> for String {
    fn from(c: ConfirmationCode) -> String {
        c.0
    }
}
impl fmt::Display for ConfirmationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for ConfirmationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConfirmationCode({}…)", &self.0[..2])
    }
}
impl utoipa::PartialSchema for ConfirmationCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(8))
            .max_length(Some(8))
            .into()
    }
}
impl utoipa::ToSchema for ConfirmationCode {}

/// A one-time code typed on a keypad: exactly 6 digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Otp(String);

impl Otp {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::Invalid("mã xác thực gồm 6 chữ số".into()));
        }
        Ok(Self(s.to_owned()))
    }
    /// A code from a random number (the caller brings the randomness).
    pub fn from_random(n: u32) -> Self {
        Self(format!("{:06}", n % 1_000_000))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Otp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Otp(******)")
    }
}

/// How many people one appointment slot takes: 1 to 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Capacity(i64);

impl Capacity {
    pub fn parse(n: i64) -> Result<Self, DomainError> {
        if (1..=500).contains(&n) {
            Ok(Self(n))
        } else {
            Err(DomainError::Invalid("số chỗ của một khung giờ phải từ 1 đến 500".into()))
        }
    }
    pub fn get(self) -> i64 {
        self.0
    }
}
impl TryFrom<i64> for Capacity {
    type Error = DomainError;
    fn try_from(n: i64) -> Result<Self, DomainError> {
        Self::parse(n)
    }
}
impl From<Capacity> for i64 {
    fn from(c: Capacity) -> i64 {
        c.0
    }
}

/// What kind of place takes appointments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PointKind {
    /// A desk service of a public administration centre.
    Desk,
    /// A hospital department.
    Department,
    /// One doctor.
    Doctor,
}

impl PointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desk => "desk",
            Self::Department => "department",
            Self::Doctor => "doctor",
        }
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "desk" => Ok(Self::Desk),
            "department" => Ok(Self::Department),
            "doctor" => Ok(Self::Doctor),
            _ => Err(DomainError::Invalid("loại điểm hẹn: desk, department hoặc doctor".into())),
        }
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Desk => "Quầy dịch vụ",
            Self::Department => "Khoa khám bệnh",
            Self::Doctor => "Bác sĩ",
        }
    }
}

/// A service point's code: 2–40 lower-case ASCII letters, digits and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PointCode(String);

impl PointCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let ok = (2..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::Invalid("mã điểm hẹn: 2–40 ký tự chữ thường không dấu, chữ số, dấu gạch ngang".into()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for PointCode {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Self::parse(&s)
    }
}
impl From<PointCode> for String {
    fn from(c: PointCode) -> String {
        c.0
    }
}
impl fmt::Display for PointCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl utoipa::PartialSchema for PointCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$"))
            .into()
    }
}
impl utoipa::ToSchema for PointCode {}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const GOOD: &str =
        "022090001234|123456789|Nguyễn Văn An|15031990|Nam|Tổ 5, khu 3, phường Hạ Long, tỉnh Quảng Ninh|20042021";

    #[test]
    fn chip_qr_parses() {
        let c = ChipId::parse(GOOD, date(2026, 12, 1)).unwrap();
        assert_eq!(c.cccd.as_str(), "022090001234");
        assert_eq!(c.old_id.as_deref(), Some("123456789"));
        assert_eq!(c.full_name.as_str(), "Nguyễn Văn An");
        assert_eq!(c.birth_date, date(1990, 3, 15));
        assert_eq!(c.sex, Sex::Male);
        assert_eq!(c.issue_date, date(2021, 4, 20));
        assert!(!format!("{c:?}").contains("001234"), "no whole number in Debug");
        // No old number, a trailing newline from the scanner, unaccented sex.
        let c = ChipId::parse("022301001235||Trần Thị Bình|01012001|Nu|Xã Tiên Yên|02022022\r\n", date(2026, 12, 1))
            .unwrap();
        assert_eq!(c.old_id, None);
        assert_eq!(c.sex, Sex::Female);
    }

    #[test]
    fn chip_qr_refuses_what_is_wrong() {
        let today = date(2026, 12, 1);
        let cases = [
            ("", "không có dữ liệu"),
            ("022090001234|123456789|Nguyễn Văn An|15031990|Nam|Hạ Long", "7 trường"),
            ("022090001234|123456789|Nguyễn Văn An|15031990|Nam|Hạ Long|20042021|x", "7 trường"),
            ("02209000123|123456789|Nguyễn Văn An|15031990|Nam|Hạ Long|20042021", "số định danh"),
            ("022090001234|12345|Nguyễn Văn An|15031990|Nam|Hạ Long|20042021", "CMND"),
            ("022090001234|123456789||15031990|Nam|Hạ Long|20042021", "họ và tên"),
            ("022090001234|123456789|Nguyễn Văn An|31021990|Nam|Hạ Long|20042021", "ngày sinh"),
            ("022090001234|123456789|Nguyễn Văn An|1990-03-15|Nam|Hạ Long|20042021", "ddmmyyyy"),
            ("022090001234|123456789|Nguyễn Văn An|15031990|Khác|Hạ Long|20042021", "giới tính"),
            ("022090001234|123456789|Nguyễn Văn An|15031990|Nam||20042021", "nơi thường trú"),
            ("022090001234|123456789|Nguyễn Văn An|15031990|Nam|Hạ Long|20042031", "ngày cấp"),
            ("022090001234|123456789|Nguyễn Văn An|15031990|Nữ|Hạ Long|20042021", "không khớp"),
            ("022090001234|123456789|Nguyễn Văn An|15031991|Nam|Hạ Long|20042021", "không khớp"),
            ("022090001234|123456789|Nguyễn\u{7}An|15031990|Nam|Hạ Long|20042021", "điều khiển"),
        ];
        for (input, want) in cases {
            let e = ChipId::parse(input, today).unwrap_err();
            assert_eq!(e.code(), "invalid_chip_qr");
            assert!(e.to_string().contains(want), "{input:?}: {e}");
        }
        assert!(ChipId::parse(&"9".repeat(700), today).is_err());
    }

    #[test]
    fn letters_codes_and_otps() {
        assert_eq!(ServiceLetter::parse("A").unwrap().as_char(), 'A');
        for bad in ["", "a", "AB", "1", "Đ"] {
            assert!(ServiceLetter::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(ticket_label(ServiceLetter::parse("B").unwrap(), 7), "B007");
        assert_eq!(ticket_label(ServiceLetter::parse("B").unwrap(), 1234), "B1234");

        let c = ConfirmationCode::from_random([0, 1, 2, 3, 250, 255, 30, 31]);
        assert_eq!(c.as_str().len(), 8);
        assert_eq!(ConfirmationCode::parse(&c.as_str().to_lowercase()).unwrap(), c);
        assert_eq!(ConfirmationCode::parse("abcd-efgh").unwrap().as_str(), "ABCDEFGH");
        for bad in ["ABCDEFG", "ABCDEFGHJ", "ABCDEFG0", "ABCDEFGI", "ABCDEFG!"] {
            assert!(ConfirmationCode::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{c:?}").contains(&c.as_str()[2..]));

        assert_eq!(Otp::from_random(42).as_str(), "000042");
        assert_eq!(Otp::from_random(123_456_789).as_str(), "456789");
        assert!(Otp::parse("12345").is_err() && Otp::parse("12345a").is_err() && Otp::parse("123456").is_ok());
        assert_eq!(format!("{:?}", Otp::parse("123456").unwrap()), "Otp(******)");

        assert!(Capacity::parse(0).is_err() && Capacity::parse(501).is_err() && Capacity::parse(1).is_ok());
        assert!(PointCode::parse("kham-noi").is_ok());
        for bad in ["a", "-ab", "ab-", "Ab", "khám", &"a".repeat(41)] {
            assert!(PointCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(PointKind::parse("doctor").unwrap().as_str(), "doctor");
    }
}
