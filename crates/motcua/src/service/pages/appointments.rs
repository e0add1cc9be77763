//! `/lich-hen`: booking an appointment at a service point (a centre's desk, a hospital
//! department, a doctor) without an account — choose a time with free places, give a name
//! and phone, keep the confirmation code; change or cancel with code and phone. Staff of the
//! point see the day's list at `/quay/lich-hen` and mark who came.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use motcua_domain::AccountKind;
use motcua_store::service::{Booking, ServicePoint};
use serde::Deserialize;

use crate::app::AppState;
use crate::service::appointments::{Appointments, BookRequest, SlotView, slot_view};
use crate::web::page::{Nav, PageCtx, other_lang_href, render, render_status, server_error};
use crate::web::texts::Texts;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/lich-hen", get(points))
        .route("/lich-hen/tra-cuu", get(find).post(find_post))
        .route("/lich-hen/doi", post(move_post))
        .route("/lich-hen/huy", post(cancel_post))
        .route("/lich-hen/diem/{point}", get(point_page).post(book_post))
        .route("/quay/lich-hen", get(day_page).post(attend_post))
}

/// (code, name, kind, organisation)
type PointRow = (String, String, String, String);

#[derive(Template)]
#[template(path = "web/appointments.html")]
struct PointsPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    points: Vec<PointRow>,
}

async fn points(State(state): State<AppState>, cx: PageCtx) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let booking = Appointments::of(&state);
    let all = match booking.points(None).await {
        Ok(p) => p,
        Err(e) => return server_error(t, &uri, e.message),
    };
    let mut rows = Vec::new();
    for p in all.iter().filter(|p| p.active) {
        match booking.point_view(p).await {
            Ok(v) => rows.push((v.code.to_string(), v.name, v.kind_label, v.org_name)),
            Err(e) => return server_error(t, &uri, e.message),
        }
    }
    render(PointsPage { t, nav, other_lang_href: other_lang_href(&uri, t.lang_value()), points: rows })
}

/// One day's free times.
pub struct DaySlots {
    /// `Thứ Tư, 02/12/2026`
    date: String,
    /// `02/12/2026`
    day: String,
    /// `02-12-2026`, as the link to the day says it.
    key: String,
    slots: Vec<SlotView>,
    /// Free places that day, all times together.
    free: i64,
}

/// Where a citizen is in booking, one decision per screen (a phone shows one at a time): the
/// day (`?ngay=02-12-2026`), then the time (`&gio=<slot>`), then their details.
#[derive(Debug, Default, Deserialize)]
pub struct PointQuery {
    ngay: Option<String>,
    gio: Option<i64>,
}

/// The day of the week in Vietnam, as a calendar says it.
fn weekday(t: &Texts, at: Timestamp) -> &'static str {
    use jiff::civil::Weekday::*;
    let vi_en = match at.to_zoned(motcua_domain::calendar::vietnam()).weekday() {
        Monday => ("Thứ Hai", "Monday"),
        Tuesday => ("Thứ Ba", "Tuesday"),
        Wednesday => ("Thứ Tư", "Wednesday"),
        Thursday => ("Thứ Năm", "Thursday"),
        Friday => ("Thứ Sáu", "Friday"),
        Saturday => ("Thứ Bảy", "Saturday"),
        Sunday => ("Chủ nhật", "Sunday"),
    };
    t.pick(vi_en.0, vi_en.1)
}

#[derive(Template)]
#[template(path = "web/appointment_point.html")]
struct PointPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    code: String,
    name: String,
    kind: String,
    org: String,
    days: Vec<DaySlots>,
    /// The day chosen (an index into `days`), then the time chosen on it.
    day: Option<usize>,
    slot: Option<SlotView>,
    full_name: String,
    phone: String,
    email: String,
    note: String,
    message: String,
}

impl PointPage {
    /// Chooses the day and time the query names, if they are among the free ones.
    fn choose(&mut self, q: &PointQuery) {
        if let Some(id) = q.gio {
            for (i, d) in self.days.iter().enumerate() {
                if let Some(s) = d.slots.iter().find(|s| s.id == id) {
                    self.day = Some(i);
                    self.slot = Some(s.clone());
                    return;
                }
            }
        }
        self.day = q.ngay.as_deref().and_then(|k| self.days.iter().position(|d| d.key == k));
    }

    /// The chosen day's entry, for the template.
    fn chosen_day(&self) -> Option<&DaySlots> {
        self.day.and_then(|i| self.days.get(i))
    }
}

async fn point_page_of(state: &AppState, cx: &PageCtx, point: &str) -> Result<PointPage, Response> {
    let t = cx.t;
    let booking = Appointments::of(state);
    let p = match booking.point_of(point).await {
        Ok(p) if p.active => p,
        Ok(_) | Err(_) => {
            return Err(cx.refused(
                StatusCode::NOT_FOUND,
                t.not_found_title,
                t.pick("Không có điểm hẹn này", "No such appointment point").into(),
            ));
        }
    };
    let view = booking.point_view(&p).await.map_err(|e| server_error(t, &cx.uri, e.message))?;
    let slots = booking
        .upcoming_slots(&p, crate::statistics::figures::today(), 14)
        .await
        .map_err(|e| server_error(t, &cx.uri, e.message))?;
    let mut days: Vec<DaySlots> = Vec::new();
    for slot in slots.iter().filter(|s| s.booked < s.capacity) {
        let s = slot_view(slot);
        match days.last_mut() {
            Some(d) if d.day == s.date => {
                d.free += s.free;
                d.slots.push(s);
            }
            _ => days.push(DaySlots {
                date: format!("{}, {}", weekday(t, slot.starts_at), s.date),
                day: s.date.clone(),
                key: s.date.replace('/', "-"),
                free: s.free,
                slots: vec![s],
            }),
        }
    }
    let citizen = cx.account.as_ref().filter(|a| a.kind == AccountKind::Citizen);
    Ok(PointPage {
        t,
        nav: cx.nav.clone(),
        other_lang_href: other_lang_href(&cx.uri, t.lang_value()),
        code: p.code.to_string(),
        name: p.name.clone(),
        kind: view.kind_label,
        org: view.org_name,
        days,
        day: None,
        slot: None,
        full_name: citizen.map(|a| a.full_name.to_string()).unwrap_or_default(),
        phone: citizen.and_then(|a| a.phone.as_ref()).map(|p| p.as_str().to_owned()).unwrap_or_default(),
        email: citizen.and_then(|a| a.email.as_ref()).map(|e| e.as_str().to_owned()).unwrap_or_default(),
        note: String::new(),
        message: String::new(),
    })
}

async fn point_page(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(point): Path<String>,
    Query(q): Query<PointQuery>,
) -> Response {
    match point_page_of(&state, &cx, &point).await {
        Ok(mut p) => {
            p.choose(&q);
            render(p)
        }
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct BookForm {
    csrf: String,
    #[serde(default)]
    slot: Option<i64>,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "web/appointment_booking.html")]
struct BookingPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    code: String,
    status: String,
    active: bool,
    full_name: String,
    /// Carried in the change and cancel forms (the holder typed it).
    phone: String,
    point: String,
    org: String,
    date: String,
    time: String,
    note: String,
    /// Other times of the point with a free place.
    others: Vec<SlotView>,
    notice: String,
    message: String,
}

async fn booking_page(
    state: &AppState,
    cx: &PageCtx,
    b: &Booking,
    phone: &str,
    notice: String,
    message: String,
) -> Response {
    let t = cx.t;
    let booking = Appointments::of(state);
    let org = match booking.point_view(&b.point).await {
        Ok(v) => v.org_name,
        Err(e) => return server_error(t, &cx.uri, e.message),
    };
    let others = match booking.upcoming_slots(&b.point, crate::statistics::figures::today(), 14).await {
        Ok(s) => s.iter().filter(|s| s.id != b.slot.id && s.booked < s.capacity).map(slot_view).collect(),
        Err(e) => return server_error(t, &cx.uri, e.message),
    };
    let slot = slot_view(&b.slot);
    let a = &b.appointment;
    let status = match a.status {
        motcua_store::service::AppointmentStatus::Booked => t.pick("Đã đặt", "Booked"),
        motcua_store::service::AppointmentStatus::Cancelled => t.pick("Đã hủy", "Cancelled"),
        motcua_store::service::AppointmentStatus::Attended => t.pick("Đã đến", "Attended"),
    };
    render(BookingPage {
        t,
        nav: cx.nav.clone(),
        other_lang_href: other_lang_href(&cx.uri, t.lang_value()),
        code: a.code.to_string(),
        status: status.to_owned(),
        active: a.status == motcua_store::service::AppointmentStatus::Booked && b.slot.starts_at > Timestamp::now(),
        full_name: a.full_name.clone(),
        phone: phone.to_owned(),
        point: b.point.name.clone(),
        org,
        date: slot.date,
        time: slot.time,
        note: a.note.clone(),
        others,
        notice,
        message,
    })
}

async fn book_post(
    State(state): State<AppState>,
    cx: PageCtx,
    Path(point): Path<String>,
    form: Result<Form<BookForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match cx.posted(form.map(|Form(f)| f), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let t = cx.t;
    let again = |mut page: PointPage, status: StatusCode, message: String| {
        page.choose(&PointQuery { ngay: None, gio: f.slot });
        page.full_name = f.full_name.clone();
        page.phone = f.phone.clone();
        page.email = f.email.clone();
        page.note = f.note.clone();
        page.message = message;
        render_status(status, page)
    };
    let page = match point_page_of(&state, &cx, &point).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(slot) = f.slot else {
        return again(
            page,
            StatusCode::BAD_REQUEST,
            t.pick("Vui lòng chọn một khung giờ.", "Please choose a time.").into(),
        );
    };
    // Only this point's slots are offered here.
    match Appointments::of(&state).slot(slot).await {
        Ok(Some(s)) if s.point.as_str() == page.code => {}
        Ok(_) => {
            return again(
                page,
                StatusCode::BAD_REQUEST,
                t.pick("Khung giờ không hợp lệ.", "Not a time of this point.").into(),
            );
        }
        Err(e) => return server_error(t, &cx.uri, e),
    }
    let req = BookRequest {
        slot_id: slot,
        full_name: f.full_name.clone(),
        phone: f.phone.clone(),
        email: Some(f.email.clone()),
        note: f.note.clone(),
    };
    match Appointments::of(&state).make_booking(cx.account.as_ref(), req).await {
        Ok(b) => {
            let notice = t
                .pick(
                    "Đã đặt lịch hẹn. Hãy ghi lại mã xác nhận; tin nhắn xác nhận đã được gửi tới số điện thoại của bạn.",
                    "Booked. Keep the confirmation code; a confirmation was sent to your phone.",
                )
                .to_owned();
            booking_page(&state, &cx, &b, &b.appointment.phone.clone(), notice, String::new()).await
        }
        Err(e) if e.status() == StatusCode::INTERNAL_SERVER_ERROR => server_error(t, &cx.uri, e.message),
        Err(e) => {
            // Slots may have filled in the meantime: show them as they are now.
            let page = match point_page_of(&state, &cx, &point).await {
                Ok(p) => p,
                Err(r) => return r,
            };
            again(page, e.status(), e.message)
        }
    }
}

#[derive(Deserialize)]
pub struct FindQuery {
    ma: Option<String>,
}

#[derive(Template)]
#[template(path = "web/appointment_find.html")]
struct FindPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    code: String,
    message: String,
}

async fn find(cx: PageCtx, Query(q): Query<FindQuery>) -> Response {
    let PageCtx { t, nav, uri, .. } = cx;
    let code = q.ma.unwrap_or_default().chars().take(20).collect();
    render(FindPage { t, nav, other_lang_href: other_lang_href(&uri, t.lang_value()), code, message: String::new() })
}

#[derive(Deserialize)]
pub struct HolderForm {
    csrf: String,
    #[serde(default)]
    ma: String,
    #[serde(default)]
    sdt: String,
    #[serde(default)]
    slot: Option<i64>,
}

/// The booking the form names, or the find page with the reason.
async fn held(state: &AppState, cx: &PageCtx, f: &HolderForm) -> Result<Booking, Response> {
    match Appointments::of(state).booking_for(&f.ma, Some(&f.sdt), cx.account.as_ref()).await {
        Ok((b, _)) => Ok(b),
        Err(e) if e.status() == StatusCode::INTERNAL_SERVER_ERROR => Err(server_error(cx.t, &cx.uri, e.message)),
        Err(e) => Err(render_status(
            e.status(),
            FindPage {
                t: cx.t,
                nav: cx.nav.clone(),
                other_lang_href: other_lang_href(&cx.uri, cx.t.lang_value()),
                code: f.ma.chars().take(20).collect(),
                message: e.message,
            },
        )),
    }
}

/// A posted holder form whose token checks out, and the booking it names.
async fn posted_held(
    state: &AppState,
    cx: &PageCtx,
    form: Result<Form<HolderForm>, axum::extract::rejection::FormRejection>,
) -> Result<(HolderForm, Booking), Response> {
    let f = cx.posted(form.map(|Form(f)| f), |f| &f.csrf)?;
    let b = held(state, cx, &f).await?;
    Ok((f, b))
}

async fn find_post(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<Form<HolderForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    match posted_held(&state, &cx, form).await {
        Ok((f, b)) => booking_page(&state, &cx, &b, &f.sdt, String::new(), String::new()).await,
        Err(r) => r,
    }
}

async fn move_post(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<Form<HolderForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (f, b) = match posted_held(&state, &cx, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = cx.t;
    match Appointments::of(&state).move_booking(&b, f.slot.unwrap_or_default()).await {
        Ok(moved) => {
            let notice = t.pick("Đã đổi giờ hẹn.", "The time was changed.").to_owned();
            booking_page(&state, &cx, &moved, &f.sdt, notice, String::new()).await
        }
        Err(e) if e.status() == StatusCode::INTERNAL_SERVER_ERROR => server_error(t, &cx.uri, e.message),
        Err(e) => {
            let status = e.status();
            let mut r = booking_page(&state, &cx, &b, &f.sdt, String::new(), e.message).await;
            *r.status_mut() = status;
            r
        }
    }
}

async fn cancel_post(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<Form<HolderForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (f, b) = match posted_held(&state, &cx, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = cx.t;
    if let Err(e) = Appointments::of(&state).cancel_booking(&b).await
        && e.status() == StatusCode::INTERNAL_SERVER_ERROR
    {
        return server_error(t, &cx.uri, e.message);
    }
    let b = match Appointments::of(&state).reload(b).await {
        Ok(b) => b,
        Err(e) => return server_error(t, &cx.uri, e.message),
    };
    booking_page(
        &state,
        &cx,
        &b,
        &f.sdt,
        t.pick("Đã hủy lịch hẹn.", "The appointment was cancelled.").into(),
        String::new(),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Staff

#[derive(Template)]
#[template(path = "web/appointment_day.html")]
struct DayPage {
    t: &'static Texts,
    nav: Nav,
    other_lang_href: String,
    /// (code, name, selected)
    points: Vec<(String, String, bool)>,
    point: String,
    date: String,
    /// (code, time, name, phone, note, status, can mark attended)
    rows: Vec<(String, String, String, String, String, String, bool)>,
    message: String,
}

#[derive(Deserialize)]
pub struct DayQuery {
    diem: Option<String>,
    ngay: Option<String>,
}

async fn day_view(state: &AppState, cx: &PageCtx, point: Option<&str>, day: Option<&str>) -> Result<DayPage, Response> {
    let t = cx.t;
    let Some(account) = cx.account.as_ref().filter(|a| a.kind == AccountKind::Staff) else {
        return Err(crate::web::page::login_redirect(t, &cx.uri));
    };
    let booking = Appointments::of(state);
    let all = booking.points(None).await.map_err(|e| server_error(t, &cx.uri, e.message))?;
    let mine: Vec<&ServicePoint> = all
        .iter()
        .filter(|p| {
            account.can_act(&p.org, motcua_domain::Role::Administrator)
                || account.can_act(&p.org, motcua_domain::Role::DeskOfficer)
        })
        .collect();
    let Some(first) = mine.first() else {
        return Err(cx.refused(
            StatusCode::FORBIDDEN,
            t.error_title,
            t.pick("Cơ quan của bạn chưa có điểm nhận lịch hẹn.", "Your organisation takes no appointments.").into(),
        ));
    };
    let chosen = point.and_then(|c| mine.iter().find(|p| p.code.as_str() == c)).unwrap_or(first);
    let date = match crate::service::appointments::parse_day_param(day) {
        Ok(d) => d,
        Err(e) => {
            return Err(cx.refused(StatusCode::BAD_REQUEST, t.error_title, e.message));
        }
    };
    let list = booking.day_bookings(chosen, date).await.map_err(|e| server_error(t, &cx.uri, e.message))?;
    let rows = list
        .iter()
        .map(|b| {
            let a = &b.appointment;
            (
                a.code.to_string(),
                slot_view(&b.slot).time,
                a.full_name.clone(),
                a.phone.clone(),
                a.note.clone(),
                a.status.as_str().to_owned(),
                a.status == motcua_store::service::AppointmentStatus::Booked,
            )
        })
        .collect();
    Ok(DayPage {
        t,
        nav: cx.nav.clone(),
        other_lang_href: other_lang_href(&cx.uri, t.lang_value()),
        points: mine.iter().map(|p| (p.code.to_string(), p.name.clone(), p.code == chosen.code)).collect(),
        point: chosen.code.to_string(),
        date: date.strftime("%d/%m/%Y").to_string(),
        rows,
        message: String::new(),
    })
}

async fn day_page(State(state): State<AppState>, cx: PageCtx, Query(q): Query<DayQuery>) -> Response {
    match day_view(&state, &cx, q.diem.as_deref(), q.ngay.as_deref()).await {
        Ok(p) => render(p),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct AttendForm {
    csrf: String,
    diem: String,
    ngay: String,
    ma: String,
}

async fn attend_post(
    State(state): State<AppState>,
    cx: PageCtx,
    form: Result<Form<AttendForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match cx.posted(form.map(|Form(f)| f), |f| &f.csrf) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let t = cx.t;
    let booking = Appointments::of(&state);
    let not_found = || t.pick("Không tìm thấy lịch hẹn này.", "No such appointment.").into();
    let Some(account) = cx.account.as_ref() else { return crate::web::page::login_redirect(t, &cx.uri) };
    let message = match booking.booking_for(&f.ma, None, Some(account)).await {
        Ok((b, true)) => match booking.attend(account, b).await {
            Ok(_) => String::new(),
            Err(e) if e.status() == StatusCode::CONFLICT => {
                t.pick("Lịch hẹn đã hủy hoặc đã ghi nhận.", "Cancelled or already marked.").into()
            }
            Err(e) => return server_error(t, &cx.uri, e.message),
        },
        Ok((_, false)) | Err(_) => not_found(),
    };
    match day_view(&state, &cx, Some(&f.diem), Some(&f.ngay)).await {
        Ok(mut p) => {
            p.message = message;
            render(p)
        }
        Err(r) => r,
    }
}
