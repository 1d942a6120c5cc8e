// Live notices for a signed-in user: a WebSocket to /ws/notifications/ that reconnects by itself
// (with growing pauses) and shows each notice as a Bootstrap toast. The page works without it.
(function () {
  "use strict";
  const path = document.body.dataset.notificationsUrl;
  if (!path || !("WebSocket" in window)) return;

  const container = document.getElementById("notices");
  let retryDelayMs = 1000;

  function showNotice(notice) {
    const toast = document.createElement("div");
    toast.className = "toast align-items-center border-0 text-bg-" + (notice.level || "info");
    toast.setAttribute("role", "status");
    const body = document.createElement("div");
    body.className = "d-flex";
    const text = document.createElement("div");
    text.className = "toast-body";
    text.textContent = notice.text;  // textContent: a notice is never parsed as HTML
    if (notice.url && notice.url.startsWith("/")) {
      const link = document.createElement("a");
      link.href = notice.url;
      link.className = "ms-2 link-light";
      link.textContent = "Open";
      text.appendChild(link);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.setAttribute("data-bs-dismiss", "toast");
    close.setAttribute("aria-label", "Close");
    body.append(text, close);
    toast.appendChild(body);
    container.appendChild(toast);
    toast.addEventListener("hidden.bs.toast", () => toast.remove());
    new bootstrap.Toast(toast, { delay: 8000 }).show();
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + path);
    socket.addEventListener("open", () => { retryDelayMs = 1000; });
    socket.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      if (data.type === "notice") showNotice(data);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) return;  // not signed in any more: do not insist
      setTimeout(connect, retryDelayMs);
      retryDelayMs = Math.min(retryDelayMs * 2, 30000);
    });
  }

  connect();
})();
