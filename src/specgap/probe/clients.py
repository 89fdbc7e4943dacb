"""Who answers a probe: an OpenAI-compatible chat endpoint, or a Python callable.

A callable (`module:function`) takes the list of chat messages (`{"role", "content"}` dicts) and
returns the reply text.
"""

from __future__ import annotations

import importlib
import json
import os
import time
import urllib.error
import urllib.request
from typing import Callable

Messages = list[dict[str, str]]
Chat = Callable[[Messages], str]


class ClientError(Exception):
    """The model could not be asked (connection, HTTP status, malformed reply)."""


def http_chat(url: str, model: str, *, key_env: str = "OPENAI_API_KEY", timeout: float = 60.0,
              temperature: float = 0.0, retries: int = 2) -> Chat:
    """A chat function for an OpenAI-compatible endpoint (`url` is the base, e.g. .../v1)."""
    endpoint = url.rstrip("/")
    if not endpoint.endswith("/chat/completions"):
        endpoint += "/chat/completions"
    headers = {"Content-Type": "application/json"}
    key = os.environ.get(key_env, "")
    if key:
        headers["Authorization"] = f"Bearer {key}"

    def chat(messages: Messages) -> str:
        body = json.dumps({"model": model, "messages": messages, "temperature": temperature}).encode()
        for attempt in range(retries + 1):
            req = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=timeout) as resp:
                    doc = json.loads(resp.read().decode("utf-8", "replace"))
                break
            except urllib.error.HTTPError as exc:
                if exc.code in (429, 500, 502, 503, 504) and attempt < retries:
                    time.sleep(1.0 * (attempt + 1))
                    continue
                detail = exc.read().decode("utf-8", "replace")[:300]
                raise ClientError(f"{endpoint}: HTTP {exc.code}: {detail}") from exc
            except (urllib.error.URLError, OSError) as exc:
                refused = isinstance(getattr(exc, "reason", exc), ConnectionRefusedError)
                if attempt < retries and not refused:  # nothing listening will not start listening
                    time.sleep(1.0 * (attempt + 1))
                    continue
                raise ClientError(f"{endpoint}: {getattr(exc, 'reason', exc)}") from exc
            except ValueError as exc:
                raise ClientError(f"{endpoint}: the reply is not JSON") from exc
        try:
            content = doc["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ClientError(f"{endpoint}: no choices[0].message.content in the reply") from exc
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        return content if isinstance(content, str) else ""

    return chat


def callable_chat(spec: str) -> Chat:
    """`module:function` imported as a chat function."""
    module, sep, name = spec.partition(":")
    if not sep or not module or not name:
        raise ClientError(f"{spec!r}: expected module:function")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ClientError(f"cannot load {spec}: {exc}") from exc
    if not callable(fn):
        raise ClientError(f"{spec} is not callable")

    def chat(messages: Messages) -> str:
        reply = fn([dict(m) for m in messages])
        if not isinstance(reply, str):
            raise ClientError(f"{spec} returned {type(reply).__name__}, not the reply text")
        return reply

    return chat
