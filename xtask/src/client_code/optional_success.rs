//! Methods whose success may have no body (a 204 beside a 200 with one): validate took the
//! body-less statuses out of progenitor's view and listed them on the operation
//! ([`crate::validate::EMPTY_SUCCESS_KEY`]); here each such method returns `Option<T>`
//! instead of `T`, with `None` for those statuses.

use std::collections::HashMap;

use syn::{GenericArgument, PathArguments, ReturnType, Type};

use super::client_functions;
use crate::validate::Validated;

/// Rewrites every method with body-less success statuses: its return type becomes
/// `ResponseValue<Option<T>>` (the JSON arms decode `Option<T>`, which a body makes `Some`),
/// and each body-less status gets an arm returning `None`.
pub fn rewrite(file: &mut syn::File, validated: &Validated) {
    let empty: HashMap<String, &[String]> = validated
        .operations
        .iter()
        .filter(|op| !op.empty_success.is_empty())
        .map(|op| {
            (
                crate::operations::method_name(&op.operation_id),
                op.empty_success.as_slice(),
            )
        })
        .collect();
    if empty.is_empty() {
        return;
    }
    for function in client_functions(file) {
        let name = function.sig.ident.to_string();
        let Some(statuses) = empty.get(name.trim_start_matches("r#")) else {
            continue;
        };
        if !wrap_success_in_option(&mut function.sig.output) {
            continue;
        }
        let Some(syn::Stmt::Expr(syn::Expr::Match(matched), None)) =
            function.block.stmts.last_mut()
        else {
            continue;
        };
        let at = matched
            .arms
            .iter()
            .position(|arm| matches!(arm.pat, syn::Pat::Wild(_)))
            .unwrap_or(matched.arms.len());
        for status in statuses.iter().rev() {
            let Some(pattern) = status_pattern(status) else {
                continue;
            };
            let arm: syn::Arm = syn::parse_quote! {
                #pattern => ResponseValue::empty(response).map(|()| None),
            };
            matched.arms.insert(at, arm);
        }
    }
}

/// `Result<ResponseValue<T>, E>` → `Result<ResponseValue<Option<T>>, E>`; whether it was
/// that shape.
fn wrap_success_in_option(output: &mut ReturnType) -> bool {
    let ReturnType::Type(_, result) = output else {
        return false;
    };
    let Some(success) = first_type_arg(result).and_then(first_type_arg) else {
        return false;
    };
    let inner = success.clone();
    *success = syn::parse_quote!(::std::option::Option<#inner>);
    true
}

/// The first type argument of a path type's last segment (`A<B, C>` → `B`).
fn first_type_arg(ty: &mut Type) -> Option<&mut Type> {
    let Type::Path(path) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &mut path.path.segments.last_mut()?.arguments else {
        return None;
    };
    args.args.iter_mut().find_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// The match pattern of a status: `204` → `204u16`, `2XX` → `200u16..=299u16`.
fn status_pattern(status: &str) -> Option<syn::Pat> {
    if let Ok(code) = status.parse::<u16>() {
        return Some(syn::parse_quote!(#code));
    }
    let class = status
        .strip_suffix("XX")
        .or_else(|| status.strip_suffix("xx"))?
        .parse::<u16>()
        .ok()?;
    let (low, high) = (class * 100, class * 100 + 99);
    Some(syn::parse_quote!(#low..=#high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_patterns() {
        let text = |p: syn::Pat| quote::quote!(#p).to_string();
        assert_eq!(status_pattern("204").map(text).as_deref(), Some("204u16"));
        assert_eq!(
            status_pattern("2XX").map(text).as_deref(),
            Some("200u16 ..= 299u16")
        );
        assert!(status_pattern("default").is_none());
    }

    #[test]
    fn the_success_type_becomes_an_option() {
        let mut output: ReturnType =
            syn::parse_quote!(-> Result<ResponseValue<types::Thing>, Error<types::E>>);
        assert!(wrap_success_in_option(&mut output));
        let expected: ReturnType = syn::parse_quote!(
            -> Result<ResponseValue<::std::option::Option<types::Thing>>, Error<types::E>>
        );
        assert_eq!(
            super::super::token_text(&output),
            super::super::token_text(&expected)
        );
    }
}
