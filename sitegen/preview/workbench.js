// The preview's citation workbench on a source page. Selecting words of the article (mouse, touch or keyboard)
// shows the lines to paste into a topic file: `- source:` and `quote:` with the seed's own characters (taken from
// the seed's text in #cite-data by the offsets on the page's pieces, never from the page's rendered text), the
// facts and names already citing an overlapping passage, and a warning when the words occur earlier in the body
// (the build cites the first occurrence: citations.locate).
"use strict";
(() => {
  const dataBlock = document.getElementById("cite-data");
  const panel = document.getElementById("cite-panel");
  const body = document.querySelector("[data-cite-body]");
  if (!dataBlock || !panel || !body) return;
  const data = JSON.parse(dataBlock.textContent);
  const text = data.text;
  const status = document.getElementById("cite-status");
  const snippet = panel.querySelector(".cite-snippet");
  const code = snippet.querySelector("code");
  const where = panel.querySelector(".cite-where");
  const earlier = panel.querySelector(".cite-earlier");
  const overlap = panel.querySelector(".cite-overlap");
  const none = panel.querySelector(".cite-none");
  const digits = new Intl.NumberFormat(panel.dataset.digits === "arab" ? "ar-u-nu-arab" : "ar-u-nu-latn",
                                       {useGrouping: false});

  // Offsets from the site are in code points (Python's); JavaScript strings count UTF-16 units.
  const unit = [0];
  for (const ch of text) unit.push(unit[unit.length - 1] + ch.length);
  const point = u => { let lo = 0, hi = unit.length - 1;
                       while (lo < hi) { const mid = (lo + hi) >> 1; if (unit[mid] < u) lo = mid + 1; else hi = mid; }
                       return lo; };
  const bodyFrom = unit[data.body[0]], bodyTo = unit[data.body[1]];
  const cites = data.cites.map(([s, e, who]) => [unit[s], unit[e], who]);

  // White space as Python's `re` \s sees it: quotes are matched with every run of it as one space.
  const SPACE = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
  const flatChars = [], origin = [], toFlat = new Int32Array(text.length);
  for (let i = 0; i < text.length;) {
    if (SPACE.test(text[i])) {
      const at = flatChars.length;
      origin.push(i); flatChars.push(" ");
      while (i < text.length && SPACE.test(text[i])) toFlat[i++] = at;
    } else {
      toFlat[i] = flatChars.length; origin.push(i); flatChars.push(text[i]); i++;
    }
  }
  const flat = flatChars.join("");
  const lineOf = u => { let n = 1; for (let i = text.indexOf("\n"); i >= 0 && i < u; i = text.indexOf("\n", i + 1)) n++;
                        return n; };
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => digits.format(values[k]));

  const pieces = Array.from(body.querySelectorAll("[data-at]"));
  const probe = document.createRange();

  // The seed offset of a selection boundary: inside a piece, its offset plus the units before the boundary; between
  // pieces (a citer's number, a paragraph break), the next piece's start or the last piece's end.
  function seedAt(node, offset, isEnd) {
    for (let i = 0; i < pieces.length; i++) {
      probe.selectNodeContents(pieces[i]);
      const side = probe.comparePoint(node, offset);
      if (side < 0) return isEnd ? (i ? end(i - 1) : null) : start(i);
      if (side === 0) {
        probe.setEnd(node, offset);
        return start(i) + probe.toString().length;
      }
    }
    return isEnd && pieces.length ? end(pieces.length - 1) : null;
  }
  const start = i => unit[Number(pieces[i].dataset.at)];
  const end = i => start(i) + pieces[i].textContent.length;

  // YAML's double-quoted style writes any string on one line, each character as itself except \ and ", and
  // escapes for line breaks, tabs and every invisible character (U+200B reads as \u200B, not as nothing).
  function yamlQuoted(s) {
    return '"' + s.replace(/[\\"]/g, "\\$&").replace(/[\p{C}\p{Z}]/gu, ch => {
      if (ch === " ") return ch;
      const named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch];
      if (named) return named;
      const hex = ch.codePointAt(0).toString(16).toUpperCase();
      return hex.length <= 4 ? "\\u" + hex.padStart(4, "0") : "\\U" + hex.padStart(8, "0");
    }) + '"';
  }

  // Where the build would find the quote: the first match, in white-space-flattened text, that starts in the body.
  function firstInBody(s, e) {
    const wanted = flat.slice(toFlat[s], toFlat[e - 1] + 1);
    for (let at = flat.indexOf(wanted); at >= 0 && at < toFlat[s]; at = flat.indexOf(wanted, at + 1)) {
      if (origin[at] >= bodyFrom && origin[at] < bodyTo) return origin[at];
    }
    return s;
  }

  function show(s, e) {
    // the quote's words in an isolate of their own direction, so Arabic reads right to left inside the YAML line
    const words = document.createElement("bdi");
    words.textContent = yamlQuoted(text.slice(s, e)).slice(1, -1);
    code.replaceChildren(`- source: ${data.source}\n  quote: "`, words, '"');
    panel.dataset.start = point(s);
    panel.dataset.end = point(e);
    const first = lineOf(s), last = lineOf(e);
    where.textContent = fill(first === last ? panel.dataset.line : panel.dataset.lines, {first, last});
    const found = firstInBody(s, e);
    earlier.hidden = found === s;
    earlier.textContent = found === s ? "" : fill(panel.dataset.earlier, {line: lineOf(found)});
    const who = new Set();
    for (const [a, b, citers] of cites) if (a < e && b > s) citers.forEach(n => who.add(n));
    overlap.replaceChildren(...[...who].sort((a, b) => a - b).map(n => {
      const [label, href] = data.citers[n];
      const item = document.createElement("li"), link = document.createElement("a");
      link.href = href; link.textContent = label;
      item.append(link);
      return item;
    }));
    none.hidden = who.size > 0;
    const fresh = panel.hidden;
    panel.hidden = false;
    if (fresh) {
      say(panel.dataset.ready);
      uncover();
    }
  }

  // A panel that comes up over the selected words scrolls them above it.
  function uncover() {
    const words = document.getSelection().getRangeAt(0).getBoundingClientRect();
    const over = words.bottom - panel.getBoundingClientRect().top;
    if (over > 0) window.scrollBy({top: over + 16});
  }

  function hide() {
    const main = document.querySelector("main");   // focus leaves the panel it hides for where the reader was
    if (main && panel.contains(document.activeElement)) main.focus({preventScroll: true});
    panel.hidden = true;
    delete panel.dataset.start;
    delete panel.dataset.end;
  }

  const say = message => { status.textContent = message; };

  function update() {
    const selection = document.getSelection();
    if (!selection || !selection.rangeCount) return;
    const range = selection.getRangeAt(0);
    if (panel.contains(range.commonAncestorContainer)) return;     // the panel's own text, selected to copy
    if (selection.isCollapsed) {
      if (body.contains(range.startContainer)) hide();              // a click in the article clears it
      return;
    }
    if (!range.intersectsNode(body)) return;
    let s = seedAt(range.startContainer, range.startOffset, false);
    let e = seedAt(range.endContainer, range.endOffset, true);
    if (s === null || e === null) return hide();
    while (s < e && SPACE.test(text[s])) s++;                       // a quote is found without the spaces around it
    while (e > s && SPACE.test(text[e - 1])) e--;
    if (e <= s) return hide();
    show(s, e);
  }

  // selectionchange fires for every step of a drag: the panel is brought up to date once per frame, and not while
  // a mouse button is held (the panel appearing under the pointer would take the drag); touch and keyboard
  // selections change without a held button.
  let queued = false, dragging = false;
  const later = () => {
    if (queued || dragging) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; update(); });
  };
  document.addEventListener("selectionchange", later);
  document.addEventListener("pointerdown", event => { dragging = event.pointerType === "mouse" && event.button === 0; });
  for (const type of ["pointerup", "pointercancel"]) {
    document.addEventListener(type, () => { if (dragging) { dragging = false; later(); } });
  }

  panel.querySelector(".cite-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code.textContent);
      say(panel.dataset.copied);
    } catch {   // no Clipboard API (a page not served from this machine is not a secure context): select it
      document.getSelection().selectAllChildren(code);
      snippet.focus();
      say(panel.dataset.press);
    }
  });
  panel.querySelector(".cite-close").addEventListener("click", hide);
  document.addEventListener("keydown", event => {
    if (event.key === "Escape" && !panel.hidden) hide();
  });
})();
