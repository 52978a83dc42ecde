"""sacreBLEU's default `13a` tokenizer (mteval-v13a), applied to many lines at once with the same output."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_PUNCT = re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])")


def _13a_clean(line: str) -> str:
    return line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")


def tokenize_13a(lines: Sequence[str], split: bool = False) -> list[str] | list[list[str]]:
    """sacreBLEU's `13a` tokenizer on many lines at once, with equal output: the lines are padded with spaces
    (as 13a does) and joined by newlines, which no rule can match across; the first and busiest substitution
    (`' \\1 '` around punctuation and spaces) is a split-and-join; the others are sacreBLEU's own regexes.
    With `split`, each line comes back as its list of tokens."""
    text = "\n".join(f" {_13a_clean(line)} " for line in lines)
    if "&" in text:
        text = text.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    text = " ".join(_PUNCT.split(text))
    for pattern, repl in _RE_TAIL:
        text = pattern.sub(repl, text)
    if split:
        return [line.split() for line in text.split("\n")]
    return [" ".join(line.split()) for line in text.split("\n")]


def _tail_rules() -> list:
    """sacreBLEU's other 13a substitutions, with their templates as functions (same output, no template parsing)."""
    from sacrebleu.tokenizers.tokenizer_re import TokenizerRegexp

    rules = TokenizerRegexp()._re
    if rules[0][0].pattern != _PUNCT.pattern or rules[0][1] != r" \1 ":
        raise ImportError("sacreBLEU's 13a rules changed; update eval/metrics/tok13a.py")
    as_function = {r"\1 \2 ": lambda m: f"{m[1]} {m[2]} ", r" \1 \2": lambda m: f" {m[1]} {m[2]}"}
    return [(pattern, as_function.get(repl, repl)) for pattern, repl in rules[1:]]


_RE_TAIL = _tail_rules()


def bleu_tokens(sb) -> Callable[[Sequence[str]], list[list[str]]]:
    """BLEU's `_preprocess_segment(...).split()` over many lines (with the faster equal 13a tokenizer when that is
    the tokenizer)."""
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    if type(sb.tokenizer) is not Tokenizer13a:
        return lambda lines: [sb._preprocess_segment(x).split() for x in lines]
    lower = sb.lowercase
    return lambda lines: tokenize_13a([(x.lower() if lower else x).rstrip() for x in lines], split=True)
