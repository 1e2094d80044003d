/* SPDX-License-Identifier: MIT */
/* The run report: index.html with loss curves (inline SVG) and sample grids. */
#ifndef GANCL_APP_REPORT_H
#define GANCL_APP_REPORT_H

/* Regenerates DIR/index.html from DIR/log.csv and DIR/samples/. Best effort:
 * a report that cannot be written is not a training failure. */
void gc_report_write(const char *dir, const char *model);

#endif
