use thiserror::Error;

/// Why a value from outside could not become a domain value. Messages are Vietnamese
/// (they reach citizens and officers); [`DomainError::code`] is the stable machine code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("Mã đơn vị hành chính không hợp lệ: «{0}» (chỉ gồm 2 đến 8 chữ số)")]
    UnitCode(String),
    #[error(
        "Mã định danh cơ quan không hợp lệ: «{0}» (các nhóm chữ số/chữ in hoa cách nhau bởi dấu chấm, tối đa 35 ký tự)"
    )]
    OrgCode(String),
    #[error("Mã thủ tục hành chính không hợp lệ: «{0}» (ví dụ 1.001193)")]
    ProcedureCode(String),
    #[error("Mã lĩnh vực không hợp lệ: «{0}»")]
    FieldCode(String),
    #[error("Tên đăng nhập không hợp lệ: 3–64 ký tự gồm chữ thường không dấu, chữ số, dấu chấm, gạch dưới, gạch ngang")]
    Username,
    #[error("Số căn cước công dân không hợp lệ: {0}")]
    Cccd(&'static str),
    #[error("Số tiền không hợp lệ: {0}")]
    Money(&'static str),
    #[error("{field}: {reason}")]
    Text { field: &'static str, reason: &'static str },
    #[error("Thời hạn giải quyết không hợp lệ: {0}")]
    TimeLimit(&'static str),
    #[error("Mật khẩu không đạt yêu cầu: {0}")]
    Password(&'static str),
    #[error("Địa chỉ thư điện tử không hợp lệ")]
    Email,
    #[error("Số điện thoại không hợp lệ")]
    Phone,
    #[error("Đánh giá không hợp lệ: số sao phải từ 1 đến 5")]
    Stars,
    #[error("Mã QR trên thẻ căn cước không hợp lệ: {0}")]
    ChipQr(String),
    #[error("Mã xác thực không hợp lệ: nhập 6 chữ số trên ứng dụng xác thực, hoặc một mã dự phòng (dạng xxxxx-xxxxx)")]
    SecondFactorCode,
    #[error("{0}")]
    Invalid(String),
}

impl DomainError {
    /// Stable machine code, for clients and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnitCode(_) => "invalid_unit_code",
            Self::OrgCode(_) => "invalid_org_code",
            Self::ProcedureCode(_) => "invalid_procedure_code",
            Self::FieldCode(_) => "invalid_field_code",
            Self::Username => "invalid_username",
            Self::Cccd(_) => "invalid_cccd",
            Self::Money(_) => "invalid_money",
            Self::Text { .. } => "invalid_text",
            Self::TimeLimit(_) => "invalid_time_limit",
            Self::Password(_) => "weak_password",
            Self::Email => "invalid_email",
            Self::Phone => "invalid_phone",
            Self::Stars => "invalid_rating",
            Self::ChipQr(_) => "invalid_chip_qr",
            Self::SecondFactorCode => "invalid_second_factor_code",
            Self::Invalid(_) => "invalid_value",
        }
    }
}
