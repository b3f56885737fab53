package dev.pin.policy.algorithm;

/**
 * A prompt with its shaped reward r′ (§5) for {@link PromptPolicy#update}.
 *
 * @param sampleId the id from {@link PromptPolicy#sample}, or 0 for a prompt from elsewhere
 * @param tokenIds required when sampleId is 0 or no longer cached; may be null otherwise
 * @param reward the shaped reward, attached to the last step
 */
public record RewardedTokens(long sampleId, int[] tokenIds, float reward) {}
