"""tests/reference/fill_mask_reference.py — transformers' fill-mask pipeline rebuilt on the plain-PyTorch BERT of
bert_reference.py and HF's real tokenizers (npm binding, through tokenizer_ops.js), the oracle of
tests/reference/test_fill_mask_reference.cpp and the Python side of bench/bench_fill_mask.

What it reproduces (FillMaskPipeline, batch size 1): encode the text with special tokens, run the model
(BertForMaskedLM: an NSP head in the folder is ignored), softmax over the vocab at each [MASK], top-k
(restricted to `targets` when given; an out-of-vocab target becomes its first piece), and for each candidate
`score`, `token`, `token_str` = decode([id]) and `sequence` = the ids with that mask filled, padding dropped,
decoded with skip_special_tokens only when the text has one mask, then transformers' clean_up_tokenization
(tokenizer_config's clean_up_tokenization_spaces). One mask -> a list of candidates; several -> one list per
mask; a text without [MASK] -> {"input": text, "error": ...}.

  fill_mask_reference.py run --model DIR --texts FILE [--tokenizer tokenizer.json] [--top-k 5]
                             [--targets w1,w2] [--output OUT.jsonl]       (one JSON line per text)
  fill_mask_reference.py bench --model DIR --ids IDS.json [--queries 20] [--batch 32] [--threads 2]
  fill_mask_reference.py cold --model DIR --ids IDS.json                  (load + first answer, then exit)

bench/cold take pre-encoded queries (IDS.json: a list of id lists, encoded by HF beforehand) so that no node
process is timed; the decode of `sequence` is then done here in Python from the tokenizer.json vocab (the
WordPiece decoder's rule), which leaves out nothing HF's Rust decoder would spend measurable time on.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def hf_ops(tokenizer_json, ops):
    """Runs encode/decode/token_to_id ops through HF's tokenizers (node)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(ops, f)
        path = f.name
    try:
        out = subprocess.run(["node", os.path.join(HERE, "tokenizer_ops.js"), tokenizer_json, path],
                             check=True, capture_output=True, text=True)
    finally:
        os.unlink(path)
    return json.loads(out.stdout)


CLEANUPS = [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
            (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]


def clean_up_tokenization(s):
    for a, b in CLEANUPS:
        s = s.replace(a, b)
    return s


def tokenizer_info(tokenizer_json):
    with open(tokenizer_json) as f:
        tj = json.load(f)
    cfg_path = os.path.join(os.path.dirname(tokenizer_json), "tokenizer_config.json")
    cleanup = True  # transformers' default for BERT tokenizers
    if os.path.exists(cfg_path):
        with open(cfg_path) as f:
            cleanup = json.load(f).get("clean_up_tokenization_spaces", True)
    return tj, cleanup


def load(model_dir):
    sys.path.insert(0, HERE)
    import bert_reference  # noqa: E402
    model, _, _ = bert_reference.load_model(model_dir, arch="BertForMaskedLM")
    model.eval()
    return model


def candidates(torch, model, ids_list, mask_id, top_k, target_ids):
    """For each text (a list of ids): per mask, [(score, id)] best first. One forward per text, as HF."""
    out = []
    with torch.no_grad():
        for ids in ids_list:
            x = torch.tensor([ids], dtype=torch.long)
            logits = model(x, torch.zeros_like(x), torch.ones_like(x))["prediction_logits"][0]
            masked = [i for i, t in enumerate(ids) if t == mask_id]
            probs = logits[masked].softmax(-1)
            k = top_k
            if target_ids is not None:
                probs = probs[..., target_ids]
                k = min(k, len(target_ids))
            values, preds = probs.topk(k)
            rows = []
            for vs, ps in zip(values.tolist(), preds.tolist()):
                rows.append([(v, target_ids[p] if target_ids is not None else p) for v, p in zip(vs, ps)])
            out.append((masked, rows))
    return out


def cmd_run(a):
    import torch
    torch.set_num_threads(a.threads)
    tokenizer_json = a.tokenizer or os.path.join(a.model, "tokenizer.json")
    tj, cleanup = tokenizer_info(tokenizer_json)
    with open(a.texts, encoding="utf-8") as f:
        texts = [line.rstrip("\n") for line in f if line.strip()]
    targets = [t for t in (a.targets or "").split(",") if t]
    mask_tok = "[MASK]"
    ops = [{"encode": t, "special": True} for t in texts]
    ops += [{"token_to_id": w} for w in targets]
    ops += [{"encode": w, "special": False} for w in targets]
    ops += [{"token_to_id": mask_tok}, {"token_to_id": "[PAD]"}]
    res = hf_ops(tokenizer_json, ops)
    encoded = res[:len(texts)]
    direct = res[len(texts):len(texts) + len(targets)]
    pieces = res[len(texts) + len(targets):len(texts) + 2 * len(targets)]
    mask_id, pad_id = res[-2], res[-1]
    target_ids = None
    if targets:
        target_ids = []
        for w, d, p in zip(targets, direct, pieces):
            if d is not None:
                target_ids.append(d)
            elif p:  # HF: tokenizer(target, add_special_tokens=False, max_length=1, truncation=True)
                target_ids.append(p[0])
        target_ids = sorted(set(target_ids))

    model = load(a.model)
    answerable = [i for i, ids in enumerate(encoded) if mask_id in ids]
    cands = candidates(torch, model, [encoded[i] for i in answerable], mask_id, a.top_k, target_ids)

    # Every decode the answers need, in one node call: token_str and sequence for each candidate.
    dec_ops, slots = [], []
    for i, (masked, rows) in zip(answerable, cands):
        single = len(masked) == 1
        for m, row in enumerate(rows):
            for score, tok in row:
                filled = list(encoded[i])
                filled[masked[m]] = tok
                filled = [t for t in filled if t != pad_id]
                dec_ops.append({"decode": filled, "skip_special": single})
                dec_ops.append({"decode": [tok], "skip_special": False})
                slots.append((i, m, score, tok))
    decoded = hf_ops(tokenizer_json, dec_ops) if dec_ops else []
    fix = clean_up_tokenization if cleanup else (lambda s: s)

    answers = {i: [[] for _ in cands[k][1]] for k, i in enumerate(answerable)}
    for n, (i, m, score, tok) in enumerate(slots):
        answers[i][m].append({"score": score, "token": tok, "token_str": fix(decoded[2 * n + 1]),
                              "sequence": fix(decoded[2 * n])})
    out = open(a.output, "w", encoding="utf-8") if a.output else sys.stdout
    for i, text in enumerate(texts):
        if i not in answers:
            line = {"input": text, "error": "no [MASK] in the text"}
        else:
            line = answers[i][0] if len(answers[i]) == 1 else answers[i]
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    if a.output:
        out.close()


class PyDecoder:
    """The WordPiece decoder's rule in Python (bench only): '##' pieces join the previous token, others get a
    space; special tokens skipped on request; then clean_up_tokenization."""

    def __init__(self, tokenizer_json):
        tj, self.cleanup = tokenizer_info(tokenizer_json)
        vocab = tj["model"]["vocab"]
        self.tokens = [None] * (max(vocab.values()) + 1)
        for t, i in vocab.items():
            self.tokens[i] = t
        self.special = {a["id"] for a in tj.get("added_tokens", []) if a.get("special")}

    def decode(self, ids, skip_special=False):
        parts = []
        for i in ids:
            if skip_special and i in self.special:
                continue
            t = self.tokens[i]
            if parts and t.startswith("##"):
                parts.append(t[2:])
            else:
                parts.append((" " if parts else "") + t)
        s = "".join(parts)
        return clean_up_tokenization(s) if self.cleanup else s


def answer_batch(torch, model, dec, batch, mask_id, pad_id, top_k):
    """HF pipeline semantics on a padded batch; returns the JSON-able answers."""
    T = max(len(x) for x in batch)
    ids = torch.full((len(batch), T), pad_id, dtype=torch.long)
    att = torch.zeros((len(batch), T), dtype=torch.long)
    for b, x in enumerate(batch):
        ids[b, :len(x)] = torch.tensor(x)
        att[b, :len(x)] = 1
    with torch.no_grad():
        logits = model(ids, torch.zeros_like(ids), att)["prediction_logits"]
    answers = []
    for b, x in enumerate(batch):
        masked = [i for i, t in enumerate(x) if t == mask_id]
        values, preds = logits[b, masked].softmax(-1).topk(top_k)
        single = len(masked) == 1
        per_mask = []
        for m, (vs, ps) in enumerate(zip(values.tolist(), preds.tolist())):
            row = []
            for v, p in zip(vs, ps):
                filled = list(x)
                filled[masked[m]] = p
                row.append({"score": v, "token": p, "token_str": dec.decode([p]),
                            "sequence": dec.decode([t for t in filled if t != pad_id], single)})
            per_mask.append(row)
        answers.append(per_mask[0] if single else per_mask)
    return answers


def bare_forward(torch, model, batch, pad_id):
    T = max(len(x) for x in batch)
    ids = torch.full((len(batch), T), pad_id, dtype=torch.long)
    att = torch.zeros((len(batch), T), dtype=torch.long)
    for b, x in enumerate(batch):
        ids[b, :len(x)] = torch.tensor(x)
        att[b, :len(x)] = 1
    with torch.no_grad():
        return model(ids, torch.zeros_like(ids), att)["prediction_logits"]


def special_ids(model_dir):
    tj, _ = tokenizer_info(os.path.join(model_dir, "tokenizer.json"))
    vocab = tj["model"]["vocab"]
    return vocab["[MASK]"], vocab["[PAD]"]


def cmd_cold(a):
    t0 = time.perf_counter()
    import torch
    torch.set_num_threads(a.threads)
    t_import = time.perf_counter()
    with open(a.ids) as f:
        queries = json.load(f)
    model = load(a.model)
    dec = PyDecoder(os.path.join(a.model, "tokenizer.json"))
    mask_id, pad_id = special_ids(a.model)
    t_load = time.perf_counter()
    answer = answer_batch(torch, model, dec, [queries[0]], mask_id, pad_id, a.top_k)
    t_answer = time.perf_counter()
    sys.stdout.write(json.dumps(answer[0], ensure_ascii=False) + "\n")
    sys.stderr.write(json.dumps({"import_torch_s": t_import - t0, "load_s": t_load - t_import,
                                 "first_answer_s": t_answer - t_load}) + "\n")


def cmd_bench(a):
    import torch
    torch.set_num_threads(a.threads)
    with open(a.ids) as f:
        queries = json.load(f)
    model = load(a.model)
    dec = PyDecoder(os.path.join(a.model, "tokenizer.json"))
    mask_id, pad_id = special_ids(a.model)

    def timed(fn, reps):
        wall, cpu = [], []
        for _ in range(reps):
            w, c = time.perf_counter(), time.process_time()
            fn()
            wall.append(time.perf_counter() - w)
            cpu.append(time.process_time() - c)
        wall.sort()
        cpu.sort()
        return wall[len(wall) // 2], cpu[len(cpu) // 2]

    n = min(a.queries, len(queries))
    answer_batch(torch, model, dec, [queries[0]], mask_id, pad_id, a.top_k)  # warm-up
    single = [timed(lambda q=q: answer_batch(torch, model, dec, [q], mask_id, pad_id, a.top_k), 1)
              for q in queries[:n]]
    single_fwd = [timed(lambda q=q: bare_forward(torch, model, [q], pad_id), 1) for q in queries[:n]]
    batch = queries[:a.batch]
    batched = timed(lambda: answer_batch(torch, model, dec, batch, mask_id, pad_id, a.top_k), a.reps)
    batched_fwd = timed(lambda: bare_forward(torch, model, batch, pad_id), a.reps)

    def med(pairs, j):
        v = sorted(p[j] for p in pairs)
        return v[len(v) // 2]

    print(json.dumps({
        "single_wall_s": med(single, 0), "single_cpu_s": med(single, 1),
        "single_forward_wall_s": med(single_fwd, 0), "single_forward_cpu_s": med(single_fwd, 1),
        "batch": len(batch), "batch_wall_s": batched[0], "batch_cpu_s": batched[1],
        "batch_forward_wall_s": batched_fwd[0], "batch_forward_cpu_s": batched_fwd[1]}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--model", required=True)
    r.add_argument("--tokenizer")
    r.add_argument("--texts", required=True)
    r.add_argument("--top-k", type=int, default=5)
    r.add_argument("--targets")
    r.add_argument("--output")
    r.add_argument("--threads", type=int, default=1)
    for name in ("bench", "cold"):
        b = sub.add_parser(name)
        b.add_argument("--model", required=True)
        b.add_argument("--ids", required=True)
        b.add_argument("--top-k", type=int, default=5)
        b.add_argument("--queries", type=int, default=20)
        b.add_argument("--batch", type=int, default=32)
        b.add_argument("--reps", type=int, default=5)
        b.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    {"run": cmd_run, "bench": cmd_bench, "cold": cmd_cold}[a.cmd](a)


if __name__ == "__main__":
    main()
