/**
 * Evaluation reports: Markdown and HTML tables that put each prompt's task scores next to its
 * readability (ALGORITHMS.md §7.2: the trade-off between task score and prompt naturalness is the
 * thing to see), and training curves drawn as PNG with Java2D.
 */
package dev.pin.scorer.report;
