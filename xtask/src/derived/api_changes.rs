//! What a regen changes for the users of a generated crate, from its API surface before
//! (`API.md` on disk) and after: operations and types added, removed or changed, and whether
//! the change breaks users (an item removed or retyped, a member removed or retyped) or only
//! adds.

use std::collections::BTreeMap;
use std::fmt;

/// The differences between two API surfaces.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ApiChanges {
    /// Operations (method names) that appear.
    pub added_operations: Vec<String>,
    /// Operations that disappear.
    pub removed_operations: Vec<String>,
    /// Operations whose signature changes.
    pub changed_operations: Vec<String>,
    /// Types that appear.
    pub added_types: Vec<String>,
    /// Types that disappear.
    pub removed_types: Vec<String>,
    /// Types whose members change, with whether any member was removed or retyped.
    pub changed_types: Vec<(String, bool)>,
    /// The cargo features of the operations added, removed or changed (before and after).
    pub features: Vec<String>,
}

impl ApiChanges {
    /// Compares the surface text before (`None` for a new crate) and after.
    pub fn between(before: Option<&str>, after: &str) -> Self {
        let (old_ops, old_types) = before.map(parse).unwrap_or_default();
        let (new_ops, new_types) = parse(after);
        let mut changes = ApiChanges::default();
        let mut features = std::collections::BTreeSet::new();
        for (name, (signature, feature)) in &new_ops {
            match old_ops.get(name) {
                None => {
                    changes.added_operations.push(name.clone());
                    features.insert(feature.clone());
                }
                Some((old, old_feature)) if old != signature || old_feature != feature => {
                    changes.changed_operations.push(name.clone());
                    features.insert(feature.clone());
                    features.insert(old_feature.clone());
                }
                Some(_) => {}
            }
        }
        for (name, (_, feature)) in &old_ops {
            if !new_ops.contains_key(name) {
                changes.removed_operations.push(name.clone());
                features.insert(feature.clone());
            }
        }
        features.remove("");
        changes.features = features.into_iter().collect();
        for (name, members) in &new_types {
            match old_types.get(name) {
                None => changes.added_types.push(name.clone()),
                Some(old) if old != members => {
                    let lost = old.iter().any(|member| !members.contains(member));
                    changes.changed_types.push((name.clone(), lost));
                }
                Some(_) => {}
            }
        }
        changes.removed_types = old_types
            .keys()
            .filter(|name| !new_types.contains_key(*name))
            .cloned()
            .collect();
        changes
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == ApiChanges::default()
    }

    /// Whether users of the crate may have to change their code.
    pub fn is_breaking(&self) -> bool {
        !self.removed_operations.is_empty()
            || !self.changed_operations.is_empty()
            || !self.removed_types.is_empty()
            || self.changed_types.iter().any(|(_, lost)| *lost)
    }
}

impl fmt::Display for ApiChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("no API change");
        }
        f.write_str(if self.is_breaking() {
            "BREAKING for users"
        } else {
            "additions only"
        })?;
        let lists = [
            ("operations added", &self.added_operations),
            ("operations removed", &self.removed_operations),
            ("operations changed", &self.changed_operations),
            ("types added", &self.added_types),
            ("types removed", &self.removed_types),
        ];
        for (label, items) in lists {
            if !items.is_empty() {
                write!(f, "; {label}: {}", items.join(", "))?;
            }
        }
        if !self.changed_types.is_empty() {
            let names: Vec<String> = self
                .changed_types
                .iter()
                .map(|(name, lost)| {
                    if *lost {
                        format!("{name} (members removed or retyped)")
                    } else {
                        format!("{name} (members added)")
                    }
                })
                .collect();
            write!(f, "; types changed: {}", names.join(", "))?;
        }
        if !self.features.is_empty() {
            write!(f, "; features touched: {}", self.features.join(", "))?;
        }
        Ok(())
    }
}

/// Operations (method name → signature and feature) and types (kind and name → members) of a
/// surface.
type Surface = (
    BTreeMap<String, (String, String)>,
    BTreeMap<String, Vec<String>>,
);

fn parse(text: &str) -> Surface {
    let mut operations = BTreeMap::new();
    let mut types: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut section = "";
    let mut current_type: Option<String> = None;
    let mut feature = String::new();
    for line in text.lines() {
        if !line.starts_with(' ') {
            section = line.trim_end_matches(':');
            current_type = None;
            continue;
        }
        match section {
            "operations" => {
                if let Some(group) = line.trim().strip_prefix("feature ") {
                    feature = group.split_whitespace().next().unwrap_or("").to_owned();
                } else if let Some(signature) = line.trim().strip_prefix("method: ") {
                    let name = signature.split('(').next().unwrap_or(signature).to_owned();
                    operations.insert(name, (signature.to_owned(), feature.clone()));
                }
            }
            "types" => {
                if line.starts_with("    ") {
                    if let Some(name) = &current_type {
                        types
                            .entry(name.clone())
                            .or_default()
                            .push(line.trim().to_owned());
                    }
                } else {
                    let name = line.trim().to_owned();
                    types.entry(name.clone()).or_default();
                    current_type = Some(name);
                }
            }
            _ => {}
        }
    }
    (operations, types)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = "operations:\n  GET /a\n    method: get_a() -> types::A\n  GET /b\n    method: get_b() -> types::B\ntypes:\n  struct A\n    x: i64\n  enum Kind\n    One\n";

    #[test]
    fn additions_only() {
        let after = format!("{BEFORE}  struct C\n    y: String\n")
            .replace("  enum Kind\n    One\n", "  enum Kind\n    One\n    Two\n");
        let changes = ApiChanges::between(Some(BEFORE), &after);
        assert!(!changes.is_breaking(), "{changes}");
        assert_eq!(changes.added_types, ["struct C"]);
        assert_eq!(changes.changed_types, [("enum Kind".to_owned(), false)]);
        assert_eq!(
            changes.to_string(),
            "additions only; types added: struct C; types changed: enum Kind (members added)"
        );
    }

    #[test]
    fn removals_and_retypes_break() {
        let after = BEFORE
            .replace("  GET /b\n    method: get_b() -> types::B\n", "")
            .replace("    x: i64\n", "    x: String\n");
        let changes = ApiChanges::between(Some(BEFORE), &after);
        assert!(changes.is_breaking());
        assert_eq!(changes.removed_operations, ["get_b"]);
        assert_eq!(changes.changed_types, [("struct A".to_owned(), true)]);
        assert!(ApiChanges::between(Some(BEFORE), BEFORE).is_empty());
        assert_eq!(
            ApiChanges::between(None, BEFORE).added_operations,
            ["get_a", "get_b"]
        );
    }

    #[test]
    fn the_features_an_operation_change_touches_are_named() {
        let before = "operations:\n  feature billing (tag Billing):\n    GET /b\n      method: get_b() -> types::B\n  feature sessions (tag Sessions):\n    GET /s\n      method: get_s() -> types::S\ntypes:\n";
        let after = before.replace("get_s() -> types::S", "get_s(id: &str) -> types::S");
        let changes = ApiChanges::between(Some(before), &after);
        assert_eq!(changes.changed_operations, ["get_s"]);
        assert_eq!(changes.features, ["sessions"]);
        assert!(
            changes
                .to_string()
                .ends_with("; features touched: sessions"),
            "{changes}"
        );
    }
}
