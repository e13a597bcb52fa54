"""Offline stand-in for transformers used by tpuci's bench_serving compat check.

The tokenizer maps id i to the word "w<i>" and back, so decoding then
encoding returns the same ids: bench_serving's random-ids prompts keep their
exact lengths and draw no extra random numbers. Other words get a stable id
from crc32. The vocabulary size comes from STUB_VOCAB (default 32000).
"""
import os
import zlib

VOCAB = int(os.environ.get("STUB_VOCAB", "32000"))


class PreTrainedTokenizerBase:
    pass


class PreTrainedTokenizer(PreTrainedTokenizerBase):
    pass


class PreTrainedTokenizerFast(PreTrainedTokenizerBase):
    pass


class WordTokenizer(PreTrainedTokenizerFast):
    vocab_size = VOCAB
    init_kwargs = {}
    bos_token_id = None
    eos_token_id = None

    def __len__(self):
        return self.vocab_size

    def _word_id(self, word):
        if word[:1] == "w" and word[1:].isdigit() and int(word[1:]) < self.vocab_size:
            return int(word[1:])
        return zlib.crc32(word.encode()) % self.vocab_size

    def encode(self, text, add_special_tokens=True, **kwargs):
        return [self._word_id(w) for w in str(text).split()]

    def decode(self, ids, skip_special_tokens=False, **kwargs):
        return " ".join("w%d" % int(i) for i in ids)

    def __call__(self, text, **kwargs):
        if isinstance(text, list):
            return {"input_ids": [self.encode(t) for t in text]}
        return {"input_ids": self.encode(text)}

    def get_vocab(self):
        return {"w%d" % i: i for i in range(self.vocab_size)}

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True, **kwargs):
        text = "\n".join(str(m.get("content", "")) for m in messages)
        return self.encode(text) if tokenize else text


class AutoTokenizer:
    @staticmethod
    def from_pretrained(*args, **kwargs):
        return WordTokenizer()


class AutoProcessor:
    @staticmethod
    def from_pretrained(*args, **kwargs):
        raise RuntimeError("AutoProcessor is stubbed for the tpuci compat check")
