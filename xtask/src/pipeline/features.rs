//! One cargo feature per OpenAPI tag, and what each one compiles.
//!
//! Every tag of the spec's operations is a feature, named in kebab case (`Tasks (Legacy)` →
//! `tasks-legacy`; a name cargo reserves gets a `tag-` prefix); operations without a tag share
//! the feature `untagged`. `default` enables them all.
//!
//! - A method (the raw one progenitor wrote, the public wrapper, a streaming twin) compiles
//!   when a feature of one of its operation's tags is on.
//! - A type compiles when a feature of an operation that *reaches* it is on: the types an
//!   operation's methods name in their signatures (arguments, success, errors), then every type
//!   those types name, transitively, so nested and shared types come with every operation that
//!   needs them. A type no operation reaches (a webhook payload, or a schema the spec defines
//!   and never uses) compiles with a feature of its own, [`UNREFERENCED_TYPES`] (in `default`),
//!   and with the features of whatever operation reaches what it names. The types the client
//!   always names (its common error body, and what that names) are never gated.
//! - Any other item next to the types (an `impl`, a default-value function) compiles when every
//!   type it names does.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::{ImplItem, Item};

/// The feature of operations without a tag.
pub const UNTAGGED: &str = "untagged";

/// The feature of the types no operation reaches (only when there are such types): a build
/// with the features it needs does not compile the spec's other schemas.
pub const UNREFERENCED_TYPES: &str = "unreferenced-types";

/// Which features there are, and which methods each one compiles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeaturePlan {
    /// Feature → the names of the methods it compiles (a method may be in several).
    pub features: BTreeMap<String, BTreeSet<String>>,
    /// Feature → the tag it was named from (`untagged` for operations without one).
    pub tags: BTreeMap<String, String>,
    /// Method name → the features any one of which compiles it.
    pub of_method: BTreeMap<String, BTreeSet<String>>,
    /// Whether some types are reached by no operation (set by [`FeaturePlan::gate`]): they
    /// compile with [`UNREFERENCED_TYPES`].
    pub unreferenced_types: bool,
}

/// A feature name for `tag`: lower-case ASCII letters and digits joined by `-`.
pub fn feature_name(tag: &str) -> String {
    let mut name = String::new();
    for c in tag.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-').to_owned();
    match name.as_str() {
        "" => "tag".to_owned(),
        "default" | "std" | UNREFERENCED_TYPES => format!("tag-{name}"),
        _ if name.starts_with(|c: char| c.is_ascii_digit()) => format!("tag-{name}"),
        _ => name,
    }
}

impl FeaturePlan {
    /// The plan for `methods`: (method name, the tags of its operation).
    pub fn new(methods: impl IntoIterator<Item = (String, Vec<String>)>) -> Self {
        let mut plan = FeaturePlan::default();
        for (method, tags) in methods {
            let method = method.as_str();
            let tags: Vec<&str> = if tags.is_empty() {
                vec![UNTAGGED]
            } else {
                tags.iter().map(String::as_str).collect()
            };
            for tag in tags {
                let feature = if tag == UNTAGGED {
                    UNTAGGED.to_owned()
                } else {
                    feature_name(tag)
                };
                plan.tags
                    .entry(feature.clone())
                    .or_insert_with(|| tag.to_owned());
                plan.features
                    .entry(feature.clone())
                    .or_default()
                    .insert(method.to_owned());
                plan.of_method
                    .entry(method.to_owned())
                    .or_default()
                    .insert(feature);
            }
        }
        plan
    }

    /// Every feature, sorted.
    pub fn all(&self) -> BTreeSet<String> {
        let mut all: BTreeSet<String> = self.features.keys().cloned().collect();
        if self.unreferenced_types {
            all.insert(UNREFERENCED_TYPES.to_owned());
        }
        all
    }

    /// Gates the items of a generated crate's `lib.rs` (`crate_file`): methods of every `impl
    /// Client`, the items of `generated::types` and of `errors`. `always` names the types that
    /// stay ungated (and what they reach).
    pub fn gate(&mut self, crate_file: &mut syn::File, always: &[String]) {
        if self.features.is_empty() {
            return;
        }
        let mut names = TypeGraph::default();
        visit_modules(&mut crate_file.items, &mut |path, items| {
            if path == ["generated", "types"] || path == ["errors"] {
                names.add_items(items);
            }
        });
        // Roots: the type names in each gated method's signature.
        let mut reached: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        visit_modules(&mut crate_file.items, &mut |_, items| {
            for item in items.iter() {
                let Item::Impl(block) = item else { continue };
                for impl_item in &block.items {
                    let ImplItem::Fn(function) = impl_item else {
                        continue;
                    };
                    let Some(features) = self.of_method.get(&function.sig.ident.to_string()) else {
                        continue;
                    };
                    for root in names.mentioned(function.sig.to_token_stream()) {
                        reached
                            .entry(root)
                            .or_default()
                            .extend(features.iter().cloned());
                    }
                }
            }
        });
        let always: BTreeSet<String> = names.closure(always.iter().cloned());
        let mut features_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (root, features) in &reached {
            for name in names.closure(std::iter::once(root.clone())) {
                features_of
                    .entry(name)
                    .or_default()
                    .extend(features.iter().cloned());
            }
        }
        // A type no operation reaches compiles with a feature of its own, and so does what it
        // names (which may also come with the operations that reach it).
        let unreached: Vec<String> = names
            .mentions
            .keys()
            .filter(|name| !features_of.contains_key(*name) && !always.contains(*name))
            .cloned()
            .collect();
        self.unreferenced_types = !unreached.is_empty();
        for name in names.closure(unreached.into_iter()) {
            features_of
                .entry(name)
                .or_default()
                .insert(UNREFERENCED_TYPES.to_owned());
        }
        let cfg_of = |name: &str| -> Option<BTreeSet<String>> {
            if always.contains(name) {
                return None;
            }
            features_of.get(name).cloned()
        };
        let mut attributes: BTreeMap<BTreeSet<BTreeSet<String>>, syn::Attribute> = BTreeMap::new();
        visit_modules(&mut crate_file.items, &mut |path, items| {
            let typed = path.starts_with(&["generated".to_owned(), "types".to_owned()])
                || path.starts_with(&["errors".to_owned()]);
            for item in items.iter_mut() {
                if let Item::Impl(block) = item
                    && !typed
                {
                    for impl_item in &mut block.items {
                        if let ImplItem::Fn(function) = impl_item
                            && let Some(features) =
                                self.of_method.get(&function.sig.ident.to_string())
                        {
                            function
                                .attrs
                                .push(cfg_attribute(std::slice::from_ref(features)));
                        }
                    }
                    continue;
                }
                if !typed {
                    continue;
                }
                let condition: Vec<BTreeSet<String>> = match defined_name(item) {
                    Some(name) if names.mentions.contains_key(&name) => {
                        cfg_of(&name).into_iter().collect()
                    }
                    _ => names
                        .mentioned(item.to_token_stream())
                        .iter()
                        .filter_map(|name| cfg_of(name))
                        .collect(),
                };
                if !condition.is_empty() && !matches!(item, Item::Mod(_) | Item::Use(_)) {
                    // Thousands of items share a few conditions: each attribute is made once.
                    let groups: BTreeSet<BTreeSet<String>> = condition.into_iter().collect();
                    let attribute = attributes
                        .entry(groups)
                        .or_insert_with_key(|groups| {
                            cfg_attribute(&groups.iter().cloned().collect::<Vec<_>>())
                        })
                        .clone();
                    push_attribute(item, attribute);
                }
            }
        });
    }
}

/// The type names defined in the gated modules, and which names each one mentions.
#[derive(Default)]
struct TypeGraph {
    mentions: BTreeMap<String, BTreeSet<String>>,
}

impl TypeGraph {
    fn add_items(&mut self, items: &[Item]) {
        for item in items {
            if let Some(name) = defined_name(item) {
                self.mentions.entry(name).or_default();
            }
        }
        for item in items {
            if let Some(name) = defined_name(item) {
                let mentioned = self.mentioned(item.to_token_stream());
                self.mentions.entry(name).or_default().extend(mentioned);
            }
        }
    }

    /// The defined names among the identifiers of `tokens`.
    fn mentioned(&self, tokens: TokenStream) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        collect_idents(tokens, &mut |ident| {
            if self.mentions.contains_key(ident) {
                found.insert(ident.to_owned());
            }
        });
        found
    }

    /// `roots` and every name they mention, transitively.
    fn closure(&self, roots: impl Iterator<Item = String>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut pending: Vec<String> = roots.collect();
        while let Some(name) = pending.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(next) = self.mentions.get(&name) {
                pending.extend(next.iter().filter(|n| !seen.contains(*n)).cloned());
            }
        }
        seen
    }
}

/// The name a struct, enum, union or type alias defines.
fn defined_name(item: &Item) -> Option<String> {
    match item {
        Item::Struct(s) => Some(s.ident.to_string()),
        Item::Enum(e) => Some(e.ident.to_string()),
        Item::Union(u) => Some(u.ident.to_string()),
        Item::Type(t) => Some(t.ident.to_string()),
        _ => None,
    }
}

fn collect_idents(tokens: TokenStream, f: &mut impl FnMut(&str)) {
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => f(&ident.to_string()),
            TokenTree::Group(group) => collect_idents(group.stream(), f),
            _ => {}
        }
    }
}

/// `#[cfg(all(any(feature = "a", ...), ...))]`, simplified where one group suffices.
fn cfg_attribute(condition: &[BTreeSet<String>]) -> syn::Attribute {
    let groups: BTreeSet<&BTreeSet<String>> = condition.iter().collect();
    // `feature = "a"` alone, `any(...)` of several (clippy flags an `any` of one).
    let any = |features: &BTreeSet<String>| -> TokenStream {
        let list: Vec<TokenStream> = features.iter().map(|f| quote!(feature = #f)).collect();
        match list.as_slice() {
            [one] => one.clone(),
            _ => quote!(any(#(#list),*)),
        }
    };
    let groups: Vec<TokenStream> = groups.into_iter().map(any).collect();
    let predicate = if groups.len() == 1 {
        groups[0].clone()
    } else {
        quote!(all(#(#groups),*))
    };
    syn::parse_quote!(#[cfg(#predicate)])
}

fn push_attribute(item: &mut Item, attribute: syn::Attribute) {
    let attrs = match item {
        Item::Struct(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::Union(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::Const(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::Macro(i) => &mut i.attrs,
        _ => return,
    };
    attrs.push(attribute);
}

/// Calls `f` with each inline module's path (from the crate root) and items, the root's own
/// items first (path empty).
fn visit_modules(items: &mut Vec<Item>, f: &mut impl FnMut(&[String], &mut Vec<Item>)) {
    fn walk(
        path: &mut Vec<String>,
        items: &mut Vec<Item>,
        f: &mut impl FnMut(&[String], &mut Vec<Item>),
    ) {
        f(path, items);
        for item in items.iter_mut() {
            if let Item::Mod(module) = item
                && let Some((_, inner)) = module.content.as_mut()
            {
                path.push(module.ident.to_string());
                walk(path, inner, f);
                path.pop();
            }
        }
    }
    walk(&mut Vec::new(), items, f);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `#[cfg(...)]` of the item defining (or implementing for) `name`, as text.
    fn cfg_of(file: &syn::File, name: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut items = file.items.clone();
        visit_modules(&mut items, &mut |_, items| {
            for item in items.iter() {
                let (attrs, defined) = match item {
                    Item::Struct(s) => (&s.attrs, s.ident.to_string()),
                    Item::Enum(e) => (&e.attrs, e.ident.to_string()),
                    _ => continue,
                };
                if defined == name {
                    found.extend(
                        attrs
                            .iter()
                            .filter(|a| a.path().is_ident("cfg"))
                            .map(|a| a.to_token_stream().to_string()),
                    );
                }
            }
        });
        found
    }

    fn crate_file() -> syn::File {
        syn::parse_quote! {
            mod generated {
                pub mod types {
                    pub struct Balance { pub amount: Amount }
                    pub struct Amount(f64);
                    pub struct Task { pub state: TaskState }
                    pub enum TaskState { Running, Done }
                    pub struct WebhookPayload { pub task: Task, pub extra: Extra }
                    pub struct Extra;
                    pub struct ErrorBody { pub detail: Detail }
                    pub struct Detail;
                }
                pub struct Client;
                impl Client {
                    pub async fn get_balance(&self) -> Result<Balance, ErrorBody> { self.send().await }
                    pub async fn create_task(&self, body: &TaskState) -> Result<Task, ErrorBody> { self.send().await }
                }
            }
        }
    }

    fn plan() -> FeaturePlan {
        FeaturePlan::new([
            ("get_balance".to_owned(), vec!["Billing".to_owned()]),
            ("create_task".to_owned(), vec!["Tasks (Legacy)".to_owned()]),
        ])
    }

    #[test]
    fn a_type_compiles_with_the_operations_that_reach_it_and_what_no_operation_reaches_has_its_own_feature()
     {
        let mut file = crate_file();
        let mut plan = plan();
        plan.gate(&mut file, &["ErrorBody".to_owned()]);
        assert_eq!(
            cfg_of(&file, "Balance"),
            ["# [cfg (feature = \"billing\")]"]
        );
        // Nested: reached through `Balance`.
        assert_eq!(cfg_of(&file, "Amount"), ["# [cfg (feature = \"billing\")]"]);
        // Reached by an operation and named by a type no operation reaches.
        assert_eq!(
            cfg_of(&file, "Task"),
            ["# [cfg (any (feature = \"tasks-legacy\" , feature = \"unreferenced-types\"))]"]
        );
        assert_eq!(
            cfg_of(&file, "WebhookPayload"),
            ["# [cfg (feature = \"unreferenced-types\")]"]
        );
        assert_eq!(
            cfg_of(&file, "Extra"),
            ["# [cfg (feature = \"unreferenced-types\")]"]
        );
        // The client's error body, and what it names, are never gated.
        assert!(cfg_of(&file, "ErrorBody").is_empty());
        assert!(cfg_of(&file, "Detail").is_empty());
        assert!(plan.unreferenced_types);
        assert_eq!(
            plan.all().into_iter().collect::<Vec<_>>(),
            ["billing", "tasks-legacy", "unreferenced-types"]
        );
    }

    #[test]
    fn without_types_no_operation_reaches_there_is_no_feature_for_them() {
        let mut file: syn::File = syn::parse_quote! {
            mod generated {
                pub mod types { pub struct Balance; }
                impl Client { pub async fn get_balance(&self) -> Balance { self.send().await } }
            }
        };
        let mut plan = FeaturePlan::new([("get_balance".to_owned(), vec![])]);
        plan.gate(&mut file, &[]);
        assert!(!plan.unreferenced_types);
        assert_eq!(plan.all().into_iter().collect::<Vec<_>>(), [UNTAGGED]);
        assert_eq!(
            cfg_of(&file, "Balance"),
            ["# [cfg (feature = \"untagged\")]"]
        );
    }

    #[test]
    fn feature_names_are_kebab_case_and_never_a_reserved_name() {
        assert_eq!(feature_name("Tasks (Legacy)"), "tasks-legacy");
        assert_eq!(feature_name("OS-Level Control"), "os-level-control");
        assert_eq!(feature_name("default"), "tag-default");
        assert_eq!(feature_name("Unreferenced types"), "tag-unreferenced-types");
        assert_eq!(feature_name("2024 API"), "tag-2024-api");
        assert_eq!(feature_name("…"), "tag");
    }
}
