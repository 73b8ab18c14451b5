/* Progress of a background job (outbox/jobs.py).
 *
 * The server renders the panel ("Opening review: building the packet — step
 * 2 of 4"), so the page is right without JavaScript (a <noscript> refresh
 * reloads it every few seconds). This script polls the job's JSON
 * (data-job-poll, GET /api/jobs/{id}/) every 1.5 seconds and updates the
 * summary, which sits in an aria-live region, and the progress bar. When the
 * job is done it goes to the job's result; when it failed it reloads, so the
 * page shows the error and the button to try again.
 */
(function () {
  "use strict";

  var EVERY = 1500; // ms
  var GIVE_UP_AFTER = 10; // consecutive errors (signed out, server away)

  // Go to the result; a URL that differs from this page's only by its
  // fragment would not reload it, so reload then.
  function show(resultUrl) {
    var here = window.location;
    var target = new URL(resultUrl || here.href, here.href);
    if (target.pathname + target.search === here.pathname + here.search) {
      if (target.hash) here.hash = target.hash;
      here.reload();
    } else {
      here.replace(target.href);
    }
  }

  function watch(panel) {
    var url = panel.getAttribute("data-job-poll");
    var summary = panel.querySelector(".job-summary");
    var bar = panel.querySelector(".job-progress");
    var errors = 0;

    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (job) {
          errors = 0;
          if (summary && summary.textContent !== job.summary) summary.textContent = job.summary;
          if (bar) {
            bar.max = job.total;
            bar.value = job.done;
          }
          panel.setAttribute("data-job-state", job.state);
          if (job.state === "done") {
            show(job.result_url);
          } else if (job.state === "failed") {
            window.location.reload();
          } else {
            window.setTimeout(tick, EVERY);
          }
        })
        .catch(function () {
          errors += 1;
          if (errors < GIVE_UP_AFTER) window.setTimeout(tick, EVERY * 2);
        });
    }

    window.setTimeout(tick, EVERY);
  }

  document.querySelectorAll("[data-job-poll]").forEach(watch);
})();
