//! Reading a success body that is not JSON (an image, a PDF, CSV, plain text): the generated
//! method returns it as a stream, so a large file need not sit in memory; this reads it whole.

use bytes::{Bytes, BytesMut};
use progenitor_client::{ByteStream, ResponseValue};

/// Reads the whole body of a streamed response (`ResponseValue<ByteStream>`, what a generated
/// method returns for `image/png`, `application/pdf`, `text/csv`, `application/octet-stream`
/// and other non-JSON success bodies). The client's `max_response_bytes` still applies: a body
/// over it ends in an error instead of filling memory.
///
/// ```no_run
/// # async fn example(response: billfold_runtime::ResponseValue<billfold_runtime::ByteStream>)
/// # -> Result<(), reqwest::Error> {
/// let pdf = billfold_runtime::read_body(response).await?;
/// std::fs::write("invoice.pdf", &pdf).ok();
/// # Ok(())
/// # }
/// ```
pub async fn read_body(response: ResponseValue<ByteStream>) -> Result<Bytes, reqwest::Error> {
    let mut stream = response.into_inner().into_inner();
    let mut body = BytesMut::new();
    while let Some(chunk) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        body.extend_from_slice(&chunk?);
    }
    Ok(body.freeze())
}
