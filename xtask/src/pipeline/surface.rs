//! A plain-text summary of a generated crate's public API, for review in snapshot diffs.

use std::fmt::Write as _;

use serde_json::Value;

use crate::error::child;
use crate::pipeline::client_code::CrateCode;
use crate::pipeline::operations::Skipped;
use crate::pipeline::providers::ProviderEntry;
use crate::pipeline::validate::Validated;

/// Operations (method, path, auth, argument and return types, errors), constructors and types.
pub fn render(
    provider: &ProviderEntry,
    validated: &Validated,
    effective: &Value,
    code: &CrateCode,
    skipped: &[Skipped],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "crate {} ({})", provider.crate_name, provider.name);
    let _ = writeln!(
        out,
        "base url: {} (env {})",
        provider
            .base_url
            .as_deref()
            .unwrap_or("none, must be configured"),
        provider.base_url_env
    );
    let _ = writeln!(out, "error body: {}", code.error_type);
    out.push_str("constructors:\n");
    for c in &code.constructors {
        let _ = writeln!(
            out,
            "  Client::{} sends `{}` (scheme {}, env {})",
            c.name, c.header, c.scheme, c.env_var
        );
    }
    out.push_str("operations:\n");
    // Grouped by feature (an operation with several tags under the first of its features).
    let feature_of = |op: &crate::pipeline::validate::Operation| -> Vec<String> {
        code.methods
            .iter()
            .find(|m| m.operation_id == op.operation_id)
            .and_then(|m| code.features.of_method.get(&m.name))
            .map(|f| f.iter().cloned().collect())
            .unwrap_or_default()
    };
    for (feature, tag) in &code.features.tags {
        let _ = writeln!(out, "  feature {feature} (tag {tag}):");
        for op in validated
            .operations
            .iter()
            .filter(|op| feature_of(op).first() == Some(feature))
        {
            write_operation(&mut out, op, code, effective, &feature_of(op)[1..]);
        }
    }
    if !skipped.is_empty() {
        out.push_str("skipped operations:\n");
        for s in skipped {
            let _ = writeln!(out, "  {} {}: {}", s.method, s.path, s.reason);
        }
    }
    out.push_str("types:\n");
    for (name, members) in &code.types {
        let _ = writeln!(out, "  {name}");
        for member in members {
            let _ = writeln!(out, "    {}", short_paths(member));
        }
    }
    out
}

/// One operation of the surface, under its feature.
fn write_operation(
    out: &mut String,
    op: &crate::pipeline::validate::Operation,
    code: &CrateCode,
    effective: &Value,
    also: &[String],
) {
    let _ = writeln!(out, "    {} {}", op.method, op.path);
    if let Some(m) = code
        .methods
        .iter()
        .find(|m| m.operation_id == op.operation_id)
    {
        let args = m.args_text();
        let _ = writeln!(out, "      method: {}({args}) -> {}", m.name, m.success);
    }
    let _ = writeln!(out, "      operationId: {}", op.operation_id);
    let auth: Vec<String> = op
        .security
        .iter()
        .map(|alternative| match alternative.as_slice() {
            [] => "none".to_owned(),
            names => names.join(" + "),
        })
        .collect();
    let _ = writeln!(out, "      auth: {}", auth.join(" | "));
    let typed: Vec<&String> = effective
        .pointer(&child(&op.pointer, "responses"))
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|r| r.keys())
        .filter(|s| !s.starts_with('2'))
        .collect();
    if !typed.is_empty() {
        let _ = writeln!(
            out,
            "      typed errors: {}",
            typed
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !op.raw_errors.is_empty() {
        let _ = writeln!(out, "      raw errors: {}", op.raw_errors.join(", "));
    }
    if !also.is_empty() {
        let _ = writeln!(out, "      also in: {}", also.join(", "));
    }
}

/// `::std::option::Option<::std::string::String>` → `Option<String>`, for reading.
fn short_paths(text: &str) -> String {
    [
        "::std::option::",
        "::std::string::",
        "::std::vec::",
        "::std::collections::",
        "::chrono::offset::",
    ]
    .iter()
    .fold(text.to_owned(), |t, prefix| t.replace(prefix, ""))
}
