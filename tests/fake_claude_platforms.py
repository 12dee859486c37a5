"""Claude's Messages routes on AWS Bedrock and Google Vertex AI, on 127.0.0.1, for the `anthropic` SDK's
`AsyncAnthropicBedrock` and `AsyncAnthropicVertex` clients (their `base_url` pointed here through
ANTHROPIC_BEDROCK_BASE_URL / ANTHROPIC_VERTEX_BASE_URL). Everything behind the route (structured output,
prompt caching, faults, scripts, latency) is the fake Messages API's: these are FakeMessagesAPI with the
platforms' routes, authentication and error shapes in front.

Bedrock (docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html, and the Anthropic
Claude Messages API page of the Bedrock user guide): `POST /model/{modelId}/invoke`, the model id in the
path (URL-encoded), the body the Messages request without `model` and with `anthropic_version`; SigV4
signed (`Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/bedrock/aws4_request, ...` and
`X-Amz-Date`): the signature is not checked, but an unsigned request is refused 403 as AWS does
(`x-amzn-ErrorType: UnrecognizedClientException`, body {"message": ...}). An unknown model id is a 400
ValidationException, throttling a 429 ThrottlingException. No token counting, no Message Batches.

Vertex AI (cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude): `POST
/v1/projects/{project}/locations/{region}/publishers/anthropic/models/{model}:rawPredict`, the body the
Messages request without `model` and with `anthropic_version`; `.../models/count-tokens:rawPredict` counts
tokens. `Authorization: Bearer <OAuth access token>`; errors are Google's {"error": {"code", "message",
"status"}}. It also serves an OAuth token endpoint (`POST /token`, the JWT-bearer grant of RFC 7523 that
google-auth's service-account credentials use) so Google application default credentials (a
`service_account` key file whose `token_uri` points here) get a token from it, as they would from
oauth2.googleapis.com. The assertion's signature is not checked (its shape is).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.fake_messages_api import (
    FakeMessagesAPI,
    HttpRequest,
    HttpResponse,
    Json,
    PromptParts,
    estimate_tokens,
)

FAKE_TOKEN = "ya29.fake-vertex-token"


class _PlatformFake(FakeMessagesAPI):
    """The Messages API behind a platform's route: subclasses map the route and the errors."""

    known_platform_models: set[str] | None = None

    def reset(self) -> None:
        super().reset()
        self.known_platform_models = None

    def invocations(self) -> int:
        """Messages calls answered (and refused) since the stats were reset; not token counts or tokens."""
        return sum(n for path, n in self.stats().by_path.items()
                   if path.startswith("POST ") and path.endswith(("/invoke", ":rawPredict"))
                   and "count-tokens" not in path)

    def _record_and_parse(self, request: HttpRequest) -> tuple[Json, HttpResponse | None]:
        try:
            body: Json = json.loads(request.body) if request.body else None
        except ValueError:
            self._record(request, None)
            return None, self._platform_error(400, "Malformed input request, please reformat your input and try again.")
        self._record(request, body)
        return body, None

    def _platform_error(self, status: int, message: str) -> HttpResponse:
        raise NotImplementedError

    async def _invoke(self, request: HttpRequest, body: Json, model: str, reader: asyncio.StreamReader
                      ) -> HttpResponse:
        if not isinstance(body, dict) or "anthropic_version" not in body or "model" in body:
            return self._platform_error(400, "Malformed input request: anthropic_version is required and model "
                                        "belongs in the path")
        if self.known_platform_models is not None and model not in self.known_platform_models:
            self._outcome("400 model")
            return self._unknown_model_error(model)
        messages_body = {**body, "model": model}
        response = await self._messages(messages_body, request.body, "req", request.arrived, reader)
        if response.status != 200:
            error = response.payload.get("error", {}) if isinstance(response.payload, dict) else {}
            mapped = self._platform_error(response.status, str(error.get("message", "error")))
            mapped.headers.update({k: v for k, v in response.headers.items() if k.startswith("retry-after")})
            return mapped
        return response

    def _unknown_model_error(self, model: str) -> HttpResponse:
        raise NotImplementedError


class FakeBedrock(_PlatformFake):
    """Bedrock Runtime's InvokeModel for Anthropic models."""

    def _platform_error(self, status: int, message: str) -> HttpResponse:
        kinds = {400: "ValidationException", 403: "AccessDeniedException", 401: "UnrecognizedClientException",
                 404: "ResourceNotFoundException", 429: "ThrottlingException", 503: "ServiceUnavailableException",
                 529: "ServiceUnavailableException"}
        kind = kinds.get(status, "InternalServerException")
        code = 503 if status == 529 else (403 if status == 401 else status)
        return HttpResponse(code, {"message": message}, {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/",
                                                        "x-amzn-RequestId": "fake-request-id"})

    def _unknown_model_error(self, model: str) -> HttpResponse:
        return self._platform_error(400, "The provided model identifier is invalid.")

    async def _respond(self, request: HttpRequest, reader: asyncio.StreamReader) -> HttpResponse:
        if request.path.startswith("/_fake/"):
            return self._control(request)
        body, bad = self._record_and_parse(request)
        if bad is not None:
            return bad
        auth = request.headers.get("authorization", "")
        if not (auth.startswith("AWS4-HMAC-SHA256 Credential=") and "x-amz-date" in request.headers
                and "Signature=" in auth):
            self._outcome("403")
            return self._platform_error(401, "The security token included in the request is invalid.")
        if self.api_key is not None and f"Credential={self.api_key}/" not in auth:
            self._outcome("403")
            return self._platform_error(401, "The security token included in the request is invalid.")
        parts = request.path.split("/")
        if request.method == "POST" and len(parts) == 4 and parts[1] == "model" and parts[3] == "invoke":
            return await self._invoke(request, body, unquote(parts[2]), reader)
        return self._platform_error(404, f"Not found: {request.method} {request.path}")


class FakeVertex(_PlatformFake):
    """Vertex AI's rawPredict for Anthropic models, and an OAuth token endpoint."""

    def __init__(self, *args: Any, project: str = "fake-project", region: str = "us-east5", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project, self.region = project, region
        self.token = FAKE_TOKEN  # what the token endpoint issues
        self.accepted = FAKE_TOKEN  # what the API accepts (another: the credentials lost their access)
        self.tokens_issued = 0

    def reset(self) -> None:
        super().reset()
        self.accepted = self.token

    def _platform_error(self, status: int, message: str) -> HttpResponse:
        statuses = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                    429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 529: "UNAVAILABLE"}
        code = 503 if status == 529 else status
        return HttpResponse(code, {"error": {"code": code, "message": message,
                                             "status": statuses.get(status, "INTERNAL")}})

    def _unknown_model_error(self, model: str) -> HttpResponse:
        return self._platform_error(404, f"Publisher Model `projects/{self.project}/locations/{self.region}/"
                                    f"publishers/anthropic/models/{model}` not found.")

    async def _respond(self, request: HttpRequest, reader: asyncio.StreamReader) -> HttpResponse:
        if request.path.startswith("/_fake/"):
            return self._control(request)
        if request.method == "POST" and request.path == "/token":
            return self._oauth_token(request)
        body, bad = self._record_and_parse(request)
        if bad is not None:
            return bad
        if request.headers.get("authorization") != f"Bearer {self.accepted}":
            self._outcome("401")
            return self._platform_error(401, "Request had invalid authentication credentials.")
        prefix = f"/v1/projects/{self.project}/locations/{self.region}/publishers/anthropic/models/"
        if request.method != "POST" or not request.path.startswith(prefix):
            return self._platform_error(404, f"Not found: {request.method} {request.path}")
        target = unquote(request.path.removeprefix(prefix))
        if target == "count-tokens:rawPredict":  # the model is in the body here
            model = body.get("model") if isinstance(body, dict) else None
            if self.known_platform_models is not None and model not in self.known_platform_models:
                return self._unknown_model_error(str(model))
            parts = PromptParts.of(body if isinstance(body, dict) else {})
            return HttpResponse(200, {"input_tokens": estimate_tokens(len(parts.cacheable) + parts.rest_chars)})
        model, _, verb = target.rpartition(":")
        if verb != "rawPredict":
            return self._platform_error(404, f"Not found: {request.path}")
        return await self._invoke(request, body, model, reader)

    def _oauth_token(self, request: HttpRequest) -> HttpResponse:
        form = parse_qs(request.body.decode())
        assertion = (form.get("assertion") or [""])[0]
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"] or assertion.count(".") != 2:
            return HttpResponse(400, {"error": "invalid_grant"})
        self.tokens_issued += 1
        return HttpResponse(200, {"access_token": self.token, "expires_in": 3600, "token_type": "Bearer",
                                  "scope": "https://www.googleapis.com/auth/cloud-platform"})


def adc_file(path: Any, fake: FakeVertex) -> Mapping[str, str]:
    """Write a Google service-account key (a new RSA key, ours) whose token endpoint is the fake; the
    environment that points the SDK at it (GOOGLE_APPLICATION_CREDENTIALS) and at the fake."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path.write_text(json.dumps({
        "type": "service_account", "project_id": fake.project, "private_key_id": "fake-key-id",
        "private_key": pem, "client_email": f"asmis-test@{fake.project}.iam.gserviceaccount.com",
        "client_id": "1234567890", "token_uri": f"{fake.url}/token"}))
    return {"GOOGLE_APPLICATION_CREDENTIALS": str(path), "CLOUD_ML_REGION": fake.region,
            "ANTHROPIC_VERTEX_PROJECT_ID": fake.project, "ANTHROPIC_VERTEX_BASE_URL": f"{fake.url}/v1"}


def bedrock_env(fake: FakeBedrock, access_key: str = "AKIAFAKEEXAMPLE") -> Mapping[str, str]:
    """AWS credentials from the environment (the chain's first link) and the fake as the endpoint."""
    return {"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": "fake/secret/key/EXAMPLE",
            "AWS_REGION": "us-east-1", "ANTHROPIC_BEDROCK_BASE_URL": fake.url}
