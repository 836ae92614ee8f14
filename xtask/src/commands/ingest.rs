//! `cargo xtask ingest`: pulling a spec out of a saved docs page.

/// Extracts the spec text from a docs page: the contents of the first ```` ```yaml ```` or
/// ```` ```json ```` fence (any number of backticks, three or more) that holds an OpenAPI
/// document, byte for byte; or the whole file when it is itself a YAML/JSON spec.
pub fn extract_spec(page: &str) -> Result<String, String> {
    let fences = fenced_blocks(page);
    let spec_fences: Vec<&String> = fences
        .iter()
        .filter(|(lang, _)| lang == "yaml" || lang == "yml" || lang == "json")
        .map(|(_, body)| body)
        .collect();
    for body in &spec_fences {
        if is_openapi_document(body) {
            return Ok((*body).clone());
        }
    }
    if is_openapi_document(page) {
        return Ok(page.to_owned());
    }
    if spec_fences.is_empty() {
        Err(
            "no ```yaml or ```json fence found, and the file itself is not an OpenAPI document \
             (no top-level `openapi` or `swagger` key)"
                .to_owned(),
        )
    } else {
        Err(format!(
            "found {} ```yaml/```json fence(s), but none holds an OpenAPI document \
             (a mapping with a top-level `openapi` or `swagger` key)",
            spec_fences.len()
        ))
    }
}

/// The URL a docs page's spec fence names after its language (```` ```yaml https://host/openapi.json get /x ````),
/// when it names an absolute http(s) one: where the whole published spec lives.
pub fn fence_url(page: &str) -> Option<String> {
    page.lines().find_map(|line| {
        let ticks = line.chars().take_while(|&c| c == '`').count();
        if ticks < 3 {
            return None;
        }
        let mut words = line[ticks..].split_whitespace();
        let lang = words.next()?.to_ascii_lowercase();
        let url = words.next()?;
        (matches!(lang.as_str(), "yaml" | "yml" | "json")
            && (url.starts_with("https://") || url.starts_with("http://")))
        .then(|| url.to_owned())
    })
}

/// Largest document downloaded (the same limit as for files).
const MAX_DOWNLOAD: usize = crate::pipeline::MAX_DOCUMENT_BYTES as usize;

/// Downloads `url` (http or https; redirects followed, 30 s timeout, at most 16 MiB) as text.
pub fn download(url: &str) -> Result<String, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the HTTP runtime: {e}"))?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("billfold-xtask/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        let mut response = client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("GET {url}: HTTP {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("GET {url}: reading the body: {e}"))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_DOWNLOAD {
                return Err(format!(
                    "GET {url}: the document is over the {} MiB limit",
                    MAX_DOWNLOAD / (1024 * 1024)
                ));
            }
        }
        String::from_utf8(body).map_err(|e| format!("GET {url}: not UTF-8 text: {e}"))
    })
}

/// Whether text parses as a mapping with an `openapi` or `swagger` key.
fn is_openapi_document(text: &str) -> bool {
    crate::pipeline::document::parse(text)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .is_some_and(|o| o.contains_key("openapi") || o.contains_key("swagger"))
}

/// Every fenced block: (language, exact contents including each line's newline).
fn fenced_blocks(page: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    for line in page.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        let ticks = bare.chars().take_while(|&c| c == '`').count();
        match &mut open {
            None if ticks >= 3 => {
                let lang = bare[ticks..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                open = Some((ticks, lang, String::new()));
            }
            None => {}
            Some((opening, _, _)) if ticks >= *opening && bare[ticks..].trim().is_empty() => {
                let (_, lang, body) = open.take().unwrap_or_default();
                blocks.push((lang, body));
            }
            Some((_, _, body)) => body.push_str(line),
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_first_spec_fence_byte_for_byte() {
        let page = "# Title\n```json\n{\"a\": 1}\n```\n````yaml /openapi.yaml get /x\nopenapi: 3.1.0\ninfo:\n  description: |\n    ```\n    nested\n    ```\n\n````\ntrailer\n";
        assert_eq!(
            extract_spec(page).unwrap(),
            "openapi: 3.1.0\ninfo:\n  description: |\n    ```\n    nested\n    ```\n\n"
        );
    }

    #[test]
    fn a_raw_spec_is_taken_whole() {
        let raw = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n";
        assert_eq!(extract_spec(raw).unwrap(), raw);
    }

    #[test]
    fn the_fence_line_may_name_the_published_spec() {
        let page =
            "intro\n````yaml https://neo.example/api/openapi.json get /x\nopenapi: 3.1.0\n````\n";
        assert_eq!(
            fence_url(page).as_deref(),
            Some("https://neo.example/api/openapi.json")
        );
        assert_eq!(fence_url("````yaml /openapi.yaml get /x\n````\n"), None);
    }

    #[test]
    fn a_page_without_a_spec_is_an_error() {
        let err = extract_spec("# Billing\n```json\n{\"balance\": 1}\n```\n").unwrap_err();
        assert!(err.contains("none holds an OpenAPI document"), "{err}");
        let err = extract_spec("just prose\n").unwrap_err();
        assert!(err.contains("no ```yaml or ```json fence"), "{err}");
    }
}
