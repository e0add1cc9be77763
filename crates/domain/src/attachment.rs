//! Files attached to a dossier: what is accepted, and how they are described.

use serde::{Deserialize, Serialize};

/// Largest single file.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Most files in one submission.
pub const MAX_FILES: usize = 20;
/// Largest submission, all files together.
pub const MAX_TOTAL_BYTES: usize = 50 * 1024 * 1024;

/// A stored attachment. The bytes live in the content-addressed store under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    /// 1, 2, … within the dossier.
    pub index: i32,
    /// Which dossier component (0-based, in the procedure's list) it answers, if said.
    pub component: Option<i32>,
    pub filename: String,
    /// Sniffed from the content, not taken from the client.
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// What the file is: part of the application, a supplement, or the result.
    #[serde(default)]
    pub kind: AttachmentKind,
}

/// Who gave a file and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// Sent with the application (online or at the desk).
    #[default]
    Applicant,
    /// Sent by the applicant answering a supplement request.
    Supplement,
    /// The result the organisation returns (licence, certificate, answer).
    Result,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applicant => "applicant",
            Self::Supplement => "supplement",
            Self::Result => "result",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "applicant" => Some(Self::Applicant),
            "supplement" => Some(Self::Supplement),
            "result" => Some(Self::Result),
            _ => None,
        }
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Applicant => "Hồ sơ nộp",
            Self::Supplement => "Hồ sơ bổ sung",
            Self::Result => "Kết quả giải quyết",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Applicant => "Application",
            Self::Supplement => "Supplement",
            Self::Result => "Result",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("Tệp «{0}» rỗng")]
    Empty(String),
    #[error("Tệp «{0}» vượt quá 10 MB")]
    TooLarge(String),
    #[error("Hồ sơ có quá nhiều tệp (tối đa 20) hoặc tổng dung lượng vượt 50 MB")]
    TooMany,
    #[error("Tệp «{0}» không phải PDF, PNG hay JPEG")]
    UnsupportedType(String),
}

impl AttachmentError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty(_) => "empty_file",
            Self::TooLarge(_) | Self::TooMany => "file_too_large",
            Self::UnsupportedType(_) => "unsupported_file_type",
        }
    }
}

/// The content type by the file's first bytes: PDF, PNG or JPEG; anything else is refused
/// whatever its name or declared type says.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A safe display name: the last path segment, NFC, without control, reserved or
/// direction-changing characters (a right-to-left override shows `gpj.exe` as `exe.jpg`), at
/// most 200 characters; "tep" if nothing is left.
pub fn clean_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = crate::text::nfc(last)
        .chars()
        .filter(|c| {
            !c.is_control()
                && !crate::text::is_deceptive_format(*c)
                && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')
        })
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() { "tep".to_owned() } else { cleaned }
}

/// What a part of a multipart upload is, by its name: the JSON part (named by the endpoint),
/// or a file, answering the procedure's component N when named `component-N` (0–99).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadPart {
    Json,
    File { component: Option<i32> },
}

impl UploadPart {
    /// `None` for any other name (the request is refused).
    pub fn of(name: &str, json_part: &str) -> Option<Self> {
        if name == json_part {
            return Some(Self::Json);
        }
        if name == "file" {
            return Some(Self::File { component: None });
        }
        let n = name.strip_prefix("component-")?;
        // Digits only: "+1" and " 1" are not component numbers.
        if n.is_empty() || n.len() > 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n.parse::<i32>().ok().map(|n| Self::File { component: Some(n) })
    }
}

/// Checks one file and returns its sniffed type.
pub fn check_file(filename: &str, bytes: &[u8]) -> Result<&'static str, AttachmentError> {
    if bytes.is_empty() {
        return Err(AttachmentError::Empty(filename.to_owned()));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AttachmentError::TooLarge(filename.to_owned()));
    }
    sniff(bytes).ok_or_else(|| AttachmentError::UnsupportedType(filename.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"MZ\x90\x00"), None, "an executable named .pdf is still an executable");
        assert_eq!(sniff(b"PK\x03\x04"), None, "archives are refused");
    }

    #[test]
    fn filenames_lose_paths_and_reserved_characters() {
        assert_eq!(clean_filename("../../etc/passwd.pdf"), "passwd.pdf");
        assert_eq!(clean_filename("C:\\Users\\an\\giấy khai sinh.pdf"), "giấy khai sinh.pdf");
        assert_eq!(clean_filename("a\u{0}b<c>.png"), "abc.png");
        assert_eq!(clean_filename(".hidden"), "hidden");
        assert_eq!(clean_filename("///"), "tep");
        assert_eq!(clean_filename("hoa-don\u{202E}fdp.exe"), "hoa-donfdp.exe", "no right-to-left override");
        assert_eq!(clean_filename("\u{200B}\u{FEFF}don\u{2066}.pdf"), "don.pdf");
        assert_eq!(clean_filename(&"x".repeat(300)).chars().count(), 200);
    }

    #[test]
    fn part_names() {
        assert_eq!(UploadPart::of("dossier", "dossier"), Some(UploadPart::Json));
        assert_eq!(UploadPart::of("file", "dossier"), Some(UploadPart::File { component: None }));
        assert_eq!(UploadPart::of("component-0", "dossier"), Some(UploadPart::File { component: Some(0) }));
        assert_eq!(UploadPart::of("component-99", "dossier"), Some(UploadPart::File { component: Some(99) }));
        for bad in ["component-100", "component-", "component-+1", "component--1", "component- 1", "x", ""] {
            assert_eq!(UploadPart::of(bad, "dossier"), None, "{bad:?}");
        }
    }

    #[test]
    fn limits() {
        assert_eq!(check_file("a.pdf", b"").unwrap_err().code(), "empty_file");
        assert_eq!(check_file("a.exe", b"MZ").unwrap_err().code(), "unsupported_file_type");
        let big = [b"%PDF-".as_slice(), &vec![0u8; MAX_FILE_BYTES]].concat();
        assert_eq!(check_file("a.pdf", &big).unwrap_err().code(), "file_too_large");
        assert_eq!(check_file("a.pdf", b"%PDF-1.4").unwrap(), "application/pdf");
    }
}
