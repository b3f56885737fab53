/**
 * Registered tasks. A task spec (examples inline) is validated once, its models and verbalizers
 * resolved, and it gets a content-hash handle ({@code task-<16 hex>}) so every reward replica
 * computes the same handle for the same spec and a client may re-register on any of them.
 * Validation failures name the field path ({@code task.classification.verbalizers[1]: …}) and map
 * to INVALID_ARGUMENT; a model missing from the store maps to FAILED_PRECONDITION; an unknown
 * handle to NOT_FOUND.
 */
package dev.pin.reward.task;
