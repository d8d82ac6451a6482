// urbanrural serve: upload, read ledgers, run, poll, show the report. Every text a user or a
// file supplies is put in the page with textContent, never as HTML.
(function () {
  'use strict';
  var job = null, polling = null, customFrameworks = 0, pending = 0, running = false;
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  // one text in both languages: two spans, the stylesheet shows the one of the page
  function bi(zh, en) {
    var f = document.createDocumentFragment();
    f.appendChild(el('span', 'zh', zh));
    f.appendChild(el('span', 'en', en));
    return f;
  }
  function biEl(tag, cls, zh, en) { var e = el(tag, cls); e.appendChild(bi(zh, en)); return e; }
  function setLang(l) {
    document.body.dataset.lang = l; document.body.className = 'lang-' + l;
    document.documentElement.lang = l === 'en' ? 'en' : 'zh-CN';
  }
  function num(n) { return n === null || n === undefined ? '–' : Number(n).toLocaleString('en'); }

  function api(method, url, body, headers) {
    var opts = {method: method, headers: headers || {}, credentials: 'same-origin'};
    if (body !== undefined) opts.body = body;
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return {status: r.status, body: j}; });
    });
  }
  function ensureJob() {
    if (job) return Promise.resolve(job);
    return api('POST', '/api/jobs', '{}', {'Content-Type': 'application/json'}).then(function (r) {
      if (r.status !== 201) throw r;
      job = r.body.id; return job;
    });
  }

  function showError(box, err) {
    box.textContent = '';
    var e = (err && err.body && err.body.error) || {zh: '请求失败', en: 'the request failed', detail: ''};
    box.appendChild(biEl('div', '', e.zh, e.en));
    if (e.detail) box.appendChild(el('pre', 'detail', e.detail));
    box.hidden = false;
  }

  // ------------------------------------------------------------------ ledgers
  function ledgerBox(name, size) {
    var box = el('div', 'ledger');
    box.dataset.file = name;
    var h = el('h3');
    h.appendChild(el('strong', '', name));
    h.appendChild(document.createTextNode(' (' + num(size) + ' B) '));
    box.appendChild(h);
    $('ledgers').appendChild(box);
    return box;
  }
  function table(heads, rows) {
    var t = el('table'), tr = el('tr');
    heads.forEach(function (h) { var th = el('th'); th.appendChild(bi(h[0], h[1])); tr.appendChild(th); });
    t.appendChild(tr);
    rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (c) { row.appendChild(el('td', '', c === null ? '' : c)); });
      t.appendChild(row);
    });
    return t;
  }
  function renderCheck(box, entry) {
    var c = entry.check;
    if (!c.ok) {
      box.classList.add('bad');
      box.appendChild(biEl('p', '', '✗ 无法使用该文件，原因如下（数据层的原文，部分为英文）。请点 ✕ 删除它，或以同一文件名上传改正后的文件：',
        '✗ this file cannot be used as it is, for the reasons below. Remove it (✕), or upload a corrected file under the same name:'));
      box.appendChild(el('pre', 'message', c.message));
      return;
    }
    if (entry.kind === 'framework') {
      box.appendChild(biEl('p', 'ok', '✓ 框架：' + c.framework.name_zh, '✓ framework: ' + c.framework.name_en));
      return;
    }
    if (entry.kind === 'spec') {
      box.appendChild(biEl('p', 'ok', '✓ 已读入分析设定，选项已按它填好', '✓ analysis spec read; the options are set from it'));
      return;
    }
    var p = el('p', c.balanced ? 'ok' : 'warn');
    p.appendChild(bi('✓ 读入 ' + num(c.values_read) + ' 个数值：使用 ' + num(c.values_used) + '，搁置 ' + num(c.set_aside) + '（原因见下）',
      '✓ ' + num(c.values_read) + ' values read: ' + num(c.values_used) + ' used, ' + num(c.set_aside) + ' set aside (reasons below)'));
    p.dataset.used = c.values_used;
    box.appendChild(p);
    box.appendChild(biEl('p', 'note',
      '布局 ' + c.layout + (c.encoding ? '，编码 ' + c.encoding : '') + '；' + c.regions + ' 个地区，年份 ' + c.years.join('–') + '；指标：' + c.indicators.join('、'),
      'layout ' + c.layout + (c.encoding ? ', encoding ' + c.encoding : '') + '; ' + c.regions + ' regions, years ' + c.years.join('–') + '; indicators: ' + c.indicators.join(', ')));
    if (c.cells_in !== null) {
      box.appendChild(biEl('p', 'note',
        '非空单元格 ' + num(c.cells_in) + ' = 表头与标签 ' + num(c.cells_labels) + ' + 使用的数值 ' + num(c.values_used) + ' + 搁置 ' + num(c.cells_in - c.cells_labels - c.values_used),
        'non-empty cells ' + num(c.cells_in) + ' = ' + num(c.cells_labels) + ' headers and labels + ' + num(c.values_used) + ' values used + ' + num(c.cells_in - c.cells_labels - c.values_used) + ' set aside'));
    }
    if (c.reasons.length) {
      box.appendChild(table([['搁置原因', 'reason set aside'], ['个数', 'count']],
        c.reasons.map(function (r) { return [glossed(r[0], r[2]), r[1]]; })));
    }
    c.notices.forEach(function (n) { box.appendChild(biEl('p', 'note', '说明：' + n, 'notice: ' + n)); });
    if (c.rows.length) {
      var d = el('details'), s = el('summary');
      s.appendChild(bi('逐行明细（前 ' + c.rows.length + ' 条）', 'row by row (first ' + c.rows.length + ')'));
      d.appendChild(s);
      d.appendChild(table([['行', 'row'], ['列', 'column'], ['值', 'value'], ['原因', 'reason']],
        c.rows.map(function (r) { return [r.row, r.column, r.value, glossed(r.reason, r.reason_zh)]; })));
      box.appendChild(d);
    }
  }

  // a reason the data layer gives in English only, with the server's Chinese gloss before it
  function glossed(reason, zh) { return zh ? zh + ' / ' + reason : reason; }
  function pendingChanged(delta) {
    pending = Math.max(0, pending + delta);
    $('run').disabled = running || pending > 0;
  }
  function removeButton(box, entry) {
    var b = el('button', 'remove', '✕');
    b.type = 'button'; b.title = '删除该文件 / remove this file';
    b.setAttribute('aria-label', '删除该文件 / remove this file');
    b.addEventListener('click', function () {
      b.disabled = true;
      api('DELETE', '/api/jobs/' + job + '/uploads/' + entry.n).then(function (r) {
        if (r.status !== 200) { b.disabled = false; var e = el('div', 'error'); showError(e, r); box.appendChild(e); return; }
        box.remove();
        document.querySelectorAll('#custom-frameworks input').forEach(function (i) {
          if (i.value === entry.name && entry.kind === 'framework') i.parentNode.remove();
        });
      });
    });
    box.querySelector('h3').appendChild(b);
  }
  function upload(file, kind) {
    var box = ledgerBox(file.name, file.size);
    box.appendChild(biEl('p', 'note pending', '上传中…', 'uploading…'));
    pendingChanged(1);
    return ensureJob().then(function (id) {
      return api('PUT', '/api/jobs/' + id + '/uploads/' + kind, file,
        {'X-File-Name': encodeURIComponent(file.name), 'Content-Type': 'application/octet-stream'});
    }).then(function (r) {
      box.querySelector('.pending').remove();
      if (r.status !== 200) {
        box.classList.add('bad');
        var e = el('div', 'error'); showError(e, r); box.appendChild(e); box.dataset.status = r.status;
        return null;
      }
      box.dataset.status = 200;
      // a same-name re-upload took the place of a file that could not be read
      document.querySelectorAll('.ledger.bad[data-file]').forEach(function (b) {
        if (b !== box && b.dataset.file === r.body.name && b.dataset.status === '200') b.remove();
      });
      box.dataset.file = r.body.name;
      renderCheck(box, r.body);
      removeButton(box, r.body);
      return r.body;
    }).catch(function (r) {
      box.classList.add('bad'); var e = el('div', 'error'); showError(e, r); box.appendChild(e);
    }).then(function (entry) { pendingChanged(-1); return entry; });
  }
  function uploadAll(files, kind) {
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (f) { chain = chain.then(function () { return upload(f, kind); }); });
    return chain;
  }

  // ------------------------------------------------------------------ options
  function checked(name) {
    return Array.prototype.filter.call(document.querySelectorAll('input[name="' + name + '"]'),
      function (i) { return i.checked; }).map(function (i) { return i.value; });
  }
  function setChecked(name, values) {
    document.querySelectorAll('input[name="' + name + '"]').forEach(function (i) {
      i.checked = values.indexOf(i.value) >= 0;
    });
  }
  function applySpec(spec) {
    setChecked('section', spec.sections);
    setChecked('partition', [spec.partition]);
    setChecked('framework', spec.frameworks);
    $('year-first').value = spec.years ? spec.years[0] : '';
    $('year-last').value = spec.years ? spec.years[1] : '';
    var note = $('spec-note'); note.textContent = '';
    note.appendChild(bi('数据：' + [spec.data].concat(spec.with_data).join('、'), 'data: ' + [spec.data].concat(spec.with_data).join(', ')));
  }

  // ------------------------------------------------------------------ run
  function setStatus(zh, en, state) {
    var s = $('status-text'); s.textContent = ''; s.appendChild(bi(zh, en));
    $('status').dataset.state = state;
  }
  function run() {
    $('error').hidden = true;
    var form = {sections: checked('section'), frameworks: checked('framework'),
      partition: checked('partition')[0], lang: document.body.dataset.lang === 'en' ? 'en' : 'zh'};
    var first = $('year-first').value, last = $('year-last').value;
    if (first !== '' || last !== '') {
      form.years = [parseInt(first || last, 10), parseInt(last || first, 10)];
    }
    if (pending > 0) return;
    running = true; $('run').disabled = true;
    ensureJob().then(function (id) {
      return api('POST', '/api/jobs/' + id + '/run', JSON.stringify(form), {'Content-Type': 'application/json'});
    }).then(function (r) {
      if (r.status !== 202) { running = false; pendingChanged(0); showError($('error'), r); return; }
      $('bar').hidden = false;
      poll();
    }).catch(function (r) { running = false; pendingChanged(0); showError($('error'), r); });
  }
  function poll() {
    api('GET', '/api/jobs/' + job).then(function (r) {
      var j = r.body;
      if (r.status !== 200) { showError($('error'), r); return; }
      $('bar').value = j.progress || 0;
      if (j.state === 'queued') setStatus('排队中…', 'queued…', 'queued');
      else if (j.state === 'running') setStatus('运行中：' + (j.step ? j.step.zh : '…'), 'running: ' + (j.step ? j.step.en : '…'), 'running');
      else if (j.state === 'done') { setStatus('完成（' + j.seconds + ' 秒）', 'done (' + j.seconds + ' s)', 'done'); showResult(); return; }
      else if (j.state === 'failed') { setStatus('失败', 'failed', 'failed'); showError($('error'), {body: {error: j.error}}); return; }
      polling = setTimeout(poll, 400);
    });
  }
  function showResult() {
    var base = '/jobs/' + job;
    $('dl-xlsx').href = base + '/files/results.xlsx';
    $('dl-spec').href = base + '/files/analysis.yaml';
    $('dl-figures').href = base + '/figures.zip';
    $('dl-zip').href = base + '/output.zip';
    $('report').src = base + '/report';
    $('step-result').hidden = false;
    // a cross-origin frame out of view gets no animation frames, and the report draws in them
    $('step-result').scrollIntoView();
  }
  function reset() {
    if (polling) clearTimeout(polling);
    job = null; $('ledgers').textContent = ''; $('custom-frameworks').textContent = '';
    $('error').hidden = true; $('step-result').hidden = true; $('report').removeAttribute('src');
    $('bar').hidden = true; $('bar').value = 0; $('status-text').textContent = '';
    running = false; pendingChanged(0);
    $('spec-note').textContent = ''; $('status').dataset.state = '';
  }

  function start() {
    setLang(document.body.dataset.lang);
    $('langbtn').addEventListener('click', function () { setLang(document.body.dataset.lang === 'en' ? 'zh' : 'en'); });
    $('files').addEventListener('change', function (e) { uploadAll(e.target.files, 'data'); e.target.value = ''; });
    $('framework-file').addEventListener('change', function (e) {
      var f = e.target.files[0]; e.target.value = '';
      if (f) upload(f, 'framework').then(function (entry) {
        if (!entry || !entry.check.ok) return;
        customFrameworks += 1;
        var l = el('label', 'choice'), i = el('input');
        i.type = 'checkbox'; i.name = 'framework'; i.value = entry.name; i.checked = true;
        l.appendChild(i); l.appendChild(document.createTextNode(' ' + entry.name));
        $('custom-frameworks').appendChild(l);
      });
    });
    $('spec-file').addEventListener('change', function (e) {
      var f = e.target.files[0]; e.target.value = '';
      if (f) upload(f, 'spec').then(function (entry) { if (entry && entry.check.ok) applySpec(entry.check.spec); });
    });
    var drop = $('drop');
    ['dragenter', 'dragover'].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add('over'); });
    });
    ['dragleave', 'drop'].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove('over'); });
    });
    drop.addEventListener('drop', function (e) { uploadAll(e.dataTransfer.files, 'data'); });
    $('run').addEventListener('click', run);
    $('reset').addEventListener('click', reset);
    document.body.dataset.ready = '1';
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
