// The search page of `clip4j serve`: a text or a dropped image sent to /v1/search, a dropped image to /v1/classify,
// the matches shown as thumbnails (/v1/thumbnail/{row}) with their scores. Plain DOM and fetch, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
let apiKey = sessionStorage.getItem("clip4j-api-key") || "";
let adapterClasses = [];
let thumbnailUrls = [];

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (apiKey) h["Authorization"] = "Bearer " + apiKey;
  return h;
}

function status(text, isError) {
  $("status").textContent = text;
  $("status").classList.toggle("error", !!isError);
}

async function call(path, options) {
  const res = await fetch(path, Object.assign({}, options, { headers: headers(options && options.headers) }));
  if (res.status === 401) {
    $("key-section").hidden = false;
    throw new Error("this server needs an API key");
  }
  const type = res.headers.get("Content-Type") || "";
  const body = type.startsWith("application/json") ? await res.json() : null;
  if (!res.ok) throw new Error((body && body.error) || res.status + " " + res.statusText);
  return body;
}

async function describeModel() {
  try {
    const m = await call("/v1/model");
    adapterClasses = m.adapter_classes || [];
    const index = m.index_rows > 0 ? m.index_rows.toLocaleString("en") + " indexed images" : "no index loaded (serve --index DIR)";
    $("model").textContent = m.architecture + " · " + m.dims + "-d embeddings · " + index;
    if (adapterClasses.length > 0) $("labels-hint").textContent = "leave empty for the adapter's " + adapterClasses.length + " classes";
    $("model").dataset.ready = "true";
  } catch (e) {
    $("model").textContent = e.message;
  }
}

function k() {
  const v = parseInt($("k").value, 10);
  return Number.isFinite(v) && v >= 1 && v <= 100 ? v : 12;
}

async function showResults(results, title) {
  thumbnailUrls.forEach((u) => URL.revokeObjectURL(u));
  thumbnailUrls = [];
  const grid = $("results");
  grid.replaceChildren();
  $("results-title").textContent = title;
  $("results-out").hidden = false;
  for (const r of results) {
    const fig = document.createElement("figure");
    fig.className = "hit";
    fig.dataset.row = r.row;
    const img = document.createElement("img");
    img.alt = r.key;
    const cap = document.createElement("figcaption");
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = r.score.toFixed(3);
    cap.append(score, " ", r.key);
    fig.append(img, cap);
    grid.append(fig);
  }
  // thumbnails through fetch, so that an API key travels with them
  await Promise.all(results.map(async (r, i) => {
    const img = grid.children[i].querySelector("img");
    try {
      const res = await fetch("/v1/thumbnail/" + r.row, { headers: headers() });
      if (!res.ok) throw new Error((await res.json()).error);
      const url = URL.createObjectURL(await res.blob());
      thumbnailUrls.push(url);
      img.src = url;
    } catch (e) {
      img.alt = "no preview: " + e.message;
      img.title = img.alt;
    }
  }));
}

async function searchText(event) {
  event.preventDefault();
  const text = $("query").value.trim();
  if (!text) return;
  status("searching…");
  try {
    const r = await call("/v1/search", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: text, k: k() })
    });
    await showResults(r.results, "Matches for “" + text + "”");
    status(r.results.length + " matches");
  } catch (e) {
    status(e.message, true);
  }
}

function labels() {
  return $("labels").value.split(",").map((l) => l.trim()).filter((l) => l.length > 0);
}

function showLabels(probs) {
  const list = $("label-list");
  list.replaceChildren();
  const sorted = Object.entries(probs).sort((a, b) => b[1] - a[1]).slice(0, 10);
  for (const [name, p] of sorted) {
    const li = document.createElement("li");
    li.className = "label";
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = Math.max(1, Math.round(p * 200)) + "px";
    const name_ = document.createElement("span");
    name_.className = "name";
    name_.textContent = name;
    const pct = document.createElement("span");
    pct.className = "prob";
    pct.textContent = (100 * p).toFixed(1) + "%";
    li.append(name_, bar, pct);
    list.append(li);
  }
  $("labels-out").hidden = false;
}

async function searchImage(file) {
  if (!file) return;
  if (!file.type.startsWith("image/")) {
    status(file.name + " is not an image", true);
    return;
  }
  $("preview").src = URL.createObjectURL(file);
  $("preview").hidden = false;
  status("looking at " + file.name + "…");
  const form = (fields) => {
    const f = new FormData();
    f.append("image", file, file.name);
    for (const [name, values] of Object.entries(fields)) for (const v of [].concat(values)) f.append(name, v);
    return f;
  };
  const wanted = labels();
  try {
    const [found, classified] = await Promise.all([
      call("/v1/search", { method: "POST", body: form({ k: String(k()) }) }).catch((e) => ({ error: e })),
      wanted.length > 0 || adapterClasses.length > 0
        ? call("/v1/classify", { method: "POST", body: form(wanted.length > 0 ? { labels: wanted } : {}) }).catch((e) => ({ error: e }))
        : Promise.resolve(null)
    ]);
    if (classified && !classified.error) showLabels(classified.probs);
    if (!found.error) await showResults(found.results, "Images like " + file.name);
    const failed = [found, classified].filter((r) => r && r.error).map((r) => r.error.message);
    status(failed.length > 0 ? failed.join("; ") : "done", failed.length > 0);
  } catch (e) {
    status(e.message, true);
  }
}

function wireDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    searchImage(e.dataTransfer.files[0]);
  });
  $("file").addEventListener("change", (e) => searchImage(e.target.files[0]));
}

$("text-form").addEventListener("submit", searchText);
$("key-save").addEventListener("click", () => {
  apiKey = $("apikey").value.trim();
  sessionStorage.setItem("clip4j-api-key", apiKey);
  $("key-section").hidden = true;
  describeModel();
});
wireDrop();
describeModel();
