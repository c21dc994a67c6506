// Checks a token cache written by `minitron data cache` against Hugging Face's tokenizers (npm `tokenizers`, the
// Rust library): re-encodes every document of a bundled Brown split with HF under the same tokenizer.json and
// compares, token for token, with the cache's packed stream [BOS doc1 EOS BOS doc2 EOS ...] (format: docs/data.md).
// This checks the BPE trainer's output (HF loads it and encodes identically), the Java encoder and the cache
// format at once, on a whole split.
//
//   mkdir -p /tmp/tokref && (cd /tmp/tokref && npm init -y >/dev/null && npm install tokenizers@0.23.2)
//   ./minitron tokenizer train --data brown:pretrain --vocab-size 4096 --out /tmp/tok4096
//   ./minitron data cache --data brown:pretrain --tokenizer /tmp/tok4096 --out /tmp/pretrain.tok
//   node reference/check_token_cache.mjs --modules /tmp/tokref/node_modules --tokenizer /tmp/tok4096 \
//       --cache /tmp/pretrain.tok --split pretrain

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(name);
  if (i < 0 || i + 1 >= args.length) {
    console.error('usage: node reference/check_token_cache.mjs --modules DIR --tokenizer DIR --cache FILE --split NAME');
    process.exit(2);
  }
  return args[i + 1];
};
const require = createRequire(path.resolve(arg('--modules')) + '/');
const rust = require('tokenizers');
const tokenizerDir = arg('--tokenizer');
const tokenizer = rust.Tokenizer.fromFile(`${tokenizerDir}/tokenizer.json`);
const config = JSON.parse(fs.readFileSync(`${tokenizerDir}/tokenizer_config.json`, 'utf8'));
const added = JSON.parse(fs.readFileSync(`${tokenizerDir}/tokenizer.json`, 'utf8')).added_tokens;
const bos = added.find((t) => t.content === config.bos_token).id;
const eos = added.find((t) => t.content === config.eos_token).id;

const buf = fs.readFileSync(arg('--cache'));
if (buf.toString('latin1', 0, 8) !== 'MNTRTOKS') throw new Error('not a token cache');
const bytesPerToken = buf.readInt32LE(12);
const docs = Number(buf.readBigInt64LE(96));
const tokens = Number(buf.readBigInt64LE(104));
const tokensOffset = 512 + 8 * docs;
const tokenAt = (i) => (bytesPerToken === 2 ? buf.readUInt16LE(tokensOffset + 2 * i) : buf.readUInt32LE(tokensOffset + 4 * i));

const split = arg('--split');
const lines = zlib.gunzipSync(fs.readFileSync(`transformer/src/main/resources/minitron/data/brown/brown-${split}.jsonl.gz`))
  .toString('utf8').split('\n').filter((l) => l.trim() !== '');
if (lines.length !== docs) throw new Error(`cache has ${docs} documents, split ${split} has ${lines.length}`);
let position = 0;
let mismatches = 0;
for (const line of lines) {
  const sample = JSON.parse(line);
  const ids = [bos, ...(await tokenizer.encode(sample.text, null, { addSpecialTokens: false })).getIds(), eos];
  for (let k = 0; k < ids.length; k++) {
    if (tokenAt(position + k) !== ids[k]) {
      if (mismatches++ < 5) console.error(`${sample.id}: token ${k}: cache ${tokenAt(position + k)}, HF ${ids[k]}`);
    }
  }
  position += ids.length;
}
if (position !== tokens) throw new Error(`cache has ${tokens} tokens, HF gives ${position}`);
console.log(`${split}: ${docs} documents, ${tokens} tokens, ${mismatches} mismatches against HF tokenizers ${
  JSON.parse(fs.readFileSync(path.join(path.resolve(arg('--modules')), 'tokenizers', 'package.json'), 'utf8')).version}`);
process.exit(mismatches === 0 ? 0 : 1);
