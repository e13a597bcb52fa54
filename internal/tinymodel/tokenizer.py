"""Builds a byte-level BPE tokenizer.json from tpuci's spec, offline.

Usage: python tokenizer.py SPEC.json OUT_DIR. The spec (written by tpuci)
holds the corpus, the special tokens (ids 0..n-1, in order) and the exact
vocabulary size; the vocabulary is padded with reserved special tokens up
to it, so every id the model can emit decodes.
"""

import json
import os
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers


def main(spec_path, out):
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec["vocab_size"],
        special_tokens=spec["special_tokens"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(spec["corpus"], trainer)
    missing = spec["vocab_size"] - tok.get_vocab_size()
    if missing > 0:
        tok.add_special_tokens([f"<|reserved_{i}|>" for i in range(missing)])
    for i, name in enumerate(spec["special_tokens"]):
        if tok.token_to_id(name) != i:
            sys.exit(f"special token {name} has id {tok.token_to_id(name)}, want {i}")
    if tok.get_vocab_size() != spec["vocab_size"]:
        sys.exit(f"vocabulary has {tok.get_vocab_size()} tokens, want {spec['vocab_size']}")
    tok.save(os.path.join(out, "tokenizer.json"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
