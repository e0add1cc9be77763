//! Appointments at any service point — a centre's desk service, a hospital department, a
//! doctor: slots with a capacity, bookings made, moved and cancelled with the confirmation
//! code and phone number, the day's list for staff. A slot never holds more bookings than its
//! capacity, however many book at once (the store takes a place with a conditional update).
//! Confirmations and reminders go through the notification outbox.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use motcua_domain::service::{ConfirmationCode, PointCode, PointKind};
use motcua_domain::{Account, AccountKind, Email, OrgCode, Phone, Role};
use motcua_store::service::{
    Appointment, AppointmentStatus, AppointmentStore, BookOutcome, Booking, NewSlot, ServicePoint, Slot,
};
use motcua_store::{CatalogStore, StoreError};
use serde::{Deserialize, Serialize};

use crate::app::{AppError, AppResult, AppState, ErrorCode, Kind};
use crate::calendar::source::rfc3339_vn;
use crate::service::{AppointmentNews, appointment_messages};

pub(crate) fn vn() -> jiff::tz::TimeZone {
    motcua_domain::calendar::vietnam()
}

/// The appointment use cases, holding only what they use: the organisations points belong
/// to (the catalog), the points, slots and bookings, and how messages go out (e-mail on or
/// not, the address links point to). Built per request from the shared state.
pub struct Appointments<'a> {
    orgs: &'a dyn CatalogStore,
    appointments: &'a dyn AppointmentStore,
    email_on: bool,
    public_url: &'a str,
}

impl<'a> Appointments<'a> {
    pub fn of(state: &'a AppState) -> Self {
        Self {
            orgs: state.store.as_ref(),
            appointments: state.store.as_ref(),
            email_on: state.email_on(),
            public_url: state.public_url(),
        }
    }

    /// The points of one organisation or all, active or not.
    pub async fn points(&self, org: Option<&OrgCode>) -> AppResult<Vec<ServicePoint>> {
        Ok(self.appointments.points(org).await?)
    }

    /// A slot by its number, if there is one.
    pub async fn slot(&self, id: i64) -> AppResult<Option<Slot>> {
        Ok(self.appointments.slot(id).await?)
    }

    /// Creates or changes a point: administrators of its organisation, and of the one it
    /// belonged to before; the organisation must exist, and the parent be another point.
    pub async fn save_point(&self, account: &Account, p: &ServicePoint) -> AppResult<()> {
        if !account.can_act(&p.org, Role::Administrator) {
            return Err(AppError::forbidden());
        }
        if let Some(old) = self.appointments.point(&p.code).await?
            && !account.can_act(&old.org, Role::Administrator)
        {
            return Err(AppError::forbidden());
        }
        if self.orgs.organisation(&p.org).await?.is_none() {
            return Err(AppError::new(Kind::Unprocessable, ErrorCode::MissingReference, "Không có cơ quan này"));
        }
        if let Some(parent) = &p.parent
            && (parent == &p.code || self.appointments.point(parent).await?.is_none())
        {
            return Err(AppError::new(Kind::Unprocessable, ErrorCode::MissingReference, "Điểm hẹn cha không hợp lệ"));
        }
        Ok(self.appointments.upsert_point(p).await?)
    }

    /// Publishes slots at a point (staff of the point); how many were new.
    pub async fn add_slots(&self, account: &Account, p: &ServicePoint, slots: &[NewSlot]) -> AppResult<u64> {
        if !staff_of(account, p) {
            return Err(AppError::forbidden());
        }
        Ok(self.appointments.add_slots(&p.code, slots).await?)
    }

    /// The booking as it is now (after a change).
    pub async fn reload(&self, b: Booking) -> AppResult<Booking> {
        Ok(self.appointments.booking(&b.appointment.code).await?.unwrap_or(b))
    }

    /// Marks that the person came (staff of the point): the booking as it is then.
    pub async fn attend(&self, account: &Account, b: Booking) -> AppResult<Booking> {
        if !staff_of(account, &b.point) {
            return Err(AppError::forbidden());
        }
        if !self.appointments.attend_appointment(&b.appointment.code, Timestamp::now()).await? {
            return Err(refused(BookOutcome::NotActive));
        }
        self.reload(b).await
    }

    pub async fn point_view(&self, p: &ServicePoint) -> AppResult<PointView> {
        let org_name = self.orgs.organisation(&p.org).await?.map_or_else(|| p.org.to_string(), |o| o.name.to_string());
        Ok(PointView {
            code: p.code.clone(),
            org: p.org.to_string(),
            org_name,
            name: p.name.clone(),
            kind: p.kind,
            kind_label: p.kind.label_vi().to_owned(),
            description: p.description.clone(),
            parent: p.parent.clone(),
            active: p.active,
        })
    }

    pub async fn point_of(&self, code: &str) -> AppResult<ServicePoint> {
        let code = PointCode::parse(code)?;
        self.appointments.point(&code).await?.ok_or_else(|| AppError::not_found(format!("Không có điểm hẹn {code}")))
    }

    /// The slots of days `[from, from + days)` that have not started.
    pub async fn upcoming_slots(&self, p: &ServicePoint, from: Date, days: i64) -> AppResult<Vec<Slot>> {
        let start = motcua_domain::stats::vietnam_midnight(from).max(Timestamp::now());
        let end = motcua_domain::stats::vietnam_midnight(from) + SignedDuration::from_hours(24 * days);
        Ok(self.appointments.slots(&p.code, start, end).await?)
    }

    pub async fn booking_view(&self, b: &Booking, full_phone: bool) -> AppResult<BookingView> {
        Ok(BookingView {
            code: b.appointment.code.to_string(),
            status: b.appointment.status.as_str().to_owned(),
            full_name: b.appointment.full_name.clone(),
            phone: if full_phone {
                b.appointment.phone.clone()
            } else {
                crate::notifications::mask_phone(&b.appointment.phone)
            },
            note: b.appointment.note.clone(),
            point: self.point_view(&b.point).await?,
            slot: slot_view(&b.slot),
        })
    }

    /// Books a place: the booking, or the error to answer with.
    pub async fn make_booking(&self, account: Option<&Account>, req: BookRequest) -> AppResult<Booking> {
        let full_name = text(&req.full_name, "Họ và tên", 100, true)?;
        let phone = Phone::parse(&req.phone)?;
        let email = req.email.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(Email::parse).transpose()?;
        let note = text(&req.note, "Nội dung", 500, false)?;
        let now = Timestamp::now();
        for _ in 0..5 {
            let code = crate::service::new_confirmation_code().map_err(|_| AppError::internal())?;
            let appointment = Appointment {
                code: code.clone(),
                slot_id: req.slot_id,
                full_name: full_name.clone(),
                phone: phone.as_str().to_owned(),
                email: email.as_ref().map(|e| e.as_str().to_owned()),
                note: note.clone(),
                account_id: account.filter(|a| a.kind == AccountKind::Citizen).map(|a| a.id),
                status: AppointmentStatus::Booked,
                created_at: now,
                updated_at: now,
                reminded_for: None,
            };
            // The messages need the slot and point: build them from what the booking will be.
            let preview = self.preview(&appointment).await?;
            let notes = appointment_messages(AppointmentNews::Booked, &preview, self.email_on, self.public_url);
            match self.appointments.book(req.slot_id, &appointment, &notes, now).await {
                Ok(BookOutcome::Booked(b)) => {
                    tracing::info!(slot = req.slot_id, "appointment booked");
                    return Ok(*b);
                }
                Ok(other) => return Err(refused(other)),
                // A confirmation code already taken: draw another.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::internal())
    }

    /// The booking an appointment would make in its slot (for its messages).
    pub(crate) async fn preview(&self, a: &Appointment) -> AppResult<Booking> {
        let slot = self.appointments.slot(a.slot_id).await?.ok_or_else(|| refused(BookOutcome::NoSlot))?;
        let point = self.appointments.point(&slot.point).await?.ok_or_else(|| refused(BookOutcome::NoSlot))?;
        Ok(Booking { appointment: a.clone(), slot, point })
    }

    /// Who may see or change a booking: whoever has its code and phone number, the citizen who
    /// booked it signed in, and staff of the point. Anyone else gets the same 404 as for a code
    /// that does not exist.
    pub async fn booking_for(
        &self,
        code: &str,
        phone: Option<&str>,
        account: Option<&Account>,
    ) -> AppResult<(Booking, bool)> {
        let not_found = || AppError::not_found("Không tìm thấy lịch hẹn với mã và số điện thoại này");
        let code = ConfirmationCode::parse(code).map_err(|_| not_found())?;
        let b = self.appointments.booking(&code).await?.ok_or_else(not_found)?;
        let staff = account.is_some_and(|a| staff_of(a, &b.point));
        let owner = account.is_some_and(|a| Some(a.id) == b.appointment.account_id);
        let phone_ok = phone.and_then(|p| Phone::parse(p).ok()).is_some_and(|p| p.as_str() == b.appointment.phone);
        if staff || owner || phone_ok { Ok((b, staff)) } else { Err(not_found()) }
    }

    /// Moves a booking to another slot of the point.
    pub async fn move_booking(&self, b: &Booking, slot_id: i64) -> AppResult<Booking> {
        let mut target = b.clone();
        target.slot = self.appointments.slot(slot_id).await?.ok_or_else(|| refused(BookOutcome::NoSlot))?;
        let notes = appointment_messages(AppointmentNews::Moved, &target, self.email_on, self.public_url);
        match self.appointments.reschedule(&b.appointment.code, slot_id, &notes, Timestamp::now()).await? {
            BookOutcome::Booked(moved) => Ok(*moved),
            other => Err(refused(other)),
        }
    }

    /// Cancels a booking and gives its place back.
    pub async fn cancel_booking(&self, b: &Booking) -> AppResult<()> {
        let notes = appointment_messages(AppointmentNews::Cancelled, b, self.email_on, self.public_url);
        if self.appointments.cancel_appointment(&b.appointment.code, &notes, Timestamp::now()).await? {
            Ok(())
        } else {
            Err(refused(BookOutcome::NotActive))
        }
    }

    /// The bookings of a day at a point (staff of the point), by time.
    pub async fn day_bookings(&self, p: &ServicePoint, day: Date) -> AppResult<Vec<Booking>> {
        let start = motcua_domain::stats::vietnam_midnight(day);
        Ok(self.appointments.appointments_between(&p.code, start, start + SignedDuration::from_hours(24)).await?)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PointView {
    #[schema(value_type = String)]
    pub code: PointCode,
    pub org: String,
    pub org_name: String,
    pub name: String,
    pub kind: PointKind,
    pub kind_label: String,
    pub description: String,
    #[schema(value_type = Option<String>)]
    pub parent: Option<PointCode>,
    pub active: bool,
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    pub id: i64,
    /// RFC 3339, Vietnam time.
    pub starts_at: String,
    pub ends_at: String,
    /// `dd/mm/yyyy`
    pub date: String,
    /// `HH:MM–HH:MM`
    pub time: String,
    pub capacity: i64,
    pub free: i64,
}

pub fn slot_view(s: &Slot) -> SlotView {
    let z = s.starts_at.to_zoned(vn());
    let e = s.ends_at.to_zoned(vn());
    SlotView {
        id: s.id,
        starts_at: rfc3339_vn(s.starts_at),
        ends_at: rfc3339_vn(s.ends_at),
        date: z.strftime("%d/%m/%Y").to_string(),
        time: format!("{}–{}", z.strftime("%H:%M"), e.strftime("%H:%M")),
        capacity: s.capacity,
        free: (s.capacity - s.booked).max(0),
    }
}

/// Staff who may publish slots and see the bookings: an administrator or desk officer of the
/// point's organisation.
pub(crate) fn staff_of(account: &Account, p: &ServicePoint) -> bool {
    account.can_act(&p.org, Role::Administrator) || account.can_act(&p.org, Role::DeskOfficer)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BookingView {
    /// The confirmation code.
    pub code: String,
    /// `booked`, `cancelled`, `attended`
    pub status: String,
    pub full_name: String,
    /// Masked unless staff of the point ask (`09******78`).
    pub phone: String,
    pub note: String,
    pub point: PointView,
    pub slot: SlotView,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookRequest {
    pub slot_id: i64,
    pub full_name: String,
    pub phone: String,
    pub email: Option<String>,
    /// What the visit is about (at most 500 characters).
    #[serde(default)]
    pub note: String,
}

pub(crate) fn refused(outcome: BookOutcome) -> AppError {
    match outcome {
        BookOutcome::Full => {
            AppError::new(Kind::Conflict, ErrorCode::SlotFull, "Khung giờ này đã hết chỗ, vui lòng chọn khung giờ khác")
        }
        BookOutcome::NoSlot => AppError::new(
            Kind::Conflict,
            ErrorCode::SlotUnavailable,
            "Khung giờ không còn nhận đặt lịch (đã qua hoặc không có)",
        ),
        BookOutcome::NotActive | BookOutcome::Booked(_) => {
            AppError::new(Kind::Conflict, ErrorCode::AppointmentNotActive, "Lịch hẹn đã hủy hoặc đã hoàn thành")
        }
    }
}

/// A day from a query (`dd/mm/yyyy` or `yyyy-mm-dd`), today when absent.
pub fn parse_day_param(v: Option<&str>) -> AppResult<Date> {
    day_or(v, crate::statistics::figures::today())
}

pub(crate) fn text(v: &str, what: &str, max: usize, required: bool) -> AppResult<String> {
    let v = motcua_domain::text::nfc(v.trim());
    if (required && v.is_empty()) || v.chars().count() > max || v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::bad_request(ErrorCode::InvalidText, format!("{what}: bắt buộc, tối đa {max} ký tự")));
    }
    Ok(v)
}

pub(crate) fn day_or(v: Option<&str>, default: Date) -> AppResult<Date> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => crate::statistics::figures::parse_date(s).ok_or_else(|| {
            AppError::bad_request(ErrorCode::InvalidDate, format!("Ngày không hợp lệ: «{s}» (dd/mm/yyyy)"))
        }),
    }
}
