// Golden file for BPE training: the ids Hugging Face's tokenizers library gives, under a tokenizer.json that OUR
// trainer wrote (minitron tokenizer train), for a set of strings. Checked by BpeTrainerGoldenTest, which also
// retrains the same tokenizer and compares the file byte for byte.
//
// The tokenizer (from the repository root; the Brown split is bundled in the jar):
//   ./minitron tokenizer train --data brown:pretrain-val --vocab-size 1024 \
//       --out transformer/src/test/resources/golden/bpe-brown-pretrain-val-1024
// The reference, the npm package `tokenizers` (HF's Rust library through napi):
//   mkdir -p /tmp/tokref && (cd /tmp/tokref && npm init -y >/dev/null && npm install tokenizers@0.23.2)
//   node reference/golden_bpe.mjs --modules /tmp/tokref/node_modules          # (re)write the golden file
//   node reference/golden_bpe.mjs --modules /tmp/tokref/node_modules --check  # fail if it differs
//
// Strings: fixed edge cases (whitespace, digits, contractions, Unicode, special tokens inside text) and the first
// 2000 characters of every sample of the bundled Brown splits heldout and pretrain-val (read from the gzipped
// JSONL). The script stops if HF does not decode its ids back to the text or if encoding with special tokens is
// not [BOS] + the ids without.

import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const args = process.argv.slice(2);
const modulesIndex = args.indexOf('--modules');
if (modulesIndex < 0 || modulesIndex + 1 >= args.length) {
  console.error('usage: node reference/golden_bpe.mjs --modules DIR/node_modules [--check]');
  process.exit(2);
}
const check = args.includes('--check');
const modulesDir = path.resolve(args[modulesIndex + 1]);
const require = createRequire(modulesDir + '/');
const rust = require('tokenizers');
const rustVersion = JSON.parse(fs.readFileSync(path.join(modulesDir, 'tokenizers', 'package.json'), 'utf8')).version;

const TOKENIZER_DIR = 'transformer/src/test/resources/golden/bpe-brown-pretrain-val-1024';
const TOKENIZER = `${TOKENIZER_DIR}/tokenizer.json`;
const OUT = 'transformer/src/test/resources/golden/bpe-brown-pretrain-val-1024-ids.json';
const BROWN = 'transformer/src/main/resources/minitron/data/brown';

const cases = [];
const add = (name, text) => cases.push({ name, text });
const edges = {
  empty: '', space: ' ', 'two spaces': '  ', newline: '\n', 'two newlines': '\n\n', crlf: 'a\r\nb', tab: 'a\tb',
  'trailing spaces': 'end   ', 'leading spaces': '   start', digits: '1234567 89 0', 'year and money': 'In 1961, $12.50.',
  contractions: "I'm sure you've seen it; they'll say we'd DON'T it's", 'long word': 'antidisestablishmentarianism',
  punctuation: '"Hello," she said -- (quietly)! ... ?!', accents: 'café naïve résumé Zürich',
  greek: 'Ελληνικά κείμενα', cjk: '日本語のテキスト 中文', emoji: 'smile 😀 family 👨‍👩‍👧', 'nbsp': 'a\u00A0b',
  'unknown bytes mix': 'x\u0000y\u007Fz', 'special inside': 'before<|begin_of_text|>after <|end_of_text|>',
  'special lookalike': '<|begin_of_text|', 'upper case': 'THE FULTON COUNTY GRAND JURY', 'code': 'for (int i = 0; i < n; i++) {}',
};
for (const [name, text] of Object.entries(edges)) add(name, text);
for (const split of ['heldout', 'pretrain-val']) {
  const lines = zlib.gunzipSync(fs.readFileSync(`${BROWN}/brown-${split}.jsonl.gz`)).toString('utf8').split('\n');
  for (const line of lines) {
    if (line.trim() === '') continue;
    const sample = JSON.parse(line);
    add(`brown ${sample.id}`, sample.text.slice(0, 2000));
  }
}

const tokenizer = rust.Tokenizer.fromFile(TOKENIZER);
const config = JSON.parse(fs.readFileSync(`${TOKENIZER_DIR}/tokenizer_config.json`, 'utf8'));
const bosId = JSON.parse(fs.readFileSync(TOKENIZER, 'utf8')).added_tokens.find((t) => t.content === config.bos_token).id;
const out = [];
for (const c of cases) {
  const ids = (await tokenizer.encode(c.text, null, { addSpecialTokens: false })).getIds();
  const idsBos = (await tokenizer.encode(c.text, null, { addSpecialTokens: true })).getIds();
  if (idsBos.length !== ids.length + 1 || idsBos[0] !== bosId || idsBos.slice(1).some((v, i) => v !== ids[i])) {
    throw new Error(`${c.name}: encode with special tokens is not [BOS] + ids`);
  }
  const decoded = await tokenizer.decode(ids, false);
  if (decoded !== c.text) {
    throw new Error(`${c.name}: the reference does not decode its ids back to the text: ${JSON.stringify(decoded)}`);
  }
  out.push({ name: c.name, text: c.text, ids: Array.from(ids) });
}
const tokenizerSha = createHash('sha256').update(fs.readFileSync(TOKENIZER)).digest('hex');
const doc = {
  format: 'minitron-golden', version: 1,
  reference: `tokenizers ${rustVersion} (npm, HF's Rust library)`,
  tokenizer: TOKENIZER, tokenizer_sha256: tokenizerSha, bos_id: bosId,
  description: 'ids = encode(text, add_special_tokens=False); add_special_tokens=True was checked to be [bos_id] + ids; '
    + 'decode(ids) was checked to give the text back.',
  cases: out,
};
const text = JSON.stringify(doc, null, 0).replace(/\{"name"/g, '\n{"name"') + '\n';
if (check) {
  const old = fs.readFileSync(OUT, 'utf8');
  if (old !== text) { console.error(`${OUT} differs from what the reference gives now`); process.exit(1); }
  console.log(`${OUT}: identical (${out.length} cases)`);
} else {
  fs.writeFileSync(OUT, text);
  console.log(`wrote ${OUT}: ${out.length} cases, ${out.reduce((n, c) => n + c.ids.length, 0)} ids`);
}
