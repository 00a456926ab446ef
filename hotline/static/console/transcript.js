// Clicking (or pressing Enter on) a transcript word seeks its recording to the word's start,
// and the word being played is highlighted. Listeners sit on the document (timeupdate caught on
// its way down), so recordings and transcripts that arrive by the live refresh work the same.
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
  document.addEventListener("timeupdate", function (ev) {
    const audio = ev.target;
    if (!audio.dataset || !audio.dataset.recording) return;
    const box = document.querySelector('.transcript[data-for="' + audio.dataset.recording + '"]');
    if (!box) return;
    box.querySelectorAll(".word").forEach(function (w) {
      const on = audio.currentTime >= Number(w.dataset.start) && audio.currentTime < Number(w.dataset.end);
      w.classList.toggle("playing", on);
    });
  }, true);
})();
