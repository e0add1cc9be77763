//! Kiosks, queues and appointments over the real HTTP server, on SQLite and PostgreSQL:
//! tickets and counters, the live board, one-time codes that sign a citizen in at a kiosk,
//! bookings changed and cancelled by code and phone, reminders, and the last place of a
//! slot taken by 100 clients at once.

use crate::common;

use std::time::Duration;

use common::{TestApp, assert_error, json};
use serde_json::{Value, json};

// As deployed behind a reverse proxy on this machine: the 100 clients racing for the last
// place are 100 people, each with the address the proxy saw (X-Forwarded-For).
on_both_backends!(
    @with |s| s.limits.trusted_proxies = vec![std::net::IpAddr::from([127, 0, 0, 1])];
    queue_tickets_counters_and_waiting_times,
    the_board_streams_live,
    kiosk_codes_sign_a_citizen_in_once,
    appointments_are_booked_moved_cancelled_and_reminded,
    the_last_place_goes_to_exactly_one_of_100,
    booking_pages_ask_one_thing_at_a_time,
);

async fn centre_of(app: &TestApp) -> String {
    app.org_of("halong.motcua").await
}

async fn take(app: &TestApp, centre: &str, letter: &str) -> Value {
    let r = app.client.post(app.url(&format!("/api/v1/queue/{centre}/tickets"))).json(&json!({"letter": letter}));
    let (s, v) = json(r.send().await.unwrap()).await;
    assert_eq!(s, 201, "{v}");
    v
}

async fn queue_tickets_counters_and_waiting_times(app: TestApp) {
    let centre = centre_of(&app).await;
    let (s, board) = json(app.get(&format!("/api/v1/queue/{centre}")).await).await;
    assert_eq!(s, 200, "{board}");
    assert_eq!(board["services"].as_array().unwrap().len(), 4);
    assert_eq!(board["counters"][1]["letters"], json!(["A", "B"]));

    let a1 = take(&app, &centre, "A").await;
    let a2 = take(&app, &centre, "A").await;
    let b1 = take(&app, &centre, "B").await;
    assert_eq!(
        (a1["label"].as_str(), a2["label"].as_str(), b1["label"].as_str()),
        (Some("A001"), Some("A002"), Some("B001"))
    );
    assert_eq!(a2["waiting_before"], 1);
    assert_eq!(a1["service"], "Tư pháp – Hộ tịch");

    // Bad input: no such service, not a letter, not a centre.
    let post = |body: Value| app.client.post(app.url(&format!("/api/v1/queue/{centre}/tickets"))).json(&body).send();
    assert_error(post(json!({"letter": "Z"})).await.unwrap(), 404, "not_found").await;
    assert_error(post(json!({"letter": "ab"})).await.unwrap(), 400, "invalid_body").await;
    assert_error(app.get("/api/v1/queue/khong-phai-ma/tickets/1").await, 400, "invalid_org_code").await;

    // Only the centre's desk officers call tickets.
    let next = format!("/api/v1/queue/{centre}/counters/1/next");
    let r = app.client.post(app.url(&next)).send().await.unwrap();
    assert_error(r, 401, "unauthenticated").await;
    let stranger = app.token("tienyen.motcua").await;
    assert_error(app.post_json(&next, &stranger, json!({})).await, 403, "forbidden").await;
    let officer = app.token("halong.motcua").await;
    let (s, v) = json(app.post_json(&next, &officer, json!({})).await).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ticket"]["label"], "A001");
    assert_eq!(v["ticket"]["counter_name"], "Quầy 1");
    // Counter 3 serves B and C: B001; counter 1 then takes A002; then nobody waits for it.
    let (_, v) =
        json(app.post_json(&format!("/api/v1/queue/{centre}/counters/3/next"), &officer, json!({})).await).await;
    assert_eq!(v["ticket"]["label"], "B001");
    let (_, v) = json(app.post_json(&next, &officer, json!({})).await).await;
    assert_eq!(v["ticket"]["label"], "A002");
    let (_, v) = json(app.post_json(&next, &officer, json!({})).await).await;
    assert_eq!(v["ticket"], Value::Null);
    assert_error(
        app.post_json(&format!("/api/v1/queue/{centre}/counters/9/next"), &officer, json!({})).await,
        404,
        "not_found",
    )
    .await;

    // A001 was served when counter 1 called A002, A002 when it found nobody else; B001 did
    // not come.
    let b1_id = b1["id"].as_i64().unwrap();
    let finish = format!("/api/v1/queue/{centre}/tickets/{b1_id}/finish");
    let (s, v) = json(app.post_json(&finish, &officer, json!({"status": "no_show"})).await).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("no_show")), "{v}");
    assert_error(app.post_json(&finish, &officer, json!({"status": "served"})).await, 409, "ticket_not_called").await;
    assert_error(app.post_json(&finish, &officer, json!({"status": "waiting"})).await, 400, "invalid_status").await;
    let (_, t) = json(app.get(&format!("/api/v1/queue/{centre}/tickets/{}", a1["id"])).await).await;
    assert_eq!(t["status"], "served");

    let (s, stats) = json(app.get(&format!("/api/v1/queue/{centre}/stats")).await).await;
    assert_eq!(s, 200, "{stats}");
    assert_eq!(stats["issued"], 3);
    let a = &stats["services"][0];
    assert_eq!(
        (a["letter"].as_str(), a["issued"].as_i64(), a["served"].as_i64(), a["called"].as_i64()),
        (Some("A"), Some(2), Some(2), Some(0))
    );
    assert!(stats["mean_wait_minutes"].as_f64().unwrap() >= 0.0);
    assert_error(app.get(&format!("/api/v1/queue/{centre}/stats?from=31/02/2026")).await, 400, "invalid_filter").await;

    // The centre's administrator sets the queue; a counter calling a missing service is refused.
    let admin = app.token("halong.quantri").await;
    let put = |token: &str, body: &Value| {
        app.client.put(app.url(&format!("/api/v1/queue/{centre}"))).bearer_auth(token).json(body).send()
    };
    let setup = json!({"services": [{"letter": "A", "name": "Một cửa"}], "counters": [{"number": 1, "name": "Quầy 1", "letters": ["A", "B"]}]});
    let r = put(&admin, &setup).await.unwrap();
    assert_error(r, 422, "invalid_queue").await;
    let setup = json!({"services": [{"letter": "A", "name": "Một cửa"}], "counters": [{"number": 1, "name": "Quầy 1", "letters": ["A"]}]});
    let r = put(&officer, &setup).await.unwrap();
    assert_error(r, 403, "forbidden").await;
    let r = put(&admin, &setup).await.unwrap();
    let (s, v) = json(r).await;
    assert_eq!((s, v["services"].as_array().map(Vec::len)), (200, Some(1)), "{v}");
}

async fn the_board_streams_live(app: TestApp) {
    let centre = centre_of(&app).await;
    let mut r = app.client.get(app.url(&format!("/api/v1/queue/{centre}/events"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    // No proxy may hold events back (nginx buffers unless told not to: the board then shows
    // each change one event late), compress or cache them.
    assert_eq!(r.headers()["x-accel-buffering"], "no");
    assert_eq!(r.headers()["cache-control"], "no-cache, no-transform");
    let mut seen = String::new();
    // The first event is the board as it is.
    while !seen.contains("\n\n") {
        let chunk =
            tokio::time::timeout(Duration::from_secs(10), r.chunk()).await.expect("first event").unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.starts_with("event: board"), "{seen}");
    take(&app, &centre, "C").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains("\"waiting\":1") {
        let chunk =
            tokio::time::timeout_at(deadline, r.chunk()).await.expect("a board after the ticket").unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert_error(app.get("/api/v1/queue/000.00.99.H99/events").await, 404, "not_found").await;
}

/// The code the kiosk sent, read from the outbox the notifier sends from.
async fn sent_code(app: &TestApp) -> String {
    let notes = app.db.store.messages_about("otp:").await.unwrap();
    let sms = notes.iter().rev().find(|n| n.note.channel == "sms").expect("an SMS with the code");
    assert_eq!(sms.note.recipient, "0912345678");
    sms.note.body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("6 digits").to_owned()
}

async fn kiosk_codes_sign_a_citizen_in_once(app: TestApp) {
    // The chip ID card's QR code is read, or refused with the reason.
    let qr = "022090001234|123456789|Nguyễn Văn An|15031990|Nam|Tổ 5, khu 3, phường Hạ Long, tỉnh Quảng Ninh|20042021";
    let r = app.client.post(app.url("/api/v1/kiosk/chip-id")).json(&json!({"qr": qr})).send().await.unwrap();
    let (s, v) = json(r).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["full_name"].as_str(), v["birth_date"].as_str(), v["sex"].as_str()),
        (Some("Nguyễn Văn An"), Some("1990-03-15"), Some("male"))
    );
    let r = app
        .client
        .post(app.url("/api/v1/kiosk/chip-id"))
        .json(&json!({"qr": "022090001234|x|y"}))
        .send()
        .await
        .unwrap();
    let m = assert_error(r, 400, "invalid_chip_qr").await;
    assert!(m.contains("7 trường"), "{m}");

    let ask = |cccd: &str| app.client.post(app.url("/api/v1/kiosk/code")).json(&json!({"cccd": cccd})).send();
    // An unknown number gets the same answer, and nothing is sent.
    let (s, unknown) = json(ask("001099012345").await.unwrap()).await;
    assert_eq!(s, 202, "{unknown}");
    assert!(app.db.store.messages_about("otp:").await.unwrap().is_empty());
    assert_error(ask("12345").await.unwrap(), 400, "invalid_cccd").await;

    let (s, c) = json(ask("022090001234").await.unwrap()).await;
    assert_eq!(s, 202, "{c}");
    assert_eq!(c["message"], unknown["message"], "the answer does not tell whether an account exists");
    let challenge = c["challenge"].as_str().unwrap().to_owned();
    let code = sent_code(&app).await;
    // Someone else asking with the same number gets their own code; this one keeps working.
    assert_eq!(ask("022090001234").await.unwrap().status(), 202);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let open = |code: &str| {
        app.client.post(app.url("/api/v1/kiosk/session")).json(&json!({"challenge": challenge, "code": code})).send()
    };
    let m = assert_error(open(wrong).await.unwrap(), 401, "wrong_code").await;
    assert!(m.contains("còn 4 lần"), "{m}");
    assert_error(open("12ab").await.unwrap(), 400, "invalid_value").await;
    let (s, session) = json(open(&code).await.unwrap()).await;
    assert_eq!(s, 200, "{session}");
    assert_eq!(session["account"]["username"], "congdan");
    let token = session["token"].as_str().unwrap();
    let (s, mine) = json(app.get_as("/api/v1/dossiers", token).await).await;
    assert_eq!(s, 200, "{mine}");
    assert_error(open(&code).await.unwrap(), 401, "code_expired").await;
    // The unknown number's challenge never works.
    let r = app
        .client
        .post(app.url("/api/v1/kiosk/session"))
        .json(&json!({"challenge": unknown["challenge"], "code": code}))
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "code_expired").await;
    // Three codes per quarter hour: a fourth request answers the same but sends nothing.
    for _ in 0..3 {
        assert_eq!(ask("022090001234").await.unwrap().status(), 202);
    }
    let sms = app.db.store.messages_about("otp:").await.unwrap().iter().filter(|n| n.note.channel == "sms").count();
    assert_eq!(sms, 3);

    // The outbox keeps a code only while it can be used.
    let now = jiff::Timestamp::now();
    assert_eq!(motcua::service::erase_spent_codes(app.db.store.as_ref(), now).await.unwrap(), 0, "all still live");
    let later = now + motcua::service::OTP_TTL + jiff::SignedDuration::from_secs(1);
    assert!(motcua::service::erase_spent_codes(app.db.store.as_ref(), later).await.unwrap() >= 3);
    for n in app.db.store.messages_about("otp:").await.unwrap() {
        assert_eq!(n.note.body, motcua_store::service::OTP_ERASED, "{n:?}");
    }

    // Whoever asks, one number gets at most OTP_PER_DAY codes a day.
    let cccd = motcua_domain::Cccd::parse("022090001234").unwrap();
    let start = later + jiff::SignedDuration::from_hours(1);
    let before = app.db.store.messages_about("otp:").await.unwrap().len();
    for i in 0..20 {
        let at = start + jiff::SignedDuration::from_mins(16 * i);
        motcua::service::request_otp(app.db.store.as_ref(), app.db.store.as_ref(), false, &cccd, at).await.unwrap();
    }
    let all = app.db.store.messages_about("otp:").await.unwrap().len();
    assert!(all > before, "more were sent over the hours");
    // Those of the first minutes count in the same day.
    assert_eq!(i64::try_from(all).unwrap(), motcua::service::OTP_PER_DAY, "one SMS each, {all} in all");
}

/// A slot starting `minutes` from now at a point, published through the API; its id.
async fn publish_soon(app: &TestApp, token: &str, point: &str, minutes: i64, capacity: i64) -> i64 {
    let mut at = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes);
    // Not on the hour or half hour, where the demo's own slots start.
    if matches!(at.to_zoned(motcua_domain::calendar::vietnam()).minute(), 0 | 30) {
        at += jiff::SignedDuration::from_mins(1);
    }
    let z = at.to_zoned(motcua_domain::calendar::vietnam());
    // Whole minutes, and the day in Vietnam.
    let body = json!({
        "from": z.date().to_string(), "to": z.date().to_string(), "times": [z.strftime("%H:%M").to_string()],
        "minutes": 20, "capacity": capacity, "working_days_only": false
    });
    let (s, v) = json(app.post_json(&format!("/api/v1/appointments/points/{point}/slots"), token, body).await).await;
    assert_eq!(s, 201, "{v}");
    let (_, slots) =
        json(app.get(&format!("/api/v1/appointments/points/{point}/slots?from={}&days=1", z.date())).await).await;
    let hm = z.strftime("%H:%M").to_string();
    slots.as_array().unwrap().iter().find(|s| s["time"].as_str().unwrap().starts_with(&hm)).expect("the slot")["id"]
        .as_i64()
        .unwrap()
}

async fn appointments_are_booked_moved_cancelled_and_reminded(app: TestApp) {
    let (s, points) = json(app.get("/api/v1/appointments/points").await).await;
    assert_eq!(s, 200, "{points}");
    assert_eq!(points.as_array().unwrap().len(), 4);
    let (_, slots) = json(app.get("/api/v1/appointments/points/halong-dat-dai/slots?days=14").await).await;
    assert!(!slots.as_array().unwrap().is_empty(), "the demo publishes two weeks of slots");
    assert_error(app.get("/api/v1/appointments/points/khong-co/slots").await, 404, "not_found").await;
    assert_error(app.get("/api/v1/appointments/points/halong-dat-dai/slots?days=99").await, 400, "invalid_query").await;

    let officer = app.token("halong.motcua").await;
    let stranger = app.token("tienyen.motcua").await;
    let r = app
        .post_json(
            "/api/v1/appointments/points/halong-dat-dai/slots",
            &stranger,
            json!({"from": "01/12/2026", "to": "01/12/2026", "times": ["08:00"], "minutes": 30, "capacity": 1}),
        )
        .await;
    assert_error(r, 403, "forbidden").await;
    let publish = |body: Value| app.post_json("/api/v1/appointments/points/halong-dat-dai/slots", &officer, body);
    let far = json!({"from": "9999-12-30", "to": "9999-12-31", "times": ["08:00"], "minutes": 30, "capacity": 1});
    assert_error(publish(far).await, 400, "year_out_of_range").await;
    let bad = json!({"from": "02/12/2026", "to": "01/12/2026", "times": ["08:00"], "minutes": 30, "capacity": 1});
    assert_error(publish(bad).await, 400, "invalid_date").await;
    let bad = json!({"from": "02/12/2026", "to": "02/12/2026", "times": ["25:00"], "minutes": 30, "capacity": 1});
    assert_error(publish(bad).await, 400, "invalid_slot").await;
    let bad = json!({"from": "02/12/2026", "to": "02/12/2026", "times": ["08:00"], "minutes": 30, "capacity": 0});
    assert_error(publish(bad).await, 400, "invalid_value").await;
    let soon = publish_soon(&app, &officer, "halong-dat-dai", 120, 2).await;
    let later = publish_soon(&app, &officer, "halong-dat-dai", 180, 1).await;

    let book = |body: Value| app.client.post(app.url("/api/v1/appointments")).json(&body).send();
    assert_error(book(json!({"slot_id": soon, "full_name": "A", "phone": "12"})).await.unwrap(), 400, "invalid_phone")
        .await;
    assert_error(
        book(json!({"slot_id": 999_999, "full_name": "Lê Văn C", "phone": "0987654321"})).await.unwrap(),
        409,
        "slot_unavailable",
    )
    .await;
    let (s, b) = json(
        book(json!({"slot_id": soon, "full_name": "Lê Văn C", "phone": "0987 654 321", "note": "Nộp hồ sơ cấp sổ đỏ"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let code = b["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8);
    assert_eq!(b["slot"]["free"], 1);

    // Seen with the code and the phone (masked), or by the point's staff (in full); anyone
    // else gets the same 404 as for a code that does not exist.
    let (s, v) = json(app.get(&format!("/api/v1/appointments/{code}?phone=0987654321")).await).await;
    assert_eq!((s, v["phone"].as_str()), (200, Some("09******21")), "{v}");
    assert_error(app.get(&format!("/api/v1/appointments/{code}?phone=0912345678")).await, 404, "not_found").await;
    assert_error(app.get(&format!("/api/v1/appointments/{code}")).await, 404, "not_found").await;
    assert_error(app.get("/api/v1/appointments/AAAAAAAA?phone=0987654321").await, 404, "not_found").await;
    let (_, v) = json(app.get_as(&format!("/api/v1/appointments/{code}"), &officer).await).await;
    assert_eq!(v["phone"], "0987654321");

    let booked = app.db.store.messages_about(&format!("appointment:{code}:booked")).await.unwrap();
    assert_eq!(booked.len(), 1, "an SMS confirms the booking");
    assert!(booked[0].note.body.contains(&code));

    // Moved to the later slot, then the freed place is taken by someone else.
    let mv = |slot: i64, phone: &str| {
        app.client
            .post(app.url(&format!("/api/v1/appointments/{code}/reschedule")))
            .json(&json!({"phone": phone, "slot_id": slot}))
            .send()
    };
    assert_error(mv(later, "0912345678").await.unwrap(), 404, "not_found").await;
    let (s, v) = json(mv(later, "0987654321").await.unwrap()).await;
    assert_eq!((s, v["slot"]["id"].as_i64()), (200, Some(later)), "{v}");
    // The day the booking now falls on, in Vietnam (tomorrow, when the test runs late at night).
    let day = v["slot"]["starts_at"].as_str().unwrap()[..10].to_owned();
    assert_eq!(app.db.store.messages_about(&format!("appointment:{code}:booked")).await.unwrap().len(), 2);
    let (s, other) =
        json(book(json!({"slot_id": later, "full_name": "Phạm D", "phone": "0911111111"})).await.unwrap()).await;
    assert_eq!(s, 409, "the later slot (1 place) is full: {other}");
    assert_eq!(other["error"]["code"], "slot_full");

    // Reminders: within a day of the time, once.
    motcua::service::queue_reminders(app.db.store.as_ref(), false, "", jiff::Timestamp::now()).await.unwrap();
    motcua::service::queue_reminders(app.db.store.as_ref(), false, "", jiff::Timestamp::now()).await.unwrap();
    let reminders = app.db.store.messages_about(&format!("appointment:{code}:reminder")).await.unwrap();
    assert_eq!(reminders.len(), 1, "{reminders:?}");

    // The list of the booking's day for the point's staff.
    let path = format!("/api/v1/appointments/points/halong-dat-dai/day?date={day}");
    assert_error(app.get_as(&path, &stranger).await, 403, "forbidden").await;
    let (s, list) = json(app.get_as(&path, &officer).await).await;
    assert_eq!(s, 200, "{list}");
    assert!(list.as_array().unwrap().iter().any(|b| b["code"] == code.as_str() && b["full_name"] == "Lê Văn C"));

    // Cancelled once; the place is free again.
    let cancel = || {
        app.client
            .post(app.url(&format!("/api/v1/appointments/{code}/cancel")))
            .json(&json!({"phone": "0987654321"}))
            .send()
    };
    let (s, v) = json(cancel().await.unwrap()).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("cancelled")), "{v}");
    assert_error(cancel().await.unwrap(), 409, "appointment_not_active").await;
    let (s, _) =
        json(book(json!({"slot_id": later, "full_name": "Phạm D", "phone": "0911111111"})).await.unwrap()).await;
    assert_eq!(s, 201);
    assert_eq!(app.db.store.messages_about(&format!("appointment:{code}:cancelled")).await.unwrap().len(), 1);
    assert_error(
        app.post_json(&format!("/api/v1/appointments/{code}/attend"), &stranger, json!({})).await,
        404,
        "not_found",
    )
    .await;
}

async fn the_last_place_goes_to_exactly_one_of_100(app: TestApp) {
    let officer = app.token("halong.motcua").await;
    let slot = publish_soon(&app, &officer, "halong-dat-dai", 240, 1).await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let client = reqwest::Client::new();
        let url = app.url("/api/v1/appointments");
        tasks.push(tokio::spawn(async move {
            let body = json!({"slot_id": slot, "full_name": format!("Người thứ {i}"), "phone": format!("09{i:08}")});
            let r = client.post(url).header("x-forwarded-for", format!("198.51.100.{i}")).json(&body).send().await;
            let r = r.unwrap();
            let status = r.status().as_u16();
            let v: Value = r.json().await.unwrap();
            (status, v["error"]["code"].as_str().unwrap_or_default().to_owned())
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let booked = outcomes.iter().filter(|(s, _)| *s == 201).count();
    let full = outcomes.iter().filter(|(s, c)| *s == 409 && c == "slot_full").count();
    assert_eq!((booked, full), (1, 99), "{outcomes:?}");
    let (_, slots) = json(app.get("/api/v1/appointments/points/halong-dat-dai/slots?days=2").await).await;
    let s = slots.as_array().unwrap().iter().find(|s| s["id"] == slot).unwrap();
    assert_eq!((s["capacity"].as_i64(), s["free"].as_i64()), (Some(1), Some(0)));
}

/// On a phone, booking is three short screens: the days (links, no form), one day's times
/// (links), then the details form for the chosen time — never a hundred radio buttons above
/// the name and phone. A slot of another point or a full one is not offered.
async fn booking_pages_ask_one_thing_at_a_time(app: TestApp) {
    let (_, slots) = json(app.get("/api/v1/appointments/points/halong-dat-dai/slots?days=14").await).await;
    let first = slots.as_array().unwrap().iter().find(|s| s["free"].as_i64() > Some(0)).unwrap().clone();
    let (id, date, time) =
        (first["id"].as_i64().unwrap(), first["date"].as_str().unwrap(), first["time"].as_str().unwrap());
    let key = date.replace('/', "-");
    let days = app.get("/lich-hen/diem/halong-dat-dai").await.text().await.unwrap();
    assert!(!days.contains("<input type=\"radio\"") && !days.contains("name=\"full_name\""), "{days}");
    assert!(days.contains(&format!("href=\"/lich-hen/diem/halong-dat-dai?ngay={key}\"")), "{days}");
    let day = app.get(&format!("/lich-hen/diem/halong-dat-dai?ngay={key}")).await.text().await.unwrap();
    assert!(day.contains(&format!("?ngay={key}&amp;gio={id}\"")) && !day.contains("name=\"full_name\""), "{day}");
    let form = app.get(&format!("/lich-hen/diem/halong-dat-dai?ngay={key}&gio={id}")).await.text().await.unwrap();
    assert!(form.contains(&format!("<strong id=\"chosen-time\">{time}</strong>")), "{form}");
    assert!(form.contains(&format!("name=\"slot\" value=\"{id}\"")) && form.contains("name=\"full_name\""));
    assert_eq!(form.matches("type=\"radio\"").count(), 0);
    // Another point's slot, or a made-up one, leads back to choosing a day.
    let (_, other) = json(app.get("/api/v1/appointments/points").await).await;
    let other_point = other.as_array().unwrap().iter().find(|p| p["code"] != "halong-dat-dai").unwrap()["code"].clone();
    let (_, other_slots) =
        json(app.get(&format!("/api/v1/appointments/points/{}/slots", other_point.as_str().unwrap())).await).await;
    if let Some(foreign) = other_slots.as_array().unwrap().first() {
        let page = app.get(&format!("/lich-hen/diem/halong-dat-dai?gio={}", foreign["id"])).await.text().await.unwrap();
        assert!(!page.contains("name=\"full_name\""), "not this point's time");
    }
    let page = app.get("/lich-hen/diem/halong-dat-dai?gio=999999999&ngay=31-02-2026").await.text().await.unwrap();
    assert!(page.contains("ul class=\"choices days\""), "unknown choices fall back to the days");
}
