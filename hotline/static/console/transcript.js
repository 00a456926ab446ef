// Clicking (or pressing Enter on) a transcript word seeks its recording to the word's start.
(function () {
  "use strict";
  function seek(word) {
    const box = word.closest(".transcript");
    const audio = document.querySelector('audio[data-recording="' + box.dataset.for + '"]');
    if (!audio) return;
    audio.currentTime = Number(word.dataset.start);
    audio.play().catch(function () { /* autoplay refused: the position is still set */ });
  }
  document.addEventListener("click", function (ev) {
    const word = ev.target.closest(".transcript .word");
    if (word) seek(word);
  });
  document.addEventListener("keydown", function (ev) {
    const word = ev.target.closest && ev.target.closest(".transcript .word");
    if (word && ev.key === "Enter") seek(word);
  });
  // Highlight the word being played.
  document.querySelectorAll("audio[data-recording]").forEach(function (audio) {
    audio.addEventListener("timeupdate", function () {
      const box = document.querySelector('.transcript[data-for="' + audio.dataset.recording + '"]');
      if (!box) return;
      box.querySelectorAll(".word").forEach(function (w) {
        const on = audio.currentTime >= Number(w.dataset.start) && audio.currentTime < Number(w.dataset.end);
        w.classList.toggle("playing", on);
      });
    });
  });
})();
