// `npm run lint` runs this: every relative link and image in README.md and docs/*.md points at a
// file that exists, and its #anchor at a heading of that file (GitHub's slugs), so a section
// moved between the README and docs/ never leaves a dead link behind.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = process.argv[2] ?? '.';
const files = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const stripCode = (text) =>
  text.replace(/^(```|~~~)[\s\S]*?^\1/gm, '').replace(/`[^`\n]*`/g, (m) => m.replace(/[[\]()]/g, ' '));
function slugs(file) {
  const seen = new Map();
  const out = new Set();
  for (const m of readFileSync(file, 'utf8')
    .replace(/^```[\s\S]*?^```/gm, '')
    .matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    let s = m[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(s) ?? 0;
    seen.set(s, n + 1);
    out.add(n ? `${s}-${n}` : s);
  }
  return out;
}
let bad = 0,
  checked = 0;
for (const file of files) {
  const text = stripCode(readFileSync(path.join(root, file), 'utf8'));
  const targets = [
    ...text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g),
    ...text.matchAll(/<img [^>]*src="([^"]+)"/g),
  ];
  for (const m of targets) {
    const target = m[1];
    if (/^[a-z]+:/i.test(target)) continue;
    checked++;
    const [p, anchor] = target.split('#');
    const resolved = p
      ? path.join(path.dirname(path.join(root, file)), decodeURIComponent(p))
      : path.join(root, file);
    if (!existsSync(resolved)) {
      console.log(`${file}: ${target}: no such file`);
      bad++;
      continue;
    }
    if (anchor !== undefined && !slugs(resolved).has(anchor)) {
      console.log(`${file}: ${target}: no such anchor`);
      bad++;
    }
  }
}
console.log(`${checked} relative links checked, ${bad} broken`);
process.exit(bad ? 1 : 0);
