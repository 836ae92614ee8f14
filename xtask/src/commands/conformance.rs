//! `cargo xtask conformance`: checks the specs and clients against tools we did not write.
//!
//! 1. Redocly lints each provider's effective spec (recommended rules, `operation-operationId`
//!    an error); errors fail, and so do warnings not accepted in
//!    `xtask/conformance/accepted-warnings.toml`.
//! 2. Prism serves each effective spec twice on 127.0.0.1 (examples, and generated data), with
//!    request validation on; the `conformance-client` binary runs every operation of every
//!    generated client against both, and once more with a credential sent the wrong way, which
//!    Prism must answer with 401. Prism must report no request violation.
//! 3. Every process started is stopped, also when a step fails; a summary table is printed.
//!
//! The npm tools are pinned in `xtask/conformance/package-lock.json` and installed there with
//! `npm ci` when missing; nothing is installed globally.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

use crate::pipeline;
use crate::pipeline::document;

const TOOLS_DIR: &str = "xtask/conformance";
const WORK_DIR: &str = "target/conformance";

/// One accepted Redocly warning.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Accepted {
    provider: String,
    rule: String,
    pointer: Option<String>,
    reason: String,
}

#[derive(Debug, Deserialize)]
struct AcceptedFile {
    accept: Vec<Accepted>,
}

/// Lint outcome of one provider.
#[derive(Debug, Default)]
struct Lint {
    errors: usize,
    accepted: usize,
    problems: Vec<String>,
}

/// Child processes that are killed when this is dropped, whatever happened.
struct Processes(Vec<(String, Child)>);

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs the whole check; `Err` carries the report of what failed.
pub fn run(root: &Path) -> Result<String, String> {
    let started = Instant::now();
    let tools = root.join(TOOLS_DIR);
    ensure_tools(&tools)?;
    let work = root.join(WORK_DIR);
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;

    let providers = pipeline::load_providers(root).map_err(|e| e.to_string())?;
    let mut specs = BTreeMap::new();
    for provider in &providers {
        let (mut effective, _, _) =
            pipeline::effective_spec(root, provider).map_err(|e| e.to_string())?;
        restore_multipart(&mut effective);
        let path = work.join(format!("{}.yaml", provider.id));
        fs::write(&path, document::to_yaml(&effective))
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        specs.insert(provider.id.clone(), (path, effective));
    }

    let accepted = read_accepted(&tools)?;
    let paths: Vec<&Path> = specs.values().map(|(path, _)| path.as_path()).collect();
    let lints = lint(&tools, &paths, &accepted)?;

    let client =
        crate::commands::cargo_build::binary(root, "billfold-tests", "conformance-client", false)?;
    let mut servers = Processes(Vec::new());
    let mut endpoints = Vec::new();
    let mut ports = free_ports(specs.len() * 2)?.into_iter();
    for (id, (path, _)) in &specs {
        let mut start = |kind: &str, dynamic: bool| {
            let port = ports.next().ok_or("ran out of ports")?;
            start_prism(
                &tools,
                &work,
                path,
                &format!("{id}-{kind}"),
                port,
                dynamic,
                &mut servers,
            )
        };
        let examples = start("examples", false)?;
        let dynamic = start("dynamic", true)?;
        endpoints
            .push(serde_json::json!({"provider": id, "examples": examples, "dynamic": dynamic}));
    }
    // Every Prism starts at once and they share the CPU: the wait grows with their number
    // (60 Node processes for 30 providers took over 30 s to listen on a 2-core machine).
    let patience = Duration::from_secs(30 + 2 * servers.0.len() as u64);
    for (name, address) in servers_addresses(&endpoints) {
        wait_for(&name, address, &mut servers, patience)?;
    }
    // A Prism that lost its port to another would have exited: all must still run.
    for (process, child) in &mut servers.0 {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "prism ({process}) exited ({status}); see {WORK_DIR}/prism-{process}.log"
            ));
        }
    }
    let config = work.join("servers.json");
    fs::write(&config, Value::Array(endpoints).to_string())
        .map_err(|e| format!("writing {}: {e}", config.display()))?;
    let output = Command::new(&client)
        .arg(&config)
        .output()
        .map_err(|e| format!("running {}: {e}", client.display()))?;
    if !output.status.success() {
        return Err(format!(
            "conformance-client failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("conformance-client printed invalid JSON: {e}"))?;
    drop(servers);

    let mut failures = Vec::new();
    // Every operation of every spec was exercised.
    for (id, (_, effective)) in &specs {
        for operation in operation_ids(effective) {
            if !rows
                .iter()
                .any(|r| r["provider"] == id.as_str() && r["operation"] == operation.as_str())
            {
                failures.push(format!(
                    "{id} {operation}: not exercised by tests/conformance_client.rs"
                ));
            }
        }
    }
    // Prism saw no request violation on the servers only valid requests went to.
    for id in specs.keys() {
        let log = work.join(format!("prism-{id}-examples.log"));
        let text = fs::read_to_string(&log).unwrap_or_default();
        for line in text.lines().filter(|l| l.contains("Violation")) {
            failures.push(format!("{id}: Prism reported: {}", line.trim()));
        }
    }
    let mut table = String::new();
    let _ = writeln!(
        table,
        "{:<8} {:<24} {:<9} {:<9} {:<14} lint",
        "provider", "operation", "examples", "dynamic", "auth rejected"
    );
    for row in &rows {
        let id = row["provider"].as_str().unwrap_or("?");
        let operation = row["operation"].as_str().unwrap_or("?");
        let mut cells = Vec::new();
        for check in ["examples", "dynamic", "auth_rejected"] {
            let outcome = row[check].as_str().unwrap_or("missing");
            // A dynamic answer is data json-schema-faker made up; where only that answer
            // breaks the schema (it overshoots `maxProperties`, say), the request was valid and
            // the client decoded what it got: that is the client's part done.
            let prisms_own_data = check == "dynamic"
                && outcome.starts_with(VIOLATIONS)
                && !rejects_the_request(outcome);
            if outcome == "ok" || prisms_own_data {
                cells.push("ok".to_owned());
            } else {
                cells.push("FAIL".to_owned());
                failures.push(format!("{id} {operation} {check}: {outcome}"));
            }
        }
        let lint = lints.get(id).map_or_else(
            || "-".to_owned(),
            |l| {
                if l.errors == 0 && l.problems.is_empty() {
                    format!("ok ({} accepted)", l.accepted)
                } else {
                    format!("{} error(s), {} unaccepted", l.errors, l.problems.len())
                }
            },
        );
        let _ = writeln!(
            table,
            "{id:<8} {operation:<24} {:<9} {:<9} {:<14} {lint}",
            cells[0], cells[1], cells[2]
        );
    }
    for (id, lint) in &lints {
        for problem in &lint.problems {
            failures.push(format!("{id}: redocly: {problem}"));
        }
    }
    let _ = writeln!(table, "\n({} s)", started.elapsed().as_secs());
    if failures.is_empty() {
        Ok(table)
    } else {
        let mut report = table;
        report.push_str("\nfailures:\n");
        for failure in failures {
            let _ = writeln!(report, "  {failure}");
        }
        Err(report)
    }
}

/// Installs the pinned npm tools with `npm ci` when they are missing.
fn ensure_tools(tools: &Path) -> Result<(), String> {
    let present = ["prism", "redocly"]
        .iter()
        .all(|bin| tools.join("node_modules/.bin").join(bin).exists());
    if present {
        return Ok(());
    }
    eprintln!(
        "installing the pinned conformance tools (npm ci in {})…",
        tools.display()
    );
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(tools)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("running npm (Node.js and npm are needed for conformance): {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`npm ci` in {} failed ({status})", tools.display()))
    }
}

fn read_accepted(tools: &Path) -> Result<Vec<Accepted>, String> {
    let path = tools.join("accepted-warnings.toml");
    let text = fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let file: AcceptedFile =
        toml::from_str(&text).map_err(|e| format!("{}: invalid: {e}", path.display()))?;
    if let Some(entry) = file.accept.iter().find(|a| a.reason.trim().is_empty()) {
        return Err(format!(
            "{}: the entry for {} {} has no reason",
            path.display(),
            entry.provider,
            entry.rule
        ));
    }
    Ok(file.accept)
}

/// Lints every spec (`<id>.yaml`) in one Redocly run (one Node start instead of one per spec:
/// 2.8 s instead of 23 s for 30 providers); returns each spec's outcome by id.
fn lint(
    tools: &Path,
    specs: &[&Path],
    accepted: &[Accepted],
) -> Result<BTreeMap<String, Lint>, String> {
    let output = Command::new(tools.join("node_modules/.bin/redocly"))
        .arg("lint")
        .args(specs)
        .arg("--config")
        .arg(tools.join("redocly.yaml"))
        .arg("--format=json")
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .output()
        .map_err(|e| format!("running redocly: {e}"))?;
    // One JSON report per spec, one after another.
    let reports = serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter::<Value>()
        .collect::<Result<Vec<Value>, _>>()
        .map_err(|e| {
            format!(
                "redocly printed no JSON report ({e}): {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    if reports.len() != specs.len() {
        return Err(format!(
            "redocly printed {} reports for {} specs: {}",
            reports.len(),
            specs.len(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut lints: BTreeMap<String, Lint> = specs
        .iter()
        .filter_map(|spec| Some((spec.file_stem()?.to_str()?.to_owned(), Lint::default())))
        .collect();
    for problem in reports
        .iter()
        .flat_map(|report| report["problems"].as_array().into_iter().flatten())
    {
        let source = problem["location"][0]["source"]["ref"]
            .as_str()
            .unwrap_or_default();
        let id = Path::new(source)
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default();
        let Some(lint) = lints.get_mut(id) else {
            return Err(format!(
                "redocly reported a problem in {source:?}, which is none of the linted specs"
            ));
        };
        let rule = problem["ruleId"].as_str().unwrap_or("?");
        let severity = problem["severity"].as_str().unwrap_or("?");
        let pointer = problem["location"][0]["pointer"].as_str().unwrap_or("");
        let message = problem["message"].as_str().unwrap_or("");
        if severity == "error" {
            lint.errors += 1;
            lint.problems
                .push(format!("error {rule} at {pointer}: {message}"));
            continue;
        }
        let is_accepted = accepted.iter().any(|a| {
            a.provider == id && a.rule == rule && a.pointer.as_deref().is_none_or(|p| p == pointer)
        });
        if is_accepted {
            lint.accepted += 1;
        } else {
            lint.problems.push(format!(
                "{severity} {rule} at {pointer}: {message} (fix the spec or overlay, or accept it with a reason in accepted-warnings.toml)"
            ));
        }
    }
    Ok(lints)
}

/// `count` distinct free ports on 127.0.0.1 for servers that start later, chosen below the
/// kernel's ephemeral range (all held open while choosing, so none repeats).
///
/// A port the kernel hands out for `bind(0)` or an outgoing connection could be taken by
/// another process (a test's mock server, say) in the seconds before Prism listens on it; the
/// kernel never hands out a port outside its ephemeral range, so no one takes these but by
/// name. Where that range leaves no room below it, any free port is used.
fn free_ports(count: usize) -> Result<Vec<u16>, String> {
    let below = FIRST_CHOSEN_PORT..ephemeral_start();
    let mut listeners: Vec<TcpListener> = below
        .filter_map(|port| TcpListener::bind(("127.0.0.1", port)).ok())
        .take(count)
        .collect();
    while listeners.len() < count {
        listeners.push(
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding free ports: {e}"))?,
        );
    }
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("finding free ports: {e}"))
}

/// Where Linux says which ports it hands out on its own.
const EPHEMERAL_RANGE: &str = "/proc/sys/net/ipv4/ip_local_port_range";
/// Where Linux's ephemeral range starts by default, for where the file cannot be read.
const DEFAULT_EPHEMERAL_START: u16 = 32768;
/// The first port tried below the ephemeral range (well above the ports services register).
const FIRST_CHOSEN_PORT: u16 = 20000;

/// The first port of the kernel's ephemeral range.
fn ephemeral_start() -> u16 {
    fs::read_to_string(EPHEMERAL_RANGE)
        .ok()
        .and_then(|text| first_port_of_range(&text))
        .unwrap_or(DEFAULT_EPHEMERAL_START)
}

/// The first of the two numbers of `ip_local_port_range` ("32768\t60999").
fn first_port_of_range(text: &str) -> Option<u16> {
    text.split_whitespace().next()?.parse().ok()
}

/// Starts `prism mock` for a spec on a 127.0.0.1 port; returns its base URL.
fn start_prism(
    tools: &Path,
    work: &Path,
    spec: &Path,
    name: &str,
    port: u16,
    dynamic: bool,
    processes: &mut Processes,
) -> Result<String, String> {
    let log_path = work.join(format!("prism-{name}.log"));
    let log =
        fs::File::create(&log_path).map_err(|e| format!("creating {}: {e}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let mut command = Command::new(tools.join("node_modules/.bin/prism"));
    command
        .arg("mock")
        .arg(spec)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    if dynamic {
        command.arg("--dynamic");
    }
    let child = command
        .spawn()
        .map_err(|e| format!("starting prism: {e}"))?;
    processes.0.push((name.to_owned(), child));
    Ok(format!("http://127.0.0.1:{port}"))
}

fn servers_addresses(endpoints: &[Value]) -> Vec<(String, SocketAddr)> {
    endpoints
        .iter()
        .flat_map(|e| {
            ["examples", "dynamic"].into_iter().filter_map(move |kind| {
                let url = e[kind].as_str()?;
                let address = url.trim_start_matches("http://").parse().ok()?;
                Some((
                    format!("{} {kind}", e["provider"].as_str().unwrap_or("?")),
                    address,
                ))
            })
        })
        .collect()
}

/// Waits until a server accepts connections (`patience` at most), or its process exits.
fn wait_for(
    name: &str,
    address: SocketAddr,
    processes: &mut Processes,
    patience: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        for (process, child) in &mut processes.0 {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "prism ({process}) exited early ({status}); see {WORK_DIR}/prism-{process}.log"
                ));
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "prism ({name}) did not listen on {address} within {} s",
        patience.as_secs()
    ))
}

fn operation_ids(effective: &Value) -> Vec<String> {
    effective["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| {
            op.get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

/// One corpus spec's result against Prism: operations run, requests Prism accepted, responses
/// the client decoded (counted by operation), and the calls made (a row each).
#[derive(Debug, Default)]
struct CorpusRun {
    operations: usize,
    calls: usize,
    sent: usize,
    decoded: usize,
    /// The first failures, for the report.
    failures: Vec<String>,
}

/// How the conformance client reports Prism's `sl-violations` header on a decoded response.
const VIOLATIONS: &str = "request violations: ";

/// Whether a row's outcome says Prism found the request itself invalid (an error located in
/// the request, not a warning such as a deprecated parameter, nor a fault of Prism's answer).
fn rejects_the_request(outcome: &str) -> bool {
    let Some(list) = outcome.strip_prefix(VIOLATIONS) else {
        return false;
    };
    let Ok(Value::Array(violations)) = serde_json::from_str::<Value>(list) else {
        // Not readable: count it against the request.
        return true;
    };
    violations
        .iter()
        .any(|v| v["location"][0] == "request" && v["severity"] == "Error")
}

/// The spec Prism serves for a corpus spec: the effective spec, plus
/// - a token endpoint for each OAuth2 client-credentials `tokenUrl` the spec declares (a spec
///   describes its API, not its authorization server, so Prism would answer the client's token
///   request with a 404 and no call would be made); it answers with a token, as an
///   authorization server would;
/// - the `text/event-stream` body of each streaming operation, which the effective spec keeps
///   in `x-billfold-event-stream` (progenitor must not see it): an example stream of one event
///   sampled from the event schema, then the sentinel the spec documents;
/// - each `anyOf` the generator read as `oneOf` for typify (`pipeline::any_of`) as the spec
///   wrote it: Prism validates requests against this document, and a value two members take
///   (a model name both the enum and the plain string allow) breaks `oneOf`, not `anyOf`.
fn prism_spec(spec: &Path, out: &Path) -> Result<PathBuf, String> {
    let text = fs::read_to_string(spec).map_err(|e| format!("reading {}: {e}", spec.display()))?;
    let mut doc: Value =
        serde_json::from_str(&text).map_err(|e| format!("reading {}: {e}", spec.display()))?;
    let streams = restore_event_streams(&mut doc);
    let any_of = pipeline::any_of::restore_any_of(&mut doc);
    let multipart = restore_multipart(&mut doc);
    let token_urls: Vec<String> = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|schemes| schemes.values())
        .filter_map(|scheme| scheme.pointer("/flows/clientCredentials/tokenUrl"))
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    if token_urls.is_empty() && streams == 0 && any_of == 0 && multipart == 0 {
        return Ok(spec.to_path_buf());
    }
    let answer = serde_json::json!({"post": {
        "operationId": "billfold_conformance_token",
        "security": [],
        "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "a token", "content": {"application/json": {
            "example": {"access_token": "conformance-token", "token_type": "Bearer", "expires_in": 3600}
        }}}}
    }});
    for token_url in token_urls {
        let path = match reqwest::Url::parse(&token_url) {
            Ok(url) => url.path().to_owned(),
            Err(_) => format!(
                "/{}",
                token_url.trim_start_matches("./").trim_start_matches('/')
            ),
        };
        if let Some(Value::Object(paths)) = doc.get_mut("paths") {
            paths.entry(path).or_insert_with(|| answer.clone());
        }
    }
    fs::write(out, doc.to_string()).map_err(|e| format!("writing {}: {e}", out.display()))?;
    Ok(out.to_path_buf())
}

/// Gives each operation whose `multipart/form-data` request body the effective spec keeps in
/// `x-billfold-multipart` (progenitor must not see it) that body back, so that Prism accepts
/// the form the client sends; returns how many it gave one.
fn restore_multipart(doc: &mut Value) -> usize {
    let mut restored = 0;
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return 0;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(Value::as_object_mut)
    {
        if operation.contains_key("requestBody") {
            continue;
        }
        if let Some(schema) = operation.get("x-billfold-multipart").cloned() {
            operation.insert(
                "requestBody".to_owned(),
                serde_json::json!({"required": true, "content": {"multipart/form-data": {"schema": schema}}}),
            );
            restored += 1;
        }
    }
    restored
}

/// Gives each operation with an `x-billfold-event-stream` a `text/event-stream` body in its
/// first success response, with an example stream; returns how many it gave one.
fn restore_event_streams(doc: &mut Value) -> usize {
    let snapshot = doc.clone();
    let mut restored = 0;
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return 0;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let Some(info) = operation.get(pipeline::event_streams::KEY).cloned() else {
                continue;
            };
            let event = pipeline::samples::sample(&snapshot, &info["schema"], 0);
            let mut body = String::new();
            let data = |value: &Value| match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            match (&event, info["envelope"].as_bool()) {
                (Some(Value::Object(fields)), Some(true)) => {
                    if let Some(name) = fields.get("event") {
                        body.push_str(&format!("event: {}\n", data(name)));
                    }
                    body.push_str(&format!(
                        "data: {}\n\n",
                        fields.get("data").map(data).unwrap_or_default()
                    ));
                }
                (Some(value), _) => body.push_str(&format!("data: {value}\n\n")),
                (None, _) => body.push_str("data: billfold\n\n"),
            }
            if let Some(sentinel) = info["sentinel"].as_str() {
                body.push_str(&format!("data: {sentinel}\n\n"));
            }
            let Some(Value::Object(responses)) = operation.get_mut("responses") else {
                continue;
            };
            let status = if responses.contains_key("200") {
                Some("200".to_owned())
            } else {
                responses.keys().find(|s| s.starts_with('2')).cloned()
            };
            let Some(response) = status.and_then(|s| responses.get_mut(&s)) else {
                continue;
            };
            if let Some(map) = response.as_object_mut() {
                let content = map
                    .entry("content")
                    .or_insert_with(|| serde_json::json!({}));
                if let Some(content) = content.as_object_mut() {
                    content.insert(
                        "text/event-stream".to_owned(),
                        serde_json::json!({"schema": {"type": "string"}, "example": body}),
                    );
                    restored += 1;
                }
            }
        }
    }
    restored
}

/// What a row says of its call: its first column says why a call could not run; otherwise
/// both columns called the same server.
fn row_outcome(row: &Value) -> &str {
    match row["dynamic"].as_str() {
        Some("") | None => row["examples"].as_str().unwrap_or("missing"),
        Some(dynamic) => dynamic,
    }
}

/// Starts a Prism (static, or `dynamic`) serving `spec`, runs the conformance client against
/// it (only the operationIds of `only`, when given), stops it, and returns the client's rows.
fn call_against_prism(
    tools: &Path,
    work: &Path,
    client: &Path,
    spec: &Path,
    id: &str,
    dynamic: bool,
    only: &[String],
) -> Result<Vec<Value>, String> {
    let mut servers = Processes(Vec::new());
    let port = free_ports(1)?[0];
    let name = if dynamic {
        format!("{id}-dynamic")
    } else {
        id.to_owned()
    };
    let url = start_prism(tools, work, spec, &name, port, dynamic, &mut servers)?;
    let address: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_for(&name, address, &mut servers, Duration::from_secs(180))?;
    let config = work.join(format!("{name}-servers.json"));
    let endpoints =
        serde_json::json!([{"provider": id, "examples": url, "dynamic": url, "only": only}]);
    fs::write(&config, endpoints.to_string())
        .map_err(|e| format!("writing {}: {e}", config.display()))?;
    let output = Command::new(client)
        .arg(&config)
        .output()
        .map_err(|e| format!("running {}: {e}", client.display()))?;
    drop(servers);
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_default();
    if rows.is_empty() {
        return Err(format!(
            "the client printed no rows: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    Ok(rows)
}

/// `cargo xtask conformance --corpus`: every generated operation of every corpus spec (or of
/// the specs of `dir`) called against Prism, one spec at a time (Prism in static mode, serving
/// the spec's effective form; dynamic mode for what static mode cannot answer, or answers
/// against the spec's schema), through the staged conformance client. An operation is *sent
/// ok* when Prism accepted its request (no request violation, no 415 or 422), and *decoded ok*
/// when the client decoded Prism's response into its typed value (every event of a stream, to
/// its end).
pub fn run_corpus(root: &Path, dir: Option<&Path>) -> Result<String, String> {
    let started = Instant::now();
    let tools = root.join(TOOLS_DIR);
    ensure_tools(&tools)?;
    let work = root.join(WORK_DIR).join("corpus");
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    let dir = dir.map_or_else(
        || root.join(crate::commands::corpus::CORPUS_DIR),
        Path::to_path_buf,
    );
    let (staging, outcomes) = crate::commands::corpus::stage(root, &dir)?;
    crate::commands::corpus::write_workspace(root, &staging, &[])?;
    let client = crate::commands::cargo_build::binary_in(
        &staging,
        "corpus-conformance",
        "conformance-client",
        false,
        Some(&root.join("target")),
    )?;
    let mut results: BTreeMap<String, CorpusRun> = BTreeMap::new();
    for outcome in outcomes.iter().filter(|o| o.failed.is_none()) {
        let id = &outcome.id;
        let spec = staging
            .join(pipeline::crate_dir(id))
            .join("effective-spec.json");
        // Static mode: the spec's own examples where it has them, data Prism derives from the
        // schema otherwise. Not dynamic mode for every call: json-schema-faker's data breaks
        // `minimum` and `maxProperties` often, and on some schemas it spins for minutes
        // (Ethereum's beacon API: 5 minutes at full CPU and 4 GB for one answer), holding up
        // every later call. The operations whose answer static mode cannot make ("schema too
        // complex") or makes against the schema (an example that leaves out a required field,
        // placeholder data that breaks a pattern) are called again against a dynamic Prism,
        // which generates the answer from the schema: the spec's example where it is valid,
        // generated data otherwise.
        let spec = prism_spec(&spec, &work.join(format!("{id}-prism-spec.json")))?;
        let run = results.entry(outcome.folder.clone()).or_default();
        let mut rows = match call_against_prism(&tools, &work, &client, &spec, id, false, &[]) {
            Ok(rows) => rows,
            Err(error) => {
                run.failures.push(error);
                continue;
            }
        };
        let again: Vec<String> = rows
            .iter()
            .filter(|row| {
                let outcome = row_outcome(row);
                outcome.contains("SCHEMA_TOO_COMPLEX")
                    || outcome.contains("response does not match the spec")
            })
            .filter_map(|row| row["operation"].as_str().map(str::to_owned))
            .collect();
        if !again.is_empty() {
            match call_against_prism(&tools, &work, &client, &spec, id, true, &again) {
                Ok(dynamic_rows) => {
                    rows.retain(|row| !again.iter().any(|op| row["operation"] == op.as_str()));
                    rows.extend(dynamic_rows.into_iter().map(|mut row| {
                        row["server"] = Value::from("dynamic");
                        row
                    }));
                }
                Err(error) => run.failures.push(error),
            }
        }
        // Every row, for reading what went wrong beyond the table's first three.
        let rows_file = work.join(format!("{id}-rows.json"));
        fs::write(&rows_file, Value::from(rows.clone()).to_string())
            .map_err(|e| format!("writing {}: {e}", rows_file.display()))?;
        // An operation is sent (decoded) ok when each of its rows is: a streaming operation
        // with a JSON answer too has a row per method.
        let mut operations: BTreeMap<String, (bool, bool)> = BTreeMap::new();
        for row in &rows {
            let outcome = row_outcome(row);
            let operation = row["operation"].as_str().unwrap_or("?");
            run.calls += 1;
            let sent = !rejects_the_request(outcome)
                && !outcome.contains("422")
                && !outcome.contains("415")
                && !outcome.starts_with("no example or schema")
                && !outcome.starts_with("the spec's example");
            // Prism flags its own answer when the spec's example breaks the spec's schema:
            // the client decoded it all the same.
            let decoded = outcome == "ok"
                || (outcome.starts_with(VIOLATIONS) && !rejects_the_request(outcome));
            if !decoded && run.failures.len() < 3 {
                let short: String = outcome.chars().take(160).collect();
                run.failures.push(format!("{operation}: {short}"));
            }
            let entry = operations
                .entry(operation.to_owned())
                .or_insert((true, true));
            entry.0 &= sent;
            entry.1 &= decoded;
        }
        run.operations += operations.len();
        run.sent += operations.values().filter(|(sent, _)| *sent).count();
        run.decoded += operations.values().filter(|(_, decoded)| *decoded).count();
    }
    let mut table = String::from(
        "| spec | generated | called (calls) | sent ok | decoded ok |\n| --- | ---: | ---: | ---: | ---: |\n",
    );
    let (mut generated, mut called, mut calls, mut sent, mut decoded) = (0, 0, 0, 0, 0);
    for outcome in &outcomes {
        let run = results.remove(&outcome.folder).unwrap_or_default();
        generated += outcome.generated;
        called += run.operations;
        calls += run.calls;
        sent += run.sent;
        decoded += run.decoded;
        let _ = writeln!(
            table,
            "| {} | {} | {} ({}) | {} | {} |",
            outcome.folder, outcome.generated, run.operations, run.calls, run.sent, run.decoded
        );
        for failure in run.failures {
            let _ = writeln!(table, "|   ↳ {} | | | | |", failure.replace('|', "\\|"));
        }
    }
    let percent = |n: usize| 100.0 * n as f64 / generated.max(1) as f64;
    let _ = writeln!(
        table,
        "| **all** | {generated} | {called} ({calls}) | {sent} ({:.1}%) | {decoded} ({:.1}%) |\n\n({} s)",
        percent(sent),
        percent(decoded),
        started.elapsed().as_secs()
    );
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_for_later_servers_are_free_distinct_and_never_handed_out_by_the_kernel() {
        let start = ephemeral_start();
        let ports = free_ports(60).unwrap();
        let distinct: std::collections::BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), 60, "{ports:?}");
        for port in &ports {
            assert!(
                *port < start,
                "{port} is in the ephemeral range from {start}"
            );
            // Free once chosen: Prism can listen there.
            drop(TcpListener::bind(("127.0.0.1", *port)).unwrap());
        }
        // Ports the kernel chooses itself are never among them.
        let kernel: Vec<TcpListener> = (0..200)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        for listener in &kernel {
            assert!(!ports.contains(&listener.local_addr().unwrap().port()));
        }
        assert_eq!(first_port_of_range("32768\t60999\n"), Some(32768));
        assert_eq!(first_port_of_range(""), None);
    }

    #[test]
    fn prism_gets_back_streams_token_endpoints_any_of_and_forms() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("effective-spec.json");
        let doc = serde_json::json!({
            "openapi": "3.0.3",
            "paths": {"/chat": {"post": {
                "operationId": "chat",
                pipeline::event_streams::KEY: {
                    "schema": {"$ref": "#/components/schemas/Chunk"},
                    "envelope": false, "sentinel": "[DONE]", "beside_json": true
                },
                "responses": {"200": {"description": "ok", "content": {"application/json": {}}}}
            }}, "/upload": {"post": {
                "operationId": "upload",
                "x-billfold-multipart": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
                "responses": {"204": {"description": "ok"}}
            }}},
            "components": {
                "schemas": {
                    "Chunk": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "example": "c1"}}},
                    "Key": {"oneOf": [{"type": "integer"}, {"type": "string"}],
                            pipeline::lower::NOTE_KEY: ["anyOf read as oneOf: a member is not an object"]}
                },
                "securitySchemes": {"oauth": {"type": "oauth2", "flows": {"clientCredentials": {
                    "tokenUrl": "https://api.example.com/v1/oauth2/token", "scopes": {}}}}}
            }
        });
        fs::write(&spec, doc.to_string()).unwrap();
        let served = prism_spec(&spec, &dir.path().join("prism.json")).unwrap();
        let served: Value = serde_json::from_str(&fs::read_to_string(served).unwrap()).unwrap();
        let stream = &served["paths"]["/chat"]["post"]["responses"]["200"]["content"]["text/event-stream"]
            ["example"];
        assert_eq!(stream, "data: {\"id\":\"c1\"}\n\ndata: [DONE]\n\n");
        assert!(served["paths"]["/v1/oauth2/token"]["post"].is_object());
        assert!(served["components"]["schemas"]["Key"]["anyOf"].is_array());
        let form =
            &served["paths"]["/upload"]["post"]["requestBody"]["content"]["multipart/form-data"];
        assert_eq!(form["schema"]["properties"]["file"]["format"], "binary");
        // A spec that needs none of it is served as it is.
        let plain = dir.path().join("plain.json");
        fs::write(&plain, r#"{"openapi": "3.0.3", "paths": {}}"#).unwrap();
        assert_eq!(
            prism_spec(&plain, &dir.path().join("p2.json")).unwrap(),
            plain
        );
    }

    /// One Redocly run lints several specs, and each problem lands on its own spec: an error
    /// on one, an accepted warning on the other, and a clean third.
    #[test]
    fn one_redocly_run_reports_each_spec_apart() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let tools = root.join(TOOLS_DIR);
        ensure_tools(&tools).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let info = r#""info": {"title": "t", "version": "1", "license": {"name": "MIT", "url": "https://example.com"}}, "servers": [{"url": "https://api.billfold.invalid"}]"#;
        let op = |id: &str| {
            format!(
                r#"{{{id}"responses": {{"200": {{"description": "ok"}}, "4XX": {{"description": "no"}}}}, "description": "d", "summary": "s", "security": []}}"#
            )
        };
        let write = |name: &str, text: String| {
            let path = dir.path().join(format!("{name}.yaml"));
            fs::write(&path, text).unwrap();
            path
        };
        let spec = |paths: &str| format!(r#"{{"openapi": "3.0.3", {info}, "paths": {{{paths}}}}}"#);
        let missing_id = write("missing", spec(&format!(r#""/a": {{"get": {}}}"#, op(""))));
        let no_info_license = write(
            "license",
            format!(
                r#"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}}, "servers": [{{"url": "https://api.billfold.invalid"}}], "paths": {{"/b": {{"get": {}}}}}}}"#,
                op(r#""operationId": "b", "#)
            ),
        );
        let clean = write(
            "clean",
            spec(&format!(
                r#""/c": {{"get": {}}}"#,
                op(r#""operationId": "c", "#)
            )),
        );
        let accepted = vec![Accepted {
            provider: "license".to_owned(),
            rule: "info-license".to_owned(),
            pointer: None,
            reason: "a test".to_owned(),
        }];
        let lints = lint(&tools, &[&missing_id, &no_info_license, &clean], &accepted).unwrap();
        assert_eq!(lints.len(), 3);
        assert_eq!(lints["missing"].errors, 1, "{:?}", lints["missing"]);
        assert!(lints["missing"].problems[0].contains("operation-operationId"));
        assert_eq!(lints["license"].errors, 0, "{:?}", lints["license"]);
        assert_eq!(lints["license"].accepted, 1, "{:?}", lints["license"]);
        assert!(
            lints["license"].problems.is_empty(),
            "{:?}",
            lints["license"]
        );
        assert_eq!(lints["clean"].errors + lints["clean"].accepted, 0);
        assert!(lints["clean"].problems.is_empty(), "{:?}", lints["clean"]);
    }
}
