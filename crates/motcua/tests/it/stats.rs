//! The operations centre through the real HTTP API, on SQLite and PostgreSQL: figures with
//! known answers from scripted dossiers (supplement requests, an apology, a refusal, a
//! withdrawal), figures over synthetic dossiers (supplements restarting or pausing the clock,
//! apologies) checked against an independent recount from the raw event rows, filters,
//! exports (CSV and XLSX read back) and bad input.

use crate::common;

use std::collections::HashMap;

use common::{TestApp, assert_error, json};
use jiff::Timestamp;
use motcua_domain::stats::vn_date;
use motcua_store::Store;
use serde_json::{Value, json};

on_both_backends!(
    scripted_dossiers_give_known_figures,
    figures_equal_a_recount_from_the_raw_events,
    the_operations_centre_reads_equal_each_view_read_apart,
    tables_export_as_csv_and_xlsx,
    bad_filters_are_refused_with_a_code,
);

async fn act(app: &TestApp, user: &str, code: &str, body: Value) -> Value {
    let token = app.token(user).await;
    let (s, v) = json(app.post_json(&format!("/api/v1/dossiers/{code}/actions"), &token, body).await).await;
    assert_eq!(s, 200, "{user}: {v}");
    v
}

async fn submit(app: &TestApp) -> String {
    let token = app.token("congdan").await;
    app.submit_online(&token).await["code"].as_str().unwrap().to_owned()
}

async fn to_returned(app: &TestApp, code: &str) {
    act(app, "halong.chuyenvien", code, json!({"action": "forward"})).await;
    act(app, "halong.lanhdao", code, json!({"action": "approve"})).await;
    act(app, "halong.vanthu", code, json!({"action": "sign"})).await;
    act(app, "halong.motcua", code, json!({"action": "return_result"})).await;
}

async fn summary(app: &TestApp, query: &str) -> Value {
    let (s, v) = json(app.get(&format!("/api/v1/stats/summary?{query}")).await).await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn scripted_dossiers_give_known_figures(app: TestApp) {
    let supplement = json!({"action": "request_supplement", "reason": "Thiếu giấy tờ", "items": ["Bản sao"]});
    // 1: received and returned the same day: on time, early; rated 4.
    let d1 = submit(&app).await;
    act(&app, "halong.motcua", &d1, json!({"action": "receive"})).await;
    to_returned(&app, &d1).await;
    let citizen = app.token("congdan").await;
    let r = app.post_json(&format!("/api/v1/dossiers/{d1}/rating"), &citizen, json!({"stars": 4})).await;
    assert!(r.status().is_success(), "{}", r.status());
    // 2: two supplement requests after reception: late by the 766 formula.
    let d2 = submit(&app).await;
    act(&app, "halong.motcua", &d2, json!({"action": "receive"})).await;
    for _ in 0..2 {
        act(&app, "halong.chuyenvien", &d2, supplement.clone()).await;
        act(&app, "congdan", &d2, json!({"action": "supplement", "note": "Đã bổ sung"})).await;
    }
    to_returned(&app, &d2).await;
    // 3: an apology moves the appointment; the verdict is taken against the original one, which
    // this dossier still meets (a missed one stays late: the domain tests and the recount).
    let d3 = submit(&app).await;
    let v = act(&app, "halong.motcua", &d3, json!({"action": "receive"})).await;
    let due: Timestamp = v["due_at"].as_str().unwrap().parse().unwrap();
    let new_due = (due + jiff::SignedDuration::from_hours(72)).to_string();
    act(&app, "halong.lanhdao", &d3, json!({"action": "apologise", "reason": "Cần xác minh", "new_due_at": new_due}))
        .await;
    to_returned(&app, &d3).await;
    // 4: refused at the desk (before reception: no appointment, not counted for timeliness).
    let d4 = submit(&app).await;
    act(&app, "halong.motcua", &d4, json!({"action": "refuse", "reason": "Không thuộc thẩm quyền"})).await;
    // 5: withdrawn by the applicant.
    let d5 = submit(&app).await;
    act(&app, "congdan", &d5, json!({"action": "withdraw", "reason": "Nộp nhầm"})).await;
    // 6: received, still open; 7: submitted, not yet received.
    let d6 = submit(&app).await;
    act(&app, "halong.motcua", &d6, json!({"action": "receive"})).await;
    submit(&app).await;

    let today = vn_date(Timestamp::now());
    let q = format!("from={today}&to={today}");
    let v = summary(&app, &q).await;
    let f = &v["figures"];
    let get = |k: &str| f[k].as_i64().unwrap_or_else(|| panic!("{k}: {f}"));
    assert_eq!(
        [get("received"), get("returned"), get("refused"), get("withdrawn"), get("in_progress"), get("done")],
        [7, 3, 1, 1, 2, 0],
        "{f}"
    );
    assert_eq!((get("received_online"), get("received_in_person")), (7, 0));
    assert_eq!(f["online_share"], 1.0);
    assert_eq!([get("finished"), get("on_time"), get("early"), get("late")], [3, 2, 2, 1], "{f}");
    assert_eq!(f["on_time_rate"].as_f64().unwrap(), 2.0 / 3.0);
    assert_eq!((get("apologised"), get("supplemented")), (1, 1));
    assert_eq!(f["supplement_rate"].as_f64().unwrap(), 1.0 / 7.0);
    assert_eq!((get("rated"), f["satisfaction"].as_f64()), (1, Some(4.0)));
    // Done the same day: within one day, so the median bound is one day.
    assert_eq!(f["median_days_at_most"], 1);
    assert_eq!(f["histogram"][0]["dossiers"], 3);
    // Open now: the received one and the new one; nothing overdue yet.
    assert_eq!(f["open_now"], json!({"open": 2, "overdue": 0, "due_soon": 0}));
    assert_eq!(v["savings"]["online_dossiers"], 7);
    assert_eq!(v["savings"]["travel_saved"], 7 * 50_000);

    // The same dossiers seen through the filters.
    let ha_long = app.org_of("halong.chuyenvien").await;
    assert_eq!(summary(&app, &format!("{q}&org={ha_long}")).await["figures"]["received"], 7);
    assert_eq!(summary(&app, &format!("{q}&channel=in_person")).await["figures"]["received"], 0);
    assert_eq!(summary(&app, &format!("{q}&level=commune")).await["figures"]["received"], 7);
    assert_eq!(summary(&app, &format!("{q}&level=province")).await["figures"]["received"], 0);
    assert_eq!(summary(&app, &format!("{q}&procedure=1.004873")).await["figures"]["received"], 7);
    let other = app.org_of("stp.chuyenvien").await;
    assert_eq!(summary(&app, &format!("{q}&org={other}")).await["figures"]["received"], 0);
    // Yesterday had nothing.
    let y = today.yesterday().unwrap();
    assert_eq!(summary(&app, &format!("from={y}&to={y}")).await["figures"]["received"], 0);

    // Breakdown, series, ranking and centres agree with the summary.
    let (_, b) = json(app.get(&format!("/api/v1/stats/breakdown?{q}&by=org")).await).await;
    let rows = b["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{b}");
    assert_eq!((rows[0]["key"].as_str(), rows[0]["figures"]["late"].as_i64()), (Some(ha_long.as_str()), Some(1)));
    let (_, s) = json(app.get(&format!("/api/v1/stats/series?{q}&by=day")).await).await;
    assert_eq!(s["rows"].as_array().unwrap().len(), 1);
    assert_eq!(s["rows"][0]["figures"]["received"], 7);
    let (_, ranking) = json(app.get(&format!("/api/v1/stats/index?{q}")).await).await;
    let top = &ranking["rows"][0];
    assert_eq!((top["rank"].as_i64(), top["org"].as_str()), (Some(1), Some(ha_long.as_str())));
    let on_time_part = top["index"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["parts"].as_array().unwrap())
        .find(|p| p["indicator"] == "on_time")
        .unwrap();
    // 14 points × 2/3 on time.
    assert_eq!(on_time_part["score"].as_f64().unwrap(), 9.33);
    let total: f64 =
        top["index"]["groups"].as_array().unwrap().iter().map(|g| g["score"].as_f64().unwrap()).sum::<f64>();
    assert!((total - top["index"]["total"].as_f64().unwrap()).abs() < 0.011);
    let (_, centres) = json(app.get("/api/v1/stats/centres").await).await;
    let c = centres["rows"].as_array().unwrap().iter().find(|c| c["org"] == ha_long.as_str()).unwrap();
    assert_eq!((c["received_today"].as_i64(), c["finished_today"].as_i64()), (Some(7), Some(3)));
    assert_eq!(c["open_now"]["open"], 2);
    // The apology is in the dossier's events with the date it moved.
    let events = app.db.store.events(&motcua_domain::DossierCode::parse(&d3).unwrap()).await.unwrap();
    assert!(events.iter().any(|e| e.action == "apologise"));

    // An organisation counts with its children: a residence registration at Hạ Long's police
    // shows under the province police, not under Hạ Long's people's committee.
    let body = json!({"procedure": "1.004194", "org": "002.00.37.H22"});
    let (s, v) = json(app.post_json("/api/v1/dossiers", &citizen, body).await).await;
    assert_eq!(s, 201, "{v}");
    let received = |org: &'static str| {
        let (app, q) = (&app, q.clone());
        async move { summary(app, &format!("{q}&org={org}")).await["figures"]["received"].as_i64().unwrap() }
    };
    assert_eq!(received("002.00.37.H22").await, 1);
    assert_eq!(received("000.00.21.H22").await, 1);
    assert_eq!(summary(&app, &format!("{q}&org={ha_long}")).await["figures"]["received"], 7);
    assert_eq!(summary(&app, &q).await["figures"]["received"], 8);

    // What the store keeps equals a recomputation from the dossiers.
    assert_eq!(app.db.store.stat_snapshot().await.unwrap(), app.db.store.recompute_stats().await.unwrap());
}

/// What the oracle reads of one dossier, from its event rows only.
#[derive(Default, Debug)]
struct Recount {
    received: i64,
    online: i64,
    returned: i64,
    refused: i64,
    withdrawn: i64,
    open: i64,
    finished: i64,
    on_time: i64,
    late: i64,
    supplemented: i64,
    apologised: i64,
    paid: i64,
    cashless: i64,
    spent_minutes: i64,
}

/// Counts dossiers submitted in `from..=to` and ended in it, replaying each dossier's
/// events with the calendar: the appointment is computed from the reception (or the last
/// completed supplement, which restarts the limit), an apology's old date is the appointment
/// it missed, more than one supplement request is late.
async fn recount(app: &TestApp, from: jiff::civil::Date, to: jiff::civil::Date) -> Recount {
    let store = &app.db.store;
    let cal = motcua::calendar::source::CalendarSource::new(Default::default()).current(store.as_ref()).await.unwrap();
    let mut out = Recount::default();
    let mut all = Vec::new();
    let mut page = motcua_store::DossierPage::first(500);
    loop {
        let found = store.list_dossiers(&motcua_store::DossierFilter::default(), &page).await.unwrap();
        all.extend(found.items);
        match found.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    let mut limits: HashMap<String, motcua_domain::TimeLimit> = HashMap::new();
    for d in all {
        let events = store.events(&d.code).await.unwrap();
        let at = |e: &motcua_domain::audit::Event| Timestamp::from_microsecond(e.at_us).unwrap();
        let first = &events[0];
        let details: Value = serde_json::from_str(&first.details).unwrap();
        let submitted = vn_date(at(first));
        let limit = match limits.get(d.procedure.as_str()) {
            Some(l) => *l,
            None => {
                let l = store.procedure(&d.procedure).await.unwrap().unwrap().time_limit;
                limits.insert(d.procedure.to_string(), l);
                l
            }
        };
        let last = events.last().unwrap().to_status;
        let in_period = |day: jiff::civil::Date| day >= from && day <= to;
        if in_period(submitted) {
            out.received += 1;
            if details["channel"] == "online" {
                out.online += 1;
            }
            match last {
                10 => out.returned += 1,
                3 => out.refused += 1,
                7 => out.withdrawn += 1,
                1 | 2 | 4 | 5 | 6 => out.open += 1,
                _ => {}
            }
        }
        let mut received_at = (first.to_status == 2).then(|| at(first));
        let mut appointment = received_at.map(|r| cal.due(r, limit).unwrap().due_at);
        let mut requests = 0;
        let mut apology_old = None;
        let mut end = None;
        for e in &events[1..] {
            let det: Value = serde_json::from_str(&e.details).unwrap_or(Value::Null);
            match e.action.as_str() {
                "receive" => {
                    received_at = Some(at(e));
                    appointment = Some(cal.due(at(e), limit).unwrap().due_at);
                }
                "request_supplement" if received_at.is_some() => requests += 1,
                "supplement" => {
                    if let Some(n) = det["new_due_at"].as_str() {
                        appointment = Some(n.parse().unwrap());
                    }
                }
                "apologise" => apology_old = Some(det["old_due_at"].as_str().unwrap().parse::<Timestamp>().unwrap()),
                "confirm_payment" if in_period(submitted) => {
                    out.paid += 1;
                    if e.actor.starts_with("gateway:") {
                        out.cashless += 1;
                    }
                }
                _ => {}
            }
            if end.is_none() && matches!(e.to_status, 3 | 8 | 9 | 10) {
                end = Some(at(e));
            }
        }
        if in_period(submitted) {
            if requests > 0 {
                out.supplemented += 1;
            }
            if apology_old.is_some() {
                out.apologised += 1;
            }
        }
        let appointment = apology_old.or(appointment);
        if let (Some(end), Some(due)) = (end, appointment)
            && in_period(vn_date(end))
        {
            out.finished += 1;
            if requests > 1 || end > due {
                out.late += 1;
            } else {
                out.on_time += 1;
            }
            if let Some(r) = received_at {
                out.spent_minutes += (end - r).get_seconds().div_euclid(60);
            }
        }
    }
    out
}

/// `count` synthetic dossiers of a year up to now (supplements restarting the clock): the
/// store, the calendar and the plan (for more with another seed or mode).
async fn synthetic_year(
    app: &TestApp,
    count: u64,
    seed: u64,
) -> (std::sync::Arc<dyn Store>, motcua_domain::calendar::WorkCalendar, motcua_bench::synthetic::Plan) {
    let store: std::sync::Arc<dyn Store> = app.db.store.clone();
    let cal = motcua::calendar::source::CalendarSource::new(Default::default()).current(store.as_ref()).await.unwrap();
    let owner = motcua_bench::synthetic::ensure_sample_citizen(store.as_ref()).await.unwrap();
    let plan = motcua_bench::synthetic::Plan {
        count,
        seed,
        now: Timestamp::now(),
        owner,
        mode: motcua_domain::workflow::SupplementMode::Restart,
    };
    let n = motcua_bench::synthetic::generate(&store, cal.clone(), plan, &|_| {}).await.unwrap();
    assert_eq!(n, count);
    (store, cal, plan)
}

async fn figures_equal_a_recount_from_the_raw_events(app: TestApp) {
    let (store, cal, plan) = synthetic_year(&app, 600, 42).await;
    let now = plan.now;
    // And 300 more where waiting for a supplement pauses the clock instead of restarting it.
    let paused = motcua_bench::synthetic::Plan {
        count: 300,
        seed: 43,
        mode: motcua_domain::workflow::SupplementMode::Pause,
        ..plan
    };
    assert_eq!(motcua_bench::synthetic::generate(&store, cal.clone(), paused, &|_| {}).await.unwrap(), 300);
    // Live changes on top: the counters follow the API too.
    let d = submit(&app).await;
    act(&app, "halong.motcua", &d, json!({"action": "receive"})).await;
    act(&app, "halong.chuyenvien", &d, json!({"action": "request_supplement", "reason": "Thiếu", "items": ["Ảnh"]}))
        .await;
    act(&app, "congdan", &d, json!({"action": "supplement"})).await;
    to_returned(&app, &d).await;

    assert_eq!(store.stat_snapshot().await.unwrap(), store.recompute_stats().await.unwrap());
    let today = vn_date(now);
    // Three periods: the whole year, one ragged stretch across months, and one month.
    let periods = [
        (today.checked_sub(jiff::Span::new().days(400)).unwrap(), today),
        (
            today.checked_sub(jiff::Span::new().days(100)).unwrap(),
            today.checked_sub(jiff::Span::new().days(17)).unwrap(),
        ),
        (
            jiff::civil::date(today.year(), today.month(), 1).checked_sub(jiff::Span::new().months(2)).unwrap(),
            jiff::civil::date(today.year(), today.month(), 1)
                .checked_sub(jiff::Span::new().months(1))
                .unwrap()
                .last_of_month(),
        ),
    ];
    // The API's summary reads the summary and the savings at once (one read by channel): the
    // same figures as each read alone, with and without filters.
    let stats = motcua::statistics::figures::Stats::new(store.clone(), store.clone(), Default::default());
    let clock = motcua::statistics::figures::clock(&cal, Timestamp::now());
    for (from, to) in periods {
        for channel in [None, Some("online"), Some("in_person")] {
            let scope = motcua::statistics::figures::StatsParams {
                from: Some(from.to_string()),
                to: Some(to.to_string()),
                channel: channel.map(str::to_owned),
                ..Default::default()
            }
            .scope()
            .unwrap();
            let (figures, savings) = stats.summary_and_savings(&scope, &clock).await.unwrap();
            assert_eq!(figures, stats.summary(&scope, &clock).await.unwrap());
            assert_eq!(savings, stats.savings(&scope).await.unwrap());
            assert!(figures.received > 0 || channel.is_some(), "{from}..{to}: the sample has dossiers");
        }
    }
    for (from, to) in periods {
        let expected = recount(&app, from, to).await;
        let v = summary(&app, &format!("from={from}&to={to}")).await;
        let f = &v["figures"];
        let got = |k: &str| f[k].as_i64().unwrap();
        let pairs = [
            ("received", expected.received),
            ("received_online", expected.online),
            ("returned", expected.returned),
            ("refused", expected.refused),
            ("withdrawn", expected.withdrawn),
            ("in_progress", expected.open),
            ("finished", expected.finished),
            ("on_time", expected.on_time),
            ("late", expected.late),
            ("supplemented", expected.supplemented),
            ("apologised", expected.apologised),
            ("paid", expected.paid),
            ("cashless", expected.cashless),
        ];
        for (k, want) in pairs {
            assert_eq!(got(k), want, "{k} for {from}..{to}: {f}");
        }
        if expected.finished > 0 {
            let avg = expected.spent_minutes as f64
                / f["histogram"].as_array().unwrap().iter().map(|b| b["dossiers"].as_i64().unwrap()).sum::<i64>()
                    as f64
                / 1440.0;
            assert!((f["average_days"].as_f64().unwrap() - avg).abs() < 1e-9, "{avg} {f}");
        }
        assert!(expected.received > 0, "the period {from}..{to} has dossiers");
    }
    // A year of realistic dossiers: most online, some late, some supplements, some apologies.
    let year = recount(&app, periods[0].0, today).await;
    assert!(year.online * 2 > year.received, "{year:?}");
    assert!(year.late > 0 && year.supplemented > 0 && year.apologised > 0 && year.cashless > 0, "{year:?}");
    // `stats check` on the command line agrees (exit 0), a damaged counter makes it fail.
    app.db
        .execute_raw("UPDATE stat_days SET received = received + 1 WHERE day = (SELECT MIN(day) FROM stat_days)")
        .await;
    assert_ne!(store.stat_snapshot().await.unwrap(), store.recompute_stats().await.unwrap());
    store.rebuild_stats().await.unwrap();
    assert_eq!(store.stat_snapshot().await.unwrap(), store.recompute_stats().await.unwrap());
}

/// The operations centre reads its headline, trend, ranking, centres and field table together
/// (the year summed once by organisation, this month's part apart, the trend and the field
/// table with only the measures they show): each equals the same view read on its own, for
/// periods that end today (the centres from this month's part), end earlier or start inside
/// this month (the centres read apart), with and without an organisation or a channel.
async fn the_operations_centre_reads_equal_each_view_read_apart(app: TestApp) {
    let (store, cal, _) = synthetic_year(&app, 700, 7).await;
    // And one received today through the API, so today's column has a dossier.
    let d = submit(&app).await;
    act(&app, "halong.motcua", &d, json!({"action": "receive"})).await;

    use motcua::statistics::figures::{By, Stats, StatsParams, clock, month_start};
    let stats = Stats::new(store.clone(), store.clone(), Default::default());
    let clock = clock(&cal, Timestamp::now());
    let today = clock.today;
    let days = |n: i64| today.checked_sub(jiff::Span::new().days(n)).unwrap();
    let this_month = month_start(today);
    let periods = [
        (days(400), today),
        (days(45), today),
        (this_month, today),
        (days(300), days(20)),
        (today, today),
        (days(90), this_month.checked_sub(jiff::Span::new().days(1)).unwrap()),
    ];
    let ha_long = app.org_of("halong.chuyenvien").await;
    let mut ranked = 0;
    for (from, to) in periods {
        for (org, channel) in [(None, None), (Some(ha_long.clone()), None), (None, Some("online"))] {
            let scope = StatsParams {
                from: Some(from.to_string()),
                to: Some(to.to_string()),
                org: org.clone(),
                channel: channel.map(str::to_owned),
                ..Default::default()
            }
            .scope()
            .unwrap();
            let at = format!("{from}..{to} {org:?} {channel:?}");
            for monthly in [true, false] {
                let ops = stats.operations(&scope, &clock, monthly).await.unwrap();
                assert_eq!(ops.figures, stats.summary(&scope, &clock).await.unwrap(), "{at}");
                assert_eq!(ops.savings, stats.savings(&scope).await.unwrap(), "{at}");
                let series = stats.series(&scope, monthly).await.unwrap();
                assert_eq!(ops.ranking, stats.ranking(&scope, &clock).await.unwrap(), "{at}");
                assert_eq!(ops.centres, stats.centres(&scope, &clock).await.unwrap(), "{at}");
                // The trend: what its chart draws, row by row.
                let drawn = |rows: &[motcua::statistics::figures::FigureRow]| -> Vec<_> {
                    rows.iter()
                        .map(|r| {
                            let f = &r.figures;
                            let by_channel = (f.received_in_person, f.received_online, f.received_post);
                            (r.key.clone(), r.label.clone(), by_channel, f.finished, f.on_time, f.on_time_rate)
                        })
                        .collect()
                };
                assert_eq!(drawn(&ops.trend), drawn(&series), "{at}");
                // The field table: what its columns show.
                let shown = |rows: &[motcua::statistics::figures::FigureRow]| -> Vec<_> {
                    rows.iter()
                        .map(|r| {
                            let f = &r.figures;
                            (r.key.clone(), r.label.clone(), f.received, f.online_share, f.on_time_rate, f.average_days)
                        })
                        .collect()
                };
                let by_field = stats.breakdown(&scope, By::Field, &clock).await.unwrap();
                assert_eq!(shown(&ops.by_field), shown(&by_field), "{at}");
                ranked += ops.ranking.len();
            }
            if from == days(400) && org.is_none() && channel.is_none() {
                let ops = stats.operations(&scope, &clock, true).await.unwrap();
                assert!(ops.figures.received > 700, "{at}: {}", ops.figures.received);
                assert!(ops.centres.iter().any(|c| c.received_today > 0), "{at}: today's dossier in the centres");
                assert!(ops.centres.iter().any(|c| c.on_time_rate_month.is_some()) || today.day() <= 3, "{at}");
                assert!(ops.by_field.len() > 1 && ops.trend.len() > 12, "{at}");
            }
        }
    }
    assert!(ranked > 0, "some organisation is ranked");
}

async fn tables_export_as_csv_and_xlsx(app: TestApp) {
    let d = submit(&app).await;
    act(&app, "halong.motcua", &d, json!({"action": "receive"})).await;
    to_returned(&app, &d).await;
    let today = vn_date(Timestamp::now());
    let q = format!("from={}&to={}", today.strftime("%d/%m/%Y"), today.strftime("%d/%m/%Y"));
    let ha_long = app.org_of("halong.chuyenvien").await;
    for path in ["breakdown", "index", "centres", "series"] {
        let r = app.get(&format!("/api/v1/stats/{path}?{q}&format=csv")).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = r.text().await.unwrap();
        assert!(text.starts_with('\u{feff}'), "BOM");
        let lines: Vec<&str> = text.trim_end().lines().collect();
        assert!(lines.len() >= 2, "{path}: {text}");
        if path != "series" {
            assert!(lines[1..].iter().any(|l| l.contains(&ha_long)), "{path}: {text}");
        }
    }
    let r = app.get(&format!("/api/v1/stats/breakdown?{q}&by=org&format=xlsx")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let bytes = r.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("phan-tich.xlsx");
    std::fs::write(&file, &bytes).unwrap();
    // Read back with Python's zipfile: the sheet holds the organisation and its count.
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile, re\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             strings = re.findall(r'<t[^>]*>([^<]*)</t>', z.read('xl/sharedStrings.xml').decode())\n\
             sheet = z.read('xl/worksheets/sheet1.xml').decode()\n\
             row2 = re.search(r'<row r=\"2\".*?</row>', sheet).group(0)\n\
             cells = re.findall(r'<c r=\"([A-Z]+)2\"([^>]*)><v>([^<]*)</v>', row2)\n\
             print('|'.join(strings[int(v)] if 't=\"s\"' in a else v for _, a, v in cells))",
        )
        .arg(&file)
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let row = String::from_utf8(out.stdout).unwrap();
    let cells: Vec<&str> = row.trim().split('|').collect();
    assert_eq!(cells[0], ha_long, "{row}");
    assert!(cells[1].contains("Hạ Long"), "{row}");
    assert_eq!(cells[2], "1", "received: {row}");
}

async fn bad_filters_are_refused_with_a_code(app: TestApp) {
    for q in [
        "from=32/01/2025",
        "from=2025-02-01&to=2025-01-01",
        "from=01/01/2000&to=01/01/2025",
        "org=khong-co",
        "org=000.00.99.H99",
        "channel=fax",
        "level=huyen",
        "procedure=%20%3Cscript%3E",
    ] {
        let m = assert_error(app.get(&format!("/api/v1/stats/summary?{q}")).await, 400, "invalid_filter").await;
        assert!(!m.contains("panic"), "{q}: {m}");
    }
    assert_error(app.get("/api/v1/stats/breakdown?by=color").await, 400, "invalid_filter").await;
    assert_error(app.get("/api/v1/stats/index?format=pdf").await, 400, "invalid_format").await;
    assert_error(app.get("/api/v1/stats/series?by=day&from=01/01/2024&to=31/12/2025").await, 400, "invalid_filter")
        .await;
    // The page answers a bad filter with its error page, not a 500.
    let r = app.get("/ioc?from=hom-qua").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("dd/mm/yyyy"));
}
