//! TLS set-up: rustls with the `ring` crypto provider.
//!
//! reqwest is built with `rustls-no-provider`, so that aws-lc-rs (a large C build) is not compiled;
//! `ring` is installed as the process default the first time a client is built, unless the
//! application installed a provider of its own before, which then wins.

use std::sync::Once;

/// Installs ring as the process-wide rustls provider if none is installed yet.
pub(crate) fn ensure_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Err only means another thread installed one first, which is just as good.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
    });
}
