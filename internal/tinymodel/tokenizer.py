"""Builds a byte-level BPE tokenizer.json from tpuci's spec, offline.

Usage: python tokenizer.py SPEC.json OUT_DIR. The spec (written by tpuci)
holds the corpus, the special tokens and the exact vocabulary size. The
learnt tokens are padded with plain ones so that the special tokens take
the last ids, in order: random weights often emit the same id at every
step (greedy decoding of equal logits gives id 0), and every id but the
special ones decodes to text.
"""

import json
import os
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers


def main(spec_path, out):
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    vocab, special = spec["vocab_size"], spec["special_tokens"]
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab - len(special),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(spec["corpus"], trainer)
    plain = vocab - len(special) - tok.get_vocab_size()
    if plain > 0:
        tok.add_tokens([f"<tok{i}>" for i in range(plain)])
    tok.add_special_tokens(special)
    for i, name in enumerate(special):
        want = vocab - len(special) + i
        if tok.token_to_id(name) != want:
            sys.exit(f"special token {name} has id {tok.token_to_id(name)}, want {want}")
    if tok.get_vocab_size() != vocab:
        sys.exit(f"vocabulary has {tok.get_vocab_size()} tokens, want {vocab}")
    if not tok.decode([0, 0]):
        sys.exit("token 0 decodes to nothing")
    tok.save(os.path.join(out, "tokenizer.json"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
