//! A document package's attachments as a register page lists them — name, type, description
//! and size — read without decoding their content: a page showing a document with a 20 MB
//! scan decoded all 20 MB to print its name.

use super::read::{Package, decode_b64};
use super::unzip::unpacked;
use super::{DocumentPackage, Shape};

/// Whether an attachment may be a file the axis zipped (only then is it decoded to list it).
fn zipped(package: &Package<'_>, name: &str, content_type: &str) -> bool {
    package.shape == Shape::Axis
        && content_type.to_ascii_lowercase().contains("zip")
        && !name.to_lowercase().ends_with(".zip")
}
use crate::ExchangeError;

/// One attachment of a package, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentSummary {
    pub name: String,
    pub content_type: String,
    pub description: String,
    /// Bytes after base64 decoding.
    pub size: usize,
}

impl DocumentPackage {
    /// The package's attachments in order (`att1`, `att2`, …), sized from their base64 text.
    /// For a package this server stored (and so read whole once); [`DocumentPackage::parse`]
    /// is what checks one from outside.
    /// A file the axis sent zipped is listed as the file it holds (decoded for that alone).
    pub fn manifest(bytes: &[u8]) -> Result<Vec<AttachmentSummary>, ExchangeError> {
        let package = Package::read(bytes)?;
        package
            .attachments()?
            .into_iter()
            .map(|(r, data)| {
                let name = r.text_of("AttachmentName")?.to_owned();
                let content_type = r.opt_text("ContentType").unwrap_or("application/octet-stream").to_owned();
                let (content_type, size) = match zipped(&package, &name, &content_type) {
                    true => match unpacked(&name, &content_type, &decode_b64(data)?)? {
                        Some((file, file_type)) => (file_type, file.len()),
                        None => (content_type, decoded_len(data)),
                    },
                    false => (content_type, decoded_len(data)),
                };
                Ok(AttachmentSummary {
                    name,
                    content_type,
                    description: r.opt_text("Description").unwrap_or_default().to_owned(),
                    size,
                })
            })
            .collect()
    }
}

/// How many bytes base64 text decodes to (line breaks and spaces aside).
fn decoded_len(b64: &str) -> usize {
    let chars = b64.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    let padding = b64.trim_end().bytes().rev().take_while(|&b| b == b'=').count().min(2);
    (chars / 4 * 3).saturating_sub(padding)
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use jiff::civil::date;
    use motcua_domain::OrgCode;

    use crate::edxml::*;

    fn package(attachments: Vec<PackageAttachment>) -> DocumentPackage {
        let org = |c: &str| Organ { id: OrgCode::parse(c).unwrap(), name: "Sở Tư pháp".into() };
        DocumentPackage {
            header: MessageHeader {
                from: org("000.00.01.H22"),
                to: vec![org("000.00.01.H26")],
                code_number: 7,
                code_notation: "STP-VP".into(),
                place: "Quảng Ninh".into(),
                promulgation_date: date(2026, 12, 4),
                document_type: "Công văn".into(),
                subject: "V/v thử".into(),
                content: String::new(),
                signer: SignerInfo::default(),
                due_date: None,
                to_places: vec![],
                priority: Priority::default(),
                business: BusinessType::New,
                business_reason: String::new(),
                revision: 0,
            },
            traces: vec![Trace {
                organ_id: OrgCode::parse("000.00.01.H22").unwrap(),
                timestamp: Timestamp::UNIX_EPOCH,
            }],
            signature: None,
            attachments,
            shape: Shape::Axis,
        }
    }

    #[test]
    fn the_manifest_lists_what_parsing_decodes_without_decoding() {
        // Sizes 0–5 give base64 with no, one and two padding characters.
        let attachments: Vec<PackageAttachment> = (0..6usize)
            .map(|n| PackageAttachment {
                name: format!("tệp {n}.pdf"),
                content_type: "application/pdf".into(),
                description: if n % 2 == 0 { format!("bản <{n}>") } else { String::new() },
                data: (0..n as u8).map(|b| b.wrapping_mul(37)).collect(),
            })
            .chain(std::iter::once(PackageAttachment {
                // A file the axis zipped: listed and read as the file it holds.
                name: "qd.doc".into(),
                content_type: "application/zip".into(),
                description: String::new(),
                data: {
                    use std::io::Write;
                    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
                    w.start_file("qd.doc", zip::write::SimpleFileOptions::default()).unwrap();
                    w.write_all(&[7u8; 5000]).unwrap();
                    w.finish().unwrap().into_inner()
                },
            }))
            .chain(std::iter::once(PackageAttachment {
                name: "lớn.pdf".into(),
                content_type: "application/pdf".into(),
                description: String::new(),
                data: vec![0xAB; 100_001],
            }))
            .collect();
        let mut package = package(attachments.clone());
        for shape in [Shape::Axis, Shape::Motcua] {
            package.shape = shape;
            let xml = package.to_xml();
            let parsed = DocumentPackage::parse(xml.as_bytes()).unwrap();
            assert_eq!(parsed.shape, shape);
            assert_eq!(shape_of(xml.as_bytes()), Some(shape));
            let listed = DocumentPackage::manifest(xml.as_bytes()).unwrap();
            assert_eq!(listed.len(), 8);
            let zipped = &parsed.attachments[6];
            match shape {
                Shape::Axis => {
                    assert_eq!((zipped.content_type.as_str(), zipped.data.len()), ("application/msword", 5000))
                }
                Shape::Motcua => assert_eq!(zipped.content_type, "application/zip", "only the axis's layout unzips"),
            }
            for (l, p) in listed.iter().zip(&parsed.attachments) {
                assert_eq!(
                    (&l.name, &l.content_type, &l.description, l.size),
                    (&p.name, &p.content_type, &p.description, p.data.len())
                );
            }
            package.attachments.clear();
            assert!(DocumentPackage::manifest(package.to_xml().as_bytes()).unwrap().is_empty());
            package.attachments = attachments.clone();
        }
    }

    #[test]
    fn wrapped_base64_is_sized_like_one_line() {
        let one_line = "QUJDREVG"; // ABCDEF
        assert_eq!(super::decoded_len(one_line), 6);
        assert_eq!(super::decoded_len("QUJD\r\n REVG\n"), 6);
        assert_eq!(super::decoded_len("QUJDRA=="), 4);
        assert_eq!(super::decoded_len("QUJDREU=\n"), 5);
        assert_eq!(super::decoded_len(""), 0);
    }
}
