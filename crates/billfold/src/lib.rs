//! Typed clients for the billing and credit endpoints of several API providers.
//!
//! Each provider's client is generated from its OpenAPI spec by `cargo xtask regen` and lives in
//! its own crate; this facade re-exports them as modules (`billfold::olostep`, ...), each behind a
//! cargo feature of the same name (all on by default). The providers, and which crate and
//! feature each has, come from `specs/providers.toml`; the README lists them.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Reads OLOSTEP_API_KEY (and OLOSTEP_BASE_URL, if set).
//! let client = billfold::olostep::Client::from_env()?;
//! let info = client.get_credits_info().await?;
//! println!("{:?} credits left", info.credits);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod balance;
mod computed;
pub mod custom;
mod mapping;
mod providers;

/// Shared runtime: configuration, credentials and errors used by every client.
pub use billfold_runtime as runtime;

#[doc(inline)]
#[allow(unused_imports)] // empty in a build without any provider feature
pub use providers::clients::*;

/// The workspace README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
