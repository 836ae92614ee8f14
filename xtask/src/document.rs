//! Parsing a spec or overlay file (YAML or JSON) into a `serde_json::Value`.

use serde_json::{Map, Number, Value};

/// Why a document did not parse, with the line when the parser knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What the parser said.
    pub message: String,
    /// 1-based line.
    pub line: Option<usize>,
}

/// Parses YAML (or JSON, which is tried first when the text looks like JSON).
///
/// Mapping keys that are numbers or booleans (`200:` unquoted) become strings, as OpenAPI means
/// them; YAML tags, non-finite numbers and complex keys are refused.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| ParseError {
            message: format!("invalid JSON: {e}"),
            line: Some(e.line()),
        });
    }
    // Fast path: straight into JSON values, when no key needs turning into a string and no
    // number can be non-finite (either makes it fail or differ; the full path then decides).
    let lower = text.to_ascii_lowercase();
    if !lower.contains(".inf")
        && !lower.contains(".nan")
        && !text.contains('!')
        && let Ok(value) = serde_yaml::from_str::<Value>(text)
    {
        return Ok(value);
    }
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| ParseError {
        message: format!("invalid YAML: {e}"),
        line: e.location().map(|l| l.line()),
    })?;
    to_json(yaml).map_err(|message| ParseError {
        message,
        line: None,
    })
}

fn to_json(yaml: serde_yaml::Value) -> Result<Value, String> {
    Ok(match yaml {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Value::Number(Number::from_f64(f).ok_or_else(|| {
                    format!("the number {n} is not finite, which JSON cannot hold")
                })?)
            }
        }
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        serde_yaml::Value::Mapping(mapping) => {
            let mut map = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    serde_yaml::Value::String(s) => s,
                    serde_yaml::Value::Number(n) => n.to_string(),
                    serde_yaml::Value::Bool(b) => b.to_string(),
                    other => {
                        return Err(format!(
                            "mapping key {other:?} is not a string; OpenAPI keys are strings"
                        ));
                    }
                };
                map.insert(key, to_json(value)?);
            }
            Value::Object(map)
        }
        serde_yaml::Value::Tagged(tagged) => {
            return Err(format!(
                "YAML tag {} is not supported in a spec",
                tagged.tag
            ));
        }
    })
}

/// Serialises a document as YAML for snapshots and temp files.
pub fn to_yaml(value: &Value) -> String {
    serde_yaml::to_string(value).expect("a serde_json::Value always serialises to YAML")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_keys_become_strings() {
        let v = parse("responses:\n  200:\n    description: ok\n").unwrap();
        assert_eq!(v["responses"]["200"]["description"], "ok");
    }

    #[test]
    fn yaml_error_has_a_line() {
        let err = parse("a: 1\nb: [\n").unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
    }

    #[test]
    fn json_error_has_a_line() {
        let err = parse("{\n\"a\": ,\n}").unwrap_err();
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn tags_are_refused() {
        assert!(parse("a: !custom 1\n").is_err());
    }
}

/// The 1-based line of `text` (YAML or JSON) where the value at JSON `pointer` starts, found by
/// looking for each key of the pointer in turn, each after the previous one. Array indexes and
/// keys that cannot be found end the search at the deepest line found.
pub fn line_of(text: &str, pointer: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut line = 0usize;
    let mut found = None;
    for raw in pointer.split('/').skip(1) {
        let key = raw.replace("~1", "/").replace("~0", "~");
        if let Ok(index) = key.parse::<usize>() {
            // A YAML list item: the index-th `- ` line below the key found last.
            let indent = |l: &str| l.len() - l.trim_start().len();
            let base = found.map_or(0, |f| indent(lines[f - 1]));
            let Some(item) = (line..lines.len())
                .filter(|&i| lines[i].trim_start().starts_with("- ") && indent(lines[i]) >= base)
                .nth(index)
            else {
                break;
            };
            line = item;
            found = Some(item + 1);
            continue;
        }
        let candidates = [
            format!("{key}:"),
            format!("\"{key}\":"),
            format!("'{key}':"),
            format!("\"{key}\" :"),
        ];
        let Some(next) = (line..lines.len()).find(|&i| {
            let trimmed = lines[i].trim_start().trim_start_matches("- ");
            candidates.iter().any(|c| trimmed.starts_with(c.as_str()))
                || lines[i].contains(&format!("\"{key}\":"))
        }) else {
            break;
        };
        line = next + 1;
        found = Some(next + 1);
    }
    found
}

#[cfg(test)]
mod line_tests {
    use super::line_of;

    #[test]
    fn lines_of_pointers_in_yaml_and_json() {
        let yaml = "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      x: 1\n  /b/{id}:\n    post:\n      y: 2\n";
        assert_eq!(line_of(yaml, "/paths/~1b~1{id}/post"), Some(7));
        assert_eq!(line_of(yaml, "/paths/~1a/get/x"), Some(5));
        let json = "{\n  \"paths\": {\n    \"/a\": {\n      \"get\": {}\n    }\n  }\n}\n";
        assert_eq!(line_of(json, "/paths/~1a/get"), Some(4));
        assert_eq!(line_of(yaml, "/nope"), None);
        // A key the document lacks: the line of the deepest one it has.
        assert_eq!(line_of(yaml, "/paths/~1a/get/parameters"), Some(4));
        let overlay = "overlay: 1.0.0\nactions:\n  - target: a\n    update: {}\n  - target: b\n";
        assert_eq!(line_of(overlay, "/actions/1/target"), Some(5));
    }
}
