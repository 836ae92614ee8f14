//! `cargo xtask regen [--check]`: writing the generated crates, or checking they are current.
//!
//! Nothing is written unless every provider generates. Then each changed crate is written to a
//! temporary folder under `target/` and swapped in with renames, so an interrupted regen leaves
//! each crate either old or new, never a mix.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::pipeline::{self, Generated};

/// Where crates are staged before they are swapped in.
const STAGING: &str = "target/xtask-regen";

/// What `regen` found or did, for the report.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Crates whose files changed (written, or that would be in check mode).
    pub changed: Vec<String>,
    /// Crates already up to date.
    pub unchanged: Vec<String>,
    /// Human-readable differences (check mode).
    pub diff: String,
}

/// Regenerates every crate under `root/crates/`, or in check mode compares without writing.
pub fn regen(root: &Path, check: bool) -> Result<Outcome, String> {
    let generated = pipeline::generate_all(root).map_err(|errors| {
        let mut text = String::new();
        for e in &errors {
            text.push_str(&format!("error: {e}\n"));
        }
        text.push_str(&format!(
            "{} provider(s) failed; nothing under crates/ was changed",
            errors.len()
        ));
        text
    })?;
    let mut outcome = Outcome::default();
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
    if check || outcome.changed.is_empty() {
        return Ok(outcome);
    }
    let staged: Vec<(&Generated, PathBuf)> = generated
        .iter()
        .filter(|g| outcome.changed.contains(&g.provider.id))
        .map(|g| stage(root, g).map(|path| (g, path)))
        .collect::<Result<_, _>>()
        .map_err(|e| {
            format!(
                "staging the new crates under {STAGING}: {e}; nothing under crates/ was changed"
            )
        })?;
    for (g, staged_dir) in staged {
        swap_in(&crate_dir(root, &g.provider.id), &staged_dir)
            .map_err(|e| format!("replacing crates/{}: {e}", g.provider.id))?;
    }
    Ok(outcome)
}

fn crate_dir(root: &Path, id: &str) -> PathBuf {
    root.join("crates").join(id)
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
            let name = format!("crates/{}/{}", generated.provider.id, relative.display());
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
                "crates/{}/{}: not generated; the xtask owns this folder, so regen removes it\n",
                generated.provider.id,
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

/// Writes a crate's files into a fresh staging folder.
fn stage(root: &Path, generated: &Generated) -> io::Result<PathBuf> {
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

/// Replaces `target` by `staged` with two renames.
fn swap_in(target: &Path, staged: &Path) -> io::Result<()> {
    let old = staged.with_extension("old");
    if old.exists() {
        fs::remove_dir_all(&old)?;
    }
    if target.exists() {
        fs::rename(target, &old)?;
    }
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::rename(staged, target)?;
    if old.exists() {
        fs::remove_dir_all(&old)?;
    }
    Ok(())
}
