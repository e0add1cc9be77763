//! Escalation rules of a workflow step: "due within N working days → remind the assignee",
//! "overdue → tell the organisation's leaders". Each fires once per dossier, step and due
//! time; the application layer finds the dossiers a rule calls for and queues the messages.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, WorkCalendar};

/// When a rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EscalateAt {
    /// The due time is `working_days` working days away or nearer.
    DueWithin,
    /// The due time has passed.
    Overdue,
}

/// Whom it tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Notify {
    /// The officer assigned, or, with nobody assigned, everyone holding the step's role there.
    Assignee,
    /// The leaders of the organisation where the dossier waits (listed on their escalations).
    Leader,
}

impl Notify {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assignee => "assignee",
            Self::Leader => "leader",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub at: EscalateAt,
    /// For `due_within`: how many working days before the due time (at least 1).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub working_days: u8,
    pub notify: Notify,
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

impl Escalation {
    /// The rule's name within its step: `due_within_1:assignee`, `overdue:leader`.
    pub fn key(&self) -> String {
        match self.at {
            EscalateAt::DueWithin => format!("due_within_{}:{}", self.working_days, self.notify.as_str()),
            EscalateAt::Overdue => format!("overdue:{}", self.notify.as_str()),
        }
    }

    /// At `now`, the rule calls for the dossiers due at or before this time (overdue: before it).
    pub fn due_before(&self, calendar: &WorkCalendar, now: Timestamp) -> Result<Timestamp, CalendarError> {
        match self.at {
            EscalateAt::Overdue => Ok(now),
            EscalateAt::DueWithin => {
                let minutes = i64::from(self.working_days) * calendar.rules().hours.minutes_per_day();
                calendar.working_time_after(now, minutes)
            }
        }
    }

    /// Whether a dossier due at `due` calls for the rule at `now`.
    pub fn applies(&self, due: Timestamp, calendar: &WorkCalendar, now: Timestamp) -> Result<bool, CalendarError> {
        Ok(match self.at {
            EscalateAt::Overdue => now > due,
            EscalateAt::DueWithin => due <= self.due_before(calendar, now)?,
        })
    }

    /// The rule's own sense: a `due_within` of 1 to 30 working days, an `overdue` without days.
    pub fn problem(&self) -> Option<&'static str> {
        match (self.at, self.working_days) {
            (EscalateAt::DueWithin, 1..=30) | (EscalateAt::Overdue, 0) => None,
            (EscalateAt::DueWithin, _) => Some("nhắc trước hạn phải từ 1 đến 30 ngày làm việc"),
            (EscalateAt::Overdue, _) => Some("quá hạn không kèm số ngày"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::CalendarRules;

    #[test]
    fn rules_fire_at_their_working_day_moment() {
        let cal = WorkCalendar::new(CalendarRules::default(), vec![]).unwrap();
        let at = |s: &str| {
            s.parse::<jiff::civil::DateTime>().unwrap().to_zoned(crate::calendar::vietnam()).unwrap().timestamp()
        };
        let remind = Escalation { at: EscalateAt::DueWithin, working_days: 1, notify: Notify::Assignee };
        let late = Escalation { at: EscalateAt::Overdue, working_days: 0, notify: Notify::Leader };
        // Due Monday 7 December 2026 at 17:00; Friday 4 December at 16:00 is more than a
        // working day before (Saturday and Sunday do not count), Friday at 17:00 is one, and
        // so is the whole weekend.
        let due = at("2026-12-07T17:00");
        assert!(!remind.applies(due, &cal, at("2026-12-04T16:00")).unwrap());
        assert!(remind.applies(due, &cal, at("2026-12-04T17:00")).unwrap());
        assert!(remind.applies(due, &cal, at("2026-12-06T10:00")).unwrap());
        // After the afternoon cut-off the time in hand still counts (reminders are not receptions).
        assert!(!remind.applies(due, &cal, at("2026-12-04T16:59")).unwrap());
        assert!(!late.applies(due, &cal, at("2026-12-07T17:00")).unwrap(), "at the due time it is not late yet");
        assert!(late.applies(due, &cal, at("2026-12-07T17:01")).unwrap());
        assert_eq!((remind.key(), late.key()), ("due_within_1:assignee".to_owned(), "overdue:leader".to_owned()));
        assert!(remind.problem().is_none() && late.problem().is_none());
        assert!(Escalation { working_days: 0, ..remind }.problem().is_some());
        assert!(Escalation { working_days: 2, ..late }.problem().is_some());
    }
}
