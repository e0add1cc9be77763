//! `motcua verify --qr`: checks a paper's signed QR code (its text, or a picture of the
//! paper) against the deployment's CA, with no network, and says what the paper says.

use std::path::Path;

use motcua_exchange::seal::{self, Opened, PaperKind};

use crate::commands::trust_anchors;
use crate::{Cli, CliError, io_err};

/// The QR codes' texts found in a PNG or JPEG picture.
fn read_image(path: &Path) -> Result<Vec<String>, CliError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    let picture = image::load_from_memory(&bytes)
        .map_err(|e| CliError::Usage(format!("{}: không đọc được ảnh (PNG hoặc JPEG): {e}", path.display())))?
        .to_luma8();
    let (w, h) = (picture.width() as usize, picture.height() as usize);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| picture.get_pixel(x as u32, y as u32).0[0]);
    Ok(prepared.detect_grids().iter().filter_map(|g| g.decode().ok().map(|(_, text)| text)).collect())
}

/// Checks `qr` (a seal's text, or a picture holding one) and prints what the paper says;
/// an error (non-zero exit) says why it was refused.
pub(super) async fn verify_qr(cli: &Cli, qr: &str, ca: Option<&Path>) -> Result<(), CliError> {
    let text = if seal::looks_like_seal(qr) {
        qr.trim().to_owned()
    } else {
        let path = Path::new(qr);
        if !path.is_file() {
            return Err(CliError::Usage(format!("--qr: không phải mã {} và không có tệp ảnh {qr}", seal::PREFIX)));
        }
        let found = read_image(path)?;
        match found.iter().find(|t| seal::looks_like_seal(t)) {
            Some(t) => t.clone(),
            None if found.is_empty() => {
                return Err(CliError::Usage(format!("{qr}: không tìm thấy mã QR nào trong ảnh")));
            }
            None => {
                return Err(CliError::Usage(format!(
                    "{qr}: mã QR trong ảnh không phải mã ký số (chỉ chứa: {})",
                    found.join(" | ")
                )));
            }
        }
    };
    let anchors = trust_anchors(cli, ca).await?;
    match seal::open(&text, &anchors, jiff::Timestamp::now()) {
        Ok(opened) => {
            print!("{}", describe(&opened));
            Ok(())
        }
        Err(e) => Err(CliError::Usage(format!("KHÔNG HỢP LỆ: {e}"))),
    }
}

/// What a checker reads off a seal that verified.
fn describe(o: &Opened) -> String {
    let c = &o.claims;
    let mut out = format!("HỢP LỆ (kiểm tra không cần mạng): {} số {}\n", c.kind.label_vi(), c.number);
    out.push_str(&format!("  cơ quan cấp: {}\n", c.issuer));
    out.push_str(&format!("  ký bởi chứng thư số: {} (cấp bởi {})\n", o.signer.subject, o.signer.issuer));
    out.push_str(&format!("  ngày cấp: {}\n", motcua::calendar::source::display_vn(c.issued_at)));
    if !c.holder.is_empty() {
        out.push_str(&format!("  người được cấp: {}\n", c.holder));
    }
    if let Some(h) = c.sha256 {
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        out.push_str(&format!("  SHA-256 của tệp kết quả: {hex}\n"));
    }
    if let Some(a) = c.amount {
        let money = motcua_domain::Vnd::new(a).map_or_else(|_| a.to_string(), |v| v.to_string());
        out.push_str(&format!("  số tiền: {money}\n"));
    }
    if let Some(d) = c.due {
        let what =
            if c.kind == PaperKind::Form04 { "hẹn lại ngày trả kết quả" } else { "hẹn trả kết quả" };
        out.push_str(&format!("  {what}: {}\n", motcua::calendar::source::display_vn(d)));
    }
    out.push_str(&format!(
        "  Giấy tờ có thể đã bị thu hồi sau khi cấp: kiểm tra trực tuyến tại {}\n",
        if c.url.is_empty() { "trang xác minh của hệ thống" } else { &c.url }
    ));
    out
}
