package dev.pin.scorer;

import dev.pin.kit.config.ClientSettings;
import dev.pin.kit.config.Config;
import dev.pin.kit.config.ConfigException;
import dev.pin.kit.config.ServerSettings;
import dev.pin.models.store.ModelsHome;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The scorer service's configuration ({@code scorer.*} keys).
 *
 * @param server how the gRPC server is exposed
 * @param device {@code cpu} or {@code cuda:N} ({@code scorer.device})
 * @param naturalnessModel the LM that scores naturalness by default, masked or causal ({@code
 *     scorer.model}, default {@code bert-base-uncased}: masked-LM pseudo-perplexity, §7.3)
 * @param loadOnStart when the naturalness model and the word list load ({@code
 *     scorer.load-on-start}): {@code true} before health turns SERVING (a missing model keeps the
 *     service NOT_SERVING), {@code false} on first use, {@code auto} (default) before SERVING when
 *     the model is in the store and on first use otherwise (so a fresh machine still serves, and
 *     says what to import when a call needs the model)
 * @param modelsHome the model store ({@code models.home})
 * @param wordList the dictionary of the dictionary-word share ({@code scorer.word-list}, a file
 *     with one word per line such as Debian's {@code /usr/share/dict/american-english}); null,
 *     the default, for the English list bundled with the scorer (WordNet 3.1, see the README)
 * @param maxBatchSequences most sequences in one model forward pass ({@code
 *     scorer.max-batch-sequences}, default 256; each costs |V| floats of logits)
 * @param intraOpThreads ONNX Runtime threads per operator ({@code scorer.intra-op-threads}, 0 =
 *     one per core)
 * @param maxRequestPositions most encoder token positions one call may cost ({@code
 *     scorer.max-request-positions}, default 1 000 000; a T-token prompt costs (2T − 1)(T + 2))
 * @param reward how the scorer calls the Reward service for faithfulness ({@code
 *     scorer.reward.address}, default {@code localhost:50052}; the channel connects on first use,
 *     so a scorer without a Reward service still serves everything else)
 */
public record ScorerSettings(
    ServerSettings server,
    String device,
    String naturalnessModel,
    String loadOnStart,
    Path modelsHome,
    Path wordList,
    int maxBatchSequences,
    int intraOpThreads,
    long maxRequestPositions,
    ClientSettings reward) {

  private static final Pattern DEVICE = Pattern.compile("cpu|cuda:\\d+");

  /** Reads and validates the settings. */
  public static ScorerSettings read(Config config) {
    String device = config.string("scorer.device", "cpu");
    if (!DEVICE.matcher(device).matches()) {
      throw new ConfigException(
          "scorer.device", "expected cpu or cuda:N (e.g. cuda:0), got '" + device + "'");
    }
    String model = config.string("scorer.model", "bert-base-uncased");
    if (model.isBlank()) {
      throw new ConfigException("scorer.model", "expected a model name from `pin models list`");
    }
    return new ScorerSettings(
        ServerSettings.read(config, "scorer"),
        device,
        model,
        config.oneOf("scorer.load-on-start", "auto", List.of("auto", "true", "false")),
        ModelsHome.read(config),
        config.path("scorer.word-list", null),
        config.integer("scorer.max-batch-sequences", 256, 1, 65_536),
        config.integer("scorer.intra-op-threads", 0, 0, 1024),
        config.integer("scorer.max-request-positions", 1_000_000, 1, Integer.MAX_VALUE),
        ClientSettings.read(config, "scorer", "reward"));
  }

  /** The same settings calling the Reward service at {@code address} (embedded mode). */
  public ScorerSettings withRewardAddress(String address) {
    return new ScorerSettings(server, device, naturalnessModel, loadOnStart, modelsHome, wordList,
        maxBatchSequences, intraOpThreads, maxRequestPositions, reward.withAddress(address));
  }
}
