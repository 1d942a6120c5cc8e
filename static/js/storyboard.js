// Storyboard: a scene's words are saved in place when the box loses focus (the form still works
// without JavaScript), and "Split" splits where the cursor was, if it was inside the words.
(function () {
  "use strict";
  const csrf = (form) => form.querySelector("[name=csrfmiddlewaretoken]").value;

  document.querySelectorAll("form.scene-edit").forEach((form) => {
    const state = form.querySelector(".scene-save-state");
    let saved = new FormData(form).get("text") + "\u0000" + new FormData(form).get("visual_direction");
    form.addEventListener("focusout", () => {
      const data = new FormData(form);
      const now = data.get("text") + "\u0000" + data.get("visual_direction");
      if (now === saved) return;
      state.textContent = "Saving…";
      fetch(form.action, { method: "POST", body: data,
                           headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrf(form) } })
        .then((response) => response.json().then((body) => ({ ok: response.ok, body })))
        .then(({ ok, body }) => {
          if (!ok) { state.textContent = body.error || "Not saved."; state.className = "small scene-save-state text-danger"; return; }
          saved = now;
          state.textContent = "Saved";
          state.className = "small scene-save-state text-success";
          const keywords = form.closest(".card-body").querySelector(".scene-keywords");
          keywords.replaceChildren(...body.keywords.map((keyword) => {
            const badge = document.createElement("span");
            badge.className = "badge text-bg-light border me-1";
            badge.textContent = keyword;
            return badge;
          }));
        })
        .catch(() => { state.textContent = "Not saved: connection lost."; });
    });
  });

  document.querySelectorAll("form.scene-split").forEach((form) => {
    form.addEventListener("submit", () => {
      const text = form.closest(".scene-card").querySelector("textarea[name=text]");
      const at = text.selectionStart;
      if (at > 0 && at < text.value.length) form.querySelector("[name=at]").value = at;
    });
  });
})();
