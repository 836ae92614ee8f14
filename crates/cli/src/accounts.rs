//! What to query: each provider's account configured by its env vars, or the accounts listed
//! in the accounts file (`config.toml`).
//!
//! ```toml
//! [[account]]
//! label = "team-b"                      # letters, digits, `.`, `_`, `-`
//! provider = "olostep"
//! key_env = "OLOSTEP_TEAM_B_KEY"        # the env var that holds the key
//! base_url = "https://api.olostep.com"  # optional: else <PROVIDER>_BASE_URL, else the provider's
//! scheme = "ApiKeyAuth"                 # optional: which of the spec's schemes (default the first)
//! ```
//!
//! When the file lists accounts, it lists exactly what to query (`--provider` filters it by
//! provider); the `<PROVIDER>_API_KEY`-style variables are then not read. Without it (or
//! without any `[[account]]` in it), each provider's env-configured account is queried, as the
//! empty-string account. Keys are never read from the file: one that has a key-like field is
//! refused.
//!
//! A provider billfold does not ship is added with a `[[provider]]` table: the same mapping keys
//! as `specs/providers.toml`, the key from the env var `key_env`. It is queried like the others
//! (its own env-configured account, and any `[[account]]` naming it):
//!
//! ```toml
//! [[provider]]
//! id = "acme"                             # lower-case letters, digits, `_`
//! name = "Acme"                           # optional, default the id
//! base_url = "https://api.acme.example"   # ACME_BASE_URL overrides it
//! path = "/v1/account/balance"
//! auth = "header"                         # bearer (default), header or query
//! auth_name = "X-Api-Key"                 # the header or query parameter (header, query)
//! key_env = "ACME_API_KEY"
//! available = "/data/remaining"           # JSON pointers, as in specs/providers.toml
//! allotted = "/data/plan_total"
//! unit = "USD"
//! decimal_strings = true                  # also: used, plan, expires_at, usable, low,
//! scale = 0.01                            # spend_limit, concurrency_limit, unit_pointer,
//!                                         # negate
//! ```

use std::collections::HashSet;
use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use billfold::balance::{Balance, BalanceError, ErrorKind, ProviderId};
use billfold::custom::{CustomAuth, CustomMapping, CustomProvider};
use billfold_runtime::ClientConfig;
use serde::Deserialize;

/// The accounts file's path below a configuration directory.
const FILE_IN_CONFIG_DIR: [&str; 2] = ["billfold", "config.toml"];

/// Field names that look like a key, refused anywhere in the file (compared in lower case).
const KEY_LIKE: &[&str] = &[
    "key",
    "api_key",
    "apikey",
    "api-key",
    "token",
    "api_token",
    "access_token",
    "auth_token",
    "bearer",
    "secret",
    "api_secret",
    "password",
    "credential",
    "credentials",
];

/// The file's layout; any other field is an error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    account: Vec<AccountDoc>,
    #[serde(default)]
    provider: Vec<ProviderDoc>,
}

/// A `[[provider]]` table: a provider defined by configuration alone.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderDoc {
    id: String,
    #[serde(default)]
    name: Option<String>,
    base_url: String,
    path: String,
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    auth_name: Option<String>,
    #[serde(default)]
    auth_prefix: Option<String>,
    key_env: String,
    #[serde(default)]
    available: Pointers,
    #[serde(default)]
    used: Pointers,
    #[serde(default)]
    allotted: Pointers,
    #[serde(default)]
    plan: Pointers,
    #[serde(default)]
    expires_at: Pointers,
    #[serde(default)]
    usable: Pointers,
    #[serde(default)]
    low: Pointers,
    #[serde(default)]
    spend_limit: Pointers,
    #[serde(default)]
    concurrency_limit: Pointers,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    unit_pointer: Pointers,
    #[serde(default)]
    decimal_strings: bool,
    #[serde(default)]
    scale: Option<f64>,
    #[serde(default)]
    negate: bool,
    #[serde(default)]
    row_label: Pointers,
}

/// One JSON pointer, or a list tried in order.
#[derive(Debug, Default, Deserialize)]
#[serde(from = "OneOrMany")]
struct Pointers(Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl From<OneOrMany> for Pointers {
    fn from(value: OneOrMany) -> Self {
        match value {
            OneOrMany::One(one) => Pointers(vec![one]),
            OneOrMany::Many(many) => Pointers(many),
        }
    }
}

impl ProviderDoc {
    /// The definition, or what to fix in the table.
    fn definition(self) -> Result<CustomProvider, String> {
        if self.auth_prefix.is_some() && self.auth.as_deref() != Some("header") {
            return Err(
                "auth_prefix is for auth = \"header\" (`<auth_name>: <auth_prefix> <key>`); remove it or set auth = \"header\"".into(),
            );
        }
        let auth = match (self.auth.as_deref().unwrap_or("bearer"), self.auth_name) {
            ("bearer", None) => CustomAuth::Bearer,
            ("bearer", Some(_)) => {
                return Err("auth_name is for auth = \"header\" or \"query\"; remove it".into());
            }
            ("header", Some(name)) => match self.auth_prefix {
                Some(prefix) => CustomAuth::PrefixedHeader { name, prefix },
                None => CustomAuth::Header(name),
            },
            ("query", Some(name)) => CustomAuth::Query(name),
            ("header" | "query", None) => {
                return Err("auth_name is required with this auth: the header or query parameter that carries the key".into());
            }
            (other, _) => {
                return Err(format!(
                    "auth {other:?} is not one of bearer, header, query"
                ));
            }
        };
        Ok(CustomProvider {
            name: self.name.unwrap_or_else(|| self.id.clone()),
            id: self.id,
            base_url: self.base_url,
            path: self.path,
            auth,
            key_env: self.key_env,
            mapping: CustomMapping {
                available: self.available.0,
                used: self.used.0,
                allotted: self.allotted.0,
                plan: self.plan.0,
                expires_at: self.expires_at.0,
                usable: self.usable.0,
                low: self.low.0,
                spend_limit: self.spend_limit.0,
                concurrency_limit: self.concurrency_limit.0,
                unit: self.unit.unwrap_or_else(|| "credits".to_owned()),
                unit_pointer: self.unit_pointer.0,
                decimal_strings: self.decimal_strings,
                scale: self.scale.unwrap_or(1.0),
                negate: self.negate,
                row_label: self.row_label.0,
            },
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountDoc {
    label: String,
    provider: String,
    key_env: String,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    scheme: Option<String>,
}

/// One account of the accounts file, checked.
#[derive(Clone, Debug)]
struct Account {
    label: String,
    provider: ProviderId,
    key_env: String,
    base_url: Option<String>,
    scheme: &'static str,
}

/// A read and checked accounts file.
#[derive(Clone, Debug)]
pub struct AccountsFile {
    path: PathBuf,
    accounts: Vec<Account>,
    /// The providers its `[[provider]]` tables define (registered), in file order.
    providers: Vec<ProviderId>,
}

/// One thing to query: a provider's account.
#[derive(Clone, Debug)]
pub struct Target {
    /// The provider.
    pub provider: ProviderId,
    /// The account's label; empty for the account configured by the provider's env vars.
    pub account: String,
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    /// The provider's own env vars (`<PROVIDER>_API_KEY`, `<PROVIDER>_BASE_URL`).
    Env,
    /// An account of the accounts file at `file`.
    File { account: Account, file: PathBuf },
}

impl Target {
    /// `olostep` for the env-configured account, `olostep:team-b` for a labelled one.
    pub fn label(&self) -> String {
        if self.account.is_empty() {
            self.provider.id().to_owned()
        } else {
            format!("{}:{}", self.provider.id(), self.account)
        }
    }

    /// This account's row `row` of a balance read one row per element (`deepseek:USD`,
    /// `deepseek:team-b/USD`): the same account, named with the row.
    pub fn row(&self, row: &str) -> Target {
        let account = if self.account.is_empty() {
            row.to_owned()
        } else {
            format!("{}/{row}", self.account)
        };
        Target {
            account,
            ..self.clone()
        }
    }

    /// The client configuration for this account: its credential and base URL, and `timeout`.
    pub fn client_config(&self, timeout: Option<Duration>) -> ClientConfig {
        let provider = self.provider.provider();
        let config = match &self.source {
            Source::Env => ClientConfig::from_env(provider),
            Source::File { account, file } => {
                // from_env for the base URL (<PROVIDER>_BASE_URL, else the spec's default);
                // the credential is the account's own variable only.
                let config = ClientConfig::from_env(provider)
                    .credential_from_env(account.scheme, account.key_env.as_str());
                match &account.base_url {
                    Some(url) => config.base_url_from(
                        url.as_str(),
                        format!(
                            "base_url of account {:?} in {}",
                            account.label,
                            file.display()
                        ),
                    ),
                    None => config,
                }
            }
        };
        match timeout {
            Some(timeout) => config.timeout(timeout),
            None => config,
        }
    }

    /// `outcome` with its messages put in this account's terms: an account of the file whose
    /// env var is unset is a configuration error (the file asks for it), not "not configured".
    pub fn explain(&self, outcome: Result<Balance, BalanceError>) -> Result<Balance, BalanceError> {
        match (&self.source, outcome) {
            (Source::File { account, file }, Err(e)) if e.kind == ErrorKind::NotConfigured => {
                Err(BalanceError {
                    kind: ErrorKind::Config,
                    status: None,
                    message: format!(
                        "env var {} is not set (key_env of account {:?} in {}): export it \
                         with the account's key, or remove the account from the file",
                        account.key_env,
                        account.label,
                        file.display()
                    ),
                })
            }
            (_, outcome) => outcome,
        }
    }

    /// How to configure this account, for the "nothing is configured" message.
    pub fn credential_hint(&self) -> String {
        match &self.source {
            Source::Env => self.provider.provider().credential_env_vars(),
            Source::File { account, .. } => account.key_env.clone(),
        }
    }
}

/// The default accounts file: `$XDG_CONFIG_HOME/billfold/config.toml` when `XDG_CONFIG_HOME` is
/// an absolute path, else `$HOME/.config/billfold/config.toml` when `HOME` is, else `None`.
pub fn default_path() -> Option<PathBuf> {
    default_path_from(
        env::var_os("XDG_CONFIG_HOME").as_deref(),
        env::var_os("HOME").as_deref(),
    )
}

fn default_path_from(xdg_config_home: Option<&OsStr>, home: Option<&OsStr>) -> Option<PathBuf> {
    let absolute = |value: Option<&OsStr>| {
        value
            .map(Path::new)
            .filter(|p| p.is_absolute())
            .map(Path::to_path_buf)
    };
    let dir = absolute(xdg_config_home).or_else(|| absolute(home).map(|h| h.join(".config")))?;
    Some(
        FILE_IN_CONFIG_DIR
            .iter()
            .fold(dir, |dir, part| dir.join(part)),
    )
}

/// Reads the accounts file: `explicit` (`--config PATH`, which must exist), else the default
/// file if it exists. `Ok(None)`: there is none, and each provider's env vars are used. The
/// error is a whole message naming the file.
pub fn load(explicit: Option<&Path>) -> Result<Option<AccountsFile>, String> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => match default_path() {
            Some(path) if path.exists() => path,
            _ => return Ok(None),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let fix = if explicit.is_some() {
            "check the path given with --config"
        } else {
            "fix its permissions, or name another file with --config PATH"
        };
        format!(
            "cannot read the accounts file {}: {e}; {fix}",
            path.display()
        )
    })?;
    parse(&path, &text).map(Some)
}

/// Registers the providers the accounts file defines (`--config PATH` among `args`, else the
/// default file), so that they parse as provider names; any problem is left for [`load`] to
/// report where the file is used.
pub fn register_early(args: impl Iterator<Item = std::ffi::OsString>) {
    let mut explicit = None;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "--config" {
            explicit = args.next().map(PathBuf::from);
        } else if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--config=")) {
            explicit = Some(PathBuf::from(path));
        }
    }
    let _ = load(explicit.as_deref());
}

/// Parses and checks the text of the accounts file at `path`.
fn parse(path: &Path, text: &str) -> Result<AccountsFile, String> {
    let file = path.display();
    // First as plain TOML, to refuse keys before anything could quote them.
    let table: toml::Table =
        toml::from_str(text).map_err(|e| format!("{file}: {}", toml_error(text, &e)))?;
    if let Some(place) = key_like_field(&table, "") {
        return Err(format!(
            "{file}: {place} looks like a key; billfold never reads keys from a file: put the \
             key in an env var, name that var with key_env = \"...\" in the account, and \
             remove the field"
        ));
    }
    let doc: FileDoc =
        toml::from_str(text).map_err(|e| format!("{file}: {}", toml_error(text, &e)))?;
    if doc.account.is_empty() && doc.provider.is_empty() {
        return Err(format!(
            "{file} lists no [[account]] and no [[provider]]: add one (an account: label, \
             provider, key_env), or remove the file to use each provider's own env vars"
        ));
    }
    // Providers first: accounts may name them.
    let mut providers = Vec::new();
    for (index, doc) in doc.provider.into_iter().enumerate() {
        let at = format!("{file}: [[provider]] #{} ({:?})", index + 1, doc.id);
        let provider = doc
            .definition()
            .and_then(billfold::custom::register)
            .map_err(|e| format!("{at}: {e}"))?;
        if providers.contains(&provider) {
            return Err(format!(
                "{at}: the id is defined twice in the file; keep one"
            ));
        }
        providers.push(provider);
    }
    let mut seen = HashSet::new();
    let mut accounts = Vec::new();
    for (index, doc) in doc.account.into_iter().enumerate() {
        let at = format!("{file}: account #{}", index + 1);
        let label_ok = !doc.label.is_empty()
            && doc.label.len() <= 64
            && doc
                .label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !label_ok {
            return Err(format!(
                "{at}: label {:?} must be 1 to 64 letters, digits, `.`, `_` or `-`",
                doc.label
            ));
        }
        let at = format!("{file}: account {:?}", doc.label);
        let provider: ProviderId = doc.provider.parse().map_err(|e| format!("{at}: {e}"))?;
        if !is_env_var_name(&doc.key_env) {
            // Not quoted: it may be the key itself, pasted in the wrong place.
            return Err(format!(
                "{at}: key_env is not an env var name (letters, digits and `_`, not starting \
                 with a digit); it names the variable that holds the key and must not be the key"
            ));
        }
        let specs = provider.provider().credentials;
        let scheme = match &doc.scheme {
            None => specs.first().map(|s| s.scheme),
            Some(wanted) => specs.iter().map(|s| s.scheme).find(|s| s == wanted),
        };
        let Some(scheme) = scheme else {
            let known: Vec<&str> = specs.iter().map(|s| s.scheme).collect();
            return Err(format!(
                "{at}: scheme {:?} is not one of {}'s: {}",
                doc.scheme.as_deref().unwrap_or(""),
                provider.id(),
                known.join(", ")
            ));
        };
        if !seen.insert((provider, doc.label.clone())) {
            return Err(format!(
                "{at}: {}:{} is listed twice; give each account of a provider its own label",
                provider.id(),
                doc.label
            ));
        }
        accounts.push(Account {
            label: doc.label,
            provider,
            key_env: doc.key_env,
            base_url: doc.base_url,
            scheme,
        });
    }
    Ok(AccountsFile {
        path: path.to_path_buf(),
        accounts,
        providers,
    })
}

/// A TOML error as "line L, column C: message", without the quoted source line (which could
/// hold a key).
fn toml_error(text: &str, error: &toml::de::Error) -> String {
    match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {}", error.message())
        }
        None => error.message().to_owned(),
    }
}

/// Where the first key-like field is (`` `token` in [[account]] #2 ``), if any.
fn key_like_field(table: &toml::Table, place: &str) -> Option<String> {
    for (name, value) in table {
        let lower = name.to_ascii_lowercase();
        let key_like = KEY_LIKE.contains(&lower.as_str())
            || (lower != "key_env"
                && ["_key", "-key", "_token", "-token", "_secret", "-secret"]
                    .iter()
                    .any(|suffix| lower.ends_with(suffix)));
        if key_like {
            return Some(if place.is_empty() {
                format!("the field `{name}`")
            } else {
                format!("the field `{name}` in {place}")
            });
        }
        let inner = match value {
            toml::Value::Table(inner) => key_like_field(inner, &format!("[{name}]")),
            toml::Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                item.as_table()
                    .and_then(|inner| key_like_field(inner, &format!("[[{name}]] #{}", i + 1)))
            }),
            _ => None,
        };
        if inner.is_some() {
            return inner;
        }
    }
    None
}

fn is_env_var_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// What to query: the accounts of `file` whose provider is in `providers` (all when empty),
/// or, without a file, the env-configured account of each of `providers` (every provider when
/// empty). An error (a whole message) when the file has no account of those providers.
pub fn targets(
    file: Option<&AccountsFile>,
    providers: &[ProviderId],
) -> Result<Vec<Target>, String> {
    let env_target = |provider: ProviderId| Target {
        provider,
        account: String::new(),
        source: Source::Env,
    };
    let Some(file) = file else {
        let chosen = if providers.is_empty() {
            ProviderId::ALL
        } else {
            providers
        };
        return Ok(chosen
            .iter()
            .map(|&provider| env_target(provider))
            .collect());
    };
    let wanted = |p: &ProviderId| providers.is_empty() || providers.contains(p);
    // Without accounts, the file only adds providers: each provider's env-configured account.
    let mut targets: Vec<Target> = if file.accounts.is_empty() {
        ProviderId::ALL
            .iter()
            .copied()
            .filter(wanted)
            .map(env_target)
            .collect()
    } else {
        Vec::new()
    };
    targets.extend(
        file.accounts
            .iter()
            .filter(|a| wanted(&a.provider))
            .map(|account| Target {
                provider: account.provider,
                account: account.label.clone(),
                source: Source::File {
                    account: account.clone(),
                    file: file.path.clone(),
                },
            }),
    );
    // A provider the file defines is queried with its own key_env, unless an account of it
    // already is.
    for &provider in file.providers.iter().filter(|p| wanted(p)) {
        if !targets.iter().any(|t| t.provider == provider) {
            targets.push(env_target(provider));
        }
    }
    if targets.is_empty() {
        let names: Vec<&str> = providers.iter().map(|p| p.id()).collect();
        return Err(format!(
            "the accounts file {} has no account of {}: add one, or leave out --provider",
            file.path.display(),
            names.join(", ")
        ));
    }
    Ok(targets)
}

/// Each provider once, in the order first named.
pub fn dedup(providers: &[ProviderId]) -> Vec<ProviderId> {
    let mut chosen: Vec<ProviderId> = Vec::new();
    for provider in providers {
        if !chosen.contains(provider) {
            chosen.push(*provider);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> AccountsFile {
        match parse(Path::new("/c/config.toml"), text) {
            Ok(file) => file,
            Err(e) => panic!("{e}"),
        }
    }

    fn parse_err(text: &str) -> String {
        match parse(Path::new("/c/config.toml"), text) {
            Ok(file) => panic!("accepted: {file:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn two_accounts_of_one_provider() {
        let file = parse_ok(
            r#"
            [[account]]
            label = "team-a"
            provider = "olostep"
            key_env = "OLOSTEP_TEAM_A_KEY"

            [[account]]
            label = "team-b"
            provider = "OLOSTEP"
            key_env = "OLOSTEP_TEAM_B_KEY"
            base_url = "http://127.0.0.1:1"
            "#,
        );
        let targets = targets(Some(&file), &[]).unwrap_or_default();
        let labels: Vec<String> = targets.iter().map(Target::label).collect();
        assert_eq!(labels, ["olostep:team-a", "olostep:team-b"]);
        assert_eq!(file.accounts[0].scheme, "Authorization");
    }

    #[test]
    fn key_like_fields_are_refused_without_their_value() {
        for (field, place) in [
            ("key", "the field `key` in [[account]] #1"),
            ("api_key", "the field `api_key` in [[account]] #1"),
            ("Token", "the field `Token` in [[account]] #1"),
            ("olostep_key", "the field `olostep_key` in [[account]] #1"),
        ] {
            let err = parse_err(&format!(
                "[[account]]\nlabel = \"a\"\nprovider = \"olostep\"\nkey_env = \"K\"\n\
                 {field} = \"sk-live-do-not-print\"\n"
            ));
            assert!(err.contains(place), "{err}");
            assert!(err.contains("put the key in an env var"), "{err}");
            assert!(!err.contains("sk-live"), "{err}");
        }
        let err = parse_err("token = \"sk-live-do-not-print\"\n");
        assert!(err.contains("the field `token` looks like a key"), "{err}");
    }

    #[test]
    fn bad_files_name_the_file_and_the_problem() {
        let base = "[[account]]\nlabel = \"a\"\nprovider = \"olostep\"\nkey_env = \"K\"\n";
        for (text, expected) in [
            ("[[account]\n", "/c/config.toml: line 1"),
            (
                &format!("{base}colour = \"red\"\n"),
                "unknown field `colour`",
            ),
            (
                "[[account]]\nlabel = \"a\"\nprovider = \"olostep\"\n",
                "key_env",
            ),
            ("", "lists no [[account]] and no [[provider]]"),
            (
                &base.replace("olostep", "nope"),
                "unknown provider \"nope\"",
            ),
            (&base.replace("\"a\"", "\"a b\""), "label \"a b\" must be"),
            (
                &base.replace("\"K\"", "\"sk-123\""),
                "key_env is not an env var name",
            ),
            (
                &format!("{base}scheme = \"Basic\"\n"),
                "scheme \"Basic\" is not one",
            ),
            (&format!("{base}{base}"), "listed twice"),
        ] {
            let err = parse_err(text);
            assert!(err.starts_with("/c/config.toml"), "{err}");
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        assert!(!parse_err(&base.replace("\"K\"", "\"sk-123\"")).contains("sk-123"));
    }

    #[test]
    fn filtering_by_provider() {
        let file = parse_ok("[[account]]\nlabel = \"a\"\nprovider = \"neo\"\nkey_env = \"K\"\n");
        let err = targets(Some(&file), &[ProviderId::Giga]).unwrap_err();
        assert!(err.contains("has no account of giga"), "{err}");
        assert_eq!(
            targets(Some(&file), &[ProviderId::Neo]).map(|t| t.len()),
            Ok(1)
        );
        let env = targets(None, &[ProviderId::Giga]).unwrap_or_default();
        assert_eq!(env.len(), 1);
        assert_eq!(env[0].label(), "giga");
    }

    #[test]
    fn providers_by_config_alone() {
        let file = parse_ok(
            r#"
            [[provider]]
            id = "acme_cfg"
            name = "Acme"
            base_url = "https://api.acme.example"
            path = "/v1/balance"
            auth = "query"
            auth_name = "api_key"
            key_env = "ACME_CFG_KEY"
            available = ["/data/left", "/left"]
            unit = "USD"
            scale = 0.01
            "#,
        );
        let acme: ProviderId = "acme_cfg".parse().unwrap();
        assert_eq!(acme.name(), "Acme");
        assert_eq!(acme.provider().credential_env_vars(), "ACME_CFG_KEY");
        assert_eq!(acme.provider().base_url_env, "ACME_CFG_BASE_URL");
        // No [[account]]: every shipped provider's env account, and the new one.
        let all = targets(Some(&file), &[]).unwrap_or_default();
        assert_eq!(all.len(), ProviderId::ALL.len() + 1);
        assert_eq!(all.last().map(Target::label).as_deref(), Some("acme_cfg"));
        let only = targets(Some(&file), &[acme]).unwrap_or_default();
        assert_eq!(only.len(), 1);
        // Accounts may name it; then it is not queried a second time on its own.
        let with_account = parse_ok(&format!(
            "{}\n[[account]]\nlabel = \"b\"\nprovider = \"acme_cfg\"\nkey_env = \"ACME_B\"\n",
            "[[provider]]\nid = \"acme_cfg\"\nname = \"Acme\"\nbase_url = \"https://api.acme.example\"\npath = \"/v1/balance\"\nauth = \"query\"\nauth_name = \"api_key\"\nkey_env = \"ACME_CFG_KEY\"\navailable = [\"/data/left\", \"/left\"]\nunit = \"USD\"\nscale = 0.01\n"
        ));
        let labels: Vec<String> = targets(Some(&with_account), &[])
            .unwrap_or_default()
            .iter()
            .map(Target::label)
            .collect();
        assert_eq!(labels, ["acme_cfg:b"]);
    }

    #[test]
    fn bad_provider_tables_name_the_file_the_entry_and_the_fix() {
        let base = "[[provider]]\nid = \"zed\"\nbase_url = \"https://z.example\"\npath = \"/b\"\nkey_env = \"ZED_KEY\"\navailable = \"/n\"\n";
        for (text, expected) in [
            (base.replace("\"zed\"", "\"Zed!\""), "id \"Zed!\" must be"),
            (
                base.replace("\"zed\"", "\"olostep\""),
                "is a provider billfold ships",
            ),
            (
                base.replace("https://z.example", "ftp://z"),
                "base_url \"ftp://z\" must be",
            ),
            (
                base.replace("\"/b\"", "\"b\""),
                "path \"b\" must start with `/`",
            ),
            (
                base.replace("\"/n\"", "\"n\""),
                "available = \"n\" is not a JSON pointer",
            ),
            (
                format!("{base}auth = \"header\"\n"),
                "auth_name is required",
            ),
            (
                format!("{base}auth = \"cookie\"\n"),
                "auth \"cookie\" is not one of",
            ),
            (
                format!("{base}auth_prefix = \"Key\"\n"),
                "auth_prefix is for auth = \"header\"",
            ),
            (
                format!(
                    "{base}auth = \"header\"\nauth_name = \"Authorization\"\nauth_prefix = \"Two words\"\n"
                ),
                "auth_prefix \"Two words\" must be one word",
            ),
            (
                format!("{base}available = \"/a/[*]/n\"\nused = \"/b/[*]/n\"\n")
                    .replace("available = \"/n\"\n", ""),
                "must have one, after the same array",
            ),
            (format!("{base}scale = 0.0\n"), "scale must be"),
            (
                base.replace("\"ZED_KEY\"", "\"sk-live-123\""),
                "key_env is not an env var name",
            ),
            (
                base.replace("available = \"/n\"\n", ""),
                "available is required",
            ),
            (format!("{base}colour = 1\n"), "unknown field `colour`"),
        ] {
            let err = parse_err(&text);
            assert!(err.starts_with("/c/config.toml"), "{err}");
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(!err.contains("sk-live"), "{err}");
        }
        let err = parse_err(&format!("{base}api_key = \"sk-live-123\"\n"));
        assert!(
            err.contains("looks like a key") && !err.contains("sk-live"),
            "{err}"
        );
    }

    #[test]
    fn default_path_follows_xdg() {
        let os = |s: &'static str| Some(OsStr::new(s));
        assert_eq!(
            default_path_from(os("/cfg"), os("/home/me")),
            Some(PathBuf::from("/cfg/billfold/config.toml"))
        );
        assert_eq!(
            default_path_from(os("rel"), os("/home/me")),
            Some(PathBuf::from("/home/me/.config/billfold/config.toml"))
        );
        assert_eq!(default_path_from(None, None), None);
    }
}
