// The console's pages work without this script; with it, the live parts stay live
// without reloading: the stack's clock in the header, a provisioning cycle's
// progress, the login trace, and a CSV file read into the rollout's list.
'use strict';

const getJson = async (url) => {
  const answer = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  return answer.ok ? answer.json() : undefined;
};

function liveClock() {
  const words = document.querySelector('[data-clock]');
  const link = document.getElementById('stack-clock');
  if (!words || !link) return;
  setInterval(async () => {
    const state = await getJson('/clock.json').catch(() => undefined);
    if (!state) return;
    words.textContent = state.words;
    link.classList.toggle('moved', state.moved);
  }, 3000);
}

function liveProgress() {
  const section = document.querySelector('[data-progress]');
  if (!section) return;
  const bar = section.querySelector('progress');
  const status = section.querySelector('#cycle-status');
  const done = section.querySelector('.when-done');
  const tick = async () => {
    const progress = await getJson(section.dataset.progress).catch(() => undefined);
    if (progress) {
      bar.max = Math.max(progress.total, 1);
      bar.value = progress.done;
      bar.textContent = `${progress.done} of ${progress.total}`;
      status.textContent = progress.words;
      status.dataset.status = progress.status;
    }
    if (!progress || progress.status === 'running') setTimeout(tick, 250);
    else done.hidden = false;
  };
  if (status.dataset.status === 'running') tick();
}

function liveLogins() {
  const list = document.getElementById('logins');
  if (!list) return;
  let version = list.dataset.version;
  setInterval(async () => {
    const url = new URL(list.dataset.live, location.href);
    url.searchParams.set('after', version);
    const answer = await getJson(url).catch(() => undefined);
    if (!answer) return;
    version = String(answer.version);
    // Oldest first, each put on top: the newest ends first.
    for (const item of [...answer.items].reverse()) {
      const template = document.createElement('template');
      template.innerHTML = item.html;
      const fresh = template.content.firstElementChild;
      const old = list.querySelector(`[data-trace="${CSS.escape(item.id)}"]`);
      if (old) {
        // Keep open what the reader opened.
        if (old.querySelector('details')?.open) fresh.querySelector('details').open = true;
        old.replaceWith(fresh);
      } else list.prepend(fresh);
    }
    if (answer.items.length) document.getElementById('no-logins')?.remove();
  }, 1000);
}

/** Parts of a page that take longer to work out (the bill after a pending cycle) are filled in once it is shown. */
function fillLater() {
  for (const slot of document.querySelectorAll('[data-fill]')) {
    slot.textContent = 'Working it out…';
    getJson(slot.dataset.fill)
      .then((answer) => {
        const template = document.createElement('template');
        template.innerHTML = answer ? answer.html : '<p>It could not be worked out: reload the page.</p>';
        slot.replaceWith(template.content);
      })
      .catch(() => undefined);
  }
}

function csvFiles() {
  for (const input of document.querySelectorAll('input[type=file][data-into]')) {
    input.addEventListener('change', async () => {
      const file = input.files[0];
      const target = document.getElementById(input.dataset.into);
      if (!file || !target) return;
      const text = await file.text();
      target.value = target.value.trim() ? `${target.value.trim()}\n${text}` : text;
      target.focus();
    });
  }
}

liveClock();
liveProgress();
liveLogins();
csvFiles();
fillLater();
