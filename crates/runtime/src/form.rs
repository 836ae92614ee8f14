//! `application/x-www-form-urlencoded` request bodies, encoded as OpenAPI describes them.
//!
//! progenitor encodes a form body with `serde_urlencoded`, which refuses arrays and nested
//! objects; the generated clients encode it here instead. The body is serialized to JSON and
//! each top-level property becomes pairs, by the style the spec's `encoding` gives it (OpenAPI's
//! default is `style: form` with `explode: true`):
//!
//! - `null` (an absent optional field) sends nothing; a string is sent as it is, a number or
//!   boolean as JSON writes it (`10`, `true`);
//! - an array sends one pair per item (`tag=a&tag=b`); with `explode: false`, one pair of
//!   comma-separated items (`tag=a,b`); `spaceDelimited` and `pipeDelimited` join with a space
//!   or `|`; an item that is itself an array or object is sent as its JSON text;
//! - an object sends its properties as pairs of their own (`style: form`, exploded: `a=1&b=2`);
//!   with `explode: false`, one pair `name=a,1,b,2`; with `style: deepObject`, brackets:
//!   `name[a]=1&name[b][c]=2`, arrays repeating the key (as
//!   [`DeepObject`](crate::DeepObject) sends a query parameter);
//! - a body that is a JSON string is sent as it is (taken to be encoded already); any other
//!   body that is not an object is an [`Error::InvalidRequest`](crate::Error::InvalidRequest).
//!
//! Names and values are percent-encoded as the WHATWG URL standard encodes forms (a space as
//! `+`).

use serde::Serialize;
use serde_json::Value;

/// How one property of a form body is encoded: its name, `style` and `explode`, from the
/// spec's `encoding` (the generated clients pass the properties that have one).
pub type FormStyle = (&'static str, &'static str, bool);

/// Encodes `body` as an `application/x-www-form-urlencoded` body (see the module docs).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Body { name: &'static str, tags: Vec<&'static str>, meta: serde_json::Value, note: Option<String> }
/// let body = Body { name: "a b", tags: vec!["x", "y"], meta: serde_json::json!({"k": 1}), note: None };
/// let encoded = billfold_runtime::encode_form(&body, &[("meta", "deepObject", true)]).unwrap();
/// // Fields in name order (as serde_json orders an object).
/// assert_eq!(encoded, "meta%5Bk%5D=1&name=a+b&tags=x&tags=y");
/// ```
pub fn encode_form<T: Serialize + ?Sized>(
    body: &T,
    styles: &[FormStyle],
) -> Result<String, String> {
    let value = serde_json::to_value(body)
        .map_err(|e| format!("the form body cannot be serialized: {e}"))?;
    let object = match value {
        Value::Object(object) => object,
        Value::String(text) => return Ok(text),
        Value::Null => return Ok(String::new()),
        other => {
            return Err(format!(
                "a form body must be an object of fields, not {}",
                kind(&other)
            ));
        }
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in &object {
        let (style, explode) = styles
            .iter()
            .find(|(field, _, _)| field == name)
            .map_or(("form", true), |(_, style, explode)| (*style, *explode));
        match value {
            Value::Null => {}
            Value::Array(items) => {
                let texts = items.iter().filter(|i| !i.is_null()).map(scalar_text);
                match (style, explode) {
                    ("spaceDelimited", _) => pairs.push((name.clone(), join(texts, " "))),
                    ("pipeDelimited", _) => pairs.push((name.clone(), join(texts, "|"))),
                    (_, false) => pairs.push((name.clone(), join(texts, ","))),
                    _ => pairs.extend(texts.map(|text| (name.clone(), text))),
                }
            }
            Value::Object(fields) => match (style, explode) {
                ("deepObject", _) => crate::deep_object::flatten(name.clone(), value, &mut pairs),
                (_, false) => {
                    let texts = fields
                        .iter()
                        .filter(|(_, v)| !v.is_null())
                        .flat_map(|(k, v)| [k.clone(), scalar_text(v)]);
                    pairs.push((name.clone(), join(texts, ",")));
                }
                _ => pairs.extend(
                    fields
                        .iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k.clone(), scalar_text(v))),
                ),
            },
            scalar => pairs.push((name.clone(), scalar_text(scalar))),
        }
    }
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        percent_encode(&name, &mut out);
        out.push('=');
        percent_encode(&value, &mut out);
    }
    Ok(out)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "an array",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        _ => "this",
    }
}

/// A value as text: a string as it is, anything else as JSON.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn join(texts: impl Iterator<Item = String>, separator: &str) -> String {
    texts.collect::<Vec<_>>().join(separator)
}

/// The `application/x-www-form-urlencoded` percent-encode set, space as `+`.
fn percent_encode(text: &str, out: &mut String) {
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arrays_and_objects_follow_their_style() {
        let body = json!({
            "to": "+1 555",
            "ids": [1, 2],
            "flags": ["a", "b"],
            "pipes": ["a", "b"],
            "filter": {"status": "open", "size": {"gt": 2}},
            "point": {"x": 1, "y": 2},
            "flat": {"k": "v"},
            "skip": null,
            "yes": true,
        });
        let styles = [
            ("flags", "form", false),
            ("pipes", "pipeDelimited", true),
            ("filter", "deepObject", true),
            ("point", "form", false),
        ];
        let encoded = encode_form(&body, &styles).unwrap();
        // serde_json keeps object keys in name order.
        assert_eq!(
            encoded,
            "filter%5Bsize%5D%5Bgt%5D=2&filter%5Bstatus%5D=open&flags=a%2Cb&k=v&ids=1&ids=2&\
             pipes=a%7Cb&point=x%2C1%2Cy%2C2&to=%2B1+555&yes=true"
        );
    }

    #[test]
    fn odd_bodies_are_sent_or_refused_not_panicked_on() {
        assert_eq!(encode_form(&json!("a=1&b=2"), &[]).unwrap(), "a=1&b=2");
        assert_eq!(encode_form(&json!(null), &[]).unwrap(), "");
        assert!(
            encode_form(&json!([1, 2]), &[])
                .unwrap_err()
                .contains("an array")
        );
        assert_eq!(
            encode_form(&json!({"nested": [[1], {"a": 1}]}), &[]).unwrap(),
            "nested=%5B1%5D&nested=%7B%22a%22%3A1%7D"
        );
    }
}
