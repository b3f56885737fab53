package dev.pin.scorer;

import dev.pin.platform.config.Config;
import dev.pin.platform.config.ConfigException;
import dev.pin.platform.config.ModelsHome;
import dev.pin.platform.config.ServerSettings;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The scorer service's configuration ({@code scorer.*} keys).
 *
 * @param server how the gRPC server is exposed
 * @param device {@code cpu} or {@code cuda:N} ({@code scorer.device})
 * @param naturalnessModel the LM that scores naturalness by default ({@code scorer.model}, default
 *     {@code bert-base-uncased}: masked-LM pseudo-perplexity, §7.3)
 * @param loadOnStart load the naturalness model before health turns SERVING ({@code
 *     scorer.load-on-start}, default false until the models issue lands)
 * @param modelsHome the model store ({@code models.home})
 */
public record ScorerSettings(
    ServerSettings server,
    String device,
    String naturalnessModel,
    boolean loadOnStart,
    Path modelsHome) {

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
        config.bool("scorer.load-on-start", false),
        ModelsHome.read(config));
  }
}
