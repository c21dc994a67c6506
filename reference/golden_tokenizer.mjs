// Golden file for the tokenizer: the ids Hugging Face's tokenizers library gives for a few hundred varied strings
// with the real Llama 3.1 tokenizer.json, written to
// transformer/src/test/resources/golden/tokenizer-llama3.1-v1.json and checked by TokenizerGoldenTest.
//
// Reference: the npm package `tokenizers` (HF's Rust tokenizers crate behind a napi binding, the same code as the
// Python `tokenizers` package). Cross-check: `@huggingface/tokenizers` (HF's pure-JS tokenizers.js); its
// disagreements with the Rust library, if any, are counted in the header and listed on stderr, never used.
//
// How to run (node 18+, the npm registry reachable), from the repository root:
//   mkdir -p /tmp/tokref && (cd /tmp/tokref && npm init -y >/dev/null && \
//     npm install tokenizers@0.23.2 @huggingface/tokenizers@0.2.0)
//   node reference/golden_tokenizer.mjs --modules /tmp/tokref/node_modules          # (re)write the golden file
//   node reference/golden_tokenizer.mjs --modules /tmp/tokref/node_modules --check  # fail if it differs
// Another tokenizer (its tokenizer_config.json beside it; a .gz file is read gunzipped), e.g. GPT-4o's, whose
// pre-tokenizer regex is the kind Mistral NeMo's Tekken tokenizer uses:
//   node reference/golden_tokenizer.mjs --modules /tmp/tokref/node_modules \
//     --tokenizer transformer/src/test/resources/gpt4o/tokenizer.json.gz \
//     --out transformer/src/test/resources/golden/tokenizer-gpt4o-v1.json [--check]
//
// The output is deterministic (fixed strings, a seeded generator for the random ones), so --check compares bytes.
// The script stops with an error if the Rust library does not decode its own ids back to the input string, or if
// encoding with special tokens is not BOS + the ids without, so that a broken reference is never frozen.

import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const args = process.argv.slice(2);
const modulesIndex = args.indexOf('--modules');
if (modulesIndex < 0 || modulesIndex + 1 >= args.length) {
  console.error('usage: node reference/golden_tokenizer.mjs --modules DIR/node_modules [--check]');
  process.exit(2);
}
const check = args.includes('--check');
const require = createRequire(path.resolve(args[modulesIndex + 1]) + '/');
const rust = require('tokenizers');
const modulesDir = path.resolve(args[modulesIndex + 1]);
const versionOf = (name) => JSON.parse(fs.readFileSync(path.join(modulesDir, name, 'package.json'), 'utf8')).version;
const rustVersion = versionOf('tokenizers');
const js = require('@huggingface/tokenizers');
const jsVersion = versionOf('@huggingface/tokenizers');

const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const TOKENIZER = option('--tokenizer', 'transformer/src/test/resources/llama3.1/tokenizer.json');
const TOKENIZER_DIR = path.dirname(TOKENIZER);
const OUT = option('--out', 'transformer/src/test/resources/golden/tokenizer-llama3.1-v1.json');
const defaults = !args.includes('--tokenizer') && !args.includes('--out');

// ------------------------------------------------------------------------------------------------ the strings

const cases = [];
const add = (name, text) => cases.push({ name, text });

// Whitespace runs, newlines, tabs, Unicode spaces (the \s of the pattern is Unicode White_Space).
const spaces = {
  empty: '', space: ' ', 'two spaces': '  ', 'three spaces': '   ', 'sixteen spaces': ' '.repeat(16),
  tab: '\t', 'two tabs': '\t\t', newline: '\n', 'two newlines': '\n\n', crlf: '\r\n', 'two crlf': '\r\n\r\n',
  cr: '\r', 'space newline space': ' \n ', 'mixed blank': ' \r\n\t ', 'a two spaces b': 'a  b',
  'a three spaces b': 'a   b', 'a space newline space b': 'a \n b', 'a tabs b': 'a\t\tb', 'trailing spaces': 'end   ',
  'leading spaces': '   start', 'lines crlf cr': 'line1\nline2\r\nline3\rline4', 'trailing newlines': 'trailing\n\n\n',
  'spaces before newline': 'x   \ny', 'tab indent': '\tindented\n\t\tmore', 'no-break space': '\u00A0',
  'a nbsp b': 'a\u00A0b', 'a ideographic space b': 'a\u3000b', 'a line separator b': 'a\u2028b',
  'a paragraph separator b': 'a\u2029b', 'em spaces': 'a\u2003\u2003b', 'nbsp around': 'x \u00A0 y',
  'narrow nbsp': '10\u202F000', 'NEL': 'a\u0085b', 'vertical tab form feed': 'a\u000B\u000Cb',
  'zero width space (not whitespace)': 'a\u200Bb', 'BOM': '\uFEFFhello', 'soft hyphen': 'co\u00ADoperate',
  'NUL and BEL': 'a\u0000b\u0007c', 'DEL': 'x\u007Fy', 'space before punctuation': 'wait , what ?',
  'newline then spaces then word': '\n    word', 'spaces newline spaces': '  \n  ', 'many newlines': '\n'.repeat(50),
  'many spaces': ' '.repeat(100), 'ogham space': 'a\u1680b', 'mongolian vowel separator': 'a\u180Eb',
};
for (const [name, text] of Object.entries(spaces)) add(`space: ${name}`, text);

// Where a Unicode-aware \s changes the pieces: a Unicode space before a contraction, a word or a newline (the
// pattern's \s+(?!\S) and \s*[\r\n]+ alternatives), and case-folded contractions after one.
const unicodeSpaces = {
  'nbsp then contraction': "it\u00A0's", 'nbsp space contraction': "x \u00A0'S", 'nbsp space word': 'hello\u00A0 world',
  'two ideographic spaces word': '\u3000\u3000x', 'nbsp before newline': 'tab\t\u00A0\n next', 'separators only': '\u2028\u2029',
  'NEL run': 'x\u0085\u0085y', 'em space run before word': 'a\u2003\u2003\u2003word', 'nbsp before digits': 'n\u00A0\u00A012345',
  'thin spaces in number': '1\u2009000\u2009000', 'space nbsp space punctuation': 'a \u00A0 !!',
  'long s contraction after space': "word \u00A0'ſ", 'titlecase letter contraction': "ǅ'LL",
};
for (const [name, text] of Object.entries(unicodeSpaces)) add(`unicode space: ${name}`, text);

// Digits of many lengths: the pattern groups \p{N} by at most three.
for (let n = 1; n <= 20; n++) add(`digits: ${n}`, '1234567890'.repeat(3).slice(0, n));
const numbers = ['3.14159', '1,000,000', '2024-11-29', '0x1F', '-17', '1e-10', '42nd', 'v1.2.3', '$19.99',
  '١٢٣٤٥', '۱۲۳', '१२३४', '①②③', '½ cup', 'Ⅻ', '²³', '12ab34', 'a1b22c333d4444', '9'.repeat(200),
  '100%', '(555) 123-4567', '10:30:59.123'];
numbers.forEach((t, i) => add(`number ${i}: ${t.slice(0, 20)}`, t));

// Contractions in several cases ((?i:'s|'t|'re|'ve|'m|'ll|'d) is case-insensitive).
const contractions = ["don't", "DON'T", "Don'T", "It'S", "it's", "they'LL", "They'll", "we'Ve", "WE'VE", "I'M", "i'm",
  "she'D", "you're", "YOU'RE", "You'Re", "'s", "'S", "'t", "'ll", "'LL", "'re", "'ve", "'m", "'d",
  "'ſ", "it'ſ", "o'clock", "rock'n'roll", "can''t", "dogs' bones", "the '90s", "' s", "'sss", "'lls", "'tis",
  "‘curly’ quotes’s", "James's book", "JAMES'S BOOK", "l'homme", "dell'arte", "y'all'd've"];
contractions.forEach((t, i) => add(`contraction ${i}: ${t}`, t));

// Punctuation runs.
const punctuation = ['!!!', '...', '?!?!', '—', '--', '---', '(a)', '[[x]]', '{}', '@#$%^&*()', ';;;\n', 'a.b.c',
  'Hello, world!', '"quoted"', '«guillemets»', '¿Qué?', '¡Hola!', '...\n\n...', '***bold***', '=>', '->', '<=>',
  '!=', '==', '===', '//', '/* */', '#!/bin/sh', '~~~', '```', '|||', '\\\\', '@user', '#hashtag', '&amp;',
  '。、！？', '，', '：；', '“smart”', '‹›', '§1.2', '©®™', '°C', '±∞', '→←↑↓', '•', '…', '\'"\'', ' ,.', ' !!!\n\n'];
punctuation.forEach((t, i) => add(`punctuation ${i}: ${t.slice(0, 12)}`, t));

// Code.
const code = {
  python: 'def fib(n: int) -> int:\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\nprint([fib(i) for i in range(10)])\n',
  java: 'public final class Main {\n    public static void main(String[] args) {\n        System.out.println("Hello, " + args[0] + "!");\n    }\n}\n',
  json: '{"name": "minitron", "version": 1, "ids": [128000, 9906, 1917], "nested": {"ok": true, "none": null}}',
  'json pretty': '{\n  "a": 1,\n  "b": [\n    2,\n    3\n  ]\n}\n',
  shell: 'for f in *.txt; do\n  wc -l "$f" | awk \'{print $1}\' >> counts.log 2>&1\ndone',
  c: '#include <stdio.h>\nint main(void) { for (int i = 0; i < 10; ++i) printf("%d\\n", i * i); return 0; }',
  html: '<!DOCTYPE html>\n<html lang="en"><head><title>Test</title></head><body><p class="x">Hi &nbsp; there</p></body></html>',
  regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}",
  markdown: '| col | value |\n|-----|------:|\n| a   |     1 |\n\n- item\n  - nested\n\n> quote',
  'tabs and spaces': 'if x:\n\tif y:\n\t    pass\n    \treturn',
  rust: 'fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * 2).collect();\n    println!("{:?}", v);\n}',
  sql: "SELECT id, name FROM users WHERE name LIKE 'A%' AND age >= 18 ORDER BY id DESC LIMIT 10;",
  yaml: 'model:\n  type: BPE\n  merges:\n    - "Ġ t"\n    - "h e"\n',
  'windows lines': 'line one\r\nline two\r\n\r\nline four\r\n',
  'camelCase and snake_case': 'getHTTPResponseCode parse_json_file XMLHttpRequest __init__ _private',
  url: 'https://example.com/path/to/page?query=a+b&lang=en#section-2',
  email: 'first.last+tag@example.co.uk',
  latex: '\\frac{\\partial L}{\\partial w} = \\sum_{i=1}^{N} x_i (y_i - \\hat{y}_i)',
  'unicode identifiers': 'let größe = 5; const π = 3.14; var 变量 = "值";',
};
for (const [name, text] of Object.entries(code)) add(`code: ${name}`, text);

// Emoji: ZWJ sequences, skin tones, flags, keycaps, variation selectors.
const emoji = ['👍', '👍🏽', '👍🏿👍🏻', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🏴‍☠️', '🇫🇷🇩🇪🇯🇵', '❤️', '❤', '🧑🏿‍💻', '😀😃😄😁', 'a😀b',
  'keycap 1️⃣ #️⃣', 'I ❤️ NY', '🤷‍♀️', '👩🏽‍🔬', '🫠🫡🫶', '🙂 🙃', '👋hello', 'hello👋', '✅ done', '⚠️ warning',
  '🐍🐍🐍', '☕', '🎉🎉', '𝕳𝖊𝖑𝖑𝖔', '𝟙𝟚𝟛', '🧔🏻‍♂️', '🏃🏾‍♀️‍➡️'];
emoji.forEach((t, i) => add(`emoji ${i}: ${t}`, t));

// Accents, NFC and NFD forms of the same text.
const accented = ['café', 'naïve', 'Ångström', 'résumé', 'Zoë', 'ñandú', 'Tiếng Việt', 'Crème Brûlée', 'Øresund',
  'Łódź', 'Škoda', 'façade', 'İstanbul', 'straße', 'ǅemal', 'Ελληνικά τονισμένα ά έ'];
accented.forEach((t, i) => {
  add(`accent ${i} NFC: ${t}`, t.normalize('NFC'));
  if (t.normalize('NFD') !== t.normalize('NFC')) add(`accent ${i} NFD: ${t}`, t.normalize('NFD'));
});
add('accent: zalgo', 'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇');
add('accent: combining after space', 'a \u0301b');
add('accent: combining at start', '\u0301\u0302x');

// Scripts.
const scripts = {
  chinese: '你好，世界！这是一个测试。', japanese: '日本語のテキストです。カタカナとひらがな。', korean: '한국어 문장입니다. 안녕하세요!',
  'mixed cjk': '漢字かなカナ한글', 'chinese english': '中文 English 混合 text 123', arabic: 'مرحبا بالعالم! هذا اختبار.',
  'arabic with digits': 'العدد ١٢٣ و 456', hebrew: 'שלום עולם', hindi: 'नमस्ते दुनिया, यह एक परीक्षण है।',
  thai: 'สวัสดีชาวโลก นี่คือการทดสอบ', russian: 'Привет, мир! Это проверка.', 'russian caps': 'ПРИВЕТ МИР',
  greek: 'Γειά σου Κόσμε', georgian: 'გამარჯობა მსოფლიო', armenian: 'Բարեւ աշխարհ', amharic: 'ሰላም ልዑል',
  tamil: 'வணக்கம் உலகம்', bengali: 'হ্যালো বিশ্ব', ukrainian: "Ґанок, їжак, п'ять", turkish: 'Işık ılık, iğne',
  vietnamese: 'Xin chào thế giới', persian: 'سلام دنیا', urdu: 'ہیلو دنیا', burmese: 'မင်္ဂလာပါ', khmer: 'សួស្តី​ពិភពលោក',
  tibetan: 'བཀྲ་ཤིས་བདེ་ལེགས།', mongolian: 'ᠮᠣᠩᠭᠣᠯ', 'cjk punctuation': '「引用」『二重』【括弧】',
  'fullwidth': 'ＡＢＣ１２３！', 'halfwidth katakana': 'ｶﾀｶﾅ', 'cjk extension b': '𠀀𠀁𠀂',
  'mixed scripts one word': 'abcабвαβγ', 'german compound': 'Donaudampfschifffahrtsgesellschaftskapitän',
};
for (const [name, text] of Object.entries(scripts)) add(`script: ${name}`, text);

// Special tokens inside text, and text that only looks like one.
const special = ['<|begin_of_text|>', '<|begin_of_text|>Hello', 'Hello<|eot_id|>', 'Hello <|eot_id|> world',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
  '<|begin_of_text|><|begin_of_text|>', ' <|eot_id|> ', '\n<|eot_id|>\n', '<|reserved_special_token_0|>',
  '<|reserved_special_token_250|>', '<|finetune_right_pad_id|>', '<|python_tag|>print(1)<|eom_id|>',
  '<|end_of_text|>', 'a<|eot_id|>b<|eot_id|>c', '😀<|eot_id|>😀', '<|eot_id|><|eot_id|><|eot_id|>'];
special.forEach((t, i) => add(`special ${i}`, t));
const lookalike = ['<|begin_of_text|', '<|eot_id|x>', '<|EOT_ID|>', '< |eot_id|>', '<|eot_id', '|eot_id|>',
  '<|reserved_special_token_251|>', '<|begin_of_text|>>', '<<|eot_id|>>', '<|begin_of_text |>', '<|eot id|>',
  '<|begin_of_text|x', '<||>', '<|', '|>', '<|<|eot_id|>', '<|eot_id|>|>', '<|Begin_Of_Text|>', '＜|eot_id|＞',
  '<|reserved_special_token_2|>'];
lookalike.forEach((t, i) => add(`lookalike ${i}: ${t}`, t));

// Very long words and runs.
add('long: a x 1000', 'a'.repeat(1000));
add('long: word x 20', 'supercalifragilisticexpialidocious'.repeat(20));
add('long: pneumono', 'pneumonoultramicroscopicsilicovolcanoconiosis');
add('long: ab x 300', 'ab'.repeat(300));
add('long: equals x 80', '='.repeat(80));
add('long: dashes x 120', '-'.repeat(120));
add('long: emoji x 50', '😀'.repeat(50));
add('long: chinese no spaces', '我们'.repeat(100));
add('long: base64', 'SGVsbG8gV29ybGQhIFRoaXMgaXMgYSBsb25nIGJhc2U2NCBzdHJpbmcgd2l0aG91dCBzcGFjZXMu'.repeat(5));
add('long: hex', '0123456789abcdef'.repeat(32));
add('long: spaces then word', ' '.repeat(37) + 'word');

// Ordinary prose.
const prose = [
  'The quick brown fox jumps over the lazy dog.',
  'Hello world',
  ' Hello world',
  'In 1492, Columbus sailed the ocean blue; in 2024, we trained models with 8B parameters.',
  "It's a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
  'Minitron prunes width (heads, MLP channels, embedding) and depth (layers), then distills the student from the teacher.',
  'E = mc² and ∫₀^∞ e^{-x²} dx = √π / 2.',
  'Mr. and Mrs. Dursley, of number four, Privet Drive, were proud to say that they were perfectly normal, thank you very much.',
  'Q: What\'s the capital of France?\nA: Paris.\n\nQ: And Germany?\nA: Berlin.',
  'Dear Sir/Madam,\n\nI am writing to inquire about the position.\n\nBest regards,\nJane',
];
prose.forEach((t, i) => add(`prose ${i}`, t));

// Seeded random strings over a mixed alphabet (letters, digits, spaces, newlines, punctuation, apostrophes,
// accents, CJK, emoji with modifiers and ZWJ), to catch what the hand-written cases miss.
let seed = 20241129;
const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const alphabet = [...'aeioustnrlAEZ', ...'0123456789', ' ', ' ', ' ', '  ', '\n', '\r\n', '\t', "'", "'s", "'LL",
  ...'.,;:!?-_()[]{}"<>/\\|@#$%^&*+=~`', 'é', 'e\u0301', 'ß', 'İ', 'ſ', 'Ж', 'λ', 'ع', 'ह', 'ก', '中', '語', 'ア', '한',
  '😀', '👍🏽', '\u200D', '🏳️', '\u00A0', '\u3000', '<|eot_id|>', '<|', '|>', '١', '½'];
for (let i = 0; i < 80; i++) {
  const length = 1 + Math.floor(random() * 40);
  let text = '';
  for (let k = 0; k < length; k++) text += alphabet[Math.floor(random() * alphabet.length)];
  add(`random ${i}`, text);
}

// ------------------------------------------------------------------------------------------------ reference ids

const names = new Set();
for (const c of cases) {
  if (names.has(c.name)) throw new Error(`duplicate case name ${c.name}`);
  names.add(c.name);
}

const tokenizerBytes = TOKENIZER.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(TOKENIZER))
  : fs.readFileSync(TOKENIZER);
const tokenizer = rust.Tokenizer.fromString(tokenizerBytes.toString('utf8'));
const jsTokenizer = new js.Tokenizer(JSON.parse(tokenizerBytes.toString('utf8')),
  JSON.parse(fs.readFileSync(`${TOKENIZER_DIR}/tokenizer_config.json`, 'utf8')));
// The id that encoding with special tokens puts first (Llama 3: 128000), or null when it adds none (GPT-4o).
const probe = (await tokenizer.encode('x', null, { addSpecialTokens: true })).getIds();
const probeBare = (await tokenizer.encode('x', null, { addSpecialTokens: false })).getIds();
const BOS = probe.length === probeBare.length + 1 ? probe[0] : null;

const out = [];
const jsDisagreements = [];
for (const c of cases) {
  const ids = (await tokenizer.encode(c.text, null, { addSpecialTokens: false })).getIds();
  const idsBos = (await tokenizer.encode(c.text, null, { addSpecialTokens: true })).getIds();
  if (JSON.stringify(idsBos) !== JSON.stringify(BOS === null ? ids : [BOS, ...ids])) {
    throw new Error(`${c.name}: encode with special tokens is not BOS + ids: ${idsBos} vs ${ids}`);
  }
  const decoded = await tokenizer.decode(ids, false);
  if (decoded !== c.text) {
    throw new Error(`${c.name}: the reference does not decode its ids back to the text: ${JSON.stringify(decoded)}`);
  }
  const decodedSkipSpecial = await tokenizer.decode(ids, true);
  const jsIds = jsTokenizer.encode(c.text, { add_special_tokens: false }).ids;
  if (JSON.stringify(jsIds) !== JSON.stringify(ids)) {
    jsDisagreements.push(c.name);
    console.error(`tokenizers.js disagrees on ${c.name}: ${JSON.stringify(c.text)}\n  rust ${ids}\n  js   ${jsIds}`);
  }
  const entry = { name: c.name, text: c.text, ids };
  if (decodedSkipSpecial !== decoded) entry.decoded_skip_special = decodedSkipSpecial;
  out.push(entry);
}

const header = {
  format: 'minitron-golden',
  version: 1,
  generator: 'reference/golden_tokenizer.mjs',
  regenerate: 'node reference/golden_tokenizer.mjs --modules DIR/node_modules'
    + (defaults ? '' : ` --tokenizer ${TOKENIZER} --out ${OUT}`) + ' (see the script header)',
  reference: `tokenizers ${rustVersion} (npm; Hugging Face's Rust tokenizers crate through napi)`,
  cross_check: `@huggingface/tokenizers ${jsVersion} (pure JS) agrees on ${out.length - jsDisagreements.length} of ${out.length} cases`
    + (jsDisagreements.length ? `; disagrees on: ${jsDisagreements.join(', ')}` : ''),
  tokenizer: TOKENIZER,
  tokenizer_sha256: createHash('sha256').update(tokenizerBytes).digest('hex'),
  bos_id: BOS,
  description: 'ids = encode(text, add_special_tokens=False); encode with add_special_tokens=True was checked to be '
    + (BOS === null ? 'ids (this tokenizer adds no BOS)' : '[bos_id] + ids') + '; decode(ids) was checked to give text back; decoded_skip_special (only where it differs from '
    + 'text) = decode(ids, skip_special_tokens=True).',
};

let json = '{\n';
for (const [k, v] of Object.entries(header)) json += `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`;
json += '  "cases": [\n' + out.map((e) => '    ' + JSON.stringify(e)).join(',\n') + '\n  ]\n}\n';

if (check) {
  const existing = fs.readFileSync(OUT, 'utf8');
  if (existing !== json) {
    console.error(`${OUT} differs from a fresh run; regenerate with: ${header.regenerate}`);
    process.exit(1);
  }
  console.log(`${OUT}: up to date (${out.length} cases)`);
} else {
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, json);
  console.log(`wrote ${OUT}: ${out.length} cases; ${header.cross_check}`);
}
