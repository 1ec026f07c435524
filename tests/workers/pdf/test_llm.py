"""The LLM rewriters, run with a real httpx client against a local HTTP server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from services.workers.pdf.llm import (
    GeminiRewriter,
    LLMConfig,
    LLMError,
    NoopRewriter,
    OpenAICompatibleRewriter,
    RewriteResult,
    SentenceRewriter,
    build_rewriter,
    config_from_env,
    parse_sentences,
)

API_KEY = "sk-test-secret-123"


@dataclass(frozen=True, kw_only=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True, kw_only=True)
class Canned:
    body: Any
    status: int = 200
    delay: float = 0.0


Responder = Callable[[Received], Canned]


class FakeLLMServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[Received] = []
        self.responder: Responder = lambda _: Canned(body={}, status=500)
        # Set at teardown so a deliberately slow reply doesn't outlive its test.
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeLLMServer

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        received = Received(path=self.path, headers=headers, body=json.loads(raw))
        self.server.received.append(received)
        canned = self.server.responder(received)
        if canned.delay:
            self.server.release.wait(canned.delay)
        self._send(canned)

    def _send(self, canned: Canned) -> None:
        body = canned.body
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(canned.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test); nothing left to answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    httpd = FakeLLMServer()
    # A short poll interval keeps shutdown (and so every test) fast.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as http_client:
        yield http_client


def make_rewriter(
    server: FakeLLMServer, client: httpx.Client, provider: str = "openai", **overrides: Any
) -> SentenceRewriter:
    base_url = server.url + "/v1" if provider == "openai" else server.url
    config = LLMConfig(provider=provider, base_url=base_url, api_key=API_KEY, **overrides)
    return build_rewriter(config, client=client)


def openai_user_text(received: Received) -> str:
    return str(received.body["messages"][-1]["content"])


def gemini_user_text(received: Received) -> str:
    return str(received.body["contents"][-1]["parts"][0]["text"])


def openai_reply(text: str, tokens: int = 17) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": tokens - 5, "completion_tokens": 5, "total_tokens": tokens},
    }


def gemini_reply(text: str, tokens: int = 23) -> dict[str, Any]:
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {
            "promptTokenCount": tokens - 3,
            "candidatesTokenCount": 3,
            "totalTokenCount": tokens,
        },
    }


def openai_echo(tokens: int = 17) -> Responder:
    """Upper-cases each sentence and answers inside a ```json fence, as models often do."""

    def respond(received: Received) -> Canned:
        sentences = json.loads(openai_user_text(received))
        text = "```json\n" + json.dumps([s.upper() for s in sentences]) + "\n```"
        return Canned(body=openai_reply(text, tokens))

    return respond


def gemini_echo(tokens: int = 23) -> Responder:
    def respond(received: Received) -> Canned:
        sentences = json.loads(gemini_user_text(received))
        return Canned(body=gemini_reply(json.dumps([s.upper() for s in sentences]), tokens))

    return respond


def test_openai_happy_path(server: FakeLLMServer, client: httpx.Client) -> None:
    server.responder = openai_echo(tokens=17)
    sentences = ["The cat sat.", "Die Straße ist gesperrt."]

    result = make_rewriter(server, client).rewrite(sentences, model_tier="quality")

    assert result == RewriteResult(
        sentences=["THE CAT SAT.", "DIE STRASSE IST GESPERRT."], api_calls=1, tokens_used=17
    )
    [received] = server.received
    assert received.path == "/v1/chat/completions"
    assert received.headers["authorization"] == f"Bearer {API_KEY}"
    assert received.body["model"] == "gpt-4o"
    assert set(received.body) == {"model", "messages", "temperature"}
    assert all(s in openai_user_text(received) for s in sentences)


def test_gemini_happy_path(server: FakeLLMServer, client: httpx.Client) -> None:
    server.responder = gemini_echo(tokens=23)

    rewriter = make_rewriter(server, client, provider="gemini")
    result = rewriter.rewrite(["One.", "Two."], model_tier="speed")

    assert isinstance(rewriter, GeminiRewriter)
    assert result == RewriteResult(sentences=["ONE.", "TWO."], api_calls=1, tokens_used=23)
    [received] = server.received
    assert received.path == "/v1beta/models/gemini-2.5-flash-lite:generateContent"
    assert received.headers["x-goog-api-key"] == API_KEY
    assert "authorization" not in received.headers
    assert json.loads(gemini_user_text(received)) == ["One.", "Two."]


def test_model_override_replaces_only_that_tier(
    server: FakeLLMServer, client: httpx.Client
) -> None:
    server.responder = gemini_echo()
    rewriter = make_rewriter(server, client, provider="gemini", models={"quality": "my-model"})

    rewriter.rewrite(["A."], model_tier="quality")
    rewriter.rewrite(["A."], model_tier="balanced")

    paths = [r.path for r in server.received]
    assert paths == [
        "/v1beta/models/my-model:generateContent",
        "/v1beta/models/gemini-2.5-flash:generateContent",
    ]


def test_batches_sentences_and_sums_tokens(server: FakeLLMServer, client: httpx.Client) -> None:
    server.responder = openai_echo(tokens=10)
    sentences = [f"sentence {i}." for i in range(90)]

    result = make_rewriter(server, client, batch_size=40).rewrite(sentences, model_tier="balanced")

    assert result.api_calls == 3
    assert result.tokens_used == 30
    assert result.sentences == [s.upper() for s in sentences]
    batch_sizes = [len(json.loads(openai_user_text(r))) for r in server.received]
    assert batch_sizes == [40, 40, 10]


def test_no_sentences_means_no_calls(server: FakeLLMServer, client: httpx.Client) -> None:
    result = make_rewriter(server, client).rewrite([], model_tier="balanced")

    assert result == RewriteResult(sentences=[], api_calls=0, tokens_used=0)
    assert server.received == []


@pytest.mark.parametrize(
    ("status", "transient"), [(429, True), (503, True), (500, True), (400, False), (401, False)]
)
def test_http_errors_are_classified(
    server: FakeLLMServer, client: httpx.Client, status: int, transient: bool
) -> None:
    server.responder = lambda _: Canned(status=status, body={"error": {"message": "nope"}})

    with pytest.raises(LLMError) as caught:
        make_rewriter(server, client).rewrite(["A."], model_tier="balanced")

    assert caught.value.transient is transient
    assert f"HTTP {status}" in str(caught.value)
    assert API_KEY not in str(caught.value)


@pytest.mark.parametrize("provider", ["openai", "gemini"])
def test_malformed_reply_is_not_transient(
    server: FakeLLMServer, client: httpx.Client, provider: str
) -> None:
    text = '["unterminated'
    reply = openai_reply(text) if provider == "openai" else gemini_reply(text)
    server.responder = lambda _: Canned(body=reply)

    with pytest.raises(LLMError, match="not valid JSON") as caught:
        make_rewriter(server, client, provider=provider).rewrite(["A."], model_tier="balanced")

    assert caught.value.transient is False


def test_non_json_http_body_is_not_transient(server: FakeLLMServer, client: httpx.Client) -> None:
    server.responder = lambda _: Canned(body=b"<html>gateway</html>")

    with pytest.raises(LLMError, match="non-JSON body") as caught:
        make_rewriter(server, client).rewrite(["A."], model_tier="balanced")

    assert caught.value.transient is False


def test_count_mismatch_is_not_transient(server: FakeLLMServer, client: httpx.Client) -> None:
    server.responder = lambda _: Canned(body=openai_reply('["only one"]'))

    with pytest.raises(LLMError, match="1 sentences for a batch of 2") as caught:
        make_rewriter(server, client).rewrite(["A.", "B."], model_tier="balanced")

    assert caught.value.transient is False


def test_gemini_blocked_prompt_is_not_transient(
    server: FakeLLMServer, client: httpx.Client
) -> None:
    server.responder = lambda _: Canned(body={"promptFeedback": {"blockReason": "SAFETY"}})

    with pytest.raises(LLMError, match="SAFETY") as caught:
        make_rewriter(server, client, provider="gemini").rewrite(["A."], model_tier="balanced")

    assert caught.value.transient is False


def test_timeout_is_transient(server: FakeLLMServer, client: httpx.Client) -> None:
    server.responder = lambda _: Canned(body=openai_reply('["A."]'), delay=2.0)
    rewriter = make_rewriter(server, client, timeout_seconds=0.2)

    with pytest.raises(LLMError, match="timed out") as caught:
        rewriter.rewrite(["A."], model_tier="balanced")

    assert caught.value.transient is True


def test_connection_refused_is_transient(client: httpx.Client) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = LLMConfig(provider="openai", base_url=f"http://127.0.0.1:{port}", api_key=API_KEY)

    with pytest.raises(LLMError) as caught:
        build_rewriter(config, client=client).rewrite(["A."], model_tier="balanced")

    assert caught.value.transient is True


def test_owned_client_works_and_closes(server: FakeLLMServer) -> None:
    server.responder = openai_echo()
    config = LLMConfig(provider="openai", base_url=server.url + "/v1", api_key=API_KEY)
    rewriter = build_rewriter(config)
    assert isinstance(rewriter, OpenAICompatibleRewriter)

    with rewriter:
        assert rewriter.rewrite(["a."], model_tier="speed").sentences == ["A."]


def test_unknown_tier_fails_before_any_call(server: FakeLLMServer, client: httpx.Client) -> None:
    with pytest.raises(ValueError, match="unknown model tier"):
        make_rewriter(server, client).rewrite(["A."], model_tier="turbo")

    assert server.received == []


def test_noop_returns_sentences_unchanged() -> None:
    sentences = ("One.", "Two.")

    result = NoopRewriter().rewrite(sentences, model_tier="balanced")

    assert result == RewriteResult(sentences=["One.", "Two."], api_calls=0, tokens_used=0)
    with pytest.raises(ValueError):
        NoopRewriter().rewrite(sentences, model_tier="turbo")


def test_build_rewriter_defaults_to_noop() -> None:
    assert isinstance(build_rewriter(LLMConfig(provider="none", api_key=API_KEY)), NoopRewriter)
    assert isinstance(build_rewriter(config_from_env({})), NoopRewriter)


def test_build_rewriter_rejects_bad_config() -> None:
    with pytest.raises(ValueError, match="API key"):
        build_rewriter(LLMConfig(provider="gemini"))
    with pytest.raises(ValueError, match="unknown LLM provider"):
        LLMConfig(provider="claude")
    with pytest.raises(ValueError, match="unknown model tiers"):
        LLMConfig(provider="openai", models={"turbo": "x"})


def test_config_from_env_reads_settings_and_hides_key() -> None:
    config = config_from_env(
        {
            "LLM_PROVIDER": "Gemini",
            "LLM_BASE_URL": "http://llm.internal",
            "LLM_API_KEY": API_KEY,
            "LLM_MODEL_QUALITY": "gemini-exp",
            "LLM_BATCH_SIZE": "10",
        }
    )

    assert config.provider == "gemini"
    assert config.base_url == "http://llm.internal"
    assert config.models == {"quality": "gemini-exp"}
    assert config.batch_size == 10
    assert API_KEY not in repr(config)


@pytest.mark.parametrize(
    "text",
    [
        '["a", "b"]',
        '```json\n["a", "b"]\n```',
        '```\n["a", "b"]\n```',
        'Here you go:\n["a", "b"]',
    ],
)
def test_parse_sentences_accepts_common_reply_shapes(text: str) -> None:
    assert parse_sentences(text, expected=2) == ["a", "b"]


@pytest.mark.parametrize("text", ['{"a": "b"}', '["a", 3]', '["a", "  "]', "no json here"])
def test_parse_sentences_rejects_bad_replies(text: str) -> None:
    with pytest.raises(LLMError) as caught:
        parse_sentences(text, expected=2)

    assert caught.value.transient is False
