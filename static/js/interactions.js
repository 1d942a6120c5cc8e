// The result page tells analytics when its video is first played (one beacon per page view).
// sendBeacon survives leaving the page; the CSRF token travels in the form data it posts.
(function () {
  "use strict";
  const video = document.getElementById("result-video");
  if (!video || !video.dataset.beaconUrl) return;

  function report(action) {
    const data = new FormData();
    data.append("action", action);
    data.append("platform", video.dataset.platform || "");
    data.append("csrfmiddlewaretoken", video.dataset.csrfToken);
    if (navigator.sendBeacon && navigator.sendBeacon(video.dataset.beaconUrl, data)) return;
    fetch(video.dataset.beaconUrl, {method: "POST", body: data, credentials: "same-origin",
                                    keepalive: true}).catch(() => {});
  }

  video.addEventListener("play", () => report("preview_played"), {once: true});
})();
