// Drives the official openai-node SDK against `files serve` (OPENAI_BASE_URL, OPENAI_API_KEY).
//
// Run by `cargo xtask conformance`; each check prints `ok <name>`, and the first failure exits
// non-zero with what was expected and what came back.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import OpenAI, { toFile, NotFoundError, BadRequestError } from 'openai';
import { VERSION } from 'openai/version';

function check(name, condition, detail = '') {
  if (!condition) {
    console.error(`FAIL node ${name}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
    process.exit(1);
  }
  console.log(`ok   node ${name}`);
}

function jsonl(lines, seed) {
  let text = '';
  for (let i = 0; i < lines; i++) text += `{"n":${i},"s":${seed}}\n`;
  return Buffer.from(text);
}

const client = new OpenAI();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-node-'));
const data = jsonl(2000, 1);
const file = path.join(work, 'batch.jsonl');
fs.writeFileSync(file, data);

// files.create: from a path's stream, from memory, from a web stream.
const byPath = await client.files.create({ file: fs.createReadStream(file), purpose: 'batch' });
check('create from a path', byPath.bytes === data.length && byPath.filename === 'batch.jsonl', byPath);
const memory = jsonl(10, 2);
const byMemory = await client.files.create({ file: await toFile(memory, 'memory.jsonl'), purpose: 'batch' });
check('create from memory', byMemory.bytes === memory.length, byMemory);
const stream = new Response(fs.createReadStream(file)).body;
const byStream = await client.files.create({ file: await toFile(stream, 'stream.jsonl'), purpose: 'batch' });
check('create from a stream', byStream.bytes === data.length, byStream);
const more = [];
for (let i = 0; i < 3; i++) {
  more.push(await client.files.create({ file: await toFile(jsonl(3, 10 + i), `more-${i}.jsonl`), purpose: 'batch' }));
}

// files.list with auto-pagination over pages of 2.
const created = new Set([byPath, byMemory, byStream, ...more].map((f) => f.id));
const listed = [];
for await (const f of client.files.list({ limit: 2 })) listed.push(f.id);
check('list with auto-pagination', listed.length === created.size && listed.every((id) => created.has(id)), listed);

// retrieve, content, waitForProcessing, delete.
const again = await client.files.retrieve(byPath.id);
check('retrieve', again.id === byPath.id && again.bytes === data.length, again);
const content = Buffer.from(await (await client.files.content(byPath.id)).arrayBuffer());
check('content', content.equals(data), `${content.length} bytes`);
const waited = await client.files.waitForProcessing(byPath.id, { pollInterval: 100, maxWait: 10000 });
check('waitForProcessing', waited.status === 'processed', waited);
const deleted = await client.files.delete(byMemory.id);
check('delete', deleted.deleted === true && deleted.id === byMemory.id, deleted);

// 404s.
for (const [what, call] of [
  ['retrieve', () => client.files.retrieve('file-missing')],
  ['delete', () => client.files.delete('file-missing')],
  ['content', () => client.files.content('file-missing')],
]) {
  try {
    await call();
    check(`404 on ${what}`, false, 'no error');
  } catch (e) {
    check(`404 on ${what}`, e instanceof NotFoundError && e.status === 404, String(e));
  }
}

// The Uploads API: parts sent out of order, completed in file order with the MD5.
const big = jsonl(30000, 3);
const third = Math.floor(big.length / 3);
const pieces = [big.subarray(0, third), big.subarray(third, 2 * third), big.subarray(2 * third)];
const upload = await client.uploads.create({ bytes: big.length, filename: 'big.jsonl', mime_type: 'application/jsonl', purpose: 'batch' });
check('uploads.create', upload.status === 'pending', upload);
const parts = [];
for (const index of [2, 0, 1]) {
  parts[index] = await client.uploads.parts.create(upload.id, { data: await toFile(pieces[index], 'part') });
}
const md5 = crypto.createHash('md5').update(big).digest('hex');
const done = await client.uploads.complete(upload.id, { part_ids: parts.map((p) => p.id), md5 });
check('uploads.complete with md5', done.status === 'completed' && done.file && done.file.bytes === big.length, done);
const back = Buffer.from(await (await client.files.content(done.file.id)).arrayBuffer());
check("the completed file's content", back.equals(big), `${back.length} bytes`);
const wrong = await client.uploads.create({ bytes: big.length, filename: 'big.jsonl', mime_type: 'application/jsonl', purpose: 'batch' });
const part = await client.uploads.parts.create(wrong.id, { data: await toFile(big, 'part') });
try {
  await client.uploads.complete(wrong.id, { part_ids: [part.id], md5: '0'.repeat(32) });
  check('a wrong md5 is refused', false, 'completed');
} catch (e) {
  check('a wrong md5 is refused', e instanceof BadRequestError && e.status === 400, String(e));
}
const toCancel = await client.uploads.create({ bytes: 10, filename: 'x.jsonl', mime_type: 'application/jsonl', purpose: 'batch' });
const cancelled = await client.uploads.cancel(toCancel.id);
check('uploads.cancel', cancelled.status === 'cancelled', cancelled);
console.log(`node SDK openai ${VERSION}: every check passed`);
