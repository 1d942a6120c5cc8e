// Live progress of a project's run (templates/video_app/partials/progress.html).
// The server sends the whole stored state on connect and on every change, so a page that
// reconnects is never stale. If the socket cannot stay up, the status URL is polled instead.
// When a run ends the page reloads (or goes to `data-done-url`) to show what it produced.
(function () {
  "use strict";
  const panel = document.getElementById("progress-panel");
  if (!panel) return;
  const initial = JSON.parse(document.getElementById("progress-state").textContent);
  const busy = (state) => state.run_state === "queued" || state.run_state === "running";
  let lastRun = initial.run;
  let wasBusy = busy(initial);
  let retryDelayMs = 1000;
  let pollTimer = null;

  // The server's estimate (measured step times, services/progress.py), counted down here between
  // its messages while a worker is on the run (a queued run does not advance), and never below
  // `eta_floor_s`: the steps not begun yet cannot be over before they start.
  let etaS = null;
  let etaFloorS = 0;
  let etaAt = 0;
  let etaRunning = false;

  function clock(seconds) {
    if (seconds == null) return "";
    if (seconds <= 0) return "· almost done";
    const minutes = Math.floor(seconds / 60);
    const rest = String(seconds % 60).padStart(2, "0");
    return "· about " + (minutes ? minutes + " min " + rest + " s" : seconds + " s") + " left";
  }

  function show(state) {
    if (state.run !== lastRun) { lastRun = state.run; }
    panel.classList.toggle("d-none", state.run_state === "idle");
    const percent = Math.round(state.progress);
    const bar = document.getElementById("progress-bar");
    bar.style.width = percent + "%";
    bar.classList.toggle("bg-danger", state.run_state === "failed");
    bar.classList.toggle("bg-success", state.run_state === "succeeded");
    bar.classList.toggle("progress-bar-animated", busy(state));
    document.getElementById("progress-bar-outer").setAttribute("aria-valuenow", percent);
    document.getElementById("progress-percent").textContent = percent;
    etaS = state.eta_s;
    etaFloorS = state.eta_floor_s || 0;
    etaAt = Date.now();
    etaRunning = state.run_state === "running";
    showEta();
    document.getElementById("progress-message").textContent = state.message || "";
    document.getElementById("progress-title").textContent =
      state.run_state === "succeeded" ? "Done" :
      state.run_state === "failed" ? "Stopped" :
      state.run_state === "cancelled" ? "Cancelled" :
      state.run_state === "queued" ? "Waiting for a worker…" : "Working on your video";
    const steps = document.getElementById("progress-steps");
    steps.replaceChildren(...state.steps.map((step) => {
      const item = document.createElement("li");
      item.className = "list-inline-item progress-step progress-step-" + step.state;
      item.dataset.step = step.name;
      const mark = { done: "✓ ", running: "● ", failed: "✗ ", pending: "○ " }[step.state] || "";
      item.textContent = mark + step.label + (step.state === "running" ? " " + step.progress + "%" : "");
      return item;
    }));
    const error = document.getElementById("progress-error");
    error.textContent = state.error || "";
    error.classList.toggle("d-none", !state.error);
    // Cancel is offered while the run is busy; one click is enough (it stays pressed).
    const cancel = document.getElementById("progress-cancel");
    if (cancel) cancel.classList.toggle("d-none", !busy(state));
    const status = document.getElementById("project-status");
    if (status && state.status_label) status.textContent = state.status_label;

    if (wasBusy && !busy(state)) {
      // The run ended while this page watched: show its result.
      const doneUrl = panel.dataset.doneUrl;
      if (state.run_state === "succeeded" && doneUrl) window.location.assign(doneUrl);
      else window.location.reload();
    }
    wasBusy = busy(state);
  }

  function showEta() {
    const passedS = etaRunning ? (Date.now() - etaAt) / 1000 : 0;
    const left = etaS == null ? null : Math.round(Math.max(etaFloorS, etaS - passedS, 0));
    document.getElementById("progress-eta").textContent = clock(left);
  }
  setInterval(showEta, 1000);

  function poll() {
    fetch(panel.dataset.statusUrl, { headers: { Accept: "application/json" } })
      .then((response) => response.ok ? response.json() : null)
      .then((state) => { if (state) show(state); })
      .catch(() => {});
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + panel.dataset.socketPath);
    socket.addEventListener("open", () => {
      retryDelayMs = 1000;
      document.getElementById("progress-offline").classList.add("d-none");
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    });
    socket.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      if (data.type === "progress") show(data);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401 || event.code === 4403) return;  // not allowed: do not insist
      if (wasBusy) document.getElementById("progress-offline").classList.remove("d-none");
      if (!pollTimer) pollTimer = setInterval(poll, 3000);  // meanwhile, ask now and then
      setTimeout(connect, retryDelayMs);
      retryDelayMs = Math.min(retryDelayMs * 2, 30000);
    });
  }

  const cancelForm = document.getElementById("progress-cancel");
  if (cancelForm) cancelForm.addEventListener("submit", () => {
    cancelForm.querySelector("button").disabled = true;
  });

  show(initial);
  if ("WebSocket" in window) connect(); else pollTimer = setInterval(poll, 3000);
})();
