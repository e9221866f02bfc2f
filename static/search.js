// The search page. Pagefind's API is loaded on first use (focus or a query in the address), then each query is
// folded as the index is (the table in data-fold, from sitegen/search.py) and the results are built from the
// page's own <template>. Result text is set with textContent only: it is never read as HTML.
const box = document.getElementById("search");
const form = box.querySelector("form");
const input = document.getElementById("search-query");
const topic = document.getElementById("search-topic");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const row = document.getElementById("search-result");
const fold = JSON.parse(box.dataset.fold);
const kinds = JSON.parse(box.dataset.kinds);
const root = new URL(box.dataset.root, location.href);
const MAX_RESULTS = 20;

const folded = (text) => Array.from(text, (ch) => fold[ch] ?? ch).join("");
const digits = (n) => box.dataset.digits === "arab" ? String(n).replace(/\d/g, (d) => "٠١٢٣٤٥٦٧٨٩"[d]) : String(n);

// A large site's index comes in parts (sitegen/search.py): the first at the bundle's top, the others in the
// folders its parts.json lists, merged into one search.
let pagefind = null;
let everything = {};     // the options of a search in all topics
function load() {
  pagefind ??= start();
  return pagefind;
}

async function start() {
  const bundle = new URL(box.dataset.bundle, location.href);
  const parts = fetch(new URL("parts.json", bundle)).then((answer) => answer.json());
  const api = await import(new URL("pagefind.js", bundle).href);
  await api.options({ baseUrl: root.pathname });
  await api.init();
  const merged = (await parts).map((part) => api.mergeIndex(new URL(part, bundle).href, { baseUrl: root.pathname }));
  await Promise.all(merged);
  // each part holds a record of every word of the site, which no search shows (sitegen/search.py)
  everything = merged.length ? { filters: { not: { vocabulary: "1" } } } : {};
  return api;
}

// The words of a result that a query word matches, marked: folded, a word matches when it holds a query word.
function marked(text, words) {
  const out = document.createDocumentFragment();
  for (const part of text.split(/(\s+)/)) {
    const plain = folded(part);
    if (words.some((w) => w.length > 1 && plain.includes(w))) {
      out.append(Object.assign(document.createElement("mark"), { textContent: part }));
    } else {
      out.append(part);
    }
  }
  return out;
}

function result(data, words) {
  const li = row.content.firstElementChild.cloneNode(true);
  const meta = data.meta;
  li.querySelector(".result-kind").textContent = kinds[data.filters.kind?.[0]] ?? "";
  if (meta.topic) li.querySelector(".result-topic span").textContent = meta.topic;
  else li.querySelector(".result-topic").remove();
  const sources = data.filters.sources ?? [];     // the fact's articles, in the order it cites them
  if (sources.length) li.querySelector(".result-sources span").textContent = sources.join("، ");
  else li.querySelector(".result-sources").remove();
  const link = li.querySelector(".result-text a");
  link.href = new URL(data.url, root).href;     // the record's address under Pagefind's baseUrl, the site's root
  link.append(marked(meta.title, words));
  return li;
}

let latest = 0;
// A query that names a person or thing, as an article writes it, brings its own page first: a person by any words
// of one of their names (a family name alone), anything else by one of its names whole (sitegen/search.py). Pagefind
// ranks the many facts that mention a name above the one page about it, and may rank that page below the results
// shown, so the pages about names are asked for on their own (filter "named") and those the query names go first.
const MAX_NAMED = 20;

function names(data, words) {
  const all = (data.meta.names || "").split("|");
  if (data.filters.naming?.[0] === "words") {
    return all.some((name) => { const parts = name.split(" "); return words.every((word) => parts.includes(word)); });
  }
  return all.includes(words.join(" "));
}

async function namedBy(api, words) {
  const named = await api.search(words.join(" "), { filters: { named: "1" } });
  const pages = await Promise.all(named.results.slice(0, MAX_NAMED).map((r) => r.data()));
  return pages.filter((data) => names(data, words));
}

// The number of results, and the first MAX_RESULTS of them: the pages the query names, then Pagefind's order.
async function results(api, words) {
  const asked = api.search(words.join(" "), topic.value ? { filters: { topic: topic.value } } : everything);
  const named = topic.value ? [] : namedBy(api, words);     // a topic lists facts: names have no topic filter
  const search = await asked;
  const [found, first] = await Promise.all([
    Promise.all(search.results.slice(0, MAX_RESULTS).map((r) => r.data())), named]);
  const urls = new Set(first.map((data) => data.url));
  return [search.results.length, [...first, ...found.filter((data) => !urls.has(data.url))].slice(0, MAX_RESULTS)];
}

async function run() {
  const query = input.value.trim();
  const ticket = ++latest;
  const address = new URL(location.href);
  address.searchParams.delete("q");
  address.searchParams.delete("topic");
  if (query) address.searchParams.set("q", query);
  if (topic.value) address.searchParams.set("topic", topic.value);
  history.replaceState(null, "", address);
  if (!query) {
    list.replaceChildren();
    status.textContent = "";
    list.dataset.query = "";
    list.dataset.topic = topic.value;
    return;
  }
  status.textContent = status.dataset.loading;
  const words = folded(query).split(/\s+/).filter(Boolean);
  let found, total;
  try {
    [total, found] = await results(await load(), words);
  } catch (error) {
    if (ticket === latest) status.textContent = status.dataset.failed;
    throw error;
  }
  if (ticket !== latest) return;  // a newer query is on its way
  list.replaceChildren(...found.map((data) => result(data, words)));
  status.textContent = found.length ? status.dataset.count.replace("{n}", digits(total)) : status.dataset.none;
  list.dataset.query = query;     // tests wait for these: the results shown are this query's, in this topic
  list.dataset.topic = topic.value;
}

box.querySelector(".no-js").hidden = true;
form.hidden = false;
form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
input.addEventListener("input", run);
topic.addEventListener("change", run);
input.addEventListener("focus", load, { once: true });
const asked = new URLSearchParams(location.search);
input.value = asked.get("q") ?? "";
topic.value = [...topic.options].some((o) => o.value === asked.get("topic")) ? asked.get("topic") : "";
if (input.value) run();
