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
    // JSON: an object whose first key is quoted (or an empty one). A YAML flow mapping
    // (`{name: limit, in: query}`) starts with a brace too, and is read as YAML.
    let after_brace = text.trim_start().strip_prefix('{').map(str::trim_start);
    if after_brace.is_some_and(|rest| rest.starts_with('"') || rest.starts_with('}')) {
        return serde_json::from_str(text).map_err(|e| ParseError {
            message: format!("invalid JSON: {e}"),
            line: Some(e.line()),
        });
    }
    parse_yaml(text)
}

/// [`parse`] for a document that is not JSON.
fn parse_yaml(text: &str) -> Result<Value, ParseError> {
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
    let yaml: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(yaml) => yaml,
        // The YAML reader refuses integers beyond 64 bits: read them as floats (as JSON
        // readers do), and say so.
        // The retry happens only when widening changed something, so it cannot loop (an
        // error that merely mentions "128", such as "column 128", is reported as it is).
        Err(e) if e.to_string().contains("128") && widen_big_integers(text) != text => {
            let mut value = parse(&widen_big_integers(text))?;
            if let Some(map) = value.as_object_mut() {
                crate::pipeline::lower::note(map, BIG_INTEGER_NOTE);
            }
            return Ok(value);
        }
        Err(e) => {
            return Err(ParseError {
                message: format!("invalid YAML: {e}"),
                line: e.location().map(|l| l.line()),
            });
        }
    };
    to_json(yaml).map_err(|message| ParseError {
        message,
        line: None,
    })
}

/// The note left on a document whose integers beyond 64 bits were read as floats.
const BIG_INTEGER_NOTE: &str = "integers beyond 64 bits read as floats";

/// `text` with every plain (unquoted) integer too large for 64 bits written as a float
/// (`99999999999999999999` → `99999999999999999999.0`).
fn widen_big_integers(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let mut quote: Option<char> = None;
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '#' => {
                    out.extend(&chars[i..]);
                    break;
                }
                None if c.is_ascii_digit()
                    || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
                {
                    let before = if i == 0 { ' ' } else { chars[i - 1] };
                    let end = (i + 1..chars.len())
                        .find(|&j| !chars[j].is_ascii_digit())
                        .unwrap_or(chars.len());
                    let token: String = chars[i..end].iter().collect();
                    let after = chars.get(end).copied().unwrap_or('\n');
                    let standalone = matches!(before, ' ' | ':' | '[' | ',' | '-' | '\t')
                        && matches!(after, '\n' | '\r' | ',' | ']' | '}' | ' ' | '\t' | '#');
                    out.push_str(&token);
                    if standalone && token.parse::<i64>().is_err() && token.parse::<u64>().is_err()
                    {
                        out.push_str(".0");
                    }
                    i = end;
                    continue;
                }
                None => {}
            }
            out.push(c);
            i += 1;
        }
    }
    out
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
    fn a_yaml_flow_mapping_is_yaml_not_bad_json() {
        let v = parse("{name: limit, in: query, schema: {type: integer}}\n").unwrap();
        assert_eq!(v["schema"]["type"], "integer");
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

#[cfg(test)]
mod big_integer_tests {
    #[test]
    fn integers_beyond_i64_are_kept_as_floats() {
        for text in [
            "a: 99999999999999999999\nb: -9223372036854775809\n",
            "{\"a\": 99999999999999999999, \"b\": -9223372036854775809}",
        ] {
            let doc = super::parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.message));
            assert_eq!(doc["a"].as_f64(), Some(1e20), "{text}");
            assert_eq!(doc["b"].as_f64(), Some(-9223372036854775809.0), "{text}");
        }
        // Quoted digits stay a string; the YAML document says what happened.
        let doc = super::parse("a: 99999999999999999999\nb: '99999999999999999999'\n").unwrap();
        assert_eq!(doc["b"], "99999999999999999999");
        assert_eq!(doc["x-billfold-lowered"][0], super::BIG_INTEGER_NOTE);
    }

    #[test]
    fn an_error_that_mentions_128_is_reported_not_retried_forever() {
        // Invalid YAML whose error names column 128 (found by the property test
        // `ingest_never_panics`, which overflowed the stack here once).
        let mut mentions_128 = 0;
        for width in 100..140 {
            let text = format!("{}: b: c\n", "a".repeat(width));
            let err = super::parse(&text).expect_err("mapping values in a plain scalar");
            assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
            mentions_128 += usize::from(err.message.contains("128"));
        }
        assert!(mentions_128 > 0, "no error message named column 128");
    }
}
