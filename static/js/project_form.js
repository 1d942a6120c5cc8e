// New-project form: play a short sample of the chosen voice.
(function () {
  "use strict";
  const button = document.getElementById("voice-preview-button");
  const select = document.getElementById("id_voice_id");
  const player = document.getElementById("voice-preview");
  if (!button || !select || !player) return;
  button.addEventListener("click", () => {
    const language = document.getElementById("id_language");
    player.src = button.dataset.sampleUrl + "?voice=" + encodeURIComponent(select.value) +
      "&language=" + encodeURIComponent(language ? language.value : "en");
    player.play().catch(() => {});
  });
})();
