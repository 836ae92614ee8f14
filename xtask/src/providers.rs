//! `specs/providers.toml`: which providers exist and how their clients are configured.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One provider's entry in `specs/providers.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    /// Provider id: the table name, the folder under `specs/` and `crates/`.
    #[serde(skip)]
    pub id: String,
    /// Name of the generated crate.
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// Display name.
    pub name: String,
    /// Default base URL; `None` when the provider publishes none.
    pub base_url: Option<String>,
    /// Env var that overrides the base URL.
    pub base_url_env: String,
    /// The saved docs page the spec comes from.
    pub docs_page: Option<String>,
    /// Notes for maintainers.
    pub notes: Option<String>,
    /// Security scheme name → env var holding that credential.
    pub credentials: BTreeMap<String, String>,
    /// How the provider's balance is read (`[<id>.balance]`); `None`: no balance row.
    pub balance: Option<BalanceMapping>,
}

/// `[<id>.balance]`: which operation answers with the balance.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BalanceMapping {
    /// The operationId whose success response is the balance.
    pub operation: String,
}

/// Path of the providers file, relative to the workspace root.
pub const PROVIDERS_FILE: &str = "specs/providers.toml";

/// Whether `id` can name a provider: lower-case ASCII letters, digits and `_`.
pub fn is_valid_id(id: &str) -> bool {
    is_made_of(id, |c| c.is_ascii_lowercase())
}

/// Non-empty, and only letters accepted by `letter`, ASCII digits and `_`.
fn is_made_of(text: &str, letter: fn(&char) -> bool) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| letter(&c) || c.is_ascii_digit() || c == '_')
}

/// Parses `specs/providers.toml`, checking ids, crate names and env var names.
pub fn parse(text: &str) -> Result<Vec<ProviderEntry>, String> {
    let table: BTreeMap<String, ProviderEntry> =
        toml::from_str(text).map_err(|e| format!("invalid TOML: {e}"))?;
    let mut entries = Vec::new();
    for (id, mut entry) in table {
        if !is_valid_id(&id) {
            return Err(format!(
                "[{id}]: a provider id is lower-case ASCII letters, digits and `_`"
            ));
        }
        if entry.crate_name != format!("billfold-{id}") {
            return Err(format!(
                "[{id}]: crate must be \"billfold-{id}\", found {:?}",
                entry.crate_name
            ));
        }
        let env_vars = std::iter::once(&entry.base_url_env).chain(entry.credentials.values());
        for var in env_vars {
            if !is_made_of(var, |c| c.is_ascii_uppercase()) {
                return Err(format!(
                    "[{id}]: env var {var:?} must be upper-case ASCII letters, digits and `_`"
                ));
            }
        }
        if entry.credentials.is_empty() {
            return Err(format!(
                "[{id}.credentials]: map at least one security scheme of the spec to an env var"
            ));
        }
        entry.id = id;
        entries.push(entry);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_entries() {
        let ok = "[x]\ncrate = \"billfold-x\"\nname = \"X\"\nbase_url_env = \"X_BASE_URL\"\n[x.credentials]\nauth = \"X_API_KEY\"\n";
        let entries = parse(ok).unwrap();
        assert_eq!(entries[0].id, "x");
        assert_eq!(entries[0].base_url, None);
        assert!(
            parse(&ok.replace("billfold-x", "x-client"))
                .unwrap_err()
                .contains("crate must be")
        );
        assert!(
            parse(&ok.replace("X_API_KEY", "x key"))
                .unwrap_err()
                .contains("env var")
        );
        assert!(
            parse(&ok.replace("name =", "nom ="))
                .unwrap_err()
                .contains("invalid TOML")
        );
    }
}
