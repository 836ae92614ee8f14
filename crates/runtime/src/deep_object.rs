//! Query parameters of `style: deepObject`: `filter[status]=active&filter[limit]=10`.
//!
//! OpenAPI defines the style for an object of scalar properties. Providers that use it also
//! nest objects and put arrays in them, so the rules here are the common extension of it:
//!
//! - an object property `k` of parameter `name` is sent as `name[k]=value`, a nested object
//!   one level deeper as `name[k][j]=value`;
//! - an array is sent as one pair per element with the same key (`name[tags]=a&name[tags]=b`),
//!   as `form` with `explode: true` sends arrays;
//! - strings are sent as they are, numbers and booleans as JSON writes them (`10`, `true`);
//! - `null` values, and absent optional parameters, are not sent at all;
//! - a parameter that is not an object is sent as `name=value`;
//! - properties are sent in name order, so the same value always gives the same query.
//!
//! Keys and values are percent-encoded by the URL encoder, brackets included.

use serde::ser::Error as _;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// A query parameter sent in the `deepObject` style, for `reqwest::RequestBuilder::query`.
/// The generated clients use it in place of progenitor's form-style one.
///
/// ```
/// use billfold_runtime::DeepObject;
///
/// # let _ = rustls::crypto::ring::default_provider().install_default();
/// let filter = serde_json::json!({"status": "active", "created": {"gte": 10}});
/// let request = reqwest::Client::new()
///     .get("https://api.example.com/items")
///     .query(&DeepObject::new("filter", &filter))
///     .build()?;
/// assert_eq!(
///     request.url().query(),
///     Some("filter%5Bcreated%5D%5Bgte%5D=10&filter%5Bstatus%5D=active")
/// );
/// # Ok::<(), reqwest::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DeepObject<'a, T> {
    name: &'a str,
    value: &'a T,
}

impl<'a, T> DeepObject<'a, T> {
    /// The parameter `name` with its `value` (an `Option` that is `None` sends nothing).
    ///
    /// ```
    /// let limits = serde_json::json!({"max": 5});
    /// let param = billfold_runtime::DeepObject::new("limits", &limits);
    /// # let _ = param;
    /// ```
    pub fn new(name: &'a str, value: &'a T) -> Self {
        Self { name, value }
    }
}

impl<T: Serialize> Serialize for DeepObject<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = serde_json::to_value(self.value).map_err(|e| {
            S::Error::custom(format!(
                "query parameter {:?} cannot be serialized: {e}",
                self.name
            ))
        })?;
        let mut pairs = Vec::new();
        flatten(self.name.to_owned(), &value, &mut pairs);
        serializer.collect_seq(pairs)
    }
}

/// Appends the `(key, value)` pairs of `value` under `key`.
pub(crate) fn flatten(key: String, value: &Value, pairs: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => pairs.push((key, b.to_string())),
        Value::Number(n) => pairs.push((key, n.to_string())),
        Value::String(s) => pairs.push((key, s.clone())),
        Value::Array(items) => {
            for item in items {
                flatten(key.clone(), item, pairs);
            }
        }
        Value::Object(properties) => {
            // In name order whether or not serde_json keeps insertion order in this build.
            let mut properties: Vec<(&String, &Value)> = properties.iter().collect();
            properties.sort_by(|a, b| a.0.cmp(b.0));
            for (property, inner) in properties {
                flatten(format!("{key}[{property}]"), inner, pairs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query<T: Serialize>(name: &str, value: &T) -> Option<String> {
        crate::tls::ensure_crypto_provider();
        let request = reqwest::Client::new()
            .get("http://localhost/x")
            .query(&DeepObject::new(name, value))
            .build()
            .expect("a request");
        request.url().query().map(|q| {
            q.replace("%5B", "[")
                .replace("%5D", "]")
                .replace("%2C", ",")
        })
    }

    #[derive(Serialize)]
    struct Range {
        gte: Option<i64>,
        lt: Option<i64>,
    }

    #[derive(Serialize)]
    struct Filter {
        status: String,
        archived: bool,
        created: Range,
        tags: Vec<String>,
    }

    #[test]
    fn objects_nest_in_brackets_and_arrays_repeat_the_key() {
        let filter = Filter {
            status: "active & paid".to_owned(),
            archived: false,
            created: Range {
                gte: Some(10),
                lt: None,
            },
            tags: vec!["a".to_owned(), "b".to_owned()],
        };
        assert_eq!(
            query("filter", &filter).as_deref(),
            Some(
                "filter[archived]=false&filter[created][gte]=10&filter[status]=active+%26+paid\
                 &filter[tags]=a&filter[tags]=b"
            )
        );
    }

    #[test]
    fn absent_parameters_and_null_properties_send_nothing() {
        let none: Option<Range> = None;
        assert_eq!(query("filter", &none), None);
        let empty = Range {
            gte: None,
            lt: None,
        };
        assert_eq!(query("filter", &empty), None);
    }

    #[test]
    fn a_scalar_is_sent_under_its_name() {
        assert_eq!(query("limit", &Some(5)).as_deref(), Some("limit=5"));
    }

    #[test]
    fn it_adds_to_other_query_parameters() {
        crate::tls::ensure_crypto_provider();
        let request = reqwest::Client::new()
            .get("http://localhost/x?page=2")
            .query(&[("sort", "asc")])
            .query(&DeepObject::new("f", &serde_json::json!({"a": 1.5})))
            .build()
            .expect("a request");
        assert_eq!(request.url().query(), Some("page=2&sort=asc&f%5Ba%5D=1.5"));
    }
}
