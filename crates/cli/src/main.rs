//! The `motcua` command line.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use jiff::SignedDuration;
use motcua_domain::{
    AccountKind, Cccd, DomainError, Email, Name, NewAccount, OrgCode, Password, Phone, Role, RoleAssignment, Username,
};
use motcua_store::{ConnectOptions, Store, StoreError};

use motcua::app::ServerSettings;
use motcua::catalog::import::{self, ImportError};
use motcua::demo::{self, DemoError, DemoSettings, Outcome};

mod args;
mod commands;
mod qr;
mod reference;
pub use args::*;
use commands::*;
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error(transparent)]
    Auth(#[from] motcua::accounts::auth::AuthError),
    #[error("Nhật ký bị sửa: {0}")]
    Audit(#[from] motcua::dossiers::audit::AuditError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Pki(#[from] motcua::documents::pki::PkiError),
    #[error(transparent)]
    Keys(#[from] motcua::documents::keys::KeysError),
    #[error(transparent)]
    Exchange(#[from] motcua_exchange::ExchangeError),
    #[error(transparent)]
    Synthetic(#[from] motcua_bench::synthetic::SyntheticError),
    #[error(transparent)]
    Calendar(#[from] motcua::calendar::source::CalendarSourceError),
    #[error(transparent)]
    CalendarRules(#[from] motcua_domain::calendar::CalendarError),
    #[error(transparent)]
    Bench(#[from] motcua_bench::bench::BenchError),
    #[error(transparent)]
    Backup(#[from] motcua::backup::BackupError),
    #[error(transparent)]
    AssistantEval(#[from] motcua::assistant::engine::EvalError),
    #[error(transparent)]
    DocumentService(#[from] motcua::documents::exchange::ExchangeServiceError),
    #[error(transparent)]
    BlobUrl(#[from] motcua::blobs::BlobUrlError),
    #[error("OpenAPI: {0}")]
    Json(#[from] serde_json::Error),
    #[error("không lấy được số ngẫu nhiên của hệ điều hành: {0}")]
    Random(getrandom::Error),
    #[error("tác vụ nền dừng bất thường: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("{0}")]
    Usage(String),
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io { path: path.display().to_string(), source }
}

/// Entry point of the binary.
fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Lỗi: không khởi động được runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Lỗi: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: args::LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("MOTCUA_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    let _ = match format {
        // One object per line, the event's fields beside its message, for a log collector.
        args::LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
        args::LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
    };
}

/// The database URL: the explicit one, or a SQLite file in the data directory (created).
pub fn database_url(cli: &Cli) -> Result<String, CliError> {
    if let Some(url) = &cli.database_url {
        return Ok(url.clone());
    }
    motcua::blobs::private_dir(&cli.data_dir).map_err(io_err(&cli.data_dir))?;
    Ok(motcua_store::sqlite_url(&cli.data_dir.join("motcua.db")))
}

/// Opens the database, brings its schema up to date, and gives a new database the shipped
/// workflows (never overwriting ones already there).
async fn open(cli: &Cli) -> Result<Arc<dyn Store>, CliError> {
    let store = motcua_store::connect(&database_url(cli)?, &ConnectOptions::default()).await?;
    motcua::demo::ensure_workflows(store.as_ref()).await?;
    motcua::server::ensure_stats(store.as_ref()).await?;
    Ok(store)
}

fn stats_settings(args: &ServeArgs) -> Result<motcua::statistics::figures::StatsSettings, CliError> {
    let vnd = |v: i64, what: &str| {
        motcua_domain::Vnd::new(v).map_err(|_| CliError::Usage(format!("{what} phải là số đồng không âm")))
    };
    let weights = match &args.index_weights {
        None => motcua_domain::stats::IndexWeights::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(io_err(path))?;
            serde_json::from_str::<motcua_domain::stats::IndexWeights>(&text)
                .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?
                .check()
                .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?
        }
    };
    Ok(motcua::statistics::figures::StatsSettings {
        weights,
        postage_per_document: vnd(args.postage_vnd, "--postage-vnd")?,
        travel_per_dossier: vnd(args.travel_vnd, "--travel-vnd")?,
    })
}

/// `--synthetic N`: N dossiers through the real workflow, with a progress bar on a terminal.
async fn synthetic(cli: &Cli, store: &Arc<dyn Store>, count: u64, seed: u64) -> Result<(), CliError> {
    if count == 0 {
        return Ok(());
    }
    let calendar = motcua::calendar::source::CalendarSource::new(cli.calendar.rules()?).current(store.as_ref()).await?;
    let owner = motcua_bench::synthetic::ensure_sample_citizen(store.as_ref()).await?;
    let bar = motcua::catalog::import::progress(usize::try_from(count).unwrap_or(usize::MAX), "Hồ sơ mẫu");
    let started = std::time::Instant::now();
    let plan = motcua_bench::synthetic::Plan {
        count,
        seed,
        now: jiff::Timestamp::now(),
        owner,
        mode: motcua_domain::workflow::SupplementMode::Restart,
    };
    let n = motcua_bench::synthetic::generate(store, calendar, plan, &|done| bar.set_position(done)).await?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!("Đã sinh {n} hồ sơ mẫu trong {secs:.1} s ({:.0} hồ sơ/s).", n as f64 / secs.max(1e-9));
    Ok(())
}

fn read_input(path: &Path) -> Result<String, CliError> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(io_err(path))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(io_err(path))
    }
}

fn print_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(io_err(Path::new("stdout")))
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Serve(args) => serve(&cli, args).await,
        Command::Calendar(cmd) => calendar(&cli, cmd).await,
        Command::Pki(cmd) => pki_command(&cli, cmd).await,
        Command::Axis(cmd) => commands::axis_command(&cli, cmd).await,
        Command::Verify { qr: Some(qr), ca, .. } => qr::verify_qr(&cli, qr, ca.as_deref()).await,
        Command::Verify { file: Some(file), signature: Some(signature), ca, .. } => {
            verify_file(&cli, file, signature, ca.as_deref()).await
        }
        Command::Verify { .. } => Err(CliError::Usage("cần TỆP CHỮ_KÝ hoặc --qr".into())),
        Command::Peer(cmd) => peer_command(&cli, cmd).await,
        Command::User(UserCommand::Add(args)) => add_user(&cli, args).await,
        Command::User(UserCommand::Disable { username }) => set_disabled(&cli, username, true).await,
        Command::User(UserCommand::Enable { username }) => set_disabled(&cli, username, false).await,
        Command::User(UserCommand::Password { username }) => set_password(&cli, username).await,
        Command::User(UserCommand::SecondFactorReset { username }) => reset_second_factor(&cli, username).await,
        Command::Orgs(OrgsCommand::SecondFactor { org, roles }) => second_factor_policy(&cli, org, roles).await,
        Command::Bench(_)
        | Command::BenchSearch(_)
        | Command::BenchStats(_)
        | Command::BenchCrash(_)
        | Command::BenchExchange(_) => bench_command(&cli).await,
        Command::Stats(_) | Command::Payment(_) | Command::Orgs(OrgsCommand::Bank { .. }) => {
            money_and_figures(&cli).await
        }
        Command::Backup { .. } | Command::Restore { .. } => backup_command(&cli).await,
        _ => data_command(&cli).await,
    }
}

/// The benchmarks and the crash test.
async fn bench_command(cli: &Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::BenchStats(args) => {
            let report =
                motcua_bench::bench::stats(&database_url(cli)?, args.dossiers, args.rounds.max(1), args.seed).await?;
            println!("{report}");
            Ok(())
        }
        Command::BenchSearch(args) => {
            let report =
                motcua_bench::search::search(args.procedures.clamp(48, 1_000_000), args.queries.clamp(1, 10_000_000))?;
            println!("{report}");
            Ok(())
        }
        Command::Bench(args) => {
            let report = motcua_bench::bench::run(motcua_bench::bench::BenchArgs {
                url: args.url.clone(),
                concurrency: args.concurrency.clamp(1, 256),
                duration: std::time::Duration::from_secs(args.seconds.clamp(1, 3600)),
                password: args.password.clone(),
                page_requests: args.page_requests.min(100_000),
                reads_only: args.reads_only,
                database_url: if args.no_baseline { None } else { Some(database_url(cli)?) },
            })
            .await?;
            println!("{report}");
            Ok(())
        }
        Command::BenchCrash(args) => {
            let exe = std::env::current_exe().map_err(io_err(Path::new("current_exe")))?;
            let report = motcua_bench::load::crash(motcua_bench::load::CrashArgs {
                exe,
                data_dir: cli.data_dir.clone(),
                database_url: cli.database_url.clone(),
                kills: args.kills.clamp(1, 10_000),
                concurrency: args.concurrency.clamp(1, 64),
                min_gap: std::time::Duration::from_millis(args.min_ms.clamp(10, 600_000)),
                max_gap: std::time::Duration::from_millis(
                    args.max_ms.clamp(args.min_ms.clamp(10, 600_000) + 1, 600_000),
                ),
                password: args.password.clone(),
            })
            .await?;
            println!("{report}");
            Ok(())
        }
        Command::BenchExchange(args) => {
            let report = motcua_bench::bench::exchange(motcua_bench::bench::ExchangeBenchArgs {
                documents: args.documents.clamp(1, 100_000),
                attachment_bytes: args.attachment_kb.clamp(0, 10_000) * 1024,
                concurrency: args.concurrency.clamp(1, 64),
            })
            .await?;
            println!("{report}");
            Ok(())
        }
        _ => Err(CliError::Usage("lệnh không thuộc nhóm này".into())),
    }
}

/// Statistics, payment gateways and carriers, organisations' bank accounts.
async fn money_and_figures(cli: &Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Stats(StatsCommand::Rebuild) => {
            let store = open(cli).await?;
            let n = store.rebuild_stats().await?;
            println!("Đã tính lại số liệu từ {n} hồ sơ.");
            Ok(())
        }
        Command::Stats(StatsCommand::Check) => {
            let store = open(cli).await?;
            let kept = store.stat_snapshot().await?;
            let fresh = store.recompute_stats().await?;
            if kept == fresh {
                println!(
                    "Số liệu khớp với hồ sơ: {} dòng theo ngày, {} theo tháng, {} nhóm hồ sơ đang mở.",
                    kept.days.len(),
                    kept.months.len(),
                    kept.open.len()
                );
                Ok(())
            } else {
                let differ = kept.days.iter().filter(|(k, v)| fresh.days.get(k) != Some(v)).count()
                    + fresh.days.keys().filter(|k| !kept.days.contains_key(k)).count();
                Err(CliError::Usage(format!(
                    "số liệu đang giữ khác số liệu tính lại ở {differ} dòng theo ngày; chạy «motcua stats rebuild»"
                )))
            }
        }
        Command::Orgs(OrgsCommand::Bank { org, bin, account, name }) => {
            let org = OrgCode::parse(org)?;
            let a = motcua_domain::payment::BankAccount::parse(bin, account, name)?;
            let store = open(cli).await?;
            if store.organisation(&org).await?.is_none() {
                return Err(CliError::Usage(format!("không có cơ quan {org}")));
            }
            store.set_bank_account(&org, &a).await?;
            println!("Đã lưu tài khoản thu phí của {org}: {} tại ngân hàng BIN {}.", a.account, a.bin);
            Ok(())
        }
        Command::Payment(command) => {
            use motcua_domain::payment::PartnerKind;
            let (name, kind) = match command {
                PaymentCommand::Gateway { name } => (name, PartnerKind::PaymentGateway),
                PaymentCommand::Carrier { name } => (name, PartnerKind::Carrier),
            };
            let name = name.trim();
            if name.is_empty()
                || name.len() > 50
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(CliError::Usage("tên đối tác chỉ gồm chữ, số, - và _ (tối đa 50)".into()));
            }
            let (secret, generated) = match std::env::var("MOTCUA_GATEWAY_SECRET") {
                Ok(s) if s.len() >= 16 => (s, false),
                Ok(_) => return Err(CliError::Usage("MOTCUA_GATEWAY_SECRET phải dài ít nhất 16 ký tự".into())),
                Err(_) => {
                    let mut raw = [0u8; 32];
                    getrandom::fill(&mut raw).map_err(CliError::Random)?;
                    (raw.iter().map(|b| format!("{b:02x}")).collect(), true)
                }
            };
            open(cli).await?.set_partner(name, kind, &secret).await?;
            let what = kind.label_vi();
            if generated {
                println!("Đã đăng ký {what} {name}. Khóa bí mật (chỉ in lần này, giao cho đối tác):\n{secret}");
            } else {
                println!("Đã đăng ký {what} {name} với khóa trong MOTCUA_GATEWAY_SECRET.");
            }
            Ok(())
        }
        _ => Err(CliError::Usage("lệnh không thuộc nhóm này".into())),
    }
}

/// Where files are kept: `--blob-url`, or the data directory.
fn blob_store(cli: &Cli) -> Result<motcua::blobs::BlobStore, CliError> {
    Ok(motcua::blobs::BlobStore::open(cli.blob_url.as_deref(), &cli.data_dir)?)
}

/// Backup and restore.
async fn backup_command(cli: &Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Backup { dir } => {
            let s = motcua::backup::backup(&database_url(cli)?, &cli.data_dir, &blob_store(cli)?, dir).await?;
            println!(
                "Đã sao lưu vào {} ({}): {} bảng, {} dòng; {} tệp đính kèm ({} byte).",
                dir.display(),
                s.engine,
                s.tables,
                s.rows,
                s.blobs,
                s.blob_bytes
            );
            Ok(())
        }
        Command::Restore { dir, force } => {
            let s = motcua::backup::restore(&database_url(cli)?, &cli.data_dir, &blob_store(cli)?, dir, *force).await?;
            println!(
                "Đã khôi phục từ {} ({}) và đối chiếu: {} bảng, {} dòng khớp bản sao lưu; {} tệp đính kèm.",
                dir.display(),
                s.engine,
                s.tables,
                s.rows,
                s.blobs
            );
            Ok(())
        }
        _ => Err(CliError::Usage("lệnh không thuộc nhóm này".into())),
    }
}

/// Schema, demo data, units, organisations, the catalog, the OpenAPI document, the assistant's evaluation and the audit.
async fn data_command(cli: &Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Migrate => {
            open(cli).await?;
            println!("Lược đồ cơ sở dữ liệu đã được cập nhật.");
            Ok(())
        }
        Command::Demo(args) => {
            let store = open(cli).await?;
            report_demo(&demo::load(store.as_ref(), &demo_settings(args)?).await?);
            synthetic(cli, &store, args.synthetic, args.seed).await
        }
        Command::Units(UnitsCommand::Import { file }) => {
            let store = open(cli).await?;
            let text = match file {
                Some(f) => read_input(f)?,
                None => demo::UNITS_2025.to_owned(),
            };
            let n = import::import_units(store.as_ref(), &text).await?;
            println!("Đã nạp {n} đơn vị hành chính.");
            Ok(())
        }
        Command::Units(UnitsCommand::Export) => print_stdout(&import::export_units(open(cli).await?.as_ref()).await?),
        Command::Orgs(OrgsCommand::Import { file }) => {
            let store = open(cli).await?;
            let n = import::import_organisations(store.as_ref(), &read_input(file)?).await?;
            println!("Đã nạp {n} cơ quan.");
            Ok(())
        }
        Command::Orgs(OrgsCommand::Export) => {
            print_stdout(&import::export_organisations(open(cli).await?.as_ref()).await?)
        }
        Command::Catalog(CatalogCommand::Import { file }) => {
            let store = open(cli).await?;
            let n = import::import_catalog(store.as_ref(), &read_input(file)?).await?;
            println!("Đã nạp {n} thủ tục hành chính.");
            Ok(())
        }
        Command::Catalog(CatalogCommand::Workflows) => {
            print_stdout(&(serde_json::to_string_pretty(&open(cli).await?.workflows().await?)? + "\n"))
        }
        Command::Catalog(CatalogCommand::ImportWorkflows { file }) => {
            use motcua_domain::workflow::{Workflow, first_version};
            let list: Vec<Workflow> = serde_json::from_str(&read_input(file)?)?;
            let checked = list
                .into_iter()
                .map(|w| Workflow { version: first_version(), ..w }.check())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let n = open(cli).await?.upsert_workflows(&checked).await?;
            println!("Đã lưu {n} phiên bản quy trình mới ({} quy trình không đổi).", checked.len() as u64 - n);
            Ok(())
        }
        Command::Catalog(CatalogCommand::Export) => {
            print_stdout(&import::export_catalog(open(cli).await?.as_ref()).await?)
        }
        Command::ConfigReference => print_stdout(&reference::markdown()),
        Command::Openapi => {
            let doc = motcua::server::openapi().to_pretty_json()?;
            print_stdout(&format!("{doc}\n"))
        }
        Command::Assistant(AssistantCommand::Eval { file }) => {
            println!("{}", motcua::assistant::engine::eval(file)?);
            Ok(())
        }
        Command::Audit(AuditCommand::Verify) => {
            let store = open(cli).await?;
            let r = motcua::dossiers::audit::verify(store.as_ref()).await?;
            println!("Toàn vẹn: đã kiểm tra {} hồ sơ, {} sự kiện.", r.dossiers, r.events);
            Ok(())
        }
        _ => Err(CliError::Usage("lệnh không thuộc nhóm này".into())),
    }
}
