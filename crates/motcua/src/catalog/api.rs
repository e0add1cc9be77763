//! Administrative units, organisations and the procedure catalog: public, read-only.

use axum::Json;
use axum::extract::State;
use motcua_domain::{
    AdminUnit, FieldCode, OnlineLevel, OrgCode, OrgKind, Organisation, Procedure, ProcedureCode, ProcedureLevel,
    UnitCode,
};
use motcua_store::{OrgFilter, Page, ProcedureFilter, UnitFilter};
use serde::Deserialize;

use crate::api::error::{ApiResult, AppError};
use crate::api::extract::{ApiPath, ApiQuery};
use crate::api::page::PageOf;
use crate::app::AppState;
use crate::app::ErrorCode;
use crate::catalog::Catalog;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    /// Mã đơn vị cha: chỉ liệt kê các đơn vị trực thuộc.
    pub parent: Option<String>,
    /// Cấp trong cây (1 = tỉnh).
    pub level: Option<u8>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// Administrative units, parents before children.
#[utoipa::path(get, path = "/api/v1/units", tag = "catalog", params(UnitQuery),
    responses((status = 200, body = PageOf<AdminUnit>), (status = 400, body = crate::api::error::ErrorBody)))]
pub async fn list_units(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> ApiResult<Json<PageOf<AdminUnit>>> {
    let filter = UnitFilter { parent: q.parent.as_deref().map(UnitCode::parse).transpose()?, level: q.level };
    let page = Page::new(q.offset, q.limit);
    Ok(Json(PageOf::new(Catalog::of(&state).units(&filter, page).await?, page)))
}

/// One administrative unit.
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "catalog",
    params(("code" = String, Path, description = "Mã đơn vị hành chính, ví dụ 22 hoặc 06850")),
    responses((status = 200, body = AdminUnit), (status = 400, body = crate::api::error::ErrorBody), (status = 404, body = crate::api::error::ErrorBody)))]
pub async fn get_unit(State(state): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<AdminUnit>> {
    let code = UnitCode::parse(&code)?;
    Ok(Json(Catalog::of(&state).unit(&code).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrgQuery {
    /// Mã đơn vị hành chính mà cơ quan phục vụ.
    pub unit: Option<String>,
    /// Loại cơ quan.
    #[param(value_type = Option<OrgKind>)]
    pub kind: Option<String>,
    /// Mã định danh cơ quan cấp trên.
    pub parent: Option<String>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// Organisations that receive and process dossiers.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "catalog", params(OrgQuery),
    responses((status = 200, body = PageOf<Organisation>), (status = 400, body = crate::api::error::ErrorBody)))]
pub async fn list_organisations(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> ApiResult<Json<PageOf<Organisation>>> {
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(
            OrgKind::parse(k)
                .ok_or_else(|| AppError::bad_request(ErrorCode::InvalidQuery, "Loại cơ quan không hợp lệ"))?,
        ),
    };
    let filter = OrgFilter {
        unit: q.unit.as_deref().map(UnitCode::parse).transpose()?,
        kind,
        parent: q.parent.as_deref().map(OrgCode::parse).transpose()?,
    };
    let page = Page::new(q.offset, q.limit);
    Ok(Json(PageOf::new(Catalog::of(&state).organisations(&filter, page).await?, page)))
}

/// One organisation.
#[utoipa::path(get, path = "/api/v1/organisations/{code}", tag = "catalog",
    params(("code" = String, Path, description = "Mã định danh điện tử, ví dụ 000.00.01.H22")),
    responses((status = 200, body = Organisation), (status = 400, body = crate::api::error::ErrorBody), (status = 404, body = crate::api::error::ErrorBody)))]
pub async fn get_organisation(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<Organisation>> {
    let code = OrgCode::parse(&code)?;
    Ok(Json(Catalog::of(&state).organisation(&code).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProcedureQuery {
    /// Mã đơn vị hành chính (ví dụ 06850: thủ tục do các cơ quan phục vụ phường đó giải quyết)
    /// hoặc mã định danh của một cơ quan (ví dụ 000.00.01.H22).
    pub unit: Option<String>,
    /// Mã định danh cơ quan giải quyết.
    pub org: Option<String>,
    /// Lĩnh vực: mã (ho-tich) hoặc tên (Hộ tịch).
    pub field: Option<String>,
    /// Mức độ trực tuyến.
    #[param(value_type = Option<OnlineLevel>)]
    pub online: Option<String>,
    /// Cấp thực hiện.
    #[param(value_type = Option<ProcedureLevel>)]
    pub level: Option<String>,
    /// Từ khóa trong tên thủ tục, có dấu hoặc không dấu.
    pub q: Option<String>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// The procedure catalog, filtered and paged.
#[utoipa::path(get, path = "/api/v1/procedures", tag = "catalog", params(ProcedureQuery),
    responses((status = 200, body = PageOf<Procedure>), (status = 400, body = crate::api::error::ErrorBody)))]
pub async fn list_procedures(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ProcedureQuery>,
) -> ApiResult<Json<PageOf<Procedure>>> {
    let mut filter = ProcedureFilter {
        org: q.org.as_deref().map(OrgCode::parse).transpose()?,
        field: q.field.as_deref().map(FieldCode::parse).transpose()?,
        online: q.online.as_deref().map(OnlineLevel::parse).transpose()?,
        level: q.level.as_deref().map(ProcedureLevel::parse).transpose()?,
        text: q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect()),
        unit: None,
    };
    if let Some(u) = q.unit.as_deref() {
        // An all-digit value is an administrative unit; anything else an organisation.
        match UnitCode::parse(u) {
            Ok(code) => filter.unit = Some(code),
            Err(_) => {
                let org = OrgCode::parse(u).map_err(|_| {
                    AppError::bad_request(
                        ErrorCode::InvalidQuery,
                        "Tham số unit phải là mã đơn vị hành chính hoặc mã định danh cơ quan",
                    )
                })?;
                if filter.org.as_ref().is_some_and(|o| o != &org) {
                    return Err(AppError::bad_request(
                        ErrorCode::InvalidQuery,
                        "Tham số unit và org chỉ hai cơ quan khác nhau",
                    ));
                }
                filter.org = Some(org);
            }
        }
    }
    let page = Page::new(q.offset, q.limit);
    Ok(Json(PageOf::new(Catalog::of(&state).find_procedures(filter, page).await?, page)))
}

/// One procedure with everything a citizen needs before applying.
#[utoipa::path(get, path = "/api/v1/procedures/{code}", tag = "catalog",
    params(("code" = String, Path, description = "Mã thủ tục, ví dụ 1.001193")),
    responses((status = 200, body = Procedure), (status = 400, body = crate::api::error::ErrorBody), (status = 404, body = crate::api::error::ErrorBody)))]
pub async fn get_procedure(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<Procedure>> {
    let code = ProcedureCode::parse(&code)?;
    Ok(Json(Catalog::of(&state).procedure(&code).await?))
}

/// The procedure's declaration as an e-form: its sections and fields (kind, required, help,
/// what it is prefilled from) and the rules between them, to fill in and send with the
/// submission (`declaration` in `POST /api/v1/dossiers`) instead of uploading the paper.
/// 404 `no_declaration_form` when the procedure's declaration is paper only.
#[utoipa::path(get, path = "/api/v1/procedures/{code}/declaration", tag = "catalog",
    params(("code" = String, Path, description = "Mã thủ tục, ví dụ 1.001193")),
    responses((status = 200, body = motcua_domain::eform::FormDef), (status = 400, body = crate::api::error::ErrorBody), (status = 404, body = crate::api::error::ErrorBody)))]
pub async fn get_declaration(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<motcua_domain::eform::FormDef>> {
    let code = ProcedureCode::parse(&code)?;
    let procedure = Catalog::of(&state).procedure(&code).await?;
    match crate::catalog::declarations::of_procedure(&procedure) {
        Some(form) => Ok(Json(form.clone())),
        None => Err(crate::app::AppError::new(
            crate::app::Kind::NotFound,
            crate::app::ErrorCode::NoDeclarationForm,
            "Tờ khai của thủ tục này chưa có dạng điện tử; tải mẫu, điền và nộp dạng tệp",
        )),
    }
}
