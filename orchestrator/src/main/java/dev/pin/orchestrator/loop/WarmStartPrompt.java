package dev.pin.orchestrator.loop;

import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import dev.pin.orchestrator.spec.SpecException;
import dev.pin.v1.Prompt;
import dev.pin.v1.RunSpec;
import io.grpc.Status;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * {@code RunSpec.warm_start_prompt}, a prompt a person wrote, as the policy would have emitted it:
 * exactly T token ids of the policy backbone's vocabulary (§1: a prompt is T tokens, no
 * end-of-sequence action; §2: special tokens are outside the action space).
 *
 * <p>A text that does not tokenise to exactly T tokens is refused, not padded or cut: there is no
 * neutral filler token in the action space, and a truncated prompt would no longer be the one the
 * person wrote (its score would be credited to a different prompt). The error says how many tokens
 * the text has, so the person can rewrite it or set {@code spec.policy.prompt_length}.
 *
 * <p>Tokenising needs the backbone's vocabulary in the orchestrator's own model store
 * ({@code models.home}); the policy service reads the same model by name from its store.
 */
public final class WarmStartPrompt {
  private static final String FIELD = "spec.warm_start_prompt";

  private WarmStartPrompt() {}

  /**
   * The spec's warm-start prompt as T tokens, or empty when the spec has none.
   *
   * @param spec the effective spec (§8 defaults filled, so the prompt length is known)
   * @throws SpecException naming {@code spec.warm_start_prompt} when it is not T allowed tokens
   * @throws io.grpc.StatusRuntimeException FAILED_PRECONDITION when the backbone's tokenizer is
   *     not in the model store
   */
  public static Optional<Prompt> of(RunSpec spec, ModelStore models) {
    String text = spec.getWarmStartPrompt();
    if (text.isEmpty()) {
      return Optional.empty();
    }
    String backbone = spec.getPolicy().getBackbone().getName();
    return Optional.of(tokenize(text, tokenizer(backbone, models), backbone,
        spec.getPolicy().getPromptLength()));
  }

  private static WordPieceTokenizer tokenizer(String backbone, ModelStore models) {
    ModelDir dir = models.find(backbone).orElseThrow(() -> Status.FAILED_PRECONDITION
        .withDescription(FIELD + ": tokenising it needs the policy backbone '" + backbone
            + "', which is not in the orchestrator's model store at " + models.home()
            + " (models.home); import it there (" + ModelStore.importHint(backbone) + ")")
        .asRuntimeException());
    if (!ModelManifest.ARCH_BERT_MLM.equals(dir.manifest().architecture())) {
      throw Status.FAILED_PRECONDITION.withDescription(FIELD + ": the policy backbone '"
          + backbone + "' is a " + dir.manifest().architecture() + "; this build's policy "
          + "backbones are masked LMs (bert-mlm)").asRuntimeException();
    }
    try {
      return dir.tokenizer();
    } catch (IOException e) {
      throw Status.FAILED_PRECONDITION.withDescription(FIELD + ": cannot read the tokenizer of '"
          + backbone + "': " + e.getMessage()).asRuntimeException();
    }
  }

  /** {@code text} as exactly {@code promptLength} allowed tokens of {@code tokenizer}. */
  static Prompt tokenize(String text, WordPieceTokenizer tokenizer, String backbone,
      int promptLength) {
    List<String> tokens = tokenizer.tokenize(text);
    if (tokens.size() != promptLength) {
      throw new SpecException(List.of(FIELD + ": \"" + text + "\" is " + tokens.size()
          + " tokens " + tokens + " in the vocabulary of the policy backbone '" + backbone
          + "', but prompts have exactly spec.policy.prompt_length = " + promptLength
          + " tokens; write a prompt of " + promptLength + " tokens or set prompt_length to "
          + Math.max(1, tokens.size())));
    }
    Prompt.Builder prompt = Prompt.newBuilder();
    int[] ids = new int[tokens.size()];
    for (int i = 0; i < ids.length; i++) {
      String token = tokens.get(i);
      // The policy's action space leaves out every bracketed vocabulary entry ([UNK], [MASK],
      // [unused0] …, §2); a word the vocabulary cannot spell comes out as [UNK].
      if (token.length() > 2 && token.startsWith("[") && token.endsWith("]")) {
        throw new SpecException(List.of(FIELD + ": token " + (i + 1) + " of \"" + text + "\" is "
            + token + ", a special token the policy never emits (a word the vocabulary of '"
            + backbone + "' cannot spell becomes [UNK]); use ordinary words"));
      }
      ids[i] = tokenizer.id(token);
      prompt.addTokenIds(ids[i]).addTokens(token);
    }
    // The text as the policy would print these ids, so the prompt reads like a sampled one.
    return prompt.setText(tokenizer.decode(ids)).build();
  }
}
