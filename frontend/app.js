// The page shell's behaviour: htmx for partial updates, Alpine.js (CSP build: no eval, no
// inline script) for small interactions, Bootstrap for menus and dialogs.
import htmx from "htmx.org";
import Alpine from "@alpinejs/csp";
import * as bootstrap from "bootstrap";

window.htmx = htmx;
window.bootstrap = bootstrap;
window.Alpine = Alpine;

// Copy a value (e.g. a new API token) to the clipboard: <button x-data="copy" data-copy="...">
Alpine.data("copy", () => ({
  copied: false,
  copy() {
    const text = this.$el.dataset.copy || "";
    const done = () => {
      this.copied = true;
      setTimeout(() => (this.copied = false), 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      done();
    }
  },
}));

// Send Django's CSRF token with every htmx request (read from the page, never inlined).
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

// Global search: Ctrl+K / Cmd+K focuses the search box from any page.
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
    const box = document.getElementById("global-search");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  }
});

// Elements with data-confirm ask before submitting (destructive actions).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Selects with data-autosubmit submit their form on change (language switch, page size).
document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches("[data-autosubmit]")) {
    event.target.form.requestSubmit ? event.target.form.requestSubmit() : event.target.form.submit();
  }
});

Alpine.start();
