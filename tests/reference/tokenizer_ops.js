#!/usr/bin/env node
// tests/reference/tokenizer_ops.js — HF's real tokenizers (npm binding) answering a list of encode / decode /
// vocab look-ups for the Python references (fill_mask_reference.py), which have no `tokenizers` module.
//
//   node tokenizer_ops.js TOKENIZER_JSON OPS.json   (prints a JSON array: one result per op, in order)
//
// Ops: {"encode": text, "special": true}      -> ids (with [CLS]/[SEP] when special)
//      {"decode": [ids], "skip_special": false} -> string (the Rust decoder, WordPiece cleanup included)
//      {"token_to_id": token}                   -> id, or null when not in the vocab (added tokens included)
'use strict';
const fs = require('fs');
const tkPath = require.resolve('tokenizers', {
  paths: [process.cwd(), process.env.TOKENIZERS_NODE_DIR || process.cwd(), __dirname + '/node'],
});
const tk = require(tkPath);

async function main() {
  const [tokenizerPath, opsPath] = process.argv.slice(2);
  if (!tokenizerPath || !opsPath) {
    console.error('usage: node tokenizer_ops.js TOKENIZER_JSON OPS.json');
    process.exit(2);
  }
  const t = tk.Tokenizer.fromFile(tokenizerPath);
  const ops = JSON.parse(fs.readFileSync(opsPath, 'utf8'));
  const out = [];
  for (const op of ops) {
    if ('encode' in op) {
      const enc = await t.encode(op.encode, null, {addSpecialTokens: op.special !== false});
      out.push(enc.getIds());
    } else if ('decode' in op) {
      out.push(await t.decode(op.decode, Boolean(op.skip_special)));
    } else if ('token_to_id' in op) {
      const id = t.tokenToId(op.token_to_id);
      out.push(id === undefined ? null : id);
    } else {
      throw new Error('unknown op ' + JSON.stringify(op));
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
