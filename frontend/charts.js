// Apache ECharts, tree-shaken to the charts Huike uses, bundled locally.
// A chart is declared in HTML, never with inline script:
//   <div class="hk-chart" data-chart-options="chart-1"></div>
//   <script type="application/json" id="chart-1">{ ...ECharts option... }</script>
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart, ScatterChart, FunnelChart, HeatmapChart } from "echarts/charts";
import {
  GridComponent,
  TooltipComponent,
  LegendComponent,
  TitleComponent,
  DatasetComponent,
  DataZoomComponent,
  VisualMapComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart, LineChart, PieChart, ScatterChart, FunnelChart, HeatmapChart,
  GridComponent, TooltipComponent, LegendComponent, TitleComponent, DatasetComponent,
  DataZoomComponent, VisualMapComponent, CanvasRenderer,
]);

function renderCharts(root) {
  root.querySelectorAll("[data-chart-options]").forEach((element) => {
    if (element.dataset.chartReady) return;
    const source = document.getElementById(element.dataset.chartOptions);
    if (!source) return;
    const locale = document.documentElement.lang.startsWith("zh") ? "ZH" : "EN";
    const chart = echarts.init(element, null, { renderer: "canvas", locale });
    chart.setOption(JSON.parse(source.textContent));
    element.dataset.chartReady = "1";
    window.addEventListener("resize", () => chart.resize());
  });
}

window.echarts = echarts;
document.addEventListener("DOMContentLoaded", () => renderCharts(document));
document.addEventListener("htmx:afterSettle", (event) => renderCharts(event.target));
