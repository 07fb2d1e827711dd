(() => {
  if (window.hoidap) return;
  const H = window.hoidap = { filters: {articles: [], outlets: [], since: '', until: ''}, seq: 0, version: 0,
    states: {}, open: new Set(), follow: true, maxChars: 1000, lastCopy: '',
    bound: new WeakSet() };  // elements given listeners (a data- attribute would not survive Gradio's re-render)
  const root = document.documentElement;
  const keepLang = () => { if (root.getAttribute('lang') !== 'vi') root.setAttribute('lang', 'vi'); };
  keepLang();
  new MutationObserver(keepLang).observe(root, {attributes: true, attributeFilter: ['lang']});

  // ---- the sources panel ----
  function panel() {
    let p = document.getElementById('qa-panel');
    if (p) return p;
    p = document.createElement('aside');
    p.id = 'qa-panel'; p.hidden = true; p.setAttribute('role', 'dialog'); p.setAttribute('aria-labelledby', 'qa-panel-title');
    p.innerHTML = '<div class="qa-panel-head"><button type="button" class="qa-panel-back" hidden>← Quay lại</button>' +
      '<h2 class="qa-panel-title" id="qa-panel-title"></h2><button type="button" class="qa-panel-close">Đóng</button></div>' +
      '<div class="qa-panel-body" tabindex="-1"></div>';
    document.body.appendChild(p);
    return p;
  }
  H.openPanel = (nodes, title, target) => {
    const p = panel(), body = p.querySelector('.qa-panel-body');
    H.backStack = [];
    p.querySelector('.qa-panel-back').hidden = true;
    body.replaceChildren(...nodes);
    p.querySelector('.qa-panel-title').textContent = title;
    p.hidden = false;
    const focus = target ? body.querySelector(target) : null;
    if (focus) focus.scrollIntoView({block: target === '[data-focus]' ? 'center' : 'start'});
    else body.scrollTop = 0;
    body.focus({preventScroll: true});
  };
  H.closePanel = () => {
    const p = document.getElementById('qa-panel');
    if (!p || p.hidden) return;
    p.hidden = true;
    if (H.opener && document.contains(H.opener)) H.opener.focus({preventScroll: true});
  };
  function openSources(button) {
    const bubble = button.closest('.qa-a');
    const src = bubble && bubble.querySelector('.qa-panel-src');
    if (!src) return;
    H.opener = button;
    const nodes = Array.from(src.cloneNode(true).childNodes);
    H.openPanel(nodes, src.dataset.title || 'Nguồn', `.qa-card[data-n="${button.dataset.n || 1}"]`);
  }
  async function showArticle(button) {
    if (!H.server) return;
    const id = button.dataset.article;
    const marks = (button.dataset.marks || '').split(',').filter(Boolean).map(m => m.split('-').map(Number));
    const focus = (button.dataset.focus || '').split('-').filter(Boolean).map(Number);
    const p = panel(), body = p.querySelector('.qa-panel-body');
    const before = p.hidden ? null : Array.from(body.childNodes);
    const title = p.querySelector('.qa-panel-title').textContent;
    H.opener = H.opener && !p.hidden ? H.opener : button;
    let result;
    try { result = await H.server.article({id: id, marks: marks, focus: focus.length === 2 ? focus : null}); }
    catch (err) { result = {ok: false, message: 'Không mở được bài viết (mất kết nối tới máy chủ?).'}; }
    const holder = document.createElement('div');
    if (result && result.ok) holder.innerHTML = result.html;  // escaped by the server
    else { const e = document.createElement('p'); e.className = 'qa-error'; e.textContent = (result && result.message) || 'Không mở được bài viết.'; holder.appendChild(e); }
    H.openPanel(Array.from(holder.childNodes), (result && result.title) || 'Bài viết', '[data-focus]');
    if (before) { H.backStack = [[before, title]]; p.querySelector('.qa-panel-back').hidden = false; }
  }
  function panelBack() {
    const p = panel(), last = (H.backStack || []).pop();
    if (!last) return;
    p.querySelector('.qa-panel-body').replaceChildren(...last[0]);
    p.querySelector('.qa-panel-title').textContent = last[1];
    p.querySelector('.qa-panel-back').hidden = !(H.backStack || []).length;
  }

  async function copy(button) {
    const text = button.dataset.copy || '';
    H.lastCopy = text;
    let ok = false;
    try { await navigator.clipboard.writeText(text); ok = true; } catch (err) {
      const area = document.createElement('textarea');
      area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
      document.body.appendChild(area); area.select();
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      area.remove();
    }
    const label = button.textContent;
    button.textContent = ok ? 'Đã chép ✓' : 'Không chép được';
    setTimeout(() => { button.textContent = label === 'Đã chép ✓' ? 'Sao chép' : label; }, 1500);
  }

  document.addEventListener('click', (e) => {
    const t = e.target.closest('button');
    if (!t) return;
    if (t.matches('.qa-example, .qa-suggest')) { H.ask && H.ask(t.dataset.q || ''); }
    else if (t.matches('.qa-ref, .qa-open-sources')) { openSources(t); }
    else if (t.matches('.qa-copy')) { copy(t); }
    else if (t.matches('.qa-full, .qa-view')) { showArticle(t); }
    else if (t.matches('.qa-new-chat')) { H.reset && H.reset(); }
    else if (t.matches('.qa-open-filters')) { H.showFilters(); }
    else if (t.matches('.qa-filters-done')) { H.backToBox(); }
    else if (t.matches('.qa-clear-filters')) { H.clearFilters(); }
    else if (t.matches('.qa-panel-close')) { H.closePanel(); }
    else if (t.matches('.qa-panel-back')) { panelBack(); }
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') H.closePanel(); });

  // ---- filters (the collection panel) ----
  function fmt(day) { const p = (day || '').split('-'); return p.length === 3 ? `${p[2]}/${p[1]}/${p[0]}` : day; }
  H.scopeText = () => {
    const f = H.filters, out = [];
    if (f.articles.length) out.push(f.articles.length === 1 ? '1 bài đã chọn' : `${f.articles.length} bài đã chọn`);
    if (f.outlets.length) out.push('nguồn: ' + f.outlets.map(o => o || 'không rõ nguồn').join(', '));
    if (f.since) out.push('từ ' + fmt(f.since));
    if (f.until) out.push('đến ' + fmt(f.until));
    return out.join(' · ');
  };
  H.readFilters = () => {
    const c = document.querySelector('.qa-coll');
    if (!c) return;
    H.filters = {
      articles: Array.from(c.querySelectorAll('input[name=article]:checked')).map(i => i.value),
      outlets: Array.from(c.querySelectorAll('input[name=outlet]:checked')).map(i => i.value),
      since: (c.querySelector('input[name=since]') || {}).value || '',
      until: (c.querySelector('input[name=until]') || {}).value || '',
    };
    H.showScope();
  };
  H.applyFilters = () => {
    const c = document.querySelector('.qa-coll');
    if (!c) return;
    const f = H.filters;
    c.querySelectorAll('input[name=article]').forEach(i => { i.checked = f.articles.includes(i.value); });
    c.querySelectorAll('input[name=outlet]').forEach(i => { i.checked = f.outlets.includes(i.value); });
    const s = c.querySelector('input[name=since]'), u = c.querySelector('input[name=until]');
    if (s) s.value = f.since; if (u) u.value = f.until;
    H.readFilters();
  };
  // a phone shows the collection below the input: the header's "Bộ lọc" opens it and scrolls to it, "Xong" comes back
  H.showFilters = () => {
    const box = document.querySelector('.qa-coll-box');
    if (!box) return;
    box.open = true;
    box.scrollIntoView({block: 'start'});
    box.querySelector('summary').focus({preventScroll: true});
  };
  H.backToBox = () => { if (H.box) { H.box.scrollIntoView({block: 'end'}); H.box.focus({preventScroll: true}); } };
  H.clearFilters = () => { H.filters = {articles: [], outlets: [], since: '', until: ''}; H.applyFilters(); H.showScope(); };
  H.showScope = () => {
    const bar = document.querySelector('.qa-scope-bar');
    if (!bar) return;
    const text = H.scopeText();
    bar.hidden = !text;
    bar.querySelector('.qa-scope-text').textContent = text;
  };
  document.addEventListener('change', (e) => { if (e.target.closest('.qa-coll')) H.readFilters(); });
  document.addEventListener('input', (e) => { if (e.target.closest('.qa-coll') && e.target.type === 'date') H.readFilters(); });

  H.attachCollection = (element, watch) => {
    const restore = () => {
      const box = element.querySelector('.qa-coll-box');
      if (box && window.matchMedia('(max-width: 720px)').matches && !H.collectionTouched) box.open = false;
      else if (box && H.collectionOpen !== undefined) box.open = H.collectionOpen;
      if (box && !H.bound.has(box)) { H.bound.add(box);
        box.addEventListener('toggle', () => { H.collectionOpen = box.open; H.collectionTouched = true; }); }
      H.applyFilters();
    };
    restore();
    watch('value', restore);
  };

  // ---- the composer ----
  function shownLength(text) { return text.replace(/\s+/g, ' ').trim().length; }
  function num(n) { return n.toLocaleString('vi-VN'); }
  H.attachComposer = (element, trigger, props) => {
    H.maxChars = Number(props.max_chars) || H.maxChars;
    const box = element.querySelector('textarea'), form = element.querySelector('form');
    const count = element.querySelector('.qa-count'), error = element.querySelector('.qa-error');
    H.box = box;
    const update = () => {
      const n = shownLength(box.value);
      count.textContent = `${num(n)}/${num(H.maxChars)} ký tự`;
      count.classList.toggle('qa-over', n > H.maxChars);
      box.style.height = 'auto'; box.style.height = Math.min(box.scrollHeight + 2, 180) + 'px';
    };
    H.showError = (message) => {
      error.textContent = message; error.hidden = !message;
      if (message) requestAnimationFrame(() => requestAnimationFrame(() => {  // after the layout has made room
        const r = error.getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) error.scrollIntoView({block: 'nearest'});
      }));
    };
    // the conversation gives up the height the input grows by (a long question, an error, the filter bar),
    // so that the counter and the error stay on screen
    let base = Infinity;
    new ResizeObserver(() => { const h = form.offsetHeight; if (!h) return; base = Math.min(base, h);
      root.style.setProperty('--qa-grow', (h - base) + 'px'); }).observe(form);
    H.refreshBox = update;
    H.ask = (text) => {
      const fromBox = text === undefined;
      const q = fromBox ? box.value : text;
      const n = shownLength(q);
      if (!n) { H.showError('Câu hỏi trống: hãy nhập một câu hỏi về nội dung các bài báo.'); box.focus(); return false; }
      if (n > H.maxChars || q.length > 4 * H.maxChars) {
        H.showError(`Câu hỏi quá dài (${num(n)} ký tự; tối đa ${num(H.maxChars)}): hãy rút gọn hoặc hỏi từng ý một.`);
        box.focus(); return false;
      }
      H.showError('');
      H.seq += 1; H.follow = true;
      trigger('ask', {question: q, seq: H.seq, filters: H.filters});
      if (fromBox) { box.value = ''; update(); }
      return true;
    };
    H.reset = () => { H.showError(''); H.closePanel(); H.states = {}; H.open.clear(); trigger('reset', {}); box.focus(); };
    form.addEventListener('submit', (e) => { e.preventDefault(); H.ask(); });
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); H.ask(); }
    });
    box.addEventListener('input', () => { update(); if (error.textContent && shownLength(box.value)) H.showError(''); });
    update();
    H.showScope();
  };
  H.attachStatus = (element, watch) => {
    const show = () => {
      const p = element.querySelector('[data-error]');
      if (!p || !H.showError) return;
      if (p.dataset.restore && H.box && !H.box.value) { H.box.value = p.dataset.restore; H.refreshBox && H.refreshBox(); }
      H.showError(p.dataset.error || '');
    };
    watch('value', show);
  };

  // ---- the conversation ----
  H.attachChat = (element, props, watch, server) => {
    H.server = server;
    const log = () => element.querySelector('.qa-log');
    let pinned = null;
    const onUser = () => { H.follow = false; };
    const bind = () => {
      const l = log();
      if (l && !H.bound.has(l)) { H.bound.add(l); l.addEventListener('wheel', onUser, {passive: true});
        l.addEventListener('touchmove', onUser, {passive: true});
        l.addEventListener('toggle', (e) => { const d = e.target; if (d.matches && d.matches('details')) {
          const key = d.closest('.qa-turn')?.dataset.seq + ':' + (d.dataset.key || '');
          if (d.open) H.open.add(key); else H.open.delete(key); } }, true); }
    };
    const updated = () => {
      const l = log();
      if (!l) return;
      const v = Number(l.dataset.version || 0);
      if (v < H.version && H.lastHtml) { props.value = H.lastHtml; return; }  // an older render arrived late
      H.version = v; H.lastHtml = props.value;
      bind();
      l.querySelectorAll('.qa-turn details').forEach(d => {
        const key = d.closest('.qa-turn').dataset.seq + ':' + (d.dataset.key || '');
        if (H.open.has(key)) d.open = true;
      });
      let answered = null, added = null;
      l.querySelectorAll('.qa-turn').forEach(t => {
        const seq = t.dataset.seq, state = t.dataset.state, before = H.states[seq];
        if (state === 'done' && before !== 'done') answered = t;
        if (before === undefined && state !== 'done') added = added || t;
        H.states[seq] = state;
      });
      if (!H.follow) return;
      const target = answered || added;
      if (!target) return;
      l.scrollTop = Math.max(0, target.offsetTop - 6);
      const box = l.getBoundingClientRect();
      if (box.top < 0 || box.top > window.innerHeight * 0.5) window.scrollBy(0, box.top - 4);
      if (answered) {
        const live = document.getElementById('qa-live');
        const a = answered.querySelector('.qa-llm-note, .qa-missing, .qa-short, .qa-llm-text, .qa-refusal-title, .qa-sum-title, .qa-quote');
        if (live && a) live.textContent = 'Đã trả lời: ' + a.textContent.slice(0, 200);
      }
    };
    updated();
    watch('value', updated);
  };
})();
