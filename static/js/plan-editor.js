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

  document.addEventListener("DOMContentLoaded", () => {
    const summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    markFields();
  });
})();
