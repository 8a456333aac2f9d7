// dynsim report: the step-through viewer. Reads the compact trace from
// #viewer-data and shows the run at one record: node states, messages in
// flight, membership views that differ from the truth, a key's replicas.
// Everything from the trace is written with textContent, never as HTML.
(function () {
  "use strict";
  var dataEl = document.getElementById("viewer-data");
  var root = document.getElementById("viewer-root");
  if (!dataEl || !root) return;
  var D = JSON.parse(dataEl.textContent);

  // The packed part (viewer/pack.rs): base64 of one zlib stream holding
  // ten sections, each a varint byte length then its bytes: eight varint
  // columns, then the sentences and the sibling-set notes as JSON.
  function inflate(base64) {
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (buffer) { return new Uint8Array(buffer); });
  }
  function unpack(bytes) {
    var at = 0;
    function varint() {
      var v = 0, scale = 1, b;
      do { b = bytes[at++]; v += (b & 127) * scale; scale *= 128; } while (b >= 128);
      return v;
    }
    function column(Type, zigzag) {
      var out = new Type(D.records), end = varint();
      end += at;
      for (var i = 0; i < D.records; i++) {
        var v = varint();
        out[i] = zigzag ? (v % 2 ? -(v + 1) / 2 : v / 2) : v;
      }
      at = end;
      return out;
    }
    function json() {
      var length = varint(), text = new TextDecoder().decode(bytes.subarray(at, at + length));
      at += length;
      return JSON.parse(text);
    }
    D.dt = column(Float64Array, false);
    ["kind", "a", "b", "x", "y", "key", "fate"].forEach(function (name) { D[name] = column(Int32Array, true); });
    D.sentences = json();
    D.stored = json();
  }
  inflate(D.packed).then(function (bytes) {
    delete D.packed;
    unpack(bytes);
    start();
  }).catch(function (e) {
    root.setAttribute("data-ready", "error");
    document.getElementById("v-event").textContent = "This browser could not unpack the viewer's data (it needs DecompressionStream): " + e;
  });

  function start() {
  var n = D.records;
  var SVG = "http://www.w3.org/2000/svg";
  var $ = function (id) { return document.getElementById(id); };

  // Absolute times, and the kinds the viewer treats specially.
  var T = new Float64Array(n);
  var acc = 0;
  for (var i = 0; i < n; i++) { acc += D.dt[i]; T[i] = acc; }
  var kindId = function (name) { return D.kinds.indexOf(name); };
  var SEND = kindId("send"), STORED = kindId("stored");
  var FAULTS = ["crash", "restart", "pause", "resume", "partition", "heal", "join", "leave", "left", "loss", "latency", "skew"]
    .map(kindId).filter(function (k) { return k >= 0; });
  var faults = [];
  for (i = 0; i < n; i++) if (FAULTS.indexOf(D.kind[i]) >= 0) faults.push(i);

  // Messages in flight: the sends open before every K-th record, so a
  // seek looks at one checkpoint and at most K records after it.
  var K = 256;
  var closes = new Int32Array(n).fill(-1);
  for (i = 0; i < n; i++) {
    if (D.kind[i] === SEND && D.fate[i] !== 0) closes[i + Math.abs(D.fate[i])] = i;
  }
  var checkpoints = [];
  var open = new Set();
  for (i = 0; i < n; i++) {
    if (i % K === 0) checkpoints.push(Array.from(open));
    if (D.kind[i] === SEND) open.add(i);
    if (closes[i] >= 0) open.delete(closes[i]);
  }
  function arrival(s) { return D.fate[s] === 0 ? Infinity : s + Math.abs(D.fate[s]); }
  function inFlight(at) {
    var c = Math.floor(at / K);
    var out = checkpoints[c].filter(function (s) { return arrival(s) > at; });
    for (var j = c * K; j <= at; j++) {
      if (D.kind[j] === SEND && arrival(j) > at) out.push(j);
    }
    return out;
  }

  // The last entry of a list sorted by record whose record is <= at.
  function lastAtOrBefore(list, at, get) {
    var lo = 0, hi = list.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (get(list[mid]) <= at) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }
  var first = function (e) { return e[0]; };

  // Sibling-set notes by key, as positions into D.stored.
  var storedByKey = new Map();
  D.stored.forEach(function (s, p) {
    var k = D.key[s[0]];
    if (!storedByKey.has(k)) storedByKey.set(k, []);
    storedByKey.get(k).push(p);
  });

  // Geometry: nodes evenly round the circle, clients outside their node.
  var nodes = D.node_count;
  // Nodes shrink as they grow in number, so neighbours never overlap.
  var R = 250, NODE_R = Math.max(12, Math.min(36, (Math.PI * R / Math.max(nodes, 1)) * 0.7));
  var pos = [];
  for (i = 0; i < nodes; i++) {
    var a = (i / Math.max(nodes, 1)) * 2 * Math.PI;
    pos.push([R * Math.sin(a), -R * Math.cos(a)]);
  }
  var besideCount = {};
  for (i = nodes; i < D.endpoints.length; i++) {
    var b = D.beside[i];
    if (b < 0) { pos.push(null); continue; }
    var k = besideCount[b] = (besideCount[b] || 0) + 1;
    // Never straight out from the node, where its state label goes.
    var ang = (b / Math.max(nodes, 1)) * 2 * Math.PI + (k % 2 ? 1 : -1) * (0.06 + Math.ceil(k / 2) * 0.12);
    var far = R + NODE_R + 62;
    pos.push([far * Math.sin(ang), -far * Math.cos(ang)]);
  }
  var nodeColours = ["#1f5fbf", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#be185d", "#4d7c0f", "#4338ca"];
  function colour(i) {
    return i < nodeColours.length ? nodeColours[i] : "hsl(" + ((i * 137.508) % 360).toFixed(0) + ",70%,38%)";
  }
  var SIDES = ["", "A", "B", "C", "D", "E", "F", "G", "H"];
  var SIDE_COLOURS = ["none", "#f59e0b", "#06b6d4", "#a3e635", "#f472b6", "#e5e7eb", "#fb7185", "#93c5fd", "#fde047"];

  function el(name, attrs, text) {
    var e = document.createElementNS(SVG, name);
    for (var key in attrs) e.setAttribute(key, attrs[key]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  var ring = $("v-ring");
  ring.appendChild(el("circle", { cx: 0, cy: 0, r: R, "class": "track" }));
  var defs = el("defs", {});
  ["deliver", "drop"].forEach(function (fate) {
    var m = el("marker", { id: "head-" + fate, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" });
    m.appendChild(el("path", { d: "M0,0 L10,5 L0,10 z", "class": "head " + fate }));
    defs.appendChild(m);
  });
  ring.appendChild(defs);
  var clientLayer = el("g", {});
  ring.appendChild(clientLayer);
  // Each client a box beside its node, named beside it; past 16 clients
  // the names would overlap, so each node's clients share one label
  // ("3 clients") and each box names its client on hover.
  var CLIENT = 40, manyClients = D.endpoints.length - nodes > 16;
  // A label beside a point on the outer ring, on its outer side: to the
  // right of it on the right half, to the left on the left, above or
  // below at the top and the bottom.
  function outerLabel(p, gap, text) {
    var out = Math.sqrt(p[0] * p[0] + p[1] * p[1]) || 1, ux = p[0] / out, uy = p[1] / out;
    var anchor = ux > 0.5 ? "start" : ux < -0.5 ? "end" : "middle";
    var x = p[0] + (anchor === "middle" ? 0 : ux > 0 ? gap : -gap);
    var y = p[1] + 7 + (anchor === "middle" ? (uy > 0 ? gap + 12 : -gap - 6) : 0);
    return el("text", { x: x.toFixed(1), y: y.toFixed(1), "class": "clientname", "text-anchor": anchor }, text);
  }
  for (i = nodes; i < D.endpoints.length; i++) {
    if (!pos[i]) continue;
    var box = el("rect", { x: (pos[i][0] - CLIENT / 2).toFixed(1), y: (pos[i][1] - CLIENT / 2).toFixed(1), width: CLIENT, height: CLIENT, rx: 6, "class": "client", "data-client": D.endpoints[i] });
    box.appendChild(el("title", {}, D.endpoints[i]));
    clientLayer.appendChild(box);
    if (!manyClients) clientLayer.appendChild(outerLabel(pos[i], CLIENT / 2 + 6, D.endpoints[i]));
  }
  if (manyClients) {
    for (var node in besideCount) {
      // Beside the node's first client, as its name would be: off the
      // line straight out from the node, where its state label goes.
      var count = besideCount[node], ang = (Number(node) / Math.max(nodes, 1)) * 2 * Math.PI + 0.18;
      var firstClient = [(R + NODE_R + 62) * Math.sin(ang), -(R + NODE_R + 62) * Math.cos(ang)];
      var countLabel = outerLabel(firstClient, CLIENT / 2 + 6, count + (count === 1 ? " client" : " clients"));
      countLabel.setAttribute("class", "clientname count");
      clientLayer.appendChild(countLabel);
    }
  }
  var arrows = el("g", {});
  ring.appendChild(arrows);
  var nodeEls = [];
  for (i = 0; i < nodes; i++) {
    var g = el("g", { "class": "node", "data-node": D.endpoints[i], transform: "translate(" + pos[i][0].toFixed(1) + "," + pos[i][1].toFixed(1) + ")" });
    g.appendChild(el("circle", { r: NODE_R + 9, "class": "side" }));
    g.appendChild(el("circle", { r: NODE_R, "class": "body", fill: colour(i) }));
    g.appendChild(el("text", { y: (NODE_R * 0.25).toFixed(1), "class": "name", "font-size": (NODE_R * 0.72).toFixed(1) }, D.endpoints[i]));
    // The state and side labels sit outside the circle, away from the centre.
    var ux = pos[i][0] / R, uy = pos[i][1] / R;
    var anchor = ux > 0.3 ? "start" : ux < -0.3 ? "end" : "middle";
    g.appendChild(el("text", { x: (ux * (NODE_R + 14)).toFixed(1), y: (uy * (NODE_R + 14) + 8 + (anchor === "middle" ? uy * 10 : 0)).toFixed(1), "class": "state", "text-anchor": anchor }, ""));
    g.appendChild(el("text", { x: (NODE_R * 0.75).toFixed(1), y: (-NODE_R * 0.75).toFixed(1), "class": "badge" }, ""));
    ring.appendChild(g);
    nodeEls.push(g);
  }
  // In the top left corner, where no arrow passes.
  var inflightText = el("text", { x: -455, y: -382, "class": "inflight", "text-anchor": "start" }, "");
  ring.appendChild(inflightText);

  // The controls.
  var slider = $("v-slider");
  slider.max = String(Math.max(n - 1, 0));
  var keyBox = $("v-key");
  D.key_choices.forEach(function (k) {
    var o = document.createElement("option");
    o.value = String(k);
    o.textContent = D.keys[k];
    keyBox.appendChild(o);
  });
  if (D.key_choices.length === 0) {
    var none = document.createElement("option");
    none.textContent = "(no sibling-set notes in this trace)";
    keyBox.appendChild(none);
    keyBox.disabled = true;
  }

  var current = 0;
  function name(e) { return e >= 0 ? D.endpoints[e] : ""; }
  function label(l) { return l >= 0 ? D.labels[l] : ""; }
  // Simulated time as `dynsim explain` writes it (explain::time): 101.0ms
  // below a second, 2.001s above, so the page and the terminal agree.
  function ms(t) {
    if (t === 0) return "0s";
    const tenths = Math.floor((t + 50000) / 100000);
    if (tenths < 10000) return Math.floor(tenths / 10) + "." + (tenths % 10) + "ms";
    const millis = Math.floor((t + 500000) / 1e6);
    const secs = Math.floor(millis / 1000), frac = millis % 1000;
    if (frac === 0) return secs + "s";
    return secs + "." + String(frac).padStart(3, "0").replace(/0+$/, "") + "s";
  }

  function describe(j) {
    var parts = ["#" + (j + 1), D.kinds[D.kind[j]]];
    var a = name(D.a[j]), b = name(D.b[j]);
    if (a && b) parts.push(a + " \u2192 " + b); else if (a) parts.push(a); else if (b) parts.push(b);
    if (D.x[j] >= 0) parts.push(label(D.x[j]));
    if (D.key[j] >= 0) parts.push("key " + D.keys[D.key[j]]);
    if (D.y[j] >= 0) parts.push("(" + label(D.y[j]) + ")");
    if (D.kind[j] === SEND && D.fate[j] !== 0) {
      parts.push(D.fate[j] > 0 ? "\u2014 arrives at " + ms(T[arrival(j)]) : "\u2014 will be dropped");
    }
    return parts.join(" ");
  }

  function renderNodes(at) {
    var snap = D.life[Math.max(lastAtOrBefore(D.life, at, first), 0)];
    var list = $("v-states");
    list.textContent = "";
    for (var i = 0; i < nodes; i++) {
      var state = D.state_names[snap[1][i]];
      var side = snap[2][i] < SIDES.length ? SIDES[snap[2][i]] : String(snap[2][i]);
      var g = nodeEls[i];
      g.setAttribute("data-node-state", state);
      g.setAttribute("data-side", side);
      g.setAttribute("class", "node " + state);
      g.childNodes[0].setAttribute("stroke", SIDE_COLOURS[snap[2][i]] || "#999");
      g.childNodes[3].textContent = state === "up" ? "" : state;
      g.childNodes[4].textContent = side;
      if (state !== "up" || side) {
        var li = document.createElement("li");
        li.textContent = D.endpoints[i] + ": " + state + (side ? ", partition side " + side : "");
        list.appendChild(li);
      }
    }
    if (!list.firstChild) {
      var ok = document.createElement("li");
      ok.textContent = "every node up, no partition";
      list.appendChild(ok);
    }
  }

  var MAX_ARROWS = 60;
  function renderMessages(at) {
    arrows.textContent = "";
    var flying = inFlight(at);
    var drawn = 0;
    for (var f = flying.length - 1; f >= 0 && drawn < MAX_ARROWS; f--) {
      var s = flying[f], p = pos[D.a[s]], q = pos[D.b[s]];
      if (!p || !q) continue;
      var dx = q[0] - p[0], dy = q[1] - p[1], len = Math.sqrt(dx * dx + dy * dy) || 1;
      var r0 = D.a[s] < nodes ? NODE_R + 4 : CLIENT / 2 + 4, r1 = D.b[s] < nodes ? NODE_R + 4 : CLIENT / 2 + 4;
      var x1 = p[0] + dx * r0 / len, y1 = p[1] + dy * r0 / len;
      var x2 = q[0] - dx * r1 / len, y2 = q[1] - dy * r1 / len;
      var fate = D.fate[s] < 0 ? "drop" : "deliver";
      var line = el("line", { x1: x1.toFixed(1), y1: y1.toFixed(1), x2: x2.toFixed(1), y2: y2.toFixed(1), "class": "msg " + fate, "marker-end": "url(#head-" + fate + ")" });
      line.appendChild(el("title", {}, describe(s)));
      arrows.appendChild(line);
      var end = arrival(s);
      var span = (end === Infinity ? D.end_ns : T[end]) - T[s];
      var frac = span > 0 ? Math.min(Math.max((T[at] - T[s]) / span, 0), 1) : 0;
      arrows.appendChild(el("circle", { cx: (x1 + (x2 - x1) * frac).toFixed(1), cy: (y1 + (y2 - y1) * frac).toFixed(1), r: 7, "class": "dot " + fate }));
      if (flying.length <= 8) {
        arrows.appendChild(el("text", { x: ((x1 + x2) / 2).toFixed(1), y: ((y1 + y2) / 2 - 8).toFixed(1), "class": "msglabel" }, label(D.x[s])));
      }
      drawn++;
    }
    inflightText.textContent = flying.length === 0 ? "no message in flight" : flying.length + " in flight" + (flying.length > drawn ? " (" + drawn + " drawn)" : "");
    root.setAttribute("data-in-flight", String(flying.length));
  }

  function renderViews(at) {
    var snap = D.views[Math.max(lastAtOrBefore(D.views, at, first), 0)];
    var list = $("v-views");
    list.textContent = "";
    snap[1].forEach(function (d) {
      var li = document.createElement("li");
      li.textContent = d[1];
      list.appendChild(li);
    });
    if (snap[2] > 0) {
      var more = document.createElement("li");
      more.textContent = "and " + snap[2] + " more";
      list.appendChild(more);
    }
    if (!list.firstChild) {
      var li = document.createElement("li");
      li.textContent = "every view agrees with the truth";
      list.appendChild(li);
    }
  }

  function renderSiblings(at) {
    var table = $("v-siblings");
    table.textContent = "";
    var key = Number(keyBox.value);
    var list = storedByKey.get(key) || [];
    var p = lastAtOrBefore(list, at, function (q) { return D.stored[q][0]; });
    var seen = {}, rows = [];
    for (var steps = 0; p >= 0 && steps < 5000 && rows.length < nodes; p--, steps++) {
      var s = D.stored[list[p]], node = D.a[s[0]];
      if (seen[node]) continue;
      seen[node] = true;
      rows.push([node, s]);
    }
    // A wiped disk or a hint handed back empties a copy after its last note.
    rows = rows.filter(function (r) {
      return !D.erased.some(function (e) {
        return e[1] === r[0] && (e[2] === -1 || e[2] === key) && e[0] > r[1][0] && e[0] <= at;
      });
    });
    rows.sort(function (x, y) { return x[0] - y[0]; });
    var head = table.insertRow();
    ["replica", "siblings", "clocks", "since"].forEach(function (h) {
      var th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    });
    rows.forEach(function (r) {
      var tr = table.insertRow();
      tr.setAttribute("data-replica", name(r[0]));
      if (r[0] < nodes) nodeEls[r[0]].classList.add("holds");
      tr.insertCell().textContent = name(r[0]);
      tr.insertCell().textContent = (r[1][1].join(", ") || "(none)") + (r[1][3] > 0 ? " and " + r[1][3] + " more" : "");
      tr.insertCell().textContent = r[1][2].join(" ");
      tr.insertCell().textContent = ms(T[r[1][0]]) + (D.y[r[1][0]] >= 0 ? ": " + label(D.y[r[1][0]]) : "");
      if (r[1][1].length > 1 || r[1][3] > 0) tr.className = "conflict";
    });
    if (rows.length === 0) {
      table.insertRow().insertCell().textContent = D.key_choices.length ? "no replica holds it yet" : "this trace has no sibling-set notes";
    }
  }

  function render() {
    var at = current;
    slider.value = String(at);
    root.setAttribute("data-index", String(at));
    root.setAttribute("data-time", String(T[at]));
    $("v-time").textContent = "t=" + ms(T[at]);
    $("v-count").textContent = "event " + (at + 1) + " of " + n;
    $("v-event").textContent = describe(at);
    var si = lastAtOrBefore(D.sentences, at, first);
    $("v-sentence").textContent = si >= 0 ? D.sentences[si][1] : "";
    renderNodes(at);
    renderMessages(at);
    renderViews(at);
    renderSiblings(at);
  }

  // What a step stops at: every event, the story a class follows, or the
  // records of the chosen key.
  var STORY = ["invoke", "complete", "coordinate", "quorum", "stand-in", "hint-kept", "hint-delivered",
    "read-repair", "suspect", "member", "view", "stored"].map(kindId).concat(FAULTS).filter(function (k) { return k >= 0; });
  var filterBox = $("v-filter");
  function stopsAt(j) {
    if (filterBox.value === "story") return STORY.indexOf(D.kind[j]) >= 0;
    if (filterBox.value === "key") return D.key[j] === Number(keyBox.value);
    return true;
  }
  function step(direction, times) {
    var j = current;
    for (var done = 0; done < times; done++) {
      var next = j + direction;
      while (next >= 0 && next < n && !stopsAt(next)) next += direction;
      if (next < 0 || next >= n) break;
      j = next;
    }
    seek(j);
  }

  function seek(i) {
    current = Math.min(Math.max(i, 0), n - 1);
    render();
  }
  var timer = null;
  function play(on) {
    if (timer) { clearInterval(timer); timer = null; }
    if (on) {
      timer = setInterval(function () {
        if (current >= n - 1) { play(false); return; }
        var before = current;
        step(1, Number($("v-speed").value));
        if (current === before) play(false);
      }, 100);
    }
    $("v-play").textContent = timer ? "\u23F8 pause" : "\u25B6 play";
    root.setAttribute("data-playing", timer ? "1" : "0");
  }
  function fault(direction) {
    var f = direction > 0
      ? faults.find(function (j) { return j > current; })
      : faults.slice().reverse().find(function (j) { return j < current; });
    if (f !== undefined) seek(f);
  }

  if (n === 0) {
    $("v-event").textContent = "The trace holds no event.";
    return;
  }
  slider.addEventListener("input", function () { seek(Number(slider.value)); });
  $("v-start").addEventListener("click", function () { seek(0); });
  $("v-end").addEventListener("click", function () { seek(n - 1); });
  $("v-back").addEventListener("click", function () { step(-1, 1); });
  $("v-fwd").addEventListener("click", function () { step(1, 1); });
  $("v-play").addEventListener("click", function () { play(!timer); });
  $("v-prev-fault").addEventListener("click", function () { fault(-1); });
  $("v-next-fault").addEventListener("click", function () { fault(1); });
  keyBox.addEventListener("change", render);
  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.tagName === "SELECT") return;
    if (e.key === "ArrowRight") { e.preventDefault(); step(1, 1); }
    else if (e.key === "ArrowLeft") { e.preventDefault(); step(-1, 1); }
    else if (e.key === " ") { e.preventDefault(); play(!timer); }
  });
  // A focused button would take space as a click too.
  document.addEventListener("keyup", function (e) { if (e.key === " ") e.preventDefault(); });
  // Start at the first fault, where a lesson usually begins.
  seek(faults.length ? faults[0] : 0);
  root.setAttribute("data-ready", "1");
}
})();
