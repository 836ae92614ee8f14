//! Turning what a progenitor-generated method returns into [`Error`].

use std::cell::RefCell;
use std::future::Future;
use std::time::{Duration, Instant};

use tracing::Instrument;

use progenitor_client::{Error as RawError, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, LOCATION};

use crate::error::{ApiError, DecodeError, Error, ErrorBody, TransportKind, snippet};
use crate::retry::{RetryPolicy, is_retryable_status, retry_after_body, retry_after_header};
use crate::runtime::Runtime;

/// Headers providers use for a request id, most common first (parsed once, not per lookup).
const REQUEST_ID_HEADERS: [HeaderName; 5] = [
    HeaderName::from_static("x-request-id"),
    HeaderName::from_static("request-id"),
    HeaderName::from_static("x-amzn-requestid"),
    HeaderName::from_static("x-amz-request-id"),
    HeaderName::from_static("cf-ray"),
];

/// What the last response of a call looked like; progenitor's errors drop the status of a body
/// that failed to decode, so [`Runtime::execute`](crate::Runtime::execute) records it here.
#[derive(Clone, Debug)]
struct ResponseMeta {
    status: StatusCode,
    request_id: Option<String>,
    retry_after: Option<Duration>,
}

tokio::task_local! {
    static LAST_RESPONSE: RefCell<Option<ResponseMeta>>;
}

/// Records a response's status and request id for the [`call`] in progress, if any.
pub(crate) fn record_response(response: &reqwest::Response) {
    let status = response.status();
    let meta = ResponseMeta {
        status,
        request_id: request_id(response.headers()),
        // Only an error status can lead to a retry.
        retry_after: if status.is_success() {
            None
        } else {
            retry_after_header(response.headers())
        },
    };
    // Outside a `call` (a raw client used directly) there is nothing to record into.
    let _ = LAST_RESPONSE.try_with(|slot| *slot.borrow_mut() = Some(meta));
}

pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    // One pass over the (few) response headers is cheaper than a hashed lookup per candidate;
    // this runs on every response.
    let (_, value) = headers
        .iter()
        .filter_map(|(name, value)| {
            let rank = REQUEST_ID_HEADERS
                .iter()
                .position(|candidate| candidate == name)?;
            Some((rank, value))
        })
        .min_by_key(|(rank, _)| *rank)?;
    value.to_str().ok().map(str::to_owned)
}

/// Runs one generated operation: sends it (again, as the client's [`RetryPolicy`] allows) and
/// maps the outcome into [`Error`]. `request` makes the progenitor future for one attempt;
/// `idempotent` says whether the operation may be retried without the caller opting in.
///
/// Generated clients wrap every progenitor method in this; application code does not call it.
pub async fn call<T, E, F>(
    runtime: &Runtime,
    operation: &'static str,
    idempotent: bool,
    request: impl FnMut() -> F,
) -> Result<ResponseValue<T>, Error<E>>
where
    F: Future<Output = Result<ResponseValue<T>, RawError<E>>>,
    E: std::fmt::Debug + serde::Serialize,
{
    run(
        runtime,
        operation,
        idempotent,
        request,
        |value| ErrorBody::Typed(value.into_inner()),
        None,
    )
    .await
}

/// [`call`] for an operation whose spec declares no error body, in a client whose error type
/// has one (other operations declare it): its error responses keep their raw body.
///
/// Generated clients use this; application code does not call it.
pub async fn call_without_error_body<T, E, F>(
    runtime: &Runtime,
    operation: &'static str,
    idempotent: bool,
    request: impl FnMut() -> F,
) -> Result<ResponseValue<T>, Error<E>>
where
    F: Future<Output = Result<ResponseValue<T>, RawError<()>>>,
    E: std::fmt::Debug + serde::Serialize,
{
    // progenitor only makes `ErrorResponse` for documented error statuses, and the xtask
    // removes body-less ones, so this mapping is for completeness.
    run(
        runtime,
        operation,
        idempotent,
        request,
        |_| ErrorBody::Raw(bytes::Bytes::new()),
        None,
    )
    .await
}

/// Types an error body by its status (`None`: keep it raw); generated per operation.
type DecodeErrorBody<E> = fn(u16, &[u8]) -> Option<E>;

/// [`call`] for an operation whose error bodies differ by status: the generator took them out
/// of progenitor's view, and `decode` types a body by its status (`None`: kept raw).
///
/// Generated clients use this; application code does not call it.
pub async fn call_decoding_errors<T, E, F>(
    runtime: &Runtime,
    operation: &'static str,
    idempotent: bool,
    request: impl FnMut() -> F,
    decode: DecodeErrorBody<E>,
) -> Result<ResponseValue<T>, Error<E>>
where
    F: Future<Output = Result<ResponseValue<T>, RawError<()>>>,
    E: std::fmt::Debug + serde::Serialize,
{
    run(
        runtime,
        operation,
        idempotent,
        request,
        |_| ErrorBody::Raw(bytes::Bytes::new()),
        Some(decode),
    )
    .await
}

/// The typed part of a call, one instance per operation: the attempts and the mapping of their
/// outcome. What does not depend on the operation's types (the span, the retry decision, the
/// logs) lives in [`Retries`], compiled once for every operation.
async fn run<T, E, D, F>(
    runtime: &Runtime,
    operation: &'static str,
    idempotent: bool,
    mut request: impl FnMut() -> F,
    typed_body: fn(ResponseValue<D>) -> ErrorBody<E>,
    decode: Option<DecodeErrorBody<E>>,
) -> Result<ResponseValue<T>, Error<E>>
where
    F: Future<Output = Result<ResponseValue<T>, RawError<D>>>,
    E: std::fmt::Debug + serde::Serialize,
{
    let mut retries = Retries::start(runtime, operation, idempotent);
    loop {
        // Boxed, so that the (large) progenitor future is not copied through every layer.
        let future = Box::pin(request());
        let (outcome, meta) = LAST_RESPONSE
            .scope(RefCell::new(None), async {
                let outcome = future.await;
                let meta = LAST_RESPONSE.with(|slot| slot.borrow_mut().take());
                (outcome, meta)
            })
            .instrument(retries.span.clone())
            .await;
        retries.attempt_finished(meta.as_ref().map(|m| m.status), outcome.is_ok());
        let error = match outcome {
            Ok(value) => {
                retries.finish(Some(value.status()), None);
                return Ok(value);
            }
            Err(raw) => {
                map_error(
                    retries.provider,
                    operation,
                    raw,
                    meta,
                    runtime.max_response_bytes(),
                    typed_body,
                    decode,
                )
                .await
            }
        };
        match retries.delay(Failure::of(&error), &error) {
            Some(delay) => tokio::time::sleep(delay).await,
            None => {
                retries.finish(error.status(), Some(&error));
                return Err(error);
            }
        }
    }
}

/// The kinds of failure the retry rules tell apart, whatever the operation's types.
#[derive(Clone, Copy)]
enum Failure {
    /// An error status, with the wait the server asked for.
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    /// The connection failed.
    Connect,
    /// Anything else: never retried.
    Other,
}

impl Failure {
    fn of<E>(error: &Error<E>) -> Failure {
        match error {
            Error::Api(api) => Failure::Status {
                status: api.status,
                retry_after: api.retry_after,
            },
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            } => Failure::Connect,
            _ => Failure::Other,
        }
    }
}

/// One call's retry state: its span, its attempts so far and the policy that decides whether
/// to try again, with the call's logs.
struct Retries<'r> {
    provider: &'static str,
    policy: &'r RetryPolicy,
    may_retry: bool,
    span: tracing::Span,
    started: Instant,
    attempts: u32,
}

impl<'r> Retries<'r> {
    fn start(runtime: &'r Runtime, operation: &'static str, idempotent: bool) -> Self {
        let provider = runtime.provider();
        let policy = runtime.retry_policy();
        let span = tracing::info_span!(
            "billfold.request",
            provider = provider.id,
            operation,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        Retries {
            provider: provider.name,
            policy,
            may_retry: policy.allows_retry(idempotent),
            span,
            started: Instant::now(),
            attempts: 0,
        }
    }

    /// Counts an attempt that received a response with `status` (`None`: none came).
    fn attempt_finished(&mut self, status: Option<StatusCode>, ok: bool) {
        self.attempts += 1;
        let attempt = self.attempts;
        let status = status.map(|s| s.as_u16());
        self.span
            .in_scope(|| tracing::debug!(attempt, status, ok, "attempt finished"));
    }

    /// How long to wait before the next attempt after `failure` (shown as `error`), or `None`
    /// to give up.
    fn delay(&self, failure: Failure, error: &dyn std::fmt::Display) -> Option<Duration> {
        let attempt = self.attempts;
        let retries_left = self.may_retry && attempt <= self.policy.max_retries;
        let delay = retry_delay(failure, self.policy, attempt).filter(|_| retries_left)?;
        self.span.in_scope(|| {
            tracing::info!(
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %error,
                "retrying"
            )
        });
        Some(delay)
    }

    /// Records the call's outcome on its span: the attempts, the duration and the status.
    fn finish(&self, status: Option<StatusCode>, error: Option<&dyn std::fmt::Display>) {
        let attempt = self.attempts;
        let duration_ms = self.started.elapsed().as_millis() as u64;
        self.span.record("attempts", attempt);
        self.span.record("duration_ms", duration_ms);
        if let Some(status) = status {
            self.span.record("status", status.as_u16());
        }
        self.span.in_scope(|| match error {
            None => tracing::debug!(attempt, duration_ms, "succeeded"),
            Some(error) => tracing::debug!(attempt, duration_ms, error = %error, "failed"),
        });
    }
}

/// How long to wait before retrying after `failure`, or `None` when it is not worth retrying:
/// retryable statuses wait what the server asks (up to `max_retry_wait`, beyond which there is
/// no retry) or the backoff; connection failures wait the backoff; timeouts are not retried
/// (the timeout bounds what the caller waits).
fn retry_delay(failure: Failure, policy: &RetryPolicy, attempt: u32) -> Option<Duration> {
    match failure {
        Failure::Status {
            status,
            retry_after,
        } if is_retryable_status(status) => match retry_after {
            Some(asked) if asked > policy.max_retry_wait => {
                tracing::info!(
                    attempt,
                    asked_ms = asked.as_millis() as u64,
                    "the server asks to wait longer than max_retry_wait; not retrying"
                );
                None
            }
            Some(asked) => Some(asked),
            None => Some(policy.backoff(attempt)),
        },
        Failure::Connect => Some(policy.backoff(attempt)),
        Failure::Status { .. } | Failure::Other => None,
    }
}

async fn map_error<E: serde::Serialize, D>(
    provider: &'static str,
    operation: &'static str,
    error: RawError<D>,
    meta: Option<ResponseMeta>,
    limit: u64,
    typed_body: fn(ResponseValue<D>) -> ErrorBody<E>,
    decode: Option<DecodeErrorBody<E>>,
) -> Error<E> {
    let status = meta.as_ref().map_or(StatusCode::OK, |m| m.status);
    let transport = |source: reqwest::Error, status: StatusCode| {
        if over_limit(&source) {
            return Error::ResponseTooLarge {
                provider,
                operation,
                status,
                limit,
            };
        }
        Error::Transport {
            provider,
            operation,
            kind: TransportKind::of(&source),
            // The URL may carry a query-string credential: errors never show it.
            source: source.without_url(),
        }
    };
    let api = |status, request_id, asked: Option<Duration>, body: ErrorBody<E>| {
        // The server's wait: the Retry-After header, else a JSON `retry_after` field (Olostep).
        let retry_after = asked.or_else(|| match &body {
            ErrorBody::Raw(raw) => retry_after_body(raw),
            ErrorBody::Typed(typed) => serde_json::to_vec(typed)
                .ok()
                .and_then(|json| retry_after_body(&json)),
        });
        Error::Api(ApiError {
            provider,
            operation,
            status,
            body,
            request_id,
            retry_after,
        })
    };
    match error {
        RawError::InvalidRequest(message) | RawError::Custom(message) => Error::InvalidRequest {
            provider,
            operation,
            message,
        },
        RawError::CommunicationError(source)
        | RawError::ResponseBodyError(source)
        | RawError::InvalidUpgrade(source) => transport(source, status),
        RawError::ErrorResponse(value) => {
            let status = value.status();
            let request_id = request_id(value.headers());
            let asked = retry_after_header(value.headers());
            api(status, request_id, asked, typed_body(value))
        }
        RawError::InvalidResponsePayload(body, source) => {
            let meta = meta.unwrap_or(ResponseMeta {
                status: StatusCode::OK,
                request_id: None,
                retry_after: None,
            });
            if meta.status.is_success() {
                Error::Decode(DecodeError {
                    provider,
                    operation,
                    status: meta.status,
                    snippet: snippet(&body),
                    request_id: meta.request_id,
                    source,
                })
            } else {
                // A documented error status whose body is not what the spec says: keep it raw.
                api(
                    meta.status,
                    meta.request_id,
                    meta.retry_after,
                    ErrorBody::Raw(body),
                )
            }
        }
        RawError::UnexpectedResponse(response) if response.status().is_redirection() => {
            // A redirect the client's policy did not follow (see `http_client`).
            Error::Redirect {
                provider,
                operation,
                status: response.status(),
                location: response
                    .headers()
                    .get(LOCATION)
                    .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
            }
        }
        RawError::UnexpectedResponse(response) => {
            let status = response.status();
            let request_id = request_id(response.headers());
            let asked = retry_after_header(response.headers());
            match response.bytes().await {
                Ok(body) => {
                    let typed = decode.and_then(|decode| decode(status.as_u16(), &body));
                    let body = match typed {
                        Some(typed) => ErrorBody::Typed(typed),
                        None => ErrorBody::Raw(body),
                    };
                    api(status, request_id, asked, body)
                }
                Err(source) => transport(source, status),
            }
        }
    }
}

/// Whether reading a body failed because it passed the size limit set in
/// [`Runtime::execute`](crate::Runtime::execute).
pub(crate) fn over_limit(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runtime;

    #[derive(Debug, PartialEq, serde::Serialize)]
    enum ByStatus {
        Payment(serde_json::Value),
    }

    fn decode(status: u16, body: &[u8]) -> Option<ByStatus> {
        (status == 402)
            .then(|| serde_json::from_slice(body).ok().map(ByStatus::Payment))
            .flatten()
    }

    fn response(status: u16, body: &'static str) -> reqwest::Response {
        http::Response::builder()
            .status(status)
            .body(body)
            .unwrap()
            .into()
    }

    /// An error status whose body the generated decoder knows comes back typed; another one
    /// stays raw.
    #[tokio::test]
    async fn error_bodies_are_typed_by_status() {
        let runtime = runtime();
        let typed: Result<ResponseValue<()>, Error<ByStatus>> = call_decoding_errors(
            &runtime,
            "op",
            true,
            || async {
                Err(RawError::UnexpectedResponse(response(
                    402,
                    r#"{"need": 5}"#,
                )))
            },
            decode,
        )
        .await;
        match typed {
            Err(Error::Api(api)) => {
                assert_eq!(api.status, 402);
                assert_eq!(
                    api.body.typed(),
                    Some(&ByStatus::Payment(serde_json::json!({"need": 5})))
                );
            }
            other => panic!("{other:?}"),
        }
        let raw: Result<ResponseValue<()>, Error<ByStatus>> = call_decoding_errors(
            &runtime,
            "op",
            true,
            || async { Err(RawError::UnexpectedResponse(response(409, "conflict"))) },
            decode,
        )
        .await;
        match raw {
            Err(Error::Api(api)) => {
                assert!(matches!(&api.body, ErrorBody::Raw(b) if &b[..] == b"conflict"));
            }
            other => panic!("{other:?}"),
        }
    }
}
