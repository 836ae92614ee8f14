//! Turning what a progenitor-generated method returns into [`Error`].

use std::cell::RefCell;
use std::future::Future;
use std::time::Instant;

use tracing::Instrument;

use progenitor_client::{Error as RawError, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::error::{ApiError, DecodeError, Error, ErrorBody, TransportKind, snippet};
use crate::provider::Provider;

/// Headers providers use for a request id, most common first.
const REQUEST_ID_HEADERS: &[&str] = &[
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "cf-ray",
];

/// What the last response of a call looked like; progenitor's errors drop the status of a body
/// that failed to decode, so [`Runtime::execute`](crate::Runtime::execute) records it here.
#[derive(Clone, Debug)]
struct ResponseMeta {
    status: StatusCode,
    request_id: Option<String>,
}

tokio::task_local! {
    static LAST_RESPONSE: RefCell<Option<ResponseMeta>>;
}

/// Records a response's status and request id for the [`call`] in progress, if any.
pub(crate) fn record_response(response: &reqwest::Response) {
    let meta = ResponseMeta {
        status: response.status(),
        request_id: request_id(response.headers()),
    };
    // Outside a `call` (a raw client used directly) there is nothing to record into.
    let _ = LAST_RESPONSE.try_with(|slot| *slot.borrow_mut() = Some(meta));
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok().map(str::to_owned))
}

/// Runs one generated operation and maps its outcome into [`Error`].
///
/// Generated clients wrap every progenitor method in this; application code does not call it.
pub async fn call<T, E, F>(
    provider: &'static Provider,
    operation: &'static str,
    request: F,
) -> Result<ResponseValue<T>, Error<E>>
where
    F: Future<Output = Result<ResponseValue<T>, RawError<E>>>,
    E: std::fmt::Debug + serde::Serialize,
{
    run(provider, operation, request, |value| {
        ErrorBody::Typed(value.into_inner())
    })
    .await
}

/// [`call`] for an operation whose spec declares no error body, in a client whose error type
/// has one (other operations declare it): its error responses keep their raw body.
///
/// Generated clients use this; application code does not call it.
pub async fn call_without_error_body<T, E, F>(
    provider: &'static Provider,
    operation: &'static str,
    request: F,
) -> Result<ResponseValue<T>, Error<E>>
where
    F: Future<Output = Result<ResponseValue<T>, RawError<()>>>,
    E: std::fmt::Debug + serde::Serialize,
{
    // progenitor only makes `ErrorResponse` for documented error statuses, and the xtask
    // removes body-less ones, so this mapping is for completeness.
    run(provider, operation, request, |_| {
        ErrorBody::Raw(bytes::Bytes::new())
    })
    .await
}

async fn run<T, E, D, F>(
    provider: &'static Provider,
    operation: &'static str,
    request: F,
    typed_body: fn(ResponseValue<D>) -> ErrorBody<E>,
) -> Result<ResponseValue<T>, Error<E>>
where
    F: Future<Output = Result<ResponseValue<T>, RawError<D>>>,
    E: std::fmt::Debug + serde::Serialize,
{
    let span = tracing::info_span!(
        "billfold.request",
        provider = provider.id,
        operation,
        attempts = tracing::field::Empty,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let started = Instant::now();
    let (result, meta) = LAST_RESPONSE
        .scope(RefCell::new(None), async {
            let result = request.await;
            let meta = LAST_RESPONSE.with(|slot| slot.borrow_mut().take());
            (result, meta)
        })
        .instrument(span.clone())
        .await;
    let result = match result {
        Ok(value) => Ok(value),
        Err(error) => Err(map_error(provider.name, operation, error, meta, typed_body).await),
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    span.record("duration_ms", duration_ms);
    let status = match &result {
        Ok(value) => Some(value.status()),
        Err(error) => error.status(),
    };
    if let Some(status) = status {
        span.record("status", status.as_u16());
    }
    span.in_scope(|| match &result {
        Ok(_) => tracing::debug!(duration_ms, "succeeded"),
        Err(error) => tracing::debug!(duration_ms, error = %error, "failed"),
    });
    result
}

async fn map_error<E, D>(
    provider: &'static str,
    operation: &'static str,
    error: RawError<D>,
    meta: Option<ResponseMeta>,
    typed_body: fn(ResponseValue<D>) -> ErrorBody<E>,
) -> Error<E> {
    let transport = |source: reqwest::Error| Error::Transport {
        provider,
        operation,
        kind: TransportKind::of(&source),
        source,
    };
    match error {
        RawError::InvalidRequest(message) | RawError::Custom(message) => Error::InvalidRequest {
            provider,
            operation,
            message,
        },
        RawError::CommunicationError(source)
        | RawError::ResponseBodyError(source)
        | RawError::InvalidUpgrade(source) => transport(source),
        RawError::ErrorResponse(value) => Error::Api(ApiError {
            provider,
            operation,
            status: value.status(),
            request_id: request_id(value.headers()),
            body: typed_body(value),
        }),
        RawError::InvalidResponsePayload(body, source) => {
            let status = meta.as_ref().map_or(StatusCode::OK, |m| m.status);
            let request_id = meta.and_then(|m| m.request_id);
            if status.is_success() {
                Error::Decode(DecodeError {
                    provider,
                    operation,
                    status,
                    snippet: snippet(&body),
                    request_id,
                    source,
                })
            } else {
                // A documented error status whose body is not what the spec says: keep it raw.
                Error::Api(ApiError {
                    provider,
                    operation,
                    status,
                    request_id,
                    body: ErrorBody::Raw(body),
                })
            }
        }
        RawError::UnexpectedResponse(response) => {
            let status = response.status();
            let request_id = request_id(response.headers());
            match response.bytes().await {
                Ok(body) => Error::Api(ApiError {
                    provider,
                    operation,
                    status,
                    request_id,
                    body: ErrorBody::Raw(body),
                }),
                Err(source) => transport(source),
            }
        }
    }
}
