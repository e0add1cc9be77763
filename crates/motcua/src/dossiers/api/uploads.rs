//! A dossier's files: uploads checked and stored before any record names them, the multipart
//! reader, the attachment list and downloads, and the printable forms.

pub(crate) use crate::api::files::read_json_and_files;
use crate::dossiers::api::*;

crate::api::files::with_files!(
    /// A submission with files (`multipart/form-data`): the dossier as JSON in the part
    /// `dossier`, each file in a part `file`, or `component-N` for the file that answers the
    /// procedure's N-th component (from 0). PDF, JPEG or PNG.
    SubmitWithFiles, dossier: crate::dossiers::SubmitRequest
);
crate::api::files::with_files!(
    /// An action with files (`multipart/form-data`): the action as JSON in the part `action`,
    /// each file in a part `file`.
    ActionWithFiles, action: motcua_domain::workflow::ActionRequest
);

/// A submission is JSON, or multipart with a `dossier` JSON part and files in parts named
/// `file` or `component-N` (the file answers the procedure's N-th component, from 0).
pub(crate) async fn read_submission(request: axum::extract::Request) -> ApiResult<Submission> {
    let (req, files, request_hash) = read_json_and_files(request, "dossier").await?;
    Ok(Submission { req, files, request_hash, session: None })
}

/// The dossier's attachments.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/attachments", tag = "dossiers",
    params(("code" = String, Path, description = "Mã hồ sơ")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<Attachment>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn attachments(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<Vec<Attachment>>> {
    let stored = Dossiers::of(&state).load_visible(&code, &current.account).await?;
    Ok(Json(Dossiers::of(&state).visible_attachments(&stored.dossier, &current.account).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// true: shown in the browser (preview) instead of saved.
    pub inline: Option<bool>,
}

/// Downloads one attachment.
#[utoipa::path(get, path = "/api/v1/dossiers/{code}/attachments/{index}", tag = "dossiers",
    params(("code" = String, Path, description = "Mã hồ sơ"), ("index" = i32, Path, description = "Số thứ tự tệp"), DownloadQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Nội dung tệp", content_type = "application/octet-stream"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath((code, index)): ApiPath<(String, i32)>,
    ApiQuery(q): ApiQuery<DownloadQuery>,
) -> ApiResult<Response> {
    let stored = Dossiers::of(&state).load_visible(&code, &current.account).await?;
    let list = Dossiers::of(&state).visible_attachments(&stored.dossier, &current.account).await?;
    let a = list.into_iter().find(|a| a.index == index).ok_or_else(|| AppError::not_found("Không có tệp này"))?;
    let bytes = Dossiers::of(&state).file_content(&a.sha256).await?;
    Ok(crate::api::files::file_response(&a, bytes, q.inline == Some(true)))
}

/// A form of the dossier as a printable page: 01 receipt, 02 supplement request, 03 refusal,
/// 04 apology, 05 process control sheet, `to-khai` the declaration filled in online (409
/// `form_not_available` when there is none).
#[utoipa::path(get, path = "/dossiers/{code}/forms/{form}", tag = "dossiers",
    params(("code" = String, Path, description = "Mã hồ sơ"), ("form" = String, Path, description = "01, 02, 03, 04, 05 hoặc to-khai")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "Trang in", content_type = "text/html"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn form(
    State(state): State<AppState>,
    current: CurrentAccount,
    ApiPath((code, form)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let dossiers = Dossiers::of(&state);
    if form == "to-khai" {
        let stored = dossiers.load_visible(&code, &current.account).await?;
        let html = crate::dossiers::forms::render_declaration(&stored.dossier, state.settings.public_url.as_deref())
            .map_err(form_error)?;
        return Ok(crate::api::printable(html));
    }
    let kind = crate::dossiers::forms::FormKind::parse(&form)
        .ok_or_else(|| AppError::not_found("Không có mẫu này (01–05, to-khai)"))?;
    let catalog = crate::catalog::Catalog::of(&state);
    let stored = dossiers.load_visible(&code, &current.account).await?;
    let d = &stored.dossier;
    let procedure = catalog.lookup(&d.procedure).await?.ok_or_else(AppError::internal)?;
    let events = dossiers.events(&d.code).await?;
    let attachments =
        dossiers.visible_attachments(d, &current.account).await?.into_iter().map(|a| a.filename).collect();
    let mut orgs = std::collections::HashMap::new();
    for o in [&d.desk_org, &d.processing_org] {
        let name = catalog.find_organisation(o).await?.map(|x| x.name.to_string()).unwrap_or_else(|| o.to_string());
        orgs.insert(o.to_string(), name);
    }
    let mut people = std::collections::HashMap::new();
    for e in &events {
        if let Some(u) = e.actor.strip_prefix("staff:")
            && !people.contains_key(u)
            && let Ok(name) = motcua_domain::Username::parse(u)
        {
            let full =
                dossiers.staff_account(&name).await?.map(|a| a.full_name.to_string()).unwrap_or_else(|| u.to_owned());
            people.insert(u.to_owned(), full);
        }
    }
    let org_name = |c: &str| orgs.get(c).cloned().unwrap_or_else(|| c.to_owned());
    let applicant = d.applicant.full_name.to_string();
    let person = |e: &Event| match e.actor.strip_prefix("staff:") {
        Some(u) => people.get(u).cloned().unwrap_or_else(|| u.to_owned()),
        None => applicant.clone(),
    };
    let payment = crate::payments::Payments::of(&state)
        .payment_view_alone(d, true)
        .await?
        .and_then(|p| p.vietqr.map(|q| (p.amount_display, q)));
    let seal = match crate::dossiers::forms::sealed(kind, &events) {
        Some((paper, at)) => crate::results::Results::of(&state).form_seal(paper, d, at).await,
        None => None,
    };
    let names = crate::dossiers::forms::Names {
        org: &org_name,
        person: &person,
        public_url: state.settings.public_url.as_deref(),
        payment,
        seal,
    };
    let html = crate::dossiers::forms::render(kind, d, &procedure, &events, attachments, &names).map_err(form_error)?;
    Ok(crate::api::printable(html))
}

fn form_error(e: crate::dossiers::forms::FormError) -> AppError {
    match e {
        crate::dossiers::forms::FormError::NotAvailable(m) => {
            AppError::new(Kind::Conflict, ErrorCode::FormNotAvailable, m)
        }
        crate::dossiers::forms::FormError::Render(m) => {
            tracing::error!(error = %m, "form");
            AppError::internal()
        }
    }
}
