// Differential fuzzing of Minitron-J's byte-level BPE tokenizer against Hugging Face's tokenizers library (the Rust
// crate through its napi binding, npm `tokenizers`), on the real Llama 3.1 tokenizer.json by default.
// Not a golden file: nothing is written into the repository.
//
// It generates --count adversarial strings from --seed (Unicode categories the Llama 3 pre-tokenizer regex tells
// apart, non-ASCII digits, combining marks after letters and after spaces, every Unicode space and look-alikes,
// \r\n runs, contractions in mixed case with straight and curly apostrophes, digit runs, punctuation runs, emoji
// ZWJ sequences, CJK/Thai/Devanagari/Hangul, special tokens and fragments of them, random code points of every
// plane, words of more than 1000 letters), writes them as JSONL, encodes them all in one JVM with
// reference/TokenizeLines.java (the built jar), encodes them with the Rust library, and requires:
//   - ids equal to Rust's encode(text, add_special_tokens=False),
//   - encode(text, addBosToken()) equal to Rust's encode(text, add_special_tokens=True),
//   - our decode(ids) == text, decodeBytes(ids) == UTF-8 of text, and the streaming decoder agreeing with decode.
// Each failing string is shrunk (delta debugging over code points, then simplifying code points to ASCII where the
// failure stays) against one long-lived Java process and the Rust library, and printed as \u escapes with both id
// lists and both token lists. HF's pure-JS @huggingface/tokenizers is run on failures only, as a cross-check.
//
// Usage, from the repository root (node 18+; JAVA_HOME a JDK 25; cli/target/minitron.jar built):
//   mkdir -p /tmp/tokref && (cd /tmp/tokref && npm init -y >/dev/null && \
//     npm install tokenizers@0.23.2 @huggingface/tokenizers@0.2.0)
//   export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
//   node reference/fuzz_tokenizer.mjs --modules /tmp/tokref/node_modules --seed 1 --count 30000 \
//     [--tokenizer transformer/src/test/resources/llama3.1/tokenizer.json] [--work /tmp/tokfuzz] \
//     [--max-report 20] [--jar cli/target/minitron.jar]
//   node reference/fuzz_tokenizer.mjs --modules /tmp/tokref/node_modules --sweep   # every code point, 4 contexts
// --tokenizer must be a plain tokenizer.json (Tokenizer.load does not read .gz): for GPT-4o's, gunzip
// transformer/src/test/resources/gpt4o/tokenizer.json.gz into a folder with its tokenizer_config.json first.
// Exit status: 0 when every string agrees, 1 when some differ (minimized cases on stdout and in
// WORK/mismatches-seed-S.json), 2 on a usage error.

import { createRequire } from 'node:module';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
if (!args.includes('--modules')) {
  console.error('usage: node reference/fuzz_tokenizer.mjs --modules DIR/node_modules --seed S --count N '
    + '[--tokenizer FILE] [--work DIR] [--max-report K] [--jar JAR]');
  process.exit(2);
}
const MODULES = path.resolve(option('--modules'));
const SEED = Number(option('--seed', '1'));
const COUNT = Number(option('--count', '10000'));
const TOKENIZER = option('--tokenizer', 'transformer/src/test/resources/llama3.1/tokenizer.json');
const WORK = option('--work', '/tmp/tokfuzz');
const MAX_REPORT = Number(option('--max-report', '20'));
const JAR = option('--jar', 'cli/target/minitron.jar');
const JAVA = path.join(process.env.JAVA_HOME || '/usr/lib/jvm/temurin-25-jdk-amd64', 'bin', 'java');
const HARNESS = path.join(path.dirname(new URL(import.meta.url).pathname), 'TokenizeLines.java');
const JAVA_ARGS = ['--add-modules', 'jdk.incubator.vector', '-XX:+UseParallelGC', '-cp', JAR, HARNESS];
fs.mkdirSync(WORK, { recursive: true });

const require = createRequire(MODULES + '/');
const rust = require('tokenizers');
const tokenizerText = (TOKENIZER.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(TOKENIZER))
  : fs.readFileSync(TOKENIZER)).toString('utf8');
const tokenizerJson = JSON.parse(tokenizerText);
const ref = rust.Tokenizer.fromString(tokenizerText);
let jsRef = null;
try {
  const js = require('@huggingface/tokenizers');
  const configFile = path.join(path.dirname(TOKENIZER), 'tokenizer_config.json');
  jsRef = new js.Tokenizer(tokenizerJson, fs.existsSync(configFile) ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : {});
} catch (e) {
  console.error(`(no cross-check: @huggingface/tokenizers not usable: ${e.message})`);
}
const specialTokens = (tokenizerJson.added_tokens || []).map((t) => t.content);

// ------------------------------------------------------------------------------------------------ generators

// mulberry32: small, seeded, deterministic.
let state = (SEED * 0x9E3779B1) >>> 0;
const rnd = () => {
  state = (state + 0x6D2B79F5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1)); // inclusive
const pick = (a) => a[Math.floor(rnd() * a.length)];
const chance = (p) => rnd() < p;
const cp = (c) => String.fromCodePoint(c);
const range = (lo, hi) => cp(int(lo, hi));
const chars = (s) => [...s];
const weighted = (table) => { // [[weight, fn], ...]
  let total = 0;
  for (const [w] of table) total += w;
  let r = rnd() * total;
  for (const [w, f] of table) { if ((r -= w) < 0) return f; }
  return table[table.length - 1][1];
};
const randomCase = (s) => chars(s).map((c) => (chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');

// Letters by general category (Lu, Ll, Lt, Lm, Lo) and script.
const LETTERS = {
  asciiLower: () => range(0x61, 0x7A),
  asciiUpper: () => range(0x41, 0x5A),
  latin1: () => pick(chars('ªºÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ')),
  latinExt: () => range(0x0100, 0x024F),
  titlecase: () => pick(chars('ǅǈǋǲᾈᾉᾊᾋᾌᾍᾎᾏᾘᾙᾼῌῼ')), // Lt
  modifier: () => pick(chars('ʰʱʲʳʴʵʶʷʸʹʺʻʼʽʾʿˀˁˆˇˈˉˊˋˌˍˎˏːˑˠˡˢˣˤˬˮʹͺՙـۥۦߴߵࠚॱๆໆჼᴬᵃᵸᶛⁱⁿₐₓⱼⱽⵯ々〱〲〳〴〵〻ゝゞーヽヾꀕꓸꓹꓺꓻꓼꓽꜗꜘꜙꜚꜛꜜꜝꜞꜟꝰꞈꟸꟹꧏꩰꫝｰﾞﾟ')), // Lm (and a few Sk look-alikes)
  other: () => pick(chars('ƻǀǁǂǃʔאבגדהوعبتثجحخدذرزسشصضطظعغفقكلمنهيހࠀकखगघचछजझटठडढणतथदधनपफबभमयरलवशषसहกขคงจฉชซญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮაბგდეℵℶℷℸ〆〇ぁあいうえおかがきアイウエオカガキ中文字語日本한국어ᄀᄁᄂ다ᅢᅣᆨᆩ')),
  greek: () => range(0x03B1, 0x03C9),
  greekUpper: () => range(0x0391, 0x03A9),
  cyrillic: () => range(0x0410, 0x044F),
  armenian: () => range(0x0561, 0x0586),
  hebrew: () => range(0x05D0, 0x05EA),
  arabic: () => range(0x0621, 0x064A),
  devanagari: () => range(0x0915, 0x0939),
  thai: () => range(0x0E01, 0x0E2E),
  georgian: () => range(0x10D0, 0x10FA),
  hangulSyllable: () => range(0xAC00, 0xD7A3),
  hangulJamo: () => range(0x1100, 0x11FF),
  hiragana: () => range(0x3041, 0x3096),
  katakana: () => range(0x30A1, 0x30FA),
  cjk: () => range(0x4E00, 0x9FFF),
  cjkExtA: () => range(0x3400, 0x4DBF),
  cjkExtB: () => range(0x20000, 0x2A6DF),
  mathAlnum: () => range(0x1D400, 0x1D6A3), // Lu/Ll (some holes are unassigned)
  fullwidthLatin: () => (chance(0.5) ? range(0xFF21, 0xFF3A) : range(0xFF41, 0xFF5A)),
  special: () => pick(chars('İıſK℩ÅßẞǰΐΰŉﬀﬁﬂﬃﬄﬅﬆǉǈǇ')), // case folding oddities
};
const letter = () => weighted([
  [30, LETTERS.asciiLower], [10, LETTERS.asciiUpper], [4, LETTERS.latin1], [2, LETTERS.latinExt], [2, LETTERS.titlecase],
  [4, LETTERS.modifier], [5, LETTERS.other], [2, LETTERS.greek], [1, LETTERS.greekUpper], [3, LETTERS.cyrillic],
  [1, LETTERS.armenian], [1, LETTERS.hebrew], [2, LETTERS.arabic], [2, LETTERS.devanagari], [2, LETTERS.thai],
  [1, LETTERS.georgian], [2, LETTERS.hangulSyllable], [1, LETTERS.hangulJamo], [1, LETTERS.hiragana], [1, LETTERS.katakana],
  [3, LETTERS.cjk], [1, LETTERS.cjkExtA], [1, LETTERS.cjkExtB], [1, LETTERS.mathAlnum], [1, LETTERS.fullwidthLatin],
  [2, LETTERS.special],
])();

// Combining marks: Mn, Mc, Me.
const mark = () => weighted([
  [5, () => range(0x0300, 0x036F)], // Mn combining diacritics
  [1, () => range(0x0483, 0x0489)], // Cyrillic Mn + Me
  [1, () => range(0x0591, 0x05BD)], // Hebrew points
  [1, () => range(0x064B, 0x065F)], // Arabic harakat
  [2, () => pick(chars('\u093E\u093F\u0940\u0949\u094A\u094B\u094C\u0903\u0902\u0901\u094D\u093C'))], // Devanagari Mc/Mn
  [1, () => pick(chars('\u0BBE\u0BBF\u0BC6\u0BCD\u0D3E\u0F71\u0F72\u102B\u102C\u1038'))], // more Mc
  [2, () => pick(chars('\u0E31\u0E34\u0E35\u0E36\u0E37\u0E38\u0E39\u0E47\u0E48\u0E49\u0E4A\u0E4B\u0E4C'))], // Thai Mn
  [1, () => range(0x1AB0, 0x1ACE)], [1, () => range(0x1DC0, 0x1DFF)], [1, () => range(0x20D0, 0x20F0)], // incl. Me 20DD-20E0
  [1, () => pick(chars('\u3099\u309A\u302A\u302B\uFE20\uFE21'))],
  [1, () => pick(['\u{1D165}', '\u{1D166}', '\u{1D16D}', '\u{1D167}', '\u{E0100}', '\u{E01EF}', '\u{11000}', '\u{11001}'])],
  [1, () => pick(chars('\uFE00\uFE0E\uFE0F\u200C\u200D\u034F'))], // variation selectors, joiners, CGJ
])();

// Numbers: Nd of several scripts, Nl, No.
const digitSets = [
  '0123456789', '0123456789', '0123456789', '٠١٢٣٤٥٦٧٨٩', '۰۱۲۳۴۵۶۷۸۹', '०१२३४५६७८९', '০১২৩৪৫৬৭৮৯', '๐๑๒๓๔๕๖๗๘๙',
  '０１２３４５６７８９', '⁰¹²³⁴⁵⁶⁷⁸⁹', '₀₁₂₃₄₅₆₇₈₉', 'ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫⅬⅭⅮⅯⅰⅱⅲⅳↀↁↂↅↆↇↈ', '①②③④⑤⑥⑦⑧⑨⑩⑳㉑㊿',
  '½⅓¼¾⅕⅛⅞↉', '〇〡〢〣〤〥〦〧〨〩〸〹〺', '𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗𝟘𝟙𝟡𝟬𝟶𝟿', '߀߁߂߃߄߅߆߇߈߉', '᠐᠑᠒᠓᠔᠕᠖᠗᠘᠙',
  '𐄇𐄈𐄉𐄊𐄋𐅀𐅁𐅂', '൦൧൨൩൪൫൬൭൮൯', '፩፪፫፬፭፮፯፰፱፲', '⓪⓵⓶⓷❶❷❸➀➁➂',
];
const digitSet = () => chars(pick(digitSets));
const digitRun = (n = int(1, 12)) => {
  const set = digitSet();
  let s = '';
  for (let i = 0; i < n; i++) s += chance(0.9) ? pick(set) : pick(digitSet());
  return s;
};

// White space (Unicode White_Space) and things that look like it but are not.
const WHITE = [' ', ' ', ' ', '\t', '\n', '\r', '\r\n', '\u000B', '\u000C', '\u0085', '\u00A0', '\u1680', '\u2000',
  '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A', '\u2028', '\u2029',
  '\u202F', '\u205F', '\u3000'];
const NOT_WHITE = ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u180E', '\u001C', '\u001D', '\u001E', '\u001F',
  '\u00AD', '\u0000', '\u007F', '\u0080', '\u009F', '\u2800', '\u3164', '\u115F', '\uFFA0'];
const space = () => (chance(0.6) ? pick([' ', ' ', '\n', '\t', '\r\n']) : pick(WHITE));
const spaceRun = (n = int(1, 6)) => { let s = ''; for (let i = 0; i < n; i++) s += space(); return s; };

const PUNCT = chars('!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~').concat(chars('¡¢£¤¥¦§¨©«¬®¯°±´¶·¸»¿×÷‐‑‒–—―‖‗‚‛„‟†‡•‣…‧‰′″‴‹›※‼‽⁂⁄⁇⁈⁉€₹₿←↑→↓↔⇒∀∂∃∅∇∈∑−√∞∧∨∩∪∫≈≠≡≤≥⊂⊕⌘⌚⏎─│┌┐■□▲►◆○●★☆☺♠♣♥♦♪✓✔✗❤、。〃〈〉《》「」『』【】〔〕〜・！＂＃＄％＆（）＊＋，－．／：；＜＝＞？＠［＼］＾＿｀｛｜｝～｡｢｣､･'),
  ['\uE000', '\uF8FF', '\u{F0000}', '\u{10FFFD}', '\uFFFD', '\uFFFC', '\uFFFE', '\uFFFF', '\uFDD0', '\u{1FFFE}', '\u0001',
    '\u0007', '\u001B', '\u0085', '\u0090', '\u{E0001}', '\u{E0020}', '\u{E007F}', '\u2800', '\u28FF', '\u{1F100}',
    '\u00B4', '\u02C2', '\u02DC', '\u2E2F']);
const punctRun = (n = int(1, 5)) => { let s = ''; for (let i = 0; i < n; i++) s += pick(PUNCT); return s; };

const APOSTROPHES = ["'", "'", "'", '’', '‘', 'ʼ', '`', '´', '′', '＇', 'ˈ'];
const SUFFIXES = ['s', 't', 're', 've', 'm', 'll', 'd', 'ſ', 'S', 'T', 'RE', 'VE', 'M', 'LL', 'D', 'Re', 'rE', 'vE', 'Ll', 'lL',
  'l', 'r', 'v', 'e', 'dd', 'lls', 'st', 'ss', 'ts', 'sT', 'mm', 'ﬆ', 'ﬅ', 'ǉ', 'K', 'k', 'İ', 'ı', 'ſſ', 'sſ', 'x', ''];
const contraction = () => {
  let s = chance(0.7) ? word(int(0, 6)) : (chance(0.5) ? spaceRun(int(1, 2)) : digitRun(int(1, 3)));
  s += pick(APOSTROPHES);
  if (chance(0.2)) s += pick(APOSTROPHES);
  s += chance(0.5) ? randomCase(pick(SUFFIXES)) : pick(SUFFIXES);
  if (chance(0.4)) s += chance(0.5) ? word(int(1, 4)) : atom();
  return s;
};

const EMOJI_BASE = chars('😀😃😄😁😂🤣🙂🙃😉😊😍🥰😘🤔🤷🙋👍👎👋👌✌🤞🖐✋💪👶👦👧👨👩🧑👴👵🎉🔥💯✨⭐🌈🍕🐍🐶🐱🚀⚽☕❤♥✅⚠❌🏳🏴🇦🇨🇩🇪🇫🇬🇯🇵🇸🇺').concat(['\u{1FAE0}', '\u{1FAE8}', '\u{1F9D4}', '\u{1F3C3}', '\u{1F468}']);
const emoji = () => {
  let s = pick(EMOJI_BASE);
  if (chance(0.3)) s += range(0x1F3FB, 0x1F3FF); // skin tone
  if (chance(0.3)) s += pick(['\uFE0F', '\uFE0E']);
  let joins = chance(0.3) ? int(1, 4) : 0;
  while (joins-- > 0) {
    s += '\u200D' + pick(['♀', '♂', '⚕', '💻', '🔬', '🌾', '🍳', '❤', '💋', '👨', '👩', '👧', '👦', '➡', '🔥', '🩹', '🦰', '🦱']);
    if (chance(0.4)) s += '\uFE0F';
  }
  if (chance(0.05)) s = range(0x1F1E6, 0x1F1FF) + range(0x1F1E6, 0x1F1FF); // flag pair
  if (chance(0.05)) s = '\u{1F3F4}' + chars('gbsct').map((c) => cp(0xE0000 + c.charCodeAt(0))).join('') + '\u{E007F}'; // tag
  if (chance(0.05)) s = pick(chars('#*0123456789')) + '\uFE0F\u20E3'; // keycap
  return s;
};

const specialFragment = () => {
  let t = pick(specialTokens);
  const r = rnd();
  if (r < 0.25) return t; // the real token
  if (r < 0.40) return t.slice(0, int(1, t.length - 1)); // prefix
  if (r < 0.50) return t.slice(int(1, t.length - 1)); // suffix
  if (r < 0.60) { const i = int(1, t.length - 1); return t.slice(0, i) + pick([' ', '  ', '\n', '\u00A0', '|', '<|']) + t.slice(i); }
  if (r < 0.68) return randomCase(t);
  if (r < 0.76) { const i = int(0, t.length - 1); return t.slice(0, i) + t.slice(i + 1); } // one char deleted
  if (r < 0.84) return t + t.slice(0, int(1, t.length - 1)); // token then a prefix of it (longest match must win)
  if (r < 0.90) { const u = pick(specialTokens); return t.slice(0, int(1, t.length)) + u; } // overlapping
  if (r < 0.95) return t.replace(/\d+/, () => String(int(0, 300))); // reserved numbers, incl. ones that don't exist
  return pick(['<|', '|>', '<||>', '<|>', '<|<|', '|>|>', '＜|', '<\u200B|']);
};

const word = (n = int(1, 8)) => {
  let s = '';
  const script = chance(0.6) ? LETTERS.asciiLower : pick(Object.values(LETTERS));
  for (let i = 0; i < n; i++) {
    s += chance(0.8) ? script() : letter();
    if (chance(0.08)) s += mark();
  }
  return s;
};

// One piece of text of any kind.
const atom = () => weighted([
  [14, () => word()],
  [4, () => ' ' + word()],
  [6, () => letter()],
  [4, () => mark()],
  [3, () => space() + mark()], // combining mark after a space
  [6, () => digitRun()],
  [8, () => space()],
  [3, () => spaceRun()],
  [2, () => pick(NOT_WHITE)],
  [6, () => punctRun(int(1, 2))],
  [2, () => punctRun()],
  [3, () => contraction()],
  [2, () => pick(APOSTROPHES) + randomCase(pick(SUFFIXES))],
  [3, () => emoji()],
  [2, () => specialFragment()],
  [1, () => range(0x20, 0x7E)],
  [1, () => randomCodePoint()],
])();

// Any Unicode scalar value (no surrogates), weighted towards the planes where characters are assigned, so that
// characters a newer/older Unicode version classifies differently come up.
function randomCodePoint() {
  const c = weighted([
    [30, () => int(0x80, 0xFFFF)], [8, () => int(0x10000, 0x1FFFF)], [4, () => int(0x20000, 0x3FFFF)],
    [1, () => int(0xE0000, 0xE01FF)], [1, () => int(0xF0000, 0x10FFFF)], [2, () => int(0, 0x7F)],
  ])();
  return (c >= 0xD800 && c <= 0xDFFF) ? 'x' : cp(c);
}

const GENERATORS = [
  // a mix of everything
  [30, () => { let s = ''; const n = int(1, 30); for (let i = 0; i < n; i++) s += atom(); return s; }],
  // white space: runs of every kind of space between words, trailing spaces before newlines, \r\n runs
  [10, () => {
    let s = chance(0.3) ? spaceRun() : '';
    const n = int(1, 8);
    for (let i = 0; i < n; i++) {
      s += pick([() => word(), () => digitRun(int(1, 4)), () => punctRun(int(1, 2)), () => mark(), () => contraction(), () => emoji()])();
      s += pick([() => spaceRun(), () => space(), () => ' '.repeat(int(1, 4)) + '\n', () => spaceRun(int(1, 3)) + '\r\n'.repeat(int(1, 3)),
        () => pick(WHITE).repeat(int(1, 5)), () => spaceRun() + pick(NOT_WHITE) + spaceRun(), () => '\n'.repeat(int(1, 4)) + ' '.repeat(int(0, 4)),
        () => spaceRun(int(1, 3)) + pick(["'s", "'LL", "’re", "'ſ"]), () => spaceRun(int(1, 3)) + mark()])();
    }
    if (chance(0.4)) s += spaceRun();
    return s;
  }],
  // contractions in context
  [8, () => { let s = ''; const n = int(1, 5); for (let i = 0; i < n; i++) s += contraction() + (chance(0.5) ? ' ' : pick(['', space(), punctRun(1)])); return s; }],
  // digit runs of 1-12 in context
  [8, () => {
    let s = '';
    const n = int(1, 6);
    for (let i = 0; i < n; i++) {
      s += digitRun();
      s += pick(['', '', ' ', ',', '.', '-', letter(), word(int(1, 3)), space(), mark(), punctRun(1), "'s", pick(APOSTROPHES)]);
    }
    return s;
  }],
  // punctuation runs with spaces, newlines, letters and marks
  [6, () => {
    let s = '';
    const n = int(1, 6);
    for (let i = 0; i < n; i++) s += pick(['', ' ', '  ', space()]) + punctRun() + pick(['', '\n', '\r\n', '\n\n', '\r', word(int(1, 3)), mark(), digitRun(int(1, 2))]);
    return s;
  }],
  // emoji
  [5, () => { let s = ''; const n = int(1, 6); for (let i = 0; i < n; i++) s += emoji() + pick(['', '', ' ', word(int(1, 2)), space(), punctRun(1)]); return s; }],
  // scripts without ASCII: runs of one script with marks, spaces and digits
  [6, () => {
    const script = pick([LETTERS.cjk, LETTERS.thai, LETTERS.devanagari, LETTERS.hangulSyllable, LETTERS.hangulJamo, LETTERS.arabic,
      LETTERS.hebrew, LETTERS.hiragana, LETTERS.katakana, LETTERS.cyrillic, LETTERS.greek, LETTERS.cjkExtB, LETTERS.modifier, LETTERS.other]);
    let s = '';
    const n = int(1, 40);
    for (let i = 0; i < n; i++) {
      s += script();
      if (chance(0.25)) s += mark();
      if (chance(0.08)) s += pick([' ', space(), digitRun(int(1, 4)), punctRun(1), pick(chars('。、，！？'))]);
    }
    return s;
  }],
  // special tokens, fragments and look-alikes in text
  [8, () => {
    let s = '';
    const n = int(1, 6);
    for (let i = 0; i < n; i++) s += specialFragment() + pick(['', '', ' ', '  ', '\n', '\n\n', word(int(1, 4)), ' ' + word(int(1, 4)), space(), emoji(), digitRun(int(1, 3)), "'s"]);
    return chance(0.3) ? pick([' ', '  ', '\n', 'x']) + s : s;
  }],
  // random code points from every plane
  [8, () => { let s = ''; const n = int(1, 20); for (let i = 0; i < n; i++) s += chance(0.7) ? randomCodePoint() : atom(); return s; }],
  // short strings of two or three atoms (the boundaries between classes)
  [8, () => atom() + atom() + (chance(0.5) ? atom() : '')],
  // long: more than 1000 of one letter, long random letter runs, long runs of one space or digit
  [0.6, () => weighted([
    [3, () => letter().repeat(int(1001, 3000))],
    [3, () => { let s = ''; const n = int(1001, 3000); const script = pick(Object.values(LETTERS)); for (let i = 0; i < n; i++) s += chance(0.95) ? script() : letter(); return s; }],
    [1, () => { let s = ''; const n = int(1001, 2500); for (let i = 0; i < n; i++) s += range(0x61, 0x7A); return s; }],
    [1, () => ' '.repeat(int(1000, 3000)) + word()],
    [1, () => pick(WHITE).repeat(int(1000, 2000)) + pick(['', 'x', '\n', ' x'])],
    [1, () => digitRun(int(1000, 3000))],
    [1, () => punctRun(int(500, 1500))],
    [1, () => { let s = ''; for (let i = 0; i < 200; i++) s += atom(); return s; }],
    [1, () => emoji().repeat(int(300, 700))],
    [1, () => letter() + mark().repeat(int(500, 1500))],
  ])()],
];

const generate = () => weighted(GENERATORS)();

// ------------------------------------------------------------------------------------------------ the two sides

const escape = (s) => [...s].map((c) => {
  const x = c.codePointAt(0);
  if (x >= 0x20 && x < 0x7F && c !== '\\' && c !== '"') return c;
  return x > 0xFFFF ? `\\u{${x.toString(16).toUpperCase()}}` : `\\u${x.toString(16).toUpperCase().padStart(4, '0')}`;
}).join('');
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

async function refEncode(texts) {
  const ids = [], bos = [];
  for (let i = 0; i < texts.length; i += 512) {
    const batch = texts.slice(i, i + 512);
    const a = await ref.encodeBatch(batch, { addSpecialTokens: false });
    const b = await ref.encodeBatch(batch, { addSpecialTokens: true });
    for (const e of a) ids.push(e.getIds());
    for (const e of b) bos.push(e.getIds());
  }
  return { ids, bos };
}

function javaBulk(texts, tag) {
  const inFile = path.join(WORK, `strings-${tag}.jsonl`);
  const outFile = path.join(WORK, `minitron-${tag}.jsonl`);
  fs.writeFileSync(inFile, texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
  const r = spawnSync(JAVA, [...JAVA_ARGS, TOKENIZER, inFile, outFile], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  const err = (r.stderr || '').split('\n').filter((l) => l && !l.startsWith('WARNING: Using incubator')).join('\n');
  if (err) console.error(err);
  if (r.status !== 0) throw new Error(`the Java harness failed (exit ${r.status})`);
  const lines = fs.readFileSync(outFile, 'utf8').split('\n').filter((l) => l.length);
  if (lines.length !== texts.length) throw new Error(`the Java harness wrote ${lines.length} lines for ${texts.length} strings`);
  return lines.map((l) => JSON.parse(l));
}

// A long-lived Java process for minimizing: one request at a time.
class JavaServer {
  constructor() {
    this.proc = spawn(JAVA, [...JAVA_ARGS, TOKENIZER, '-', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.waiting = [];
    readline.createInterface({ input: this.proc.stdout }).on('line', (l) => this.waiting.shift()(JSON.parse(l)));
  }
  encode(text) {
    return new Promise((resolve) => { this.waiting.push(resolve); this.proc.stdin.write(JSON.stringify({ text }) + '\n'); });
  }
  close() { this.proc.stdin.end(); }
}

// What is wrong with one string, as a short kind ('' when nothing), given both sides' answers.
function verdict(text, ours, ids, bos) {
  if (ours.error) return 'java-error';
  const kinds = [];
  if (!same(ours.ids, ids)) kinds.push('ids');
  if (!same(ours.special, bos)) kinds.push('special');
  if (ours.decoded !== text) kinds.push('decode');
  if (!ours.bytes_ok) kinds.push('decode-bytes');
  if (!ours.stream_ok) kinds.push('stream');
  return kinds.join('+');
}

async function check(server, text) {
  const ours = await server.encode(text);
  const ids = (await ref.encode(text, null, { addSpecialTokens: false })).getIds();
  const bos = (await ref.encode(text, null, { addSpecialTokens: true })).getIds();
  return { kind: verdict(text, ours, ids, bos), ours, ids, bos };
}

// Delta debugging over code points, keeping the same kind of failure; then simplify code points to ASCII.
async function minimize(server, text, kind) {
  let cur = [...text];
  const fails = async (arr) => (await check(server, arr.join(''))).kind === kind;
  let n = 2;
  while (cur.length >= 2) {
    const chunk = Math.ceil(cur.length / n);
    let reduced = false;
    for (let start = 0; start < cur.length; start += chunk) {
      const cand = cur.slice(0, start).concat(cur.slice(start + chunk));
      if (cand.length && await fails(cand)) { cur = cand; n = Math.max(n - 1, 2); reduced = true; break; }
    }
    if (!reduced) {
      if (chunk === 1) break;
      n = Math.min(n * 2, cur.length);
    }
  }
  for (let i = 0; i < cur.length; i++) { // simpler characters where they keep the failure
    for (const simple of ['a', ' ', '1', '.']) {
      if (cur[i] === simple) break;
      const cand = cur.slice(); cand[i] = simple;
      if (await fails(cand)) { cur = cand; break; }
    }
  }
  return cur.join('');
}

// ------------------------------------------------------------------------------------------------ main

// --sweep: instead of random strings, every code point (planes 0-3 and 14 whole, one in 97 of the others; no
// surrogates) in four contexts where its class (letter, number, white space, other) changes the pieces AND the ids:
// X's (a letter keeps 's whole), X1234 (a number takes 12 with it), ' Xa' (white space leaves ' ' alone, other
// characters join the space), and 'a' + X + combining acute + '1'.
function sweepTexts() {
  const out = [];
  for (let c = 0; c <= 0x10FFFF; c++) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    const plane = c >> 16;
    if (!(plane <= 3 || plane === 14) && c % 97 !== 0) continue;
    const x = cp(c);
    out.push(x + "'s", x + '1234', ' ' + x + 'a', 'a' + x + '\u03011');
  }
  return out;
}

const t0 = Date.now();
const SWEEP = args.includes('--sweep');
const texts = SWEEP ? sweepTexts() : [];
for (let i = 0; !SWEEP && i < COUNT; i++) texts.push(generate());
const chars_ = texts.reduce((a, t) => a + t.length, 0);
const tGen = Date.now();
const ours = javaBulk(texts, SWEEP ? 'sweep' : `seed-${SEED}`);
const tJava = Date.now();
const { ids, bos } = await refEncode(texts);
const tRef = Date.now();

const failures = [];
const kinds = {};
for (let i = 0; i < texts.length; i++) {
  const kind = verdict(texts[i], ours[i], ids[i], bos[i]);
  if (kind) { failures.push({ index: i, kind }); kinds[kind] = (kinds[kind] || 0) + 1; }
}
console.log(`${SWEEP ? 'sweep' : `seed ${SEED}`}: ${texts.length} strings (${chars_} UTF-16 units), ${failures.length} differ`
  + (failures.length ? ` ${JSON.stringify(kinds)}` : '') + `; generate ${(tGen - t0) / 1000} s, Java ${(tJava - tGen) / 1000} s, `
  + `Rust ${(tRef - tJava) / 1000} s`);

const report = [];
if (failures.length) {
  const server = new JavaServer();
  const seen = new Set();
  let attempts = 0;
  for (const f of failures) {
    if (report.length >= MAX_REPORT || attempts++ >= 3 * MAX_REPORT) break; // many failures often shrink to one
    const text = texts[f.index];
    const minimal = await minimize(server, text, f.kind);
    if (seen.has(minimal)) continue;
    seen.add(minimal);
    const r = await check(server, minimal);
    const entry = {
      kind: f.kind, index: f.index, original: escape(text.length > 300 ? text.slice(0, 300) + '...' : text),
      minimal: escape(minimal), minimal_json: JSON.stringify(minimal),
      ours: r.ours.ids, reference: r.ids,
      ours_tokens: r.ours.ids ? r.ours.ids.map((id) => ref.idToToken(id)) : null,
      reference_tokens: r.ids.map((id) => ref.idToToken(id)),
    };
    if (r.ours.special && !same(r.ours.special, r.bos)) { entry.ours_special = r.ours.special; entry.reference_special = r.bos; }
    if (r.ours.decoded !== minimal) entry.ours_decoded = escape(r.ours.decoded ?? '');
    if (r.ours.error) entry.error = r.ours.error;
    if (jsRef) entry.tokenizers_js_agrees_with = (() => {
      const j = jsRef.encode(minimal, { add_special_tokens: false }).ids;
      return same(j, r.ids) ? 'rust' : r.ours.ids && same(j, r.ours.ids) ? 'minitron' : `neither: ${JSON.stringify(j)}`;
    })();
    report.push(entry);
    console.log(`\n[${f.kind}] minimal "${entry.minimal}"  (from string #${f.index}: "${entry.original.slice(0, 120)}")`);
    console.log(`  minitron  ${JSON.stringify(entry.ours)} ${JSON.stringify(entry.ours_tokens)}`);
    console.log(`  reference ${JSON.stringify(entry.reference)} ${JSON.stringify(entry.reference_tokens)}`);
    if (entry.ours_special) console.log(`  with special tokens: minitron ${JSON.stringify(entry.ours_special)} reference ${JSON.stringify(entry.reference_special)}`);
    if (entry.ours_decoded !== undefined) console.log(`  minitron decodes to "${entry.ours_decoded}"`);
    if (entry.error) console.log(`  error: ${entry.error}`);
    if (jsRef) console.log(`  tokenizers.js agrees with: ${entry.tokenizers_js_agrees_with}`);
  }
  server.close();
  const file = path.join(WORK, SWEEP ? 'mismatches-sweep.json' : `mismatches-seed-${SEED}.json`);
  fs.writeFileSync(file, JSON.stringify({ seed: SWEEP ? 'sweep' : SEED, count: texts.length, tokenizer: TOKENIZER, kinds, differing: failures.length, minimized: report }, null, 2));
  console.log(`\n${report.length} minimized (of ${failures.length} differing strings) written to ${file}`);
}
console.log(`total ${(Date.now() - t0) / 1000} s`);
process.exit(failures.length ? 1 : 0);
