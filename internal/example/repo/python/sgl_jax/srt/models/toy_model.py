"""A rule-based "language model" with deterministic answers.

It solves simple arithmetic multiple-choice questions, guesses the rest by hash, answers word
problems with a crude keyword heuristic and otherwise babbles tokens produced by a real (tiny)
attention forward pass. Scores on the bundled eval data are therefore stable from run to run.

TPUCI_MODEL_DEGRADE=<fraction in [0, 1]> makes that fraction of answers wrong on purpose, so
tests can simulate an accuracy regression.
"""

import os
import re

from sgl_jax.srt.layers import Attention, RMSNorm
from sgl_jax.srt.sampling import SamplingParams, sample
from sgl_jax.srt.utils import dot, stable_hash

_LETTERS = "ABCD"
_OPTION_LINE = re.compile(r"^([ABCD])[.)]\s*(.*)$")
_ARITHMETIC = re.compile(r"What is (-?\d+) ([-+*/x×]) (-?\d+)\?")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_VOCAB = ["the", "a", "model", "token", "chip", "cache", "page", "kernel", "batch", "jax", "tpu", "."]
_HIDDEN = 8


def _degrade_fraction():
    raw = os.environ.get("TPUCI_MODEL_DEGRADE", "").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"TPUCI_MODEL_DEGRADE must be a number in [0, 1], got {raw!r}") from exc
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"TPUCI_MODEL_DEGRADE must be in [0, 1], got {value}")
    return value


def _embed(word):
    h = stable_hash(word)
    return [((h >> (3 * i)) & 7) / 7.0 - 0.5 for i in range(_HIDDEN)]


def _arithmetic(a, op, b):
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op in ("*", "x", "×"):
        return a * b
    return a // b if b and a % b == 0 else None


def _format_number(value):
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class ToyModel:
    """Deterministic stand-in for an LLM served with tensor parallelism tp_size."""

    def __init__(self, tp_size=1, model_path="toy"):
        self.tp_size = tp_size
        self.model_path = model_path
        self.degrade = _degrade_fraction()
        self.attention = Attention(num_heads=2, num_kv_heads=1, head_dim=_HIDDEN)
        self.norm = RMSNorm(_HIDDEN)
        self.unembed = [_embed(w) for w in _VOCAB]

    def generate(self, prompt, params=None):
        """Return {"text": str, "completion_tokens": int} for one prompt."""
        params = params or SamplingParams()
        answer = self._answer_choice(prompt)
        if answer is None:
            answer = self._answer_word_problem(prompt)
        if answer is not None:
            if self._should_degrade(prompt):
                answer = self._corrupt(answer)
            return {"text": answer, "completion_tokens": len(answer.split())}
        tokens = self._babble(prompt, params)
        return {"text": " ".join(tokens), "completion_tokens": len(tokens)}

    def _should_degrade(self, prompt):
        return self.degrade > 0 and stable_hash("degrade:" + prompt) % 10000 < self.degrade * 10000

    @staticmethod
    def _corrupt(answer):
        match = re.fullmatch(r"Answer: ([ABCD])", answer)
        if match:
            return "Answer: " + _LETTERS[(_LETTERS.index(match.group(1)) + 1) % 4]
        numbers = _NUMBER.findall(answer)
        return f"The answer is {_format_number(float(numbers[-1]) + 1)}." if numbers else answer

    @staticmethod
    def _answer_choice(prompt):
        options, question_lines = {}, []
        for line in prompt.splitlines():
            match = _OPTION_LINE.match(line.strip())
            if match:
                options[match.group(1)] = match.group(2).strip()
            elif not options:
                question_lines.append(line)
        if set(options) != set(_LETTERS):
            return None
        question = "\n".join(question_lines)
        match = _ARITHMETIC.search(question)
        if match:
            result = _arithmetic(int(match.group(1)), match.group(2), int(match.group(3)))
            for letter in _LETTERS:
                if result is not None and options[letter] == _format_number(result):
                    return "Answer: " + letter
        return "Answer: " + _LETTERS[stable_hash(question) % 4]

    @staticmethod
    def _answer_word_problem(prompt):
        if "Question:" not in prompt:
            return None
        text = prompt.split("Question:", 1)[1].split("Answer:", 1)[0].lower()
        numbers = [float(n) for n in _NUMBER.findall(text.replace(",", ""))]
        if not numbers:
            return None
        if any(w in text for w in (" each", " per ", " every ")) and len(numbers) >= 2:
            result = numbers[0] * numbers[1]
            if len(numbers) >= 3:
                if any(w in text for w in ("more", "another", "then")):
                    result += numbers[2]
                elif any(w in text for w in ("change", "left", "die", "lost")):
                    result = abs(numbers[2] - result)
        elif any(w in text for w in ("gives", "eats", "left", "loses", "sold", "spends")):
            result = numbers[0] - sum(numbers[1:])
        else:
            result = sum(numbers)
        return f"The answer is {_format_number(result)}."

    def _babble(self, prompt, params):
        words = prompt.split()[-16:] or ["."]
        positions = list(range(len(words)))
        hidden = [self.norm(_embed(w)) for w in words]
        heads = self.attention(positions, [hidden, hidden], [hidden], [hidden])
        last = [a + b for a, b in zip(heads[0][-1], heads[1][-1])]
        out = []
        for step in range(min(params.max_new_tokens, 32)):
            logits = [dot(last, e) + 0.01 * ((step * 7 + i) % 5) for i, e in enumerate(self.unembed)]
            token = _VOCAB[sample(logits, params)]
            if token in params.stop:
                break
            out.append(token)
            last = [0.5 * a + 0.5 * b for a, b in zip(last, _embed(token))]
        return out
