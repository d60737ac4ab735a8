"""bench/train_reference.py — the Hugging Face Trainer's inner training loop in plain PyTorch, the reference
that bench/bench_train compares bertforge's training step with (transformers is not installed here, so this
is the loop that Trainer.train() runs for the seed's BertForPreTraining, written out):

  DataCollatorForLanguageModeling (pad to the longest example of the batch, 15% of the non-special tokens
  selected, 80% [MASK] / 10% random id / 10% unchanged, labels -100 elsewhere) -> model.train() ->
  BertForPreTraining forward with the MLM head over ALL positions + NSP head -> loss.backward() ->
  torch.nn.utils.clip_grad_norm_(max_grad_norm) -> torch.optim.AdamW (HF's two parameter groups: no weight
  decay on biases and LayerNorm weights) -> linear schedule with warmup (LambdaLR) -> zero_grad(set_to_none).

The model is tests/reference/bert_reference.py (HF's architecture and initialization). Examples come from
bench_train as JSON lines, already in batch order (so both sides train on the same examples, in the same
batches):  {"input_ids": [...], "token_type_ids": [...], "next_sentence_label": 0}  (unmasked, with
[CLS]/[SEP], no padding), and a plan {"batches": [[row, ...], ...], "special": {...}, ...}.

Usage:
  train_reference.py --config cfg.json --examples ex.jsonl --plan plan.json --steps N --warmup-steps W
                     [--threads 2] [--lr 5e-5] [--seed 42] [--max-seconds S --eval-examples ev.jsonl]
Prints one JSON object per measured step ({"step", "tokens", "inputs", "seconds", "cpu_seconds", "loss"})
and a summary line {"summary": ...}; with --max-seconds it trains until the time is up and then reports the
held-out MLM accuracy.
"""
import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import bert_reference  # noqa: E402


def load_examples(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


class Collator:
    """DataCollatorForLanguageModeling(mlm=True, mlm_probability=0.15) on pre-tokenized NSP examples."""

    def __init__(self, special, mlm_probability=0.15, generator=None):
        self.pad_id = special["pad_id"]
        self.mask_id = special["mask_id"]
        self.special_ids = torch.tensor(sorted(set(special["special_ids"])), dtype=torch.long)
        self.vocab_size = special["tokenizer_vocab_size"]  # random replacements: len(tokenizer)
        self.p = mlm_probability
        self.g = generator

    def __call__(self, examples):
        B = len(examples)
        T = max(len(e["input_ids"]) for e in examples)  # padding="longest"
        ids = torch.full((B, T), self.pad_id, dtype=torch.long)
        types = torch.zeros((B, T), dtype=torch.long)
        attention = torch.zeros((B, T), dtype=torch.long)
        for i, e in enumerate(examples):
            n = len(e["input_ids"])
            ids[i, :n] = torch.tensor(e["input_ids"], dtype=torch.long)
            types[i, :n] = torch.tensor(e["token_type_ids"], dtype=torch.long)
            attention[i, :n] = 1
        nsp = torch.tensor([e["next_sentence_label"] for e in examples], dtype=torch.long)
        # torch_mask_tokens: special tokens (and padding) are never selected.
        labels = ids.clone()
        prob = torch.full(labels.shape, self.p)
        special = torch.isin(ids, self.special_ids)
        prob.masked_fill_(special, 0.0)
        selected = torch.bernoulli(prob, generator=self.g).bool()
        labels[~selected] = -100
        replaced = torch.bernoulli(torch.full(labels.shape, 0.8), generator=self.g).bool() & selected
        ids[replaced] = self.mask_id
        rand = torch.bernoulli(torch.full(labels.shape, 0.5), generator=self.g).bool() & selected & ~replaced
        words = torch.randint(self.vocab_size, labels.shape, dtype=torch.long, generator=self.g)
        ids[rand] = words[rand]
        return {"input_ids": ids, "token_type_ids": types, "attention_mask": attention, "labels": labels,
                "next_sentence_label": nsp}


def linear_schedule(warmup, total):
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        return max(0.0, float(total - step) / float(max(1, total - warmup)))
    return f


def build(args, cfg):
    torch.manual_seed(args.seed)
    model = bert_reference.BertLM(bert_reference.Config(**cfg), "BertForPreTraining")
    model.init_weights(args.seed)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if name == "cls.predictions.decoder.weight":
            continue  # tied to the word embeddings (named_parameters already skips the duplicate)
        (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    return model, opt


@torch.no_grad()
def evaluate(model, collator, examples, batch_size):
    model.eval()
    correct = total = 0
    for i in range(0, len(examples), batch_size):
        b = collator(examples[i:i + batch_size])
        out = model(b["input_ids"], b["token_type_ids"], b["attention_mask"], b["labels"],
                    b["next_sentence_label"], masked_only=True)
        gold = b["labels"].reshape(-1)
        gold = gold[gold != -100]
        correct += int((out["prediction_logits"].argmax(-1) == gold).sum())
        total += int(gold.numel())
    model.train()
    return correct / max(1, total), total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--examples", required=True)
    p.add_argument("--plan", required=True)
    p.add_argument("--steps", type=int, default=0, help="optimizer steps (0: all batches of the plan)")
    p.add_argument("--total-steps", type=int, default=0, help="length of the linear schedule (0: --steps)")
    p.add_argument("--warmup-steps", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--max-grad-norm", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--max-seconds", type=float, default=0.0, help="train for this long (time-to-quality)")
    p.add_argument("--eval-examples", help="held-out examples (JSON lines) for the MLM accuracy")
    p.add_argument("--eval-batch-size", type=int, default=32)
    a = p.parse_args()
    torch.set_num_threads(a.threads)

    with open(a.config) as f:
        cfg = json.load(f)
    with open(a.plan) as f:
        plan = json.load(f)
    examples = load_examples(a.examples)
    batches = plan["batches"]
    steps = a.steps if a.steps > 0 else len(batches)
    total = a.total_steps if a.total_steps > 0 else steps
    model, opt = build(a, cfg)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, linear_schedule(a.warmup_steps, total))
    g = torch.Generator().manual_seed(a.seed)
    collator = Collator(plan["special"], plan.get("mlm_probability", 0.15), g)
    params = [q for q in model.parameters()]

    model.train()
    model.zero_grad(set_to_none=True)
    t_start = time.perf_counter()
    step = 0
    while step < steps or a.max_seconds > 0:
        if a.max_seconds > 0 and time.perf_counter() - t_start >= a.max_seconds:
            break
        rows = batches[step % len(batches)]
        t0, c0 = time.perf_counter(), time.process_time()
        b = collator([examples[r] for r in rows])  # the DataLoader's collate_fn runs inside the loop
        out = model(b["input_ids"], b["token_type_ids"], b["attention_mask"], b["labels"],
                    b["next_sentence_label"])
        loss = out["loss"]
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(params, a.max_grad_norm)
        opt.step()
        sched.step()
        model.zero_grad(set_to_none=True)
        loss_value = loss.item()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        step += 1
        print(json.dumps({"step": step, "tokens": int(b["attention_mask"].sum()),
                          "inputs": int(b["input_ids"].numel()), "seconds": dt, "cpu_seconds": dc,
                          "loss": loss_value, "grad_norm": float(grad_norm)}), flush=True)
        if not math.isfinite(loss_value):
            raise SystemExit(f"loss became {loss_value} at step {step}")
    summary = {"steps": step, "train_seconds": time.perf_counter() - t_start}
    if a.eval_examples:
        ev = load_examples(a.eval_examples)
        eg = torch.Generator().manual_seed(a.seed + 1)
        acc, n = evaluate(model, Collator(plan["special"], 0.15, eg), ev, a.eval_batch_size)
        summary.update({"eval_mlm_accuracy": acc, "eval_masked_tokens": n})
    print(json.dumps({"summary": summary}), flush=True)


if __name__ == "__main__":
    main()
