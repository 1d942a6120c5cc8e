// Dashboard cards: hovering (or focusing) a rendered video's thumbnail plays a few muted seconds
// of it in place. The clip is made once on the server and fetched only on the first hover.
(function () {
  "use strict";
  const motionOk = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  if (!motionOk) return;

  document.querySelectorAll("img[data-preview-src]").forEach((picture) => {
    const card = picture.closest(".card") || picture;
    let clip = null;

    function start() {
      if (!clip) {
        clip = document.createElement("video");
        clip.className = picture.className;
        clip.muted = true;
        clip.loop = true;
        clip.playsInline = true;
        clip.setAttribute("aria-hidden", "true");
        clip.poster = picture.currentSrc || picture.src;
        clip.src = picture.dataset.previewSrc;
        clip.addEventListener("error", () => { clip.replaceWith(picture); clip = null; });
      }
      if (picture.isConnected) picture.replaceWith(clip);
      clip.play().catch(() => {});
    }

    function stop() {
      if (clip && clip.isConnected) {
        clip.pause();
        clip.replaceWith(picture);
      }
    }

    card.addEventListener("mouseenter", start);
    card.addEventListener("mouseleave", stop);
    card.addEventListener("focusin", start);
    card.addEventListener("focusout", stop);
  });
})();
