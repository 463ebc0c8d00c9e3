/* The deck page in the browser: HTML text in, charts drawn as they scroll into view.
 *
 * The server sends the deck as one HTML string and its figures beside it
 * (dashboards/html_text.py), in the `deck-payload` store; Dash calls
 * `wbr.showDeck` whenever that store changes. It writes the HTML into the
 * `deck-host` div, which Dash leaves empty, and draws each chart with plotly.js
 * the first time it comes near the viewport. `window.wbrDeck.renders` counts
 * the draws of each chart of the deck shown, so a test can check none is drawn
 * twice; `window.wbrDeck.shown` is the key of that deck.
 *
 * plotly.js (the 1.2 MB basic bundle) is fetched at once, while Dash starts, from the app's own
 * route (dashboards/plotly_js.py), and run once the first cards are in.
 */
(function () {
  "use strict";

  var PLOTLY_SRC = "/_wbr/plotly-basic.min.js";  // dashboards/plotly_js.py
  var NEAR_VIEWPORT = "400px 0px";  // start drawing a little before a chart shows

  var state = {shown: null, renders: {}, figures: {}, observer: null, drawnAt: {}, scrolled: true};
  window.wbrDeck = state;

  var plotlyReady = null;
  function loadPlotly() {
    if (plotlyReady === null) {
      plotlyReady = window.Plotly ? Promise.resolve(window.Plotly) : new Promise(function (ok, fail) {
        var script = document.createElement("script");
        script.src = PLOTLY_SRC;
        script.onload = function () { ok(window.Plotly); };
        script.onerror = fail;
        document.head.appendChild(script);
      });
    }
    return plotlyReady;
  }
  // Fetch plotly.js now, beside Dash's start-up, but run it only once the first cards
  // and the pickers are on the page: compiling it holds the main thread for most of a
  // second on a first visit, and the reader can read the numbers meanwhile.
  var preload = document.createElement("link");
  preload.rel = "preload";
  preload.as = "script";
  preload.href = PLOTLY_SRC;
  document.head.appendChild(preload);

  function draw(chart) {
    var entry = state.figures[chart.dataset.figure];
    var target = chart.firstElementChild;
    if (!entry || !target || chart.dataset.drawn) { return; }
    chart.dataset.drawn = "pending";  // never twice, however often it comes into view
    var deck = state.shown;
    loadPlotly().then(function (Plotly) {
      if (state.shown !== deck || !target.isConnected) { return; }  // a newer deck came
      var figure = entry.figure || {};
      return Plotly.newPlot(target, figure.data || [], figure.layout || {}, entry.config || {})
        .then(function () {
          var id = chart.id;
          state.renders[id] = (state.renders[id] || 0) + 1;
          state.drawnAt[id] = performance.now();
          chart.dataset.drawn = "yes";
        });
    });
  }

  function clear(host) {
    if (state.observer) { state.observer.disconnect(); state.observer = null; }
    if (window.Plotly) {
      host.querySelectorAll(".js-plotly-plot").forEach(function (gd) { window.Plotly.purge(gd); });
    }
    host.innerHTML = "";
  }

  function showDeck(payload, hostId) {
    var host = document.getElementById(hostId);
    var key = payload ? payload.key : "";
    if (!host || key === state.shown) {
      return window.dash_clientside.no_update;  // already on the page: draw nothing again
    }
    clear(host);
    state.shown = key;
    state.renders = {};
    state.drawnAt = {};
    state.figures = (payload && payload.figures) || {};
    host.innerHTML = (payload && payload.html) || "";
    if (host.querySelector("[data-figure]")) {
      setTimeout(loadPlotly, 0);  // after this frame paints the cards
    }
    state.observer = new IntersectionObserver(function (entries, observer) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(entry.target);
        }
      });
    }, {rootMargin: NEAR_VIEWPORT});
    watch(host);
    state.scrolled = scrollToHash(host);
    // More cards to come: ask for them (dashboards/router.py) now that these show.
    return payload && payload.more ? key : window.dash_clientside.no_update;
  }

  function watch(root) {
    root.querySelectorAll("[data-figure]:not([data-watched])").forEach(function (chart) {
      chart.dataset.watched = "yes";
      // Hold the chart's place before it is drawn, so the page does not jump as charts
      // come in (set through the DOM, not a style attribute a CSP would have to allow).
      var entry = state.figures[chart.dataset.figure];
      var height = entry && entry.figure && entry.figure.layout && entry.figure.layout.height;
      if (height) { chart.style.minHeight = height + "px"; }
      state.observer.observe(chart);
    });
  }

  function scrollToHash(host) {
    // A link to a card (#card-revenue): its target exists only now that the HTML is in.
    if (location.hash.length < 2) { return true; }
    var anchor = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!anchor || !host.contains(anchor)) { return false; }
    anchor.scrollIntoView();
    return true;
  }

  function appendCards(later) {
    if (!later || later.key !== state.shown || !state.observer) {
      return window.dash_clientside.no_update;  // cards of a deck no longer shown
    }
    Object.assign(state.figures, later.figures || {});
    later.parts.forEach(function (part) {
      var section = document.getElementById(part[0]);
      if (section) {
        section.insertAdjacentHTML("beforeend", part[1]);
        watch(section);
      }
    });
    var host = document.getElementById("deck-host");  // ids.DECK_HOST
    if (!state.scrolled && host) { state.scrolled = scrollToHash(host); }
    return later.key;
  }

  // Printing: draw every chart not drawn yet, so the paper has them all (each once).
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("[data-figure]:not([data-drawn])").forEach(draw);
  });

  // "Explain" and "Edit note" are plain buttons in the HTML: tell Dash's editor which note.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-note-target]");
    if (!button || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
    window.dash_clientside.set_props("note-editor-request", {
      data: {target: button.dataset.noteTarget, at: Date.now()},
    });
  });

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.wbr = {showDeck: showDeck, appendCards: appendCards};
})();
