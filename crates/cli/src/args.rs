//! The command line's shape: every command, its arguments and their environment variables
//! (clap derives the help from these doc comments).

use super::*;

#[derive(Debug, Parser)]
#[command(
    name = "motcua",
    version,
    about = "motcua — hệ thống một cửa điện tử cho tỉnh (one-stop e-government platform)"
)]
pub struct Cli {
    /// Thư mục dữ liệu (CSDL SQLite mặc định nằm ở đây).
    #[arg(long, env = "MOTCUA_DATA_DIR", default_value = "./motcua-data", global = true)]
    pub data_dir: PathBuf,
    /// sqlite://PATH hoặc postgres://USER@HOST/DB; mặc định SQLite trong thư mục dữ liệu.
    #[arg(long, env = "MOTCUA_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Tệp chứa khóa bảo vệ các khóa bí mật ký số, dùng chung cho mọi máy chủ trên một CSDL
    /// (mặc định: keys/passphrase trong thư mục dữ liệu; biến MOTCUA_KEY_PASSPHRASE đứng trước).
    #[arg(long, env = "MOTCUA_KEY_PASSPHRASE_FILE", global = true)]
    pub key_passphrase_file: Option<PathBuf>,
    /// Kho tệp đính kèm dùng chung cho nhiều máy chủ: s3://BUCKET[/TIỀN-TỐ]?endpoint=URL&region=…
    /// (khóa truy cập lấy từ AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); mặc định: thư mục dữ liệu.
    #[arg(long, env = "MOTCUA_BLOB_URL", global = true)]
    pub blob_url: Option<String>,
    /// Dạng nhật ký (ra stderr): text (đọc bằng mắt) hoặc json (mỗi dòng một đối tượng JSON,
    /// cho hệ thống gom nhật ký).
    #[arg(long, env = "MOTCUA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub calendar: CalendarArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Working-day calendar settings.
#[derive(Debug, Clone, Args)]
pub struct CalendarArgs {
    /// Giờ làm việc: hai buổi.
    #[arg(long, env = "MOTCUA_WORKING_HOURS", default_value = "07:30-11:30,13:30-17:00", global = true)]
    pub working_hours: String,
    /// Giờ chốt: hồ sơ nhận từ giờ này tính từ ngày làm việc kế tiếp.
    #[arg(long, env = "MOTCUA_CUTOFF", default_value = "15:00", global = true)]
    pub cutoff: String,
    /// Số ngày nghỉ Tết trước và sau mùng 1: TRƯỚC,SAU (mặc định 1,3: tổng 5 ngày).
    #[arg(long, env = "MOTCUA_TET_DAYS", default_value = "1,3", global = true)]
    pub tet_days: String,
    /// Ngày nghỉ liền kề Quốc khánh 2/9: before (1/9) hoặc after (3/9).
    #[arg(long, env = "MOTCUA_NATIONAL_DAY_EXTRA", default_value = "before", global = true)]
    pub national_day_extra: String,
}

impl CalendarArgs {
    pub fn rules(&self) -> Result<motcua_domain::calendar::CalendarRules, CliError> {
        motcua::calendar::source::rules_from_settings(
            &self.working_hours,
            &self.cutoff,
            &self.tet_days,
            &self.national_day_extra,
        )
        .map_err(CliError::Usage)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Chạy máy chủ (run the server).
    Serve(Box<ServeArgs>),
    /// Nâng cấp lược đồ CSDL rồi thoát (run migrations).
    Migrate,
    /// Nạp dữ liệu mẫu Quảng Ninh (load the demo data, once).
    Demo(DemoArgs),
    /// Đơn vị hành chính (administrative units).
    #[command(subcommand)]
    Units(UnitsCommand),
    /// Cơ quan giải quyết hồ sơ (organisations).
    #[command(subcommand)]
    Orgs(OrgsCommand),
    /// Danh mục thủ tục hành chính (procedure catalog).
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Tài khoản (accounts).
    #[command(subcommand)]
    User(UserCommand),
    /// In tài liệu OpenAPI của API (print the OpenAPI document).
    Openapi,
    /// Lịch làm việc: ngày nghỉ, hạn giải quyết (working-day calendar).
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Nhật ký kiểm tra (audit trail).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Trợ lý ảo cho công dân (the citizen assistant).
    #[command(subcommand)]
    Assistant(AssistantCommand),
    /// Đo hiệu năng một máy chủ đang chạy có dữ liệu mẫu (benchmark a running demo server).
    Bench(BenchArgs),
    /// Đo tốc độ tìm kiếm trên danh mục sinh ngẫu nhiên (benchmark the search index).
    BenchSearch(BenchSearchArgs),
    /// Khóa và chứng thư số để ký văn bản điện tử (keys and certificates).
    #[command(subcommand)]
    Pki(PkiCommand),
    /// Máy chủ đối tác trao đổi văn bản (partner servers).
    #[command(subcommand)]
    Peer(PeerCommand),
    /// Trục liên thông văn bản quốc gia hoặc LGSP của tỉnh (the national document axis).
    #[command(subcommand)]
    Axis(AxisCommand),
    /// Đo tốc độ gửi văn bản giữa hai máy chủ (benchmark document exchange between two servers).
    BenchExchange(BenchExchangeArgs),
    /// Số liệu của trung tâm điều hành (operations-centre statistics).
    #[command(subcommand)]
    Stats(StatsCommand),
    /// Đo thời gian trả lời của bảng điều hành trên dữ liệu lớn (benchmark dashboard queries).
    BenchStats(BenchStatsArgs),
    /// Cổng thanh toán gọi lại xác nhận giao dịch (payment gateways).
    #[command(subcommand)]
    Payment(PaymentCommand),
    /// Thử sập nguồn: chạy máy chủ với dữ liệu mẫu, tải hỗn hợp, kill -9 nhiều lần, rồi kiểm tra không mất gì.
    BenchCrash(BenchCrashArgs),
    /// Sao lưu khi máy chủ đang chạy: CSDL (bản chụp nhất quán), tệp đính kèm, khóa (back up).
    Backup {
        /// Thư mục mới để ghi bản sao lưu.
        dir: PathBuf,
    },
    /// Khôi phục bản sao lưu vào CSDL và thư mục dữ liệu đã chọn, rồi đối chiếu từng bảng (restore).
    Restore {
        /// Thư mục bản sao lưu.
        dir: PathBuf,
        /// SQLite: ghi đè CSDL đang có (máy chủ phải dừng); thay khóa khác.
        #[arg(long)]
        force: bool,
    },
    /// In bảng tùy chọn của mọi lệnh dạng Markdown: docs/configuration.md được sinh từ đây
    /// (print every command's options as Markdown).
    #[command(name = "config-reference", hide = true)]
    ConfigReference,
    /// Kiểm tra chữ ký số của một kết quả đã tải về, hoặc mã QR ký số của một giấy tờ, không
    /// cần mạng (verify a signed result, or a paper's signed QR code, offline).
    Verify {
        /// Tệp kết quả.
        #[arg(required_unless_present = "qr", conflicts_with = "qr")]
        file: Option<PathBuf>,
        /// Chữ ký (.p7s, CMS DER) tải kèm.
        #[arg(required_unless_present = "qr", conflicts_with = "qr")]
        signature: Option<PathBuf>,
        /// Mã QR trên phiếu kết quả, biên lai, mẫu 01 hoặc 04: nội dung (MC1:…) hoặc ảnh
        /// PNG/JPEG chụp, quét giấy tờ.
        #[arg(long, value_name = "TEXT|IMAGE")]
        qr: Option<String>,
        /// Chứng thư CA tin cậy (PEM); không có: CA của hệ thống trong thư mục dữ liệu.
        #[arg(long)]
        ca: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PaymentCommand {
    /// Đăng ký (hoặc đổi khóa) cổng thanh toán; khóa bí mật đọc từ MOTCUA_GATEWAY_SECRET,
    /// không có thì sinh ngẫu nhiên và in ra một lần.
    Gateway {
        #[arg(long)]
        name: String,
    },
    /// Đăng ký (hoặc đổi khóa) đơn vị bưu chính báo trạng thái bưu gửi; khóa như trên.
    Carrier {
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Tính lại toàn bộ số liệu từ hồ sơ (sau khi khôi phục sao lưu).
    Rebuild,
    /// So số liệu đang giữ với số liệu tính lại từ hồ sơ; khác nhau thì thoát với mã 1.
    Check,
}

#[derive(Debug, Args)]
pub struct BenchStatsArgs {
    /// Số hồ sơ sinh ra (trạng thái cuối của từng hồ sơ, gộp vào số liệu).
    #[arg(long, default_value_t = 1_000_000)]
    pub dossiers: u64,
    /// Số lần đo mỗi truy vấn.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// Hạt giống ngẫu nhiên.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct BenchExchangeArgs {
    /// Số văn bản gửi.
    #[arg(long, default_value_t = 200)]
    pub documents: usize,
    /// Dung lượng tệp đính kèm của mỗi văn bản (KB).
    #[arg(long, default_value_t = 100)]
    pub attachment_kb: usize,
    /// Số yêu cầu gửi đồng thời.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

#[derive(Debug, Subcommand)]
pub enum AxisCommand {
    /// Nhập danh bạ cơ quan của trục: từ tệp (--file: JSON như getAgenciesList trả về, hoặc CSV
    /// mã,tên[,mã cơ quan cha]) hoặc lấy thẳng từ trục (--fetch).
    #[command(group(clap::ArgGroup::new("source").required(true).args(["file", "fetch"])))]
    Agencies {
        /// Tệp danh bạ (JSON hoặc CSV).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Lấy danh bạ từ trục (getAgenciesList).
        #[arg(long)]
        fetch: bool,
        #[command(flatten)]
        axis: AxisArgs,
    },
    /// Hỏi trục một lần và nhận mọi gói tin đang chờ (không cần máy chủ đang chạy).
    Poll {
        #[command(flatten)]
        axis: AxisArgs,
    },
}

/// Kết nối tới trục liên thông văn bản quốc gia (hoặc LGSP của tỉnh).
#[derive(Debug, Clone, Args)]
pub struct AxisArgs {
    /// Địa chỉ dịch vụ văn bản của trục liên thông hoặc LGSP; không đặt thì không kết nối.
    #[arg(long, env = "MOTCUA_AXIS_URL")]
    pub axis_url: Option<String>,
    /// Mã hệ thống (systemid) trục cấp cho máy chủ này.
    #[arg(long, env = "MOTCUA_AXIS_SYSTEM_ID", default_value = "")]
    pub axis_system_id: String,
    /// Khóa bí mật (secret) trục cấp cho máy chủ này.
    #[arg(long, env = "MOTCUA_AXIS_SECRET", hide_env_values = true)]
    pub axis_secret: Option<String>,
    /// Bao nhiêu giây hỏi trục một lần xem có văn bản, trạng thái mới.
    #[arg(long, env = "MOTCUA_AXIS_POLL_SECONDS", default_value_t = 60)]
    pub axis_poll_seconds: u64,
}

impl AxisArgs {
    pub(super) fn settings(&self) -> Result<Option<motcua::documents::exchange::AxisSettings>, String> {
        let Some(url) = self.axis_url.clone().filter(|u| !u.trim().is_empty()) else { return Ok(None) };
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!("--axis-url phải là địa chỉ http(s): {url}"));
        }
        if self.axis_system_id.trim().is_empty() {
            return Err("--axis-url cần --axis-system-id (mã hệ thống trục cấp)".into());
        }
        Ok(Some(motcua::documents::exchange::AxisSettings {
            base_url: url,
            system_id: self.axis_system_id.trim().to_owned(),
            secret: self.axis_secret.clone().unwrap_or_default(),
            poll_every: std::time::Duration::from_secs(self.axis_poll_seconds.clamp(1, 86_400)),
        }))
    }
}

#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Tạo tổ chức chứng thực (CA) của hệ thống và chứng thư ký yêu cầu của máy chủ.
    Init {
        /// Tên CA.
        #[arg(long, default_value = "motcua CA")]
        name: String,
        /// ec (ECDSA P-256) hoặc rsa (RSA-2048); đều dùng SHA-256.
        #[arg(long, default_value = "ec")]
        algorithm: String,
        #[arg(long, default_value_t = 3650)]
        days: u32,
    },
    /// Cấp chứng thư số ký văn bản cho một cơ quan (--org) hoặc mọi cơ quan chưa có (--all).
    #[command(group(clap::ArgGroup::new("who").required(true).args(["org", "all"])))]
    Issue {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long, default_value = "ec")]
        algorithm: String,
        #[arg(long, default_value_t = 730)]
        days: u32,
    },
    /// Nhập chứng thư và khóa do CA bên ngoài cấp: --p12 FILE, hoặc --cert FILE --key FILE.
    /// Mật khẩu tệp đọc từ biến môi trường MOTCUA_IMPORT_PASSWORD.
    Import {
        #[arg(long)]
        org: String,
        #[arg(long, conflicts_with_all = ["cert", "key"])]
        p12: Option<PathBuf>,
        #[arg(long, requires = "key")]
        cert: Option<PathBuf>,
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
    },
    /// Tin cậy chứng thư do một CA bên ngoài cấp (tệp PEM của CA).
    Trust { file: PathBuf },
    /// Liệt kê chứng thư số (không bao giờ in khóa bí mật).
    List,
    /// In chứng thư CA (PEM) để gửi cho máy chủ đối tác.
    ExportCa,
}

#[derive(Debug, Subcommand)]
pub enum PeerCommand {
    /// Thêm hoặc sửa máy chủ đối tác.
    Add {
        #[arg(long)]
        name: String,
        /// Địa chỉ gốc, ví dụ https://vanban.hungyen.gov.vn
        #[arg(long)]
        url: String,
        /// Chứng thư CA của đối tác (PEM).
        #[arg(long)]
        ca: PathBuf,
        /// Cơ quan do đối tác phục vụ: MÃ hoặc MÃ=Tên; lặp lại được.
        #[arg(long = "org", required = true)]
        orgs: Vec<String>,
    },
    /// Liệt kê máy chủ đối tác.
    List,
}

#[derive(Debug, Args)]
pub struct BenchSearchArgs {
    /// Số thủ tục của danh mục sinh ra (từ 48 thủ tục mẫu).
    #[arg(long, default_value_t = 10_000)]
    pub procedures: usize,
    /// Số lần tìm kiếm.
    #[arg(long, default_value_t = 5_000)]
    pub queries: usize,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Địa chỉ máy chủ.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Số luồng đồng thời.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Số giây cho mỗi pha.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Mật khẩu các tài khoản mẫu.
    #[arg(long, default_value = motcua::demo::DEMO_PASSWORD)]
    pub password: String,
    /// Số lần tải mỗi trang web trong pha đo trang (0: bỏ qua).
    #[arg(long, default_value_t = 200)]
    pub page_requests: usize,
    /// Không đo tốc độ ghi thô của CSDL.
    #[arg(long)]
    pub no_baseline: bool,
    /// Chỉ đo đọc ở quy mô kho hồ sơ (danh sách, tìm kiếm, trang sau, trung tâm điều hành),
    /// --page-requests lần mỗi mục; không ghi gì (dùng sau demo --synthetic N).
    #[arg(long)]
    pub reads_only: bool,
}

#[derive(Debug, Args)]
pub struct BenchCrashArgs {
    /// Số lần kill -9.
    #[arg(long, default_value_t = 20)]
    pub kills: usize,
    /// Số luồng tải đồng thời.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Khoảng cách ngắn nhất giữa hai lần giết, ms.
    #[arg(long, default_value_t = 300)]
    pub min_ms: u64,
    /// Khoảng cách dài nhất giữa hai lần giết, ms.
    #[arg(long, default_value_t = 2000)]
    pub max_ms: u64,
    /// Mật khẩu các tài khoản mẫu.
    #[arg(long, default_value = motcua::demo::DEMO_PASSWORD)]
    pub password: String,
}

#[derive(Debug, Subcommand)]
pub enum AssistantCommand {
    /// Đo độ chính xác trên bộ câu hỏi có nhãn (JSON lines: {"q": "...", "code": "1.001193"}).
    Eval { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Kiểm tra chuỗi băm của mọi hồ sơ; thoát mã khác 0 và nêu chỗ hỏng đầu tiên nếu có.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// In các ngày nghỉ của năm: YYYY-MM-DD<TAB>tên.
    Holidays {
        #[arg(long)]
        year: i16,
    },
    /// In hạn giải quyết (RFC 3339, giờ Việt Nam) cho hồ sơ nhận lúc --from.
    #[command(group(clap::ArgGroup::new("limit").required(true).args(["days", "hours", "calendar_days", "immediate"])))]
    Due {
        /// Thời điểm tiếp nhận, RFC 3339, ví dụ 2025-03-03T09:00:00+07:00.
        #[arg(long)]
        from: String,
        /// Số ngày làm việc.
        #[arg(long)]
        days: Option<u16>,
        /// Số giờ làm việc.
        #[arg(long)]
        hours: Option<u16>,
        /// Số ngày theo lịch.
        #[arg(long)]
        calendar_days: Option<u16>,
        /// Giải quyết ngay trong ngày.
        #[arg(long)]
        immediate: bool,
    },
    /// Nạp các ngày hoán đổi, nghỉ thêm do Chính phủ công bố (JSON); không có FILE: bản đi kèm.
    Load { file: Option<PathBuf> },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Địa chỉ lắng nghe.
    #[arg(long, env = "MOTCUA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Nạp dữ liệu mẫu trước khi chạy (chỉ lần đầu).
    #[arg(long)]
    pub demo: bool,
    /// Địa chỉ công khai; nếu là https, cookie phiên được đánh dấu Secure.
    #[arg(long, env = "MOTCUA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Thời hạn phiên đăng nhập (giờ).
    #[arg(long, env = "MOTCUA_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u16).range(1..=720))]
    pub session_hours: u16,
    /// Khi chờ bổ sung hồ sơ: restart (tính lại thời hạn từ khi nhận đủ, NĐ 61/2018) hoặc pause (tạm dừng).
    #[arg(long, env = "MOTCUA_SUPPLEMENT_MODE", default_value = "restart", value_parser = ["restart", "pause"])]
    pub supplement_mode: String,
    /// Máy chủ thư gửi thông báo: smtp://host:port, smtp://host?tls=required (STARTTLS),
    /// smtps://user:pass@host; không có: không gửi thư điện tử.
    #[arg(long, env = "MOTCUA_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Người gửi thông báo.
    #[arg(long, env = "MOTCUA_MAIL_FROM", default_value = "Cổng dịch vụ công motcua <no-reply@motcua.local>")]
    pub mail_from: String,
    /// Trọng số chỉ số 766 (tệp JSON như GET /api/v1/stats/index/weights); mặc định: 18/20/44/18.
    #[arg(long, env = "MOTCUA_INDEX_WEIGHTS")]
    pub index_weights: Option<PathBuf>,
    /// Cước bưu chính tiết kiệm cho mỗi văn bản điện tử (đồng).
    #[arg(long, env = "MOTCUA_POSTAGE_VND", default_value_t = 7_000)]
    pub postage_vnd: i64,
    /// Chi phí đi lại tiết kiệm cho mỗi hồ sơ nộp trực tuyến (đồng).
    #[arg(long, env = "MOTCUA_TRAVEL_VND", default_value_t = 50_000)]
    pub travel_vnd: i64,
    /// Số lần tra cứu theo mã (hồ sơ, lịch hẹn, kết quả) mỗi phút từ một địa chỉ; 0: không giới hạn.
    #[arg(long, env = "MOTCUA_LOOKUPS_PER_MINUTE", default_value_t = motcua::throttle::Limits::LOOKUPS_PER_MINUTE)]
    pub lookups_per_minute: u32,
    /// Số lần đặt lịch, lấy số, xin mã ki-ốt, đăng ký tài khoản mỗi phút từ một địa chỉ; 0: không giới hạn.
    #[arg(long, env = "MOTCUA_PUBLIC_WRITES_PER_MINUTE", default_value_t = motcua::throttle::Limits::PUBLIC_WRITES_PER_MINUTE)]
    pub public_writes_per_minute: u32,
    /// Số lần đăng nhập sai trong 15 phút từ một địa chỉ trước khi địa chỉ bị tạm khóa 15 phút; 0: không đếm.
    #[arg(long, env = "MOTCUA_SIGN_IN_FAILURES", default_value_t = motcua::accounts::lockout::LoginGuard::MAX_ADDRESS_FAILURES)]
    pub sign_in_failures: u32,
    /// Địa chỉ của proxy ngược được tin X-Forwarded-For (lặp lại hoặc ngăn cách bằng dấu phẩy).
    #[arg(long, env = "MOTCUA_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxy: Vec<std::net::IpAddr>,
    /// Bỏ mọi giới hạn theo địa chỉ và hạn mức nộp mỗi ngày của tài khoản (chỉ để đo tải từ một máy).
    #[arg(long)]
    pub no_rate_limits: bool,
    /// Mã (bearer token) để Prometheus đọc số liệu ở /metrics; không đặt thì không mở /metrics.
    #[arg(long, env = "MOTCUA_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Số hồ sơ một tài khoản công dân được nộp trong 24 giờ; 0: không giới hạn.
    #[arg(long, env = "MOTCUA_DOSSIERS_PER_DAY", default_value_t = 20)]
    pub dossiers_per_day: i64,
    /// Dung lượng tệp (MB) một tài khoản công dân được gửi trong 24 giờ; 0: không giới hạn.
    #[arg(long, env = "MOTCUA_UPLOAD_MB_PER_DAY", default_value_t = 100)]
    pub upload_mb_per_day: i64,
    /// Số kết nối mở cùng lúc tối đa; kết nối vượt quá chờ đến lượt.
    #[arg(long, env = "MOTCUA_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Số luồng sự kiện trực tiếp (bảng điều hành, màn hình xếp hàng) tối đa từ một địa chỉ.
    #[arg(long, env = "MOTCUA_STREAMS_PER_ADDRESS", default_value_t = 16)]
    pub streams_per_address: usize,
    #[command(flatten)]
    pub demo_settings: DemoArgs,
    #[command(flatten)]
    pub identity: IdentityArgs,
    #[command(flatten)]
    pub axis: AxisArgs,
}

/// Đăng nhập của công dân qua nhà cung cấp định danh OpenID Connect (VNeID, SSO của Cổng quốc gia).
#[derive(Debug, Clone, Args)]
pub struct IdentityArgs {
    /// Địa chỉ (issuer) của nhà cung cấp định danh OpenID Connect; không đặt thì chỉ đăng nhập bằng tài khoản của Cổng.
    #[arg(long, env = "MOTCUA_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// Mã ứng dụng (client id) được nhà cung cấp định danh cấp.
    #[arg(long, env = "MOTCUA_OIDC_CLIENT_ID", default_value = "")]
    pub oidc_client_id: String,
    /// Khóa bí mật của ứng dụng (client secret).
    #[arg(long, env = "MOTCUA_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// Phạm vi (scope) xin thêm ngoài openid, ngăn cách bằng dấu phẩy.
    #[arg(long, env = "MOTCUA_OIDC_SCOPES", value_delimiter = ',', default_value = "profile,phone,address")]
    pub oidc_scopes: Vec<String>,
    /// Tên claim mang số định danh cá nhân (CCCD) trong ID token.
    #[arg(long, env = "MOTCUA_OIDC_CCCD_CLAIM", default_value = "cccd")]
    pub oidc_cccd_claim: String,
    /// Giá trị acr nghĩa là định danh điện tử mức 2, ngăn cách bằng dấu phẩy.
    #[arg(long, env = "MOTCUA_OIDC_LEVEL2_ACR", value_delimiter = ',', default_value = "level2")]
    pub oidc_level2_acr: Vec<String>,
    /// Tên hiện trên nút đăng nhập.
    #[arg(long, env = "MOTCUA_OIDC_NAME", default_value = "VNeID")]
    pub oidc_name: String,
}

impl IdentityArgs {
    pub(super) fn settings(&self) -> Result<Option<motcua::accounts::provider::ProviderSettings>, String> {
        let Some(issuer) = self.oidc_issuer.clone().filter(|i| !i.trim().is_empty()) else { return Ok(None) };
        let settings = motcua::accounts::provider::ProviderSettings {
            issuer,
            client_id: self.oidc_client_id.clone(),
            client_secret: self.oidc_client_secret.clone().filter(|s| !s.is_empty()),
            scopes: self.oidc_scopes.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
            cccd_claim: self.oidc_cccd_claim.clone(),
            level2_acr: self.oidc_level2_acr.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
            display_name: self.oidc_name.clone(),
        };
        settings.check()?;
        Ok(Some(settings))
    }
}

impl ServeArgs {
    pub(super) fn limits(&self) -> motcua::throttle::Limits {
        if self.no_rate_limits {
            return motcua::throttle::Limits::off();
        }
        motcua::throttle::Limits {
            lookups_per_minute: self.lookups_per_minute,
            public_writes_per_minute: self.public_writes_per_minute,
            sign_in_failures: self.sign_in_failures,
            trusted_proxies: self.trusted_proxy.clone(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Nhóm cấp 1 của mã định danh cơ quan trong tỉnh (000.00.00.<mã>).
    #[arg(long, env = "MOTCUA_AGENCY_CODE", default_value = "H22")]
    pub agency_code: String,
    /// Sinh thêm N hồ sơ mẫu trải trên một năm qua quy trình thật (demo: mỗi lần chạy; serve
    /// --demo: chỉ lần nạp đầu).
    #[arg(long, default_value_t = 0)]
    pub synthetic: u64,
    /// Hạt giống ngẫu nhiên của hồ sơ mẫu.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum UnitsCommand {
    /// Nạp từ tệp JSON (dạng phẳng của motcua hoặc danh mục công bố lồng nhau);
    /// không có FILE: nạp danh mục 2025 đi kèm.
    Import { file: Option<PathBuf> },
    /// Xuất ra stdout dạng JSON.
    Export,
}

#[derive(Debug, Subcommand)]
pub enum OrgsCommand {
    /// Nạp từ tệp JSON.
    Import { file: PathBuf },
    /// Xuất ra stdout dạng JSON.
    Export,
    /// Tài khoản ngân hàng thu phí, lệ phí của cơ quan (dùng cho mã VietQR).
    Bank {
        #[arg(long)]
        org: String,
        /// Mã BIN ngân hàng (6 chữ số, NAPAS), ví dụ 970415.
        #[arg(long)]
        bin: String,
        #[arg(long)]
        account: String,
        /// Tên chủ tài khoản.
        #[arg(long)]
        name: String,
    },
    /// Vai trò nào của cơ quan phải xác thực hai lớp khi đăng nhập (mặc định: leader, clerk,
    /// administrator).
    SecondFactor {
        #[arg(long)]
        org: String,
        /// Danh sách vai trò cách nhau bởi dấu phẩy (desk_officer, specialist, leader, clerk,
        /// administrator), hoặc «none» để tắt.
        #[arg(long)]
        roles: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Nạp thủ tục từ tệp JSON (- là stdin); có bản ghi lỗi thì không nạp gì.
    Import { file: PathBuf },
    /// Xuất toàn bộ danh mục ra stdout dạng JSON.
    Export,
    /// In các quy trình đang dùng (phiên bản hiện hành) dạng JSON.
    Workflows,
    /// Lưu quy trình từ tệp JSON (- là stdin; một danh sách như `catalog workflows` in ra):
    /// quy trình đổi bước thành phiên bản mới, hồ sơ đang xử lý giữ phiên bản cũ; có quy
    /// trình sai thì không lưu gì.
    ImportWorkflows { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Tạo tài khoản; mật khẩu đọc từ stdin (dòng đầu).
    Add(UserAddArgs),
    /// Khóa tài khoản và kết thúc mọi phiên đăng nhập của nó.
    Disable { username: String },
    /// Mở khóa tài khoản.
    Enable { username: String },
    /// Đặt mật khẩu mới (đọc từ stdin, dòng đầu) và kết thúc mọi phiên đăng nhập của tài khoản:
    /// cách quản trị viên đặt lại mật khẩu cho cán bộ quên mật khẩu.
    Password { username: String },
    /// Xóa ứng dụng xác thực và mã dự phòng của cán bộ (mất điện thoại) và kết thúc mọi phiên
    /// của tài khoản; lần đăng nhập sau cán bộ đăng ký lại xác thực hai lớp.
    SecondFactorReset { username: String },
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub full_name: String,
    /// Vai trò tại cơ quan, dạng MÃ_CƠ_QUAN:VAI_TRÒ (desk_officer, specialist, leader, clerk,
    /// administrator); lặp lại được.
    #[arg(long = "role")]
    pub roles: Vec<String>,
    /// Tài khoản công dân (cần --cccd) thay vì cán bộ.
    #[arg(long)]
    pub citizen: bool,
    #[arg(long)]
    pub cccd: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
}
