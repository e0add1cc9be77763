// motcua kiosk and queue display: the on-screen number pad, going back to the start when
// left alone, printing a ticket, the clock, and the display's live board (server-sent
// events). Everything works without it except the pad, the clock and the live refresh.
(function () {
  'use strict';

  document.querySelectorAll('.keypad').forEach(function (pad) {
    var input = document.getElementById(pad.dataset.for);
    if (!input) return;
    pad.addEventListener('click', function (e) {
      var b = e.target.closest('button[data-key]');
      if (!b) return;
      var k = b.dataset.key;
      if (k === 'back') input.value = input.value.slice(0, -1);
      else if (k === 'clear') input.value = '';
      else if (input.maxLength < 0 || input.value.length < input.maxLength) input.value += k;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
  });

  // A kiosk is shared: untouched for a while, it ends any session opened on it and goes
  // back to its start page (the sign-out form answers with the start page).
  var idle = parseInt(document.body.dataset.idle || '0', 10);
  var home = document.body.dataset.home;
  if (idle > 0 && home) {
    var timer = null;
    var leave = function () {
      var out = document.getElementById('kiosk-idle');
      if (out) out.submit(); else window.location.href = home;
    };
    var reset = function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(leave, idle * 1000);
    };
    ['click', 'keydown', 'touchstart', 'input'].forEach(function (ev) { document.addEventListener(ev, reset, true); });
    reset();
  }

  // A sign-in with the phone: ask every 5 seconds; 204 is "not yet", anything else is shown.
  var poll = document.querySelector('[data-poll]');
  if (poll && window.fetch) {
    var ask = function () {
      fetch(poll.getAttribute('data-poll'), { credentials: 'same-origin' }).then(function (r) {
        if (r.status === 204) { setTimeout(ask, 5000); return; }
        window.location.href = r.redirected ? r.url : poll.getAttribute('data-poll');
      }).catch(function () { setTimeout(ask, 5000); });
    };
    setTimeout(ask, 5000);
  }

  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });

  var clock = document.getElementById('clock');
  if (clock) {
    var tick = function () {
      clock.textContent = new Date().toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Ho_Chi_Minh' });
    };
    tick();
    setInterval(tick, 10000);
  }

  var board = document.getElementById('board');
  if (!board || !window.EventSource) return;

  function item(tag, parts) {
    var li = document.createElement(tag);
    parts.forEach(function (p, i) {
      var el = document.createElement(p[0]);
      el.textContent = p[1];
      if (i > 0) li.appendChild(document.createTextNode(' '));
      li.appendChild(el);
    });
    return li;
  }

  function fill(id, rows) {
    var list = document.getElementById(id);
    if (!list) return;
    while (list.firstChild) list.removeChild(list.firstChild);
    rows.forEach(function (r) { list.appendChild(r); });
  }

  var lastCall = null;
  function render(b) {
    var latest = (b.called || [])[0];
    var number = document.getElementById('latest-number');
    var counter = document.getElementById('latest-counter');
    if (latest && number && counter) {
      number.textContent = latest.label;
      counter.textContent = (document.documentElement.lang === 'en' ? 'to ' : 'đến ') + latest.counter_name;
      var key = latest.label + '@' + latest.counter;
      if (lastCall !== null && key !== lastCall) {
        board.classList.remove('flash');
        void board.offsetWidth;
        board.classList.add('flash');
      }
      lastCall = key;
    }
    fill('counters', (b.counters || []).map(function (c) {
      return item('li', [['span', c.name], ['strong', c.serving || '—']]);
    }));
    fill('waiting', (b.services || []).map(function (s) {
      return item('li', [['span', s.letter + ' — ' + s.name], ['strong', String(s.waiting)]]);
    }));
    fill('calls', (b.called || []).map(function (c) {
      return item('li', [['strong', c.label], ['span', '→ ' + c.counter_name], ['time', c.at]]);
    }));
    board.dataset.updated = String(Date.now());
  }

  var source = new EventSource(board.dataset.events);
  source.addEventListener('board', function (ev) {
    try { render(JSON.parse(ev.data)); } catch (e) { /* a bad event changes nothing */ }
  });
  // A safety net for an event lost on the way (a proxy holding the stream back, a network
  // drop between reconnects): the board as it is, every 20 s and whenever the screen wakes.
  function resync() {
    if (!window.fetch || !board.dataset.board) return;
    fetch(board.dataset.board, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(render)
      .catch(function () {});
  }
  setInterval(resync, 20000);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) resync(); });
})();
