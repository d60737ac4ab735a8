"""tests/reference/bert_reference.py — a plain-PyTorch BERT following Hugging Face's BertForPreTraining /
BertForMaskedLM architecture and parameter names, written for bertforge's tests (transformers is not
installed here). bertforge's C++ model is compared with it: same logits and losses on padded batches, same
gradients, model folders that load both ways. Also the Python side of bench/bench_model.

Usage (all files are HF model folders: config.json + model.safetensors):
  bert_reference.py init --config cfg.json --output DIR [--seed S] [--arch BertForPreTraining]
  bert_reference.py forward --model DIR --input in.json --output out.safetensors [--grads] [--arch A]
  bert_reference.py resave --model DIR --output DIR2 [--arch A]
  bert_reference.py bench --config cfg.json --batch 32 --seq 128 --steps 5 [--masked-only] [--threads 2]
"""
import argparse
import json
import math
import os
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_py  # noqa: E402

DEFAULTS = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                intermediate_size=3072, hidden_act="gelu", hidden_dropout_prob=0.1,
                attention_probs_dropout_prob=0.1, max_position_embeddings=512, type_vocab_size=2,
                initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0,
                position_embedding_type="absolute")


class Config:
    def __init__(self, **kw):
        self.raw = dict(kw)
        for k, v in DEFAULTS.items():
            setattr(self, k, kw.get(k, v))


def act_fn(name):
    return {
        "gelu": lambda x: F.gelu(x),
        "gelu_new": lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0)))),
        "relu": F.relu,
        "silu": F.silu,
        "swish": F.silu,
    }[name]


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h = c.num_attention_heads
        self.d = c.hidden_size // c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout = nn.Dropout(c.attention_probs_dropout_prob)

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.h, self.d).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
        if mask is not None:
            scores = scores + mask
        probs = self.dropout(torch.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.shape[0], ctx.shape[1], -1)


class ResidualOut(nn.Module):
    def __init__(self, c, n_in):
        super().__init__()
        self.dense = nn.Linear(n_in, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = ResidualOut(c, c.hidden_size)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)
        self.act = act_fn(c.hidden_act)

    def forward(self, x):
        return self.act(self.dense(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = ResidualOut(c, c.intermediate_size)

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c.num_hidden_layers)])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class Bert(nn.Module):
    def __init__(self, c, pooling):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c) if pooling else None

    def forward(self, input_ids, token_type_ids, attention_mask):
        x = self.embeddings(input_ids, token_type_ids)
        mask = attention_mask[:, None, None, :].to(x.dtype)
        mask = (1.0 - mask) * torch.finfo(x.dtype).min
        return self.encoder(x, mask)


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.act = act_fn(c.hidden_act)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, x):
        return self.LayerNorm(self.act(self.dense(x)))


class LMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = Transform(c)
        self.decoder = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(c.vocab_size))

    def forward(self, x):
        return self.decoder(self.transform(x)) + self.bias


class Heads(nn.Module):
    def __init__(self, c, nsp):
        super().__init__()
        self.predictions = LMHead(c)
        self.seq_relationship = nn.Linear(c.hidden_size, 2) if nsp else None


class BertLM(nn.Module):
    """arch = "BertForPreTraining" (pooler + NSP head) or "BertForMaskedLM"."""

    def __init__(self, c, arch="BertForPreTraining"):
        super().__init__()
        self.config, self.arch = c, arch
        nsp = arch == "BertForPreTraining"
        self.bert = Bert(c, pooling=nsp)
        self.cls = Heads(c, nsp)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight  # tied, as HF

    def init_weights(self, seed):
        torch.manual_seed(seed)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                if m is self.cls.predictions.decoder:
                    continue
                m.weight.data.normal_(0.0, self.config.initializer_range)
                if m.bias is not None:
                    m.bias.data.zero_()
            elif isinstance(m, nn.Embedding):
                m.weight.data.normal_(0.0, self.config.initializer_range)
                if m.padding_idx is not None:
                    m.weight.data[m.padding_idx].zero_()
            elif isinstance(m, nn.LayerNorm):
                m.weight.data.fill_(1.0)
                m.bias.data.zero_()
        self.cls.predictions.bias.data.zero_()

    def forward(self, input_ids, token_type_ids=None, attention_mask=None, labels=None,
                next_sentence_label=None, masked_only=False):
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        seq = self.bert(input_ids, token_type_ids, attention_mask)
        out = {}
        V = self.config.vocab_size
        if masked_only and labels is not None:
            sel = (labels.reshape(-1) != -100).nonzero().squeeze(1)
            logits = self.cls.predictions(seq.reshape(-1, seq.shape[-1]).index_select(0, sel))
            out["mlm_loss"] = F.cross_entropy(logits, labels.reshape(-1).index_select(0, sel))
        else:
            logits = self.cls.predictions(seq)
            if labels is not None:
                out["mlm_loss"] = F.cross_entropy(logits.view(-1, V), labels.reshape(-1), ignore_index=-100)
        out["prediction_logits"] = logits
        if self.cls.seq_relationship is not None:
            out["seq_relationship_logits"] = self.cls.seq_relationship(self.bert.pooler(seq))
            if next_sentence_label is not None:
                out["nsp_loss"] = F.cross_entropy(out["seq_relationship_logits"].view(-1, 2),
                                                  next_sentence_label.reshape(-1))
        losses = [out[k] for k in ("mlm_loss", "nsp_loss") if k in out]
        if losses:
            out["loss"] = sum(losses[1:], losses[0])
        return out

    def hf_state_dict(self):
        """HF's safetensors layout: the tied decoder weight is stored once (as the word embedding)."""
        return {k: v for k, v in self.state_dict().items() if k != "cls.predictions.decoder.weight"}


def load_model(folder, arch=None):
    with open(os.path.join(folder, "config.json")) as f:
        raw = json.load(f)
    arch = arch or (raw.get("architectures") or ["BertForPreTraining"])[0]
    model = BertLM(Config(**raw), arch)
    tensors, meta = safetensors_py.load(os.path.join(folder, "model.safetensors"))
    assert meta.get("format") == "pt", "HF requires __metadata__.format == 'pt'"
    state = {k: v.float() for k, v in tensors.items()}
    own = model.state_dict()
    missing = [k for k in own if k not in state and k != "cls.predictions.decoder.weight"]
    unexpected = [k for k in state if k not in own]
    if arch == "BertForPreTraining":
        assert not missing, missing
    else:
        assert not missing, missing
    for k in unexpected:
        del state[k]
    model.load_state_dict(state, strict=False)
    model.cls.predictions.decoder.weight = model.bert.embeddings.word_embeddings.weight
    model.eval()
    return model, raw, unexpected


def save_model(model, raw_config, folder):
    os.makedirs(folder, exist_ok=True)
    cfg = dict(raw_config)
    cfg["architectures"] = [model.arch]
    cfg["model_type"] = "bert"
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    safetensors_py.save(os.path.join(folder, "model.safetensors"), model.hf_state_dict(), {"format": "pt"})


def read_batch(path):
    with open(path) as f:
        j = json.load(f)
    t = {k: torch.tensor(v, dtype=torch.long) for k, v in j.items()
         if k in ("input_ids", "token_type_ids", "attention_mask", "labels", "next_sentence_label")}
    return t


def cmd_forward(a):
    model, _, _ = load_model(a.model, a.arch)
    b = read_batch(a.input)
    out = model(b["input_ids"], b.get("token_type_ids"), b.get("attention_mask"), b.get("labels"),
                b.get("next_sentence_label"), masked_only=a.masked_only)
    tensors = {k: v.detach() for k, v in out.items()}
    if a.grads:
        out["loss"].backward()
        for name, p in model.named_parameters():
            if p.grad is not None:
                tensors["grad." + name] = p.grad.detach()
    safetensors_py.save(a.output, tensors)


def cmd_init(a):
    with open(a.config) as f:
        raw = json.load(f)
    model = BertLM(Config(**raw), a.arch)
    model.init_weights(a.seed)
    save_model(model, raw, a.output)


def cmd_resave(a):
    model, raw, _ = load_model(a.model, a.arch)
    save_model(model, raw, a.output)


def cmd_bench(a):
    torch.set_num_threads(a.threads)
    with open(a.config) as f:
        raw = json.load(f)
    c = Config(**raw)
    model = BertLM(c, "BertForPreTraining")
    model.init_weights(0)
    model.train()
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, c.vocab_size, (a.batch, a.seq), generator=g)
    labels = torch.full_like(ids, -100)
    pick = torch.rand(ids.shape, generator=g) < 0.15
    labels[pick] = ids[pick]
    nsp = torch.randint(0, 2, (a.batch,), generator=g)
    types = torch.zeros_like(ids)
    mask = torch.ones_like(ids)
    times = []
    for step in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        out = model(ids, types, mask, labels, nsp, masked_only=a.masked_only)
        out["loss"].backward()
        model.zero_grad(set_to_none=True)
        if step >= a.warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    print(json.dumps({"median_s": med, "tokens_per_s": a.batch * a.seq / med}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("forward")
    f.add_argument("--model", required=True)
    f.add_argument("--input", required=True)
    f.add_argument("--output", required=True)
    f.add_argument("--arch")
    f.add_argument("--grads", action="store_true")
    f.add_argument("--masked-only", action="store_true")
    i = sub.add_parser("init")
    i.add_argument("--config", required=True)
    i.add_argument("--output", required=True)
    i.add_argument("--seed", type=int, default=42)
    i.add_argument("--arch", default="BertForPreTraining")
    r = sub.add_parser("resave")
    r.add_argument("--model", required=True)
    r.add_argument("--output", required=True)
    r.add_argument("--arch")
    b = sub.add_parser("bench")
    b.add_argument("--config", required=True)
    b.add_argument("--batch", type=int, default=32)
    b.add_argument("--seq", type=int, default=128)
    b.add_argument("--steps", type=int, default=5)
    b.add_argument("--warmup", type=int, default=1)
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--masked-only", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(int(os.environ.get("BERTFORGE_THREADS", "2")))
    {"forward": cmd_forward, "init": cmd_init, "resave": cmd_resave, "bench": cmd_bench}[a.cmd](a)


if __name__ == "__main__":
    main()
