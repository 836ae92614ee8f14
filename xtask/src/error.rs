//! The one error type of the generator: what went wrong, in which provider, file and place.

use std::fmt;
use std::path::PathBuf;

/// A problem with a provider's spec, overlay or configuration, located as precisely as the
/// input allows: provider, file, JSON pointer into the document, and line when the parser gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// Provider id (`anchor`), or `-` when the problem is not specific to one.
    pub provider: String,
    /// File the problem is in, relative to the workspace root.
    pub file: PathBuf,
    /// JSON pointer (RFC 6901) into that file's document; empty for the whole document.
    pub pointer: String,
    /// 1-based line, when the parser reported one.
    pub line: Option<usize>,
    /// What is wrong and what to do about it.
    pub message: String,
    /// A decision only the maintainer can make (naming operations): never degraded around,
    /// even inside an operation.
    pub needs_maintainer: bool,
}

impl SpecError {
    /// A new error at `pointer` of `file`.
    pub fn new(
        provider: impl Into<String>,
        file: impl Into<PathBuf>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            provider: provider.into(),
            file: file.into(),
            pointer: pointer.into(),
            line: None,
            message: message.into(),
            needs_maintainer: false,
        }
    }

    /// The same error with a line number.
    pub fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.provider, self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": at #{}: {}", self.pointer, self.message)
    }
}

impl std::error::Error for SpecError {}

/// A located problem inside one document, before the provider and file are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// JSON pointer into the document.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// See [`SpecError::needs_maintainer`].
    pub needs_maintainer: bool,
}

impl Located {
    /// A problem at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
            needs_maintainer: false,
        }
    }

    /// The same problem, marked as one only the maintainer can decide (regen never leaves the
    /// operation out for it).
    pub fn for_maintainer(mut self) -> Self {
        self.needs_maintainer = true;
        self
    }

    /// Attaches the provider and file.
    pub fn in_file(self, provider: &str, file: impl Into<PathBuf>) -> SpecError {
        let mut error = SpecError::new(provider, file, self.pointer, self.message);
        error.needs_maintainer = self.needs_maintainer;
        error
    }
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Appends a segment to a JSON pointer.
pub fn child(pointer: &str, segment: &str) -> String {
    // Called for every node of every walk of the document: one allocation, no formatting.
    let mut out = String::with_capacity(pointer.len() + 1 + segment.len());
    out.push_str(pointer);
    push_segment(&mut out, segment);
    out
}

/// Appends a segment to a JSON pointer in place (a walk extends one buffer and cuts it back).
pub fn push_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}
