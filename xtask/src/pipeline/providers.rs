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
    /// The saved docs page the spec comes from (historical; prefer `docs_url`).
    pub docs_page: Option<String>,
    /// The provider's public docs page the spec or the mapping was read from (provenance).
    pub docs_url: Option<String>,
    /// Where the provider publishes its spec (`cargo xtask ingest --all` refreshes from it):
    /// one URL, or one per file of `spec`, in the same order.
    #[serde(default, deserialize_with = "one_or_many")]
    pub spec_url: Vec<String>,
    /// The spec's root file under `specs/<id>/` (default `openapi.yaml`); a spec split over
    /// several files keeps its layout there, and its relative `$ref`s are bundled at regen. A
    /// list names several specs the provider publishes for one API, merged into one crate by
    /// the rule of [`crate::pipeline::merge`].
    #[serde(default, deserialize_with = "one_or_many")]
    pub spec: Vec<String>,
    /// Notes for maintainers.
    pub notes: Option<String>,
    /// Security scheme name (or the name of a header parameter that carries the key) → env
    /// var holding that credential. Empty when the spec declares no scheme: the client then
    /// sends no credential.
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
    /// Security scheme name → the word its key is sent after (`Key` for `Authorization: Key
    /// <key>`), for an `apiKey` header scheme whose description asks for one; checked at regen.
    #[serde(default)]
    pub credential_prefix: BTreeMap<String, String>,
    /// How the provider's balance is read (`[<id>.balance]`); `None`: no balance row.
    pub balance: Option<BalanceMapping>,
    /// How operations without an operationId are named; `None`: such an operation is an error.
    pub operation_names: Option<OperationNames>,
}

/// `operation_names`: the explicit policy for operations the spec leaves unnamed.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OperationNames {
    /// Named from method and path (see [`crate::pipeline::operations::name_from_path`]).
    FromPath,
}

/// `[<id>.balance]`: which operation answers with the balance, and where each common field
/// is in its success response (JSON pointers, checked against the response schema at regen).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BalanceMapping {
    /// The operationId whose success response is the balance.
    pub operation: String,
    /// Credits available now (a number); omitted, it is `allotted − used`, or unknown for a
    /// provider that reports only usage (`used`).
    #[serde(default)]
    pub available: Pointers,
    /// Credits used (a number).
    #[serde(default)]
    pub used: Pointers,
    /// Credits allotted (a number).
    #[serde(default)]
    pub allotted: Pointers,
    /// Plan or tier name (a string).
    #[serde(default)]
    pub plan: Pointers,
    /// When the period ends or credits expire: RFC 3339, unix seconds, or `YYYY-MM`.
    #[serde(default)]
    pub expires_at: Pointers,
    /// Whether usage is allowed (a boolean; a leading `!` negates).
    #[serde(default)]
    pub usable: Pointers,
    /// Whether the provider flags the balance low (a boolean; a leading `!` negates).
    #[serde(default)]
    pub low: Pointers,
    /// A spend limit (a number).
    #[serde(default)]
    pub spend_limit: Pointers,
    /// A concurrency limit (a number).
    #[serde(default)]
    pub concurrency_limit: Pointers,
    /// What the amounts count (a literal; default "credits").
    #[serde(default = "default_unit")]
    pub unit: String,
    /// A hand-written function in `crates/billfold/src/computed.rs` that fills what pointers
    /// cannot express (sums, minimums), called after the pointers with the typed response.
    pub computed: Option<String>,
    /// Amounts may be sent as decimal strings (`"110.00"`): number keys then also accept a
    /// `string` field, parsed as a decimal number.
    #[serde(default)]
    pub decimal_strings: bool,
    /// Every amount (available, used, allotted, spend_limit) is multiplied by this: `0.0001`
    /// for amounts in 1/10,000 USD, `0.01` for cents.
    pub scale: Option<Scale>,
    /// Every amount's sign is flipped (a ledger where prepaid funds are negative).
    #[serde(default)]
    pub negate: bool,
    /// JSON pointer(s) to a string naming the unit or currency; when present in the response it
    /// wins over `unit_by_host` and `unit`.
    #[serde(default)]
    pub unit_pointer: Pointers,
    /// The unit by the base URL's host (one provider, two hosts, two currencies); a host not
    /// listed falls back to `unit`.
    #[serde(default)]
    pub unit_by_host: BTreeMap<String, String>,
    /// Path or query parameters of the balance operation, each taken from an env var
    /// (parameter name = env var); a missing one is a configuration error naming the var.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// Path or query parameters of the balance operation sent with a fixed value (parameter
    /// name = value): `expand = "credits"` where the balance is only in an expanded response.
    #[serde(default)]
    pub arguments: BTreeMap<String, String>,
    /// What names each row (a string) when the pointers hold a `[*]` segment: each element of
    /// that array is then its own balance row; default: the element's index.
    #[serde(default)]
    pub row_label: Pointers,
    /// The kind of key the balance endpoint needs when it is not the ordinary API key
    /// ("management key", "admin key"), shown in `billfold --help` and the READMEs.
    pub key_kind: Option<String>,
}

/// `scale`: a finite, non-zero multiplier for amounts.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(try_from = "f64")]
pub struct Scale(pub f64);

impl Eq for Scale {}

impl TryFrom<f64> for Scale {
    type Error = String;
    fn try_from(value: f64) -> Result<Self, String> {
        if value.is_finite() && value != 0.0 {
            Ok(Scale(value))
        } else {
            Err(format!(
                "scale must be a finite, non-zero number, found {value}"
            ))
        }
    }
}

fn default_unit() -> String {
    "credits".to_owned()
}

/// One JSON pointer, or a list tried in order (the first that is present wins).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(from = "OneOrMany")]
pub struct Pointers(pub Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// `key = "x"` or `key = ["x", "y"]`, as a list.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

impl From<OneOrMany> for Pointers {
    fn from(value: OneOrMany) -> Self {
        match value {
            OneOrMany::One(one) => Pointers(vec![one]),
            OneOrMany::Many(many) => Pointers(many),
        }
    }
}

impl BalanceMapping {
    /// (key, pointers, what the value must be) for every pointer key, in manifest order.
    pub fn keys(&self) -> [(&'static str, &Pointers, ValueKind); 10] {
        use ValueKind::*;
        [
            ("available", &self.available, Number),
            ("used", &self.used, Number),
            ("allotted", &self.allotted, Number),
            ("plan", &self.plan, Text),
            ("expires_at", &self.expires_at, Instant),
            ("usable", &self.usable, Flag),
            ("low", &self.low, Flag),
            ("spend_limit", &self.spend_limit, Number),
            ("concurrency_limit", &self.concurrency_limit, Number),
            ("row_label", &self.row_label, Text),
        ]
    }
}

/// What a balance field's pointer must lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `number` or `integer`.
    Number,
    /// `string` (or a number, shown as text).
    Text,
    /// A date-time string, a `YYYY-MM` string, or unix seconds.
    Instant,
    /// `boolean`; the pointer may start with `!`.
    Flag,
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
    // In file order: it is the order providers are shown in.
    let table: toml::Table = toml::from_str(text).map_err(|e| format!("invalid TOML: {e}"))?;
    let mut entries = Vec::new();
    for (id, value) in table {
        let mut entry: ProviderEntry = value
            .try_into()
            .map_err(|e| format!("invalid TOML: [{id}]: {e}"))?;
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
        let parameter_vars = entry.balance.iter().flat_map(|b| b.parameters.values());
        let env_vars = std::iter::once(&entry.base_url_env)
            .chain(entry.credentials.values())
            .chain(parameter_vars);
        for var in env_vars {
            if !is_made_of(var, |c| c.is_ascii_uppercase()) {
                return Err(format!(
                    "[{id}]: env var {var:?} must be upper-case ASCII letters, digits and `_`"
                ));
            }
        }
        if !entry.spec_url.is_empty() && entry.spec_url.len() != entry.spec.len().max(1) {
            return Err(format!(
                "[{id}]: spec_url names {} URL(s) for {} spec file(s): give one URL per file of \
                 `spec`, in the same order",
                entry.spec_url.len(),
                entry.spec.len().max(1)
            ));
        }
        if let Some(file) = entry
            .spec
            .iter()
            .find(|f| f.is_empty() || f.starts_with('/') || f.split('/').any(|s| s == ".."))
        {
            return Err(format!(
                "[{id}]: spec file {file:?} must be a relative path inside specs/{id}/"
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
