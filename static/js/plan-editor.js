// The plan editor's keyboard and screen-reader behaviour. Without JavaScript the form still
// works: Enter and the Recalculate button submit it and the page comes back recalculated.
(() => {
  "use strict";

  const form = () => document.getElementById("plan-form");

  // Enter in a one-line field recalculates through htmx (the results panel listens for
  // "editor-recalculate"), so the page does not reload and focus stays where it was.
  document.addEventListener("keydown", (event) => {
    const field = event.target;
    if (event.key !== "Enter" || !field.form || field.form !== form()) return;
    if (field.tagName === "TEXTAREA" || field.tagName === "BUTTON") return;
    if (field.type === "submit" || field.type === "button") return;
    event.preventDefault();
    field.form.dispatchEvent(new CustomEvent("editor-recalculate", { bubbles: true }));
  });

  // A field whose error slot holds a message is marked invalid and described by it, as a
  // failed save marks it; a slot refreshed empty clears the mark.
  function markFields() {
    const editor = form();
    if (!editor) return;
    for (const slot of editor.querySelectorAll(".field-error-slot[id^='err-']")) {
      const field = editor.elements.namedItem(slot.id.slice(4));
      if (!field || !field.id) continue;
      const message = slot.querySelector("[id$='_error']");
      const wrapper = field.closest(".field");
      if (message) {
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", message.id);
      } else {
        field.removeAttribute("aria-invalid");
        const describedBy = (field.getAttribute("aria-describedby") || "")
          .split(" ")
          .filter((id) => id && !id.endsWith("_error"))
          .join(" ");
        if (describedBy) field.setAttribute("aria-describedby", describedBy);
        else field.removeAttribute("aria-describedby");
      }
      if (wrapper) {
        const anyError = [...wrapper.querySelectorAll(".field-error-slot")].some((s) =>
          s.querySelector("[id$='_error']"),
        );
        wrapper.classList.toggle("has-error", anyError);
      }
    }
  }

  function firstField(course) {
    return course && course.querySelector("select, input:not([type=hidden]), textarea");
  }

  // After Add, the new course's first field; after Remove, the course that took its place
  // (or the Add button when the last one went). Without this, focus falls to <body>.
  function placeFocus(button) {
    const value = (button && button.value) || "";
    const courses = document.querySelectorAll("#courses fieldset.course");
    let target = null;
    if (value === "add_course") {
      target = firstField(courses[courses.length - 1]);
    } else if (value.startsWith("remove_course:")) {
      const index = Number.parseInt(value.split(":")[1], 10);
      target = firstField(courses[index]) || document.getElementById("add-course");
    }
    if (target) target.focus();
  }

  document.addEventListener("htmx:afterSettle", (event) => {
    markFields();
    if (event.detail.target && event.detail.target.id === "courses") {
      placeFocus(event.detail.requestConfig && event.detail.requestConfig.elt);
    }
  });
  document.addEventListener("htmx:oobAfterSwap", markFields);
  // htmx does not settle a response swapped with "none"; its out-of-band parts still land.
  document.addEventListener("htmx:afterRequest", () => window.setTimeout(markFields, 0));

  // Never lose work: what is typed is kept in this tab's sessionStorage (not localStorage:
  // it ends with the tab), keyed by user and plan, so that after an idle logoff and signing
  // in again the editor comes back as it was. static/js/session.js throws drafts away on
  // logout, on any page other than this editor, and for any other user.
  const DRAFT_PREFIX = "plan-draft:";
  const RESTORED = "plan-draft-restored";
  const DRAFT_MAX_AGE_MS = 60 * 60 * 1000;
  const MAX_RESTORE_TRIES = 3;

  function draftKey() {
    const editor = document.getElementById("plan-editor");
    return editor ? DRAFT_PREFIX + editor.dataset.draftKey : null;
  }

  // Until this page has decided whether to restore a draft, its form is not the user's
  // work: saving it (the idle deadline can fire as the page loads) would overwrite the
  // draft it is about to restore.
  let ready = false;

  function saveDraft() {
    const key = draftKey();
    if (!ready || !key || !form()) return;
    const fields = [...new FormData(form())].filter(([name]) => name !== "csrfmiddlewaretoken");
    window.sessionStorage.setItem(key, JSON.stringify({ at: Date.now(), fields }));
  }

  function restoreDraft() {
    const key = draftKey();
    // A page answering a POST already shows what was sent; only a fresh page is restored.
    if (!key || "bound" in document.getElementById("plan-editor").dataset) return false;
    // The draft stays stored until the restored page has loaded: another navigation (the
    // idle reload) can cut the restoring POST short, and the next page tries again.
    const stored = window.sessionStorage.getItem(key);
    if (!stored) return false;
    const draft = JSON.parse(stored);
    if (Date.now() - draft.at > DRAFT_MAX_AGE_MS) {
      window.sessionStorage.removeItem(key);
      return false;
    }
    // The server lays the rows out again from the draft, as for a plain Recalculate.
    const restore = document.createElement("form");
    restore.method = "post";
    restore.setAttribute("action", form().getAttribute("action"));
    restore.hidden = true;
    const token = form().elements.namedItem("csrfmiddlewaretoken").value;
    const entries = [...draft.fields.filter(([name]) => name !== "action"), ["action", "recalculate"]];
    for (const [name, value] of [...entries, ["csrfmiddlewaretoken", token]]) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      restore.append(input);
    }
    document.body.append(restore);
    const tries = Number(window.sessionStorage.getItem(RESTORED) || 0) + 1;
    window.sessionStorage.setItem(RESTORED, String(tries));
    restore.submit();
    return true;
  }

  document.addEventListener("input", (event) => {
    if (event.target.form && event.target.form === form()) saveDraft();
  });
  document.addEventListener("change", (event) => {
    if (event.target.form && event.target.form === form()) saveDraft();
  });
  document.addEventListener("htmx:afterSettle", saveDraft);
  document.addEventListener("session:ending", saveDraft);
  document.addEventListener("submit", (event) => {
    // Saving ends the draft: the plan page that follows throws it away, and a refused save
    // comes back with the input on the page.
    if (event.target === form()) saveDraft();
  });

  document.addEventListener("DOMContentLoaded", () => {
    if (!form()) return;
    const bound = "bound" in document.getElementById("plan-editor").dataset;
    const tries = Number(window.sessionStorage.getItem(RESTORED) || 0);
    if (tries && bound) {
      // The restoring POST landed: this page shows the draft.
      window.sessionStorage.removeItem(RESTORED);
      const notice = document.getElementById("draft-restored");
      if (notice) notice.hidden = false;
    } else if (tries >= MAX_RESTORE_TRIES) {
      // Never a reload loop: after that many cut-short restores, give up on this draft.
      window.sessionStorage.removeItem(RESTORED);
      const key = draftKey();
      if (key) window.sessionStorage.removeItem(key);
    } else if (restoreDraft()) {
      return;
    }
    ready = true;
    const summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    markFields();
  });
})();
