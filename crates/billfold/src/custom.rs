//! Providers defined at run time, by configuration alone: a base URL, a path, how the key is
//! sent (bearer, a named header, optionally after a word as in `Authorization: Key <key>`, or
//! a query parameter) with the key taken from an env var, and the same mapping keys as
//! `specs/providers.toml`. Such a provider is a [`ProviderId::Custom`]
//! that [`fetch`](crate::balance::fetch), [`fetch_all`](crate::balance::fetch_all) and
//! everything built on them treat like the providers compiled in, and its request goes through
//! the same runtime: same-origin redirects only, the response size limit, retries with
//! backoff, timeouts, and a credential that never shows in output or logs.
//!
//! ```
//! use billfold::custom::{CustomAuth, CustomMapping, CustomProvider, register};
//! let id = register(CustomProvider {
//!     id: "acme".into(),
//!     name: "Acme".into(),
//!     base_url: "https://api.acme.example".into(),
//!     path: "/v1/balance".into(),
//!     auth: CustomAuth::Header("X-Api-Key".into()),
//!     key_env: "ACME_API_KEY".into(),
//!     mapping: CustomMapping {
//!         available: vec!["/data/credits".into()],
//!         unit: "credits".into(),
//!         ..CustomMapping::default()
//!     },
//! })
//! .unwrap();
//! assert_eq!(id.id(), "acme");
//! assert_eq!("acme".parse::<billfold::balance::ProviderId>(), Ok(id));
//! ```

use std::sync::Mutex;

use billfold_runtime::__private::{RawError, reqwest};
use billfold_runtime::{AuthKind, ClientConfig, CredentialSpec, Provider, ResponseValue};
use serde_json::Value;

use crate::balance::{Balance, BalanceError, Details, ProviderId};
use crate::mapping::BalanceMapping;

/// How the key of a provider defined at run time is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomAuth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `<header>: <key>`.
    Header(String),
    /// `<header>: <prefix> <key>` (`Authorization: Key <key>`); a key already starting with
    /// `<prefix> ` is not prefixed twice.
    PrefixedHeader {
        /// The header's name.
        name: String,
        /// The word before the key.
        prefix: String,
    },
    /// `?<name>=<key>`.
    Query(String),
}

/// Where a provider defined at run time puts each balance field: the keys of
/// `[<id>.balance]` in `specs/providers.toml`, with the same meaning.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomMapping {
    /// Available amount (pointers tried in order); empty: `allotted - used`.
    pub available: Vec<String>,
    /// Amount used.
    pub used: Vec<String>,
    /// Amount allotted.
    pub allotted: Vec<String>,
    /// Plan name.
    pub plan: Vec<String>,
    /// When the period ends or the credits expire.
    pub expires_at: Vec<String>,
    /// Whether usage is allowed (`!` negates).
    pub usable: Vec<String>,
    /// Whether the provider flags the balance low (`!` negates).
    pub low: Vec<String>,
    /// A spend limit.
    pub spend_limit: Vec<String>,
    /// A concurrency limit.
    pub concurrency_limit: Vec<String>,
    /// What the amounts count (default "credits").
    pub unit: String,
    /// Where the unit or currency is in the response.
    pub unit_pointer: Vec<String>,
    /// Amounts may be decimal strings.
    pub decimal_strings: bool,
    /// Every amount is multiplied by this (1 when unset).
    pub scale: f64,
    /// Every amount's sign is flipped.
    pub negate: bool,
    /// What names each row when the pointers hold a `[*]` segment (one row per element).
    pub row_label: Vec<String>,
}

impl Default for CustomMapping {
    fn default() -> Self {
        Self {
            available: Vec::new(),
            used: Vec::new(),
            allotted: Vec::new(),
            plan: Vec::new(),
            expires_at: Vec::new(),
            usable: Vec::new(),
            low: Vec::new(),
            spend_limit: Vec::new(),
            concurrency_limit: Vec::new(),
            unit: "credits".to_owned(),
            unit_pointer: Vec::new(),
            decimal_strings: false,
            scale: 1.0,
            negate: false,
            row_label: Vec::new(),
        }
    }
}

/// A provider defined at run time.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomProvider {
    /// Short id: lower-case ASCII letters, digits and `_`; not the id of a compiled-in provider.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Base URL (http or https); `<ID>_BASE_URL` overrides it, as for every provider.
    pub base_url: String,
    /// Path of the balance request below the base URL, starting with `/` (a query string may
    /// follow).
    pub path: String,
    /// How the key is sent.
    pub auth: CustomAuth,
    /// The env var that holds the key.
    pub key_env: String,
    /// Where the balance is in the JSON response.
    pub mapping: CustomMapping,
}

/// A provider defined at run time, as [`ProviderId::Custom`] names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomId(u16);

struct Registered {
    definition: CustomProvider,
    provider: &'static Provider,
    path: &'static str,
    mapping: BalanceMapping,
}

/// Registered providers; each is leaked (registered once per process, like a static).
static REGISTRY: Mutex<Vec<&'static Registered>> = Mutex::new(Vec::new());

/// The scheme name the credential of a provider defined at run time goes under.
pub const SCHEME: &str = "key";

impl CustomId {
    fn registered(self) -> &'static Registered {
        let registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        registry[usize::from(self.0)]
    }

    /// What the runtime knows about this provider (env vars, base URL, credential).
    pub fn provider(self) -> &'static Provider {
        self.registered().provider
    }
}

/// Every provider registered so far, in the order registered.
pub fn registered() -> Vec<ProviderId> {
    let registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    (0..registry.len())
        .map(|i| ProviderId::Custom(CustomId(i as u16)))
        .collect()
}

/// The registered provider with this id, if any.
pub(crate) fn find(id: &str) -> Option<ProviderId> {
    let registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    registry
        .iter()
        .position(|r| r.provider.id.eq_ignore_ascii_case(id.trim()))
        .map(|i| ProviderId::Custom(CustomId(i as u16)))
}

/// Checks `provider` and makes it known for the rest of the process. Registering the same
/// definition again returns the same id; another definition under a registered id is an error.
/// The error says what to fix, naming the field; it never contains a key (none is read here).
pub fn register(provider: CustomProvider) -> Result<ProviderId, String> {
    check(&provider)?;
    let mut registry = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(index) = registry.iter().position(|r| r.provider.id == provider.id) {
        return if registry[index].definition == provider {
            Ok(ProviderId::Custom(CustomId(index as u16)))
        } else {
            Err(format!(
                "provider {:?} is defined twice, differently: keep one definition",
                provider.id
            ))
        };
    }
    let definition = provider.clone();
    let index = u16::try_from(registry.len()).map_err(|_| "too many providers".to_owned())?;
    let leak = |text: String| -> &'static str { Box::leak(text.into_boxed_str()) };
    let list = |items: Vec<String>| -> &'static [&'static str] {
        Box::leak(
            items
                .into_iter()
                .map(leak)
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        )
    };
    let kind = match provider.auth {
        CustomAuth::Bearer => AuthKind::Bearer,
        CustomAuth::Header(name) => AuthKind::ApiKeyHeader(leak(name)),
        CustomAuth::PrefixedHeader { name, prefix } => AuthKind::ApiKeyHeaderPrefixed {
            header: leak(name),
            prefix: leak(prefix),
        },
        CustomAuth::Query(name) => AuthKind::ApiKeyQuery(leak(name)),
    };
    let credentials: &'static [CredentialSpec] = Box::leak(Box::new([CredentialSpec {
        scheme: SCHEME,
        kind,
        env_var: leak(provider.key_env),
    }]));
    let id = leak(provider.id);
    let runtime_provider: &'static Provider = Box::leak(Box::new(Provider {
        id,
        name: leak(provider.name),
        user_agent: concat!("billfold/", env!("CARGO_PKG_VERSION")),
        default_base_url: Some(leak(provider.base_url.trim_end_matches('/').to_owned())),
        base_url_env: leak(format!("{}_BASE_URL", id.to_ascii_uppercase())),
        credentials,
        security: &[],
    }));
    let m = provider.mapping;
    let mapping = BalanceMapping {
        available: list(m.available),
        used: list(m.used),
        allotted: list(m.allotted),
        plan: list(m.plan),
        expires_at: list(m.expires_at),
        usable: list(m.usable),
        low: list(m.low),
        spend_limit: list(m.spend_limit),
        concurrency_limit: list(m.concurrency_limit),
        unit: leak(m.unit),
        decimal_strings: m.decimal_strings,
        scale: m.scale,
        negate: m.negate,
        unit_pointer: list(m.unit_pointer),
        unit_by_host: &[],
        row_label: list(m.row_label),
    };
    registry.push(Box::leak(Box::new(Registered {
        definition,
        provider: runtime_provider,
        path: leak(provider.path),
        mapping,
    })));
    Ok(ProviderId::Custom(CustomId(index)))
}

/// Every problem of a definition, the first one found, as "field: what to fix".
fn check(p: &CustomProvider) -> Result<(), String> {
    let id_ok = !p.id.is_empty()
        && p.id.len() <= 40
        && p.id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !id_ok {
        return Err(format!(
            "id {:?} must be 1 to 40 lower-case ASCII letters, digits or `_`",
            p.id
        ));
    }
    if ProviderId::ALL.iter().any(|b| b.id() == p.id) {
        return Err(format!(
            "id {:?} is a provider billfold ships; use it as is, or give this one another id",
            p.id
        ));
    }
    if p.name.trim().is_empty() {
        return Err("name must not be empty".to_owned());
    }
    match reqwest::Url::parse(&p.base_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
        _ => {
            return Err(format!(
                "base_url {:?} must be an absolute http or https URL (https://api.example.com)",
                p.base_url
            ));
        }
    }
    if !p.path.starts_with('/') || p.path.contains('#') || p.path.chars().any(char::is_whitespace) {
        return Err(format!(
            "path {:?} must start with `/` (the balance request's path below base_url) and hold no spaces or `#`",
            p.path
        ));
    }
    let token = |text: &str| {
        !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    match &p.auth {
        CustomAuth::Bearer => {}
        CustomAuth::Header(name) => {
            if !token(name) {
                return Err(format!("auth_name {name:?} is not a header name"));
            }
        }
        CustomAuth::PrefixedHeader { name, prefix } => {
            if !token(name) {
                return Err(format!("auth_name {name:?} is not a header name"));
            }
            if !token(prefix) {
                return Err(format!(
                    "auth_prefix {prefix:?} must be one word of letters, digits or \
                     !#$%&'*+-.^_`|~ (it is sent followed by one space and the key)"
                ));
            }
        }
        CustomAuth::Query(name) => {
            if name.is_empty() || name.contains(['&', '=', '#', ' ']) {
                return Err(format!("auth_name {name:?} is not a query parameter name"));
            }
        }
    }
    let mut bytes = p.key_env.bytes();
    let env_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !env_ok {
        return Err(
            "key_env is not an env var name (letters, digits and `_`, not starting with a \
             digit); it names the variable that holds the key and must not be the key"
                .to_owned(),
        );
    }
    let m = &p.mapping;
    if m.available.is_empty() && m.used.is_empty() {
        return Err(
            "available is required (or allotted and used, whose difference it then is; or \
             used alone for usage only)"
                .to_owned(),
        );
    }
    let keys: [(&str, &Vec<String>, bool); 11] = [
        ("available", &m.available, false),
        ("used", &m.used, false),
        ("allotted", &m.allotted, false),
        ("plan", &m.plan, false),
        ("expires_at", &m.expires_at, false),
        ("usable", &m.usable, true),
        ("low", &m.low, true),
        ("spend_limit", &m.spend_limit, false),
        ("concurrency_limit", &m.concurrency_limit, false),
        ("unit_pointer", &m.unit_pointer, false),
        ("row_label", &m.row_label, false),
    ];
    for (key, pointers, flag) in keys {
        for pointer in pointers {
            let path = if flag {
                pointer.strip_prefix('!').unwrap_or(pointer)
            } else {
                pointer
            };
            if !path.is_empty() && !path.starts_with('/') {
                return Err(format!(
                    "{key} = {pointer:?} is not a JSON pointer (it must start with `/`{})",
                    if flag { ", after an optional `!`" } else { "" }
                ));
            }
        }
    }
    // Rows (`[*]`): every such pointer goes through the same array; row_label needs rows.
    let starred: Vec<&str> = keys
        .iter()
        .flat_map(|(_, pointers, _)| pointers.iter())
        .map(|p| p.strip_prefix('!').unwrap_or(p))
        .filter(|p| p.contains("/[*]"))
        .collect();
    let array = |p: &str| p.find("/[*]").map(|at| p[..at].to_owned());
    if let Some(first) = starred.first()
        && let Some(other) = starred
            .iter()
            .find(|p| p.matches("/[*]").count() > 1 || array(p) != array(first))
    {
        return Err(format!(
            "{other:?} and {first:?}: every pointer with a `[*]` segment must have one, after \
             the same array (its elements are the rows)"
        ));
    }
    if starred.is_empty() && !m.row_label.is_empty() {
        return Err(
            "row_label names the rows of a balance read one row per element, but no pointer has \
             a `[*]` segment: add one or remove row_label"
                .to_owned(),
        );
    }
    if !(m.scale.is_finite() && m.scale != 0.0) {
        return Err(format!(
            "scale must be a finite, non-zero number, found {}",
            m.scale
        ));
    }
    Ok(())
}

/// Queries a provider defined at run time: one GET of its path, through the runtime.
pub(crate) async fn fetch(custom: CustomId, config: ClientConfig) -> Result<Balance, BalanceError> {
    let registered = custom.registered();
    let parts = config.for_provider(registered.provider)?.build()?;
    let url = format!("{}{}", parts.base_url, registered.path);
    let http = parts.http;
    let runtime = parts.runtime;
    let attempt = || async {
        let mut request = http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .build()
            .map_err(RawError::<()>::CommunicationError)?;
        runtime
            .prepare(&http, &mut request, "balance")
            .await
            .map_err(RawError::Custom)?;
        let response = runtime
            .execute(&http, request)
            .await
            .map_err(RawError::CommunicationError)?;
        if response.status().is_success() {
            ResponseValue::<Value>::from_response(response).await
        } else {
            Err(RawError::UnexpectedResponse(response))
        }
    };
    let response = billfold_runtime::call(&runtime, "balance", true, attempt)
        .await?
        .into_inner();
    Ok(registered.mapping.read(
        ProviderId::Custom(custom),
        &response,
        Details::Custom(response.clone()),
        Some(&parts.base_url),
    ))
}
