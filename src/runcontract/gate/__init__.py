"""The conformance gate: judge a running Assistants API before it is deployed.

`runcontract gate` drives runs through their lifecycle and lets schemathesis generate requests
from the corrected OpenAPI document (openapi/, CORRECTIONS.md); every answer is judged by the
same engine and rules as recordings, plus the HTTP rules of contracts/http.yaml.

Layout: `client` sends every request (key, TLS, redirects, timeouts, retries, budget, order per
thread); `judge` turns each answer into verdicts; `driver` runs the lifecycle scenarios;
`phases` runs schemathesis through `proxy`; `checks` are the schemathesis checks (usable with
`st run` too); `session` ties them together; `report`, `cassette` and `cli` render.
"""
