/**
 * Task data on disk: the few-shot TSV layout (§6.1), the Yelp style-transfer files (§6.2), folders
 * of target images (§6.3) and the team's demo sentiment set. Loaders read files the way the papers'
 * code did (pandas' CSV reader with a tab delimiter for TSV), turn them into the pin.v1 messages
 * the Reward service takes inline, and report malformed input as {@link
 * dev.pin.orchestrator.data.DataFormatException} naming the file, the line and what was expected.
 */
package dev.pin.orchestrator.data;
