// The operator console: follows training and evaluation while they run, then reloads the page.
"use strict";
(() => {
  const training = document.querySelector("[data-poll]");
  if (training) {
    const progress = document.getElementById("training-progress");
    const state = document.getElementById("training-state");
    const poll = async () => {
      try {
        const response = await fetch(training.dataset.poll, { credentials: "same-origin" });
        const status = await response.json();
        if (progress) { progress.value = status.progress; progress.textContent = `${Math.round(status.progress * 100)}%`; }
        if (state) state.textContent = `${status.state}: ${status.stage}`;
        if (status.state !== "running") { window.location.reload(); return; }
      } catch (error) { /* the server may be busy; try again */ }
      setTimeout(poll, 3000);
    };
    setTimeout(poll, 3000);
  }
  const waiting = document.querySelector("[data-poll-reload]");
  if (waiting) setTimeout(() => window.location.reload(), Number(waiting.dataset.pollReload) * 1000);
})();
