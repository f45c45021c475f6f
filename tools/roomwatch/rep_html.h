/*
 * rep_html.h - the self-evaluation document (rep_doc.h) as one self-contained HTML file: no
 * script, no external style, font or image, so it opens offline and prints the same
 * anywhere. The same form table as the workbook's first sheet, then the charts a person
 * would rather look at than read, drawn as inline SVG (vectors in print, text searchable):
 * per indicator the monthly values against the target line; a year calendar of supply days
 * (lost and unverified days marked); an incident timeline; then the fault-handling record,
 * the interruptions, events and how each value is computed. A print stylesheet lays it out
 * on A4 (`@page { size: A4 }`), so a browser prints it to a clean PDF.
 *
 * Every chart is an <svg> with class "chart" and a data-chart attribute naming it
 * ("monthly-<id>", "calendar-<id>", "timeline"), for tests and for people's own styling.
 */
#ifndef ROOMWATCH_REP_HTML_H
#define ROOMWATCH_REP_HTML_H

#include <stdio.h>

#include <jansson.h>

/* Writes doc to fp: 0, or -1 on a write error. */
int rep_html_write(const json_t *doc, FILE *fp);

#endif
