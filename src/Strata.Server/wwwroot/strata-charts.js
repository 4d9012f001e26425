// Draws the UI's metric charts with plotly.js as soon as the page is parsed, without a Blazor circuit: the server
// embeds each chart's lines (read and cut down with LTTB) in the page. The controls redraw in place: log scale from
// the lines at hand, another x axis or smoothing from GET /ui/metric-series, which reads them again on the server.
// Loaded with `defer` after plotly.js, so both have run when this runs and the DOM is complete.
(() => {
    'use strict';
    const plotly = window.Plotly;
    const config = { responsive: true, displaylogo: false };
    const seriesUrl = new URL('ui/metric-series', document.baseURI);

    function traces(data, names) {
        return data.lines.map((line, i) => ({
            type: 'scatter',
            name: names[i],
            mode: line.x.length === 1 ? 'markers' : 'lines',
            x: line.x,
            y: line.y,
        }));
    }

    function layout(card, data, logScale) {
        return {
            height: Number(card.dataset.height) || 320,
            margin: { l: 56, r: 16, t: 16, b: 40 },
            showlegend: data.lines.length > 1,
            hovermode: 'closest',
            xaxis: { title: { text: data.title } },
            yaxis: { type: logScale ? 'log' : 'linear' },
        };
    }

    function setup(card) {
        const plot = card.querySelector('.plot');
        const embedded = card.querySelector('script.chart-data');
        const error = card.querySelector('.chart-error');
        const note = card.querySelector('.points');
        const xAxis = card.querySelector('select.x-axis');
        const logScale = card.querySelector('input.log-scale');
        const smoothing = card.querySelector('input.smoothing');
        if (!plot || !embedded) {
            return;
        }

        const showError = message => {
            error.textContent = message;
            error.hidden = false;
        };
        if (!plotly) {
            showError('The chart library (plotly.js) did not load.');
            return;
        }

        let data = JSON.parse(embedded.textContent);
        const names = data.lines.map(line => line.name);
        const runs = JSON.parse(card.dataset.runs);
        const draw = () => plotly.react(plot, traces(data, names), layout(card, data, logScale.checked), config);
        draw();

        // Answers can cross when the controls move quickly: only the last question's answer is drawn.
        let asked = 0;
        async function reload() {
            const ask = ++asked;
            const query = new URLSearchParams();
            runs.forEach(run => query.append('run_id', run));
            query.set('key', card.dataset.metric);
            query.set('x', xAxis.value);
            query.set('smoothing', smoothing.value);
            card.setAttribute('aria-busy', 'true');
            try {
                const response = await fetch(seriesUrl + '?' + query, { headers: { accept: 'application/json' } });
                const body = await response.json();
                if (ask !== asked) {
                    return;
                }

                if (!response.ok) {
                    showError(body.message || ('The server answered ' + response.status + '.'));
                    return;
                }

                error.hidden = true;
                data = body;
                note.textContent = body.note;
                draw();
            } catch (e) {
                if (ask === asked) {
                    showError('Could not reload the chart: ' + e.message);
                }
            } finally {
                if (ask === asked) {
                    card.removeAttribute('aria-busy');
                }
            }
        }

        xAxis.addEventListener('change', reload);
        smoothing.addEventListener('change', reload);
        logScale.addEventListener('change', draw);
    }

    document.querySelectorAll('.chart-card[data-runs]').forEach(setup);
})();
