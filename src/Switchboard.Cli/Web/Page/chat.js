// Switchboard chat's page (docs/web.md). The server sends one JSON object per event (several
// that waited go in one message, as an array); the page
// sends each line as the line protocol reads it ("/nick ann", "hello"). After a drop it connects
// again, waiting longer each time, and takes back its name and room (waiting for it while the
// server still holds it for the connection that dropped). Its own talk is shown when the server
// sends it back, so a line the server refused is never shown as said.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const log = $('log');
  const state = {
    socket: null,
    nick: null, // the name the server gave us on this connection
    wanted: sessionStorage.getItem('switchboard.nick'), // the name to take (again, after a drop)
    room: sessionStorage.getItem('switchboard.room'), // the room to be in (again, after a drop)
    here: null, // the room we are in now
    members: [],
    attempt: 0,
    quit: false,
    roomsTimer: null,
    retaking: false, // the /nick in flight takes back a name held before (not one typed in the form)
    retakeUntil: 0, // until when a taken name is asked for again: the old connection may still be leaving
    retakeTimer: null,
  };

  // The server may hold the name of a dropped connection until it finds it gone (its close
  // deadline, or its pings unanswered, up to about a minute): the name is asked for again till then.
  const RETAKE_FOR_MS = 75000;
  const RETAKE_EVERY_MS = 2000;

  function status(text, down) {
    $('status').textContent = text;
    $('status').classList.toggle('down', Boolean(down));
  }

  function send(line) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(line);
      return true;
    }
    return false;
  }

  function connect() {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/chat';
    const socket = new WebSocket(url);
    state.socket = socket;
    state.nick = null;
    state.here = null;
    clearTimeout(state.retakeTimer);
    status('connecting…');
    socket.onopen = () => {
      status('connected');
      if (state.wanted) {
        state.retaking = true;
        state.retakeUntil = Date.now() + RETAKE_FOR_MS;
        send('/nick ' + state.wanted);
      }
    };
    socket.onmessage = (message) => {
      state.attempt = 0; // the server answers: whatever broke before is mended
      // One event, or several that waited for us, as an array.
      const data = JSON.parse(message.data);
      for (const event of Array.isArray(data) ? data : [data]) handle(event);
    };
    socket.onclose = (closed) => {
      if (state.socket !== socket) return;
      state.socket = null;
      clearInterval(state.roomsTimer);
      if (state.quit) {
        status('you left; reload the page to come back', true);
        return;
      }
      // Back off: about 1, 2, 4, 8 then 15 seconds between tries, with jitter so that a restarted
      // server is not met by every page at once.
      const delay = Math.min(15000, 1000 * 2 ** state.attempt) * (0.5 + Math.random() / 2);
      state.attempt += 1;
      const why = closed.reason ? ` (${closed.reason})` : '';
      status(`disconnected${why}; trying again in ${Math.ceil(delay / 1000)} s`, true);
      line({ style: 'error', kind: 'disconnected', line: `disconnected${why}; reconnecting`, time: new Date().toISOString() });
      setTimeout(connect, delay);
    };
  }

  function timeOf(iso) {
    const when = new Date(iso);
    const today = new Date();
    const hm = when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    return when.toDateString() === today.toDateString() ? hm : `${when.toLocaleDateString()} ${hm}`;
  }

  function span(className, text) {
    const element = document.createElement('span');
    element.className = className;
    element.textContent = text;
    return element;
  }

  // One line of the log: text only ever goes in as text, never as HTML.
  function line(event) {
    const item = document.createElement('li');
    item.className = `msg ${event.style}` + (event.history ? ' history' : '');
    item.dataset.kind = event.kind;
    const time = document.createElement('time');
    time.dateTime = event.time;
    time.textContent = timeOf(event.time);
    item.append(time);
    if (event.history) item.append(span('tag', 'earlier'));
    switch (event.kind) {
      case 'talk':
        if (event.nick === state.nick && !event.history) item.classList.add('mine');
        item.append(span('nick', event.nick), ' ', event.text);
        break;
      case 'action':
        item.append('* ', span('nick', event.nick), ' ', event.text);
        break;
      case 'private':
        item.append(span('tag', 'private'), 'from ', span('nick', event.nick), ': ', event.text);
        break;
      case 'privateSent':
        item.append(span('tag', 'private'), 'to ', span('nick', event.other), ': ', event.text);
        break;
      default:
        if (event.style === 'error') item.append(span('tag', 'error'));
        item.append(event.line);
    }
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(item);
    if (atEnd) log.scrollTop = log.scrollHeight;
  }

  function showMembers() {
    const list = $('members');
    list.replaceChildren(...state.members.map((nick) => {
      const item = document.createElement('li');
      item.textContent = nick;
      if (nick === state.nick) item.className = 'me';
      return item;
    }));
  }

  function showRooms(names, sizes) {
    const list = $('rooms');
    list.replaceChildren(...names.map((name, i) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.append(`#${name} `, span('size', String(sizes[i])));
      button.setAttribute('aria-label', `#${name}, ${sizes[i]} here`);
      button.setAttribute('aria-current', String(name.toLowerCase() === (state.here || '').toLowerCase()));
      button.addEventListener('click', () => send('/join ' + name));
      item.append(button);
      return item;
    }));
  }

  function enter(room) {
    state.here = room;
    state.room = room;
    sessionStorage.setItem('switchboard.room', room);
    $('room-title').textContent = '#' + room;
    state.members = [];
    showMembers();
    send('/who');
    send('/rooms');
  }

  function forget(nick) {
    state.members = state.members.filter((m) => m !== nick);
    showMembers();
  }

  function handle(event) {
    switch (event.kind) {
      case 'registered':
        state.retaking = false;
        clearTimeout(state.retakeTimer);
        state.nick = event.nick;
        state.wanted = event.nick;
        sessionStorage.setItem('switchboard.nick', event.nick);
        $('me').textContent = event.nick;
        $('name-form').hidden = true;
        $('chat').hidden = false;
        $('say').focus();
        line(event);
        // Back in the room we were in before a drop; otherwise the lobby the server put us in.
        if (state.room && state.room.toLowerCase() !== event.room.toLowerCase()) send('/join ' + state.room);
        else enter(event.room);
        clearInterval(state.roomsTimer);
        state.roomsTimer = setInterval(() => send('/rooms'), 10000);
        return;
      case 'nameTaken':
      case 'nameTooLike':
        if (!state.nick && event.kind === 'nameTaken' && state.retaking && Date.now() < state.retakeUntil) {
          // Ours, most likely, on the connection that dropped: asked for again until the server lets it go.
          $('name-error').textContent = `${event.line}: your earlier connection may still be leaving; trying again…`;
          $('name-form').hidden = false;
          $('chat').hidden = true;
          clearTimeout(state.retakeTimer);
          state.retakeTimer = setTimeout(() => send('/nick ' + state.wanted), RETAKE_EVERY_MS);
          return;
        }
        if (!state.nick) {
          state.retaking = false;
          state.wanted = null;
          sessionStorage.removeItem('switchboard.nick');
          $('name-error').textContent = event.line;
          $('name-form').hidden = false;
          $('chat').hidden = true;
          $('name').focus();
          return;
        }
        break;
      case 'joined':
        if (event.nick === state.nick) {
          line(event);
          enter(event.room);
          return;
        }
        if (event.room.toLowerCase() === (state.here || '').toLowerCase() && !state.members.includes(event.nick)) {
          state.members.push(event.nick);
          showMembers();
        }
        break;
      case 'left':
      case 'quit':
      case 'dropped':
      case 'tooSlow':
      case 'lost':
      case 'nodeStopped':
        forget(event.nick);
        break;
      case 'renamed':
        state.members = state.members.map((m) => (m === event.nick ? event.other : m));
        if (event.nick === state.nick) {
          state.nick = event.other;
          state.wanted = event.other;
          sessionStorage.setItem('switchboard.nick', event.other);
          $('me').textContent = event.other;
        }
        showMembers();
        break;
      case 'whoList':
        if (event.room.toLowerCase() === (state.here || '').toLowerCase()) {
          state.members = [...(event.names || [])];
          showMembers();
        }
        return; // the panel shows it
      case 'roomList':
        showRooms(event.names || [], event.sizes || []);
        return; // the panel shows it
      case 'history':
        // The page shows times in the reader's own zone, not UTC as the line protocol does.
        line({ ...event, style: 'notice divider', line: `the last ${event.count === 1 ? 'line' : `${event.count} lines`} of #${event.room}:` });
        return;
      default:
        break;
    }
    line(event);
  }

  $('name-form').addEventListener('submit', (submitted) => {
    submitted.preventDefault();
    state.retaking = false; // a name chosen now: not taken back
    clearTimeout(state.retakeTimer);
    state.wanted = $('name').value.trim();
    $('name-error').textContent = '';
    if (!send('/nick ' + state.wanted) && !state.socket) connect();
  });

  $('room-form').addEventListener('submit', (submitted) => {
    submitted.preventDefault();
    send('/join ' + $('new-room').value.trim());
    $('new-room').value = '';
  });

  $('say-form').addEventListener('submit', (submitted) => {
    submitted.preventDefault();
    const text = $('say').value;
    if (text.trim() === '') return;
    if (!send(text)) {
      line({ style: 'error', kind: 'notSent', line: 'not sent: not connected', time: new Date().toISOString() });
      return;
    }
    $('say').value = '';
    const command = text.trim().split(/\s+/, 1)[0].toLowerCase();
    if (command === '/quit') state.quit = true;
    // Talk is shown when the server sends it back: what it refuses (too long, too fast) is never shown as said.
  });

  if (state.wanted) $('name').value = state.wanted;
  connect();
})();
