/**
 * Classification templates (§6.1) with {@code {sentence}}, {@code {prompt}} and {@code {mask}}
 * placeholders: rendered as text by the reward service, and split around the prompt by every
 * model that reads a prompt as token ids or as vectors (the reward service's read_token_ids
 * scoring, the policy service's PEZ, §7.1), so all of them build the same model input.
 */
package dev.pin.models.template;
