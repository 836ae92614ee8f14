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
