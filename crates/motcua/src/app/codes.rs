//! The API's stable error codes: what a program may match on. Each is listed in the OpenAPI
//! document (`ErrorCode`); the message beside it is for people and may change.

/// Declares the codes once: the enum, its string and the list.
macro_rules! error_codes {
    ($($variant:ident = $code:literal,)*) => {
        /// A stable machine code of an error answer.
        // `rename_all` rather than a rename per variant: the OpenAPI derive reads the former
        // (and not a rename whose value comes from a macro), and the test below checks that
        // each name is the code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            /// Every code, for the documentation and the tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The code a lower layer names by its string (the domain's errors carry their own
            /// stable codes, which are the API's).
            pub fn of(code: &str) -> Option<Self> {
                match code {
                    $($code => Some(ErrorCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    AccountDisabled = "account_disabled",
    ActionNotAllowed = "action_not_allowed",
    AlreadyRated = "already_rated",
    AlreadyRevoked = "already_revoked",
    ApplicantRequired = "applicant_required",
    AppointmentNotActive = "appointment_not_active",
    BadRequest = "bad_request",
    BadRequestSignature = "bad_request_signature",
    CodeExpired = "code_expired",
    ConcurrentUpdate = "concurrent_update",
    Conflict = "conflict",
    CrossSiteRequest = "cross_site_request",
    DailyQuotaExceeded = "daily_quota_exceeded",
    DatabaseUnavailable = "database_unavailable",
    DocumentConflict = "document_conflict",
    DossierClosed = "dossier_closed",
    EmptyFile = "empty_file",
    FileStoreUnavailable = "file_store_unavailable",
    FileTooLarge = "file_too_large",
    FilesNotAllowed = "files_not_allowed",
    Forbidden = "forbidden",
    FormNotAvailable = "form_not_available",
    IdempotencyKeyReused = "idempotency_key_reused",
    IdentityIncomplete = "identity_incomplete",
    IdentityNotConfigured = "identity_not_configured",
    IdentityRefused = "identity_refused",
    IdentityUnavailable = "identity_unavailable",
    InsufficientAssurance = "insufficient_assurance",
    InternalError = "internal_error",
    InvalidAction = "invalid_action",
    InvalidAdjustment = "invalid_adjustment",
    InvalidAssignee = "invalid_assignee",
    InvalidBatch = "invalid_batch",
    InvalidBody = "invalid_body",
    InvalidBusiness = "invalid_business",
    InvalidCallbackSignature = "invalid_callback_signature",
    InvalidCccd = "invalid_cccd",
    InvalidChannel = "invalid_channel",
    InvalidChipQr = "invalid_chip_qr",
    InvalidComponent = "invalid_component",
    InvalidCredentials = "invalid_credentials",
    InvalidDate = "invalid_date",
    InvalidDeclaration = "invalid_declaration",
    InvalidDirection = "invalid_direction",
    InvalidDocument = "invalid_document",
    InvalidDossierCode = "invalid_dossier_code",
    InvalidEmail = "invalid_email",
    InvalidFieldCode = "invalid_field_code",
    InvalidFilter = "invalid_filter",
    InvalidFormat = "invalid_format",
    InvalidIdempotencyKey = "invalid_idempotency_key",
    InvalidMoney = "invalid_money",
    InvalidMultipart = "invalid_multipart",
    InvalidOrgCode = "invalid_org_code",
    InvalidPackage = "invalid_package",
    InvalidPath = "invalid_path",
    InvalidPhone = "invalid_phone",
    InvalidProcedureCode = "invalid_procedure_code",
    InvalidQuery = "invalid_query",
    InvalidQuestion = "invalid_question",
    InvalidQueue = "invalid_queue",
    InvalidRating = "invalid_rating",
    InvalidSecondFactorCode = "invalid_second_factor_code",
    InvalidShipment = "invalid_shipment",
    InvalidSlot = "invalid_slot",
    InvalidStatus = "invalid_status",
    InvalidText = "invalid_text",
    InvalidTimeLimit = "invalid_time_limit",
    InvalidUnitCode = "invalid_unit_code",
    InvalidUsername = "invalid_username",
    InvalidValue = "invalid_value",
    InvalidWorkflow = "invalid_workflow",
    KeysUnavailable = "keys_unavailable",
    LinkedBranchWaits = "linked_branch_waits",
    MalformedJson = "malformed_json",
    MethodNotAllowed = "method_not_allowed",
    MissingReference = "missing_reference",
    NoDeclarationForm = "no_declaration_form",
    NoOneToReceive = "no_one_to_receive",
    NoSigningCertificate = "no_signing_certificate",
    NotApplicant = "not_applicant",
    NotFound = "not_found",
    NotInDataStore = "not_in_data_store",
    NotOnline = "not_online",
    NotReturned = "not_returned",
    OrgNotForProcedure = "org_not_for_procedure",
    OrgRequired = "org_required",
    PackageQuarantined = "package_quarantined",
    PayloadTooLarge = "payload_too_large",
    QueueFull = "queue_full",
    RateLimited = "rate_limited",
    RequestRefused = "request_refused",
    RequestTimeout = "request_timeout",
    ResultNotReady = "result_not_ready",
    ServerBusy = "server_busy",
    SessionExpired = "session_expired",
    ShipmentExists = "shipment_exists",
    SlotFull = "slot_full",
    SlotUnavailable = "slot_unavailable",
    TicketNotCalled = "ticket_not_called",
    TooManyAttempts = "too_many_attempts",
    TooManyFiles = "too_many_files",
    TooManyStreams = "too_many_streams",
    TransactionConflict = "transaction_conflict",
    Unauthenticated = "unauthenticated",
    UnknownOrg = "unknown_org",
    UnknownProcedure = "unknown_procedure",
    UnknownRecipient = "unknown_recipient",
    UnsupportedFileType = "unsupported_file_type",
    UnsupportedMediaType = "unsupported_media_type",
    WeakPassword = "weak_password",
    WrongCode = "wrong_code",
    WrongPassword = "wrong_password",
    YearOutOfRange = "year_out_of_range",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&motcua_domain::DomainError> for ErrorCode {
    fn from(e: &motcua_domain::DomainError) -> Self {
        Self::of(e.code()).unwrap_or(Self::InvalidValue)
    }
}

impl From<&motcua_domain::workflow::ActionError> for ErrorCode {
    fn from(e: &motcua_domain::workflow::ActionError) -> Self {
        Self::of(e.code()).unwrap_or(Self::InvalidAction)
    }
}

impl From<&motcua_domain::attachment::AttachmentError> for ErrorCode {
    fn from(e: &motcua_domain::attachment::AttachmentError) -> Self {
        Self::of(e.code()).unwrap_or(Self::InvalidValue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_unique_and_read_back() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            let s = c.as_str();
            assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{s}");
            assert!(seen.insert(s), "{s} twice");
            assert_eq!(ErrorCode::of(s), Some(*c));
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::json!(s));
        }
    }

    #[test]
    fn every_domain_code_is_an_api_code() {
        use motcua_domain::DomainError as D;
        let domain =
            [D::Username, D::Email, D::Phone, D::Stars, D::Invalid(String::new()), D::Money("x"), D::TimeLimit("x")];
        for e in &domain {
            assert_eq!(ErrorCode::of(e.code()).map(ErrorCode::as_str), Some(e.code()), "{e:?}");
        }
        use motcua_domain::attachment::AttachmentError as A;
        for e in [A::TooMany, A::Empty(String::new())] {
            assert_eq!(ErrorCode::of(e.code()).map(ErrorCode::as_str), Some(e.code()));
        }
        use motcua_domain::workflow::ActionError as W;
        for e in [W::Invalid(String::new()), W::Forbidden { action: "x" }, W::Linked(String::new())] {
            assert_eq!(ErrorCode::of(e.code()).map(ErrorCode::as_str), Some(e.code()));
        }
    }
}
