package dev.pin.reward.backend;

import java.util.List;

/**
 * A frozen causal LM that samples continuations (the style-transfer generator, §6.2). Thread-safe.
 */
public interface TextGenerator {

  /**
   * One input to continue.
   *
   * @param input the full model input, e.g. {@code prompt "x" "}
   * @param numSamples how many continuations to sample
   * @param maxNewTokens the most new tokens per continuation
   * @param topK sample from the k most likely tokens
   * @param temperature softmax temperature
   * @param seed sampling seed; the same request and seed give the same samples
   */
  record Request(
      String input, int numSamples, int maxNewTokens, int topK, float temperature, long seed) {}

  /**
   * The model store name.
   *
   * @return the name
   */
  String name();

  /**
   * The generator's tokenizer (n_x, the input length that bounds generation, is counted with it).
   *
   * @return the tokenizer
   */
  TaskTokenizer tokenizer();

  /**
   * Samples continuations.
   *
   * @param requests inputs with their sampling settings
   * @return per request, {@code numSamples} decoded continuations without the input text
   */
  List<List<String>> generate(List<Request> requests);
}
