/* The county console's charts: each drawn from the JSON the page carries (the same figures as
   the table beside it), with ECharts from the project's own static files. */
(function () {
  "use strict";
  var data = document.getElementById("console-charts");
  if (!data || !window.echarts) { return; }
  var charts = JSON.parse(data.textContent);
  window.consoleCharts = {};
  charts.forEach(function (spec) {
    var node = document.getElementById("chart-" + spec.id);
    if (!node) { return; }
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    var line = spec.kind === "line";
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 64 },
      xAxis: { type: "category", data: spec.categories, axisLabel: { rotate: spec.categories.length > 6 ? 30 : 0, interval: 0 } },
      yAxis: { type: "value" },
      series: spec.series.map(function (s) {
        return { name: s.name, type: line ? "line" : "bar", data: s.data, connectNulls: true, label: { show: !line && spec.categories.length <= 12, position: "top" } };
      })
    });
    window.consoleCharts[spec.id] = chart;
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
