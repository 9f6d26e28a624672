// dwsearch's search page: search as you type, keeping each search in the address bar.
//
// The page works without this script (the form submits, the server renders). With it,
// a change to the form fetches the server-rendered results (/results?…) and swaps them
// in; only the newest request's answer is ever shown, and every search is a history
// entry, so Back, Forward, reload and bookmarks give the same page.
(() => {
  "use strict";
  document.documentElement.classList.add("js"); // "Apply filters" is for pages without script

  const DEBOUNCE_MS = 250;
  const SWAPPED = ["facets", "results", "drawer-foot"]; // regions the server re-renders
  // The controls outside those regions, which a URL sets directly.
  const FIELDS = ["q", "sort", "feedback", "year_from", "year_to", "since", "until"];

  const LAST_SEARCH = "dwsearch:last-search"; // this tab's last search, for "Back"
  // How far a date or year must be typed before it is worth searching for.
  const WHOLE = {};
  WHOLE.since = WHOLE.until = /^(\d{4}(-\d{2}(-\d{2})?)?)?$/;
  const ERROR_FIELDS = ["q", "since", "until"]; // controls an error can be said beside
  const NARROW = "(max-width: 52rem)"; // a phone: the filters are a drawer

  // A chunk's page links back to the search this tab last made, not to an empty one.
  const back = document.querySelector("a[data-back]");
  let last = null;
  try {
    last = sessionStorage.getItem(LAST_SEARCH);
  } catch {
    // no storage: the link keeps its plain address
  }
  if (back && last && last.startsWith("/")) back.href = last;

  // "Cite": the citation is shown when opened (the fallback), and copied where allowed.
  document.addEventListener(
    "toggle",
    (event) => {
      const details = event.target;
      if (!details.matches || !details.matches("details.cite") || !details.open) return;
      const said = details.querySelector(".cite-status");
      const text = details.querySelector(".cite-text").textContent.trim();
      const fallback = () => {
        said.textContent = "Copy this citation:";
        const range = document.createRange();
        range.selectNodeContents(details.querySelector(".cite-text"));
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      };
      if (!navigator.clipboard || !window.isSecureContext) return fallback();
      navigator.clipboard.writeText(text).then(() => {
        said.textContent = "Copied to the clipboard:";
      }, fallback);
    },
    true,
  );

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
  const toggle = document.getElementById("filters-toggle");
  const narrow = window.matchMedia(NARROW);

  let timer = 0;
  let latest = 0; // number of the newest request; older answers are dropped
  let controller = null;
  let requested = location.search.slice(1); // the newest search asked of the server

  // On a phone the filters are a drawer behind the "Filters" button, closed on "Show N
  // results" (or Close, or Escape); on a wide screen they stay beside the results.
  function revealDrawerButtons() {
    for (const button of form.querySelectorAll("[data-show-results], [data-close-filters]")) {
      button.hidden = false;
    }
  }
  // While the drawer covers the page, what is behind it is out of reach (Tab stays in it).
  const behind = () =>
    [".skip", "header.site", ".searchbar", ".toolbar", "#results"].map((s) =>
      document.querySelector(s),
    );
  function openFilters() {
    for (const element of behind()) if (element) element.inert = true;
    filters.classList.add("open");
    toggle.setAttribute("aria-expanded", "true");
    document.body.classList.add("drawer-open");
    const heading = document.getElementById("filters-heading");
    heading.tabIndex = -1;
    heading.focus();
  }
  function closeFilters(focusOn) {
    if (!filters.classList.contains("open")) return;
    filters.classList.remove("open");
    for (const element of behind()) if (element) element.inert = false;
    toggle.setAttribute("aria-expanded", "false");
    document.body.classList.remove("drawer-open");
    if (focusOn) focusOn.focus();
  }
  if (toggle && filters) {
    toggle.hidden = false;
    revealDrawerButtons();
    toggle.addEventListener("click", () => {
      if (filters.classList.contains("open")) closeFilters(toggle);
      else openFilters();
    });
    form.addEventListener("click", (event) => {
      if (event.target.closest("[data-close-filters]")) closeFilters(toggle);
      if (event.target.closest("[data-show-results]")) {
        closeFilters(document.getElementById("results"));
        document.getElementById("results").scrollIntoView({ block: "start" });
      }
    });
    // The link to a control at fault, in the error above the results: in the drawer, it
    // opens the drawer first.
    form.addEventListener("click", (event) => {
      const link = event.target.closest("a.to-field");
      const control = link && document.getElementById(link.hash.slice(1));
      if (!control) return;
      event.preventDefault();
      if (narrow.matches && filters.contains(control)) openFilters();
      control.focus();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && filters.classList.contains("open")) closeFilters(toggle);
    });
    narrow.addEventListener("change", () => closeFilters(null));
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

  async function search(query, { push = true, focusResults = false, focusChip = -1 } = {}) {
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
    swap(html, focusResults, focusChip);
  }

  // An error beside the control at fault (aria-invalid, described by the message), as
  // the server renders it; cleared once the search can be run.
  function showFieldError(fresh) {
    const said = fresh.getElementById("field-error");
    const field = said ? said.dataset.field : "";
    for (const name of ERROR_FIELDS) {
      const control = document.getElementById(name);
      const message = document.getElementById(`${name}-error`);
      if (!control || !message) continue;
      const described = (control.getAttribute("aria-describedby") || "")
        .split(/\s+/)
        .filter((id) => id && id !== message.id);
      if (name === field) {
        message.textContent = said.dataset.message;
        message.hidden = false;
        control.setAttribute("aria-invalid", "true");
        described.push(message.id);
      } else {
        message.textContent = "";
        message.hidden = true;
        control.removeAttribute("aria-invalid");
      }
      if (described.length) control.setAttribute("aria-describedby", described.join(" "));
      else control.removeAttribute("aria-describedby");
    }
  }

  function swap(html, focusResults, focusChip = -1) {
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
    showFieldError(fresh);
    revealDrawerButtons();
    const feed = document.getElementById("feed-link");
    const freshFeed = fresh.getElementById("feed-link");
    if (feed && freshFeed) feed.href = freshFeed.getAttribute("href");
    else if (feed) feed.remove();
    else if (freshFeed) document.head.append(document.adoptNode(freshFeed));
    const badge = document.querySelectorAll("#results a.chip").length;
    if (toggle) {
      toggle.querySelector(".badge")?.remove();
      if (badge) {
        const count = document.createElement("span");
        count.className = "badge";
        count.innerHTML = `${badge}<span class="visually-hidden"> in use</span>`;
        toggle.append(" ", count);
      }
    }
    const heading = document.getElementById("results-heading");
    status.textContent = heading ? heading.textContent.replace(/\s+/g, " ").trim() : "";
    if (focusChip >= 0) {
      // A filter removed: the focus goes to the chip now in its place, or "clear all",
      // or, with no filter left, the results.
      const chips = [...document.querySelectorAll("#results a[data-chip]")];
      const next = chips[Math.min(focusChip, chips.length - 1)];
      (next || document.getElementById("results")).focus();
    } else if (focusResults) {
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
    if (link.matches("[data-chip]")) {
      const chips = [...document.querySelectorAll("#results a[data-chip]")];
      search(query, { focusChip: link.matches(".clear-all") ? 0 : chips.indexOf(link) });
    } else {
      search(query, { focusResults: true });
    }
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
