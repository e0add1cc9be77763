use jiff::civil::date;

use super::*;
use crate::calendar::WorkCalendar;
use crate::catalog::TimeLimit;
use crate::payment::FeeQuote;
use crate::text::Name;
use crate::workflow::{Applicant, default_workflows, new_dossier};
use crate::{DossierCode, Vnd};

fn at(d: Date, h: i8) -> Timestamp {
    vietnam().to_timestamp(d.at(h, 0, 0, 0)).unwrap()
}

fn dossier(channel: Channel, submitted: Timestamp) -> Dossier {
    let wf = default_workflows().unwrap().remove(0);
    new_dossier(
        &wf,
        &WorkCalendar::default(),
        DossierCode::parse("001.00.37.H22-250303-0001").unwrap(),
        ProcedureCode::parse("1.004873").unwrap(),
        TimeLimit::working_days(5).unwrap(),
        Applicant {
            full_name: Name::parse("n", "Nguyễn Văn An").unwrap(),
            cccd: None,
            phone: None,
            email: None,
            address: None,
        },
        None,
        channel,
        OrgCode::parse("001.00.37.H22").unwrap(),
        OrgCode::parse("000.00.37.H22").unwrap(),
        channel == Channel::InPerson,
        submitted,
    )
    .unwrap()
}

fn ended(mut d: Dossier, status: Status, end: Timestamp) -> Dossier {
    d.status = status;
    d.finished_at = Some(end);
    d.step = None;
    d
}

#[test]
fn a_new_online_dossier_counts_once_as_received_and_open_without_a_due_day() {
    let d = dossier(Channel::Online, at(date(2025, 3, 3), 9));
    let c = contribution(&d);
    assert_eq!(c.days.len(), 1);
    assert_eq!(c.days[0].0, 20250303);
    assert_eq!(c.days[0].1.get(Measure::Received), 1);
    assert_eq!(c.days[0].1.get(Measure::InProgress), 1);
    assert_eq!(c.days[0].1.get(Measure::Digitised), 1);
    assert_eq!(c.days[0].1.get(Measure::Finished), 0);
    assert_eq!(c.open_due, Some(0));
    assert_eq!(Delta::between(Some(&c), Some(&c)), Delta::default());
}

#[test]
fn the_end_counts_on_its_own_day_with_time_spent_against_the_appointment() {
    let d = dossier(Channel::InPerson, at(date(2025, 3, 3), 9));
    let due = d.due_at.unwrap();
    assert_eq!(vn_date(due), date(2025, 3, 10));
    let before = contribution(&d);
    assert_eq!(before.open_due, Some(20250310));
    let d = ended(d, Status::Done, at(date(2025, 3, 6), 9));
    let c = contribution(&d);
    assert_eq!(c.open_due, None);
    let end = &c.days.iter().find(|(day, _)| *day == 20250306).unwrap().1;
    assert_eq!(end.get(Measure::Finished), 1);
    assert_eq!(end.get(Measure::OnTime), 1);
    assert_eq!(end.get(Measure::Early), 1);
    assert_eq!(end.get(Measure::SpentMinutes), 3 * 1440);
    assert_eq!(end.get(Measure::LimitMinutes), 7 * 1440);
    // Three days: the "≤ 3 days" bar.
    assert_eq!(end.histogram()[2], 1);
    let delta = Delta::between(Some(&before), Some(&c));
    assert_eq!(delta.open, vec![(before.key.clone(), 20250310, -1)]);
    let received_day = &delta.cells.iter().find(|(_, day, _)| *day == 20250303).unwrap().2;
    assert_eq!(received_day.get(Measure::InProgress), -1);
    assert_eq!(received_day.get(Measure::Done), 1);
    assert_eq!(received_day.get(Measure::Received), 0);
}

#[test]
fn apologies_and_a_second_supplement_request_make_a_dossier_late() {
    let base = dossier(Channel::InPerson, at(date(2025, 3, 3), 9));
    let due = base.due_at.unwrap();
    let mut apologised = base.clone();
    apologised.original_due_at = Some(due);
    apologised.due_at = Some(due + jiff::SignedDuration::from_hours(96));
    apologised.apologised = true;
    let apologised = ended(apologised, Status::Returned, due + jiff::SignedDuration::from_hours(48));
    let c = contribution(&apologised);
    let total = c.days.iter().fold(Counts::default(), |mut a, (_, c)| {
        a.add(c);
        a
    });
    assert_eq!((total.get(Measure::Late), total.get(Measure::OnTime), total.get(Measure::Apologised)), (1, 0, 1));
    let mut twice = base.clone();
    twice.supplement_requests = 2;
    let twice = ended(twice, Status::Done, at(date(2025, 3, 4), 9));
    let total = contribution(&twice).days.iter().fold(Counts::default(), |mut a, (_, c)| {
        a.add(c);
        a
    });
    assert_eq!((total.get(Measure::Late), total.get(Measure::Supplemented)), (1, 1));
    // Ended on the appointment day before its hour: on time, not early.
    let same_day = ended(base, Status::Done, due - jiff::SignedDuration::from_hours(1));
    let total = contribution(&same_day).days.iter().fold(Counts::default(), |mut a, (_, c)| {
        a.add(c);
        a
    });
    assert_eq!((total.get(Measure::OnTime), total.get(Measure::Early)), (1, 0));
}

#[test]
fn full_online_needs_an_online_submission_a_transfer_and_a_result() {
    let fee = FeeQuote { lines: vec![], total: Vnd::new(50_000).unwrap(), copies: 1, groups: vec![] };
    let mut d = dossier(Channel::Online, at(date(2025, 3, 3), 9));
    d.fee = Some(fee);
    d.received_at = Some(at(date(2025, 3, 3), 10));
    d.due_at = Some(at(date(2025, 3, 10), 10));
    let open = contribution(&d).days[0].1;
    assert_eq!((open.get(Measure::FeeBearing), open.get(Measure::Paid), open.get(Measure::FullOnline)), (1, 0, 0));
    let mut paid_desk = ended(d.clone(), Status::Returned, at(date(2025, 3, 5), 9));
    paid_desk.paid_via = Some(PaidVia::Desk);
    let c = contribution(&paid_desk).days[0].1;
    assert_eq!((c.get(Measure::Paid), c.get(Measure::Cashless), c.get(Measure::FullOnline)), (1, 0, 0));
    let mut paid_online = ended(d, Status::Returned, at(date(2025, 3, 5), 9));
    paid_online.paid_via = Some(PaidVia::Transfer);
    let c = contribution(&paid_online).days[0].1;
    assert_eq!((c.get(Measure::Paid), c.get(Measure::Cashless), c.get(Measure::FullOnline)), (1, 1, 1));
}

#[test]
fn figures_rates_and_the_median_come_from_the_sums() {
    let mut online = Counts::default();
    online.bump(Measure::Received, 3);
    online.bump(Measure::Finished, 4);
    online.bump(Measure::OnTime, 3);
    online.bump(Measure::Late, 1);
    online.bump(Measure::SpentMinutes, 4 * 1440);
    online.bump(Measure::LimitMinutes, 10 * 1440);
    online.0[Measure::Histogram as usize] = 1; // ≤ 1 day
    online.0[Measure::Histogram as usize + 3] = 3; // ≤ 5 days
    let mut desk = Counts::default();
    desk.bump(Measure::Received, 1);
    desk.bump(Measure::Rated, 2);
    desk.bump(Measure::Stars, 9);
    let f = Figures::compute(&[(Channel::Online, online), (Channel::InPerson, desk)], OpenNow::default());
    assert_eq!((f.received, f.received_online, f.received_in_person), (4, 3, 1));
    assert_eq!(f.online_share, Some(0.75));
    assert_eq!(f.on_time_rate, Some(0.75));
    assert_eq!(f.average_days, Some(1.0));
    assert_eq!(f.time_saved_share, Some(0.6));
    assert_eq!(f.median_days_at_most, Some(5));
    assert_eq!(f.satisfaction, Some(4.5));
    assert_eq!(f.cashless_share, None);
}

#[test]
fn the_default_index_weights_sum_to_100_and_bad_weights_are_refused() {
    let w = IndexWeights::default().check().unwrap();
    let f = Figures::compute(&[], OpenNow::default());
    // Nothing measured: every part is met.
    assert_eq!(index(&w, &f, &IndicatorValues::default()).total, 100.0);
    let mut bad = IndexWeights::default();
    bad.groups[0].parts[0].points = 10.0;
    assert!(bad.check().unwrap_err().0.contains("100"));
    let mut bad = IndexWeights::default();
    bad.groups[0].parts[0].indicator = "luck".into();
    assert!(bad.check().is_err());
}

#[test]
fn the_index_scales_each_part_up_to_its_threshold() {
    let w = IndexWeights::default();
    let mut c = Counts::default();
    c.bump(Measure::Received, 10);
    c.bump(Measure::Finished, 10);
    c.bump(Measure::OnTime, 5);
    c.bump(Measure::Rated, 1);
    c.bump(Measure::Stars, 5);
    let mut online = Counts::default();
    online.bump(Measure::Received, 10);
    let f = Figures::compute(&[(Channel::InPerson, c), (Channel::Online, online)], OpenNow::default());
    let s = index(&w, &f, &IndicatorValues { procedures: 10, procedures_online: 4 });
    let part = |k: &str| s.groups.iter().flat_map(|g| &g.parts).find(|p| p.indicator == k).unwrap().score;
    assert_eq!(part("on_time"), 7.0); // 50 % of 14 points
    assert_eq!(part("online_provision"), 4.0); // 40 % of the 80 % threshold → half of 8
    assert_eq!(part("online_dossiers"), 8.0); // 50 % reaches the threshold
    assert_eq!(part("satisfaction"), 18.0);
    assert!(s.total < 100.0 && s.total > 50.0);
}
