// The kiosk page: hold to talk (microphone audio streamed to the server's
// recogniser), big text, big buttons, replies played aloud; the user can
// interrupt a reply by pressing the button again (barge-in). See PROTOCOL.md.
"use strict";
(() => {
  const TEXTS = {
    zh: {
      title: "政务服务助手", size: "字号", smaller: "字变小", bigger: "字变大", connecting: "正在连接…",
      ready: "请按住绿色按钮说话", heard_label: "我听到的", reply_label: "回答",
      welcome: "您好！请按住绿色按钮说话，或者点下面的按钮。", talk: "按住说话", talk_listening: "正在听，说完松开",
      type_label: "也可以打字", send: "发送", repeat: "再说一遍", slower: "说慢点", person: "找工作人员",
      other_language: "English", controls: "常用", listening: "我在听，请慢慢说…", thinking: "请稍等…",
      reconnecting: "连接断了，正在重新连接，请稍等…", say_again: "连接断了一下，请再说一遍。",
      not_sent: "还没连上，您的话没有丢，连上后请再点发送。", no_microphone: "无法使用话筒。请打字，或者点按钮。",
      speech_unavailable: "现在不能朗读，请看屏幕上的文字。", you_chose: "您选了：",
    },
    en: {
      title: "Public services assistant", size: "Text size", smaller: "Smaller text", bigger: "Bigger text",
      connecting: "Connecting…", ready: "Hold the green button and speak", heard_label: "What I heard",
      reply_label: "Answer", welcome: "Hello! Hold the green button and speak, or press a button below.",
      talk: "Hold to talk", talk_listening: "Listening — let go when done", type_label: "Or type here",
      send: "Send", repeat: "Say again", slower: "Slower", person: "Talk to a person", other_language: "中文",
      controls: "Always here", listening: "I'm listening, take your time…", thinking: "One moment…",
      reconnecting: "The connection dropped; reconnecting, please wait…",
      say_again: "The connection dropped for a moment; please say that again.",
      not_sent: "Not connected yet. Your words are kept; press Send again once connected.",
      no_microphone: "The microphone can't be used. Please type, or press a button.",
      speech_unavailable: "Reading aloud is not available now; please read the screen.", you_chose: "You chose: ",
    },
  };
  const MIN_SIZE = 24, MAX_SIZE = 36, SIZE_STEP = 4, TARGET_RATE = 16000;
  const $ = (id) => document.getElementById(id);

  const state = {
    language: localStorage.getItem("kiosk-language") || "zh",
    session: localStorage.getItem("kiosk-session") || "",
    size: Number(localStorage.getItem("kiosk-text-size")) || 28,
    socket: null, connected: false, retry: 500,
    voice: true, listening: false, turn: 0, mutedTurn: -1, queue: [], playing: false,
    played: 0, audioMessages: 0, sentChunks: 0, heard: "", lastReply: "", problems: [],
    microphone: null,
  };
  window.kiosk = state;  // for diagnostics and the page's browser tests

  const t = (key) => (TEXTS[state.language] || TEXTS.zh)[key] || key;

  function applyLanguage() {
    document.documentElement.lang = state.language === "en" ? "en" : "zh-Hans";
    document.querySelectorAll("[data-t]").forEach((element) => { element.textContent = t(element.dataset.t); });
    document.querySelectorAll("[data-t-label]").forEach((element) => {
      element.setAttribute("aria-label", t(element.dataset.tLabel));
    });
    $("language").lang = state.language === "en" ? "zh-Hans" : "en";
    document.title = t("title");
    if (state.listening) $("talk").textContent = t("talk_listening");
  }

  function applySize() {
    state.size = Math.min(MAX_SIZE, Math.max(MIN_SIZE, state.size));
    document.documentElement.style.setProperty("--text", `${state.size}px`);
    localStorage.setItem("kiosk-text-size", String(state.size));
    $("smaller").disabled = state.size <= MIN_SIZE;
    $("bigger").disabled = state.size >= MAX_SIZE;
  }

  function status(key, text) { $("status").textContent = text || t(key); }

  // -- the connection ------------------------------------------------------------------------

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = new URLSearchParams({ session: state.session, lang: state.language });
    const socket = new WebSocket(`${scheme}//${location.host}/kiosk/ws?${query}`);
    socket.binaryType = "arraybuffer";
    state.socket = socket;
    socket.onopen = () => { state.connected = true; state.retry = 500; };
    socket.onmessage = (event) => {
      try { handle(JSON.parse(event.data)); } catch (error) { console.error("kiosk message", error); }
    };
    socket.onclose = () => {
      const wasListening = state.listening;
      state.connected = false;
      stopCapture();
      status("reconnecting");
      if (wasListening) showProblem(t("say_again"));
      setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 8000);
    };
  }

  function send(message) {
    if (!state.connected || state.socket.readyState !== WebSocket.OPEN) return false;
    state.socket.send(JSON.stringify(message));
    return true;
  }

  // -- what the server says ------------------------------------------------------------------

  function handle(message) {
    switch (message.type) {
      case "hello":
        state.session = message.session;
        localStorage.setItem("kiosk-session", message.session);
        setLanguage(message.language);
        state.voice = Boolean(message.voice);
        $("talk").hidden = !state.voice;
        $("voice-note").hidden = state.voice;
        $("voice-note").textContent = message.voice_message || "";
        status(state.voice ? "ready" : null, state.voice ? null : message.voice_message);
        break;
      case "listening": status("listening"); break;
      case "partial": showHeard(message.text, true); break;
      case "stopped":
        stopCapture();
        status("thinking");
        break;
      case "heard": showHeard(message.text, false); break;
      case "reply": showReply(message); break;
      case "audio": enqueueAudio(message); break;
      case "problem":
        state.turn = Math.max(state.turn, message.turn);
        state.problems.push(message.code);
        stopCapture();
        showProblem(message.text);
        status("ready");
        break;
      case "operator": showOperator(message.text); break;
      case "speech_unavailable": status("speech_unavailable"); break;
      default: break;
    }
  }

  function setLanguage(language) {
    if (language !== "zh" && language !== "en") return;
    state.language = language;
    localStorage.setItem("kiosk-language", language);
    applyLanguage();
  }

  function showHeard(text, partial) {
    state.heard = text;
    $("heard").textContent = text;
    $("heard").classList.toggle("partial", partial);
  }

  function paragraph(text, className) {
    const element = document.createElement("p");
    element.textContent = text;
    if (className) element.className = className;
    return element;
  }

  function showReply(message) {
    state.turn = message.turn;
    stopAudio();
    if (message.language) setLanguage(message.language);
    const reply = $("reply"), choices = $("choices");
    reply.replaceChildren(...message.messages.filter((m) => m.text).map((m) => paragraph(m.text)));
    state.lastReply = message.messages.map((m) => m.text).join("\n");
    const buttons = message.messages.flatMap((m) => m.buttons || []);
    choices.replaceChildren(...buttons.map((button) => {
      const element = document.createElement("button");
      element.type = "button";
      element.textContent = button.title;
      element.addEventListener("click", () => choose(button));
      return element;
    }));
    status("ready");
  }

  function showProblem(text) {
    const reply = $("reply");
    reply.querySelectorAll(".problem").forEach((element) => element.remove());
    reply.prepend(paragraph(text, "problem"));
  }

  function showOperator(text) { $("reply").append(paragraph(text, "operator")); }

  // -- speaking --------------------------------------------------------------------------------

  const player = $("player");
  player.addEventListener("playing", () => { state.played += 1; });
  player.addEventListener("ended", playNext);
  player.addEventListener("error", playNext);

  function enqueueAudio(message) {
    state.audioMessages += 1;
    if (message.turn <= state.mutedTurn || message.turn < state.turn) return;
    if (message.turn > state.turn) { stopAudio(); state.turn = message.turn; }
    state.queue.push(message.url);
    if (!state.playing) playNext();
  }

  function playNext() {
    const next = state.queue.shift();
    state.playing = Boolean(next);
    if (!next) return;
    player.src = next;
    player.play().catch(() => { state.playing = false; });
  }

  function stopAudio() {
    state.queue = [];
    state.playing = false;
    player.pause();
    player.removeAttribute("src");
  }

  // -- listening ---------------------------------------------------------------------------

  async function microphone() {
    if (state.microphone) return state.microphone;
    const stream = await navigator.mediaDevices.getUserMedia(
      { audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
    const context = new AudioContext();
    const source = context.createMediaStreamSource(stream);
    const processor = context.createScriptProcessor(4096, 1, 1);
    const mute = context.createGain();
    mute.gain.value = 0;
    processor.onaudioprocess = (event) => {
      if (state.listening) sendAudio(event.inputBuffer.getChannelData(0), context.sampleRate);
    };
    source.connect(processor);
    processor.connect(mute);
    mute.connect(context.destination);
    state.microphone = { stream, context };
    return state.microphone;
  }

  function sendAudio(samples, rate) {
    const ratio = rate / TARGET_RATE;
    const length = Math.floor(samples.length / ratio);
    const pcm = new Int16Array(length);
    for (let i = 0; i < length; i += 1) {
      const start = Math.floor(i * ratio), end = Math.max(start + 1, Math.floor((i + 1) * ratio));
      let sum = 0;
      for (let j = start; j < end; j += 1) sum += samples[j];
      const value = Math.max(-1, Math.min(1, sum / (end - start)));
      pcm[i] = value < 0 ? value * 0x8000 : value * 0x7fff;
    }
    if (state.connected && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(pcm.buffer);
      state.sentChunks += 1;
    }
  }

  async function startTalking() {
    if (state.listening || !state.voice) return;
    stopAudio();  // barge-in: the user speaks over the reply
    state.mutedTurn = state.turn;
    send({ type: "barge_in" });
    try {
      const { context } = await microphone();
      if (context.state === "suspended") await context.resume();
    } catch (error) {
      console.error("microphone", error);
      $("talk").hidden = true;
      $("voice-note").hidden = false;
      $("voice-note").textContent = t("no_microphone");
      return;
    }
    if (!send({ type: "start", format: "pcm16", sample_rate: TARGET_RATE, channels: 1 })) {
      status("reconnecting");
      return;
    }
    state.listening = true;
    $("talk").classList.add("listening");
    $("talk").textContent = t("talk_listening");
    showHeard("", true);
  }

  function stopCapture() {
    state.listening = false;
    $("talk").classList.remove("listening");
    $("talk").textContent = t("talk");
  }

  function stopTalking() {
    if (!state.listening) return;
    stopCapture();
    send({ type: "stop" });
    status("thinking");
  }

  // -- touch, keys and typing ------------------------------------------------------------------

  function choose(button) {
    stopAudio();
    if (send({ type: "button", payload: button.payload, title: button.title })) {
      showHeard(t("you_chose") + button.title, false);
      status("thinking");
    } else {
      status("reconnecting");
    }
  }

  const talk = $("talk");
  talk.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    if (talk.setPointerCapture && event.pointerId !== undefined) {
      try { talk.setPointerCapture(event.pointerId); } catch (error) { /* not capturable */ }
    }
    startTalking();
  });
  ["pointerup", "pointercancel"].forEach((name) => talk.addEventListener(name, stopTalking));
  talk.addEventListener("contextmenu", (event) => event.preventDefault());
  talk.addEventListener("keydown", (event) => {
    if ((event.key === " " || event.key === "Enter") && !event.repeat) { event.preventDefault(); startTalking(); }
  });
  talk.addEventListener("keyup", (event) => {
    if (event.key === " " || event.key === "Enter") { event.preventDefault(); stopTalking(); }
  });

  document.querySelectorAll("[data-control]").forEach((button) => {
    button.addEventListener("click", () => {
      stopAudio();
      if (!send({ type: "control", name: button.dataset.control })) status("reconnecting");
      else status("thinking");
    });
  });

  $("typed").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text"), text = input.value.trim();
    if (!text) return;
    stopAudio();
    if (send({ type: "text", text })) {
      input.value = "";  // cleared only once sent: nothing typed is lost
      showHeard(text, false);
      status("thinking");
    } else {
      status("not_sent");
    }
  });

  $("smaller").addEventListener("click", () => { state.size -= SIZE_STEP; applySize(); });
  $("bigger").addEventListener("click", () => { state.size += SIZE_STEP; applySize(); });

  applyLanguage();
  applySize();
  connect();
})();
