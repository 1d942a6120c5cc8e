// The staff analytics page: draws the figures its tables hold, from the JSON the page embeds
// (#analytics-data), with the vendored Chart.js. Without scripts the tables say it all.
(function () {
  "use strict";
  const source = document.getElementById("analytics-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const colours = {done: "#2e7d32", failed: "#c62828", median: "#1565c0", p95: "#90caf9",
                   funnel: "#6a1b9a"};

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  draw("chart-days", {
    type: "bar",
    data: {
      labels: data.days.labels,
      datasets: [
        {label: "Completed", data: data.days.completed, backgroundColor: colours.done},
        {label: "Failed", data: data.days.failed, backgroundColor: colours.failed},
      ],
    },
    options: {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true,
                                               ticks: {precision: 0}}}},
  });

  draw("chart-failures", {
    type: "bar",
    data: {
      labels: data.steps.labels,
      datasets: [{label: "Failure rate (%)", data: data.steps.failure_percent,
                  backgroundColor: colours.failed}],
    },
    options: {scales: {y: {beginAtZero: true, suggestedMax: 10}}},
  });

  draw("chart-times", {
    type: "bar",
    data: {
      labels: data.steps.labels,
      datasets: [
        {label: "Median (s)", data: data.steps.median_s, backgroundColor: colours.median},
        {label: "95th percentile (s)", data: data.steps.p95_s, backgroundColor: colours.p95},
      ],
    },
    options: {scales: {y: {beginAtZero: true}}},
  });

  draw("chart-funnel", {
    type: "bar",
    data: {
      labels: data.funnel.labels,
      datasets: [{label: "Projects", data: data.funnel.projects,
                  backgroundColor: colours.funnel}],
    },
    options: {indexAxis: "y", scales: {x: {beginAtZero: true, ticks: {precision: 0}}}},
  });
})();
