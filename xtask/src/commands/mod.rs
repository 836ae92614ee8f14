//! The `cargo xtask` commands, each over the pipeline and the derived files: `regen`,
//! `ingest`, `features`, `conformance`, `corpus` and `bench` (with `cargo_build`, the clean builds that
//! `bench` and `conformance` measure or need, and `generated_build`, bench's row on a generated
//! crate's build time).

pub mod bench;
pub mod cargo_build;
pub mod cargo_env;
pub mod compile_budget;
pub mod conformance;
pub mod corpus;
pub mod features;
pub mod generated_build;
pub mod ingest;
pub mod regen;
