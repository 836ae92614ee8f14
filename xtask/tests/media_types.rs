//! What the generator makes of the media types progenitor does not handle, on one small spec:
//! `text/event-stream` responses (typed event streams), form-urlencoded and raw binary request
//! bodies, and path- and operation-level `servers`.

use std::fs;

const SPEC: &str = r##"openapi: 3.0.3
info: {title: Media, version: "1"}
servers: [{url: "https://api.media.test/v1"}]
security: [{bearer: []}]
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Chunk:
      type: object
      required: [id]
      properties:
        id: {type: string}
        delta: {type: string}
    ChatRequest:
      type: object
      properties:
        prompt: {type: string}
        stream: {type: boolean, description: "Stream the answer; the stream ends with `data: [DONE]`."}
    ChunkEvent:
      type: object
      required: [data]
      properties:
        event: {type: string}
        data: {$ref: "#/components/schemas/Chunk"}
    Sentinel:
      type: object
      required: [data]
      properties:
        data: {type: string, enum: ["[DONE]"]}
    Events:
      oneOf:
        - $ref: "#/components/schemas/ChunkEvent"
        - $ref: "#/components/schemas/Sentinel"
paths:
  /chat:
    post:
      operationId: chat
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ChatRequest"}
      responses:
        "200":
          description: the answer, whole or streamed
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Chunk"}
            text/event-stream:
              schema: {$ref: "#/components/schemas/Events"}
  /jobs/{id}/events:
    get:
      operationId: job_events
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: progress events
          content:
            text/event-stream:
              schema:
                type: object
                properties:
                  progress: {type: integer}
  /messages:
    post:
      operationId: send_message
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [to]
              properties:
                to: {type: string}
                tags: {type: array, items: {type: string}}
                ids: {type: array, items: {type: integer}}
                meta: {type: object, additionalProperties: {type: string}}
            encoding:
              meta: {style: deepObject, explode: true}
              ids: {explode: false}
      responses:
        "204": {description: sent}
  /tokens:
    post:
      operationId: get_token
      requestBody:
        content:
          application/x-www-form-urlencoded: {}
      responses:
        "204": {description: ok}
  /uploads:
    put:
      operationId: upload
      requestBody:
        content:
          application/octet-stream:
            schema: {type: string, format: binary, maxLength: 100}
      responses:
        "204": {description: ok}
  /speech:
    post:
      operationId: transcribe
      requestBody:
        content:
          audio/*:
            schema: {type: string}
      responses:
        "204": {description: ok}
  /images:
    post:
      operationId: upload_image
      requestBody:
        content:
          image/png: {}
          text/csv: {schema: {type: string}}
      responses:
        "204": {description: ok}
  /files/content:
    servers: [{url: "https://{host}/api/2.0", variables: {host: {default: upload.media.test}}}]
    post:
      operationId: upload_file
      responses:
        "204": {description: ok}
    get:
      operationId: beta_download
      servers: [{url: "https://api.media.test/beta"}]
      responses:
        "204": {description: ok}
  /speak:
    post:
      operationId: speak
      responses:
        "200":
          description: audio, whole or as events
          content:
            audio/mpeg: {schema: {type: string, format: binary}}
            text/event-stream: {schema: {$ref: "#/components/schemas/Chunk"}}
  /logs:
    get:
      operationId: tail_logs
      responses:
        "200":
          description: log lines, as events
          content:
            text/event-stream: {}
"##;

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("specs/media")).unwrap();
    fs::write(dir.path().join("specs/media/openapi.yaml"), SPEC).unwrap();
    fs::write(
        dir.path().join("specs/providers.toml"),
        "[media]\ncrate = \"billfold-media\"\nname = \"Media\"\nbase_url = \"https://api.media.test/v1\"\n\
         base_url_env = \"MEDIA_BASE_URL\"\n\n[media.credentials]\nbearer = \"MEDIA_API_KEY\"\n",
    )
    .unwrap();
    dir
}

fn generate() -> xtask::pipeline::Generated {
    let root = workspace();
    let providers = xtask::pipeline::load_providers(root.path()).unwrap();
    xtask::pipeline::generate(root.path(), &providers[0]).unwrap()
}

fn lib_rs(generated: &xtask::pipeline::Generated) -> String {
    generated
        .files
        .iter()
        .find(|(path, _)| path.ends_with("src/lib.rs"))
        .unwrap()
        .1
        .replace(char::is_whitespace, "")
}

#[test]
fn event_stream_operations_return_typed_streams() {
    let generated = generate();
    let methods: Vec<(&str, &str)> = generated
        .code
        .methods
        .iter()
        .filter(|m| m.name == "chat" || m.event_stream)
        .map(|m| (m.name.as_str(), m.success.as_str()))
        .collect();
    assert_eq!(
        methods,
        [
            // JSON beside the events: the method returns JSON, a second one streams.
            ("chat", "types::Chunk"),
            (
                "chat_stream",
                "billfold_runtime::EventStream<types::Events>"
            ),
            // An inline event schema is hoisted to a component, so it has a type.
            (
                "job_events",
                "billfold_runtime::EventStream<types::JobEventsEvent>"
            ),
            // No schema: the raw events.
            (
                "tail_logs",
                "billfold_runtime::EventStream<billfold_runtime::SseEvent>"
            ),
            // Audio beside the events: the method returns the audio, a second one streams.
            (
                "speak_stream",
                "billfold_runtime::EventStream<types::Chunk>"
            ),
        ]
    );
    let code = lib_rs(&generated);
    // The envelope schema (`event` + `data`) with its `[DONE]` alternative: a sentinel.
    assert!(
        code.contains(
            "billfold_runtime::EventStream::new(response,&self.raw.inner,\"chat_stream\",\
             billfold_runtime::EventFormat{envelope:true,sentinel:Some(\"[DONE]\"),},)"
        ),
        "{code}"
    );
    assert!(
        code.contains("billfold_runtime::EventFormat{envelope:false,sentinel:None,}"),
        "{code}"
    );
    assert!(
        code.contains("billfold_runtime::EventStream::raw(response"),
        "{code}"
    );
    // The raw client's streaming copy asks for events and hands the body over unread.
    assert!(code.contains("pubasyncfnchat_stream<'a>(&'aself,body:&'atypes::ChatRequest,)->Result<ResponseValue<ByteStream>,Error<()>>"), "{code}");
    assert!(
        code.contains("from_static(\"text/event-stream\")"),
        "{code}"
    );
    assert!(
        code.contains("200u16=>Ok(ResponseValue::stream(response))"),
        "{code}"
    );
    // The effective spec records what was decided.
    let note = &generated.effective["paths"]["/chat"]["post"]["x-billfold-event-stream"];
    assert_eq!(note["sentinel"], "[DONE]");
    assert_eq!(note["beside_json"], true);
}

#[test]
fn form_and_raw_bodies_are_sent_as_the_spec_says() {
    let generated = generate();
    let code = lib_rs(&generated);
    // The form body goes through the runtime's encoder with the spec's `encoding`.
    assert!(
        code.contains(
            "billfold_runtime::encode_form(&body,&[(\"ids\",\"form\",false),(\"meta\",\"deepObject\",true)],)"
        ),
        "{code}"
    );
    assert!(!code.contains("form_urlencoded("), "{code}");
    // A form without a schema still gets a method (any fields).
    let args = |name: &str| {
        generated
            .code
            .methods
            .iter()
            .find(|m| m.name == name)
            .map(|m| (m.generics.clone(), m.args.clone()))
            .unwrap()
    };
    assert_eq!(args("get_token").1.len(), 1);
    // Raw bodies: bytes the caller gives, sent with the spec's media type.
    for method in ["upload", "transcribe", "upload_image"] {
        assert_eq!(args(method).0, ["B"], "{method}");
    }
    assert!(code.contains("from_static(\"image/png\")"), "{code}");
    let effective = &generated.effective["paths"];
    assert_eq!(
        effective["/speech"]["post"]["x-billfold-raw-body"],
        "application/octet-stream"
    );
    assert_eq!(
        effective["/uploads"]["put"]["x-billfold-raw-body"],
        "application/octet-stream"
    );
    assert_eq!(
        effective["/images"]["post"]["x-billfold-raw-body"],
        "image/png"
    );
}

#[test]
fn path_and_operation_servers_are_where_the_methods_send() {
    let generated = generate();
    let code = lib_rs(&generated);
    // The path item's server, its variable resolved: another host, used as it is.
    assert!(
        code.contains(
            "billfold_runtime::server_url(&self.baseurl,crate::PROVIDER.default_base_url,\"https://upload.media.test/api/2.0\")"
        ),
        "{code}"
    );
    // The operation's own server on the document server's host: its path, resolved against
    // the configured base URL at run time.
    assert!(
        code.contains(
            "billfold_runtime::server_url(&self.baseurl,crate::PROVIDER.default_base_url,\"/beta\")"
        ),
        "{code}"
    );
    let paths = &generated.effective["paths"];
    assert_eq!(paths["/files/content"]["get"]["x-billfold-server"], "/beta");
    assert!(paths["/chat"]["post"].get("x-billfold-server").is_none());
}
