//! Typed clients for the billing and credit endpoints of several API providers.
//!
//! Each provider's client is generated from its OpenAPI spec by `cargo xtask regen` and lives in
//! its own crate; this facade re-exports them, each behind a cargo feature of the same name (all
//! on by default):
//!
//! | module | crate | feature |
//! | --- | --- | --- |
//! | [`anchor`] | `billfold-anchor` | `anchor` |
//! | [`neo`] | `billfold-neo` | `neo` |
//! | [`olostep`] | `billfold-olostep` | `olostep` |
//! | [`aiml`] | `billfold-aiml` | `aiml` |
//! | [`giga`] | `billfold-giga` | `giga` |
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

/// Shared runtime: configuration, credentials and errors used by every client.
pub use billfold_runtime as runtime;

/// Anchor Browser (`billfold-anchor`).
#[cfg(feature = "anchor")]
pub use billfold_anchor as anchor;

/// ProjectDiscovery Neo (`billfold-neo`).
#[cfg(feature = "neo")]
pub use billfold_neo as neo;

/// Olostep (`billfold-olostep`).
#[cfg(feature = "olostep")]
pub use billfold_olostep as olostep;

/// AIML API (`billfold-aiml`).
#[cfg(feature = "aiml")]
pub use billfold_aiml as aiml;

/// Giga (`billfold-giga`).
#[cfg(feature = "giga")]
pub use billfold_giga as giga;

/// The workspace README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
