"""Optional LLM rewrite step of the PDF worker.

Sentences go to a chat model in batches and come back simplified, one for one.
The step is off by default (provider "none"); a real provider is reached over
HTTP with httpx, either an OpenAI-compatible `/chat/completions` endpoint or
Gemini's `generateContent`.
"""

from __future__ import annotations

import json
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

import httpx

logger = logging.getLogger(__name__)

MODEL_TIERS = ("balanced", "quality", "speed")
PROVIDERS = ("none", "openai", "gemini")

DEFAULT_MODELS: Mapping[str, Mapping[str, str]] = {
    "gemini": {
        "balanced": "gemini-2.5-flash",
        "quality": "gemini-2.5-pro",
        "speed": "gemini-2.5-flash-lite",
    },
    "openai": {
        "balanced": "gpt-4o-mini",
        "quality": "gpt-4o",
        "speed": "gpt-4o-mini",
    },
}
DEFAULT_BASE_URLS: Mapping[str, str] = {
    "gemini": "https://generativelanguage.googleapis.com",
    "openai": "https://api.openai.com/v1",
}

# Low but non-zero: we want faithful rewrites, not creative ones.
TEMPERATURE = 0.2
# 408 is the server saying *it* timed out, so it is as retryable as our own timeout.
_TRANSIENT_STATUSES = frozenset({408, 429})
_ERROR_SNIPPET_CHARS = 300
_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n?(?P<body>.*?)\n?\s*```$", re.DOTALL)

SYSTEM_PROMPT = (
    "You rewrite sentences extracted from a PDF so they are simpler and clearer, "
    "keeping their meaning, facts and language. The user sends a JSON array of "
    "strings. Reply with only a JSON array of strings containing exactly as many "
    "items as you were given, where item i is the rewrite of input item i. Never "
    "merge, split, add or drop items. No commentary."
)


class LLMError(Exception):
    """A rewrite failed; `transient` tells the caller whether a retry can help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, kw_only=True)
class RewriteResult:
    sentences: list[str]
    api_calls: int
    tokens_used: int


class SentenceRewriter(Protocol):
    def rewrite(self, sentences: Sequence[str], *, model_tier: str) -> RewriteResult: ...


@dataclass(frozen=True, kw_only=True)
class LLMConfig:
    provider: str = "none"
    base_url: str | None = None
    # Kept out of repr so a logged config never leaks the secret.
    api_key: str | None = field(default=None, repr=False)
    # Overrides per tier; tiers left out use DEFAULT_MODELS for the provider.
    models: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 30.0
    batch_size: int = 40

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValueError(f"unknown LLM provider {self.provider!r}; expected one of {PROVIDERS}")
        unknown = sorted(set(self.models) - set(MODEL_TIERS))
        if unknown:
            raise ValueError(f"unknown model tiers {unknown}; expected {MODEL_TIERS}")
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")


def config_from_env(environ: Mapping[str, str]) -> LLMConfig:
    """Read LLM_* settings; anything unset keeps the (disabled) defaults."""
    models = {
        tier: environ[f"LLM_MODEL_{tier.upper()}"]
        for tier in MODEL_TIERS
        if environ.get(f"LLM_MODEL_{tier.upper()}")
    }
    return LLMConfig(
        provider=environ.get("LLM_PROVIDER", "none").strip().lower() or "none",
        base_url=environ.get("LLM_BASE_URL") or None,
        api_key=environ.get("LLM_API_KEY") or None,
        models=models,
        timeout_seconds=float(environ.get("LLM_TIMEOUT_SECONDS", "30")),
        batch_size=int(environ.get("LLM_BATCH_SIZE", "40")),
    )


def check_tier(model_tier: str) -> None:
    if model_tier not in MODEL_TIERS:
        raise ValueError(f"unknown model tier {model_tier!r}; expected one of {MODEL_TIERS}")


class NoopRewriter:
    """The default: leaves sentences as they are and costs nothing."""

    def rewrite(self, sentences: Sequence[str], *, model_tier: str) -> RewriteResult:
        # Validate anyway so a bad option fails the same way whatever the provider.
        check_tier(model_tier)
        return RewriteResult(sentences=list(sentences), api_calls=0, tokens_used=0)


@dataclass(frozen=True, kw_only=True)
class _Reply:
    text: str
    tokens: int


class _HttpRewriter(ABC):
    """Batching, reply parsing and HTTP error mapping shared by the providers."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        models: Mapping[str, str],
        timeout_seconds: float = 30.0,
        batch_size: int = 40,
        client: httpx.Client | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._models = dict(models)
        self._batch_size = batch_size
        self._timeout = httpx.Timeout(timeout_seconds)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=self._timeout)

    def rewrite(self, sentences: Sequence[str], *, model_tier: str) -> RewriteResult:
        model = self._model_for(model_tier)
        rewritten: list[str] = []
        calls = tokens = 0
        for batch in _batches(sentences, self._batch_size):
            reply = self._complete(model, json.dumps(batch, ensure_ascii=False))
            calls += 1
            tokens += reply.tokens
            logger.debug("LLM batch: model=%s items=%d tokens=%d", model, len(batch), reply.tokens)
            rewritten.extend(parse_sentences(reply.text, expected=len(batch)))
        return RewriteResult(sentences=rewritten, api_calls=calls, tokens_used=tokens)

    @abstractmethod
    def _complete(self, model: str, user_text: str) -> _Reply:
        """Send one batch (a JSON array as text) and return the model's raw reply."""

    def _model_for(self, model_tier: str) -> str:
        check_tier(model_tier)
        try:
            return self._models[model_tier]
        except KeyError:
            raise ValueError(f"no model configured for tier {model_tier!r}") from None

    def _post_json(self, url: str, *, headers: Mapping[str, str], body: object) -> Any:
        try:
            response = self._client.post(url, headers=headers, json=body, timeout=self._timeout)
        except httpx.TimeoutException as exc:
            raise LLMError(f"LLM request timed out ({type(exc).__name__})", transient=True) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise LLMError(f"LLM connection failed: {exc}", transient=True) from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"LLM request failed: {exc}", transient=False) from exc
        _raise_for_status(response)
        return _json_body(response)

    def close(self) -> None:
        # An injected client belongs to the caller, who may still be using it.
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> _HttpRewriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class OpenAICompatibleRewriter(_HttpRewriter):
    """Any server speaking OpenAI's chat completions API (OpenAI, vLLM, Ollama...)."""

    def _complete(self, model: str, user_text: str) -> _Reply:
        body = {
            "model": model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": user_text},
            ],
            "temperature": TEMPERATURE,
        }
        headers = {"Authorization": f"Bearer {self._api_key}"}
        data = self._post_json(f"{self._base_url}/chat/completions", headers=headers, body=body)
        return _Reply(text=_openai_text(data), tokens=_token_count(data, "usage", "total_tokens"))


class GeminiRewriter(_HttpRewriter):
    """Google's Gemini API (`generateContent`)."""

    def _complete(self, model: str, user_text: str) -> _Reply:
        body = {
            "systemInstruction": {"parts": [{"text": SYSTEM_PROMPT}]},
            "contents": [{"role": "user", "parts": [{"text": user_text}]}],
            # JSON mode makes fenced or chatty replies much rarer.
            "generationConfig": {
                "temperature": TEMPERATURE,
                "responseMimeType": "application/json",
            },
        }
        # Header rather than ?key= so the secret never appears in URLs or their logs.
        headers = {"x-goog-api-key": self._api_key}
        url = f"{self._base_url}/v1beta/models/{model}:generateContent"
        data = self._post_json(url, headers=headers, body=body)
        tokens = _token_count(data, "usageMetadata", "totalTokenCount")
        return _Reply(text=_gemini_text(data), tokens=tokens)


def build_rewriter(config: LLMConfig, *, client: httpx.Client | None = None) -> SentenceRewriter:
    """Pick the rewriter for `config`; provider "none" needs no key or network."""
    if config.provider == "none":
        return NoopRewriter()
    if not config.api_key:
        raise ValueError(f"LLM provider {config.provider!r} needs an API key")
    base_url = config.base_url or DEFAULT_BASE_URLS[config.provider]
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"LLM base URL must be http(s), got {base_url!r}")
    rewriter_class = GeminiRewriter if config.provider == "gemini" else OpenAICompatibleRewriter
    return rewriter_class(
        base_url=base_url,
        api_key=config.api_key,
        models={**DEFAULT_MODELS[config.provider], **config.models},
        timeout_seconds=config.timeout_seconds,
        batch_size=config.batch_size,
        client=client,
    )


def parse_sentences(text: str, *, expected: int) -> list[str]:
    """Turn a model reply into exactly `expected` sentences or raise LLMError."""
    items = _load_json_array(text)
    if len(items) != expected:
        raise LLMError(
            f"LLM returned {len(items)} sentences for a batch of {expected}", transient=False
        )
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise LLMError("LLM reply contains empty or non-string items", transient=False)
    return [item.strip() for item in items]


def _load_json_array(text: str) -> list[Any]:
    cleaned = text.strip()
    fenced = _FENCE.match(cleaned)
    if fenced:
        cleaned = fenced.group("body").strip()
    try:
        value = json.loads(cleaned)
    except json.JSONDecodeError:
        # Models sometimes wrap the array in a sentence; try just the bracketed part.
        value = _load_bracketed(cleaned)
    if not isinstance(value, list):
        raise LLMError(f"LLM reply is not a JSON array: {_snippet(text)}", transient=False)
    return value


def _load_bracketed(text: str) -> Any:
    start, end = text.find("["), text.rfind("]")
    if start != -1 and end > start:
        try:
            return json.loads(text[start : end + 1])
        except json.JSONDecodeError:
            pass
    raise LLMError(f"LLM reply is not valid JSON: {_snippet(text)}", transient=False)


def _batches(sentences: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(sentences), size):
        yield list(sentences[start : start + size])


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    transient = status in _TRANSIENT_STATUSES or status >= 500
    message = f"LLM API returned HTTP {status}: {_snippet(response.text)}"
    raise LLMError(message, transient=transient)


def _json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        message = f"LLM API returned a non-JSON body: {_snippet(response.text)}"
        raise LLMError(message, transient=False) from exc


def _openai_text(data: Any) -> str:
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LLMError("LLM response has no choices[0].message.content", transient=False) from None
    if choice.get("finish_reason") == "length":
        raise LLMError("LLM reply was cut off (finish_reason=length)", transient=False)
    if not isinstance(content, str):
        raise LLMError("LLM response content is not text", transient=False)
    return content


def _gemini_text(data: Any) -> str:
    if not isinstance(data, dict):
        raise LLMError("Gemini response is not a JSON object", transient=False)
    candidates = data.get("candidates")
    if not candidates or not isinstance(candidates[0], dict):
        reason = (data.get("promptFeedback") or {}).get("blockReason")
        raise LLMError(f"Gemini returned no candidates (blockReason={reason})", transient=False)
    candidate = candidates[0]
    if candidate.get("finishReason") == "MAX_TOKENS":
        raise LLMError("Gemini reply was cut off (finishReason=MAX_TOKENS)", transient=False)
    parts = (candidate.get("content") or {}).get("parts") or []
    # Thinking models may add "thought" parts; only the answer parts matter.
    text = "".join(p.get("text", "") for p in parts if isinstance(p, dict) and not p.get("thought"))
    if not text:
        reason = candidate.get("finishReason")
        raise LLMError(f"Gemini candidate has no text (finishReason={reason})", transient=False)
    return text


def _token_count(data: Any, section: str, key: str) -> int:
    # Some OpenAI-compatible servers omit usage; count zero rather than fail the job.
    usage = data.get(section) if isinstance(data, dict) else None
    value = usage.get(key) if isinstance(usage, dict) else None
    return value if isinstance(value, int) else 0


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= _ERROR_SNIPPET_CHARS:
        return flat
    return flat[:_ERROR_SNIPPET_CHARS] + "..."
