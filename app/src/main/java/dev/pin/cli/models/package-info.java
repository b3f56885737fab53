/**
 * {@code pin models …}: list the model store, import BERT-base from Maven Central, and run the
 * fill-mask pipeline (MODELS.md).
 */
package dev.pin.cli.models;
