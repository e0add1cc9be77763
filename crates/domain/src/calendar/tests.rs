use jiff::civil::{Date, date};

use super::*;

fn day_list(cal: &WorkCalendar, year: i16) -> Vec<(Date, HolidayKind)> {
    cal.holidays(year).unwrap().into_iter().map(|h| (h.date, h.kind)).collect()
}

/// The 2025 announcements: Tết 25/01–02/02 (27/01 off in place of the compensatory 03/02),
/// and 30/04–04/05 (02/05 off, Saturday 26/04 worked).
fn calendar_2025() -> WorkCalendar {
    let adj = |d: Date, kind, name: &str| Adjustment { date: d, kind, name: name.into() };
    WorkCalendar::new(
        CalendarRules::default(),
        vec![
            adj(date(2025, 1, 27), AdjustmentKind::Off, "Nghỉ bù Tết Ất Tỵ"),
            adj(date(2025, 2, 3), AdjustmentKind::Work, "Đi làm (đã nghỉ bù ngày 27/01)"),
            adj(date(2025, 5, 2), AdjustmentKind::Off, "Nghỉ hoán đổi"),
            adj(date(2025, 4, 26), AdjustmentKind::Work, "Làm bù cho ngày 02/05"),
        ],
    )
    .unwrap()
}

fn at(d: Date, h: i8, m: i8) -> Timestamp {
    vietnam().to_timestamp(d.at(h, m, 0, 0)).unwrap()
}

fn local(t: Timestamp) -> jiff::civil::DateTime {
    t.to_zoned(vietnam()).datetime()
}

#[test]
fn statutory_holidays_2025_by_the_rules() {
    use HolidayKind::*;
    let cal = WorkCalendar::default();
    assert_eq!(
        day_list(&cal, 2025),
        vec![
            (date(2025, 1, 1), Statutory),
            (date(2025, 1, 28), Statutory), // last day of the lunar year
            (date(2025, 1, 29), Statutory), // mùng 1
            (date(2025, 1, 30), Statutory),
            (date(2025, 1, 31), Statutory),
            (date(2025, 2, 1), Statutory),    // a Saturday…
            (date(2025, 2, 3), Compensatory), // …so Monday off
            (date(2025, 4, 7), Statutory),    // Giỗ Tổ Hùng Vương
            (date(2025, 4, 30), Statutory),
            (date(2025, 5, 1), Statutory),
            (date(2025, 9, 1), Statutory),
            (date(2025, 9, 2), Statutory),
        ]
    );
}

#[test]
fn weekend_holidays_are_compensated_on_the_next_working_days() {
    // 2022: 1/1 was a Saturday (off Monday 3/1); 30/4 Saturday and 1/5 Sunday (off 2/5 and 3/5).
    let days = day_list(&WorkCalendar::default(), 2022);
    for d in [date(2022, 1, 3), date(2022, 5, 2), date(2022, 5, 3)] {
        assert!(days.contains(&(d, HolidayKind::Compensatory)), "{d}: {days:?}");
    }
    assert!(!days.iter().any(|(d, _)| *d == date(2022, 5, 4)));
}

#[test]
fn announced_swaps_override_the_rules() {
    let cal = calendar_2025();
    let days = day_list(&cal, 2025);
    assert!(days.contains(&(date(2025, 1, 27), HolidayKind::Announced)));
    assert!(!days.iter().any(|(d, _)| *d == date(2025, 2, 3)), "worked instead");
    assert!(cal.is_working_day(date(2025, 4, 26)).unwrap(), "Saturday worked");
    assert!(!cal.is_working_day(date(2025, 5, 2)).unwrap());
    assert!(cal.is_working_day(date(2025, 2, 3)).unwrap());
    // Only Saturday 26/04 is a weekend day worked; Monday 03/02 is simply not a day off.
    assert_eq!(cal.working_weekend_days(2025).iter().map(|a| a.date).collect::<Vec<_>>(), vec![date(2025, 4, 26)]);
    // Nine days off in a row around Tết: 25/01 to 02/02.
    let mut d = date(2025, 1, 25);
    while d <= date(2025, 2, 2) {
        assert!(!cal.is_working_day(d).unwrap(), "{d}");
        d = d.tomorrow().unwrap();
    }
}

#[test]
fn configurable_tet_and_national_day() {
    let rules = CalendarRules {
        tet_days_before: 2,
        tet_days_after: 2,
        national_day_extra: NationalDayExtra::After,
        ..Default::default()
    };
    let cal = WorkCalendar::new(rules, vec![]).unwrap();
    let days: Vec<Date> = cal.holidays(2025).unwrap().into_iter().map(|h| h.date).collect();
    assert!(days.contains(&date(2025, 1, 27)) && days.contains(&date(2025, 1, 31)));
    assert!(!days.contains(&date(2025, 2, 1)));
    assert!(days.contains(&date(2025, 9, 3)) && !days.contains(&date(2025, 9, 1)));
}

#[test]
fn every_year_1990_to_2100_has_its_holidays() {
    let cal = WorkCalendar::default();
    for year in FIRST_YEAR..=LAST_YEAR {
        let hs = cal.holidays(year).unwrap();
        let statutory = hs.iter().filter(|h| h.kind == HolidayKind::Statutory && h.date.year() == year).count();
        // 11 days, or 10/12 when a year's Tết eve falls in the previous/next Gregorian year
        // (never between 1990 and 2100: Tết is always in January or February).
        assert_eq!(statutory, 11, "{year}: {hs:?}");
    }
    assert_eq!(cal.holidays(1989), Err(CalendarError::YearOutOfRange));
    assert_eq!(cal.holidays(2101), Err(CalendarError::YearOutOfRange));
}

#[test]
fn due_in_working_days_keeps_the_clock_time() {
    let cal = calendar_2025();
    let d = cal.due(at(date(2025, 3, 3), 9, 0), TimeLimit::WorkingDays { value: 3 }).unwrap();
    assert_eq!(local(d.clock_start), date(2025, 3, 3).at(9, 0, 0, 0));
    assert_eq!(local(d.due_at), date(2025, 3, 6).at(9, 0, 0, 0));
    // Friday afternoon → Monday, same time.
    let d = cal.due(at(date(2025, 3, 7), 14, 0), TimeLimit::WorkingDays { value: 1 }).unwrap();
    assert_eq!(local(d.due_at), date(2025, 3, 10).at(14, 0, 0, 0));
}

#[test]
fn after_the_cutoff_the_clock_starts_next_working_day() {
    let cal = calendar_2025();
    let d = cal.due(at(date(2025, 3, 3), 16, 0), TimeLimit::WorkingDays { value: 3 }).unwrap();
    assert_eq!(local(d.clock_start), date(2025, 3, 4).at(7, 30, 0, 0));
    assert_eq!(local(d.due_at), date(2025, 3, 6).at(17, 0, 0, 0), "end of day, not 07:30 next morning");
    // Received on a Saturday night: counts from Monday.
    let d = cal.due(at(date(2025, 3, 8), 21, 0), TimeLimit::WorkingDays { value: 1 }).unwrap();
    assert_eq!(local(d.due_at), date(2025, 3, 10).at(17, 0, 0, 0));
    // Exactly at the cut-off counts as after it.
    let d = cal.due(at(date(2025, 3, 3), 15, 0), TimeLimit::Immediate).unwrap();
    assert_eq!(local(d.due_at), date(2025, 3, 4).at(17, 0, 0, 0));
}

#[test]
fn hours_skip_the_lunch_break_and_nights() {
    let cal = calendar_2025();
    let d = cal.due(at(date(2025, 3, 3), 12, 0), TimeLimit::WorkingHours { value: 4 }).unwrap();
    assert_eq!(local(d.clock_start), date(2025, 3, 3).at(13, 30, 0, 0));
    assert_eq!(local(d.due_at), date(2025, 3, 4).at(8, 0, 0, 0));
    let d = cal.due(at(date(2025, 3, 3), 6, 15), TimeLimit::WorkingHours { value: 4 }).unwrap();
    assert_eq!(local(d.due_at), date(2025, 3, 3).at(11, 30, 0, 0));
}

#[test]
fn deadlines_jump_over_tet() {
    // With the announced swaps: received Monday 27/01 (a day off) → clock starts 03/02.
    let cal = calendar_2025();
    let d = cal.due(at(date(2025, 1, 27), 10, 0), TimeLimit::WorkingDays { value: 2 }).unwrap();
    assert_eq!(local(d.clock_start), date(2025, 2, 3).at(7, 30, 0, 0));
    assert_eq!(local(d.due_at), date(2025, 2, 4).at(17, 0, 0, 0));
    // By the rules alone 27/01 is worked and 03/02 is the compensatory day.
    let plain = WorkCalendar::default();
    let d = plain.due(at(date(2025, 1, 27), 10, 0), TimeLimit::WorkingDays { value: 2 }).unwrap();
    assert_eq!(local(d.due_at), date(2025, 2, 5).at(10, 0, 0, 0));
}

#[test]
fn calendar_days_end_on_a_working_day() {
    let cal = calendar_2025();
    let d = cal.due(at(date(2025, 3, 3), 9, 0), TimeLimit::CalendarDays { value: 15 }).unwrap();
    assert_eq!(local(d.due_at), date(2025, 3, 18).at(17, 0, 0, 0));
    // 3/3 + 12 days = Saturday 15/3 → Monday 17/3.
    let d = cal.due(at(date(2025, 3, 3), 9, 0), TimeLimit::CalendarDays { value: 12 }).unwrap();
    assert_eq!(local(d.due_at), date(2025, 3, 17).at(17, 0, 0, 0));
}

#[test]
fn due_is_never_before_receipt_and_working_days_are_monotonic() {
    let cal = calendar_2025();
    let mut t = at(date(2025, 1, 1), 0, 0);
    let end = at(date(2025, 12, 31), 23, 0);
    while t < end {
        let mut previous = None;
        for n in 1..=5 {
            let d = cal.due(t, TimeLimit::WorkingDays { value: n }).unwrap();
            assert!(d.due_at > t && d.clock_start >= t, "{t}: {d:?}");
            assert!(previous.is_none_or(|p| d.due_at > p), "{t}, {n} days");
            assert_eq!(cal.working_minutes_between(d.clock_start, d.due_at).unwrap(), i64::from(n) * 450, "{t}, {n}");
            previous = Some(d.due_at);
        }
        t = t.checked_add(jiff::SignedDuration::from_mins(97)).unwrap();
    }
}

#[test]
fn working_minutes_between() {
    let cal = calendar_2025();
    assert_eq!(cal.working_minutes_between(at(date(2025, 3, 3), 9, 0), at(date(2025, 3, 4), 9, 0)).unwrap(), 450);
    assert_eq!(cal.working_minutes_between(at(date(2025, 3, 7), 16, 0), at(date(2025, 3, 10), 8, 0)).unwrap(), 90);
    assert_eq!(cal.working_minutes_between(at(date(2025, 3, 4), 9, 0), at(date(2025, 3, 3), 9, 0)).unwrap(), 0);
}

#[test]
fn bad_configuration_and_adjustments_are_refused() {
    use jiff::civil::time;
    assert!(
        WorkingHours::new(
            (time(11, 0, 0, 0), time(8, 0, 0, 0)),
            (time(13, 0, 0, 0), time(17, 0, 0, 0)),
            time(15, 0, 0, 0)
        )
        .is_err()
    );
    assert!(
        WorkingHours::new(
            (time(8, 0, 0, 0), time(12, 0, 0, 0)),
            (time(13, 0, 0, 0), time(17, 0, 0, 0)),
            time(18, 0, 0, 0)
        )
        .is_err()
    );
    let twice = vec![
        Adjustment { date: date(2025, 5, 2), kind: AdjustmentKind::Off, name: "a".into() },
        Adjustment { date: date(2025, 5, 2), kind: AdjustmentKind::Work, name: "b".into() },
    ];
    assert!(WorkCalendar::new(CalendarRules::default(), twice).is_err());
    assert!(parse_adjustments(r#"[{"date":"2025-05-02","kind":"off","name":""}]"#).is_err());
    assert!(parse_adjustments(r#"[{"date":"2025-05-02","kind":"holiday","name":"x"}]"#).is_err());
    assert!(parse_adjustments(r#"[{"date":"1900-05-02","kind":"off","name":"x"}]"#).is_err());
    assert_eq!(parse_adjustments(r#"[{"date":"2025-05-02","kind":"off","name":" x "}]"#).unwrap()[0].name, "x");
}
