#!/usr/bin/env node
// tests/reference/encode_ref.js — HF's real tokenizers (npm binding) encoding a lines file, the oracle of
// test_encode_parity.cpp and bench_tokenize. Writes one JSON line per input line with every field bertforge's
// Encoding has. Lines are split on "\n" only (a "\r" stays in the text, as for the C++ side of the test).
//
//   node encode_ref.js TOKENIZER_JSON_OR_VOCAB_TXT LINES OUT.jsonl [--pairs] [--no-special-tokens]
//   node encode_ref.js --bench TOKENIZER LINES [--repeat R] [--batch N]   (prints timing JSON only)
//
// --pairs encodes line 2k with line 2k+1 as a pair. vocab.txt gets the pipeline of BertWordPieceTokenizer
// with bertforge's defaults (lowercase=false, strip_accents=false), as ref_tokenizer.js does.
'use strict';
const fs = require('fs');
const tkPath = require.resolve('tokenizers', {paths: [process.cwd(), process.env.TOKENIZERS_NODE_DIR || process.cwd()]});
const tk = require(tkPath);

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

async function load(p) {
  if (p.endsWith('.json')) return tk.Tokenizer.fromFile(p);
  const model = await tk.WordPiece.fromFile(p, {unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100});
  const t = new tk.Tokenizer(model);
  t.setNormalizer(tk.bertNormalizer({cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: false}));
  t.setPreTokenizer(tk.bertPreTokenizer());
  t.setDecoder(tk.wordPieceDecoder('##', true));
  const present = SPECIALS.filter((s) => t.tokenToId(s) !== null && t.tokenToId(s) !== undefined);
  if (present.length) t.addSpecialTokens(present);
  t.setPostProcessor(tk.bertProcessing(['[SEP]', t.tokenToId('[SEP]')], ['[CLS]', t.tokenToId('[CLS]')]));
  return t;
}

function readLines(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function main() {
  const args = process.argv.slice(2);
  const flag = (f) => args.includes(f);
  const value = (f, d) => (args.indexOf(f) >= 0 ? Number(args[args.indexOf(f) + 1]) : d);
  const pos = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && ['--repeat', '--batch'].includes(args[i - 1])));
  const t = await load(pos[0]);
  const lines = readLines(pos[1]);
  const opts = {addSpecialTokens: !flag('--no-special-tokens')};
  if (flag('--bench')) {
    const batch = value('--batch', 8192);
    const repeat = value('--repeat', 5);
    await t.encodeBatch(lines.slice(0, 1000), opts);  // warm-up
    const passes = [];
    const cpu = [];  // process CPU time (user + system, all threads) per pass
    let nTok = 0;
    for (let r = 0; r < repeat; r++) {
      let ns = 0n;
      let us = 0;
      for (let i = 0; i < lines.length; i += batch) {
        const chunk = lines.slice(i, i + batch);
        const c0 = process.cpuUsage();
        const s = process.hrtime.bigint();
        const encs = await t.encodeBatch(chunk, opts);
        ns += process.hrtime.bigint() - s;
        const c = process.cpuUsage(c0);
        us += c.user + c.system;
        if (r === 0) for (const e of encs) nTok += e.getIds().length;
      }
      passes.push(Number(ns) / 1e9);
      cpu.push(us / 1e6);
    }
    const bytes = lines.reduce((s, l) => s + Buffer.byteLength(l, 'utf8'), 0);
    console.log(JSON.stringify({lines: lines.length, bytes, tokens: nTok, passes_seconds: passes, cpu_seconds: cpu}));
    return;
  }
  const out = [];
  const step = flag('--pairs') ? 2 : 1;
  for (let i = 0; i + step <= lines.length; i += step) {
    const e = await t.encode(lines[i], step === 2 ? lines[i + 1] : null, opts);
    out.push(JSON.stringify({tokens: e.getTokens(), ids: e.getIds(), type_ids: e.getTypeIds(), offsets: e.getOffsets(),
      special_tokens_mask: e.getSpecialTokensMask(), decoded: await t.decode(e.getIds(), true)}));
  }
  fs.writeFileSync(pos[2], out.join('\n') + (out.length ? '\n' : ''));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
