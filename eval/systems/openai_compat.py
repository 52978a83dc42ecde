"""`openai`: any OpenAI-compatible server (vLLM, llama.cpp server, TGI, ...) via /v1/chat/completions or
/v1/completions, with concurrent requests and bounded retries. The API key is read from the environment
variable named by `api_key_env` and is never written anywhere (manifest, cache, logs, errors).
"""

from __future__ import annotations

import json
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from ..config.schema import Located, Option
from ..corpus.base import Corpus
from ..errors import BackendError
from .base import BACKENDS
from .model import ModelBackend
from .prompt import PROMPT_DOC, Prompt, check_prompt, cut_at_stop, prompt_defaults

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class _Retryable(Exception):
    """A failure worth retrying (429/5xx, timeout, connection error)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@BACKENDS.register("openai")
class OpenAIBackend(ModelBackend):
    """Translation through an OpenAI-compatible HTTP endpoint; each segment is one request."""

    options: ClassVar[list[Option]] = [
        Option("base_url", "str", "Server base URL including /v1.", example="http://127.0.0.1:8000/v1"),
        Option("model", "str", "Model name as the server knows it.", example="Qwen/Qwen2.5-7B-Instruct"),
        Option("endpoint", "str", "`chat` (/chat/completions) or `completions` (/completions, few-shot text).",
               default="chat", example="completions", choices=("chat", "completions")),
        Option("api_key_env", "str", "Name of the environment variable holding the API key (never stored).",
               default=None, example="OPENAI_API_KEY"),
        Option("concurrency", "int", "Requests in flight at once.", default=8, example=32),
        Option("batch_size", "int", "Segments per cache commit.", default=64, example=256),
        Option("timeout", "float", "Seconds to wait for one response.", default=120.0, example=30),
        Option("max_retries", "int", "Retries of a request after 429/5xx/timeouts before failing.", default=5,
               example=3),
        Option("backoff", "float", "First retry delay in seconds; doubles each retry, capped at 30 s.",
               default=1.0, example=0.5),
        Option("generation", "dict", "Request parameters (temperature, max_tokens, ...); temperature 0 unless set.",
               default={}, example={"max_tokens": 512}),
        Option("prompt", "dict", PROMPT_DOC, default={}, example={"system": "You are a translator."}),
    ]
    generation_options = None  # request parameters go to the server as they are (servers add their own)

    @classmethod
    def prepare(cls, values: dict[str, Any], loc: Located, path: tuple) -> None:
        super().prepare(values, loc, path)
        url = urlsplit(values["base_url"])
        if url.scheme not in ("http", "https") or not url.netloc:
            raise loc.error(path + ("base_url",), f"expected an http(s) URL, got {values['base_url']!r}")
        if url.username or url.password:
            raise loc.error(path + ("base_url",), "do not put credentials in the URL; use api_key_env")
        for key in ("concurrency", "max_retries"):
            if values[key] < (1 if key == "concurrency" else 0):
                raise loc.error(path + (key,), "too small")
        check_prompt(values["prompt"], loc, path + ("prompt",))

    def check_corpus(self, corpus: Corpus) -> None:
        env = self.spec["api_key_env"]
        if env and not os.environ.get(env):
            raise BackendError(f"system {self.name!r}: environment variable {env} (api_key_env) is not set")

    def identity(self) -> dict[str, Any]:
        parts = urlsplit(self.spec["base_url"].rstrip("/"))
        return {"backend": "openai", "base_url": urlunsplit(parts._replace(query="", fragment="")),
                "model": self.spec["model"], "endpoint": self.spec["endpoint"], "generation": self.spec["generation"],
                "prompt": self.spec["prompt"],
                "prompt_defaults": prompt_defaults(self.spec["prompt"], self.spec["endpoint"] == "chat")}

    def load(self) -> None:
        """Nothing to load: the model lives on the server."""

    @property
    def url(self) -> str:
        path = "/chat/completions" if self.spec["endpoint"] == "chat" else "/completions"
        return self.spec["base_url"].rstrip("/") + path

    def translate_batch(self, sources: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        prompt = Prompt(self.spec["prompt"], src_lang, tgt_lang, chat=self.spec["endpoint"] == "chat")
        workers = min(self.spec["concurrency"], len(sources))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda s: self._translate_one(prompt, s), sources))

    def _payload(self, prompt: Prompt, source: str) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.spec["model"], "temperature": 0}
        if prompt.chat:
            body["messages"] = prompt.messages(source)
        else:
            body["prompt"] = prompt.text(source)
        if prompt.stop:
            body["stop"] = prompt.stop
        body.update(self.spec["generation"])
        return body

    def _translate_one(self, prompt: Prompt, source: str) -> str:
        data = json.dumps(self._payload(prompt, source)).encode()
        attempts = self.spec["max_retries"] + 1
        for attempt in range(attempts):
            try:
                reply = self._post(data)
                break
            except _Retryable as exc:
                if attempt == attempts - 1:
                    raise BackendError(f"system {self.name!r}: {self.url}: giving up after {attempts} attempts: "
                                       f"{exc}") from None
                delay = min(30.0, self.spec["backoff"] * 2 ** attempt) * (0.8 + 0.4 * random.random())
                time.sleep(min(30.0, exc.retry_after) if exc.retry_after is not None else delay)
        return cut_at_stop(self._extract(reply, prompt.chat), prompt.stop)

    def _post(self, data: bytes) -> Any:
        import urllib.error
        import urllib.request

        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        env = self.spec["api_key_env"]
        if env:
            headers["Authorization"] = f"Bearer {os.environ.get(env, '')}"
        request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.spec["timeout"]) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = self._redact(_error_detail(exc))
            if exc.code in RETRY_STATUS:
                raise _Retryable(f"HTTP {exc.code}{detail}", _retry_after(exc.headers.get("Retry-After"))) from None
            raise BackendError(f"system {self.name!r}: {self.url}: HTTP {exc.code}{detail}") from None
        except TimeoutError:
            raise _Retryable(f"no response within {self.spec['timeout']:g} s") from None
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise _Retryable(f"no response within {self.spec['timeout']:g} s") from None
            raise _Retryable(f"connection failed: {reason}") from None
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BackendError(f"system {self.name!r}: {self.url}: malformed response (not JSON): "
                               f"{self._redact(repr(body[:120]))}") from None

    def _redact(self, text: str) -> str:
        """Server messages may echo the key back: never let it reach an error or a log."""
        key = os.environ.get(self.spec["api_key_env"] or "", "")
        return text.replace(key, "***") if len(key) >= 4 else text

    def _extract(self, reply: Any, chat: bool) -> str:
        try:
            choice = reply["choices"][0]
            text = choice["message"]["content"] if chat else choice["text"]
        except (KeyError, IndexError, TypeError):
            text = None
        if not isinstance(text, str):
            field = "choices[0].message.content" if chat else "choices[0].text"
            raise BackendError(f"system {self.name!r}: {self.url}: malformed response: no string {field} in "
                               f"{self._redact(json.dumps(reply)[:160])}")
        return text


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error_detail(exc: Any) -> str:
    try:
        text = exc.read(300).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return f": {' '.join(text.split())[:200]}" if text else ""
