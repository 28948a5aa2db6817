// Ferry upload page: resumable uploads (tus 1.0) into the visitor's draft transfer —
// or, on a file request's page (#drop has data-file-request), into that request.
// No framework, no CDN. Each file is sent in chunks; a failed chunk is retried after
// asking the server (any web process) how much it has, so uploads survive restarts.
(function () {
  'use strict';
  var CHUNK = 4 * 1024 * 1024;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  var drop = document.getElementById('drop');
  // Binds each upload to this visitor's draft: only this draft can take it in.
  var draftToken = drop.getAttribute('data-draft-token');
  var fileRequest = drop.getAttribute('data-file-request');
  var draftUrl = fileRequest ? '/r/' + encodeURIComponent(fileRequest) + '/draft' : '/draft';
  var input = document.getElementById('file-input');
  var list = document.getElementById('draft-files');
  var overall = document.getElementById('overall');
  var overallText = document.getElementById('overall-text');
  var sendButton = document.getElementById('send-button');
  var empty = document.getElementById('draft-empty');
  var totals = { sent: 0, size: 0 };
  // The page's words, in the page's language (the server's catalogues): templates
  // with {name}s to fill in, and plural forms by CLDR category.
  var strings = JSON.parse(drop.getAttribute('data-strings'));
  var plurals = new Intl.PluralRules(document.documentElement.lang || 'en');

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }
  function counted(forms, name, n) {
    var values = {}; values[name] = n;
    return fill(forms[plurals.select(n)] || forms.other, values);
  }
  function b64(s) { return btoa(unescape(encodeURIComponent(s))); }
  function human(n) {
    var i = 0;
    while (n >= 1000 && i < strings.units.length - 1) { n /= 1000; i++; }
    return fill(strings.units[i], { n: i ? n.toFixed(1).replace('.', strings.decimal) : n });
  }
  // #overall-text is a polite live region: screen readers hear the percentage in steps
  // of 10 (not every progress event), then "ready to send" or which file failed.
  var spoken = '';
  function say(text) { if (text !== spoken) { spoken = text; overallText.textContent = text; } }
  function refreshOverall() {
    var pct = totals.size ? Math.round(100 * totals.sent / totals.size) : 0;
    overall.value = pct;
    overall.hidden = !totals.size;
    var done = list.querySelectorAll('li[data-done="1"]').length;
    var busy = list.querySelectorAll('li[data-done="0"]').length;
    var failed = list.querySelectorAll('li[data-done="failed"]').length;
    if (!totals.size) say('');
    else if (busy) say(fill(strings.uploading, { pct: pct - pct % 10, size: human(totals.size) }));
    else say([done ? counted(strings.ready, 'done', done) : '',
      failed ? counted(strings.failed, 'failed', failed) : ''].join(' ').trim());
    sendButton.disabled = done === 0 || busy > 0;
    empty.hidden = list.children.length > 0;
  }
  function row(name, size) {
    var li = document.createElement('li');
    li.setAttribute('data-done', '0');
    var box = document.createElement('div'); box.className = 'progress-row';
    var label = document.createElement('span'); label.className = 'name'; label.textContent = name;
    var bar = document.createElement('progress'); bar.max = 100; bar.value = 0;
    bar.setAttribute('aria-label', fill(strings.progress, { name: name }));
    box.appendChild(label); box.appendChild(bar);
    var sz = document.createElement('span'); sz.className = 'size'; sz.textContent = human(size);
    li.appendChild(box); li.appendChild(sz);
    list.appendChild(li);
    return { li: li, bar: bar, size: sz };
  }
  function request(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      if (onProgress) xhr.upload.onprogress = function (e) { onProgress(e.loaded); };
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () { reject(new Error('network error')); };
      xhr.send(body);
    });
  }
  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  async function upload(file) {
    var ui = row(file.name, file.size);
    totals.size += file.size; refreshOverall();
    var create = await request('POST', '/files/', {
      'Tus-Resumable': '1.0.0', 'Upload-Length': String(file.size),
      'Upload-Metadata': 'filename ' + b64(file.name) + ',filetype ' + b64(file.type || 'application/octet-stream') + ',ferry_draft ' + b64('1') + ',ferry_draft_token ' + b64(draftToken) +
        (fileRequest ? ',file_request ' + b64(fileRequest) : '')
    }, null);
    if (create.status !== 201) { fail(ui, create); return; }
    var location = create.getResponseHeader('Location');
    var id = location.split('/').pop();
    var offset = 0, counted = 0, failures = 0;
    while (offset < file.size) {
      var end = Math.min(offset + CHUNK, file.size);
      try {
        var patch = await request('PATCH', '/files/' + id, {
          'Tus-Resumable': '1.0.0', 'Upload-Offset': String(offset),
          'Content-Type': 'application/offset+octet-stream'
        }, file.slice(offset, end), function (loaded) {
          var now = offset + loaded;
          totals.sent += now - counted; counted = now;
          ui.bar.value = Math.round(100 * now / file.size); refreshOverall();
        });
        if (patch.status === 204) {
          offset = parseInt(patch.getResponseHeader('Upload-Offset'), 10);
          failures = 0;
          continue;
        }
        if (patch.status < 500 && patch.status !== 409 && patch.status !== 423) { fail(ui, patch); return; }
      } catch (e) { /* network error: ask the server where we are */ }
      failures++;
      await wait(Math.min(1000 * failures, 10000));
      var head = await request('HEAD', '/files/' + id, { 'Tus-Resumable': '1.0.0' }, null).catch(function () { return null; });
      if (head && head.status === 200) {
        offset = parseInt(head.getResponseHeader('Upload-Offset'), 10);
        totals.sent += offset - counted; counted = offset;
      }
    }
    var added = await request('POST', draftUrl, { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      JSON.stringify({ upload_id: id }));
    if (added.status !== 200) { fail(ui, added); return; }
    ui.bar.value = 100; ui.li.setAttribute('data-done', '1'); refreshOverall();
  }
  function fail(ui, xhr) {
    ui.li.setAttribute('data-done', 'failed');
    ui.size.textContent = fill(strings.failedStatus, { status: xhr.status });
    ui.size.className = 'size notice error';
    refreshOverall();
  }
  function take(files) { Array.prototype.forEach.call(files, function (f) { upload(f); }); }

  input.addEventListener('change', function () { take(input.files); input.value = ''; });
  drop.addEventListener('dragover', function (e) { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', function () { drop.classList.remove('over'); });
  drop.addEventListener('drop', function (e) { e.preventDefault(); drop.classList.remove('over'); take(e.dataTransfer.files); });
  document.getElementById('pick').addEventListener('click', function () { input.click(); });
  refreshOverall();
})();
