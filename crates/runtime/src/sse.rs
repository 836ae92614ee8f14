//! `text/event-stream` responses (server-sent events) as a typed stream of events.
//!
//! The parser follows the WHATWG HTML "event stream" interpretation: lines end in CRLF, LF or
//! CR (also when a CRLF is split across two chunks); a line starting with `:` is a comment;
//! `data:` lines are joined with `\n`; `event:` names the event, `id:` sets the last event id
//! (kept for the events after it), `retry:` takes digits only; a blank line dispatches the
//! event, and an event without data is not dispatched. At the end of the body an event that no
//! blank line ended is discarded, as the standard says.
//!
//! It is written here rather than taken from `eventsource-stream`, the small crate most Rust
//! SSE clients use: that crate buffers an event (and a line) without limit, so one endless
//! line from a server would fill memory. Here each event is bounded
//! ([`EventStream::max_event_bytes`]): passing the bound ends the stream with
//! [`Error::EventTooLarge`], having held at most that many bytes of it.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use progenitor_client::{ByteStream, ResponseValue};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{DecodeError, Error, TransportKind, snippet};
use crate::runtime::Runtime;

/// The largest event an [`EventStream`] holds by default, in bytes (its `data`, `event` and
/// the line being read): 1 MiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 1024 * 1024;

/// One server-sent event, as sent: what an [`EventStream`] yields where the spec gives the
/// events no schema, and what typed events are decoded from.
///
/// ```
/// use billfold_runtime::SseEvent;
/// let event = SseEvent { event: Some("ping".into()), data: "{}".into(), id: None, retry: None };
/// assert_eq!(event.event.as_deref(), Some("ping"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SseEvent {
    /// The `event:` field (`None`: the default type, `message`).
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// The last event id (`id:`) seen so far in the stream, if any.
    pub id: Option<String>,
    /// The reconnection time the server asked for (`retry:`), in milliseconds.
    pub retry: Option<u64>,
}

/// How the events of a stream are read, from the spec (the generator writes one per
/// operation).
///
/// ```
/// use billfold_runtime::EventFormat;
/// let format = EventFormat { envelope: false, sentinel: Some("[DONE]") };
/// assert_eq!(format.sentinel, Some("[DONE]"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventFormat {
    /// The spec's schema describes the whole event (an object with a `data` property and no
    /// properties other than `event`, `data`, `id`, `retry`): each event is decoded from
    /// `{"event": .., "data": <data as JSON>, "id": .., "retry": ..}`. Otherwise the schema
    /// is that of the data alone.
    pub envelope: bool,
    /// A `data` value that ends the stream (such as `[DONE]`), when the spec documents one.
    pub sentinel: Option<&'static str>,
}

/// A server-sent event stream: a [`Stream`] of `Result<T, Error<E>>`, one item per event,
/// each event's data decoded as the spec's schema `T`.
///
/// It ends at the end of the body or at the sentinel the spec documents (`[DONE]`). An event
/// whose data does not match `T` is an [`Error::Decode`] item, and the stream goes on; a body
/// that cannot be read, or an event over [`max_event_bytes`](Self::max_event_bytes), is a last
/// error item. Generated methods of `text/event-stream` operations return one.
///
/// ```no_run
/// use billfold_runtime::{EventFormat, EventStream, Runtime};
/// use futures_core::Stream as _;
/// # async fn run(runtime: &Runtime, response: billfold_runtime::ResponseValue<billfold_runtime::ByteStream>) {
/// let mut events: EventStream<serde_json::Value> =
///     EventStream::new(response, runtime, "chat", EventFormat::default());
/// // With the `futures` crate: `while let Some(event) = events.next().await`.
/// while let Some(event) =
///     std::future::poll_fn(|cx| std::pin::Pin::new(&mut events).poll_next(cx)).await
/// {
///     println!("{event:?}");
/// }
/// # }
/// ```
pub struct EventStream<T, E = ()> {
    body: Option<ByteStream>,
    parser: Parser,
    ready: VecDeque<SseEvent>,
    format: EventFormat,
    decode: fn(SseEvent, bool) -> Result<T, (serde_json::Error, String)>,
    provider: &'static str,
    operation: &'static str,
    status: StatusCode,
    request_id: Option<String>,
    /// The whole body's limit (`max_response_bytes`), for its error.
    body_limit: u64,
    /// An error to give once the events read before it are out.
    pending_error: Option<Error<E>>,
    /// The stream ended (end of body, sentinel, or a final error).
    done: bool,
    _error: PhantomData<fn() -> E>,
}

impl<T, E> std::fmt::Debug for EventStream<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("provider", &self.provider)
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("format", &self.format)
            .field("max_event_bytes", &self.parser.limit)
            .field("done", &self.done)
            .finish()
    }
}

impl<T: DeserializeOwned, E> EventStream<T, E> {
    /// The events of a streamed success response, decoded as `T`.
    pub fn new(
        response: ResponseValue<ByteStream>,
        runtime: &Runtime,
        operation: &'static str,
        format: EventFormat,
    ) -> Self {
        Self::with_decoder(response, runtime, operation, format, decode_json)
    }
}

impl<E> EventStream<SseEvent, E> {
    /// The events of a streamed success response as sent (where the spec gives no schema).
    pub fn raw(
        response: ResponseValue<ByteStream>,
        runtime: &Runtime,
        operation: &'static str,
        format: EventFormat,
    ) -> Self {
        Self::with_decoder(response, runtime, operation, format, |event, _| Ok(event))
    }
}

impl<T, E> EventStream<T, E> {
    fn with_decoder(
        response: ResponseValue<ByteStream>,
        runtime: &Runtime,
        operation: &'static str,
        format: EventFormat,
        decode: fn(SseEvent, bool) -> Result<T, (serde_json::Error, String)>,
    ) -> Self {
        let provider = runtime.provider().name;
        let status = response.status();
        let request_id = crate::call::request_id(response.headers());
        Self {
            body: Some(response.into_inner()),
            parser: Parser::new(DEFAULT_MAX_EVENT_BYTES),
            ready: VecDeque::new(),
            format,
            decode,
            provider,
            operation,
            status,
            request_id,
            body_limit: runtime.max_response_bytes(),
            pending_error: None,
            done: false,
            _error: PhantomData,
        }
    }

    /// Sets the largest event held, in bytes (default [`DEFAULT_MAX_EVENT_BYTES`]): an event
    /// (or a line) that grows past it ends the stream with [`Error::EventTooLarge`].
    pub fn max_event_bytes(mut self, limit: usize) -> Self {
        self.parser.limit = limit;
        self
    }

    /// The status of the response the events come in.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    fn finish(&mut self) {
        self.done = true;
        self.body = None;
        self.ready.clear();
    }

    /// The next complete event as an item, `None` when there is none yet (or the sentinel
    /// ended the stream).
    fn next_ready(&mut self) -> Option<Result<T, Error<E>>> {
        let event = self.ready.pop_front()?;
        if self
            .format
            .sentinel
            .is_some_and(|sentinel| event.data.trim() == sentinel)
        {
            self.finish();
            return None;
        }
        Some(
            (self.decode)(event, self.format.envelope).map_err(|(source, data)| {
                Error::Decode(DecodeError {
                    provider: self.provider,
                    operation: self.operation,
                    status: self.status,
                    snippet: snippet(data.as_bytes()),
                    request_id: self.request_id.clone(),
                    source,
                })
            }),
        )
    }
}

impl<T, E> Unpin for EventStream<T, E> {}

impl<T, E> Stream for EventStream<T, E> {
    type Item = Result<T, Error<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(item) = this.next_ready() {
                return Poll::Ready(Some(item));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(error) = this.pending_error.take() {
                this.finish();
                return Poll::Ready(Some(Err(error)));
            }
            let Some(body) = this.body.as_mut() else {
                this.finish();
                return Poll::Ready(None);
            };
            let chunk: Option<reqwest::Result<Bytes>> = match body.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(chunk) => chunk,
            };
            match chunk {
                // The end of the body: an event no blank line ended is discarded.
                None => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Some(Err(source)) => {
                    this.finish();
                    let error = if crate::call::over_limit(&source) {
                        Error::ResponseTooLarge {
                            provider: this.provider,
                            operation: this.operation,
                            status: this.status,
                            limit: this.body_limit,
                        }
                    } else {
                        Error::Transport {
                            provider: this.provider,
                            operation: this.operation,
                            kind: TransportKind::of(&source),
                            source: source.without_url(),
                        }
                    };
                    return Poll::Ready(Some(Err(error)));
                }
                Some(Ok(bytes)) => {
                    if let Err(limit) = this.parser.feed(&bytes, &mut this.ready) {
                        // The events completed before it go out first; nothing more is read.
                        this.body = None;
                        this.parser = Parser::new(0);
                        this.pending_error = Some(Error::EventTooLarge {
                            provider: this.provider,
                            operation: this.operation,
                            limit,
                        });
                    }
                }
            }
        }
    }
}

/// Decodes an event's data as `T`: as JSON, else as a JSON string (a schema of `type: string`
/// over plain-text data); in an envelope, the whole event as an object.
fn decode_json<T: DeserializeOwned>(
    event: SseEvent,
    envelope: bool,
) -> Result<T, (serde_json::Error, String)> {
    let attempt = |data: serde_json::Value| -> Result<T, serde_json::Error> {
        if envelope {
            let mut object = serde_json::Map::new();
            if let Some(name) = &event.event {
                object.insert("event".to_owned(), name.clone().into());
            }
            object.insert("data".to_owned(), data);
            if let Some(id) = &event.id {
                object.insert("id".to_owned(), id.clone().into());
            }
            if let Some(retry) = event.retry {
                object.insert("retry".to_owned(), retry.into());
            }
            serde_json::from_value(serde_json::Value::Object(object))
        } else {
            serde_json::from_value(data)
        }
    };
    let first = serde_json::from_str::<serde_json::Value>(&event.data).and_then(&attempt);
    match first {
        Ok(value) => Ok(value),
        Err(error) => attempt(serde_json::Value::String(event.data.clone()))
            .map_err(|_| (error, event.data.clone())),
    }
}

/// The incremental event-stream parser: bytes in, complete events out, holding at most
/// `limit` bytes of one event.
#[derive(Debug)]
struct Parser {
    limit: usize,
    /// The line being read (no terminator yet).
    line: Vec<u8>,
    /// The last chunk ended in CR: an LF first in the next one belongs to it.
    after_cr: bool,
    /// A byte-order mark may still come (nothing read yet).
    at_start: bool,
    data: String,
    event: String,
    last_id: Option<String>,
    retry: Option<u64>,
}

impl Parser {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            data: String::new(),
            event: String::new(),
            last_id: None,
            retry: None,
        }
    }

    fn held(&self) -> usize {
        self.line.len() + self.data.len() + self.event.len()
    }

    /// Reads `bytes`, pushing each event a blank line completes; `Err(limit)` when the event
    /// being read passes the limit.
    fn feed(&mut self, mut bytes: &[u8], out: &mut VecDeque<SseEvent>) -> Result<(), usize> {
        if self.at_start && !bytes.is_empty() {
            // A UTF-8 byte-order mark may open the stream (possibly split: rare enough to
            // ignore a split one).
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            self.at_start = false;
        }
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while let Some(end) = bytes.iter().position(|b| *b == b'\n' || *b == b'\r') {
            self.line.extend_from_slice(&bytes[..end]);
            if self.held() > self.limit {
                return Err(self.limit);
            }
            let line = std::mem::take(&mut self.line);
            self.line_done(&line, out);
            if self.held() > self.limit {
                return Err(self.limit);
            }
            let terminator = bytes[end];
            bytes = &bytes[end + 1..];
            if terminator == b'\r' {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.line.extend_from_slice(bytes);
        if self.held() > self.limit {
            return Err(self.limit);
        }
        Ok(())
    }

    fn line_done(&mut self, line: &[u8], out: &mut VecDeque<SseEvent>) {
        let line = String::from_utf8_lossy(line);
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry = value.parse().ok();
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut VecDeque<SseEvent>) {
        let event = std::mem::take(&mut self.event);
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        out.push_back(SseEvent {
            event: (!event.is_empty()).then_some(event),
            data,
            id: self.last_id.clone(),
            retry: self.retry.take(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runtime;

    fn parse(chunks: &[&[u8]], limit: usize) -> (Vec<SseEvent>, Result<(), usize>) {
        let mut parser = Parser::new(limit);
        let mut out = VecDeque::new();
        for chunk in chunks {
            if let Err(limit) = parser.feed(chunk, &mut out) {
                return (out.into(), Err(limit));
            }
        }
        (out.into(), Ok(()))
    }

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn data_lines_are_joined_and_fields_read() {
        let (events, ok) = parse(
            &[b"event: delta\nid: 7\nretry: 1500\ndata: one\ndata:two\ndata\n\n"],
            1024,
        );
        assert_eq!(ok, Ok(()));
        assert_eq!(
            events,
            [SseEvent {
                event: Some("delta".into()),
                data: "one\ntwo\n".into(),
                id: Some("7".into()),
                retry: Some(1500),
            }]
        );
    }

    #[test]
    fn comments_and_unknown_fields_are_ignored_and_empty_events_not_sent() {
        let (events, _) = parse(
            &[b": keep-alive\n\nfoo: bar\nevent: x\n\ndata: a\n: note\n\n"],
            1024,
        );
        // The `event: x` block has no data: not dispatched, and its type does not leak.
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, None);
        assert_eq!(events[0].data, "a");
    }

    #[test]
    fn crlf_cr_and_lf_all_end_lines_even_split_across_chunks() {
        let (events, _) = parse(
            &[
                b"data: a\r\n\r\ndata: b\r",
                b"\n\r",
                b"\ndata: c\r\rdata: d\n\n",
            ],
            1024,
        );
        assert_eq!(data(&events), ["a", "b", "c", "d"]);
    }

    #[test]
    fn an_event_split_across_chunks_is_whole() {
        let (events, _) = parse(
            &[b"da", b"ta: {\"x\"", b":1}\n", b"\n", b"data: 2\n\n"],
            1024,
        );
        assert_eq!(data(&events), ["{\"x\":1}", "2"]);
        let (events, _) = parse(&[b"\xEF\xBB\xBFdata: bom\n\n"], 1024);
        assert_eq!(data(&events), ["bom"]);
    }

    #[test]
    fn the_id_is_kept_for_later_events() {
        let (events, _) = parse(&[b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"], 1024);
        let ids: Vec<Option<&str>> = events.iter().map(|e| e.id.as_deref()).collect();
        assert_eq!(ids, [Some("1"), Some("1"), Some("")]);
    }

    #[test]
    fn an_oversized_event_or_endless_line_is_an_error_not_memory() {
        let big = vec![b'x'; 100];
        let (events, result) = parse(&[b"data: ok\n\ndata: ", &big, b"\n\n"], 64);
        assert_eq!(data(&events), ["ok"]);
        assert_eq!(result, Err(64));
        // Many small data lines add up too.
        let lines = b"data: 0123456789\n".repeat(10);
        let (_, result) = parse(&[&lines], 64);
        assert_eq!(result, Err(64));
        // A line with no end at all.
        let mut parser = Parser::new(64);
        let mut out = VecDeque::new();
        let mut failed = false;
        for _ in 0..100 {
            if parser.feed(b"xxxxxxxx", &mut out).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
        assert!(parser.line.len() <= 64 + 8);
    }

    fn response(chunks: Vec<&'static [u8]>) -> ResponseValue<ByteStream> {
        let stream = Chunks(chunks.into_iter().map(Bytes::from_static).collect());
        ResponseValue::new(
            ByteStream::new(Box::pin(stream)),
            StatusCode::OK,
            Default::default(),
        )
    }

    struct Chunks(VecDeque<Bytes>);

    impl Stream for Chunks {
        type Item = reqwest::Result<Bytes>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(self.0.pop_front().map(Ok))
        }
    }

    async fn collect<T, E>(mut stream: EventStream<T, E>) -> Vec<Result<T, Error<E>>> {
        let mut out = Vec::new();
        while let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await
        {
            out.push(item);
        }
        out
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Chunk {
        n: u32,
    }

    #[tokio::test]
    async fn typed_events_end_at_the_sentinel() {
        let body = response(vec![
            b"data: {\"n\": 1}\n\n",
            b"data: {\"n\"",
            b": 2}\n\ndata: [DONE]\n\ndata: {\"n\": 3}\n\n",
        ]);
        let format = EventFormat {
            envelope: false,
            sentinel: Some("[DONE]"),
        };
        let items = collect(EventStream::<Chunk>::new(body, &runtime(), "op", format)).await;
        let items: Vec<Chunk> = items.into_iter().map(Result::unwrap).collect();
        assert_eq!(items, [Chunk { n: 1 }, Chunk { n: 2 }]);
    }

    #[tokio::test]
    async fn without_a_sentinel_the_stream_ends_with_the_body_and_bad_data_is_an_item() {
        let body = response(vec![
            b"data: {\"n\": 1}\n\ndata: [DONE]\n\ndata: {\"n\": 3}\n\n",
        ]);
        let items = collect(EventStream::<Chunk>::new(
            body,
            &runtime(),
            "op",
            EventFormat::default(),
        ))
        .await;
        assert_eq!(items.len(), 3);
        assert!(matches!(&items[1], Err(Error::Decode(d)) if d.snippet == "[DONE]"));
        assert_eq!(items[2].as_ref().unwrap(), &Chunk { n: 3 });
        // An unfinished event at the end of the body is not delivered.
        let body = response(vec![b"data: {\"n\": 1}\n\ndata: {\"n\": 2}"]);
        let items = collect(EventStream::<Chunk, ()>::new(
            body,
            &runtime(),
            "op",
            EventFormat::default(),
        ))
        .await;
        assert_eq!(items.len(), 1);
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Envelope {
        event: Option<String>,
        data: Chunk,
    }

    #[tokio::test]
    async fn an_envelope_schema_gets_the_event_name_and_data_and_strings_decode() {
        let body = response(vec![b"event: tick\ndata: {\"n\": 5}\n\n"]);
        let format = EventFormat {
            envelope: true,
            sentinel: None,
        };
        let items = collect(EventStream::<Envelope>::new(body, &runtime(), "op", format)).await;
        assert_eq!(
            items[0].as_ref().unwrap(),
            &Envelope {
                event: Some("tick".into()),
                data: Chunk { n: 5 }
            }
        );
        // Plain text data, schema `type: string`.
        let body = response(vec![b"data: hello world\n\n"]);
        let items = collect(EventStream::<String>::new(
            body,
            &runtime(),
            "op",
            EventFormat::default(),
        ))
        .await;
        assert_eq!(items[0].as_ref().unwrap(), "hello world");
        // No schema: the raw events.
        let body = response(vec![b"event: e\ndata: x\n\n"]);
        let items = collect(EventStream::<SseEvent>::raw(
            body,
            &runtime(),
            "op",
            EventFormat::default(),
        ))
        .await;
        assert_eq!(items[0].as_ref().unwrap().event.as_deref(), Some("e"));
    }

    #[tokio::test]
    async fn an_oversized_event_ends_the_stream_with_an_error() {
        let body = response(vec![b"data: {\"n\": 1}\n\ndata: ", &[b'x'; 200], b"\n\n"]);
        let items = collect(
            EventStream::<Chunk>::new(body, &runtime(), "op", EventFormat::default())
                .max_event_bytes(64),
        )
        .await;
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        assert!(matches!(
            items[1],
            Err(Error::EventTooLarge { limit: 64, .. })
        ));
    }
}
