// The dashboard's only static files — one stylesheet, one script — kept in the build (no CDN,
// nothing fetched at run time) and served under content-hashed names so they can be cached
// for a year and a new build is never mixed with an old page. Written without a framework:
// the pages are rendered on the server (pages.ts); the script adds what needs the network.
import { createHash } from 'node:crypto';

const CSS = String.raw`
:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1b1f24;--muted:#5b6470;--card:#fff;--line:#d8dde3;--accent:#0b5cad;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--orphan:#bf8700;--track:#e6e9ee}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--fg:#e6e9ee;--muted:#9aa4b1;--card:#181c22;--line:#2c333c;--accent:#6cb6ff;--ok:#4ac26b;--warn:#d4a72c;--bad:#ff7b72;--orphan:#d4a72c;--track:#262c34}}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--card);padding:6px;z-index:9}
header{display:flex;flex-wrap:wrap;gap:12px 24px;align-items:center;padding:10px 20px;background:var(--card);border-bottom:1px solid var(--line)}
.brand{font-weight:700}header nav{display:flex;gap:16px;flex-wrap:wrap}header nav a{text-decoration:none;padding:4px 2px}header nav a[aria-current=page]{border-bottom:2px solid var(--accent);font-weight:600}
.logout{margin-left:auto;display:flex;gap:8px;align-items:center}.who{color:var(--muted)}
main{padding:16px 20px;max-width:1400px;margin:0 auto}h1{font-size:1.4rem;margin:4px 0 12px}h2{font-size:1.1rem;margin:20px 0 8px}h3{margin:0 0 6px;font-size:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.cards{display:grid;gap:12px;grid-template-columns:repeat(auto-fill,minmax(300px,1fr))}
.totals{display:grid;gap:12px;grid-template-columns:repeat(auto-fit,minmax(200px,1fr))}
.stat{display:flex;flex-direction:column;gap:2px}.stat .label{color:var(--muted);font-size:.85rem}.stat .value{font-size:1.5rem;font-weight:650}
.muted{color:var(--muted)}.badges{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 8px}
.badge{border:1px solid currentColor;border-radius:10px;padding:0 8px;font-size:.8rem}.badge.ok{color:var(--ok)}.badge.warn{color:var(--warn)}.badge.bad{color:var(--bad)}
svg.bar{width:100%;height:12px;display:block;border-radius:3px;margin:6px 0}svg.bar .track{fill:var(--track)}svg.bar .used{fill:var(--accent)}svg.bar .orphan{fill:var(--orphan)}svg.bar .over{fill:var(--bad)}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(80px,1fr));gap:6px;margin:6px 0}.figures dt{color:var(--muted);font-size:.8rem}.figures dd{margin:0;font-weight:600}
table{border-collapse:collapse;width:100%}caption{text-align:left;color:var(--muted);font-size:.85rem}th,td{text-align:left;padding:3px 6px 3px 0;vertical-align:middle;border-bottom:1px solid var(--line)}.limits th{font-weight:500}.limits td:last-child{width:35%}
.chart{margin:0}.chart svg{width:100%;height:140px}.chart .axis{stroke:var(--line)}.chart .series{fill:none;stroke-width:2;vector-effect:non-scaling-stroke}.chart .requests{stroke:var(--accent)}.chart .errors{stroke:var(--bad)}
.key.requests{color:var(--accent)}.key.errors{color:var(--bad)}
button,input,select{font:inherit;color:inherit}button{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:5px 12px;cursor:pointer}button:hover{border-color:var(--accent)}button.danger{color:var(--bad);border-color:var(--bad)}
input,select{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:5px 8px}
.login main{max-width:380px;margin:10vh auto}.login-form{display:flex;flex-direction:column;gap:8px}.error{color:var(--bad);margin:0}
.split{display:grid;gap:12px;grid-template-columns:minmax(260px,1fr) 2fr}@media (max-width:760px){.split{grid-template-columns:1fr}main{padding:10px}}
.tree,.tree ul{list-style:none;margin:0;padding-left:14px}.tree{padding-left:0;max-height:70vh;overflow:auto}.node{border:0;background:none;padding:2px 4px;text-align:left;width:100%;border-radius:4px;overflow-wrap:anywhere}.node:hover{background:var(--track)}.node.folder::before{content:"▸ "}[aria-expanded=true]>.node.folder::before{content:"▾ "}.node.file::before{content:"• "}
.inspector dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px}.inspector dd{margin:0;overflow-wrap:anywhere}
pre.stream{max-height:320px;overflow:auto;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px;font-size:.8rem;white-space:pre-wrap;overflow-wrap:anywhere}
progress{width:100%}.actions{display:flex;flex-wrap:wrap;gap:8px}
`;

const JS = String.raw`'use strict';
(() => {
const meta = (n) => document.querySelector('meta[name="' + n + '"]').content;
const csrf = meta('csrf-token'), base = meta('ui-base');
const canWrite = document.body.dataset.canWrite === 'true';
const el = (tag, attrs, ...kids) => { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs || {})) { if (k === 'text') e.textContent = v; else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : v); } for (const k of kids) if (k !== null && k !== undefined) e.append(k); return e; };
const bytes = (n) => { if (n === null || n === undefined) return '—'; const u = ['B','KiB','MiB','GiB','TiB']; let i = 0; while (Math.abs(n) >= 1024 && i < u.length - 1) { n /= 1024; i++; } return i ? n.toFixed(n >= 100 ? 0 : 1) + ' ' + u[i] : n + ' B'; };
async function api(method, path, body, accept) {
  const headers = { 'x-csrf-token': csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (accept) headers.accept = accept;
  const res = await fetch('/admin/api/' + path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 403 && method === 'GET') { location.href = base + '/login'; throw new Error('session ended'); }
  return res;
}
async function json(method, path, body) { const res = await api(method, path, body); const doc = await res.json().catch(() => ({})); return { ok: res.ok, status: res.status, doc }; }
const errText = (r) => (r.doc && r.doc.error ? r.doc.error.code + ': ' + r.doc.error.message : 'HTTP ' + r.status);
async function presign(method, bucket, keys, download, tagging) {
  const res = await fetch(base + '/api/presign', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ method, bucket, keys, download: !!download, tagging: !!tagging }) });
  if (!res.ok) throw new Error('presign refused: HTTP ' + res.status);
  return (await res.json()).urls;
}

// ---- Objects: lazy tree and inspector ----
const inspector = document.getElementById('inspector');
function show(...kids) { inspector.replaceChildren(el('h2', { id: 'inspector-title', text: 'Inspector' }), ...kids); }
async function loadChildren(li) {
  const group = li.querySelector(':scope > ul');
  const bucket = li.dataset.bucket, prefix = li.dataset.prefix;
  group.replaceChildren(el('li', { class: 'muted', text: 'loading…' }));
  const r = await json('GET', 'objects?bucket=' + encodeURIComponent(bucket) + '&prefix=' + encodeURIComponent(prefix) + '&delimiter=/&limit=1000');
  if (!r.ok) { group.replaceChildren(el('li', { class: 'error', text: errText(r) })); return; }
  const items = [];
  for (const p of r.doc.common_prefixes) items.push(el('li', { role: 'treeitem', 'aria-expanded': 'false', 'data-bucket': bucket, 'data-prefix': p }, el('button', { type: 'button', class: 'node folder', text: p.slice(prefix.length) }), el('ul', { role: 'group', hidden: true })));
  for (const o of r.doc.objects) items.push(el('li', { role: 'treeitem', 'data-bucket': bucket, 'data-key': o.key }, el('button', { type: 'button', class: 'node file', text: o.key.slice(prefix.length) })));
  if (r.doc.truncated) items.push(el('li', { class: 'muted', text: 'first 1000 shown' }));
  if (items.length === 0) items.push(el('li', { class: 'muted', text: '(empty)' }));
  group.replaceChildren(...items);
}
function folderPanel(bucket, prefix, li) {
  const kids = [el('h3', { text: bucket + '/' + prefix })];
  if (canWrite) {
    const file = el('input', { type: 'file', id: 'upload-file' });
    const name = el('input', { id: 'upload-key', placeholder: 'key (default: the file name)' });
    const bar = el('progress', { max: '1', value: '0', id: 'upload-progress', 'aria-label': 'Upload progress' });
    const note = el('p', { id: 'upload-status', role: 'status' });
    const go = el('button', { type: 'button', id: 'upload-go', text: 'Upload' });
    go.addEventListener('click', async () => {
      const f = file.files[0]; if (!f) { note.textContent = 'Choose a file first.'; return; }
      const key = prefix + (name.value || f.name);
      const [url] = await presign('PUT', bucket, [key]);
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', url);
      if (f.type) xhr.setRequestHeader('content-type', f.type);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = e.loaded / e.total; };
      xhr.onload = () => { bar.value = 1; note.textContent = xhr.status === 200 ? 'Uploaded ' + key : 'Refused: HTTP ' + xhr.status + ' ' + xhr.responseText.slice(0, 200); if (xhr.status === 200) loadChildren(li); };
      xhr.onerror = () => { note.textContent = 'Upload failed (network).'; };
      note.textContent = 'Uploading…'; xhr.send(f);
    });
    kids.push(el('h3', { text: 'Upload here' }), el('p', { class: 'actions' }, el('label', { for: 'upload-file', text: 'File' }), file, el('label', { for: 'upload-key', text: 'Name' }), name, go), bar, note);
    if (prefix) {
      const confirm = el('input', { id: 'delete-prefix-confirm', 'aria-label': 'Type the prefix to confirm' });
      const del = el('button', { type: 'button', class: 'danger', id: 'delete-prefix', text: 'Delete everything under this prefix' });
      const out = el('p', { role: 'status' });
      del.addEventListener('click', async () => {
        if (confirm.value !== prefix) { out.textContent = 'Type ' + prefix + ' exactly to confirm.'; return; }
        let after = '', deleted = 0, failed = 0;
        for (;;) {
          const r = await json('GET', 'objects?bucket=' + encodeURIComponent(bucket) + '&prefix=' + encodeURIComponent(prefix) + '&limit=500' + (after ? '&after=' + encodeURIComponent(after) : ''));
          if (!r.ok) { out.textContent = errText(r); return; }
          const keys = r.doc.objects.map((o) => o.key);
          if (keys.length) { const urls = await presign('DELETE', bucket, keys); for (const u of urls) { const res = await fetch(u, { method: 'DELETE' }); if (res.status === 204) deleted++; else failed++; } }
          out.textContent = 'Deleted ' + deleted + (failed ? ', ' + failed + ' failed' : '') + '…';
          if (!r.doc.next_after) break; after = r.doc.next_after;
        }
        out.textContent = 'Deleted ' + deleted + ' objects' + (failed ? ', ' + failed + ' failed' : '') + '.';
        const parent = li.parentElement.closest('li'); if (parent) loadChildren(parent);
      });
      kids.push(el('h3', { text: 'Delete prefix' }), el('p', { class: 'muted', text: 'Type the prefix to confirm.' }), el('p', { class: 'actions' }, confirm, del), out);
    }
  }
  show(...kids);
}
async function objectPanel(bucket, key, li) {
  show(el('p', { class: 'muted', text: 'loading…' }));
  const r = await json('GET', 'object-locations?bucket=' + encodeURIComponent(bucket) + '&key=' + encodeURIComponent(key));
  if (!r.ok) { show(el('p', { class: 'error', text: errText(r) })); return; }
  const o = r.doc;
  const [headUrl, getUrl] = [(await presign('HEAD', bucket, [key]))[0], (await presign('GET', bucket, [key], true))[0]];
  const head = await fetch(headUrl, { method: 'HEAD' });
  // Tags are asked for only when HEAD says there are some (x-amz-tagging-count).
  let tags = [];
  if (Number(head.headers.get('x-amz-tagging-count') || 0) > 0) {
    const tagging = await fetch((await presign('GET', bucket, [key], false, true))[0]);
    if (tagging.ok) tags = [...new DOMParser().parseFromString(await tagging.text(), 'application/xml').getElementsByTagName('Tag')].map((t) => t.getElementsByTagName('Key')[0].textContent + '=' + t.getElementsByTagName('Value')[0].textContent);
  }
  const meta = []; head.headers.forEach((v, k) => { if (k.startsWith('x-amz-meta-')) meta.push(k.slice(11) + ': ' + v); });
  const dl = el('dl', {}, ...[['Key', key], ['Size', bytes(o.size) + ' (' + o.size + ' bytes)'], ['ETag', o.etag], ['Content type', head.headers.get('content-type') || '—'], ['Last modified', head.headers.get('last-modified') || o.created_at], ['Metadata', meta.join('\n') || 'none'], ['Tags', tags.join(', ') || 'none'], ['Write id', o.write_id]].flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v, 'data-field': k.toLowerCase().replace(/ /g, '-') })]));
  const rows = o.copies.map((c) => el('tr', { 'data-copy': c.backend }, el('td', { text: c.backend }), el('td', { text: c.state + (c.current ? '' : ' (older write)') }), el('td', { text: bytes(c.size) }), el('td', { text: c.written_at }), el('td', { text: c.verified_at || 'never', 'data-field': 'verified' }), el('td', { text: c.storage_key })));
  const table = el('table', { class: 'copies' }, el('caption', { text: o.copies.length + ' copies' }), el('thead', {}, el('tr', {}, ...['Backend', 'State', 'Size', 'Written', 'Verified', 'Storage key'].map((h) => el('th', { scope: 'col', text: h })))), el('tbody', {}, ...rows));
  const actions = el('p', { class: 'actions' }, el('a', { href: getUrl, id: 'download', text: 'Download' }));
  if (canWrite) {
    const del = el('button', { type: 'button', class: 'danger', id: 'delete-object', text: 'Delete' });
    del.addEventListener('click', async () => {
      if (!window.confirm('Delete ' + bucket + '/' + key + '?')) return;
      const [url] = await presign('DELETE', bucket, [key]);
      const res = await fetch(url, { method: 'DELETE' });
      show(el('p', { role: 'status', text: res.status === 204 ? 'Deleted ' + key : 'Refused: HTTP ' + res.status }));
      const parent = li.parentElement.closest('li'); if (parent) loadChildren(parent);
    });
    actions.append(del);
  }
  show(el('h3', { text: bucket + '/' + key }), dl, table, actions);
}
const tree = document.querySelector('.tree');
if (tree) tree.addEventListener('click', (e) => {
  const button = e.target.closest('button.node'); if (!button) return;
  const li = button.parentElement;
  if (li.dataset.key !== undefined) { objectPanel(li.dataset.bucket, li.dataset.key, li); return; }
  const open = li.getAttribute('aria-expanded') !== 'true';
  li.setAttribute('aria-expanded', String(open));
  li.querySelector(':scope > ul').hidden = !open;
  if (open) loadChildren(li);
  folderPanel(li.dataset.bucket, li.dataset.prefix, li);
});

// ---- Operations ----
async function refreshDrain(card) {
  const name = card.dataset.drain;
  const r = await json('GET', 'backends/' + encodeURIComponent(name) + '/drain');
  const state = card.querySelector('[data-field=state]'), progress = card.querySelector('progress'), note = card.querySelector('[data-field=progress]');
  if (r.status === 404) { state.textContent = 'never drained'; note.textContent = ''; progress.value = 0; return; }
  if (!r.ok) { state.textContent = errText(r); return; }
  const d = r.doc;
  state.textContent = d.state;
  progress.max = Math.max(1, d.objects_total); progress.value = d.objects_moved;
  note.textContent = d.objects_moved + ' of ' + d.objects_total + ' moved, ' + d.remaining.copies + ' copies left' + (d.last_error ? ' — ' + d.last_error : '');
}
const drainCards = [...document.querySelectorAll('[data-drain]')];
for (const card of drainCards) {
  card.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-action]'); if (!b) return;
    const name = card.dataset.drain;
    const r = await json(b.dataset.action === 'drain' ? 'POST' : 'DELETE', 'backends/' + encodeURIComponent(name) + '/drain');
    if (!r.ok) card.querySelector('[data-field=progress]').textContent = errText(r);
    else refreshDrain(card);
  });
}
if (drainCards.length) { const tick = () => Promise.all(drainCards.map(refreshDrain)).finally(() => setTimeout(tick, 1500)); tick(); }
const jobOut = document.getElementById('job-output');
for (const b of document.querySelectorAll('button[data-job]')) b.addEventListener('click', async () => {
  b.disabled = true;
  try {
    const res = await api('POST', 'jobs/' + b.dataset.job + '/run', undefined, 'application/x-ndjson');
    if (!res.ok || !res.body) { jobOut.textContent += b.dataset.job + ': HTTP ' + res.status + ' ' + (await res.text()) + '\n'; return; }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) { const { value, done } = await reader.read(); if (done) break; buf += value; let i; while ((i = buf.indexOf('\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); if (line) { const ev = JSON.parse(line); jobOut.textContent += ev.job + ' ' + ev.event + (ev.elapsed_ms !== undefined ? ' ' + ev.elapsed_ms + ' ms' : '') + (ev.counts ? ' ' + JSON.stringify(ev.counts) : '') + (ev.error ? ' ' + ev.error : '') + '\n'; jobOut.scrollTop = jobOut.scrollHeight; } } }
  } finally { b.disabled = false; }
});
async function refreshList(box) {
  const r = await json('GET', box.dataset.list + '?limit=20');
  if (!r.ok) { box.textContent = errText(r); return; }
  const items = r.doc.items || [];
  box.replaceChildren(el('p', { 'data-field': 'depth', text: (r.doc.depth ?? items.length) + ' entries' }), el('pre', { class: 'stream', tabindex: '0', text: items.map((i) => JSON.stringify(i)).join('\n') }));
}
const lists = [...document.querySelectorAll('[data-list]')];
lists.forEach(refreshList);
for (const b of document.querySelectorAll('button[data-requeue]')) b.addEventListener('click', async () => {
  const r = await json('POST', b.dataset.requeue + '/requeue', { all: true });
  b.textContent = r.ok ? 'Requeued ' + r.doc.requeued : errText(r);
  lists.forEach(refreshList);
});
const logBox = document.getElementById('log-lines');
let logAsk = 0;
async function refreshLogs() {
  const ask = ++logAsk;
  const r = await json('GET', 'logs?limit=300&level=' + document.getElementById('log-level').value);
  if (ask !== logAsk) return; // an answer to an earlier level arrived late: the later ask wins
  logBox.textContent = r.ok ? r.doc.lines.map((l) => JSON.stringify(l)).join('\n') : errText(r);
}
if (logBox) { refreshLogs(); document.getElementById('log-level').addEventListener('change', refreshLogs); document.getElementById('log-refresh').addEventListener('click', refreshLogs); }
const configBox = document.getElementById('config-view');
if (configBox) json('GET', 'config').then((r) => { configBox.textContent = r.ok ? JSON.stringify(r.doc, null, 2) : errText(r); });
})();
`;

export interface Asset {
  name: string;
  type: string;
  body: Buffer;
}

function asset(stem: string, ext: string, type: string, text: string): Asset {
  const body = Buffer.from(text, 'utf8');
  return { name: `${stem}.${createHash('sha256').update(body).digest('hex').slice(0, 12)}.${ext}`, type, body };
}

export const STYLESHEET = asset('app', 'css', 'text/css; charset=utf-8', CSS);
export const SCRIPT = asset('app', 'js', 'text/javascript; charset=utf-8', JS);
