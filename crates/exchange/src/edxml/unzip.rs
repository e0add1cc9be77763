//! Attachments the axis compresses: a file sent as a zip holding it, with `ContentType`
//! `application/zip` and the file's own name as `AttachmentName` (as in the axis's SDK sample,
//! where `1896_QD-TTg_m_294779.doc` travels zipped). Such an attachment is read as the file it
//! holds; a zip sent as a zip (its name ends in `.zip`) or one holding several files stays a zip.

use std::io::Read;

use super::MAX_PACKAGE_BYTES;
use super::tree::bad;
use crate::ExchangeError;

/// The file a zipped attachment holds and its type (from its name), if it is one.
pub(super) fn unpacked(
    name: &str,
    content_type: &str,
    data: &[u8],
) -> Result<Option<(Vec<u8>, String)>, ExchangeError> {
    let zip_type =
        matches!(content_type.trim().to_ascii_lowercase().as_str(), "application/zip" | "application/x-zip-compressed");
    if !zip_type || name.to_lowercase().ends_with(".zip") || !data.starts_with(b"PK\x03\x04") {
        return Ok(None);
    }
    let unreadable = |e: zip::result::ZipError| bad(format!("tệp nén {name} không đọc được: {e}"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(data)).map_err(unreadable)?;
    let mut files = Vec::new();
    for i in 0..archive.len() {
        if !archive.by_index(i).map_err(unreadable)?.is_dir() {
            files.push(i);
        }
    }
    let [only] = files.as_slice() else { return Ok(None) };
    let mut file = archive.by_index(*only).map_err(unreadable)?;
    // Read to one byte past the limit, whatever the archive claims the size is.
    let limit = u64::try_from(MAX_PACKAGE_BYTES).unwrap_or(u64::MAX);
    let mut out = Vec::new();
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| bad(format!("tệp nén {name} không đọc được: {e}")))?;
    if out.len() as u64 > limit {
        return Err(ExchangeError::TooLarge { size: out.len(), limit: MAX_PACKAGE_BYTES });
    }
    Ok(Some((out, type_of(name).to_owned())))
}

fn type_of(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "txt" => "text/plain",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zipped_file_reads_as_the_file_it_holds() {
        let pdf = b"%PDF-1.4 ...".repeat(100);
        let zipped = zip_of(&[("qd.pdf", &pdf)]);
        let (data, ty) = unpacked("1896_QD-TTg.pdf", "application/zip", &zipped).unwrap().unwrap();
        assert_eq!((data, ty.as_str()), (pdf.clone(), "application/pdf"));
        // Sent as a zip, several files, or not a zip at all: left as it is.
        assert!(unpacked("ho-so.zip", "application/zip", &zipped).unwrap().is_none());
        assert!(unpacked("a.pdf", "application/zip", &zip_of(&[("a", b"1"), ("b", b"2")])).unwrap().is_none());
        assert!(unpacked("a.pdf", "application/pdf", &zipped).unwrap().is_none());
        assert!(unpacked("a.pdf", "application/zip", b"%PDF").unwrap().is_none());
        // A broken archive is an error, and so is one that unpacks beyond the package limit.
        assert!(unpacked("a.pdf", "application/zip", &zipped[..zipped.len() / 2]).is_err());
        let bomb = zip_of(&[("big.doc", &vec![0u8; MAX_PACKAGE_BYTES + 1])]);
        assert!(bomb.len() < 200_000);
        assert!(matches!(unpacked("big.doc", "application/zip", &bomb), Err(ExchangeError::TooLarge { .. })));
    }
}
