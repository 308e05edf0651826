/** Inline stylesheet and script of the HTML report (the page loads nothing else). */

export const CSS = `
:root{--trained:#bbf7d0;--trained-s:#86efac;--special:#7e22ce;--fail:#dc2626;--pass:#15803d;--na:#6b7280;--line:#e5e7eb}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#111827;background:#fff}
header{padding:16px 24px;border-bottom:1px solid var(--line);background:#f9fafb}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:16px;margin:28px 0 8px}
.meta{color:#4b5563;margin:0;word-break:break-all}
nav a{margin-right:16px}
main{padding:0 24px 48px;max-width:1280px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:20px}
.card span{color:#4b5563;font-size:12px}
table{border-collapse:collapse;margin:4px 0}
th,td{border-bottom:1px solid var(--line);padding:5px 10px;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.status{font-weight:700;font-size:12px;padding:2px 6px;border-radius:4px;color:#fff;white-space:nowrap}
.status.pass{background:var(--pass)}.status.fail{background:var(--fail)}.status.na{background:var(--na)}
.detail{color:#4b5563;font-size:12px}
.chart .bar{fill:#16a34a}.chart .axis{stroke:#9ca3af}.chart .tick{font-size:11px;fill:#4b5563}
.note{color:#4b5563;font-size:12px;max-width:900px}
.legend span[data-k]{margin-right:12px}
.controls{margin:8px 0 12px}.controls label{margin-right:16px}
.row{border:1px solid var(--line);border-radius:8px;margin:10px 0;padding:8px 12px}
.row h3{font-size:13px;margin:0 0 6px;color:#374151;font-weight:600}
.row[data-fail] h3 .chip{background:#fee2e2;color:var(--fail);border-radius:4px;padding:0 5px;margin-left:6px;font-size:11px}
.toks{font:12.5px/1.6 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-word}
.toks [data-id]{border-radius:2px}
.toks [data-id]:hover{outline:1px solid #111827}
.m{background:var(--trained)}
.s{color:var(--special);box-shadow:inset 0 0 0 1px var(--special);font-weight:600}
.m.s{background:var(--trained-s)}
.p{color:#9ca3af}.p::before{content:"·"}
.toks i{font-style:normal}.toks i::before{content:"↵";color:#9ca3af}
.x{box-shadow:inset 0 0 0 2px var(--fail);background:#fee2e2}
.rb{display:inline-block;font:600 10px/1.4 system-ui,sans-serif;text-transform:uppercase;color:#fff;background:#6b7280;border-radius:3px;padding:0 4px;margin:0 3px 0 0;vertical-align:1px}
.rb[data-role=assistant],.rb[data-role=model],.rb[data-role=gpt],.rb[data-role=chatbot],.rb[data-role=bot]{background:#15803d}
.rb[data-role=user],.rb[data-role=human]{background:#1d4ed8}
.rb[data-role=system],.rb[data-role=developer]{background:#92400e}
.rb[data-role=tool],.rb[data-role=ipython],.rb[data-role=function],.rb[data-role=observation]{background:#6d28d9}
.ids [data-id]::after{content:"(" attr(data-id) ")";font-size:10px;color:#6b7280}
.failing .row:not([data-fail]){display:none}
#tip{position:fixed;right:12px;bottom:12px;max-width:560px;background:#111827;color:#f9fafb;padding:8px 10px;border-radius:6px;font:12px/1.4 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all;box-shadow:0 2px 8px rgba(0,0,0,.25)}
`;

/**
 * Hover details (position, id, mask, label, role, text) and the two view toggles. A token carries
 * `data-label` only where the dataset's label is not what the mask implies (id when trained, -100
 * otherwise); the labels check counts such rows.
 */
export const JS = `
(function () {
  var tip = document.getElementById('tip');
  function roleOf(t) {
    for (var e = t.previousElementSibling; e; e = e.previousElementSibling) if (e.classList.contains('rb')) return e.dataset.role;
    return '(none)';
  }
  function describe(t) {
    var row = t.closest('[data-row]');
    var toks = row.querySelectorAll('[data-id]');
    var pos = Array.prototype.indexOf.call(toks, t);
    var mask = t.dataset.mask;
    var label = t.dataset.label !== undefined ? t.dataset.label + ' (differs from the mask!)' : (mask === '1' ? t.dataset.id : '-100');
    return 'row ' + row.dataset.row + ' · token ' + pos + '\\nid ' + t.dataset.id + ' · mask ' + mask + ' · label ' + label +
      '\\nrole ' + roleOf(t) + (t.classList.contains('s') ? ' · special token' : '') + (t.classList.contains('p') ? ' · padding' : '') +
      '\\ntext ' + JSON.stringify(t.dataset.text !== undefined ? t.dataset.text : t.textContent);
  }
  document.addEventListener('mouseover', function (ev) {
    var t = ev.target && ev.target.closest ? ev.target.closest('[data-id]') : null;
    if (!t) return;
    var d = describe(t);
    t.title = d;
    tip.textContent = d;
    tip.hidden = false;
  });
  document.getElementById('show-ids').addEventListener('change', function (ev) {
    document.body.classList.toggle('ids', ev.target.checked);
  });
  document.getElementById('only-failing').addEventListener('change', function (ev) {
    document.body.classList.toggle('failing', ev.target.checked);
  });
})();
`;
