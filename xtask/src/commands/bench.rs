//! `cargo xtask bench [--footprint]`: measures the generator and the generated clients against
//! what a careful engineer would write by hand, as ratios measured side by side in one run.
//!
//! 1. Generation: the whole pipeline per provider and in total, median of 30 in-process runs.
//! 2. Request overhead: the generated Olostep client against a hand-written reqwest + serde call,
//!    interleaved, against one local server answering at once (ratio of medians and of p99).
//! 3. Fan-out: `billfold::balance::fetch_all` over five local servers answering after 100 ms,
//!    against the slowest single call.
//! 4. With `--footprint`: a scratch crate using `billfold-olostep` against one using only
//!    reqwest + serde + serde_json (same TLS set-up): clean release build time, unique crates
//!    in `cargo tree`, release binary size; and a generated crate's build (debug and release)
//!    against progenitor's own output for the same effective spec (`generated_build`).
//!
//! 1–3 run in `billfold-bench`, built in release (so the numbers are those of optimised code).
//! The table is printed and written to `target/bench/report.json`.
//!
//! Also (in `billfold-bench history`): a simulated year of minute readings for 25 accounts,
//! downsampled as `billfold serve` does: the file's size, `billfold balance` with it against an
//! empty history, and the time to answer the dashboard's page.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};

const REPORT: &str = "target/bench/report.json";

/// Runs the benchmarks; returns the table.
pub fn run(root: &Path, footprint: bool) -> Result<String, String> {
    let bench =
        crate::commands::cargo_build::binary(root, "billfold-bench", "billfold-bench", true)?;
    let generation = run_json(&bench, &["generation", "30"])?;
    let overhead = run_json(&bench, &["overhead", "2000"])?;
    let pipeline = run_json(&bench, &["pipeline", "15"])?;
    let fanout = run_json(&bench, &["fanout", "100", "10"])?;
    let billfold = crate::commands::cargo_build::binary(root, "billfold-cli", "billfold", true)?;
    let billfold = billfold.to_string_lossy();
    let metrics = run_json(&bench, &["metrics", billfold.as_ref(), "200", "10"])?;
    let history = run_json(&bench, &["history", billfold.as_ref(), "25", "365"])?;
    let (footprint, generated_build, compile_budget) = if footprint {
        (
            Some(measure_footprint(root)?),
            Some(crate::commands::generated_build::measure(root)?),
            Some(crate::commands::compile_budget::measure(root)?),
        )
    } else {
        (None, None, None)
    };
    let report = json!({
        "generation": generation,
        "overhead": overhead,
        "pipeline": pipeline,
        "fanout": fanout,
        "metrics": metrics,
        "history": history,
        "footprint": footprint,
        "generated_build": generated_build,
        "compile_budget": compile_budget,
    });
    let path = root.join(REPORT);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(table(&report))
}

fn number(value: &Value) -> f64 {
    value.as_f64().unwrap_or(f64::NAN)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// The report as a Markdown table (it goes into the README as is).
pub fn table(report: &Value) -> String {
    let mut out = String::from(
        "| measure | billfold | reference | ratio | target |\n| --- | --- | --- | --- | --- |\n",
    );
    let g = &report["generation"];
    if let Some(providers) = g["median_ms"].as_object() {
        for (id, ms) in providers {
            let _ = writeln!(out, "| generation: {id} | {:.1} ms | | | |", number(ms));
        }
    }
    let total = number(&g["total_median_ms"]);
    let _ = writeln!(
        out,
        "| generation: all {} (median of {}) | {total:.1} ms | 50 ms | {:.2} | under 50 ms: {} |",
        g["median_ms"].as_object().map_or(0, |p| p.len()),
        g["runs"],
        total / 50.0,
        verdict(total < 50.0)
    );
    // The whole pipeline against progenitor + prettyplease alone: the largest spec is the
    // target row; every spec's cost per operation shows whether it stays flat.
    let specs = report["pipeline"]["specs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(largest) = specs
        .iter()
        .max_by_key(|s| s["operations"].as_u64().unwrap_or(0))
    {
        let ratio = number(&largest["ratio"]);
        let _ = writeln!(
            out,
            "| generation, largest spec ({}, {} operations, median of {}) | {:.0} ms | {:.0} ms progenitor + prettyplease | {ratio:.2} | ≤ 1.5: {} |",
            largest["spec"].as_str().unwrap_or("?"),
            largest["operations"],
            report["pipeline"]["runs"],
            number(&largest["pipeline_ms"]),
            number(&largest["progenitor_prettyplease_ms"]),
            verdict(ratio <= 1.5)
        );
    }
    let per_op: Vec<String> = specs
        .iter()
        .map(|s| {
            format!(
                "{} {:.1} ({:.2}×)",
                s["spec"]
                    .as_str()
                    .unwrap_or("?")
                    .trim_start_matches("corpus "),
                number(&s["pipeline_ms_per_operation"]),
                number(&s["ratio"])
            )
        })
        .collect();
    if !per_op.is_empty() {
        let _ = writeln!(
            out,
            "| generation, ms per operation (ratio to progenitor + prettyplease) | {} | | | |",
            per_op.join(", ")
        );
    }
    let o = &report["overhead"];
    let (rm, rp) = (number(&o["ratio_median"]), number(&o["ratio_p99"]));
    let spread = |s: &Value| {
        format!(
            "quartiles {:.3}–{:.3}, range {:.3}–{:.3}",
            number(&s["q1"]),
            number(&s["q3"]),
            number(&s["min"]),
            number(&s["max"])
        )
    };
    let _ = writeln!(
        out,
        "| request, median ({} per client, {} rounds) | {:.1} µs | {:.1} µs hand-written | {rm:.3} ({}) | ≤ 1.02: {} |",
        o["requests_per_client"],
        o["rounds"],
        number(&o["generated"]["median_us"]),
        number(&o["baseline"]["median_us"]),
        spread(&o["ratio_median_spread"]),
        verdict(rm <= 1.02)
    );
    let _ = writeln!(
        out,
        "| request, p99 | {:.1} µs | {:.1} µs hand-written | {rp:.3} ({}) | ≤ 1.02: {} |",
        number(&o["generated"]["p99_us"]),
        number(&o["baseline"]["p99_us"]),
        spread(&o["ratio_p99_spread"]),
        verdict(rp <= 1.02)
    );
    let f = &report["fanout"];
    let rf = number(&f["ratio"]);
    let _ = writeln!(
        out,
        "| fan-out: fetch_all, {} × {} ms servers | {:.1} ms | {:.1} ms slowest single call | {rf:.3} | ≤ 1.1: {} |",
        f["providers"],
        f["delay_ms"],
        number(&f["fanout_ms"]),
        number(&f["slowest_single_ms"]),
        verdict(rf <= 1.1)
    );
    let m = &report["metrics"];
    if !m.is_null() {
        let errors = m["errors"].as_u64().unwrap_or(u64::MAX);
        let p99 = number(&m["p99_ms"]);
        let rss = number(&m["peak_rss_mib"]);
        let _ = writeln!(
            out,
            "| serve: /metrics, {} concurrent scrapers for {} s ({} scrapes) | errors {errors}, p99 {p99:.2} ms (median {:.2} ms), peak RSS {rss:.1} MiB | | | 0 errors, p99 ≤ 5 ms, RSS ≤ 30 MiB: {} |",
            m["concurrency"],
            m["seconds"],
            m["scrapes"],
            number(&m["median_ms"]),
            verdict(errors == 0 && p99 <= 5.0 && rss <= 30.0)
        );
        let _ = writeln!(
            out,
            "| serve: SIGTERM to exit | {:.0} ms, exit code {} | | | exit 0 within a few seconds: {} |",
            number(&m["sigterm_stop_ms"]),
            m["sigterm_exit_code"],
            verdict(m["sigterm_exit_code"] == 0 && number(&m["sigterm_stop_ms"]) < 3000.0)
        );
    }
    let h = &report["history"];
    if !h.is_null() {
        let b = &h["balance"];
        let ratio = number(&b["ratio"]);
        let _ = writeln!(
            out,
            "| history: balance, {} accounts, a year of minute readings (median of {}) | {:.1} ms | {:.1} ms empty history | {ratio:.3} (quartiles {:.3}–{:.3}) | ≤ 1.2: {} |",
            h["simulated"]["accounts"],
            b["runs"],
            number(&b["year_median_ms"]),
            number(&b["empty_median_ms"]),
            number(&b["ratio_quartiles"][0]),
            number(&b["ratio_quartiles"][1]),
            verdict(ratio <= 1.2)
        );
        let pg = &h["page"];
        let p99 = number(&pg["p99_ms"]);
        let _ = writeln!(
            out,
            "| serve: dashboard page, {} accounts, 1 y range ({} requests, {:.0} KB) | median {:.2} ms, p99 {p99:.2} ms | | | under 100 ms: {} |",
            pg["rows"],
            pg["requests"],
            number(&pg["page_bytes"]) / 1024.0,
            number(&pg["median_ms"]),
            verdict(p99 < 100.0)
        );
        let sim = &h["simulated"];
        let mib = number(&sim["file_bytes"]) / 1048576.0;
        let _ = writeln!(
            out,
            "| history: file after a simulated year ({} readings taken, {} rows kept) | {mib:.0} MiB | | | bounded: {} |",
            sim["readings_taken"],
            sim["rows_kept"],
            verdict(number(&sim["rows_kept"]) < number(&sim["readings_taken"]) / 5.0)
        );
    }
    generated_build_rows(&mut out, &report["generated_build"]);
    compile_budget_rows(&mut out, &report["compile_budget"]);
    let p = &report["footprint"];
    if !p.is_null() {
        let rt = number(&p["build_ratio"]);
        let _ = writeln!(
            out,
            "| footprint: clean release build | {:.1} s | {:.1} s reqwest + serde | {rt:.3} | ≤ 1.10: {} |",
            number(&p["generated"]["build_s"]),
            number(&p["baseline"]["build_s"]),
            verdict(rt <= 1.10)
        );
        let extra = p["extra_crates"].as_i64().unwrap_or(i64::MAX);
        let _ = writeln!(
            out,
            "| footprint: unique crates | {} | {} | +{extra} | ≤ +5: {} |",
            p["generated"]["crates"],
            p["baseline"]["crates"],
            verdict(extra <= 5)
        );
        let _ = writeln!(
            out,
            "| footprint: release binary | {:.2} MiB | {:.2} MiB | {:.3} | |",
            number(&p["generated"]["binary_bytes"]) / 1048576.0,
            number(&p["baseline"]["binary_bytes"]) / 1048576.0,
            number(&p["binary_ratio"])
        );
    }
    out
}

fn run_json(binary: &Path, args: &[&str]) -> Result<Value, String> {
    let output = Command::new(binary)
        .args(args)
        .output()
        .map_err(|e| format!("running {}: {e}", binary.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} {} failed:\n{}",
            binary.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("{} printed invalid JSON: {e}", binary.display()))
}

/// The two scratch crates: name, dependencies, program.
fn scratch_crates(root: &Path) -> [(&'static str, String, &'static str); 2] {
    let olostep = root.join(crate::pipeline::crate_dir("olostep"));
    [
        (
            "generated",
            format!(
                "billfold-olostep = {{ path = {:?} }}\ntokio = {{ version = \"1\", features = [\"macros\", \"rt\"] }}\n",
                olostep.display().to_string()
            ),
            r#"#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = billfold_olostep::Client::from_env().expect("OLOSTEP_API_KEY");
    match client.get_credits_info().await {
        Ok(info) => println!("{:?}", info.credits),
        Err(error) => eprintln!("{error}"),
    }
}
"#,
        ),
        (
            "baseline",
            "reqwest = { version = \"0.13.5\", default-features = false, features = [\"json\", \"http2\", \"rustls-no-provider\"] }\n\
             rustls = { version = \"0.23\", default-features = false, features = [\"ring\", \"std\", \"tls12\"] }\n\
             serde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\n\
             tokio = { version = \"1\", features = [\"macros\", \"rt\"] }\n"
                .to_owned(),
            r#"#[derive(serde::Deserialize)]
struct CreditsInfo {
    credits: Option<i64>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let key = std::env::var("OLOSTEP_API_KEY").expect("OLOSTEP_API_KEY");
    let base = std::env::var("OLOSTEP_BASE_URL").unwrap_or_else(|_| "https://api.olostep.com".into());
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client");
    let response = client
        .get(format!("{base}/user/credits/info"))
        .bearer_auth(key)
        .send()
        .await
        .and_then(|r| r.error_for_status());
    match response {
        Ok(r) => match r.json::<CreditsInfo>().await {
            Ok(info) => println!("{:?}", info.credits),
            Err(error) => eprintln!("{error}"),
        },
        Err(error) => eprintln!("{error}"),
    }
}
"#,
        ),
    ]
}

fn measure_footprint(root: &Path) -> Result<Value, String> {
    let dir = root.join("target/bench/footprint");
    let mut results = serde_json::Map::new();
    let lock = fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("reading Cargo.lock: {e}"))?;
    for (name, dependencies, program) in scratch_crates(root) {
        let krate = dir.join(name);
        fs::create_dir_all(krate.join("src")).map_err(|e| e.to_string())?;
        fs::write(
            krate.join("Cargo.toml"),
            format!("[package]\nname = \"footprint-{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n{dependencies}\n[workspace]\n"),
        )
        .map_err(|e| e.to_string())?;
        fs::write(krate.join("src/main.rs"), program).map_err(|e| e.to_string())?;
        // The workspace's lock file, so that both resolve the same versions.
        fs::write(krate.join("Cargo.lock"), &lock).map_err(|e| e.to_string())?;
    }
    // Two alternating rounds of clean builds; the faster of each counts.
    let mut best = [f64::INFINITY, f64::INFINITY];
    for _ in 0..2 {
        for (index, (name, _, _)) in scratch_crates(root).iter().enumerate() {
            let krate = dir.join(name);
            let target = krate.join("target");
            if target.exists() {
                fs::remove_dir_all(&target).map_err(|e| e.to_string())?;
            }
            let started = Instant::now();
            let status = crate::commands::cargo_env::cargo()
                .args(["build", "--release", "--quiet"])
                .current_dir(&krate)
                .env("CARGO_TARGET_DIR", &target)
                .status()
                .map_err(|e| format!("building footprint-{name}: {e}"))?;
            if !status.success() {
                return Err(format!("building footprint-{name} failed ({status})"));
            }
            best[index] = best[index].min(started.elapsed().as_secs_f64());
        }
    }
    for (index, (name, _, _)) in scratch_crates(root).iter().enumerate() {
        let krate = dir.join(name);
        let tree = crate::commands::cargo_env::cargo()
            .args([
                "tree",
                "--quiet",
                "-e",
                "normal,build",
                "--prefix",
                "none",
                "--format",
                "{p}",
            ])
            .current_dir(&krate)
            .output()
            .map_err(|e| format!("cargo tree: {e}"))?;
        let mut crates: Vec<String> = String::from_utf8_lossy(&tree.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .filter(|c| !c.starts_with("footprint-"))
            .collect();
        crates.sort();
        crates.dedup();
        let binary = krate
            .join("target/release")
            .join(format!("footprint-{name}"));
        let size = fs::metadata(&binary)
            .map_err(|e| format!("{}: {e}", binary.display()))?
            .len();
        results.insert(
            (*name).to_owned(),
            json!({"build_s": best[index], "crates": crates.len(), "binary_bytes": size, "crate_list": crates}),
        );
    }
    let generated = &results["generated"];
    let baseline = &results["baseline"];
    let extra: Vec<String> = generated["crate_list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            !baseline["crate_list"]
                .as_array()
                .is_some_and(|b| b.contains(c))
        })
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    Ok(json!({
        "generated": generated,
        "baseline": baseline,
        "build_ratio": number(&generated["build_s"]) / number(&baseline["build_s"]),
        "extra_crates": generated["crates"].as_i64().unwrap_or(0) - baseline["crates"].as_i64().unwrap_or(0),
        "extra_crate_names": extra,
        "binary_ratio": number(&generated["binary_bytes"]) / number(&baseline["binary_bytes"]),
    }))
}

/// The rows of [`crate::commands::generated_build::measure`]'s report `b` (none when null).
fn generated_build_rows(out: &mut String, b: &Value) {
    for profile in ["debug", "release"] {
        let row = &b[profile];
        if row.is_null() {
            continue;
        }
        let ratio = number(&row["ratio"]);
        let _ = writeln!(
            out,
            "| generated crate build, {profile} ({}, {} operations, median of 3) | {:.1} s | {:.1} s progenitor's own output | {ratio:.2} | ≤ 1.15: {} |",
            b["spec"].as_str().unwrap_or("?"),
            b["operations"],
            number(&row["billfold_s"]),
            number(&row["progenitor_s"]),
            verdict(ratio <= 1.15)
        );
    }
}

/// The rows of [`crate::commands::compile_budget::measure`]'s report `b` (none when null).
fn compile_budget_rows(out: &mut String, b: &Value) {
    let cli = &b["cli"];
    if !cli["ratio"].is_null() {
        let ratio = number(&cli["ratio"]);
        let _ = writeln!(
            out,
            "| CLI clean release build, every provider's whole API in the workspace | {:.1} s | {:.1} s the CLI at {} | {ratio:.2} | ≤ 1.10: {} |",
            number(&cli["now"]["build_s"]),
            number(&cli["before"]["build_s"]),
            cli["before"]["commit"].as_str().unwrap_or("?"),
            verdict(ratio <= 1.10)
        );
        let mib = |v: &Value| number(v) / 1048576.0;
        let _ = writeln!(
            out,
            "| CLI binary, as the release profile builds it (stripped of symbols too) | {:.1} MiB ({:.1} MiB) | {:.1} MiB ({:.1} MiB) at {} | {:.2} | |",
            mib(&cli["now"]["binary_bytes"]),
            mib(&cli["now"]["stripped_bytes"]),
            mib(&cli["before"]["binary_bytes"]),
            mib(&cli["before"]["stripped_bytes"]),
            cli["before"]["commit"].as_str().unwrap_or("?"),
            number(&cli["now"]["binary_bytes"]) / number(&cli["before"]["binary_bytes"])
        );
    }
    let anchor = &b["anchor"];
    for profile in ["debug", "release"] {
        let row = &anchor[profile];
        if row.is_null() {
            continue;
        }
        let balance = number(&row["balance_features"]) / number(&row["one_operation"]);
        let _ = writeln!(
            out,
            "| billfold-anchor, {profile}, only the balance's features ({}) | {:.1} s | {:.1} s the one-operation crate at {} | {balance:.2} | ≤ 1.2: {} |",
            anchor["balance_features"].as_str().unwrap_or("?"),
            number(&row["balance_features"]),
            number(&row["one_operation"]),
            anchor["one_operation_commit"].as_str().unwrap_or("?"),
            verdict(balance <= 1.2)
        );
        let all = number(&row["all_features"]) / number(&row["progenitor"]);
        let _ = writeln!(
            out,
            "| billfold-anchor, {profile}, every feature | {:.1} s | {:.1} s progenitor's own output | {all:.2} | ≤ 1.15: {} |",
            number(&row["all_features"]),
            number(&row["progenitor"]),
            verdict(all <= 1.15)
        );
    }
}

/// `cargo xtask bench --compile-budget`: only the compile budget of whole APIs, as a table.
pub fn run_compile_budget(root: &Path) -> Result<String, String> {
    let budget = crate::commands::compile_budget::measure(root)?;
    let path = root.join("target/bench/compile-budget.json");
    fs::write(&path, budget.to_string()).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = String::from(
        "| measure | billfold | reference | ratio | target |\n| --- | --- | --- | --- | --- |\n",
    );
    compile_budget_rows(&mut out, &budget);
    Ok(out)
}

/// `cargo xtask bench --generated-build`: only the generated crate's build against
/// progenitor's own output, as a table.
pub fn run_generated_build(root: &Path) -> Result<String, String> {
    let row = crate::commands::generated_build::measure(root)?;
    let mut out = String::from(
        "| measure | billfold | reference | ratio | target |\n| --- | --- | --- | --- | --- |\n",
    );
    generated_build_rows(&mut out, &row);
    Ok(out)
}
