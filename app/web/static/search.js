// dwsearch's search page: search as you type, keeping each search in the address bar.
//
// The page works without this script (the form submits, the server renders). With it,
// a change to the form fetches the server-rendered results (/results?…) and swaps them
// in; only the newest request's answer is ever shown, and every search is a history
// entry, so Back, Forward, reload and bookmarks give the same page.
(() => {
  "use strict";

  const DEBOUNCE_MS = 250;
  const SWAPPED = ["facets", "results"]; // regions the server re-renders for a search
  // The controls outside those regions, which a URL sets directly.
  const FIELDS = ["q", "sort", "feedback", "year_from", "year_to", "since", "until"];

  const LAST_SEARCH = "dwsearch:last-search"; // this tab's last search, for "Back"
  // How far a date or year must be typed before it is worth searching for.
  const WHOLE = { year_from: /^(\d{4})?$/, year_to: /^(\d{4})?$/ };
  WHOLE.since = WHOLE.until = /^(\d{4}(-\d{2}(-\d{2})?)?)?$/;

  // A chunk's page links back to the search this tab last made, not to an empty one.
  const back = document.querySelector("a[data-back]");
  let last = null;
  try {
    last = sessionStorage.getItem(LAST_SEARCH);
  } catch {
    // no storage: the link keeps its plain address
  }
  if (back && last && last.startsWith("/")) back.href = last;

  const form = document.getElementById("search");
  if (!form || !window.fetch || !window.DOMParser) return;
  const remember = () => {
    try {
      sessionStorage.setItem(LAST_SEARCH, location.pathname + location.search);
    } catch {
      // storage refused (a private window): "Back" then starts a new search
    }
  };
  remember();
  const status = document.getElementById("status");
  const filters = document.getElementById("filters");

  let timer = 0;
  let latest = 0; // number of the newest request; older answers are dropped
  let controller = null;
  let requested = location.search.slice(1); // the newest search asked of the server

  // A narrow screen starts with the filters folded, unless some are in use.
  if (filters && window.matchMedia("(max-width: 52rem)").matches && !hasFilters()) {
    filters.open = false;
  }

  function hasFilters() {
    const params = new URLSearchParams(location.search);
    params.delete("q");
    return [...params.keys()].length > 0;
  }

  // The form as a query string, empty values and defaults left out, as the server's links.
  function formQuery() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value !== "string" || value.trim() === "") continue;
      if (name === "sort" && value === "relevance") continue;
      params.append(name, value);
    }
    return params.toString();
  }

  // Put a URL's values in the controls the server does not re-render.
  function fillForm(query) {
    const params = new URLSearchParams(query);
    for (const name of FIELDS) {
      const control = form.elements.namedItem(name);
      if (control && control.type === "checkbox") {
        control.checked = ["1", "on", "true"].includes((params.get(name) || "").toLowerCase());
      } else if (control) {
        control.value = params.get(name) || (name === "sort" ? "relevance" : "");
      }
    }
  }

  async function search(query, { push = true, focusResults = false } = {}) {
    const number = ++latest;
    requested = query;
    if (controller) controller.abort();
    controller = new AbortController();
    if (push && query !== location.search.slice(1)) {
      history.pushState(null, "", query ? `/?${query}` : "/");
    }
    remember();
    form.setAttribute("aria-busy", "true");
    let html;
    try {
      const response = await fetch(`/results?${query}`, {
        signal: controller.signal,
        headers: { Accept: "text/html" },
      });
      html = await response.text();
    } catch (error) {
      if (error.name === "AbortError" || number !== latest) return;
      form.removeAttribute("aria-busy");
      status.textContent = "The server did not answer. Press Search to try again.";
      return;
    }
    if (number !== latest) return; // a newer search was asked for meanwhile
    form.removeAttribute("aria-busy");
    swap(html, focusResults);
  }

  function swap(html, focusResults) {
    const fresh = new DOMParser().parseFromString(html, "text/html");
    // Keep the place of whoever is ticking boxes: the focused box, and open "more" lists.
    const active = document.activeElement;
    const focused = active && active.type === "checkbox" ? [active.name, active.value] : null;
    const opened = [...form.querySelectorAll("details.more[open]")].map((d) => d.dataset.facet);
    for (const id of SWAPPED) {
      const old = document.getElementById(id);
      const now = fresh.getElementById(id);
      if (old && now) old.replaceChildren(...[...now.childNodes].map((n) => document.adoptNode(n)));
    }
    for (const details of form.querySelectorAll("details.more")) {
      if (opened.includes(details.dataset.facet)) details.open = true;
    }
    if (focused) {
      const box = [...form.querySelectorAll("input[type=checkbox]")].find(
        (b) => b.name === focused[0] && b.value === focused[1],
      );
      if (box) {
        const more = box.closest("details");
        if (more) more.open = true;
        box.focus();
      }
    }
    if (fresh.title) document.title = fresh.title;
    const heading = document.getElementById("results-heading");
    status.textContent = heading ? heading.textContent.replace(/\s+/g, " ").trim() : "";
    if (focusResults) {
      const results = document.getElementById("results");
      results.focus();
      results.scrollIntoView({ block: "start" });
    }
  }

  function searchSoon() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const query = formQuery();
      if (query !== requested) search(query);
    }, DEBOUNCE_MS);
  }

  form.addEventListener("input", (event) => {
    const control = event.target;
    if (control.type === "checkbox" || control.tagName === "SELECT") return; // see "change"
    const whole = WHOLE[control.name];
    if (whole && !whole.test(control.value.trim())) return; // "201" is not a year yet
    searchSoon();
  });

  form.addEventListener("change", (event) => {
    const control = event.target;
    if (control.type !== "checkbox" && control.tagName !== "SELECT") return;
    clearTimeout(timer);
    search(formQuery());
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    search(formQuery());
  });

  // Links that are searches (pages of results, "drop the filters", topics) stay on the page.
  form.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-nav]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    clearTimeout(timer);
    const query = new URL(link.href).search.slice(1);
    fillForm(query);
    search(query, { focusResults: true });
  });

  window.addEventListener("popstate", () => {
    const query = location.search.slice(1);
    // Following an in-page link (the skip link's "#results") is history too: no search.
    if (query === requested) return;
    clearTimeout(timer);
    fillForm(query);
    search(query, { push: false });
  });

  // "/" jumps to the search box from anywhere but another text field.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest("input, select, textarea, [contenteditable]")) return;
    event.preventDefault();
    form.elements.namedItem("q").focus();
  });
})();
