//! String enums encode and decode through their `Display` and `FromStr`, not serde's derive.
//!
//! typify gives every string enum of a spec (unit variants, each `#[serde(rename)]`d to its
//! wire value) `Display` and `FromStr` impls that know those values, and also derives serde's
//! `Serialize` and `Deserialize`. The derived decoder is the largest code of such an enum (a
//! field-identifier enum, a visitor and an `EnumAccess` walk; for an open enum, the content
//! buffering of its `#[serde(untagged)]` catch-all), and specs have thousands of them: in
//! PayPal's orders API (1,065 string enums) checking the crate took 55 s with the derives and
//! 36 s without. Here each such enum loses the two derives and its `#[serde]` attributes and
//! gets `billfold_runtime::serde_string_enum!(Name, ["value", ...]);`: two short impls that
//! write the `Display` string and parse with `FromStr`. The JSON is the same both ways, and so is the error for
//! a value the enum does not know (``unknown variant `x`, expected one of ...``).
//!
//! An enum is rewritten only when nothing of serde's derive is lost: every variant a unit with
//! at most a `rename` (or the `Unknown(String)` catch-all `open_types` adds), no serde
//! attribute on the enum itself, and `Display` and `FromStr` impls beside it.

use std::collections::BTreeSet;

use syn::{Fields, Item, ItemEnum, Type};

use crate::pipeline::open_types::{
    derived_traits, remove_derives, serde_rename, serde_words, types_module,
};

/// Rewrites every string enum of the `types` module of progenitor's output (see the module
/// docs); returns how many were rewritten.
pub fn serialize_through_strings(file: &mut syn::File) -> usize {
    let Some(items) = types_module(file) else {
        return 0;
    };
    let displayed = implementors(items, "Display");
    let parsed = implementors(items, "FromStr");
    let mut rewritten = 0;
    // Each enum's impls go right after it, as typify places its `Display` and `FromStr`.
    let mut out = Vec::with_capacity(items.len());
    for mut item in std::mem::take(items) {
        let impls = match &mut item {
            Item::Enum(e)
                if displayed.contains(&e.ident.to_string())
                    && parsed.contains(&e.ident.to_string()) =>
            {
                wire_values(e).map(|values| {
                    remove_derives(&mut e.attrs, &["Serialize", "Deserialize"]);
                    for variant in &mut e.variants {
                        variant.attrs.retain(|a| !a.path().is_ident("serde"));
                    }
                    impls(&e.ident, &values)
                })
            }
            _ => None,
        };
        out.push(item);
        if let Some(impls) = impls {
            out.push(impls);
            rewritten += 1;
        }
    }
    *items = out;
    rewritten
}

/// The wire value of each unit variant, when the enum is a string enum whose serde derive the
/// two impls replace exactly; `None` otherwise.
fn wire_values(e: &ItemEnum) -> Option<Vec<String>> {
    let derives = derived_traits(&e.attrs);
    if !derives.contains("Serialize") || !derives.contains("Deserialize") {
        return None;
    }
    if e.attrs.iter().any(|a| a.path().is_ident("serde")) || e.variants.is_empty() {
        return None;
    }
    let mut values = Vec::new();
    for variant in &e.variants {
        let words = serde_words(&variant.attrs);
        match &variant.fields {
            // Nothing but a `rename = "..."` (an alias or a skip would change what decodes).
            Fields::Unit => match (words.as_slice(), serde_rename(&variant.attrs)) {
                ([], _) => values.push(variant.ident.to_string()),
                ([word], Some(rename)) if word == "rename" => values.push(rename),
                _ => return None,
            },
            // The catch-all of an open enum: `#[serde(untagged)] Unknown(String)`.
            Fields::Unnamed(fields)
                if fields.unnamed.len() == 1
                    && is_string(&fields.unnamed[0].ty)
                    && words == ["untagged"] => {}
            _ => return None,
        }
    }
    Some(values)
}

fn is_string(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "String"))
}

/// Names of the types of `items` with an impl of the trait whose last path segment is `name`.
fn implementors(items: &[Item], name: &str) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(block) => Some(block),
            _ => None,
        })
        .filter(|block| {
            block
                .trait_
                .as_ref()
                .and_then(|(path, _)| path.segments.last())
                .is_some_and(|s| s.ident == name)
        })
        .filter_map(|block| match &*block.self_ty {
            Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// `billfold_runtime::serde_string_enum!(Name, ["value", ...]);`: the two impls, in one line.
fn impls(ident: &syn::Ident, values: &[String]) -> Item {
    Item::Macro(syn::ItemMacro {
        attrs: Vec::new(),
        ident: None,
        mac: syn::parse_quote!(::billfold_runtime::serde_string_enum!(#ident, [#(#values),*])),
        semi_token: Some(Default::default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn rewritten(code: proc_macro2::TokenStream) -> (String, usize) {
        let mut file: syn::File = syn::parse2(code).unwrap();
        let count = serialize_through_strings(&mut file);
        (prettyplease::unparse(&file), count)
    }

    /// A string enum with Display and FromStr, and an open one: both lose serde's derive and
    /// get the two impls; the enums serde's derive does more for keep it.
    #[test]
    fn string_enums_get_impls_and_other_enums_keep_the_derive() {
        let code = quote! {
            pub mod types {
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy, Debug)]
                pub enum Kind { #[serde(rename = "top-up")] TopUp, Refund }
                impl ::std::fmt::Display for Kind {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { Ok(()) }
                }
                impl ::std::str::FromStr for Kind {
                    type Err = ();
                    fn from_str(value: &str) -> Result<Self, ()> { Err(()) }
                }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                #[non_exhaustive]
                pub enum Open {
                    #[serde(rename = "a")]
                    A,
                    #[serde(untagged)]
                    Unknown(::std::string::String),
                }
                impl ::std::fmt::Display for Open {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { Ok(()) }
                }
                impl ::std::str::FromStr for Open {
                    type Err = ();
                    fn from_str(value: &str) -> Result<Self, ()> { Err(()) }
                }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                #[serde(untagged)]
                pub enum Union { Number(f64), Text(String) }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                pub enum Aliased { #[serde(rename = "x", alias = "ex")] X }
                impl ::std::fmt::Display for Aliased {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { Ok(()) }
                }
                impl ::std::str::FromStr for Aliased {
                    type Err = ();
                    fn from_str(value: &str) -> Result<Self, ()> { Err(()) }
                }
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
                pub enum NoStrings { #[serde(rename = "y")] Y }
            }
        };
        let (text, count) = rewritten(code);
        assert_eq!(count, 2, "{text}");
        let kind = &text[text.find("pub enum Kind").unwrap()..text.find("pub enum Open").unwrap()];
        assert!(
            kind.starts_with("pub enum Kind {\n        TopUp,\n        Refund,\n    }\n"),
            "{text}"
        );
        assert!(
            text.contains("#[derive(Clone, Copy, Debug)]\n    pub enum Kind"),
            "{text}"
        );
        assert!(
            kind.contains(
                "::billfold_runtime::serde_string_enum!(Kind, [\"top-up\", \"Refund\"]);"
            ),
            "{text}"
        );
        assert!(
            text.contains("::billfold_runtime::serde_string_enum!(Open, [\"a\"]);"),
            "{text}"
        );
        for kept in ["Union", "Aliased", "NoStrings"] {
            assert!(
                !text.contains(&format!("serde_string_enum!({kept},")),
                "{kept}: {text}"
            );
        }
        assert_eq!(
            text.matches("::serde::Deserialize, ::serde::Serialize")
                .count(),
            3
        );
    }
}
