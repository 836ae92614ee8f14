//! The Rust source of a generated crate's `lib.rs`: progenitor's output in a private module,
//! wrapped in a client with constructors from the spec's security schemes, typed errors, and
//! the hooks that authenticate each request through billfold-runtime.

use std::collections::HashMap;

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{FnArg, GenericArgument, ImplItem, Item, Pat, PathArguments, ReturnType, Type};

mod optional_success;

use crate::error::Located;
use crate::pipeline::open_types::{self, OpenEnum};
use crate::pipeline::progenitor_run;
use crate::pipeline::providers::ProviderEntry;
use crate::pipeline::validate::{KeyLocation, Operation, SchemeKind, Validated};

/// Which requests are retried, word for word as the runtime documents it.
pub const RETRY_RULES: &str = include_str!("../../../crates/runtime/doc/retry-rules.md");

/// One public operation method, as the wrapper exposes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    /// Method name (`get_credits_info`).
    pub name: String,
    /// The operationId it comes from.
    pub operation_id: String,
    /// Its type parameters (`B` for a raw body).
    pub generics: Vec<String>,
    /// Arguments after `&self`: (name, type).
    pub args: Vec<(String, String)>,
    /// Type of a successful response body.
    pub success: String,
    /// Type of a typed error body (`()` when none).
    pub error: String,
    /// It returns a `billfold_runtime::EventStream` of server-sent events (`success` names
    /// it), not a `ResponseValue`.
    pub event_stream: bool,
}

impl Method {
    /// Its arguments as written in a signature (`id: &str, body: &types::Body`).
    pub fn args_text(&self) -> String {
        self.args
            .iter()
            .map(|(name, ty)| format!("{name}: {ty}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A constructor generated from a security scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constructor {
    /// Method name (`with_bearer_token`).
    pub name: String,
    /// The scheme it fills.
    pub scheme: String,
    /// The env var `from_env` reads it from.
    pub env_var: String,
    /// The header it sends, as text (`Authorization: Bearer <token>`).
    pub header: String,
}

/// [`CrateCode::error_type`] when each operation names its own error body.
pub const PER_OPERATION: &str = "per operation";

/// What the crate files other than `src/lib.rs` are rendered from: what the code holds.
#[derive(Debug, Clone)]
pub struct CrateCode {
    /// Operation methods.
    pub methods: Vec<Method>,
    /// Credential constructors.
    pub constructors: Vec<Constructor>,
    /// The typed error body of the client (`()` when none).
    pub error_type: String,
    /// Public types: (item kind and name, members) for the API surface.
    pub types: Vec<(String, Vec<String>)>,
    /// Response enums made open (see [`open_types`]).
    pub open_enums: Vec<OpenEnum>,
    /// The optional crates the generated code uses, as progenitor reports it.
    pub usage: progenitor_run::Usage,
    /// The crate's cargo features, one per tag, and the methods each compiles.
    pub features: crate::pipeline::features::FeaturePlan,
}

/// Builds the crate's code from progenitor's output: what it holds, and the syntax tree of
/// `src/lib.rs`, for prettyplease to print (the caller does, so that it can write the other
/// files meanwhile: the tree cannot leave its thread).
pub fn build(
    provider: &ProviderEntry,
    validated: &Validated,
    generated: progenitor_run::Output,
) -> Result<(CrateCode, syn::File), Located> {
    let mut file = generated.file;
    remove_undeclared_headers(&mut file);
    serialize_deep_objects(&mut file, validated);
    optional_success::rewrite(&mut file, validated);
    crate::pipeline::request_bodies::rewrite(&mut file, &validated.openapi);
    crate::pipeline::servers::rewrite(&mut file, &validated.openapi);
    let streams = crate::pipeline::event_streams::infos(&validated.openapi);
    let beside_json: std::collections::BTreeSet<String> = streams
        .iter()
        .filter(|(_, info)| info.beside_json)
        .map(|(method, _)| method.clone())
        .collect();
    let twins = crate::pipeline::event_streams::add_stream_methods(&mut file, &beside_json);
    let twin_names: std::collections::BTreeSet<String> = twins.values().cloned().collect();
    let raw_methods = with_event_streams(
        client_methods(&file, validated, &twin_names)?,
        &streams,
        &twins,
    );
    let response_types: Vec<Type> = raw_methods
        .iter()
        .flat_map(|m| [m.success.clone(), m.error.clone()])
        .collect();
    let open_enums = open_types::open_response_types(&mut file, &response_types);
    let types = public_types(&file);
    let type_names: std::collections::BTreeSet<String> = types
        .iter()
        .filter_map(|(kind, _)| kind.split_whitespace().nth(1).map(str::to_owned))
        .collect();
    let methods: Vec<Method> = raw_methods
        .iter()
        .map(|m| m.describe(&type_names))
        .collect();
    let error_enums = raw_methods
        .iter()
        .filter(|m| !m.typed_errors.is_empty())
        .map(|m| error_enum(m, &type_names))
        .collect::<Result<Vec<_>, _>>()?;
    let method_errors: Vec<String> = raw_methods.iter().map(RawMethod::error_type).collect();
    let error_type = common_error_type(&method_errors);
    let constructors = constructors(provider, validated);

    let provider_static = provider_static(provider, &constructors, validated);
    let error_alias = match &error_type {
        Some(error_type) => {
            let doc = format!(
                "The error every operation of this client returns; API errors carry {}.",
                if error_type == "()" {
                    "the raw body".to_owned()
                } else {
                    format!("a typed `{error_type}` body where the spec declares one")
                }
            );
            let ty: Type = syn::parse_str(error_type)
                .map_err(|e| Located::new("", format!("bad error type {error_type}: {e}")))?;
            quote! {
                #[doc = #doc]
                pub type Error = billfold_runtime::Error<#ty>;
            }
        }
        None => quote! {
            /// The error of an operation of this client, `E` being that operation's typed error
            /// body (each method names its own: the spec gives its operations different ones).
            pub type Error<E> = billfold_runtime::Error<E>;
        },
    };
    let wrappers = raw_methods
        .iter()
        .map(|m| m.wrapper(error_type.as_deref(), &type_names));
    let (errors_module, errors_import) = if error_enums.is_empty() {
        (quote!(), quote!())
    } else {
        (
            quote! {
                /// Error bodies of operations whose spec gives them a different schema per status.
                #[rustfmt::skip]
                pub mod errors {
                    // Unused when a feature set gates every operation that has one.
                    #[allow(unused_imports)]
                    use super::types;
                    #(#error_enums)*
                }
            },
            quote!(
                #[allow(unused_imports)]
                use super::errors;
            ),
        )
    };
    let constructor_fns = constructors_code(provider, validated, &constructors);
    let client_doc = client_doc(provider, &methods, &constructors, error_type.is_none());

    let tokens = quote! {
        #![doc = include_str!("../README.md")]
        #![deny(missing_docs)]

        /// progenitor's output: the raw client and the types of the spec (response types opened
        /// and the undeclared `api-version` header removed by the generator). Its docs are the
        /// spec's prose, which may hold bare URLs and stray HTML.
        #[rustfmt::skip]
        #[allow(missing_docs, dead_code, unused_imports, unused_mut, unused_comparisons, unreachable_patterns, clippy::all, rustdoc::bare_urls, rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]
        mod generated {}

        /// The public client (from `billfold_runtime::client!`) and its operations (whose docs
        /// are the spec's prose, as progenitor copies it).
        #[rustfmt::skip]
        #[allow(rustdoc::bare_urls, rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]
        mod client {
            use super::generated;
            // Unused when the enabled features leave no operation that names a type.
            #[allow(unused_imports)]
            use super::types;
            #[allow(unused_imports)]
            use super::generated::ByteStream;
            #errors_import
            // A client without credentials has no constructor taking a `Secret`.
            #[allow(unused_imports)]
            use billfold_runtime::{ConfigError, ResponseValue, Secret};

            #error_alias

            #provider_static

            billfold_runtime::client! {
                #[doc = #client_doc]
                pub struct Client(generated::Client) for PROVIDER;
            }

            // Method signatures are progenitor's, lifetimes and parameter lists included (one
            // parameter per spec parameter); each attempt clones the arguments, `Copy` or not.
            #[allow(clippy::needless_lifetimes, clippy::too_many_arguments, clippy::clone_on_copy)]
            impl Client {
                #(#constructor_fns)*

                #(#wrappers)*
            }
        }

        #errors_module

        pub use billfold_runtime::{ClientConfig, ConfigError, ResponseValue, Secret};
        pub use client::{Client, Error, PROVIDER};
        pub use generated::types;
    };
    // Last of the rewrites of progenitor's items: the ones before read the serde attributes.
    crate::pipeline::string_enums::serialize_through_strings(&mut file);
    let mut crate_file: syn::File = syn::parse2(tokens)
        .map_err(|e| Located::new("", format!("the wrapper code does not parse: {e}")))?;
    // progenitor's items go into `mod generated` as they are: no second trip through tokens.
    for item in &mut crate_file.items {
        if let Item::Mod(module) = item
            && module.ident == "generated"
        {
            module.content = Some((Default::default(), std::mem::take(&mut file.items)));
        }
    }
    // One feature per tag: each method compiles with its operation's tags, each type with the
    // operations that reach it; what the client always names (its error body) is never gated.
    let tags: std::collections::BTreeMap<&str, &Vec<String>> = validated
        .operations
        .iter()
        .map(|op| (op.operation_id.as_str(), &op.tags))
        .collect();
    let mut features = crate::pipeline::features::FeaturePlan::new(raw_methods.iter().map(|m| {
        (
            m.sig.ident.to_string(),
            tags.get(m.operation_id.as_str())
                .map(|t| (*t).clone())
                .unwrap_or_default(),
        )
    }));
    let always: Vec<String> = error_type
        .iter()
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric() && c != '_'))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect();
    features.gate(&mut crate_file, &always);
    let code = CrateCode {
        methods,
        constructors,
        error_type: error_type.unwrap_or_else(|| PER_OPERATION.to_owned()),
        types,
        open_enums,
        usage: generated.usage,
        features,
    };
    Ok((code, crate_file))
}

/// A method of progenitor's `impl Client`.
struct RawMethod {
    /// The method's signature, as progenitor wrote it.
    sig: syn::Signature,
    /// Its doc attributes.
    docs: Vec<syn::Attribute>,
    idempotent: bool,
    /// Error bodies that differ by status: (status, component schema name).
    typed_errors: Vec<(String, String)>,
    /// The request body is `multipart/form-data`, sent from a `Multipart` argument.
    multipart: bool,
    /// The method returns the response's server-sent events.
    event_stream: Option<crate::pipeline::event_streams::Info>,
    operation_id: String,
    arg_names: Vec<syn::Ident>,
    success: Type,
    error: Type,
}

impl RawMethod {
    /// The type of one event of a streaming method.
    fn event_item(&self, type_names: &std::collections::BTreeSet<String>) -> Option<Type> {
        let info = self.event_stream.as_ref()?;
        Some(match &info.schema {
            None => syn::parse_quote!(billfold_runtime::SseEvent),
            Some(name) => {
                let type_name = name
                    .replace(|c: char| !c.is_alphanumeric(), "-")
                    .to_upper_camel_case();
                if type_names.contains(&type_name) {
                    let ident = syn::Ident::new(&type_name, Span::call_site());
                    syn::parse_quote!(types::#ident)
                } else {
                    syn::parse_quote!(::serde_json::Value)
                }
            }
        })
    }

    fn describe(&self, type_names: &std::collections::BTreeSet<String>) -> Method {
        Method {
            name: self.sig.ident.to_string(),
            operation_id: self.operation_id.clone(),
            generics: self
                .sig
                .generics
                .type_params()
                .map(|param| param.ident.to_string())
                .collect(),
            args: self
                .sig
                .inputs
                .iter()
                .filter_map(|arg| match arg {
                    FnArg::Typed(t) => Some((token_text(&t.pat), type_text(&t.ty))),
                    FnArg::Receiver(_) => None,
                })
                .chain(self.multipart.then(|| {
                    (
                        "form".to_owned(),
                        "&'a billfold_runtime::Multipart".to_owned(),
                    )
                }))
                .collect(),
            success: match self.event_item(type_names) {
                Some(item) => format!("billfold_runtime::EventStream<{}>", type_text(&item)),
                None => type_text(&self.success),
            },
            error: type_text(&self.error),
            event_stream: self.event_stream.is_some(),
        }
    }

    /// The error body type of this method: its status-typed enum, or progenitor's.
    fn error_type(&self) -> String {
        if self.typed_errors.is_empty() {
            type_text(&self.error)
        } else {
            format!("errors::{}", self.error_enum_name())
        }
    }

    fn error_enum_name(&self) -> String {
        format!("{}Error", self.sig.ident.to_string().to_upper_camel_case())
    }

    /// `client_error` is the client's one error body type, `None` when operations differ.
    fn wrapper(
        &self,
        client_error: Option<&str>,
        type_names: &std::collections::BTreeSet<String>,
    ) -> TokenStream {
        let docs = &self.docs;
        let name = &self.sig.ident;
        // A raw body (`B: Into<reqwest::Body>`) is sent again on each attempt: it must be
        // `Clone` (bytes, a vector, a string all are).
        let mut generics = self.sig.generics.clone();
        for param in generics.type_params_mut() {
            let raw_body = param
                .bounds
                .iter()
                .any(|bound| token_text(bound).contains("reqwest::Body"));
            if raw_body {
                param.bounds.push(syn::parse_quote!(Clone));
            }
        }
        let generics = &generics;
        let inputs = &self.sig.inputs;
        // Each attempt calls the raw method again, so an owned argument that is not `Copy`
        // (an open enum, a string, a vector) is cloned per attempt.
        let args: Vec<TokenStream> = self
            .arg_names
            .iter()
            .zip(self.sig.inputs.iter().filter_map(|input| match input {
                FnArg::Typed(typed) => Some(&*typed.ty),
                FnArg::Receiver(_) => None,
            }))
            .map(|(name, ty)| {
                if is_copy(ty) {
                    quote!(#name)
                } else {
                    quote!(#name.clone())
                }
            })
            .collect();
        let success = &self.success;
        let operation = name.to_string();
        let idempotent = self.idempotent;
        let mut inputs: Vec<TokenStream> = inputs.iter().map(|input| quote!(#input)).collect();
        if self.multipart {
            inputs.push(quote!(form: &'a billfold_runtime::Multipart));
        }
        let own_error = self.error_type();
        let error_ty: Type = syn::parse_str(&own_error).unwrap_or_else(|_| syn::parse_quote!(()));
        let returned = match client_error {
            Some(_) => quote!(Error),
            None => quote!(Error<#error_ty>),
        };
        // A multipart body rides along with each attempt of the raw call.
        let raw_call = if self.multipart {
            quote!(billfold_runtime::with_multipart(form, self.raw.#name(#(#args),*)))
        } else {
            quote!(self.raw.#name(#(#args),*))
        };
        let call = if !self.typed_errors.is_empty() {
            let decode_path: syn::Path = syn::parse_str(&format!("{own_error}::decode"))
                .unwrap_or_else(|_| syn::parse_quote!(decode));
            quote!(call_decoding_errors(&self.raw.inner, #operation, #idempotent, move || #raw_call, super::#decode_path))
        } else if own_error == "()" && client_error.is_some_and(|e| e != "()") {
            // An operation without an error body, in a client whose other operations have one.
            quote!(call_without_error_body(&self.raw.inner, #operation, #idempotent, move || #raw_call))
        } else {
            quote!(call(&self.raw.inner, #operation, #idempotent, move || #raw_call))
        };
        let errors_doc = format!(
            "{} Errors: [`Error::Api`](billfold_runtime::Error::Api) for an error status (typed body \
             where the spec declares one), `Redirect` for a redirect that would leave the \
             configured origin, `ResponseTooLarge`, `Transport` for network failures and \
             timeouts, `Decode` for a success body that does not match the spec (operationId \
             `{}`).\n\n{}",
            if self.idempotent {
                "Idempotent: retried as the rules below allow."
            } else {
                "Not idempotent: sent once unless the client comes from \
                 [`Client::with_non_idempotent_retries`]."
            },
            self.operation_id,
            RETRY_RULES.trim_end(),
        );
        if let (Some(item), Some(info)) = (self.event_item(type_names), &self.event_stream) {
            // The events' error type is the method's, so `?` works on both.
            let stream_error: Type = match client_error {
                Some(common) => syn::parse_str(common).unwrap_or_else(|_| syn::parse_quote!(())),
                None => error_ty.clone(),
            };
            let envelope = info.envelope;
            let sentinel = match &info.sentinel {
                Some(sentinel) => quote!(Some(#sentinel)),
                None => quote!(None),
            };
            let make = if info.schema.is_some() {
                quote!(new)
            } else {
                quote!(raw)
            };
            let stream_doc = format!(
                " Returns the response's server-sent events as a stream, each event's data \
                 decoded as `{}`{}; an event over `max_event_bytes` (1 MiB by default) ends it \
                 with `EventTooLarge`.",
                type_text(&item),
                match &info.sentinel {
                    Some(sentinel) => format!(
                        ", ending at the body's end or at the data `{sentinel}` the spec documents"
                    ),
                    None => ", ending at the body's end".to_owned(),
                }
            );
            return quote! {
                #(#docs)*
                #[doc = ""]
                #[doc = #stream_doc]
                #[doc = ""]
                #[doc = #errors_doc]
                pub async fn #name #generics (#(#inputs),*) -> Result<billfold_runtime::EventStream<#item, #stream_error>, #returned> {
                    let response = billfold_runtime::#call.await?;
                    Ok(billfold_runtime::EventStream::#make(
                        response,
                        &self.raw.inner,
                        #operation,
                        billfold_runtime::EventFormat { envelope: #envelope, sentinel: #sentinel },
                    ))
                }
            };
        }
        quote! {
            #(#docs)*
            #[doc = ""]
            #[doc = #errors_doc]
            pub fn #name #generics (#(#inputs),*) -> impl ::std::future::Future<Output = Result<ResponseValue<#success>, #returned>> {
                billfold_runtime::#call
            }
        }
    }
}

/// Whether an argument type is `Copy` as progenitor writes it: references, numbers, booleans,
/// and `Option`s of those.
fn is_copy(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) => true,
        Type::Path(path) => {
            let Some(last) = path.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            if name == "Option" {
                return type_args(ty).first().is_some_and(|inner| is_copy(inner));
            }
            matches!(
                name.as_str(),
                "bool"
                    | "i8"
                    | "i16"
                    | "i32"
                    | "i64"
                    | "u8"
                    | "u16"
                    | "u32"
                    | "u64"
                    | "f32"
                    | "f64"
                    | "usize"
                    | "isize"
            ) || name.starts_with("NonZero")
        }
        _ => false,
    }
}

fn client_methods(
    file: &syn::File,
    validated: &Validated,
    stream_methods: &std::collections::BTreeSet<String>,
) -> Result<Vec<RawMethod>, Located> {
    // progenitor names a method by its operationId in snake case.
    let by_method_name: HashMap<String, &Operation> = validated
        .operations
        .iter()
        .map(|op| {
            (
                crate::pipeline::operations::method_name(&op.operation_id),
                op,
            )
        })
        .collect();
    let mut methods = Vec::new();
    for item in &file.items {
        let Item::Impl(block) = item else { continue };
        if block.trait_.is_some() || token_text(&block.self_ty) != "Client" {
            continue;
        }
        for item in &block.items {
            let ImplItem::Fn(function) = item else {
                continue;
            };
            if function.sig.asyncness.is_none()
                || stream_methods.contains(&function.sig.ident.to_string())
            {
                continue;
            }
            methods.push(raw_method(function, &by_method_name)?);
        }
    }
    Ok(methods)
}

/// The methods with their event streams: an operation whose only success body is
/// `text/event-stream` streams from its own method; one that also offers JSON gets a second,
/// streaming method (written into the raw client by `event_streams`), listed after it.
fn with_event_streams(
    methods: Vec<RawMethod>,
    streams: &HashMap<String, crate::pipeline::event_streams::Info>,
    twins: &std::collections::BTreeMap<String, String>,
) -> Vec<RawMethod> {
    let mut out = Vec::with_capacity(methods.len());
    for mut method in methods {
        let name = method.sig.ident.to_string();
        let Some(info) = streams.get(name.trim_start_matches("r#")) else {
            out.push(method);
            continue;
        };
        match twins.get(name.trim_start_matches("r#")) {
            Some(twin) => {
                let mut streaming = RawMethod {
                    sig: method.sig.clone(),
                    docs: method.docs.clone(),
                    idempotent: method.idempotent,
                    typed_errors: method.typed_errors.clone(),
                    multipart: method.multipart,
                    event_stream: Some(info.clone()),
                    operation_id: method.operation_id.clone(),
                    arg_names: method.arg_names.clone(),
                    success: syn::parse_quote!(ByteStream),
                    error: method.error.clone(),
                };
                streaming.sig.ident = syn::Ident::new(twin, Span::call_site());
                let doc = format!(
                    " Streams the response as server-sent events (`text/event-stream`) where \
                     [`Client::{name}`] returns it whole: ask the API to stream as it says (often \
                     `stream: true` in the body)."
                );
                streaming.docs.push(syn::parse_quote!(#[doc = ""]));
                streaming.docs.push(syn::parse_quote!(#[doc = #doc]));
                out.push(method);
                out.push(streaming);
            }
            None if info.beside_json => out.push(method),
            None => {
                if type_text(&method.success) == "ByteStream" {
                    method.event_stream = Some(info.clone());
                }
                out.push(method);
            }
        }
    }
    out
}

fn raw_method(
    function: &syn::ImplItemFn,
    by_method_name: &HashMap<String, &Operation>,
) -> Result<RawMethod, Located> {
    let name = function.sig.ident.to_string();
    let operation = by_method_name
        .get(name.trim_start_matches("r#"))
        .ok_or_else(|| {
            Located::new(
                "/paths",
                format!("progenitor made a method {name} that matches no operationId of the spec"),
            )
        })?;
    let operation_id = operation.operation_id.clone();
    let idempotent = !matches!(operation.method.as_str(), "POST" | "PATCH");
    let typed_errors = operation.typed_errors.clone();
    let multipart = operation.multipart;
    let mut arg_names = Vec::new();
    for arg in &function.sig.inputs {
        if let FnArg::Typed(typed) = arg {
            match &*typed.pat {
                Pat::Ident(ident) => arg_names.push(ident.ident.clone()),
                _ => {
                    return Err(Located::new(
                        "",
                        format!("method {name} has an argument that is not a plain name"),
                    ));
                }
            }
        }
    }
    let ReturnType::Type(_, output) = &function.sig.output else {
        return Err(Located::new("", format!("method {name} returns nothing")));
    };
    let result_args = type_args(output);
    let [response, error] = result_args.as_slice() else {
        return Err(Located::new(
            "",
            format!("method {name} does not return a Result"),
        ));
    };
    let success = type_args(response)
        .first()
        .map(|t| (*t).clone())
        .ok_or_else(|| {
            Located::new("", format!("method {name} does not return a ResponseValue"))
        })?;
    let error = type_args(error)
        .first()
        .map(|t| (*t).clone())
        .unwrap_or_else(|| syn::parse_quote!(()));
    Ok(RawMethod {
        sig: function.sig.clone(),
        docs: function
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .map(indent_list_continuations)
            .collect(),
        idempotent,
        typed_errors,
        multipart,
        event_stream: None,
        operation_id,
        arg_names,
        success,
        error,
    })
}

/// A doc attribute whose list items that run on over several lines (a parameter description
/// with a line break, as progenitor copies it) have their following lines indented, as
/// Markdown (and clippy's `doc_lazy_continuation`) wants.
fn indent_list_continuations(attr: &syn::Attribute) -> syn::Attribute {
    let syn::Meta::NameValue(meta) = &attr.meta else {
        return attr.clone();
    };
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(text),
        ..
    }) = &meta.value
    else {
        return attr.clone();
    };
    let mut in_item = false;
    let mut changed = false;
    let lines: Vec<String> = text
        .value()
        .lines()
        .map(|line| {
            if line.starts_with("- ") || line.starts_with("* ") {
                in_item = true;
            } else if line.trim().is_empty() {
                in_item = false;
            } else if in_item && !line.starts_with(' ') {
                changed = true;
                return format!("  {line}");
            }
            line.to_owned()
        })
        .collect();
    if !changed {
        return attr.clone();
    }
    let mut joined = lines.join("\n");
    if text.value().ends_with('\n') {
        joined.push('\n');
    }
    syn::parse_quote!(#[doc = #joined])
}

/// The error type of a doc example's `run` function: the crate's `Error`, or, when each
/// operation names its own error body (`Error<E>`), any error.
pub(crate) fn example_error(krate: &str, per_operation_errors: bool) -> String {
    if per_operation_errors {
        "Box<dyn std::error::Error>".to_owned()
    } else {
        format!("{krate}::Error")
    }
}

/// The type arguments of the last path segment (`Result<A, B>` → `[A, B]`).
fn type_args(ty: &Type) -> Vec<&Type> {
    let Type::Path(path) = ty else {
        return Vec::new();
    };
    let Some(segment) = path.path.segments.last() else {
        return Vec::new();
    };
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return Vec::new();
    };
    args.args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// The client's one error body type, when its operations agree (`()` when none has one);
/// `None` when they differ.
fn common_error_type(method_errors: &[String]) -> Option<String> {
    let mut types: Vec<&String> = method_errors.iter().filter(|t| *t != "()").collect();
    types.sort();
    types.dedup();
    match types.as_slice() {
        [] => Some("()".to_owned()),
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// The status-typed error enum of a method whose error bodies differ by status, with the
/// `decode` its calls use.
fn error_enum(
    method: &RawMethod,
    type_names: &std::collections::BTreeSet<String>,
) -> Result<TokenStream, Located> {
    let name = syn::Ident::new(&method.error_enum_name(), Span::call_site());
    let mut variants = Vec::new();
    let mut exact = Vec::new();
    let mut ranges = Vec::new();
    let mut default = quote!(None);
    for (status, component) in &method.typed_errors {
        let type_name = component.to_upper_camel_case();
        if !type_names.contains(&type_name) {
            return Err(Located::new(
                "/components/schemas",
                format!(
                    "the error body schema {component:?} of {} did not become a type `{type_name}`",
                    method.operation_id
                ),
            ));
        }
        let ty = syn::Ident::new(&type_name, Span::call_site());
        let variant = syn::Ident::new(
            &if status == "default" {
                "Other".to_owned()
            } else {
                format!("Status{}", status.to_lowercase())
            },
            Span::call_site(),
        );
        let doc = format!("The body of an HTTP {status} response.");
        variants.push(quote! { #[doc = #doc] #variant(types::#ty) });
        let decode = quote!(::serde_json::from_slice(body).ok().map(Self::#variant));
        if status == "default" {
            default = decode;
        } else if let Ok(code) = status.parse::<u16>() {
            exact.push(quote!(#code => #decode,));
        } else if let Some(class) = status.chars().next().and_then(|c| c.to_digit(10)) {
            let low = class as u16 * 100;
            let high = low + 99;
            ranges.push(quote!(#low..=#high => #decode,));
        }
    }
    let doc = format!(
        "Error bodies of `{}`, typed by status (the spec gives them different schemas).",
        method.operation_id
    );
    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, ::serde::Serialize)]
        #[serde(untagged)]
        pub enum #name {
            #(#variants,)*
        }
        impl #name {
            /// The typed body of an error response with this status, if it decodes.
            #[doc(hidden)]
            pub fn decode(status: u16, body: &[u8]) -> Option<Self> {
                match status {
                    #(#exact)*
                    #(#ranges)*
                    _ => #default,
                }
            }
        }
    })
}

/// The constructor name for a kind of scheme (suffixed with the scheme's name when several
/// schemes share it).
fn constructor_base(kind: &SchemeKind) -> &'static str {
    match kind {
        SchemeKind::Bearer => "with_bearer_token",
        SchemeKind::Basic => "with_basic_auth",
        SchemeKind::ApiKey(..) | SchemeKind::PrefixedHeader { .. } => "with_api_key",
        SchemeKind::OAuth2ClientCredentials { .. } => "with_client_credentials",
    }
}

fn constructors(provider: &ProviderEntry, validated: &Validated) -> Vec<Constructor> {
    validated
        .schemes
        .iter()
        .map(|scheme| {
            let base = constructor_base(&scheme.kind);
            let header = describe(&scheme.kind);
            let same_kind = validated
                .schemes
                .iter()
                .filter(|s| constructor_base(&s.kind) == base)
                .count();
            let name = if same_kind > 1 {
                format!("{base}_{}", scheme.name.to_snake_case())
            } else {
                base.to_owned()
            };
            Constructor {
                name,
                scheme: scheme.name.clone(),
                env_var: provider
                    .credentials
                    .get(&scheme.name)
                    .cloned()
                    .unwrap_or_default(),
                header,
            }
        })
        .collect()
}

fn provider_static(
    provider: &ProviderEntry,
    constructors: &[Constructor],
    validated: &Validated,
) -> TokenStream {
    let id = &provider.id;
    let name = &provider.name;
    let user_agent_prefix = format!("{}/", provider.crate_name);
    let base_url = match &provider.base_url {
        Some(url) => quote!(Some(#url)),
        None => quote!(None),
    };
    let base_url_env = &provider.base_url_env;
    let credentials = validated.schemes.iter().zip(constructors).map(|(scheme, c)| {
        let scheme_name = &scheme.name;
        let env_var = &c.env_var;
        let kind = auth_kind(&scheme.kind);
        quote! {
            billfold_runtime::CredentialSpec { scheme: #scheme_name, kind: #kind, env_var: #env_var }
        }
    });
    // Operations that send exactly the first configured credential need no entry.
    let single: Vec<Vec<String>> = validated
        .schemes
        .iter()
        .map(|s| vec![s.name.clone()])
        .collect();
    let security = validated
        .operations
        .iter()
        .filter(|op| op.security != single)
        .map(|op| {
            let name = crate::pipeline::operations::method_name(&op.operation_id);
            let alternatives = op.security.iter().map(|alternative| {
                quote!(&[#(#alternative),*])
            });
            quote! {
                billfold_runtime::OperationAuth { operation: #name, requirements: &[#(#alternatives),*] }
            }
        });
    let doc = format!(
        "What this crate knows about {name}: default base URL, env vars and credential schemes \
         (from `specs/{id}/` and `specs/providers.toml`)."
    );
    quote! {
        #[doc = #doc]
        pub static PROVIDER: billfold_runtime::Provider = billfold_runtime::Provider {
            id: #id,
            name: #name,
            user_agent: concat!(#user_agent_prefix, env!("CARGO_PKG_VERSION")),
            default_base_url: #base_url,
            base_url_env: #base_url_env,
            credentials: &[#(#credentials),*],
            security: &[#(#security),*],
        };
    }
}

/// The runtime's `AuthKind` for a scheme.
fn auth_kind(kind: &SchemeKind) -> TokenStream {
    match kind {
        SchemeKind::Bearer => quote!(billfold_runtime::AuthKind::Bearer),
        SchemeKind::Basic => quote!(billfold_runtime::AuthKind::Basic),
        SchemeKind::ApiKey(KeyLocation::Header, name) => {
            quote!(billfold_runtime::AuthKind::ApiKeyHeader(#name))
        }
        SchemeKind::PrefixedHeader { header, prefix } => {
            quote!(billfold_runtime::AuthKind::ApiKeyHeaderPrefixed { header: #header, prefix: #prefix })
        }
        SchemeKind::ApiKey(KeyLocation::Query, name) => {
            quote!(billfold_runtime::AuthKind::ApiKeyQuery(#name))
        }
        SchemeKind::ApiKey(KeyLocation::Cookie, name) => {
            quote!(billfold_runtime::AuthKind::ApiKeyCookie(#name))
        }
        SchemeKind::OAuth2ClientCredentials { token_url, scopes } => {
            let scopes = scopes.join(" ");
            quote!(billfold_runtime::AuthKind::OAuth2ClientCredentials { token_url: #token_url, scopes: #scopes })
        }
    }
}

/// How a scheme's credential goes on the wire, for docs (the runtime's `AuthKind::describe`).
pub(crate) fn describe(kind: &SchemeKind) -> String {
    match kind {
        SchemeKind::Bearer => "Authorization: Bearer <token>".to_owned(),
        SchemeKind::Basic => "Authorization: Basic <user:password>".to_owned(),
        SchemeKind::ApiKey(KeyLocation::Header, name) => format!("{name}: <key>"),
        SchemeKind::PrefixedHeader { header, prefix } => format!("{header}: {prefix} <key>"),
        SchemeKind::ApiKey(KeyLocation::Query, name) => format!("query parameter {name}=<key>"),
        SchemeKind::ApiKey(KeyLocation::Cookie, name) => format!("cookie {name}=<key>"),
        SchemeKind::OAuth2ClientCredentials { token_url, .. } => {
            format!("Authorization: Bearer <token from {token_url}, for client_id:client_secret>")
        }
    }
}

fn constructors_code(
    provider: &ProviderEntry,
    validated: &Validated,
    constructors: &[Constructor],
) -> Vec<TokenStream> {
    constructors
        .iter()
        .map(|c| {
            let name = syn::Ident::new(&c.name, Span::call_site());
            let scheme = &c.scheme;
            let description = validated
                .schemes
                .iter()
                .find(|s| s.name == c.scheme)
                .and_then(|s| s.description.clone())
                // Spec prose is CommonMark: keep `<token>` text rather than an HTML tag.
                .map(|d| format!(" ({})", d.trim_end_matches('.').replace('<', "&lt;")))
                .unwrap_or_default();
            match &provider.base_url {
                Some(url) => {
                    let doc = format!(
                        "A client that sends `{}` (security scheme `{}`{description}) to <{url}>.",
                        c.header, c.scheme
                    );
                    quote! {
                        #[doc = #doc]
                        pub fn #name(secret: impl Into<Secret>) -> Result<Self, ConfigError> {
                            Self::from_config(Self::config().credential(#scheme, secret))
                        }
                    }
                }
                None => {
                    let doc = format!(
                        "A client that sends `{}` (security scheme `{}`{description}) to \
                         `base_url`: {} publishes no base URL, so it must be given.",
                        c.header, c.scheme, provider.name
                    );
                    quote! {
                        #[doc = #doc]
                        pub fn #name(base_url: &str, secret: impl Into<Secret>) -> Result<Self, ConfigError> {
                            Self::from_config(Self::config().base_url(base_url).credential(#scheme, secret))
                        }
                    }
                }
            }
        })
        .collect()
}

fn client_doc(
    provider: &ProviderEntry,
    methods: &[Method],
    constructors: &[Constructor],

    per_operation_errors: bool,
) -> String {
    let crate_ident = provider.crate_name.replace('-', "_");
    let env_vars: Vec<&str> = constructors.iter().map(|c| c.env_var.as_str()).collect();
    let example_call = methods
        .iter()
        .find(|m| m.args.is_empty())
        .map(|m| format!("let response = client.{}().await?;\nprintln!(\"{{:?}}\", response.into_inner());\n", m.name))
        .unwrap_or_default();
    format!(
        "Client for the {name} API.\n\n\
         Built from the environment ({creds}, and {base_env} to override the base URL) or from \
         code; every request carries the configured credential and nothing the provider did not \
         ask for. `Debug` never shows the credential.\n\n\
         ```no_run\n\
         # async fn run() -> Result<(), {error}> {{\n\
         let client = {krate}::Client::from_env()?;\n\
         {example_call}\
         # Ok(()) }}\n\
         ```\n",
        name = provider.name,
        error = example_error(&crate_ident, per_operation_errors),
        creds = env_vars.join(" or "),
        base_env = provider.base_url_env,
        krate = crate_ident,
    )
}

/// The functions of progenitor's inherent `impl Client` blocks.
pub(crate) fn client_functions(file: &mut syn::File) -> impl Iterator<Item = &mut syn::ImplItemFn> {
    file.items
        .iter_mut()
        .filter_map(|item| match item {
            Item::Impl(block)
                if block.trait_.is_none() && token_text(&block.self_ty) == "Client" =>
            {
                Some(&mut block.items)
            }
            _ => None,
        })
        .flatten()
        .filter_map(|item| match item {
            ImplItem::Fn(function) => Some(function),
            _ => None,
        })
}

/// Removes progenitor's `api-version` request header (sent with the spec's `info.version`, which
/// no provider asked for) from every generated method, so no request builds it; a header map
/// left empty by that is not made at all.
fn remove_undeclared_headers(file: &mut syn::File) {
    for function in client_functions(file) {
        let stmts = &mut function.block.stmts;
        stmts.retain(|stmt| {
            let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else {
                return true;
            };
            let sets_api_version = call.method == "append"
                && call
                    .args
                    .first()
                    .is_some_and(|name| token_text(name).contains("\"api-version\""));
            !sets_api_version
        });
        // The map is made by `let mut header_map = ...;`, filled by the statements after
        // it, and handed over by `.headers(header_map)` in the request builder: when the
        // statements between add nothing, neither the map nor the call is needed.
        let Some(made) = stmts.iter().position(|s| is_local(s, "header_map")) else {
            continue;
        };
        let Some(sent) = stmts.iter().position(|stmt| {
            matches!(stmt, syn::Stmt::Local(local)
                if local.init.as_ref().is_some_and(|init| sends_header_map(&init.expr)))
        }) else {
            continue;
        };
        let filled = stmts
            .get(made + 1..sent)
            .unwrap_or_default()
            .iter()
            .any(|stmt| ident_count(stmt.to_token_stream(), "header_map") > 0);
        if filled {
            continue;
        }
        if let syn::Stmt::Local(local) = &mut stmts[sent]
            && let Some(init) = &mut local.init
        {
            skip_headers_call(&mut init.expr);
        }
        stmts.remove(made);
    }
}

/// Sends the `style: deepObject` query parameters of each operation through
/// `billfold_runtime::DeepObject` (`name[key]=value`) instead of progenitor's `QueryParam`
/// (`key=value`, the `form` style progenitor was shown).
fn serialize_deep_objects(file: &mut syn::File, validated: &Validated) {
    let deep: HashMap<String, &[String]> = validated
        .operations
        .iter()
        .filter(|op| !op.deep_object.is_empty())
        .map(|op| {
            (
                crate::pipeline::operations::method_name(&op.operation_id),
                op.deep_object.as_slice(),
            )
        })
        .collect();
    if deep.is_empty() {
        return;
    }
    for function in client_functions(file) {
        let name = function.sig.ident.to_string();
        let Some(names) = deep.get(name.trim_start_matches("r#")) else {
            continue;
        };
        for stmt in &mut function.block.stmts {
            if let syn::Stmt::Local(local) = stmt
                && let Some(init) = &mut local.init
            {
                use_deep_object(&mut init.expr, names);
            }
        }
    }
}

/// In a request builder chain, `.query(&QueryParam::new("<name>", ..))` for a name in `names`
/// becomes `.query(&billfold_runtime::DeepObject::new("<name>", ..))`.
fn use_deep_object(expr: &mut syn::Expr, names: &[String]) {
    match expr {
        syn::Expr::Try(inner) => use_deep_object(&mut inner.expr, names),
        syn::Expr::MethodCall(call) => {
            if call.method == "query"
                && let Some(syn::Expr::Reference(reference)) = call.args.first_mut()
                && let syn::Expr::Call(param) = &mut *reference.expr
                && let Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(name),
                    ..
                })) = param.args.first()
                && names.contains(&name.value())
            {
                *param.func = syn::parse_quote!(billfold_runtime::DeepObject::new);
            }
            use_deep_object(&mut call.receiver, names);
        }
        _ => {}
    }
}

/// `let <name> = ...;` or `let mut <name> = ...;`
fn is_local(stmt: &syn::Stmt, name: &str) -> bool {
    matches!(stmt, syn::Stmt::Local(local)
        if matches!(&local.pat, Pat::Ident(pat) if pat.ident == name))
}

/// `.headers(header_map)` is in the request builder chain `expr`.
fn sends_header_map(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Try(inner) => sends_header_map(&inner.expr),
        syn::Expr::MethodCall(call) => is_headers_call(call) || sends_header_map(&call.receiver),
        _ => false,
    }
}

fn is_headers_call(call: &syn::ExprMethodCall) -> bool {
    call.method == "headers"
        && call.args.len() == 1
        && matches!(&call.args[0], syn::Expr::Path(p) if p.path.is_ident("header_map"))
}

/// How often the identifier `name` occurs in `tokens`, groups included.
fn ident_count(tokens: TokenStream, name: &str) -> usize {
    tokens
        .into_iter()
        .map(|tree| match tree {
            proc_macro2::TokenTree::Ident(ident) => usize::from(ident == name),
            proc_macro2::TokenTree::Group(group) => ident_count(group.stream(), name),
            _ => 0,
        })
        .sum()
}

/// Removes `.headers(header_map)` from a request builder chain (`a.b().headers(header_map).c()?`).
fn skip_headers_call(expr: &mut syn::Expr) {
    match expr {
        syn::Expr::Try(inner) => skip_headers_call(&mut inner.expr),
        syn::Expr::MethodCall(call) => {
            if is_headers_call(call) {
                *expr = (*call.receiver).clone();
                skip_headers_call(expr);
            } else {
                skip_headers_call(&mut call.receiver);
            }
        }
        _ => {}
    }
}

/// Public types of the `types` module, for the API surface: ("struct Name", ["field: Type"]).
fn public_types(file: &syn::File) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for item in &file.items {
        let Item::Mod(module) = item else { continue };
        if module.ident != "types" {
            continue;
        }
        let Some((_, items)) = &module.content else {
            continue;
        };
        for item in items {
            match item {
                Item::Struct(s) => out.push((
                    format!("struct {}", s.ident),
                    s.fields
                        .iter()
                        .map(|f| {
                            let name = f
                                .ident
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_default();
                            let json_name = open_types::serde_rename(&f.attrs)
                                .map(|r| format!(" (json {r:?})"))
                                .unwrap_or_default();
                            format!("{name}{json_name}: {}", type_text(&f.ty))
                        })
                        .collect(),
                )),
                Item::Enum(e) => out.push((
                    format!("enum {}", e.ident),
                    e.variants
                        .iter()
                        .map(|v| {
                            let fields = fields_text(&v.fields);
                            let json_name = open_types::serde_rename(&v.attrs)
                                .map(|r| format!(" (json {r:?})"))
                                .unwrap_or_default();
                            format!("{}{fields}{json_name}", v.ident)
                        })
                        .collect(),
                )),
                Item::Type(t) => out.push((
                    format!("type {} = {}", t.ident, type_text(&t.ty)),
                    Vec::new(),
                )),
                _ => {}
            }
        }
    }
    out
}

/// A type as [`token_text`] writes it, printed straight from the syntax tree for the forms
/// progenitor writes (paths with type arguments, references, tuples, slices): the API surface
/// prints every field of every type, and going through tokens and back costs.
fn type_text(ty: &Type) -> String {
    let mut out = String::new();
    if write_type(ty, &mut out) {
        out
    } else {
        token_text(ty)
    }
}

/// Writes `ty` to `out`; false for a form it does not print (the caller falls back).
fn write_type(ty: &Type, out: &mut String) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => {
            if path.path.leading_colon.is_some() {
                out.push_str("::");
            }
            for (i, segment) in path.path.segments.iter().enumerate() {
                if i > 0 {
                    out.push_str("::");
                }
                out.push_str(&segment.ident.to_string());
                match &segment.arguments {
                    PathArguments::None => {}
                    PathArguments::AngleBracketed(args) if args.colon2_token.is_none() => {
                        out.push('<');
                        for (i, arg) in args.args.iter().enumerate() {
                            if i > 0 {
                                out.push_str(", ");
                            }
                            let written = match arg {
                                GenericArgument::Type(inner) => write_type(inner, out),
                                GenericArgument::Lifetime(lifetime) => {
                                    out.push_str(&lifetime.to_string());
                                    true
                                }
                                _ => false,
                            };
                            if !written {
                                return false;
                            }
                        }
                        out.push('>');
                    }
                    _ => return false,
                }
            }
            true
        }
        Type::Reference(reference) => {
            out.push('&');
            if let Some(lifetime) = &reference.lifetime {
                out.push_str(&lifetime.to_string());
                out.push(' ');
            }
            if reference.mutability.is_some() {
                out.push_str("mut ");
            }
            write_type(&reference.elem, out)
        }
        Type::Tuple(tuple) => {
            out.push('(');
            for (i, elem) in tuple.elems.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if !write_type(elem, out) {
                    return false;
                }
            }
            if tuple.elems.len() == 1 {
                out.push(',');
            }
            out.push(')');
            true
        }
        Type::Slice(slice) => {
            out.push('[');
            let written = write_type(&slice.elem, out);
            out.push(']');
            written
        }
        _ => false,
    }
}

/// A variant's fields as [`token_text`] writes them: nothing for a unit variant, `(T)` for a
/// tuple variant, the tokens otherwise.
fn fields_text(fields: &syn::Fields) -> String {
    match fields {
        syn::Fields::Unit => String::new(),
        syn::Fields::Unnamed(unnamed) if unnamed.unnamed.iter().all(|f| f.attrs.is_empty()) => {
            let mut out = String::from("(");
            for (i, field) in unnamed.unnamed.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if !write_type(&field.ty, &mut out) {
                    return token_text(fields);
                }
            }
            out.push(')');
            out
        }
        _ => token_text(fields),
    }
}

/// Tokens as compact text: `Option<i64>`, not `Option < i64 >`.
pub fn token_text(tokens: &impl quote::ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut prev: Option<char> = None;
    while let Some(c) = chars.next() {
        if c == ' ' {
            let next = chars.peek().copied();
            let glue =
                |ch: Option<char>| matches!(ch, Some('<' | '>' | ':' | '(' | ')' | '&' | ','));
            let keep = match (prev, next) {
                (Some(','), _) => true,
                (Some('&'), _) => false,
                (_, n) if glue(n) => false,
                (Some('<' | ':' | '('), _) => false,
                _ => true,
            };
            if keep {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod doc_tests {
    use super::*;

    #[test]
    fn a_list_item_running_on_is_indented() {
        let attr: syn::Attribute = syn::parse_quote!(#[doc = "Arguments:\n- `sort_by`: Common values are `a`,\n`b`.\n\nAfter the list.\n- `x`: one line\n"]);
        let fixed = indent_list_continuations(&attr);
        let syn::Meta::NameValue(meta) = &fixed.meta else {
            panic!("a doc attribute");
        };
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) = &meta.value
        else {
            panic!("a string");
        };
        assert_eq!(
            text.value(),
            "Arguments:\n- `sort_by`: Common values are `a`,\n  `b`.\n\nAfter the list.\n- `x`: one line\n"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_text_is_compact() {
        let ty: Type = syn::parse_quote!(::std::option::Option<Vec<types::X>>);
        assert_eq!(token_text(&ty), "::std::option::Option<Vec<types::X>>");
        assert_eq!(type_text(&ty), token_text(&ty));
        let ty: Type = syn::parse_quote!(&'a types::Body);
        assert_eq!(token_text(&ty), "&'a types::Body");
        let ty: Type = syn::parse_quote!(std::collections::HashMap<String, f64>);
        assert_eq!(token_text(&ty), "std::collections::HashMap<String, f64>");
    }

    #[test]
    fn type_text_writes_what_token_text_writes() {
        let types: Vec<Type> = vec![
            syn::parse_quote!(::std::option::Option<Vec<types::X>>),
            syn::parse_quote!(&'a types::Body),
            syn::parse_quote!(&'a mut [u8]),
            syn::parse_quote!(&mut str),
            syn::parse_quote!(std::collections::HashMap<String, f64>),
            syn::parse_quote!(ResponseValue<()>),
            syn::parse_quote!((i64,)),
            syn::parse_quote!((i64, ::std::string::String)),
            syn::parse_quote!(Box<dyn Fn() -> u8>),
            syn::parse_quote!(Vec::<u8>),
            syn::parse_quote!([u8; 4]),
            syn::parse_quote!(<T as Trait>::Out),
            syn::parse_quote!(r#type::X<'static>),
        ];
        for ty in &types {
            assert_eq!(type_text(ty), token_text(ty), "{}", token_text(ty));
        }
        let variants: syn::ItemEnum = syn::parse_quote! {
            enum E { A, B(i64), C(::std::vec::Vec<types::X>, bool), D { x: i64 }, F(#[serde(default)] u8) }
        };
        for variant in &variants.variants {
            assert_eq!(fields_text(&variant.fields), token_text(&variant.fields));
        }
    }
}
