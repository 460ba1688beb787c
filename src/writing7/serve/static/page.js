// Writing7 page: calls the service's JSON API (same origin). No dependencies; text from users is only ever set as textContent.
"use strict";

const KEY_STORAGE = "writing7-api-key";
const FEATURE_LABELS = {
  book_mean: "passage pairs: mean same-book logit", book_max: "passage pairs: best same-book logit",
  book_top_k_mean: "passage pairs: top same-book logits", author_mean: "passage pairs: mean same-author logit",
  author_max: "passage pairs: best same-author logit", author_top_k_mean: "passage pairs: top same-author logits",
  centroid_cosine: "encoder: cosine of mean passage embeddings", char4_cosine: "character 4-gram TF-IDF cosine",
  char_wb_cosine: "word-bounded character n-gram cosine", word_cosine: "word 1-2-gram TF-IDF cosine",
  cosine_delta_300: "cosine Delta, 300 most frequent words", cosine_delta_1000: "cosine Delta, 1,000 most frequent words",
  burrows_delta_300: "Burrows' Delta, 300 MFW (a distance)",
  impostor_delta_300: "cosine Delta (300 MFW) against other authors' texts", impostor_delta_1000: "cosine Delta (1,000 MFW) against other authors' texts",
  impostor_char4: "character 4-grams against other authors' texts", impostor_char_wb: "character n-grams against other authors' texts",
  impostor_words: "word 1-2-grams against other authors' texts", impostor_function_words: "function words against other authors' texts",
  impostor_punctuation: "punctuation against other authors' texts",
  function_word_cosine: "function-word profile cosine",
  punctuation_cosine: "punctuation profile cosine", compression_distance: "compression distance (lower = closer)",
  rare_word_overlap: "shared rare words (idf-weighted)", shared_unknown_words: "shared unknown capitalised words (names)",
  shared_names: "shared names (idf-weighted)",
  log_words: "length (log words of the shorter text)",
};

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function percent(value) { return (100 * value).toFixed(1) + "%"; }
function signed(value) { return (value >= 0 ? "+" : "") + value.toFixed(2); }

// -- status and API --------------------------------------------------------------------------------
function showStatus(message, info) {
  const status = document.getElementById("status");
  status.textContent = message;
  status.className = info ? "status info" : "status";
  status.hidden = !message;
}

function askForKey(message) {
  const form = document.getElementById("key-form");
  form.hidden = false;
  showStatus(message || "This service needs an API key: enter it above and try again.");
  document.getElementById("api-key").focus();
}

async function api(path, body) {
  const headers = { "Content-Type": "application/json" };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(path, { method: body === undefined ? "GET" : "POST", headers,
                                       body: body === undefined ? undefined : JSON.stringify(body) });
  let payload = null;
  try { payload = await response.json(); } catch (error) { payload = null; }
  if (response.status === 401) {
    askForKey(key ? "The API key was refused: check it and try again." : undefined);
    throw new Error("unauthorized");
  }
  if (!response.ok) {
    const message = payload && payload.error ? payload.error.message : "the service answered " + response.status;
    throw new Error(message);
  }
  return payload;
}

async function busy(button, label, work) {
  const original = button.textContent;
  button.disabled = true;
  button.textContent = label;
  showStatus("");
  try {
    await work();
  } catch (error) {
    if (error.message !== "unauthorized") showStatus("Error: " + error.message);
  } finally {
    button.disabled = false;
    button.textContent = original;
  }
}

// -- tabs (WAI-ARIA tabs pattern: arrow keys move between tabs) ------------------------------------
function setUpTabs() {
  const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
  function select(tab) {
    for (const other of tabs) {
      const chosen = other === tab;
      other.setAttribute("aria-selected", String(chosen));
      other.tabIndex = chosen ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
    }
    tab.focus();
  }
  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      const visible = tabs.filter((candidate) => !candidate.hidden);
      const position = visible.indexOf(tab);
      if (event.key === "ArrowRight") select(visible[(position + 1) % visible.length]);
      else if (event.key === "ArrowLeft") select(visible[(position - 1 + visible.length) % visible.length]);
      else return;
      event.preventDefault();
    });
  }
}

function setUpFileInputs() {
  for (const input of document.querySelectorAll('input[type="file"][data-target]')) {
    input.addEventListener("change", async () => {
      if (input.files.length) document.getElementById(input.dataset.target).value = await input.files[0].text();
    });
  }
}

// -- compare ---------------------------------------------------------------------------------------
function drawScale(title, probability, task) {
  const box = element("div", null, "scale");
  const label = element("div", null, "scale-label");
  const verdict = probability >= task.threshold ? "yes" : "no";
  const inBand = probability > task.abstention[0] && probability < task.abstention[1];
  label.append(element("strong", title), element("span", percent(probability) + (inBand ? " (undecided: inside the abstention band)" : " (" + verdict + ")")));
  const track = element("div", null, "scale-track");
  track.setAttribute("role", "img");
  track.setAttribute("aria-label", title + ": probability " + percent(probability) + ", abstention band " + percent(task.abstention[0]) +
                     " to " + percent(task.abstention[1]) + ", threshold " + percent(task.threshold));
  const band = element("div", null, "scale-band");
  band.style.left = percent(task.abstention[0]);
  band.style.width = percent(Math.max(task.abstention[1] - task.abstention[0], 0));
  band.title = "abstention band";
  const threshold = element("div", null, "scale-threshold");
  threshold.style.left = percent(task.threshold);
  const marker = element("div", null, "scale-marker");
  marker.style.left = percent(probability);
  track.append(band, threshold, marker);
  const ticks = element("div", null, "scale-ticks");
  ticks.append(element("span", "0 (no)"), element("span", "0.5"), element("span", "1 (yes)"));
  box.append(label, track, ticks);
  return box;
}

function contributionTable(taskName, task) {
  const card = element("div", null, "card");
  card.append(element("h4", taskName + ": logit " + signed(task.logit) + " = bias " + signed(task.bias) + " + contributions (" + task.band + " band)"));
  const table = element("table");
  const head = element("thead");
  const headRow = element("tr");
  for (const name of ["Feature", "Value", "Contribution", ""]) headRow.append(element("th", name));
  head.append(headRow);
  const body = element("tbody");
  const largest = Math.max(...task.contributions.map((row) => Math.abs(row.contribution)), 1e-9);
  for (const row of task.contributions.slice(0, 10)) {
    const line = element("tr");
    const name = element("td", FEATURE_LABELS[row.feature] || row.feature);
    name.title = row.feature;
    const bar = element("div", null, "bar " + (row.contribution >= 0 ? "positive" : "negative"));
    bar.style.width = percent(Math.abs(row.contribution) / largest);
    const barCell = element("td", null, "bar-cell");
    barCell.append(bar);
    line.append(name, element("td", row.value.toFixed(3), "number"), element("td", signed(row.contribution), "number"), barCell);
    body.append(line);
  }
  table.append(head, body);
  card.append(table, element("p", "Showing the 10 largest of " + task.contributions.length + " contributions; green pushes towards yes.", "help"));
  return card;
}

function listCard(title, items, describe, empty) {
  const card = element("div", null, "card");
  card.append(element("h4", title));
  if (!items.length) {
    card.append(element("p", empty, "help"));
    return card;
  }
  const list = element("ul", null, "plain");
  for (const item of items) list.append(element("li", describe(item)));
  card.append(list);
  return card;
}

function showExplanation(result) {
  const explanation = result.explanation;
  const scales = document.getElementById("scales");
  scales.replaceChildren(drawScale("Same book", result.p_same_book, explanation.tasks.book),
                         drawScale("Same author", result.p_same_author, explanation.tasks.author));
  document.getElementById("compare-summary").textContent = (result.too_short ? "No verdict: the shorter text is shorter than " +
    "any text the verdict was fitted on (both probabilities are 0.5); paste a paragraph or more of each. " : "") +
    "Style similarity " + result.style_similarity.toFixed(3) + ". Read " +
    result.words[0] + " and " + result.words[1] + " words (" + result.passages[0] + " and " + result.passages[1] +
    " passages); head: " + result.length_band + " band.";
  document.getElementById("contributions").replaceChildren(contributionTable("Same book", explanation.tasks.book),
                                                           contributionTable("Same author", explanation.tasks.author));
  const evidence = explanation.evidence;
  document.getElementById("evidence").replaceChildren(
    listCard("Shared names (rarest in the training books first)", evidence.shared_names,
             (item) => item.name + " (" + item.count_a + " in A, " + item.count_b + " in B)", "No shared names."),
    listCard("Shared rare words (rarest first)", evidence.shared_rare_words, (item) => item.word + " (idf " + item.idf.toFixed(2) + ")",
             "No shared rare words."),
    listCard("Most similar character 4-grams (share of the char 4-gram cosine)", evidence.char_ngrams,
             (item) => "\u201c" + item.ngram + "\u201d " + percent(item.share), "No shared character 4-grams."),
    listCard("Function words A uses more than B", evidence.function_words.over_used,
             (item) => item.word + ": " + item.per_1000_a.toFixed(1) + " vs " + item.per_1000_b.toFixed(1) + " per 1,000 words", "None."),
    listCard("Function words A uses less than B", evidence.function_words.under_used,
             (item) => item.word + ": " + item.per_1000_a.toFixed(1) + " vs " + item.per_1000_b.toFixed(1) + " per 1,000 words", "None."));
  document.getElementById("compare-result").hidden = false;
}

function setUpCompare() {
  const form = document.getElementById("compare-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = document.getElementById("compare-button");
    busy(button, "Comparing\u2026", async () => {
      const result = await api("/v1/compare", { document1: document.getElementById("text-a").value,
                                                document2: document.getElementById("text-b").value, explain: true });
      showExplanation(result);
    });
  });
}

// -- attribute -------------------------------------------------------------------------------------
let uploadedCandidates = null;

async function readCandidateFolder(files) {
  const candidates = {};
  for (const file of files) {
    const parts = (file.webkitRelativePath || file.name).split("/");
    if (parts.length < 3 || !file.name.toLowerCase().endsWith(".txt") || file.name.startsWith(".")) continue;
    const author = parts[parts.length - 2];
    (candidates[author] = candidates[author] || []).push(await file.text());
  }
  return candidates;
}

function showAttribution(result) {
  const list = document.getElementById("attribution-list");
  const rows = result.candidates.map((row) => [row.author + " (" + row.texts + " text" + (row.texts === 1 ? "" : "s") + ")", row.probability, false]);
  rows.push(["None of these", result.none_of_these, true]);
  rows.sort((first, second) => second[1] - first[1]);
  list.replaceChildren(...rows.map(([name, probability, none]) => {
    const item = element("li");
    const line = element("div", null, "bar-row");
    const track = element("div", null, "bar-track");
    const fill = element("div", null, "bar-fill" + (none ? " none" : ""));
    fill.style.width = percent(probability);
    track.append(fill);
    track.setAttribute("role", "img");
    track.setAttribute("aria-label", name + ": " + percent(probability));
    line.append(element("span", name), track, element("span", percent(probability), "number"));
    item.append(line);
    return item;
  }));
  document.getElementById("attribute-summary").textContent = "A " + result.words + "-word text (" + result.length_band +
    " band). Probabilities are calibrated on authors the model never saw, including the chance that none of the candidates wrote it.";
  document.getElementById("attribute-result").hidden = false;
}

function setUpAttribute() {
  document.getElementById("candidate-folder").addEventListener("change", async (event) => {
    uploadedCandidates = await readCandidateFolder(event.target.files);
    const authors = Object.keys(uploadedCandidates);
    document.getElementById("uploaded-candidates").textContent = authors.length
      ? "Uploaded " + authors.length + " authors: " + authors.join(", ") + "."
      : "No AUTHOR/*.txt files found in that folder.";
    if (!authors.length) uploadedCandidates = null;
  });
  document.getElementById("attribute-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy(document.getElementById("attribute-button"), "Attributing\u2026", async () => {
      const body = { text: document.getElementById("query").value };
      if (uploadedCandidates) body.candidates = uploadedCandidates;
      showAttribution(await api("/v1/attribute", body));
    });
  });
}

async function loadCandidates() {
  try {
    const answer = await api("/v1/candidates");
    const note = document.getElementById("configured-candidates");
    if (!answer.attribution) note.textContent = "This model has no attribution calibration (run writing7 calibrate-attribution).";
    else if (answer.candidates.length) note.textContent = "Configured on the server: " +
      answer.candidates.map((row) => row.author + " (" + row.texts + ")").join(", ") + ".";
  } catch (error) {
    // a missing key is asked for by api(); nothing else to do here
  }
}

// -- search ----------------------------------------------------------------------------------------
function setUpSearch() {
  document.getElementById("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy(document.getElementById("search-button"), "Searching\u2026", async () => {
      const answer = await api("/v1/search", { text: document.getElementById("passage").value,
                                               top_k: Number(document.getElementById("top-k").value) || 10 });
      document.getElementById("search-rows").replaceChildren(...answer.results.map((row) => {
        const line = element("tr");
        line.append(element("td", row.rank, "number"), element("td", percent(row.probability), "number"),
                    element("td", percent(row.p_same_author), "number"), element("td", row.author), element("td", row.title));
        return line;
      }));
      document.getElementById("search-result").hidden = false;
    });
  });
}

async function checkHealth() {
  try {
    const health = await (await fetch("/healthz")).json();
    document.getElementById("tab-search").hidden = !health.index_loaded;
  } catch (error) {
    showStatus("The service cannot be reached: is `writing7 serve` running?");
  }
}

function setUpKey() {
  document.getElementById("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, document.getElementById("api-key").value);
    showStatus("Key saved for this tab: press the button again.", true);
    loadCandidates();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpTabs();
  setUpFileInputs();
  setUpKey();
  setUpCompare();
  setUpAttribute();
  setUpSearch();
  checkHealth();
  loadCandidates();
});
