/* Live SLA countdowns.
 *
 * The server renders each countdown's text ("3h 05m left", "over by 12m") and
 * colour, so the page is right without JavaScript. This script keeps them
 * right while the page stays open: every 30 seconds it recomputes every
 * element with a data-due attribute (ISO 8601) and, when it has one, a
 * data-risk attribute (the moment the target becomes "at risk"). The format
 * matches incidents.views.span_text.
 */
(function () {
  "use strict";

  var CLASSES = ["countdown-ok", "countdown-warn", "countdown-bad"];

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days) return days + "d " + hours + "h";
    if (hours) return hours + "h " + (mins < 10 ? "0" : "") + mins + "m";
    return mins ? mins + "m" : "<1m";
  }

  function update(el, now) {
    var due = Date.parse(el.getAttribute("data-due"));
    if (isNaN(due)) return;
    var riskAttr = el.getAttribute("data-risk");
    var risk = riskAttr ? Date.parse(riskAttr) : NaN;
    var left = due - now;
    var css, text;
    if (left < 0) {
      css = "countdown-bad";
      text = "over by " + span(left);
    } else {
      css = !isNaN(risk) && risk <= now ? "countdown-warn" : "countdown-ok";
      text = span(left) + " left";
    }
    if (el.textContent !== text) el.textContent = text;
    CLASSES.forEach(function (c) { el.classList.toggle(c, c === css); });
  }

  function tick() {
    var now = Date.now();
    var els = document.querySelectorAll("[data-due]");
    for (var i = 0; i < els.length; i++) update(els[i], now);
  }

  function start() {
    tick();
    window.setInterval(tick, 30000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
