//! `operation_names = "from-path"` names unnamed operations (the overlay still wins), and
//! `x-billfold-skip` takes an operation out with its reason, listed in the crate's README and
//! API surface.

use std::fs;

const SPEC: &str = r#"openapi: 3.0.3
info: {title: Names, version: "1"}
security: [{bearer: []}]
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
paths:
  /v1/users/{user-id}/keys:
    parameters:
      - {name: user-id, in: path, required: true, schema: {type: string}}
    get:
      responses: {"200": {description: ok, content: {application/json: {schema: {type: array, items: {type: string}}}}}}
    post:
      responses: {"204": {description: created}}
  /v1/users/{user-id}/keys/:
    parameters:
      - {name: user-id, in: path, required: true, schema: {type: string}}
    get:
      responses: {"204": {description: ok}}
  /v1/upload:
    post:
      requestBody: {content: {multipart/form-data: {schema: {type: object}}}}
      responses: {"204": {description: ok}}
"#;

const OVERLAY: &str = r#"overlay: 1.0.0
info: {title: names, version: "1"}
actions:
  - target: $.paths['/v1/users/{user-id}/keys'].post
    update: {operationId: create_key}
  - target: $.paths['/v1/upload'].post
    update: {x-billfold-skip: "multipart upload: not generated yet"}
"#;

fn workspace(policy: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("specs/names")).unwrap();
    fs::write(dir.path().join("specs/names/openapi.yaml"), SPEC).unwrap();
    fs::write(dir.path().join("specs/names/overlay.yaml"), OVERLAY).unwrap();
    let mut manifest = String::from(
        "[names]\ncrate = \"billfold-names\"\nname = \"Names\"\nbase_url_env = \"NAMES_BASE_URL\"\n",
    );
    if policy {
        manifest.push_str("operation_names = \"from-path\"\n");
    }
    manifest.push_str("\n[names.credentials]\nbearer = \"NAMES_API_KEY\"\n");
    fs::write(dir.path().join("specs/providers.toml"), manifest).unwrap();
    dir
}

#[test]
fn from_path_names_every_unnamed_operation_and_the_overlay_wins() {
    let root = workspace(true);
    let providers = xtask::pipeline::load_providers(root.path()).unwrap();
    let generated = xtask::pipeline::generate(root.path(), &providers[0]).unwrap();
    let names: Vec<&str> = generated
        .code
        .methods
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    // Sorted by path: the two GETs collide, the second gets `_2`; the POST keeps its name.
    assert_eq!(
        names,
        [
            "get_v1_users_by_user_id_keys",
            "create_key",
            "get_v1_users_by_user_id_keys_2"
        ]
    );
    assert!(
        generated
            .surface
            .contains("method: get_v1_users_by_user_id_keys_2(")
    );
    // The skipped operation is listed with its reason, in the README and the API surface.
    assert_eq!(generated.skipped.len(), 1);
    let readme = &generated
        .files
        .iter()
        .find(|(p, _)| p.ends_with("README.md"))
        .unwrap()
        .1;
    assert!(
        readme.contains("| `POST /v1/upload` | multipart upload: not generated yet |"),
        "{readme}"
    );
    assert!(
        generated
            .surface
            .contains("POST /v1/upload: multipart upload: not generated yet")
    );
}

#[test]
fn without_the_policy_a_missing_operation_id_stays_an_error() {
    let root = workspace(false);
    let providers = xtask::pipeline::load_providers(root.path()).unwrap();
    let error = xtask::pipeline::generate(root.path(), &providers[0]).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("has no operationId"), "{text}");
    assert!(text.contains("operation_names = \"from-path\""), "{text}");
}
