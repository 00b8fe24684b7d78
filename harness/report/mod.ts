/**
 * Reports for people: the terminal summary, HTML and Markdown reports, charts.
 *
 * @module
 */

export * from "./charts.ts";
export * from "./html_report.ts";
export * from "./summary.ts";
