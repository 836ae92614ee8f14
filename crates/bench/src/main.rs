//! Measurements for `cargo xtask bench`, printed as JSON on stdout:
//!
//! - `overhead REQUESTS`: the generated Olostep client against a hand-written reqwest + serde
//!   baseline doing the same call, against one local server answering the spec example at once;
//!   requests interleaved (alternating which goes first), latency of each recorded.
//! - `generation RUNS`: the whole generation pipeline (read, overlay, lower, validate,
//!   progenitor, wrapper code, prettyplease, crate files) per provider, in process, RUNS times.
//! - `pipeline RUNS [NAME...]`: the whole pipeline against progenitor + prettyplease alone on
//!   the same effective spec, run for run, for every provider and corpus spec (or those whose
//!   id contains a NAME).
//! - `metrics BILLFOLD CONCURRENCY SECONDS`: `billfold serve` (the binary at BILLFOLD) over
//!   local provider servers, `/metrics` scraped by CONCURRENCY connections at once for SECONDS:
//!   errors, latency percentiles, the server's peak RSS, and how long SIGTERM takes to stop it.
//! - `history BILLFOLD ACCOUNTS DAYS`: a simulated year of minute readings for ACCOUNTS
//!   accounts, downsampled as `billfold serve` does: the file's size; `billfold balance` with
//!   that history against an empty one; the dashboard page's time (see `history.rs`).
//! - `fanout DELAY_MS ROUNDS`: `billfold::balance::fetch_all` over five providers whose local
//!   servers each answer after DELAY_MS, against the slowest single call.

mod history;
mod metrics;
mod server;

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

/// The Olostep response a careful engineer would write by hand.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // Fields are decoded, as in real use, but not read.
struct CreditsInfo {
    credits: Option<i64>,
    #[serde(default)]
    breakdown: Vec<Lot>,
    active_subscription: Option<Subscription>,
    allow_usage: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Lot {
    purchase_kind: Option<String>,
    allocated_units: Option<i64>,
    remaining_units: Option<i64>,
    expiry_date: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Subscription {
    id: Option<String>,
    display_name: Option<String>,
    credits: Option<i64>,
    created_at: Option<i64>,
}

const OLOSTEP_EXAMPLE: &str = r#"{"credits":12500,"breakdown":[{"purchase_kind":"Subscription","allocated_units":10000,"remaining_units":8500,"expiry_date":1735689600},{"purchase_kind":"Top-up","allocated_units":5000,"remaining_units":4000,"expiry_date":1743465600}],"active_subscription":{"id":"SUB_PRO","display_name":"Pro","credits":10000,"created_at":1704067200},"allow_usage":true}"#;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn summary(mut samples: Vec<f64>) -> serde_json::Value {
    samples.sort_by(f64::total_cmp);
    json!({"median_us": percentile(&samples, 0.5), "p99_us": percentile(&samples, 0.99), "n": samples.len()})
}

async fn overhead(requests: usize) -> serde_json::Value {
    let base = server::start(OLOSTEP_EXAMPLE.as_bytes().to_vec(), Duration::ZERO, 1);
    let generated = billfold::olostep::Client::from_config(
        billfold::olostep::Client::config()
            .base_url(&base[0])
            .credential("Authorization", "bench-key"),
    )
    .expect("client");
    // What a careful engineer configures too: timeouts and a user agent.
    let baseline = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .user_agent("hand-written/1.0")
        .build()
        .expect("reqwest client");
    let url = format!("{}/user/credits/info", base[0]);

    let run_generated = || async {
        let started = Instant::now();
        let info = generated.get_credits_info().await.expect("generated call");
        assert_eq!(info.credits, Some(12500));
        started.elapsed().as_secs_f64() * 1e6
    };
    let run_baseline = || async {
        let started = Instant::now();
        let info: CreditsInfo = baseline
            .get(&url)
            .bearer_auth("bench-key")
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .expect("baseline call")
            .error_for_status()
            .expect("baseline status")
            .json()
            .await
            .expect("baseline decode");
        assert_eq!(info.credits, Some(12500));
        started.elapsed().as_secs_f64() * 1e6
    };
    // Profiling aid: BENCH_ONLY=generated|baseline runs just one side (e.g. under callgrind).
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        for _ in 0..requests {
            if only == "generated" {
                run_generated().await;
            } else {
                run_baseline().await;
            }
        }
        return json!({"only": only, "requests": requests});
    }
    // Warm up both connections and code paths.
    for _ in 0..200 {
        run_generated().await;
        run_baseline().await;
    }
    // Rounds of interleaved requests (alternating which client goes first); the ratios are the
    // median over rounds, so one disturbed round (the machine is shared) does not decide them.
    let mut all_generated = Vec::new();
    let mut all_baseline = Vec::new();
    let mut median_ratios = Vec::new();
    let mut p99_ratios = Vec::new();
    for _ in 0..ROUNDS {
        let mut generated_us = Vec::with_capacity(requests);
        let mut baseline_us = Vec::with_capacity(requests);
        for i in 0..requests {
            if i % 2 == 0 {
                generated_us.push(run_generated().await);
                baseline_us.push(run_baseline().await);
            } else {
                baseline_us.push(run_baseline().await);
                generated_us.push(run_generated().await);
            }
        }
        generated_us.sort_by(f64::total_cmp);
        baseline_us.sort_by(f64::total_cmp);
        median_ratios.push(percentile(&generated_us, 0.5) / percentile(&baseline_us, 0.5));
        p99_ratios.push(percentile(&generated_us, 0.99) / percentile(&baseline_us, 0.99));
        all_generated.extend(generated_us);
        all_baseline.extend(baseline_us);
    }
    median_ratios.sort_by(f64::total_cmp);
    p99_ratios.sort_by(f64::total_cmp);
    // The spread across rounds: the middle half (quartiles) and the extremes, so a reader can
    // tell a real difference from the machine's noise.
    let spread = |sorted: &[f64]| {
        json!({"min": sorted[0], "q1": percentile(sorted, 0.25), "q3": percentile(sorted, 0.75),
               "max": sorted[sorted.len() - 1]})
    };
    json!({
        "requests_per_client": requests * ROUNDS,
        "rounds": ROUNDS,
        "generated": summary(all_generated),
        "baseline": summary(all_baseline),
        "ratio_median": percentile(&median_ratios, 0.5),
        "ratio_p99": percentile(&p99_ratios, 0.5),
        "ratio_median_spread": spread(&median_ratios),
        "ratio_p99_spread": spread(&p99_ratios),
    })
}

/// Rounds of the overhead measurement (the ratios are the median over rounds).
const ROUNDS: usize = 15;

/// One local server per provider with a balance mapping, answering its balance operation's
/// example (or a body sampled from the schema) after `delay`, all derived from
/// specs/providers.toml. Returns the environment that points the providers at them: (name,
/// value), with `None` for a credential variable to unset.
fn provider_servers(delay: Duration) -> Vec<(String, Option<String>)> {
    let root = xtask::workspace_root();
    let generated = xtask::pipeline::generate_all(&root).expect("every provider generates");
    let mut env = Vec::new();
    for g in &generated {
        let Some(mapping) = &g.provider.balance else {
            continue;
        };
        let (body, _) = xtask::pipeline::samples::success_payload(&g.effective, &mapping.operation)
            .expect("the balance operation has a JSON success body");
        let url = server::start(body.to_string().into_bytes(), delay, 1).remove(0);
        let credential = g
            .provider
            .credentials
            .values()
            .next()
            .expect("a credential");
        env.push((g.provider.base_url_env.clone(), Some(url)));
        for env_var in g.provider.credentials.values() {
            env.push((env_var.clone(), None));
        }
        env.push((credential.clone(), Some("bench-key".to_owned())));
        // Path or query parameters the balance operation takes from settings (a team id).
        for env_var in mapping.parameters.values() {
            env.push((env_var.clone(), Some("bench".to_owned())));
        }
    }
    env
}

async fn fanout(delay: Duration, rounds: usize) -> serde_json::Value {
    use billfold::balance::{FetchOptions, ProviderId, fetch, fetch_all};
    for (name, value) in provider_servers(delay) {
        // SAFETY: set before any other thread of ours reads the environment (servers don't).
        unsafe {
            match value {
                Some(value) => std::env::set_var(name, value),
                None => std::env::remove_var(name),
            }
        }
    }
    let options = FetchOptions::default();
    let mut fanout_ms = Vec::new();
    let mut slowest_ms = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        let results = fetch_all(ProviderId::ALL, &options).await;
        fanout_ms.push(started.elapsed().as_secs_f64() * 1e3);
        assert!(results.iter().all(|r| r.outcome.is_ok()), "{results:?}");
        let mut slowest: f64 = 0.0;
        for provider in ProviderId::ALL {
            let started = Instant::now();
            fetch(*provider, &options).await.expect("single call");
            slowest = slowest.max(started.elapsed().as_secs_f64() * 1e3);
        }
        slowest_ms.push(slowest);
    }
    fanout_ms.sort_by(f64::total_cmp);
    slowest_ms.sort_by(f64::total_cmp);
    let fanout = percentile(&fanout_ms, 0.5);
    let slowest = percentile(&slowest_ms, 0.5);
    json!({"delay_ms": delay.as_millis() as u64, "rounds": rounds, "fanout_ms": fanout,
           "providers": ProviderId::ALL.len(),
           "slowest_single_ms": slowest, "ratio": fanout / slowest})
}

fn generation(runs: usize) -> serde_json::Value {
    let root = xtask::workspace_root();
    let providers = xtask::pipeline::load_providers(&root).expect("specs/providers.toml");
    let mut per_provider: Vec<Vec<f64>> = vec![Vec::new(); providers.len()];
    let mut totals = Vec::new();
    for _ in 0..runs {
        let mut total = 0.0;
        for (index, provider) in providers.iter().enumerate() {
            let started = Instant::now();
            xtask::pipeline::generate(&root, provider).expect("generation");
            let ms = started.elapsed().as_secs_f64() * 1e3;
            per_provider[index].push(ms);
            total += ms;
        }
        totals.push(total);
    }
    let median = |mut samples: Vec<f64>| {
        samples.sort_by(f64::total_cmp);
        percentile(&samples, 0.5)
    };
    let providers: serde_json::Map<String, serde_json::Value> = providers
        .iter()
        .zip(per_provider)
        .map(|(p, samples)| (p.id.clone(), json!(median(samples))))
        .collect();
    json!({"runs": runs, "median_ms": providers, "total_median_ms": median(totals)})
}

/// The whole pipeline against progenitor + prettyplease alone, on the same effective specs:
/// every corpus spec (staged as `cargo xtask corpus` does) and the five excerpts, median of
/// `runs` each, in the same run; with the cost per operation.
fn pipeline_vs_progenitor(runs: usize, only: &[String]) -> serde_json::Value {
    let root = xtask::workspace_root();
    let median = |mut samples: Vec<f64>| {
        samples.sort_by(f64::total_cmp);
        percentile(&samples, 0.5)
    };
    let measure = |label: String,
                   workspace: &std::path::Path,
                   provider: &xtask::pipeline::providers::ProviderEntry| {
        let (_, validated, _) =
            xtask::pipeline::effective_spec(workspace, provider).expect("effective spec");
        let operations = validated.operations.len();
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            xtask::pipeline::generate(workspace, provider).expect("generation");
            ours.push(started.elapsed().as_secs_f64() * 1e3);
            let started = Instant::now();
            xtask::pipeline::progenitor_run::progenitor_and_prettyplease(&validated.openapi)
                .expect("progenitor");
            theirs.push(started.elapsed().as_secs_f64() * 1e3);
        }
        // Each run's pair, ours then theirs back to back: the median of the pairs' ratios
        // cancels the machine's slow spells better than a ratio of two medians.
        let mut ratios: Vec<f64> = ours.iter().zip(&theirs).map(|(a, b)| a / b).collect();
        ratios.sort_by(f64::total_cmp);
        let ratio = percentile(&ratios, 0.5);
        let ratio_spread = [percentile(&ratios, 0.25), percentile(&ratios, 0.75)];
        let (ours, theirs) = (median(ours), median(theirs));
        json!({"spec": label, "operations": operations, "pipeline_ms": ours,
               "progenitor_prettyplease_ms": theirs, "ratio": ratio,
               "ratio_quartiles": ratio_spread,
               "pipeline_ms_per_operation": ours / operations.max(1) as f64})
    };
    // With names given, only the specs whose id contains one of them.
    let wanted = |id: &str| only.is_empty() || only.iter().any(|name| id.contains(name.as_str()));
    let mut rows = Vec::new();
    for provider in xtask::pipeline::load_providers(&root).expect("specs/providers.toml") {
        if wanted(&provider.id) {
            rows.push(measure(provider.id.clone(), &root, &provider));
        }
    }
    let (staging, _) =
        xtask::commands::corpus::stage(&root, &root.join(xtask::commands::corpus::CORPUS_DIR))
            .expect("corpus staging");
    for provider in xtask::pipeline::load_providers(&staging).expect("staging manifest") {
        if wanted(&provider.id) && xtask::pipeline::generate(&staging, &provider).is_ok() {
            rows.push(measure(
                format!("corpus {}", provider.id),
                &staging,
                &provider,
            ));
        }
    }
    json!({"runs": runs, "specs": rows})
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number =
        |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let report = match args.first().map(String::as_str) {
        Some("generation") => generation(number(1, 30) as usize),
        Some("pipeline") => {
            pipeline_vs_progenitor(number(1, 15) as usize, args.get(2..).unwrap_or(&[]))
        }
        Some("overhead") => runtime.block_on(overhead(number(1, 3000) as usize)),
        Some("metrics") => metrics::run(
            std::path::Path::new(args.get(1).expect("the billfold binary")),
            provider_servers(Duration::ZERO),
            number(2, 200) as usize,
            Duration::from_secs(number(3, 10)),
        ),
        Some("history") => history::run(
            std::path::Path::new(args.get(1).expect("the billfold binary")),
            number(2, 25) as usize,
            number(3, 365) as i64,
        ),
        Some("fanout") => runtime.block_on(fanout(
            Duration::from_millis(number(1, 100)),
            number(2, 10) as usize,
        )),
        _ => {
            eprintln!(
                "usage: billfold-bench generation [RUNS] | overhead [REQUESTS] | fanout [DELAY_MS] [ROUNDS] | history BILLFOLD [ACCOUNTS] [DAYS]"
            );
            std::process::exit(2);
        }
    };
    println!("{report}");
}
