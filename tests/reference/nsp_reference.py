#!/usr/bin/env python3
"""tests/reference/nsp_reference.py — a plain-Python port of HF transformers' TextDatasetForNextSentencePrediction
example builder (the seed's algorithm), stdlib only. It is the reference that bertforge's C++ builder
(src/data/nsp_builder.cpp) is compared with, statistically (the random streams differ), by
tests/reference/test_dataset_nsp_reference.cpp and bench/bench_dataset_build.sh.

Input: already tokenized documents, so both sides see the same token ids:
  --json FILE     {"documents": [[[id, ...], ...], ...]}  (documents -> sentences -> ids)
  --ids FILE      text: one sentence a line as space-separated ids, a blank line between documents (read the
                  way the seed reads corpus.txt: line by line, blank line = new document)
Output (stdout): one JSON object with example count, label counts, length statistics and histogram, timings
and peak RSS. --pickle FILE also writes the examples the way the seed caches them (pickle of a list of dicts)
to measure the cache size.

Faithful to HF except where noted:
  * --max-num-tokens-mode hf subtracts the 3 special tokens twice (HF: block_size - 6 for pairs);
    the default "bertforge" uses block_size - 3 like bertforge does, so the distributions are comparable.
  * Empty documents are dropped (HF keeps a trailing empty document and crashes with randint(0, -1) when it
    picks it as the random document).
"""
import argparse
import json
import pickle
import random
import resource
import sys
import time


def read_documents_json(path):
    with open(path, encoding="utf-8") as f:
        docs = json.load(f)["documents"]
    return [[s for s in d if s] for d in docs if any(d)]


def read_documents_ids(path):
    # Same loop as the seed: documents = [[]]; a blank line starts a new document when the current one is not
    # empty; a non-empty line is appended to the current document.
    documents = [[]]
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line and len(documents[-1]) != 0:
                documents.append([])
            tokens = [int(t) for t in line.split()] if line else []
            if tokens:
                documents[-1].append(tokens)
    return [d for d in documents if d]


def truncate_seq_pair(tokens_a, tokens_b, max_num_tokens, rng):
    while True:
        total_length = len(tokens_a) + len(tokens_b)
        if total_length <= max_num_tokens:
            break
        trunc_tokens = tokens_a if len(tokens_a) > len(tokens_b) else tokens_b
        assert len(trunc_tokens) >= 1
        if rng.random() < 0.5:
            del trunc_tokens[0]
        else:
            trunc_tokens.pop()


def create_examples_from_document(documents, document, doc_index, max_num_tokens, short_seq_probability,
                                  nsp_probability, rng, examples, cls_id, sep_id):
    target_seq_length = max_num_tokens
    if rng.random() < short_seq_probability:
        target_seq_length = rng.randint(2, max_num_tokens)
    current_chunk = []
    current_length = 0
    i = 0
    while i < len(document):
        segment = document[i]
        current_chunk.append(segment)
        current_length += len(segment)
        if i == len(document) - 1 or current_length >= target_seq_length:
            if current_chunk:
                a_end = 1
                if len(current_chunk) >= 2:
                    a_end = rng.randint(1, len(current_chunk) - 1)
                tokens_a = []
                for j in range(a_end):
                    tokens_a.extend(current_chunk[j])
                tokens_b = []
                if len(current_chunk) == 1 or rng.random() < nsp_probability:
                    is_random_next = True
                    target_b_length = target_seq_length - len(tokens_a)
                    for _ in range(10):
                        random_document_index = rng.randint(0, len(documents) - 1)
                        if random_document_index != doc_index:
                            break
                    random_document = documents[random_document_index]
                    random_start = rng.randint(0, len(random_document) - 1)
                    for j in range(random_start, len(random_document)):
                        tokens_b.extend(random_document[j])
                        if len(tokens_b) >= target_b_length:
                            break
                    num_unused_segments = len(current_chunk) - a_end
                    i -= num_unused_segments
                else:
                    is_random_next = False
                    for j in range(a_end, len(current_chunk)):
                        tokens_b.extend(current_chunk[j])
                truncate_seq_pair(tokens_a, tokens_b, max_num_tokens, rng)
                assert len(tokens_a) >= 1
                assert len(tokens_b) >= 1
                input_ids = [cls_id] + tokens_a + [sep_id] + tokens_b + [sep_id]
                token_type_ids = [0] * (len(tokens_a) + 2) + [1] * (len(tokens_b) + 1)
                examples.append({"input_ids": input_ids, "token_type_ids": token_type_ids,
                                 "next_sentence_label": 1 if is_random_next else 0})
            current_chunk = []
            current_length = 0
        i += 1


def main():
    p = argparse.ArgumentParser()
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--json")
    src.add_argument("--ids")
    p.add_argument("--block-size", type=int, default=128)
    p.add_argument("--short-seq-probability", type=float, default=0.1)
    p.add_argument("--nsp-probability", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--max-num-tokens-mode", choices=["bertforge", "hf"], default="bertforge")
    p.add_argument("--bucket-width", type=int, default=16)
    p.add_argument("--cls-id", type=int, default=2)
    p.add_argument("--sep-id", type=int, default=3)
    p.add_argument("--pickle")
    a = p.parse_args()

    t0 = time.time()
    documents = read_documents_json(a.json) if a.json else read_documents_ids(a.ids)
    t1 = time.time()
    max_num_tokens = a.block_size - 3
    if a.max_num_tokens_mode == "hf":
        max_num_tokens -= 3
    rng = random.Random(a.seed)
    examples = []
    for doc_index, document in enumerate(documents):
        create_examples_from_document(documents, document, doc_index, max_num_tokens, a.short_seq_probability,
                                      a.nsp_probability, rng, examples, a.cls_id, a.sep_id)
    t2 = time.time()
    pickle_bytes = None
    if a.pickle:
        with open(a.pickle, "wb") as handle:
            pickle.dump(examples, handle, protocol=pickle.HIGHEST_PROTOCOL)
            pickle_bytes = handle.tell()
    t3 = time.time()

    lengths = [len(e["input_ids"]) for e in examples]
    hist = []
    for n in lengths:
        b = n // a.bucket_width
        while len(hist) <= b:
            hist.append(0)
        hist[b] += 1
    ones = sum(e["next_sentence_label"] for e in examples)
    out = {
        "documents": len(documents),
        "corpus_tokens": sum(len(s) for d in documents for s in d),
        "examples": len(examples),
        "is_next": len(examples) - ones,
        "random_next": ones,
        "tokens": sum(lengths),
        "mean_length": (sum(lengths) / len(lengths)) if lengths else 0.0,
        "min_length": min(lengths) if lengths else 0,
        "max_length": max(lengths) if lengths else 0,
        "bucket_width": a.bucket_width,
        "histogram": hist,
        "read_seconds": t1 - t0,
        "examples_seconds": t2 - t1,
        "pickle_seconds": t3 - t2,
        "pickle_bytes": pickle_bytes,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
