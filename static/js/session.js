// The idle logoff, seen from the browser: a warning before it ("Stay signed in" renews the
// session), and at the deadline the page reloads, which lands on the login page. Unsaved
// editor input is kept for that one trip (static/js/plan-editor.js); this file also throws
// such drafts away wherever they are not needed, so a patient's plan does not outlive it.
(() => {
  "use strict";

  const DRAFT_PREFIX = "plan-draft:";
  const WARN_SECONDS = 120;

  function drafts() {
    const keys = [];
    for (let i = 0; i < window.sessionStorage.length; i += 1) {
      const key = window.sessionStorage.key(i);
      if (key && key.startsWith(DRAFT_PREFIX)) keys.push(key);
    }
    return keys;
  }

  function discardDrafts(keep) {
    for (const key of drafts()) if (key !== keep) window.sessionStorage.removeItem(key);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const body = document.body;
    // Drafts wait only on the way back in (login, second step). On any other signed-in
    // page only the draft of the editor being shown, for this user, may stay.
    if (body.dataset.user && !("signingIn" in body.dataset)) {
      const editor = document.getElementById("plan-editor");
      discardDrafts(editor ? DRAFT_PREFIX + editor.dataset.draftKey : null);
    }
    // Signing out on purpose ends every draft at once.
    for (const logout of document.querySelectorAll("form.logout")) {
      logout.addEventListener("submit", () => discardDrafts(null));
    }
    if (!body.dataset.user || !body.dataset.secondsLeft) return;

    const total = Number(body.dataset.idleSeconds);
    const warning = document.getElementById("idle-warning");
    const minutes = warning && warning.querySelector("[data-idle-minutes]");
    const stay = warning && warning.querySelector("[data-stay-signed-in]");
    let deadline = 0;
    let timer = null;
    let focusBefore = null;

    function schedule(secondsLeft) {
      deadline = Date.now() + secondsLeft * 1000;
      hideWarning();
      tick();
    }

    function hideWarning() {
      if (!warning || warning.hidden) return;
      warning.hidden = true;
      if (focusBefore && document.contains(focusBefore)) focusBefore.focus();
      focusBefore = null;
    }

    function tick() {
      window.clearTimeout(timer);
      const left = (deadline - Date.now()) / 1000;
      const lead = Math.min(WARN_SECONDS, total / 2);
      if (left <= 0) {
        // The server has ended the session: reloading shows the login page, which brings
        // the user back here afterwards.
        document.dispatchEvent(new CustomEvent("session:ending"));
        window.location.assign(window.location.href);
        return;
      }
      if (left <= lead && warning) {
        const shown = Math.max(1, Math.round(left / 60));
        minutes.textContent =
          left >= 60 ? `${shown} minute${shown === 1 ? "" : "s"}` : `${Math.ceil(left)} seconds`;
        if (warning.hidden) {
          focusBefore = document.activeElement;
          warning.hidden = false;
          stay.focus();
        }
      }
      timer = window.setTimeout(tick, Math.min(1000, Math.max(50, (left - lead) * 1000)));
    }

    if (stay) {
      stay.addEventListener("click", async () => {
        const headers = JSON.parse(body.dataset.hxHeaders || "{}");
        const response = await fetch(body.dataset.renewUrl, {
          method: "POST",
          headers,
          credentials: "same-origin",
          redirect: "manual",
        });
        const left = Number(response.headers.get("X-Session-Seconds-Left"));
        if (response.status === 204 && left > 0) schedule(left);
        else schedule(0);
      });
    }

    // Every htmx request renews the session on the server; its answer says for how long.
    document.addEventListener("htmx:afterRequest", (event) => {
      const xhr = event.detail.xhr;
      const left = xhr && Number(xhr.getResponseHeader("X-Session-Seconds-Left"));
      if (left > 0) schedule(left);
    });

    schedule(Number(body.dataset.secondsLeft));
  });
})();
