//! The longer commands: serving, the calendar, users, keys and certificates, partner servers,
//! verifying a result offline.

use super::*;

pub(super) fn demo_settings(args: &DemoArgs) -> Result<DemoSettings, CliError> {
    let code = args.agency_code.trim();
    // It must form valid identifiers as the last group.
    OrgCode::parse(&format!("000.00.00.{code}"))?;
    if code.contains('.') {
        return Err(CliError::Usage("--agency-code là một nhóm, không chứa dấu chấm".into()));
    }
    Ok(DemoSettings { agency_code: code.to_owned() })
}

pub(super) fn report_demo(outcome: &Outcome) {
    match outcome {
        Outcome::Loaded { units, organisations, procedures, accounts } => println!(
            "Đã nạp dữ liệu mẫu: {units} đơn vị hành chính, {organisations} cơ quan, {procedures} thủ tục, {accounts} tài khoản."
        ),
        Outcome::AlreadyLoaded => println!("Dữ liệu mẫu đã có sẵn, không nạp lại."),
    }
}

pub(super) async fn serve(cli: &Cli, args: &ServeArgs) -> Result<(), CliError> {
    // Attachments, keys and (by default) the database live here: for this user only.
    motcua::blobs::private_dir(&cli.data_dir).map_err(io_err(&cli.data_dir))?;
    // A wrong --blob-url is told before anything else starts.
    let blobs = super::blob_store(cli)?;
    let store = open(cli).await?;
    let stats = stats_settings(args)?;
    if args.demo {
        let outcome = demo::load(store.as_ref(), &demo_settings(&args.demo_settings)?).await?;
        report_demo(&outcome);
        if matches!(outcome, Outcome::Loaded { .. }) {
            synthetic(cli, &store, args.demo_settings.synthetic, args.demo_settings.seed).await?;
        }
    }
    // The keys in the database must open with this server's passphrase (another server on the
    // same database may have made them); the demo makes one only when there are none yet.
    let key_passphrase = key_passphrase(cli, store.as_ref(), args.demo).await?;
    if let (true, Some(p)) = (args.demo, &key_passphrase) {
        // Demo organisations get signing certificates so documents can be sent at once.
        let issued = motcua::documents::pki::ensure(store.as_ref(), p).await?;
        if issued > 0 {
            println!("Đã cấp chứng thư số ký văn bản cho {issued} cơ quan.");
        }
    }
    if let Err(e) = blobs.ready().await {
        // Started anyway: /readyz says not ready until the store answers.
        eprintln!("Cảnh báo: kho tệp {} chưa truy cập được ({e}); /readyz báo chưa sẵn sàng.", blobs.describe());
    }
    let listener = tokio::net::TcpListener::bind(&args.listen).await.map_err(io_err(Path::new(&args.listen)))?;
    let addr = listener.local_addr().map_err(io_err(Path::new(&args.listen)))?;
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let settings = ServerSettings {
        session_ttl: SignedDuration::from_hours(i64::from(args.session_hours)),
        secure_cookies: public_url.starts_with("https://"),
        calendar_rules: cli.calendar.rules()?,
        data_dir: cli.data_dir.clone(),
        blobs: Some(blobs),
        metrics_token: args.metrics_token.clone().filter(|t| !t.is_empty()).map(motcua::app::Secret),
        public_url: Some(public_url.clone()),
        identity: args.identity.settings().map_err(CliError::Usage)?,
        key_passphrase,
        outbox: motcua::documents::exchange::OutboxSettings {
            axis: args.axis.settings().map_err(CliError::Usage)?,
            ..Default::default()
        },
        notify: motcua::notifications::NotifySettings {
            smtp_url: args.smtp_url.clone(),
            mail_from: args.mail_from.clone(),
            ..Default::default()
        },
        stats,
        limits: args.limits(),
        quotas: if args.no_rate_limits {
            motcua::app::AccountQuotas { dossiers_per_day: 0, bytes_per_day: 0 }
        } else {
            motcua::app::AccountQuotas {
                dossiers_per_day: args.dossiers_per_day.max(0),
                bytes_per_day: args.upload_mb_per_day.max(0).saturating_mul(1024 * 1024),
            }
        },
        connections: motcua::app::ConnectionLimits {
            max_connections: args.max_connections,
            streams_per_address: args.streams_per_address,
            ..Default::default()
        },
        supplement_mode: if args.supplement_mode == "pause" {
            motcua_domain::workflow::SupplementMode::Pause
        } else {
            motcua_domain::workflow::SupplementMode::Restart
        },
        ..ServerSettings::default()
    };
    let engine = match store.backend() {
        motcua_store::Backend::Sqlite => "SQLite",
        motcua_store::Backend::Postgres => "PostgreSQL",
    };
    println!("motcua đang chạy tại {public_url}  (CSDL: {engine})");
    println!("  Tài liệu API: {public_url}/api/v1/openapi.json");
    if args.demo {
        println!("Tài khoản mẫu (mật khẩu chung: {}):", demo::DEMO_PASSWORD);
        for line in demo::login_lines() {
            println!("{line}");
        }
    }
    let _ = std::io::stdout().flush();
    motcua::server::serve(listener, store, settings, motcua::server::shutdown_signal())
        .await
        .map_err(io_err(Path::new(&args.listen)))?;
    println!("motcua đã dừng.");
    Ok(())
}

pub(super) async fn calendar(cli: &Cli, cmd: &CalendarCommand) -> Result<(), CliError> {
    use motcua_domain::TimeLimit;
    use motcua_domain::calendar::{WorkCalendar, parse_adjustments};
    let calendar_err = CliError::CalendarRules;
    let store = open(cli).await?;
    match cmd {
        CalendarCommand::Load { file } => {
            let text = match file {
                Some(f) => read_input(f)?,
                None => motcua::calendar::source::ADJUSTMENTS.to_owned(),
            };
            let list = parse_adjustments(&text).map_err(calendar_err)?;
            // Build once to refuse a list the calendar would refuse (a date twice).
            WorkCalendar::new(cli.calendar.rules()?, list.clone()).map_err(calendar_err)?;
            let n = store.upsert_calendar_adjustments(&list).await?;
            println!("Đã nạp {n} ngày điều chỉnh lịch làm việc.");
            Ok(())
        }
        CalendarCommand::Holidays { year } => {
            let cal =
                WorkCalendar::new(cli.calendar.rules()?, store.calendar_adjustments().await?).map_err(calendar_err)?;
            let lines: String = cal
                .holidays(*year)
                .map_err(calendar_err)?
                .iter()
                .map(|h| format!("{}\t{}\n", h.date, h.name))
                .collect();
            print_stdout(&lines)
        }
        CalendarCommand::Due { from, days, hours, calendar_days, immediate } => {
            let from = motcua::calendar::source::parse_instant(from).map_err(CliError::Usage)?;
            let limit = match (days, hours, calendar_days, immediate) {
                (Some(d), _, _, _) => TimeLimit::working_days(*d)?,
                (_, Some(h), _, _) => TimeLimit::working_hours(*h)?,
                (_, _, Some(c), _) => TimeLimit::calendar_days(*c)?,
                _ => TimeLimit::Immediate,
            };
            let cal =
                WorkCalendar::new(cli.calendar.rules()?, store.calendar_adjustments().await?).map_err(calendar_err)?;
            let due = cal.due(from, limit).map_err(calendar_err)?;
            print_stdout(&format!("{}\n", motcua::calendar::source::rfc3339_vn(due.due_at)))
        }
    }
}

pub(super) async fn set_disabled(cli: &Cli, username: &str, disabled: bool) -> Result<(), CliError> {
    let username = Username::parse(username)?;
    if !open(cli).await?.set_account_disabled(&username, disabled).await? {
        return Err(CliError::Usage(format!("không có tài khoản {username}")));
    }
    println!("Đã {} tài khoản {username}.", if disabled { "khóa" } else { "mở khóa" });
    Ok(())
}

/// A new password for an account (an officer who forgot theirs: the administrator sets it and
/// tells them); every session of the account ends.
pub(super) async fn set_password(cli: &Cli, username: &str) -> Result<(), CliError> {
    let username = Username::parse(username)?;
    let password = read_password(&username)?;
    let store = open(cli).await?;
    let Some((account, _)) = store.account_credentials(&username).await? else {
        return Err(CliError::Usage(format!("không có tài khoản {username}")));
    };
    let hash = tokio::task::spawn_blocking(move || motcua::accounts::auth::hash_password(&password)).await??;
    store.set_password(account.id, &hash, None).await?;
    println!("Đã đặt mật khẩu mới cho {username}; mọi phiên đăng nhập của tài khoản đã kết thúc.");
    Ok(())
}

/// Forgets an officer's authenticator and recovery codes (a lost phone); every session of the
/// account ends, and the next sign-in enrols a new one.
pub(super) async fn reset_second_factor(cli: &Cli, username: &str) -> Result<(), CliError> {
    let username = Username::parse(username)?;
    let store = open(cli).await?;
    let Some((account, _)) = store.account_credentials(&username).await? else {
        return Err(CliError::Usage(format!("không có tài khoản {username}")));
    };
    if store.reset_second_factor(account.id).await? {
        println!("Đã xóa xác thực hai lớp của {username}; mọi phiên đăng nhập của tài khoản đã kết thúc.");
    } else {
        println!("Tài khoản {username} chưa đăng ký xác thực hai lớp; không có gì để xóa.");
    }
    Ok(())
}

/// Which roles of an organisation must use a second factor.
pub(super) async fn second_factor_policy(cli: &Cli, org: &str, roles: &str) -> Result<(), CliError> {
    let org = motcua_domain::OrgCode::parse(org)?;
    let roles: Vec<motcua_domain::Role> = match roles.trim() {
        "none" | "" => Vec::new(),
        list => list.split(',').map(|r| motcua_domain::Role::parse(r.trim())).collect::<Result<_, _>>()?,
    };
    let store = open(cli).await?;
    if store.organisation(&org).await?.is_none() {
        return Err(CliError::Usage(format!("không có cơ quan {org}")));
    }
    store.set_second_factor_policy(&org, &roles, jiff::Timestamp::now()).await?;
    if roles.is_empty() {
        println!("Đã tắt xác thực hai lớp bắt buộc tại {org}.");
    } else {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        println!("Tại {org}, các vai trò phải xác thực hai lớp: {}.", names.join(", "));
    }
    Ok(())
}

/// The first line of stdin, checked against the password policy (a prompt on a terminal).
fn read_password(username: &Username) -> Result<Password, CliError> {
    if std::io::stdin().is_terminal() {
        eprint!("Mật khẩu (ít nhất {} ký tự): ", Password::MIN_CHARS);
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(io_err(Path::new("stdin")))?;
    Ok(Password::parse(line.trim_end_matches(['\r', '\n']), username)?)
}

pub(super) async fn add_user(cli: &Cli, args: &UserAddArgs) -> Result<(), CliError> {
    let username = Username::parse(&args.username)?;
    let full_name = Name::parse("Họ tên", &args.full_name)?;
    let mut roles = Vec::new();
    for r in &args.roles {
        let (org, role) = r
            .rsplit_once(':')
            .ok_or_else(|| CliError::Usage(format!("--role phải có dạng MÃ_CƠ_QUAN:VAI_TRÒ, nhận được «{r}»")))?;
        roles.push(RoleAssignment { org: OrgCode::parse(org)?, role: Role::parse(role)? });
    }
    let kind = if args.citizen { AccountKind::Citizen } else { AccountKind::Staff };
    let account = NewAccount {
        username: username.clone(),
        full_name,
        kind,
        cccd: args.cccd.as_deref().map(Cccd::parse).transpose()?,
        email: args.email.as_deref().map(Email::parse).transpose()?,
        phone: args.phone.as_deref().map(Phone::parse).transpose()?,
        roles,
        password_hash: String::new(),
    }
    .check()?;

    let password = read_password(&username)?;
    let password_hash = tokio::task::spawn_blocking(move || motcua::accounts::auth::hash_password(&password)).await??;

    let store = open(cli).await?;
    let created = store.create_account(&NewAccount { password_hash, ..account }).await.map_err(|e| match e {
        StoreError::Conflict(_) => CliError::Usage(format!("tên đăng nhập {username} hoặc số CCCD đã được dùng")),
        StoreError::MissingReference(_) => CliError::Usage("một cơ quan trong --role chưa có trong hệ thống".into()),
        other => other.into(),
    })?;
    println!("Đã tạo tài khoản {} (mã {}).", created.username, created.id);
    Ok(())
}

pub(super) fn algorithm(s: &str) -> Result<motcua_exchange::KeyAlgorithm, CliError> {
    motcua_exchange::KeyAlgorithm::parse(s)
        .ok_or_else(|| CliError::Usage(format!("--algorithm phải là ec hoặc rsa, không phải {s}")))
}

/// The key passphrase (see `motcua::documents::keys`), checked against the keys `store` holds;
/// with `create`, made in the data directory when neither exists.
async fn key_passphrase(
    cli: &Cli,
    store: &dyn motcua_store::Store,
    create: bool,
) -> Result<Option<motcua::documents::exchange::Passphrase>, CliError> {
    Ok(motcua::documents::keys::for_store(store, &cli.data_dir, cli.key_passphrase_file.as_deref(), create).await?)
}

pub(super) async fn passphrase(
    cli: &Cli,
    store: &dyn motcua_store::Store,
) -> Result<motcua::documents::exchange::Passphrase, CliError> {
    key_passphrase(cli, store, false).await?.ok_or_else(|| {
        CliError::Usage(format!(
            "chưa có khóa bảo vệ khóa bí mật ({}/keys/passphrase, --key-passphrase-file hoặc {}): chạy motcua pki init",
            cli.data_dir.display(),
            motcua::documents::exchange::PASSPHRASE_ENV
        ))
    })
}

pub(super) fn print_cert(what: &str, info: &motcua_exchange::CertificateInfo) {
    println!(
        "{what}: {}\n  số sê-ri {}\n  SHA-256 {}\n  hiệu lực {} → {}",
        info.subject,
        info.serial,
        info.fingerprint,
        motcua::calendar::source::display_vn(info.not_before),
        motcua::calendar::source::display_vn(info.not_after)
    );
}

pub(super) async fn pki_command(cli: &Cli, cmd: &PkiCommand) -> Result<(), CliError> {
    let store = open(cli).await?;
    match cmd {
        PkiCommand::Init { name, algorithm: a, days } => {
            let p = key_passphrase(cli, store.as_ref(), true)
                .await?
                .ok_or_else(|| CliError::Usage("không tạo được khóa bảo vệ khóa bí mật".into()))?;
            let info =
                motcua::documents::pki::init(store.as_ref(), &p, name, algorithm(a)?, (*days).clamp(1, 36_500)).await?;
            print_cert("Đã tạo CA", &info);
            println!(
                "Khóa bí mật được mã hóa bằng khóa bảo vệ của máy chủ ({}, --key-passphrase-file hoặc {}/keys/passphrase); \
                 mọi máy chủ dùng chung CSDL này cần đúng khóa đó.",
                motcua::documents::exchange::PASSPHRASE_ENV,
                cli.data_dir.display()
            );
        }
        PkiCommand::Issue { org, all, algorithm: a, days } => {
            let p = passphrase(cli, store.as_ref()).await?;
            if *all {
                let n = motcua::documents::pki::issue_missing(store.as_ref(), &p, algorithm(a)?).await?;
                println!("Đã cấp chứng thư số cho {n} cơ quan.");
            } else if let Some(org) = org {
                let org = OrgCode::parse(org)?;
                let info =
                    motcua::documents::pki::issue(store.as_ref(), &p, &org, algorithm(a)?, (*days).clamp(1, 3650))
                        .await?;
                print_cert(&format!("Đã cấp chứng thư cho {org}"), &info);
            }
        }
        PkiCommand::Import { org, p12, cert, key } => {
            let p = passphrase(cli, store.as_ref()).await?;
            let org = OrgCode::parse(org)?;
            let password = std::env::var("MOTCUA_IMPORT_PASSWORD").ok();
            let (issued, chain) = match (p12, cert, key) {
                (Some(file), _, _) => {
                    let der = std::fs::read(file).map_err(io_err(file))?;
                    motcua_exchange::pki::import_pkcs12(&der, password.as_deref().unwrap_or(""), p.bytes())?
                }
                (None, Some(c), Some(k)) => {
                    let cert = std::fs::read(c).map_err(io_err(c))?;
                    let key = std::fs::read(k).map_err(io_err(k))?;
                    motcua_exchange::pki::import_pem(&cert, &key, password.as_deref().map(str::as_bytes), p.bytes())?
                }
                _ => return Err(CliError::Usage("cần --p12 FILE, hoặc --cert FILE --key FILE".into())),
            };
            let info = motcua::documents::pki::import(store.as_ref(), &org, issued, chain).await?;
            print_cert(&format!("Đã nhập chứng thư cho {org}"), &info);
        }
        PkiCommand::Trust { file } => {
            let pem = std::fs::read(file).map_err(io_err(file))?;
            for info in motcua::documents::pki::trust(store.as_ref(), &pem).await? {
                print_cert("Đã tin cậy", &info);
            }
        }
        PkiCommand::List => {
            let mut out = String::new();
            for c in store.certificates(None, None).await? {
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\n",
                    c.role.as_str(),
                    c.org.as_ref().map_or("-", |o| o.as_str()),
                    if c.active { "hiệu lực" } else { "đã thay" },
                    motcua::calendar::source::display_vn(c.not_after),
                    c.fingerprint,
                    c.subject
                ));
            }
            print_stdout(&out)?;
        }
        PkiCommand::ExportCa => print_stdout(&motcua::documents::pki::ca_pem(store.as_ref()).await?)?,
    }
    Ok(())
}

pub(super) async fn peer_command(cli: &Cli, cmd: &PeerCommand) -> Result<(), CliError> {
    let store = open(cli).await?;
    match cmd {
        PeerCommand::Add { name, url, ca, orgs } => {
            let pem = std::fs::read(ca).map_err(io_err(ca))?;
            let orgs = orgs
                .iter()
                .map(|o| {
                    let (code, name) = o.split_once('=').unwrap_or((o, ""));
                    Ok((OrgCode::parse(code)?, name.trim().to_owned()))
                })
                .collect::<Result<Vec<_>, CliError>>()?;
            let peer = motcua::documents::pki::add_peer(store.as_ref(), name, url, &pem, orgs).await?;
            println!(
                "Đã lưu đối tác {} ({}), {} cơ quan, CA SHA-256 {}.",
                peer.name,
                peer.base_url,
                peer.orgs.len(),
                peer.ca_fingerprint
            );
        }
        PeerCommand::List => {
            let mut out = String::new();
            for p in store.peers().await? {
                let orgs: Vec<&str> = p.orgs.iter().map(|(c, _)| c.as_str()).collect();
                out.push_str(&format!("{}\t{}\t{}\t{}\n", p.name, p.base_url, p.ca_fingerprint, orgs.join(",")));
            }
            print_stdout(&out)?;
        }
    }
    Ok(())
}

pub(super) async fn verify_file(cli: &Cli, file: &Path, signature: &Path, ca: Option<&Path>) -> Result<(), CliError> {
    let content = std::fs::read(file).map_err(io_err(file))?;
    let sig = std::fs::read(signature).map_err(io_err(signature))?;
    let anchors = trust_anchors(cli, ca).await?;
    let sha = motcua_domain::audit::sha256_hex(&content);
    match motcua_exchange::sign::verify_detached(&anchors, &content, &sig, None, jiff::Timestamp::now()) {
        Ok(info) => {
            println!("HỢP LỆ: {} được ký bởi {}", file.display(), info.subject);
            if let Some(org) = &info.org {
                println!("  cơ quan: {org}");
            }
            println!("  cấp bởi: {}", info.issuer);
            println!("  SHA-256 của tệp: {sha}");
            Ok(())
        }
        Err(e) => Err(CliError::Usage(format!("KHÔNG HỢP LỆ: {e} (SHA-256 của tệp: {sha})"))),
    }
}

/// The CAs a check trusts: the file given, else the deployment's own (from its database).
pub(super) async fn trust_anchors(cli: &Cli, ca: Option<&Path>) -> Result<motcua_exchange::TrustAnchors, CliError> {
    let anchors = match ca {
        Some(p) => {
            let pem = std::fs::read(p).map_err(io_err(p))?;
            motcua_exchange::TrustAnchors::new(motcua_exchange::pki::parse_certificates(&pem)?)
        }
        None => {
            let store = open(cli).await?;
            let x = motcua::documents::exchange::Exchange::new(store, None, Default::default());
            x.anchors().await?
        }
    };
    if anchors.is_empty() {
        return Err(CliError::Usage("không có CA tin cậy: dùng --ca ca.pem".into()));
    }
    Ok(anchors)
}

pub(super) async fn axis_command(cli: &Cli, cmd: &AxisCommand) -> Result<(), CliError> {
    let store = open(cli).await?;
    let (AxisCommand::Agencies { axis, .. } | AxisCommand::Poll { axis }) = cmd;
    let settings = motcua::documents::exchange::OutboxSettings {
        axis: axis.settings().map_err(CliError::Usage)?,
        ..Default::default()
    };
    let passphrase = key_passphrase(cli, store.as_ref(), false).await?;
    let exchange = motcua::documents::exchange::Exchange::new(store, passphrase, settings);
    match cmd {
        AxisCommand::Agencies { file, fetch, .. } => {
            let agencies = match (file, fetch) {
                (Some(f), _) => {
                    let text = std::fs::read_to_string(f).map_err(io_err(f))?;
                    motcua::documents::exchange::parse_directory(&text).map_err(CliError::Usage)?
                }
                _ => exchange.fetch_directory().await.map_err(CliError::Usage)?,
            };
            let (all, own) = exchange.import_directory(&agencies).await.map_err(|e| CliError::Usage(e.to_string()))?;
            println!("Đã nhập danh bạ trục liên thông: {all} cơ quan, {own} là cơ quan của máy chủ này (cùng mã).");
        }
        AxisCommand::Poll { .. } => {
            if exchange.axis().is_none() {
                return Err(CliError::Usage("cần --axis-url và --axis-system-id".into()));
            }
            let n = exchange.poll_axis().await.map_err(CliError::Usage)?;
            println!("Đã nhận {n} gói tin từ trục liên thông.");
        }
    }
    Ok(())
}
