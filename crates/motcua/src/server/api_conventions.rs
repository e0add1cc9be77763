//! What every operation of the OpenAPI document follows, whatever its own annotation says, so
//! that integrators' validators and client generators accept the document: an operation id
//! named after the capability (its tag) and the action, unique in the document; a description
//! on every response.

use axum::http::StatusCode;
use utoipa::Modify;
use utoipa::openapi::{OpenApi, RefOr};

pub(super) struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in operations.into_iter().flatten() {
                let capability = op.tags.as_ref().and_then(|t| t.first()).cloned().unwrap_or_else(|| "system".into());
                let action = op.operation_id.take().unwrap_or_default();
                op.operation_id = Some(operation_id(&capability, &action));
                for (status, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && response.description.trim().is_empty()
                    {
                        response.description = describe(status).into();
                    }
                }
            }
        }
    }
}

/// `dossiers_list` from the tag `dossiers` and the handler `list`; an id an annotation already
/// named after its capability (`results_get_shipment`) stays as it is.
fn operation_id(capability: &str, action: &str) -> String {
    if action.starts_with(&format!("{capability}_")) { action.to_owned() } else { format!("{capability}_{action}") }
}

/// A response's description from its status, for the annotations that give only a body and
/// the errors every operation can give.
pub(super) fn describe(status: &str) -> &'static str {
    match status {
        "200" => "Thành công",
        "201" => "Đã tạo",
        "202" => "Đã tiếp nhận",
        "204" => "Thành công, không có nội dung",
        "303" => "Chuyển sang địa chỉ khác",
        "304" => "Không thay đổi từ lần tải trước",
        "400" => "Tham số hoặc dữ liệu không hợp lệ (mã lỗi trong error.code)",
        "401" => "Chưa đăng nhập hoặc phiên đã hết hạn",
        "403" => "Không có quyền thực hiện",
        "404" => "Không tìm thấy",
        "409" => "Xung đột với trạng thái hiện tại (mã lỗi trong error.code)",
        "410" => "Không còn hiệu lực",
        "413" => "Dữ liệu gửi lên quá lớn",
        "415" => "Kiểu nội dung không được hỗ trợ",
        "422" => "Dữ liệu đúng cú pháp nhưng không xử lý được (mã lỗi trong error.code)",
        "429" => "Quá nhiều yêu cầu; thử lại sau số giây trong Retry-After",
        "502" => "Hệ thống bên ngoài không trả lời đúng",
        "503" => "Tạm thời không phục vụ; thử lại sau",
        other => other
            .parse::<u16>()
            .ok()
            .and_then(|code| StatusCode::from_u16(code).ok())
            .and_then(|code| code.canonical_reason())
            .unwrap_or("Phản hồi"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_once_by_their_capability() {
        assert_eq!(operation_id("dossiers", "list"), "dossiers_list");
        assert_eq!(operation_id("results", "results_get_shipment"), "results_get_shipment");
        assert_eq!(operation_id("stats", "statsx"), "stats_statsx");
    }

    #[test]
    fn every_status_has_words() {
        for code in ["200", "400", "409", "418", "999"] {
            assert!(!describe(code).is_empty(), "{code}");
        }
        assert_eq!(describe("418"), "I'm a teapot");
    }
}
