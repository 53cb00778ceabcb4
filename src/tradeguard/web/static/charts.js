// Draws every chart of a desk page from its Vega-Lite spec, which the server embeds as JSON
// (<script type="application/json">) beside an element marked data-vega-spec.
// Vega runs with its expression interpreter, so the page needs no eval: the
// Content-Security-Policy allows scripts from this server only.  Without scripts, the table of
// values under each chart still holds every number.
(function () {
  "use strict";

  var OPTIONS = {
    mode: "vega-lite",
    renderer: "svg",
    ast: true,
    expr: vega.expressionInterpreter,
    // Export as PNG or SVG; no "view source" or online editor (nothing leaves this server).
    actions: { export: true, source: false, compiled: false, editor: false },
    tooltip: { theme: "light" }
  };

  function draw(holder) {
    var source = document.getElementById(holder.getAttribute("data-vega-spec"));
    var spec = JSON.parse(source.textContent);
    var options = Object.assign({}, OPTIONS, {
      downloadFileName: holder.getAttribute("data-name") || "chart"
    });
    holder.setAttribute("aria-busy", "true");
    return vegaEmbed(holder, spec, options).then(function () {
      holder.removeAttribute("aria-busy");
      holder.setAttribute("data-rendered", "true");
    }).catch(function (error) {
      holder.removeAttribute("aria-busy");
      holder.setAttribute("data-rendered", "failed");
      holder.textContent = "This chart could not be drawn (" + error.message +
        "); the table below holds its values.";
      console.error(error);
    });
  }

  // When every chart is drawn (or has failed), the page says so on <html>, so a test or a
  // screenshot can wait for it with a selector (the CSP forbids evaluating strings).
  var holders = Array.prototype.slice.call(document.querySelectorAll("[data-vega-spec]"));
  Promise.all(holders.map(draw)).then(function () {
    document.documentElement.setAttribute("data-charts-drawn", "true");
  });
})();
