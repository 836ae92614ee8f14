//! `cargo xtask regen [--check]`: writing the generated crates, or checking they are current.
//!
//! Nothing is written unless every provider generates. Then every changed crate is written in
//! full to a staging folder under `target/`, a plan naming them is written, and each is swapped
//! in with renames. A regen interrupted during the swaps is finished (rolled forward from the
//! plan) by the next `cargo xtask regen`, so the tree ends up wholly new; before the plan exists
//! nothing under `crates/` has changed. `--check` refuses to judge a half-swapped tree.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::derived;
use crate::derived::api_changes::ApiChanges;
use crate::pipeline::{self, Generated};

/// Where crates are staged before they are swapped in.
const STAGING: &str = "target/xtask-regen";
/// The list of crates being swapped in; present only while a regen is swapping.
const PLAN: &str = "target/xtask-regen/plan";

/// What `regen` found or did, for the report.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Crates whose files changed (written, or that would be in check mode).
    pub changed: Vec<String>,
    /// Crates already up to date.
    pub unchanged: Vec<String>,
    /// Human-readable differences (check mode).
    pub diff: String,
    /// Operations left out (by the overlay or the generator): "provider: METHOD /path: reason".
    pub skipped: Vec<String>,
    /// Schemas typed as `serde_json::Value`: "provider: #pointer: reason".
    pub fallbacks: Vec<String>,
    /// Decisions taken by rule: "provider: what".
    pub warnings: Vec<String>,
    /// What changes for the users of each crate whose API changes: "provider: summary".
    pub api_changes: Vec<String>,
    /// Folders under `crates/generated/` no provider of `specs/providers.toml` generates (a
    /// provider removed from the manifest): regen deletes them, `--check` reports them.
    pub orphaned: Vec<String>,
}

/// Regenerates every crate under `root/crates/`, or in check mode compares without writing.
pub fn regen(root: &Path, check: bool) -> Result<Outcome, String> {
    if root.join(PLAN).exists() {
        if check {
            return Err(format!(
                "a previous `cargo xtask regen` was interrupted while replacing crates ({PLAN} \
                 exists): run `cargo xtask regen` to finish it"
            ));
        }
        finish_plan(root).map_err(|e| format!("finishing the interrupted regen: {e}"))?;
    }
    let generated = pipeline::generate_all(root).map_err(|errors| {
        let mut text = String::new();
        for e in &errors {
            text.push_str(&format!("error: {e}\n"));
        }
        let mut providers: Vec<&str> = errors.iter().map(|e| e.provider.as_str()).collect();
        providers.dedup();
        text.push_str(&format!(
            "{} problem(s) in {} provider(s); nothing under crates/ was changed",
            errors.len(),
            providers.len()
        ));
        text
    })?;
    let mut outcome = Outcome::default();
    for g in &generated {
        let id = &g.provider.id;
        for skip in &g.skipped {
            outcome.skipped.push(format!(
                "{id}: {} {}: {}",
                skip.method, skip.path, skip.reason
            ));
        }
        for fallback in &g.degraded.fallbacks {
            outcome
                .fallbacks
                .push(format!("{id}: #{}: {}", fallback.pointer, fallback.reason));
        }
        for warning in &g.warnings {
            outcome.warnings.push(format!("{id}: {warning}"));
        }
    }
    for g in &generated {
        let before = fs::read_to_string(crate_dir(root, &g.provider.id).join("API.md"))
            .ok()
            .and_then(|text| {
                let (_, rest) = text.split_once("```text\n")?;
                rest.split_once("```")
                    .map(|(surface, _)| surface.to_owned())
            });
        let changes = ApiChanges::between(before.as_deref(), &g.surface);
        if !changes.is_empty() {
            outcome
                .api_changes
                .push(format!("{}: {changes}", g.provider.id));
        }
    }
    for g in &generated {
        let dir = crate_dir(root, &g.provider.id);
        let diff = differences(&dir, g).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        if diff.is_empty() {
            outcome.unchanged.push(g.provider.id.clone());
        } else {
            outcome.changed.push(g.provider.id.clone());
            outcome.diff.push_str(&diff);
        }
    }
    let derived = derived::workspace_files(root, &generated)?;
    let mut derived_changed = Vec::new();
    for (relative, contents) in &derived {
        let diff = file_difference(root, relative, contents)
            .map_err(|e| format!("reading {}: {e}", relative.display()))?;
        if !diff.is_empty() {
            outcome.changed.push(relative.display().to_string());
            outcome.diff.push_str(&diff);
            derived_changed.push((relative, contents));
        }
    }
    outcome.orphaned = orphans(root, &generated)
        .map_err(|e| format!("reading {}: {e}", root.join("crates/generated").display()))?;
    for id in &outcome.orphaned {
        let dir = pipeline::crate_dir(id).display().to_string();
        outcome.changed.push(format!("{dir} (orphaned)"));
        outcome.diff.push_str(&format!(
            "{dir}: orphaned: specs/providers.toml has no [{id}] entry, so regen removes this \
             crate (and its Cargo.lock entry)\n"
        ));
    }
    if check || outcome.changed.is_empty() {
        return Ok(outcome);
    }
    // Derived files first (they stop naming a removed provider's crate), then its folder: the
    // workspace stays loadable if regen is interrupted in between.
    let remove_orphans = |outcome: &Outcome| -> Result<(), String> {
        for id in &outcome.orphaned {
            remove_orphan(root, id)
                .map_err(|e| format!("removing {}: {e}", pipeline::crate_dir(id).display()))?;
        }
        prune_lock(root, &outcome.orphaned).map_err(|e| format!("updating Cargo.lock: {e}"))
    };
    let write_derived = || -> Result<(), String> {
        for (relative, contents) in &derived_changed {
            write_atomically(&root.join(relative), contents)
                .map_err(|e| format!("writing {}: {e}", relative.display()))?;
        }
        Ok(())
    };
    if !outcome
        .changed
        .iter()
        .any(|c| generated.iter().any(|g| &g.provider.id == c))
    {
        write_derived()?;
        remove_orphans(&outcome)?;
        return Ok(outcome);
    }
    let changed: Vec<&Generated> = generated
        .iter()
        .filter(|g| outcome.changed.contains(&g.provider.id))
        .collect();
    for g in &changed {
        stage(root, g).map_err(|e| {
            format!(
                "staging the new crates under {STAGING}: {e}; nothing under crates/ was changed"
            )
        })?;
    }
    write_plan(root, &outcome.changed)
        .map_err(|e| format!("writing {PLAN}: {e}; nothing under crates/ was changed"))?;
    finish_plan(root).map_err(|e| {
        format!("replacing the crates: {e}; run `cargo xtask regen` again to finish")
    })?;
    write_derived()?;
    remove_orphans(&outcome)?;
    Ok(outcome)
}

/// Ids of the folders under `crates/generated/` that no provider generates, sorted.
pub fn orphans(root: &Path, generated: &[Generated]) -> io::Result<Vec<String>> {
    let dir = root.join("crates").join("generated");
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if !generated.iter().any(|g| g.provider.id == name) {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// Deletes an orphaned crate: moved aside under `target/` first (one rename), then removed.
fn remove_orphan(root: &Path, id: &str) -> io::Result<()> {
    let target = crate_dir(root, id);
    if !target.exists() {
        return Ok(());
    }
    let aside = root.join(STAGING).join(format!("{id}.orphan"));
    if aside.exists() {
        fs::remove_dir_all(&aside)?;
    }
    fs::create_dir_all(root.join(STAGING))?;
    fs::rename(&target, &aside)?;
    fs::remove_dir_all(&aside)
}

/// Removes the `[[package]]` entries of the removed crates (`billfold-<id>`) from `Cargo.lock`
/// and their names from other packages' dependency lists, as cargo itself would on its next
/// run. No `Cargo.lock`, nothing to do.
pub fn prune_lock(root: &Path, ids: &[String]) -> io::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let path = root.join("Cargo.lock");
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let pruned = prune_lock_text(&text, ids);
    if pruned != text {
        write_atomically(&path, &pruned)?;
    }
    Ok(())
}

fn prune_lock_text(text: &str, ids: &[String]) -> String {
    let names: Vec<String> = ids.iter().map(|id| format!("billfold-{id}")).collect();
    let mut out = String::new();
    for (index, block) in text.split("\n[[package]]\n").enumerate() {
        let name = block
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or_default();
        if index > 0 && names.iter().any(|n| n == name) {
            continue;
        }
        let kept: Vec<&str> = block
            .split_inclusive('\n')
            .filter(|line| {
                let trimmed = line.trim().trim_end_matches(',');
                !names.iter().any(|n| trimmed == format!("\"{n}\""))
            })
            .collect();
        if index > 0 {
            out.push_str("\n[[package]]\n");
        }
        out.push_str(&kept.concat());
    }
    out
}

/// The unified diff between a derived file on disk and what it should be (empty when equal).
fn file_difference(root: &Path, relative: &Path, contents: &str) -> io::Result<String> {
    let current = match fs::read_to_string(root.join(relative)) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    if current == contents {
        return Ok(String::new());
    }
    let name = relative.display().to_string();
    Ok(TextDiff::from_lines(&current, contents)
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{name} (checked in)"),
            &format!("{name} (generated)"),
        )
        .to_string())
}

/// Writes a file through a temporary sibling and a rename, so it is never half written.
fn write_atomically(path: &Path, contents: &str) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let partial = path.with_extension("regen-partial");
    fs::write(&partial, contents)?;
    fs::rename(partial, path)
}

/// Records which staged crates are to be swapped in (written to a temp file, then renamed).
pub fn write_plan(root: &Path, ids: &[String]) -> io::Result<()> {
    let plan = root.join(PLAN);
    let partial = plan.with_extension("partial");
    fs::write(&partial, ids.join("\n") + "\n")?;
    fs::rename(partial, plan)
}

/// Swaps in every crate the plan names, then removes the plan. Safe to run again after an
/// interruption at any point: each crate is either already swapped or still staged.
pub fn finish_plan(root: &Path) -> io::Result<()> {
    let plan = root.join(PLAN);
    let ids = fs::read_to_string(&plan)?;
    for id in ids.lines().filter(|l| !l.trim().is_empty()) {
        finish_swap(root, id.trim())?;
    }
    fs::remove_file(plan)
}

/// Replaces `crates/generated/<id>` by its staged copy with two renames (old aside, new in), then deletes
/// the old one. Does nothing but tidy up when the staged copy is already in place.
pub fn finish_swap(root: &Path, id: &str) -> io::Result<()> {
    let target = crate_dir(root, id);
    let staged = root.join(STAGING).join(id);
    let old = root.join(STAGING).join(format!("{id}.old"));
    if staged.exists() {
        if target.exists() {
            if old.exists() {
                fs::remove_dir_all(&old)?;
            }
            fs::rename(&target, &old)?;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::rename(&staged, &target)?;
    }
    if old.exists() {
        fs::remove_dir_all(&old)?;
    }
    Ok(())
}

fn crate_dir(root: &Path, id: &str) -> PathBuf {
    root.join(pipeline::crate_dir(id))
}

/// A unified diff of every file that differs, plus files on disk the generator does not make.
fn differences(dir: &Path, generated: &Generated) -> io::Result<String> {
    let mut out = String::new();
    for (relative, contents) in &generated.files {
        let path = dir.join(relative);
        let current = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        if &current != contents {
            let name = format!(
                "{}/{}",
                pipeline::crate_dir(&generated.provider.id).display(),
                relative.display()
            );
            out.push_str(
                &TextDiff::from_lines(&current, contents)
                    .unified_diff()
                    .context_radius(2)
                    .header(
                        &format!("{name} (checked in)"),
                        &format!("{name} (generated)"),
                    )
                    .to_string(),
            );
        }
    }
    for extra in files_under(dir)? {
        let relative = extra.strip_prefix(dir).unwrap_or(&extra).to_path_buf();
        if !generated.files.iter().any(|(p, _)| *p == relative) {
            out.push_str(&format!(
                "{}/{}: not generated; the xtask owns this folder, so regen removes it\n",
                pipeline::crate_dir(&generated.provider.id).display(),
                relative.display()
            ));
        }
    }
    Ok(out)
}

fn files_under(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(files_under(&path)?);
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Writes a crate's files into a fresh staging folder, `target/xtask-regen/<id>`.
pub fn stage(root: &Path, generated: &Generated) -> io::Result<PathBuf> {
    let dir = root.join(STAGING).join(&generated.provider.id);
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    for (relative, contents) in &generated.files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, contents)?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_loses_a_removed_crate_and_the_references_to_it() {
        let lock = "version = 4\n\n[[package]]\nname = \"billfold\"\nversion = \"0.1.0\"\ndependencies = [\n \"billfold-acme\",\n \"billfold-aiml\",\n]\n\n[[package]]\nname = \"billfold-acme\"\nversion = \"0.1.0\"\ndependencies = [\n \"serde\",\n]\n\n[[package]]\nname = \"billfold-aiml\"\nversion = \"0.1.0\"\n";
        let pruned = prune_lock_text(lock, &["acme".to_owned()]);
        assert_eq!(
            pruned,
            "version = 4\n\n[[package]]\nname = \"billfold\"\nversion = \"0.1.0\"\ndependencies = [\n \"billfold-aiml\",\n]\n\n[[package]]\nname = \"billfold-aiml\"\nversion = \"0.1.0\"\n"
        );
        assert_eq!(prune_lock_text(lock, &["other".to_owned()]), lock);
    }
}
