"""Translation prompts for LLM backends: few-shot completion text or chat messages, and stop-string handling."""

from __future__ import annotations

from typing import Any

from ..config.schema import Located, Option
from ..errors import BackendError

LANG_NAMES = {"zh": "Chinese", "en": "English", "de": "German", "fr": "French", "es": "Spanish", "ru": "Russian",
              "ja": "Japanese", "ko": "Korean", "cs": "Czech", "uk": "Ukrainian", "ar": "Arabic", "pt": "Portuguese",
              "it": "Italian", "tr": "Turkish", "pl": "Polish", "hr": "Croatian", "he": "Hebrew", "is": "Icelandic"}

# Written for this harness (news-style, not taken from any test set).
ZH_EN_EXAMPLES = [
    {"source": "联合国秘书长呼吁各方保持克制，通过对话解决分歧。",
     "target": "The UN Secretary-General called on all parties to exercise restraint and resolve their "
               "differences through dialogue."},
    {"source": "今年第一季度，该省出口总额同比增长百分之十二。",
     "target": "In the first quarter of this year, the province's total exports rose 12 percent year on year."},
    {"source": "新华社北京5月8日电 国家统计局8日发布的数据显示，全国粮食产量再创新高。",
     "target": "BEIJING, May 8 (Xinhua) -- Data released by the National Bureau of Statistics on May 8 showed "
               "that the country's grain output hit a record high."},
    {"source": "专家表示，应对气候变化需要国际社会的共同努力。",
     "target": "Experts said that tackling climate change requires the joint efforts of the international "
               "community."},
]

FEWSHOT_TEMPLATE = "{src_name}: {source}\n{tgt_name}:"
CHAT_TEMPLATE = "Translate this {src_name} text into {tgt_name}. Reply with the translation only.\n\n{source}"
PROMPT_KEYS = ("prefix", "template", "examples", "separator", "stop", "system")
PROMPT_DOC = ("Prompt: prefix, template ({source}, {src_name}, {tgt_name}), examples [{source, target}] "
              "(default: built-in pairs for zh→en), separator, stop strings, system (chat only).")
PROMPT_OPTIONS: list[Option] = [
    Option("prompt", "dict", PROMPT_DOC, default={},
           example={"template": "{src_name}: {source}\n{tgt_name}:", "stop": ["\n"]}),
    Option("chat", "bool", "Use the tokenizer's chat template (instruction-tuned models).", default=False,
           example=True),
]
"""Keys of the decoder-only model backends (`hf-causal`, `ct2`)."""


def prompt_defaults(spec: dict[str, Any], chat: bool) -> dict[str, Any]:
    """The built-in values a prompt `spec` falls back to (part of the backend identity, so editing them in the code
    invalidates cached translations)."""
    defaults = {"prefix": "", "template": CHAT_TEMPLATE if chat else FEWSHOT_TEMPLATE, "examples_zh_en": ZH_EN_EXAMPLES,
                "separator": "\n\n", "stop": [] if chat else ["\n"], "system": None}
    return {k: v for k, v in defaults.items() if k.removesuffix("_zh_en") not in spec}


def check_prompt(prompt: dict[str, Any], loc: Located, path: tuple) -> None:
    """Validate a `prompt:` mapping; errors point at the offending key."""
    for key, value in prompt.items():
        where = path + (key,)
        if key not in PROMPT_KEYS:
            raise loc.error(where, f"unknown prompt key (known: {', '.join(PROMPT_KEYS)})")
        if key == "stop" and not (isinstance(value, list) and all(isinstance(s, str) and s for s in value)):
            raise loc.error(where, "expected a list of non-empty strings")
        if key == "examples" and not (isinstance(value, list) and all(
                isinstance(e, dict) and set(e) == {"source", "target"} for e in value)):
            raise loc.error(where, "expected a list of {source: ..., target: ...}")
        if key in ("prefix", "template", "separator", "system") and not isinstance(value, str):
            raise loc.error(where, "expected a string")
    if "{source}" not in prompt.get("template", "{source}"):
        raise loc.error(path + ("template",), "must contain {source}")


class Prompt:
    """A resolved prompt for one language pair; `chat` selects messages instead of completion text."""

    def __init__(self, spec: dict[str, Any], src_lang: str, tgt_lang: str, chat: bool) -> None:
        self.chat = chat
        d = prompt_defaults({}, chat)
        self.prefix = spec.get("prefix", d["prefix"])
        self.template = spec.get("template", d["template"])
        examples = spec.get("examples")
        self.examples = (d["examples_zh_en"] if (src_lang, tgt_lang) == ("zh", "en") else []) if examples is None \
            else examples
        self.separator = spec.get("separator", d["separator"])
        self.stop: list[str] = spec.get("stop", d["stop"])
        self.system: str | None = spec.get("system", d["system"])
        self.names = {"src_name": LANG_NAMES.get(src_lang, src_lang), "tgt_name": LANG_NAMES.get(tgt_lang, tgt_lang)}

    def _query(self, source: str) -> str:
        return self.template.format(source=source, **self.names)

    def text(self, source: str) -> str:
        """Few-shot completion prompt: prefix, examples (query + target + separator), then the query."""
        shots = "".join(self._query(ex["source"]) + " " + ex["target"] + self.separator for ex in self.examples)
        return self.prefix + shots + self._query(source)

    def render(self, tokenizer: Any, source: str) -> str:
        """The text given to a local model: the few-shot text, or the messages through the chat template."""
        if self.chat:
            return tokenizer.apply_chat_template(self.messages(source), tokenize=False, add_generation_prompt=True)
        return self.text(source)

    def messages(self, source: str) -> list[dict[str, str]]:
        """Chat messages: optional system message, examples as user/assistant turns, then the query."""
        out = [{"role": "system", "content": self.system}] if self.system else []
        for ex in self.examples:
            out += [{"role": "user", "content": self.prefix + self._query(ex["source"])},
                    {"role": "assistant", "content": ex["target"]}]
        return out + [{"role": "user", "content": self.prefix + self._query(source)}]


def check_chat_template(system: str, chat: bool, tokenizer: Any) -> None:
    if chat and not getattr(tokenizer, "chat_template", None):
        raise BackendError(f"system {system!r}: chat: true but the tokenizer has no chat template")


def reached_stop(generated: str, stops: list[str]) -> bool:
    """Has the text generated so far reached a stop string (where `cut_at_stop` will cut)?"""
    text = generated.lstrip(" \t")
    return any(s in text for s in stops)


def cut_at_stop(text: str, stops: list[str]) -> str:
    """The text before the first stop string (leading spaces and tabs are dropped first), stripped."""
    text = text.lstrip(" \t")
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=len(text))
    return text[:cut].strip()
