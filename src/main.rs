//! The `qingzhang` command: serve, migrate, verify, import-statement, inspect, export, user add, demo.

use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use bank_adapters::Secret;
use qingzhang::config::Config;
use qingzhang::domain::access::{Role, ScopeKind};
use qingzhang::store::Db;
use qingzhang::usecases::{access, demo, statements, verify};
use qingzhang::web::{self, AppState};

#[derive(Parser)]
#[command(name = "qingzhang", version, about = "清账: village collective funds kept honest")]
struct Cli {
    /// Configuration file (default: ./qingzhang.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory for the SQLite file and the server key (overrides the config).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (migrates the database first).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        bind: Option<String>,
        /// Load the demo county first (if it is not loaded yet).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Recompute every village's hash chain and balances, and the audit chain. Exit 1 on any problem.
    Verify {
        /// Only this village (12-digit code).
        #[arg(long)]
        village: Option<String>,
    },
    /// Import a bank statement file (CSV in UTF-8/GBK/GB18030, or XLSX) for a corporate account.
    /// Lines already imported are not added again. Exit 1 if the file is refused.
    ImportStatement {
        /// The corporate account's id (as `GET /api/v1/villages/{code}/accounts` lists it).
        #[arg(long)]
        account: i64,
        /// The accountant who imports (an active user whose scope covers the account).
        #[arg(long = "as")]
        user: String,
        file: PathBuf,
    },
    /// Run the inspection rules over a county, township or village and print or write the
    /// report of its findings. Exit 1 if a village could not be checked.
    Inspect {
        /// The 12-digit code of the county, township or village.
        #[arg(long)]
        scope: String,
        /// First month, e.g. 2026-01.
        #[arg(long)]
        from: String,
        /// Last month, e.g. 2026-12.
        #[arg(long)]
        to: String,
        /// Rule codes separated by commas (default: every rule switched on).
        #[arg(long)]
        rules: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: InspectFormat,
        /// Write the report here instead of standard output (required for xlsx).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export a village's books for outside auditors.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Replay a file of dated events (bills, credits, cash, pay-ins, voids, disbursements,
    /// statements…) through the use cases, each at its own time; all or nothing (docs/history.md).
    /// Exit 1 naming the line if one event is refused.
    ImportHistory { file: PathBuf },
    /// Manage staff users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Load the demo county (two townships, villages, accounts, payers, contracts, bills, users);
    /// with --county-size, generate a synthetic county (清源县, 370786000000) of that many
    /// villages and years of their life, replayed through the use cases from a history file.
    Demo {
        /// Villages of the synthetic county (ten per township).
        #[arg(long)]
        county_size: Option<usize>,
        /// Years of history, up to yesterday.
        #[arg(long, default_value_t = 2)]
        years: u32,
        /// Households with a contract per village.
        #[arg(long, default_value_t = 30)]
        households: usize,
        /// Plant one case of every inspection rule, village k carrying rule k.
        #[arg(long)]
        plant_anomalies: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write history.jsonl and planted.json here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run the sandbox bank: plays the rural bank, WeChat Pay and Alipay with real signatures.
    SandboxBank {
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
        /// How many times faster than real time the providers' retry schedules run.
        #[arg(long, default_value_t = 600)]
        speedup: u32,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// The journal of one year as a Beancount file (check it with `bean-check`); its closing
    /// balance assertions are the books' own trial balance.
    Beancount {
        /// The village's 12-digit code.
        #[arg(long)]
        village: String,
        #[arg(long)]
        year: i32,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum InspectFormat {
    Text,
    Json,
    Xlsx,
    Csv,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user, e.g. the first county admin. The password is read from QINGZHANG_PASSWORD or stdin.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// admin, accountant, clerk or inspector.
        #[arg(long)]
        role: Role,
        /// county, township or village.
        #[arg(long, default_value = "county")]
        scope_kind: ScopeKind,
        /// 12-digit code of the scope.
        #[arg(long)]
        scope_code: String,
        /// With --scope-kind county: create the county with this name if it does not exist.
        #[arg(long)]
        county_name: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(d) = cli.data_dir {
        config.data_dir = d;
    }
    init_tracing(&config);
    match run(cli.command, config) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_tracing(config: &Config) {
    qingzhang::logging::init(config.log_json);
}

fn open_db(config: &Config) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&config.data_dir)?;
    let url = config.database_url();
    let db = Db::connect(&url, config.pool_size)?;
    let applied = db.migrate()?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied migrations");
    }
    Ok(db)
}

fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Migrate => {
            let db = Db::connect(&config.database_url(), 2)?;
            std::fs::create_dir_all(&config.data_dir)?;
            let applied = db.migrate()?;
            println!("{} migration(s) applied on {:?}", applied.len(), db.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            county_size: Some(villages),
            years,
            households,
            plant_anomalies,
            seed,
            out,
        } => {
            use qingzhang::usecases::county::{self, CountySpec};
            let db = open_db(&config)?;
            let key = config.server_key()?;
            let profiles = config.statement_profiles().map_err(anyhow::Error::msg)?;
            let spec = CountySpec {
                villages,
                years,
                seed,
                plant: plant_anomalies,
                payers: households,
            };
            let started = std::time::Instant::now();
            match county::build(&db, key.expose(), &profiles, &spec) {
                Ok((c, history)) => {
                    println!(
                        "county {} loaded: {} villages, {} events replayed in {:.1} s; inspect {} to {}",
                        c.county,
                        c.villages.len(),
                        c.events,
                        started.elapsed().as_secs_f64(),
                        c.from,
                        c.to
                    );
                    for p in c.planted.iter().filter(|p| p.tamper) {
                        println!(
                            "  {} in {} is planted by editing the database: {}",
                            p.rule, p.village, p.how
                        );
                    }
                    if let Some(dir) = out {
                        std::fs::create_dir_all(&dir)?;
                        std::fs::write(dir.join("history.jsonl"), history)?;
                        std::fs::write(dir.join("planted.json"), serde_json::to_vec_pretty(&c)?)?;
                        println!("  history and planted cases written to {}", dir.display());
                    }
                    println!(
                        "  users: county-admin, county-inspector, acct-100…, clerk-<village code>; password {}",
                        county::PASSWORD
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("refused: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Demo { county_size: None, .. } => {
            let db = open_db(&config)?;
            let (sealing, key) = (config.sealing_keys()?, config.server_key()?);
            let sandbox = DemoSandbox::open(&config)?;
            if demo::load(&db, &sealing, key.expose(), &sandbox.keys, &sandbox.base)? {
                println!("demo county loaded");
            } else {
                println!("demo county already present");
            }
            print_demo_users();
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { village } => {
            let db = open_db(&config)?;
            let report = verify::verify(&db, village.as_deref())?;
            for v in &report.villages {
                if v.problems.is_empty() {
                    println!("ok    {} ({} entries)", v.village_code, v.entries);
                } else {
                    match (v.first_bad_seq, &v.first_bad_bill) {
                        (Some(seq), _) => println!("BAD   {}: first bad entry is {seq}", v.village_code),
                        (None, Some(bill)) => println!("BAD   {}: first bill that disagrees is {bill}", v.village_code),
                        (None, None) => println!("BAD   {}", v.village_code),
                    }
                    for p in &v.problems {
                        println!("      - {}", p.what);
                    }
                }
            }
            if report.audit_problems.is_empty() {
                println!("ok    audit log ({} records)", report.audit_records);
            } else {
                println!("BAD   audit log");
                for p in &report.audit_problems {
                    println!("      - {}", p.what);
                }
            }
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::ImportStatement { account, user, file } => {
            let db = open_db(&config)?;
            let profiles = config.statement_profiles().map_err(anyhow::Error::msg)?;
            let bytes = std::fs::read(&file)?;
            let account = qingzhang::domain::ids::CorporateAccountId(account);
            let name = file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let result = access::actor_by_username(&db, &user).and_then(|actor| {
                let village = statements::village_code_of(&db, account)?;
                statements::import_file(&db, &actor, &village, account, &name, &bytes, &profiles)
            });
            match result {
                Ok(r) => {
                    println!(
                        "{}: {} ({}), {} lines, {} new, {} already imported",
                        file.display(),
                        r.profile_label,
                        r.encoding,
                        r.lines_total,
                        r.lines_new,
                        r.lines_known
                    );
                    println!("{}", r.message);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("refused: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Inspect {
            scope,
            from,
            to,
            rules,
            format,
            out,
        } => inspect_command(&config, scope, from, to, rules, format, out),
        Command::Export {
            what: ExportCommand::Beancount { village, year, out },
        } => {
            let db = open_db(&config)?;
            match qingzhang::usecases::exports::beancount(&db, None, &village, year) {
                Ok(text) => {
                    match out {
                        Some(path) => std::fs::write(&path, text)?,
                        None => print!("{text}"),
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("refused: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::ImportHistory { file } => {
            let db = open_db(&config)?;
            let key = config.server_key()?;
            let profiles = config.statement_profiles().map_err(anyhow::Error::msg)?;
            let text = std::fs::read_to_string(&file)?;
            match qingzhang::usecases::history::import(&db, key.expose(), &profiles, &text) {
                Ok(r) => {
                    let kinds: Vec<String> = r.by_event.iter().map(|(e, n)| format!("{e} {n}")).collect();
                    println!(
                        "{}: {} events replayed ({}), {} to {}",
                        file.display(),
                        r.events,
                        kinds.join(", "),
                        r.first_at.unwrap_or_default(),
                        r.last_at.unwrap_or_default()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("refused, nothing imported: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    display_name,
                    role,
                    scope_kind,
                    scope_code,
                    county_name,
                },
        } => {
            let db = open_db(&config)?;
            let password = read_password()?;
            let input = access::NewUserInput {
                username,
                display_name,
                password,
                role,
                scope: access::ScopeRef {
                    kind: scope_kind,
                    code: scope_code,
                },
            };
            let user = access::bootstrap_user(&db, input, county_name.as_deref())?;
            println!(
                "user {} added: {:?} of {} {}",
                user.username, user.role, user.scope.kind, user.scope.code
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::SandboxBank { bind, speedup } => {
            let keys = qingzhang::sandbox::keys::SandboxKeys::generate()?;
            let listener = TcpListener::bind(&bind)?;
            println!("sandbox bank listening on http://{}", listener.local_addr()?);
            println!("  keys to bind it with: GET /sandbox/keys; pay: POST /sandbox/pay; statements: GET /statements/{{account_no}}");
            actix_web::rt::System::new().block_on(async move {
                let (server, _) = qingzhang::sandbox::server::start(listener, keys, speedup, None)?;
                server.await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { bind, demo: with_demo } => {
            let bind = bind.unwrap_or_else(|| config.bind.clone());
            let db = open_db(&config)?;
            let server_key = Arc::new(config.server_key()?);
            let sealing = Arc::new(config.sealing_keys()?);
            let sandbox = match with_demo {
                true => Some(DemoSandbox::open(&config)?),
                false => None,
            };
            if let Some(s) = &sandbox {
                if demo::load(&db, &sealing, server_key.expose(), &s.keys, &s.base)? {
                    tracing::info!("demo county loaded");
                }
                if let Some(was) = &s.moved_from {
                    let (moved, left) = demo::follow_sandbox(&db, &sealing, &s.keys.published(), was, &s.base)?;
                    println!("  the demo sandbox moved from {was} to {}: {moved} demo bindings follow it, {left} changed by an admin left as they are", s.base);
                }
            }
            let listener = TcpListener::bind(&bind)?;
            let addr = listener.local_addr()?;
            let profiles = Arc::new(config.statement_profiles().map_err(anyhow::Error::msg)?);
            let fetch_at = config.statement_fetch_time().map_err(anyhow::Error::msg)?;
            let inspect_at = config.inspect_time().map_err(anyhow::Error::msg)?;
            qingzhang::usecases::inspection::check_config(&db, &config.inspection).map_err(anyhow::Error::msg)?;
            let state = AppState {
                profiles,
                db,
                config: Arc::new(config),
                server_key,
                login_gate: Default::default(),
                public_limiter: Default::default(),
                refusals: Default::default(),
                sealing,
                http: reqwest::Client::new(),
            };
            println!("qingzhang is listening on http://{addr}");
            println!("  API description: http://{addr}/api/openapi.json");
            println!("  health:          http://{addr}/healthz   readiness: http://{addr}/readyz   metrics: http://{addr}/metrics");
            if with_demo {
                print_demo_users();
                println!(
                    "  try: curl -s -X POST http://{addr}/api/v1/auth/login -H 'content-type: application/json' \\"
                );
                println!(
                    "         -d '{{\"username\":\"clerk\",\"password\":\"{}\"}}'",
                    demo::DEMO_PASSWORD
                );
                println!("       then: curl -s http://{addr}/api/v1/villages/370725102201/bills -H 'authorization: Bearer <token>'");
            }
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                if let Some(s) = sandbox {
                    // The demo plays its gateways and bank with an in-process sandbox, which may
                    // call back this service only.
                    let own = format!("http://{addr}");
                    let (server, _) = qingzhang::sandbox::server::start(s.listener, s.keys, 60, Some(own))?;
                    actix_web::rt::spawn(server);
                    println!("  sandbox bank:    {} (the demo's WeChat Pay, Alipay and bank)", s.base);
                }
                spawn_order_queries(&state);
                spawn_inbox_retention(&state);
                if let Some(at) = fetch_at {
                    spawn_statement_fetches(&state, at);
                }
                if let Some(at) = inspect_at {
                    spawn_inspections(&state, at);
                }
                web::start(listener, state)?.await?;
                Ok::<_, anyhow::Error>(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The demo's sandbox bank: its keys and its address are kept in the data directory, so a
/// restarted demo plays the same bank at the same place and nothing bound to it changes.
struct DemoSandbox {
    keys: qingzhang::sandbox::keys::SandboxKeys,
    listener: TcpListener,
    base: String,
    /// Where it was before, when that address could not be taken again.
    moved_from: Option<String>,
}

impl DemoSandbox {
    fn open(config: &Config) -> anyhow::Result<DemoSandbox> {
        std::fs::create_dir_all(&config.data_dir)?;
        let keys =
            qingzhang::sandbox::keys::SandboxKeys::load_or_create(&config.data_dir.join("demo-sandbox-keys.json"))
                .map_err(|e| anyhow::anyhow!("demo sandbox keys: {e}"))?;
        let address_file = config.data_dir.join("demo-sandbox-address");
        let recorded = std::fs::read_to_string(&address_file)
            .ok()
            .map(|a| a.trim().to_string());
        let (listener, moved_from) = match recorded.as_deref().map(TcpListener::bind) {
            Some(Ok(l)) => (l, None),
            Some(Err(_)) => (
                TcpListener::bind("127.0.0.1:0")?,
                recorded.map(|a| format!("http://{a}")),
            ),
            None => (TcpListener::bind("127.0.0.1:0")?, None),
        };
        let address = listener.local_addr()?.to_string();
        std::fs::write(&address_file, &address)?;
        Ok(DemoSandbox {
            keys,
            listener,
            base: format!("http://{address}"),
            moved_from,
        })
    }
}

/// Forgets strangers' refused callbacks past `inbox_digest_days`, every hour.
fn spawn_inbox_retention(state: &AppState) {
    let (db, days) = (state.db.clone(), state.config.inbox_digest_days);
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let db2 = db.clone();
            let forgotten = db
                .run(move |_| qingzhang::usecases::callbacks::forget_old_digests(&db2, period_now(), days))
                .await;
            match forgotten {
                Ok(0) => {}
                Ok(n) => tracing::info!(forgotten = n, "inbox: strangers' refused callbacks past retention"),
                Err(e) => tracing::warn!(error = %e, "inbox retention failed"),
            }
        }
    });
}

/// After `at` (Beijing time) each day, fetches yesterday's statement of every account whose bank
/// binding has a statement API, then reconciles that day; a fetch that fails (unreachable,
/// unverifiable) is tried again every 10 minutes until it succeeds.
fn spawn_statement_fetches(state: &AppState, at: chrono::NaiveTime) {
    let (db, sealing, http, key, profiles) = (
        state.db.clone(),
        state.sealing.clone(),
        state.http.clone(),
        state.server_key.clone(),
        state.profiles.clone(),
    );
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = qingzhang::domain::period::business_time(period_now());
            if now.time() < at {
                continue;
            }
            let day = now.date() - chrono::Duration::days(1);
            let (db2, sealing2) = (db.clone(), sealing.clone());
            let due = match db
                .run(move |_| statements::accounts_to_fetch(&db2, &sealing2, day))
                .await
            {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "statement fetch: listing accounts failed");
                    continue;
                }
            };
            for (village, account) in due {
                let fetched =
                    statements::fetch(&db, &sealing, &http, &profiles, None, village.clone(), account, day).await;
                if let Err(e) = fetched {
                    tracing::warn!(%village, %account, %day, error = %e, "statement fetch failed; will retry");
                    continue;
                }
                let (db2, key2, v2) = (db.clone(), key.clone(), village.clone());
                let done = db
                    .run(move |_| {
                        qingzhang::usecases::reconciliation::reconcile_as_system(&db2, &v2, account, day, key2.expose())
                    })
                    .await;
                match done {
                    Ok(c) => {
                        tracing::info!(%village, %account, %day, matched = c.matched, taken_in = c.taken_in,
                                       unexplained_debits = c.unexplained_debits, "reconciled")
                    }
                    Err(e) => tracing::warn!(%village, %account, %day, error = %e, "nightly reconciliation failed"),
                }
            }
        }
    });
}

/// Queries gateway orders that got no notification, every `order_query_secs`.
fn spawn_order_queries(state: &AppState) {
    let every = state.config.order_query_secs;
    if every == 0 {
        return;
    }
    let (db, sealing, http, key) = (
        state.db.clone(),
        state.sealing.clone(),
        state.http.clone(),
        state.server_key.clone(),
    );
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(every));
        loop {
            tick.tick().await;
            match qingzhang::usecases::orders::query_due(&db, &sealing, &http, key.expose(), period_now(), 100).await {
                Ok(r) if r.queried > 0 => tracing::info!(?r, "order queries"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "order queries failed"),
            }
        }
    });
}

fn period_now() -> chrono::DateTime<chrono::Utc> {
    qingzhang::domain::period::now()
}

fn print_demo_users() {
    println!("  demo users (password '{}'):", demo::DEMO_PASSWORD);
    for u in demo::DEMO_USERS {
        println!("    {:<12} {:<22} {}", u.username, u.role, u.scope);
    }
}

fn read_password() -> anyhow::Result<Secret<String>> {
    if let Ok(p) = std::env::var("QINGZHANG_PASSWORD") {
        return Ok(Secret::new(p));
    }
    eprint!("password: ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n']).to_string()))
}

/// `qingzhang inspect`: runs the rules as the system (audit-logged without a user), then
/// writes the report of the scope and period.
fn inspect_command(
    config: &Config,
    scope: String,
    from: String,
    to: String,
    rules: Option<String>,
    format: InspectFormat,
    out: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    use qingzhang::usecases::exports;
    use qingzhang::usecases::inspection::{self, findings::FindingQuery, report, RunInput};
    let db = open_db(config)?;
    inspection::check_config(&db, &config.inspection).map_err(anyhow::Error::msg)?;
    let input = RunInput {
        scope: scope.clone(),
        from: from.clone(),
        to: to.clone(),
        rules: rules.clone(),
    };
    let summary = match inspection::run(&db, None, &input, &config.inspection, qingzhang::domain::period::now()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("refused: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    eprintln!("{}", summary.message);
    for f in &summary.villages_failed {
        eprintln!("NOT CHECKED {}: {}", f.village, f.error);
    }
    let query = FindingQuery {
        scope,
        from,
        to,
        rules,
        ..Default::default()
    };
    let r = report::report(&db, None, &query)?;
    let bytes = match format {
        InspectFormat::Text => report::text(&r).into_bytes(),
        InspectFormat::Json => serde_json::to_vec_pretty(&r)?,
        InspectFormat::Xlsx => exports::to_xlsx_book(&report::tables(&r))?,
        InspectFormat::Csv => exports::to_csv(&report::flat_table(&r))?,
    };
    match out {
        Some(path) => {
            std::fs::write(&path, bytes)?;
            eprintln!("report written to {}", path.display());
        }
        None if matches!(format, InspectFormat::Xlsx) => anyhow::bail!("--format xlsx needs --out FILE"),
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(if summary.villages_failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs every rule over each county once a day after `at` (Beijing time), over the last twelve
/// months: findings stay current without anyone asking.
fn spawn_inspections(state: &AppState, at: chrono::NaiveTime) {
    use qingzhang::usecases::inspection::{self, RunInput};
    let (db, config) = (state.db.clone(), state.config.clone());
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(600));
        let mut done_on: Option<chrono::NaiveDate> = None;
        loop {
            tick.tick().await;
            let now = period_now();
            let local = qingzhang::domain::period::business_time(now);
            if local.time() < at || done_on == Some(local.date()) {
                continue;
            }
            let (db2, config2) = (db.clone(), config.clone());
            let done = db
                .run(move |_| {
                    let (from, to) = inspection::last_twelve_months(now);
                    let mut runs = Vec::new();
                    for county in inspection::counties(&db2)? {
                        let input = RunInput {
                            scope: county,
                            from: from.clone(),
                            to: to.clone(),
                            rules: None,
                        };
                        runs.push(inspection::run(&db2, None, &input, &config2.inspection, now)?);
                    }
                    Ok::<_, qingzhang::AppError>(runs)
                })
                .await;
            match done {
                Ok(runs) => {
                    done_on = Some(local.date());
                    for r in runs {
                        tracing::info!(scope = %r.scope, findings = r.findings, new = r.findings_new, gone = r.findings_gone,
                            not_checked = r.villages_failed.len(), "nightly inspection");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "nightly inspection failed; will retry"),
            }
        }
    });
}
