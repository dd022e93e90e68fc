/* picker.js: a combobox that finds a customer or a staff member by name as
 * one types (GET /ops/customers?q= or /ops/staff?q=), for the queue's filter,
 * the new-task form and the other pages. Needs common.js (Ops.api, Ops.el).
 *
 *   const p = Ops.picker(input, {kind: 'customer' | 'staff', onPick(item | null)});
 *     input   an <input type="text"> with its own <label>; it becomes
 *             role="combobox" with a listbox after it (id = input.id + '-list').
 *     kind    which list it searches.
 *     onPick  called with the API's object ({id, name, ...}) when one is
 *             picked, and with null when the text is cleared or edited away
 *             from the picked name.
 *     options (all optional): limit (results shown, 1-20, default 8),
 *             filter(item) -> bool (e.g. only active staff),
 *             debounce (ms, default 120).
 *   p.value()      the picked object, or null
 *   p.set(item)    shows item ({id, name}) as picked (null clears), without onPick
 *   p.clear()      as set(null)
 *
 * Keys: ArrowDown/ArrowUp open and move, Enter picks, Escape closes the list
 * (and, when it is closed already, lets Escape go to the page), Tab leaves.
 * Names are inserted as text, isolated (dir="auto"). Answers that arrive after
 * a newer search are dropped. */
'use strict';

Ops.picker = (input, opts) => {
  const {el, api} = Ops;
  const kind = opts.kind === 'staff' ? 'staff' : 'customers';
  const limit = Math.min(20, Math.max(1, opts.limit || 8));
  const wait = opts.debounce === undefined ? 120 : opts.debounce;
  const base = input.id || 'picker-' + Math.random().toString(36).slice(2, 8);
  input.id = base;
  const list = el('ul', {id: base + '-list', role: 'listbox', class: 'picker-list', hidden: true,
                         'aria-label': kind === 'staff' ? 'Staff found' : 'Customers found'});
  const note = el('span', {class: 'picker-note', role: 'status', 'aria-live': 'polite'});
  const wrap = el('span', {class: 'picker'});
  input.replaceWith(wrap);
  wrap.append(input, list, note);
  for (const [k, v] of Object.entries({role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
                                        'aria-controls': list.id, autocomplete: 'off', spellcheck: 'false'}))
    input.setAttribute(k, v);
  let items = [], active = -1, picked = null, timer = 0, seq = 0;

  function open(yes) {
    list.hidden = !yes;
    input.setAttribute('aria-expanded', String(yes));
    if (!yes) { active = -1; input.removeAttribute('aria-activedescendant'); }
  }

  function highlight(i) {
    active = i;
    list.querySelectorAll('[role=option]').forEach((li, j) => li.setAttribute('aria-selected', String(j === i)));
    const li = document.getElementById(`${base}-opt-${i}`);
    if (li) { input.setAttribute('aria-activedescendant', li.id); li.scrollIntoView({block: 'nearest'}); }
    else input.removeAttribute('aria-activedescendant');
  }

  function render(text) {
    list.replaceChildren();
    items.forEach((it, i) => {
      const extra = it.email || (kind === 'staff' && it.active === false ? 'inactive' : '');
      const li = el('li', {id: `${base}-opt-${i}`, role: 'option', 'aria-selected': 'false', class: 'picker-opt'},
        el('bdi', {dir: 'auto'}, it.name), extra ? el('span', {class: 'muted picker-extra'}, ' ' + extra) : null);
      li.addEventListener('mousedown', (ev) => ev.preventDefault());  /* keeps focus in the input */
      li.addEventListener('click', () => pick(i));
      list.append(li);
    });
    open(items.length > 0);
    note.textContent = items.length ? `${items.length} found` : text ? 'No match' : '';
    note.classList.toggle('is-empty', !items.length && !!text);  /* "No match" is shown, not only spoken */
    if (items.length) highlight(0);
  }

  function set(item) {
    picked = item || null;
    input.value = picked ? picked.name : '';
    input.dataset.id = picked ? picked.id : '';
    note.textContent = '';
    note.classList.remove('is-empty');
    open(false);
  }

  function pick(i) {
    const it = items[i];
    if (!it) return;
    set(it);
    opts.onPick && opts.onPick(it);
  }

  async function search(text) {
    const n = ++seq;
    try {
      const {data} = await api('GET', `/ops/${kind}?limit=${Math.min(50, limit * 2)}&q=` + encodeURIComponent(text));
      if (n !== seq || input.value.trim() !== text) return;
      items = data.data.filter((it) => !opts.filter || opts.filter(it)).slice(0, limit);
      render(text);
    } catch (e) {
      if (n !== seq) return;
      items = [];
      render(e.status === 422 ? text : '');
      if (e.status !== 422) note.textContent = 'Search failed: ' + e.message;
    }
  }

  input.addEventListener('input', () => {
    const text = input.value.trim();
    if (picked && input.value !== picked.name) {
      picked = null;
      input.dataset.id = '';
      opts.onPick && opts.onPick(null);
    }
    clearTimeout(timer);
    if (!text) { seq++; items = []; render(''); return; }
    timer = setTimeout(() => search(text), wait);
  });

  input.addEventListener('keydown', (ev) => {
    const shown = !list.hidden;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      if (!shown) {
        if (items.length) { open(true); highlight(0); }
        else if (input.value.trim()) search(input.value.trim());
        return;
      }
      const d = ev.key === 'ArrowDown' ? 1 : -1;
      highlight((active + d + items.length) % items.length);
    } else if (ev.key === 'Enter' && shown && active >= 0) {
      ev.preventDefault();
      pick(active);
    } else if (ev.key === 'Escape' && shown) {
      ev.preventDefault();
      ev.stopPropagation();
      open(false);
    } else if (ev.key === 'Tab') {
      open(false);
      note.classList.remove('is-empty');
    }
  });

  input.addEventListener('blur', () => setTimeout(() => {
    if (document.activeElement !== input) { open(false); note.classList.remove('is-empty'); }
  }, 0));

  return {value: () => picked, set, clear: () => set(null)};
};
