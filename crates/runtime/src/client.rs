//! The public `Client` every generated crate exposes, written once here.
//!
//! A generated crate holds progenitor's raw client (whose type is its own) and the thin
//! per-operation methods; [`client!`](crate::client) gives it the rest: the `Client` type around
//! the raw one, its constructors from the environment or a [`ClientConfig`](crate::ClientConfig),
//! `Debug` without the credential, and the progenitor hooks that authenticate each request
//! through [`Runtime`](crate::Runtime). It is a macro rather than a generic type so that each
//! provider's `Client` is a type of its own crate, with its operations as inherent methods.

/// Defines `pub struct Client` around progenitor's raw client `$raw`, for the provider described
/// by the static `$provider`. Used by generated crates; not meant for application code.
///
/// The expansion is the same for every provider:
///
/// - `Client::from_env()`, `Client::config()`, `Client::from_config(config)`;
/// - `Client::base_url()` and `Client::with_non_idempotent_retries()`;
/// - `Debug` showing the base URL and the runtime (whose credential is redacted);
/// - `progenitor_client::ClientHooks` for `$raw`: every request gets the credentials its
///   operation needs ([`Runtime::prepare`](crate::Runtime::prepare)) and is sent through
///   [`Runtime::execute`](crate::Runtime::execute) (response bookkeeping, body size limit).
///
/// Each operation method then wraps the raw one in the (hidden) `billfold_runtime::call`, which
/// retries and maps errors.
#[macro_export]
macro_rules! client {
    ($(#[$attr:meta])* pub struct Client($raw:ty) for $provider:path;) => {
        $(#[$attr])*
        #[derive(Clone)]
        pub struct Client {
            raw: $raw,
        }

        impl ::std::fmt::Debug for Client {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                use $crate::__private::ClientInfo as _;
                f.debug_struct("Client")
                    .field("base_url", &self.raw.baseurl())
                    .field("runtime", self.raw.inner())
                    .finish()
            }
        }

        impl Client {
            /// A client configured from the environment (see
            /// [`ClientConfig::from_env`](billfold_runtime::ClientConfig::from_env)).
            pub fn from_env() -> ::std::result::Result<Self, $crate::ConfigError> {
                Self::from_config($crate::ClientConfig::from_env(&$provider))
            }

            /// A configuration with this provider's defaults, to adjust and pass to
            /// [`Client::from_config`].
            pub fn config() -> $crate::ClientConfig {
                $crate::ClientConfig::new(&$provider)
            }

            /// A client from a configuration made with [`Client::config`] or
            /// [`ClientConfig::from_env`](billfold_runtime::ClientConfig::from_env) for this
            /// provider.
            pub fn from_config(
                config: $crate::ClientConfig,
            ) -> ::std::result::Result<Self, $crate::ConfigError> {
                let parts = config.for_provider(&$provider)?.build()?;
                Ok(Self {
                    raw: <$raw>::new_with_client(&parts.base_url, parts.http, parts.runtime),
                })
            }

            /// The base URL requests go to.
            pub fn base_url(&self) -> &str {
                use $crate::__private::ClientInfo as _;
                self.raw.baseurl()
            }

            /// A copy of this client that also retries POST and PATCH requests, for calls the
            /// caller knows are safe to repeat. Other clients are unaffected.
            pub fn with_non_idempotent_retries(&self) -> Self {
                let mut raw = self.raw.clone();
                raw.inner = raw.inner.with_non_idempotent_retries();
                Self { raw }
            }
        }

        impl $crate::__private::ClientHooks<$crate::Runtime> for $raw {
            async fn pre<E>(
                &self,
                request: &mut $crate::__private::reqwest::Request,
                info: &$crate::__private::OperationInfo,
            ) -> ::std::result::Result<(), $crate::__private::RawError<E>> {
                self.inner
                    .prepare(&self.client, request, info.operation_id)
                    .await
                    .map_err($crate::__private::RawError::Custom)
            }

            async fn exec(
                &self,
                request: $crate::__private::reqwest::Request,
                _info: &$crate::__private::OperationInfo,
            ) -> $crate::__private::reqwest::Result<$crate::__private::reqwest::Response> {
                self.inner.execute(&self.client, request).await
            }
        }
    };
}
