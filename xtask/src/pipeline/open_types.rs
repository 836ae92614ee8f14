//! Making the types a client decodes responses into tolerant of what providers add later.
//!
//! typify emits closed string enums (an unknown value fails the whole response) and honours
//! `additionalProperties: false` with `deny_unknown_fields` (a new field fails it too).
//! Providers add enum values and fields all the time, so every type reachable from a response
//! (success or error body) is rewritten here, in progenitor's syntax tree, before it is printed:
//!
//! - a string enum gets a catch-all variant, `Unknown(String)` (`UnknownValue`, `UnknownValue2`,
//!   ... when the spec itself has a value named `unknown`), marked `#[serde(untagged)]` so it
//!   decodes any other string and encodes back to exactly that string; the enum becomes
//!   `#[non_exhaustive]` and loses `Copy`; `Display`, `FromStr` and a new `as_str` agree with
//!   serde for every value, known or not (`string_enums` then replaces the serde derive with
//!   impls that go through `Display` and `FromStr`);
//! - a struct loses `deny_unknown_fields`.
//!
//! One kind of enum stays closed: one that tells the variants of an untagged union apart (the
//! type of a required field of a struct that is a variant of an `#[serde(untagged)]` enum,
//! such as `status: RUNNING` against `status: FAILED`). serde tries an untagged union's
//! variants in order, and an open enum would let the first variant take every value (a failed
//! task read as a running one, its error lost). Such a union gets a catch-all variant of its
//! own instead, `Unknown(serde_json::Value)`, last, so a kind the spec did not list still
//! decodes, kept whole.
//!
//! Enums used only in requests stay closed: a client should not send values it does not know.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenTree;
use quote::format_ident;
use syn::punctuated::Punctuated;
use syn::{Attribute, Fields, Item, ItemEnum, Meta, Token, Type};

/// A response enum made open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEnum {
    /// The Rust type name (in the crate's `types` module).
    pub name: String,
    /// The catch-all variant's name.
    pub catch_all: String,
    /// The values the spec lists, as sent on the wire.
    pub values: Vec<String>,
    /// The variant typify named for each value, in the same order.
    pub variants: Vec<String>,
}

/// Rewrites the `types` module of progenitor's output so that every type reachable from
/// `roots` (the response types of the client's methods) accepts what a provider may add.
/// Returns the enums made open, sorted by name.
pub fn open_response_types(file: &mut syn::File, roots: &[Type]) -> Vec<OpenEnum> {
    let Some(items) = types_module(file) else {
        return Vec::new();
    };
    let reachable = reachable(items, roots);
    let (unions, discriminators) = union_discriminators(items, &reachable);
    let mut opened = Vec::new();
    for item in items.iter_mut() {
        match item {
            Item::Enum(e) if unions.contains(&e.ident.to_string()) => add_union_catch_all(e),
            Item::Enum(e)
                if reachable.contains(&e.ident.to_string())
                    && !discriminators.contains(&e.ident.to_string()) =>
            {
                if let Some(open) = open_enum(e) {
                    opened.push(open);
                }
            }
            Item::Struct(s) if reachable.contains(&s.ident.to_string()) => {
                allow_unknown_fields(&mut s.attrs);
            }
            _ => {}
        }
    }
    // Display and FromStr of the opened enums are replaced by ones that know the catch-all.
    let names: BTreeSet<String> = opened.iter().map(|o| o.name.clone()).collect();
    items.retain(|item| !is_replaced_impl(item, &names));
    items.extend(string_impls(&opened));
    opened.sort_by(|a, b| a.name.cmp(&b.name));
    opened
}

pub(crate) fn types_module(file: &mut syn::File) -> Option<&mut Vec<Item>> {
    file.items.iter_mut().find_map(|item| match item {
        Item::Mod(module) if module.ident == "types" => module.content.as_mut().map(|(_, i)| i),
        _ => None,
    })
}

/// Names of the `types` items reachable from `roots` through fields, variants and aliases.
fn reachable(items: &[Item], roots: &[Type]) -> BTreeSet<String> {
    let mut children: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in items {
        let (name, types): (String, Vec<&Type>) = match item {
            Item::Struct(s) => (
                s.ident.to_string(),
                s.fields.iter().map(|f| &f.ty).collect(),
            ),
            Item::Enum(e) => (
                e.ident.to_string(),
                e.variants
                    .iter()
                    .flat_map(|v| v.fields.iter().map(|f| &f.ty))
                    .collect(),
            ),
            Item::Type(t) => (t.ident.to_string(), vec![&*t.ty]),
            _ => continue,
        };
        let mut names = BTreeSet::new();
        for ty in types {
            names_in(ty, &mut names);
        }
        children.insert(name, names);
    }
    let mut seen = BTreeSet::new();
    let mut stack: Vec<String> = Vec::new();
    for root in roots {
        let mut names = BTreeSet::new();
        names_in(root, &mut names);
        stack.extend(names);
    }
    while let Some(name) = stack.pop() {
        let Some(next) = children.get(&name) else {
            continue;
        };
        if seen.insert(name) {
            stack.extend(next.iter().cloned());
        }
    }
    seen
}

/// Every identifier a type mentions (path segments and generic arguments, recursively).
fn names_in(ty: &Type, out: &mut BTreeSet<String>) {
    match ty {
        Type::Path(path) => {
            for segment in &path.path.segments {
                out.insert(segment.ident.to_string());
                if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                    for arg in &args.args {
                        if let syn::GenericArgument::Type(inner) = arg {
                            names_in(inner, out);
                        }
                    }
                }
            }
        }
        Type::Reference(r) => names_in(&r.elem, out),
        Type::Array(a) => names_in(&a.elem, out),
        Type::Slice(s) => names_in(&s.elem, out),
        Type::Paren(p) => names_in(&p.elem, out),
        Type::Group(g) => names_in(&g.elem, out),
        Type::Tuple(t) => t.elems.iter().for_each(|e| names_in(e, out)),
        _ => {}
    }
}

/// The reachable untagged unions whose variants are told apart by an enum field, and those
/// enums (see the module docs): the enums stay closed, the unions get a catch-all.
fn union_discriminators(
    items: &[Item],
    reachable: &BTreeSet<String>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let structs: BTreeMap<String, &syn::ItemStruct> = items
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some((s.ident.to_string(), s)),
            _ => None,
        })
        .collect();
    let string_enums: BTreeSet<String> = items
        .iter()
        .filter_map(|item| match item {
            Item::Enum(e) if e.variants.iter().all(|v| matches!(v.fields, Fields::Unit)) => {
                Some(e.ident.to_string())
            }
            _ => None,
        })
        .collect();
    let mut unions = BTreeSet::new();
    let mut discriminators = BTreeSet::new();
    for item in items {
        let Item::Enum(union) = item else { continue };
        if !reachable.contains(&union.ident.to_string())
            || !has_serde_word(&union.attrs, &["untagged"])
            || derives_any(&union.attrs, &["Copy", "Hash", "Eq", "Ord", "PartialOrd"])
        {
            continue;
        }
        let mut found = BTreeSet::new();
        for variant in &union.variants {
            let Fields::Unnamed(fields) = &variant.fields else {
                continue;
            };
            let Some(Type::Path(path)) = fields.unnamed.first().map(|f| &f.ty) else {
                continue;
            };
            let Some(shape) = path
                .path
                .segments
                .last()
                .and_then(|s| structs.get(&s.ident.to_string()))
            else {
                continue;
            };
            for field in &shape.fields {
                // A required field: its type is the enum itself, not an `Option` of it.
                if let Type::Path(ty) = &field.ty
                    && let Some(last) = ty.path.segments.last()
                    && last.arguments.is_empty()
                    && string_enums.contains(&last.ident.to_string())
                {
                    found.insert(last.ident.to_string());
                }
            }
        }
        if !found.is_empty() {
            unions.insert(union.ident.to_string());
            discriminators.extend(found);
        }
    }
    (unions, discriminators)
}

/// Appends `Unknown(serde_json::Value)` (or the first free name of that series) to an
/// untagged union: tried last, it keeps any value the other variants do not take.
fn add_union_catch_all(union: &mut ItemEnum) {
    let taken: BTreeSet<String> = union.variants.iter().map(|v| v.ident.to_string()).collect();
    let ident = format_ident!("{}", catch_all_name(&taken));
    union.attrs.push(syn::parse_quote!(#[non_exhaustive]));
    union.variants.push(syn::parse_quote! {
        /// A kind the spec did not list when this client was generated, kept as received.
        #ident(::serde_json::Value)
    });
}

/// The first of `Unknown`, `UnknownValue`, `UnknownValue2`, ... that no variant has taken.
fn catch_all_name(taken: &BTreeSet<String>) -> String {
    std::iter::once("Unknown".to_owned())
        .chain((1..).map(|n| match n {
            1 => "UnknownValue".to_owned(),
            n => format!("UnknownValue{n}"),
        }))
        .find(|name| !taken.contains(name))
        .unwrap_or_default()
}

/// Whether a `#[derive(...)]` of `attrs` names one of `derives`.
fn derives_any(attrs: &[Attribute], derives: &[&str]) -> bool {
    derived_traits(attrs)
        .iter()
        .any(|name| derives.contains(&name.as_str()))
}

/// The last path segment of every trait `attrs` derive (`Deserialize` for `::serde::Deserialize`).
pub(crate) fn derived_traits(attrs: &[Attribute]) -> BTreeSet<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .filter_map(|a| {
            a.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .ok()
        })
        .flat_map(|paths| {
            paths
                .into_iter()
                .filter_map(|p| p.segments.last().map(|s| s.ident.to_string()))
        })
        .collect()
}

/// Opens a string enum (unit variants only, externally tagged); other enums are left alone.
fn open_enum(e: &mut ItemEnum) -> Option<OpenEnum> {
    let plain = e.variants.iter().all(|v| matches!(v.fields, Fields::Unit))
        && !e.variants.is_empty()
        && !has_serde_word(&e.attrs, &["untagged", "tag", "content"]);
    if !plain {
        return None;
    }
    let values: Vec<String> = e
        .variants
        .iter()
        .map(|v| serde_rename(&v.attrs).unwrap_or_else(|| v.ident.to_string()))
        .collect();
    let taken_in_order: Vec<String> = e.variants.iter().map(|v| v.ident.to_string()).collect();
    let taken: BTreeSet<String> = taken_in_order.iter().cloned().collect();
    let catch_all = catch_all_name(&taken);
    remove_derives(&mut e.attrs, &["Copy"]);
    e.attrs.push(syn::parse_quote!(#[non_exhaustive]));
    let ident = format_ident!("{catch_all}");
    e.variants.push(syn::parse_quote! {
        /// A value the spec did not list when this client was generated, kept as sent.
        #[serde(untagged)]
        #ident(::std::string::String)
    });
    Some(OpenEnum {
        name: e.ident.to_string(),
        catch_all,
        values,
        variants: taken_in_order,
    })
}

/// `as_str`, `Display` and `FromStr` for each open enum, from its wire values. The three impls
/// are parsed once, as a template for an enum `__Open` with catch-all `__Other` and no values,
/// then copied and filled in per enum: parsing them per enum cost more than the rest of opening.
fn string_impls(opened: &[OpenEnum]) -> Vec<Item> {
    if opened.is_empty() {
        return Vec::new();
    }
    let template: syn::File = syn::parse_quote! {
        impl __Open {
            /// The value as sent on the wire (for an unknown value, exactly as received).
            pub fn as_str(&self) -> &str {
                match self {
                    Self::__Other(value) => value.as_str(),
                }
            }
        }

        impl ::std::fmt::Display for __Open {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for __Open {
            type Err = self::error::ConversionError;
            fn from_str(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                Ok(match value {
                    other => Self::__Other(other.to_owned()),
                })
            }
        }
    };
    let mut items = Vec::new();
    for open in opened {
        for item in &template.items {
            let mut item = item.clone();
            if let Item::Impl(block) = &mut item {
                fill_string_impl(block, open);
            }
            items.push(item);
        }
    }
    items
}

/// Names the enum and its catch-all in one template impl, and adds an arm per value.
fn fill_string_impl(block: &mut syn::ItemImpl, open: &OpenEnum) {
    if let Type::Path(self_ty) = &mut *block.self_ty
        && let Some(segment) = self_ty.path.segments.last_mut()
    {
        segment.ident = format_ident!("{}", open.name);
    }
    for item in &mut block.items {
        let syn::ImplItem::Fn(function) = item else {
            continue;
        };
        let to_wire = function.sig.ident == "as_str";
        let Some(arms) = match_arms(&mut function.block) else {
            continue;
        };
        for arm in arms.iter_mut() {
            rename_catch_all(arm, &open.catch_all);
        }
        let values = open
            .variants
            .iter()
            .zip(&open.values)
            .map(|(variant, value)| {
                let variant = syn::Path {
                    leading_colon: None,
                    segments: [format_ident!("Self"), format_ident!("{variant}")]
                        .into_iter()
                        .map(syn::PathSegment::from)
                        .collect(),
                };
                let variant = syn::ExprPath {
                    attrs: Vec::new(),
                    qself: None,
                    path: variant,
                };
                let value = syn::ExprLit {
                    attrs: Vec::new(),
                    lit: syn::Lit::Str(syn::LitStr::new(value, proc_macro2::Span::call_site())),
                };
                let (pat, body) = if to_wire {
                    (syn::Pat::Path(variant), syn::Expr::Lit(value))
                } else {
                    (syn::Pat::Lit(value), syn::Expr::Path(variant))
                };
                syn::Arm {
                    attrs: Vec::new(),
                    pat,
                    fat_arrow_token: Default::default(),
                    body: Box::new(body),
                    comma: Some(Default::default()),
                }
            });
        arms.splice(0..0, values);
    }
}

/// The arms of the `match` a function body ends with (`match x {..}` or `Ok(match x {..})`).
fn match_arms(block: &mut syn::Block) -> Option<&mut Vec<syn::Arm>> {
    let Some(syn::Stmt::Expr(expr, None)) = block.stmts.last_mut() else {
        return None;
    };
    let expr = match expr {
        syn::Expr::Call(call) => call.args.first_mut()?,
        other => other,
    };
    match expr {
        syn::Expr::Match(m) => Some(&mut m.arms),
        _ => None,
    }
}

/// `Self::__Other(..)` becomes `Self::<catch_all>(..)`, in an arm's pattern or body.
fn rename_catch_all(arm: &mut syn::Arm, catch_all: &str) {
    let path = match (&mut arm.pat, &mut *arm.body) {
        (syn::Pat::TupleStruct(pat), _) => Some(&mut pat.path),
        (_, syn::Expr::Call(call)) => match &mut *call.func {
            syn::Expr::Path(func) => Some(&mut func.path),
            _ => None,
        },
        _ => None,
    };
    if let Some(segment) = path.and_then(|p| p.segments.last_mut()) {
        segment.ident = format_ident!("{catch_all}");
    }
}

fn is_replaced_impl(item: &Item, names: &BTreeSet<String>) -> bool {
    let Item::Impl(block) = item else {
        return false;
    };
    let Some((trait_path, _)) = &block.trait_ else {
        return false;
    };
    let is_string_trait = trait_path
        .segments
        .last()
        .is_some_and(|s| s.ident == "Display" || s.ident == "FromStr");
    let Type::Path(self_ty) = &*block.self_ty else {
        return false;
    };
    is_string_trait
        && self_ty
            .path
            .segments
            .last()
            .is_some_and(|s| names.contains(&s.ident.to_string()))
}

/// Removes `derives` from the `#[derive(...)]`s of `attrs`, matched by the last path segment
/// (`Serialize` removes `::serde::Serialize`).
pub(crate) fn remove_derives(attrs: &mut [Attribute], derives: &[&str]) {
    let removed = |p: &syn::Path| {
        p.segments
            .last()
            .is_some_and(|s| derives.iter().any(|d| s.ident == d))
    };
    for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
        else {
            continue;
        };
        if !paths.iter().any(removed) {
            continue;
        }
        let kept: Vec<&syn::Path> = paths.iter().filter(|p| !removed(p)).collect();
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
    }
}

fn allow_unknown_fields(attrs: &mut Vec<Attribute>) {
    if !has_serde_word(attrs, &["deny_unknown_fields"]) {
        return;
    }
    for attr in attrs.iter_mut().filter(|a| a.path().is_ident("serde")) {
        let Ok(metas) = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
        else {
            continue;
        };
        let kept: Vec<&Meta> = metas
            .iter()
            .filter(|m| !m.path().is_ident("deny_unknown_fields"))
            .collect();
        *attr = syn::parse_quote!(#[serde(#(#kept),*)]);
    }
    attrs.retain(|a| {
        !(a.path().is_ident("serde") && matches!(&a.meta, Meta::List(l) if l.tokens.is_empty()))
    });
}

/// Every item of every `#[serde(...)]` attribute, as its tokens (`rename = "x"`, `untagged`).
/// Read from the tokens rather than parsed as `Meta`: this runs on every field of every type.
fn serde_items(attrs: &[Attribute]) -> impl Iterator<Item = Vec<TokenTree>> + '_ {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .filter_map(|a| match &a.meta {
            Meta::List(list) => Some(list.tokens.clone()),
            _ => None,
        })
        .flat_map(|tokens| {
            let mut items = vec![Vec::new()];
            for tree in tokens {
                match &tree {
                    TokenTree::Punct(p) if p.as_char() == ',' => items.push(Vec::new()),
                    _ => items.last_mut().expect("never empty").push(tree),
                }
            }
            items.into_iter().filter(|item| !item.is_empty())
        })
}

/// The first identifier of a serde item (`rename` in `rename = "x"`).
fn item_word(item: &[TokenTree]) -> Option<&proc_macro2::Ident> {
    match item.first() {
        Some(TokenTree::Ident(word)) => Some(word),
        _ => None,
    }
}

/// The leading word of each item of the `#[serde(...)]` attributes of `attrs` (`rename` for
/// `rename = "x"`), in order.
pub(crate) fn serde_words(attrs: &[Attribute]) -> Vec<String> {
    serde_items(attrs)
        .filter_map(|item| item_word(&item).map(ToString::to_string))
        .collect()
}

fn has_serde_word(attrs: &[Attribute], words: &[&str]) -> bool {
    serde_items(attrs).any(|item| item_word(&item).is_some_and(|w| words.iter().any(|x| w == x)))
}

/// The `rename` of a `#[serde(rename = "...")]` attribute.
pub(crate) fn serde_rename(attrs: &[Attribute]) -> Option<String> {
    serde_items(attrs).find_map(|item| match item.as_slice() {
        [
            TokenTree::Ident(word),
            TokenTree::Punct(eq),
            TokenTree::Literal(value),
        ] if word == "rename" && eq.as_char() == '=' => match syn::Lit::new(value.clone()) {
            syn::Lit::Str(s) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn opened(code: proc_macro2::TokenStream, roots: &[Type]) -> (String, Vec<OpenEnum>) {
        let mut file: syn::File = syn::parse2(code).unwrap();
        let open = open_response_types(&mut file, roots);
        (prettyplease::unparse(&file), open)
    }

    #[test]
    fn response_enums_open_and_request_enums_stay_closed() {
        let code = quote! {
            pub mod types {
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                #[serde(deny_unknown_fields)]
                pub struct Reply { pub kind: Option<Kind> }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy, Debug)]
                pub enum Kind { #[serde(rename = "top-up")] TopUp, Unknown }
                impl ::std::fmt::Display for Kind {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { Ok(()) }
                }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy, Debug)]
                pub enum Sent { A }
            }
        };
        let (text, open) = opened(code, &[syn::parse_quote!(types::Reply)]);
        assert_eq!(
            open,
            vec![OpenEnum {
                name: "Kind".into(),
                catch_all: "UnknownValue".into(),
                values: vec!["top-up".into(), "Unknown".into()],
                variants: vec!["TopUp".into(), "Unknown".into()],
            }]
        );
        assert!(!text.contains("deny_unknown_fields"), "{text}");
        assert!(
            text.contains("UnknownValue(::std::string::String)"),
            "{text}"
        );
        let kind =
            &text[text.find("pub struct Reply").unwrap()..text.find("pub enum Kind").unwrap()];
        assert!(
            kind.contains("#[non_exhaustive]") && !kind.contains("Copy"),
            "{text}"
        );
        let sent = &text[text.find("pub enum Kind").unwrap()..text.find("pub enum Sent").unwrap()];
        assert!(
            sent.contains("Copy") && !sent.contains("non_exhaustive"),
            "{text}"
        );
        assert_eq!(text.matches("impl ::std::fmt::Display for Kind").count(), 1);
        assert!(text.contains("\"top-up\" => Self::TopUp"), "{text}");
    }

    /// On progenitor's real output: a response object with `additionalProperties: false`
    /// accepts unknown fields; an enum only a request body uses stays closed.
    #[test]
    fn progenitor_output_for_closed_objects_is_opened() {
        let spec: openapiv3::OpenAPI = serde_json::from_value(serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"post": {
                "operationId": "post_x",
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object", "properties": {"mode": {"type": "string", "enum": ["a", "b"]}}
                }}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": false,
                    "properties": {"state": {"type": "string", "enum": ["on", "off"]}}
                }}}}}
            }}}
        }))
        .unwrap();
        let Ok(output) = crate::pipeline::progenitor_run::generate(&spec) else {
            panic!("progenitor failed");
        };
        let mut file = output.file;
        assert!(prettyplease::unparse(&file).contains("deny_unknown_fields"));
        let roots: Vec<Type> = vec![syn::parse_quote!(types::PostXResponse)];
        let open = open_response_types(&mut file, &roots);
        let text = prettyplease::unparse(&file);
        // The request body's enum (values a, b) is not among the opened ones.
        assert_eq!(
            open.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
            ["PostXResponseState"]
        );
        let reply = &text[text.find("pub struct PostXResponse ").unwrap()..];
        let reply = &reply[..reply.find('}').unwrap()];
        assert!(!text.contains("deny_unknown_fields"), "{text}");
        assert!(reply.contains("state"), "{reply}");
    }

    /// On progenitor's real output: the enums that tell an untagged union's variants apart
    /// stay closed, and the union gets a catch-all; other response enums are opened.
    #[test]
    fn union_discriminators_stay_closed_and_the_union_gets_a_catch_all() {
        let object = |status: &str, field: &str| {
            serde_json::json!({
                "type": "object", "required": ["status"],
                "properties": {
                    "status": {"type": "string", "enum": [status]},
                    field: {"type": "string"}
                }
            })
        };
        let spec: openapiv3::OpenAPI = serde_json::from_value(serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/task": {"get": {
                "operationId": "get_task",
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Task"}
                }}}}
            }}},
            "components": {"schemas": {
                "Task": {"type": "object", "required": ["data"], "properties": {
                    "data": {"oneOf": [
                        {"$ref": "#/components/schemas/Running"},
                        {"$ref": "#/components/schemas/Failed"}
                    ]},
                    "tier": {"type": "string", "enum": ["free", "pro"]}
                }},
                "Running": object("RUNNING", "step"),
                "Failed": object("FAILED", "error")
            }}
        }))
        .unwrap();
        let Ok(output) = crate::pipeline::progenitor_run::generate(&spec) else {
            panic!("progenitor failed");
        };
        let mut file = output.file;
        let roots: Vec<Type> = vec![syn::parse_quote!(types::Task)];
        let open = open_response_types(&mut file, &roots);
        let text = prettyplease::unparse(&file);
        assert_eq!(
            open.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
            ["TaskTier"],
            "{text}"
        );
        let union = &text[text.find("pub enum TaskData").unwrap()..];
        let union = &union[..union.find('}').unwrap()];
        assert!(union.contains("Unknown(::serde_json::Value),"), "{union}");
        let running = &text[text.find("pub enum RunningStatus").unwrap()..];
        assert!(
            !running[..running.find('}').unwrap()].contains("Unknown"),
            "{running}"
        );
    }
}
