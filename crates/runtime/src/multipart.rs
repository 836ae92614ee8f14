//! `multipart/form-data` request bodies (file uploads), which progenitor does not generate.
//!
//! The generator takes such a body out of progenitor's view; the operation's method takes a
//! [`Multipart`] instead, and each attempt of the call sends it, encoded here (RFC 7578). It is
//! encoded from parts held in memory rather than with reqwest's streaming `multipart::Form`,
//! which cannot be sent twice: a retried upload must send the same bytes again.

use std::cell::RefCell;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

/// A `multipart/form-data` body: named text fields and files.
///
/// ```
/// use billfold_runtime::Multipart;
/// let form = Multipart::new()
///     .text("purpose", "assistants")
///     .file("file", "notes.txt", "text/plain", b"hello".to_vec());
/// let (content_type, body) = form.encode();
/// assert!(content_type.starts_with("multipart/form-data; boundary="));
/// assert!(String::from_utf8_lossy(&body).contains("name=\"purpose\"\r\n\r\nassistants\r\n"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Multipart {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

impl Multipart {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file_name: None,
            content_type: None,
            data: Bytes::from(value.into()),
        });
        self
    }

    /// Adds a file: its field name, file name, media type and contents.
    pub fn file(
        mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file_name: Some(file_name.into()),
            content_type: Some(content_type.into()),
            data: data.into(),
        });
        self
    }

    /// The `Content-Type` (with its boundary) and the encoded body.
    pub fn encode(&self) -> (String, Bytes) {
        let boundary = self.boundary();
        let mut body = Vec::new();
        for part in &self.parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let mut disposition = format!("form-data; name=\"{}\"", quote(&part.name));
            if let Some(file_name) = &part.file_name {
                disposition.push_str(&format!("; filename=\"{}\"", quote(file_name)));
            }
            body.extend_from_slice(format!("Content-Disposition: {disposition}\r\n").as_bytes());
            if let Some(content_type) = &part.content_type {
                body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
            }
            body.extend_from_slice(b"\r\n");
            body.extend_from_slice(&part.data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (
            format!("multipart/form-data; boundary={boundary}"),
            Bytes::from(body),
        )
    }

    /// A boundary that occurs in no part (deterministic, so a retry sends the same bytes).
    fn boundary(&self) -> String {
        (0u32..)
            .map(|n| format!("billfold-boundary-{n:08x}"))
            .find(|candidate| {
                !self.parts.iter().any(|part| {
                    part.data
                        .windows(candidate.len())
                        .any(|w| w == candidate.as_bytes())
                })
            })
            .unwrap_or_default()
    }
}

/// Escapes a name for a quoted header parameter (quotes and line breaks cannot appear raw).
fn quote(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\r', '\n'], " ")
}

tokio::task_local! {
    /// The body the request being prepared carries, set around each attempt of a call.
    static OUTGOING: RefCell<Option<(HeaderValue, Bytes)>>;
}

/// Runs `future` (one attempt of a generated method) with `form` as the body of the request it
/// prepares. Generated clients wrap the raw call of a multipart operation in this.
pub async fn with_multipart<F: std::future::Future>(form: &Multipart, future: F) -> F::Output {
    let (content_type, body) = form.encode();
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("multipart/form-data"));
    OUTGOING
        .scope(RefCell::new(Some((content_type, body))), future)
        .await
}

/// Puts the body set by [`with_multipart`], if any, on the request.
pub(crate) fn attach(request: &mut reqwest::Request) {
    let _ = OUTGOING.try_with(|slot| {
        if let Some((content_type, body)) = slot.borrow().clone() {
            request.headers_mut().insert(CONTENT_TYPE, content_type);
            *request.body_mut() = Some(body.into());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::runtime;

    /// A request prepared inside an attempt of a multipart call carries the form, with the
    /// credential; one prepared outside it carries no body.
    #[tokio::test]
    async fn the_form_goes_on_the_request_each_attempt_prepares() {
        let runtime = runtime();
        let form = Multipart::new().file("file", "a.txt", "text/plain", b"hi".to_vec());
        let http = reqwest::Client::new();
        let prepare = || async {
            let mut request = reqwest::Request::new(
                reqwest::Method::POST,
                "http://127.0.0.1:9/upload".parse().unwrap(),
            );
            runtime
                .prepare(&http, &mut request, "upload")
                .await
                .unwrap();
            request
        };
        let inside = with_multipart(&form, prepare()).await;
        let (content_type, body) = form.encode();
        assert_eq!(inside.headers()[CONTENT_TYPE], content_type.as_str());
        assert_eq!(inside.headers()["authorization"], "Bearer k");
        let sent = inside.body().and_then(|b| b.as_bytes()).unwrap();
        assert_eq!(sent, &body[..]);
        let outside = prepare().await;
        assert!(outside.body().is_none());
        assert!(outside.headers().get(CONTENT_TYPE).is_none());
    }

    #[test]
    fn encodes_fields_and_files_with_a_boundary_not_in_the_data() {
        let tricky = b"--billfold-boundary-00000000 inside".to_vec();
        let form = Multipart::new().text("a\"b", "1").file(
            "f",
            "x.bin",
            "application/octet-stream",
            tricky,
        );
        let (content_type, body) = form.encode();
        assert_eq!(
            content_type,
            "multipart/form-data; boundary=billfold-boundary-00000001"
        );
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("--billfold-boundary-00000001\r\nContent-Disposition: form-data; name=\"a\\\"b\"\r\n\r\n1\r\n"));
        assert!(text.contains("filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n--billfold-boundary-00000000 inside\r\n"));
        assert!(text.ends_with("--billfold-boundary-00000001--\r\n"));
        assert_eq!(
            form.encode(),
            (content_type, body),
            "the same bytes every time"
        );
    }
}
