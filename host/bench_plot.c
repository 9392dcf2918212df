/*
 * exo bench --plot FILE: one latency histogram per operation, as SVG. The
 * x axis runs from the operation's minimum to its p99 (the rare long tail
 * would squash everything else) in 40 bins; samples above p99 are counted
 * in the caption. Bars are TSC cycles per iteration, as in the table.
 */
#include "bench.h"

#include <errno.h>

#define BINS    40
#define PANEL_W 640
#define PANEL_H 150
#define MARGIN  50

static void
plot_op(FILE *f, const struct bench_run *r, const struct bench_op *op, double y0)
{
	uint64_t bins[BINS] = { 0 }, top = 1, over = 0;
	double lo = op->cycles.min, hi = op->cycles.p99, w = (PANEL_W - 2 * MARGIN) / (double)BINS;

	if (hi <= lo)
		hi = lo + 1;
	for (uint64_t i = 0; i < op->cycles.n; i++) {
		double v = op->sorted[i];
		int b = (int)((v - lo) / (hi - lo) * BINS);

		if (v > hi) {
			over++;
			continue;
		}
		bins[b >= BINS ? BINS - 1 : b]++;
	}
	for (int b = 0; b < BINS; b++)
		if (bins[b] > top)
			top = bins[b];
	fprintf(f, "<text x='%d' y='%.0f' font-size='13'>%s/%s: median %u cycles, "
		"n %llu, %llu above p99 not drawn</text>\n", MARGIN, y0 + 16, r->suite,
		op->name, op->cycles.median, (unsigned long long)op->cycles.n,
		(unsigned long long)over);
	for (int b = 0; b < BINS; b++) {
		double h = (PANEL_H - 50) * (double)bins[b] / (double)top;

		fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' "
			"fill='#4a7ab5'/>\n", MARGIN + b * w, y0 + PANEL_H - 20 - h,
			w - 1, h);
	}
	fprintf(f, "<line x1='%d' y1='%.0f' x2='%d' y2='%.0f' stroke='black'/>\n",
		MARGIN, y0 + PANEL_H - 20, PANEL_W - MARGIN, y0 + PANEL_H - 20);
	fprintf(f, "<text x='%d' y='%.0f' font-size='11'>%.0f</text>\n", MARGIN,
		y0 + PANEL_H - 6, lo);
	fprintf(f, "<text x='%d' y='%.0f' font-size='11' text-anchor='end'>%.0f "
		"(p99)</text>\n", PANEL_W - MARGIN, y0 + PANEL_H - 6, hi);
}

int
bench_plot_svg(FILE *f, const struct bench_run *runs, unsigned nruns)
{
	unsigned panels = 0;
	double y = 30;

	for (unsigned i = 0; i < nruns; i++)
		panels += runs[i].nops;
	fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%u' "
		"font-family='sans-serif'>\n<rect width='100%%' height='100%%' "
		"fill='white'/>\n<text x='%d' y='20' font-size='15'>exo bench: TSC "
		"cycles per iteration</text>\n", PANEL_W, 30 + panels * PANEL_H,
		MARGIN);
	for (unsigned i = 0; i < nruns; i++)
		for (unsigned k = 0; k < runs[i].nops; k++, y += PANEL_H)
			if (runs[i].ops[k].sorted)
				plot_op(f, &runs[i], &runs[i].ops[k], y);
	fprintf(f, "</svg>\n");
	return ferror(f) ? -EIO : 0;
}
